//! The EventBridge publisher: batches, per-entry retries, an exact report of what failed.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use session_core::events::DomainEvent;
use session_core::ids::EventId;

use crate::batch::{MAX_REQUEST_BYTES, entry_size, pack};

#[derive(Clone, Debug)]
pub struct PublisherConfig {
    pub bus_name: String,
    /// The events' `Source` (default `sessions`).
    pub source: String,
    /// Tries per entry, the first included; the SDK's own retries happen inside each try.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl PublisherConfig {
    pub fn new(bus_name: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            bus_name: bus_name.into(),
            source: source.into(),
            max_attempts: 4,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Why one event was not delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// Larger than EventBridge accepts; retrying cannot help.
    TooLarge { bytes: usize },
    /// EventBridge refused the entry with this error code on the last try.
    Rejected { code: String, message: String },
    /// The call itself failed on the last try (throttled, unreachable, 5xx).
    CallFailed { message: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    pub delivered: Vec<EventId>,
    pub failed: Vec<(EventId, DeliveryFailure)>,
}

pub struct EventBridgePublisher {
    client: Client,
    config: PublisherConfig,
}

/// An event ready to send: its id and the entry built once.
struct Pending {
    id: EventId,
    entry: PutEventsRequestEntry,
    size: usize,
}

impl EventBridgePublisher {
    pub fn new(client: Client, config: PublisherConfig) -> Self {
        Self { client, config }
    }

    /// Delivers `events`, retrying failed entries with jittered exponential back-off, and reports
    /// each event as delivered or failed (never both, never neither).
    pub async fn publish(&self, events: &[DomainEvent]) -> PublishReport {
        let mut report = PublishReport::default();
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            let detail = event.to_detail().to_string();
            let size = entry_size(&self.config.source, event.detail_type(), &detail);
            if size > MAX_REQUEST_BYTES {
                report
                    .failed
                    .push((event.event_id, DeliveryFailure::TooLarge { bytes: size }));
                continue;
            }
            let entry = PutEventsRequestEntry::builder()
                .event_bus_name(&self.config.bus_name)
                .source(&self.config.source)
                .detail_type(event.detail_type())
                .detail(detail)
                .build();
            pending.push(Pending {
                id: event.event_id,
                entry,
                size,
            });
        }

        let mut last_failure: HashMap<EventId, DeliveryFailure> = HashMap::new();
        for attempt in 0..self.config.max_attempts.max(1) {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(self.delay(attempt)).await;
            }
            let mut retry = Vec::new();
            let sizes: Vec<usize> = pending.iter().map(|p| p.size).collect();
            let mut items = pending.into_iter().map(Some).collect::<Vec<_>>();
            for range in pack(&sizes) {
                let batch: Vec<Pending> =
                    items[range].iter_mut().filter_map(Option::take).collect();
                self.send(batch, &mut report, &mut retry, &mut last_failure)
                    .await;
            }
            pending = retry;
        }
        for left in pending {
            let failure = last_failure
                .remove(&left.id)
                .unwrap_or(DeliveryFailure::CallFailed {
                    message: "not attempted".into(),
                });
            report.failed.push((left.id, failure));
        }
        report
    }

    /// One PutEvents call; failed entries go to `retry` with the reason kept for the report.
    async fn send(
        &self,
        batch: Vec<Pending>,
        report: &mut PublishReport,
        retry: &mut Vec<Pending>,
        last_failure: &mut HashMap<EventId, DeliveryFailure>,
    ) {
        let entries: Vec<PutEventsRequestEntry> = batch.iter().map(|p| p.entry.clone()).collect();
        match self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) => {
                let results = output.entries();
                for (i, pending) in batch.into_iter().enumerate() {
                    // PutEvents answers entry by entry in request order; a missing answer is
                    // treated as a failure so it is retried rather than assumed delivered.
                    match results.get(i) {
                        Some(result)
                            if result.error_code().is_none() && result.event_id().is_some() =>
                        {
                            report.delivered.push(pending.id);
                        }
                        other => {
                            let failure = DeliveryFailure::Rejected {
                                code: other
                                    .and_then(|r| r.error_code())
                                    .unwrap_or("MissingResult")
                                    .to_owned(),
                                message: other
                                    .and_then(|r| r.error_message())
                                    .unwrap_or_default()
                                    .to_owned(),
                            };
                            tracing::warn!(event_id = %pending.id, ?failure, "EventBridge rejected an entry");
                            last_failure.insert(pending.id, failure);
                            retry.push(pending);
                        }
                    }
                }
            }
            Err(error) => {
                let message = aws_sdk_eventbridge::error::DisplayErrorContext(&error).to_string();
                tracing::warn!(error = %message, entries = batch.len(), "PutEvents call failed");
                for pending in batch {
                    last_failure.insert(
                        pending.id,
                        DeliveryFailure::CallFailed {
                            message: message.clone(),
                        },
                    );
                    retry.push(pending);
                }
            }
        }
    }

    /// Full jitter: a random delay up to the exponential bound.
    fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .config
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}
