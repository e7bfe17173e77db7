//! Relaying committed events from the outbox to a sink, at least once.

use std::future::Future;

use session_core::events::DomainEvent;

use crate::MemoryStore;

/// Where relayed events go (stdout, a file, a test's collector, a bus).
pub trait EventSink: Send + Sync {
    type Error: std::fmt::Display;

    fn publish(
        &self,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Pause before re-publishing after the sink failed.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// Delivers committed events to `sink` forever, in commit order. A failed publish puts the
/// events back at the head of the outbox and retries them after a pause, so none is lost.
pub async fn relay_events<K: EventSink>(store: MemoryStore, sink: K) {
    loop {
        let events = store.take_events();
        if events.is_empty() {
            store.events_committed().await;
            continue;
        }
        if let Err(error) = sink.publish(&events).await {
            tracing::warn!(%error, count = events.len(), "event sink failed; will retry");
            store.return_events(events);
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}
