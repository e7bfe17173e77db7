//! The outbox relay: deliver what the stream brought, hand back what could not be delivered.

use std::collections::HashSet;
use std::future::Future;

use session_core::events::DomainEvent;
use session_core::ids::EventId;

use crate::publisher::{EventBridgePublisher, PublishReport};

/// One stream record that should carry an outbox event.
#[derive(Debug)]
pub struct OutboxRecord<E> {
    /// The stream's identifier for the record (its sequence number), reported back on failure.
    pub item_identifier: String,
    /// The event, or why the record could not be decoded into one.
    pub event: Result<DomainEvent, E>,
}

/// Anything that delivers events and reports which ones failed.
pub trait EventPublisher: Send + Sync {
    fn publish(&self, events: &[DomainEvent]) -> impl Future<Output = PublishReport> + Send;
}

impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[DomainEvent]) -> PublishReport {
        EventBridgePublisher::publish(self, events).await
    }
}

/// Publishes the decodable records and returns the identifiers of every record that was not
/// delivered (undecodable ones included: they go back to the stream, and after its retries to the
/// dead-letter queue, instead of vanishing). Records are returned in stream order.
pub async fn relay<P, E>(publisher: &P, records: Vec<OutboxRecord<E>>) -> Vec<String>
where
    P: EventPublisher,
    E: std::fmt::Display,
{
    let mut events = Vec::with_capacity(records.len());
    let mut undecodable = HashSet::new();
    for record in &records {
        match &record.event {
            Ok(event) => events.push(event.clone()),
            Err(error) => {
                tracing::error!(item = %record.item_identifier, %error, "outbox record cannot be decoded");
                undecodable.insert(record.item_identifier.clone());
            }
        }
    }
    let report = if events.is_empty() {
        PublishReport::default()
    } else {
        publisher.publish(&events).await
    };
    let failed: HashSet<EventId> = report.failed.iter().map(|(id, _)| *id).collect();
    records
        .into_iter()
        .filter(|record| match &record.event {
            Ok(event) => failed.contains(&event.event_id),
            Err(_) => undecodable.contains(&record.item_identifier),
        })
        .map(|record| record.item_identifier)
        .collect()
}
