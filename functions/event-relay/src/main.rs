//! Publishes outbox events from the table stream to EventBridge.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::event_relay::serve().await
}
