//! Finishes the revoke-alls cut off between their chunks; scheduled every minute.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::revocation_sweeper::serve().await
}
