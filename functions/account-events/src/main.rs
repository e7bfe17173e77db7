//! Ends the sessions a credential or account-lifecycle event of the auth service makes
//! untrustworthy (EventBridge).

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::account_events::serve().await
}
