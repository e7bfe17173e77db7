//! The HTTP API Lambda authorizer: bearer token + active session, on every user request.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::authorizer::serve().await
}
