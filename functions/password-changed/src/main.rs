//! Revokes a user's sessions when their password changes or is reset (EventBridge).

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::password_changed::serve().await
}
