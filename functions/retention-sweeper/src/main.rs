//! Cuts the addresses and raw user agents of sessions ended `ip_retention_days` ago; scheduled
//! every hour.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::retention_sweeper::serve().await
}
