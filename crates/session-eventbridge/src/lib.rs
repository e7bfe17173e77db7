//! Delivery of domain events to EventBridge.
//!
//! [`EventBridgePublisher`] sends `PutEvents` in batches that respect EventBridge's limits,
//! retries the entries that failed, and reports exactly which events were not delivered.
//! [`relay`] turns a batch of outbox records (from the table's stream) into deliveries and names
//! the records to hand back to the stream as failed, so nothing is dropped. [`Remembering`]
//! keeps a batch that comes back after a partial failure from publishing its delivered records
//! again.

mod batch;
mod publisher;
mod relay;
mod remembering;

pub use batch::{MAX_ENTRIES_PER_CALL, MAX_REQUEST_BYTES, entry_size};
pub use publisher::{DeliveryFailure, EventBridgePublisher, PublishReport, PublisherConfig};
pub use relay::{EventPublisher, OutboxRecord, relay};
pub use remembering::{REMEMBERED_EVENTS, Remembering};
