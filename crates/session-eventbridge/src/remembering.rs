//! Not publishing again what this process delivered a moment ago.
//!
//! When a stream batch has failed records, Lambda hands the batch over again starting at the
//! first failed record (the checkpoint of `ReportBatchItemFailures`), so every record after it
//! comes back too, although it was delivered. Left alone, one entry that EventBridge keeps
//! refusing makes the rest of its batch be published again on every retry (up to
//! `MaximumRetryAttempts` times). A warm execution environment usually gets those retries;
//! remembering the events it delivered lately, it reports them delivered without sending them.
//! Delivery stays at least once (a cold environment, or a redrive, may still send an event
//! twice; consumers deduplicate on `event_id`), it just stops multiplying.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};

use session_core::events::DomainEvent;
use session_core::ids::EventId;

use crate::publisher::PublishReport;
use crate::relay::EventPublisher;

/// How many delivered event ids the relay remembers: many stream batches' worth (a batch holds
/// at most 10,000 records, the relay's mapping asks for 100), under a megabyte.
pub const REMEMBERED_EVENTS: usize = 10_000;

/// A publisher that skips the events it (through `inner`) delivered among the last `capacity`.
pub struct Remembering<P> {
    inner: P,
    delivered: Mutex<Recent>,
}

/// The most recent ids, oldest first, with a set for lookups.
struct Recent {
    ids: HashSet<EventId>,
    order: VecDeque<EventId>,
    capacity: usize,
}

impl Recent {
    fn insert(&mut self, id: EventId) {
        if self.capacity == 0 || !self.ids.insert(id) {
            return;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
    }
}

impl<P> Remembering<P> {
    pub fn new(inner: P, capacity: usize) -> Self {
        Self {
            inner,
            delivered: Mutex::new(Recent {
                ids: HashSet::new(),
                order: VecDeque::new(),
                capacity,
            }),
        }
    }

    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<P: EventPublisher> EventPublisher for Remembering<P> {
    async fn publish(&self, events: &[DomainEvent]) -> PublishReport {
        let (known, fresh): (Vec<&DomainEvent>, Vec<&DomainEvent>) = {
            let recent = self.recent();
            events
                .iter()
                .partition(|event| recent.ids.contains(&event.event_id))
        };
        if !known.is_empty() {
            tracing::info!(
                skipped = known.len(),
                "events this process delivered already are not published again"
            );
        }
        let mut report = if fresh.is_empty() {
            PublishReport::default()
        } else {
            let fresh: Vec<DomainEvent> = fresh.into_iter().cloned().collect();
            self.inner.publish(&fresh).await
        };
        {
            let mut recent = self.recent();
            for id in &report.delivered {
                recent.insert(*id);
            }
        }
        report
            .delivered
            .extend(known.into_iter().map(|event| event.event_id));
        report
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{TimeZone, Utc};
    use session_core::events::{EventPayload, SessionLimitExceeded};
    use session_core::ids::UserId;
    use uuid::Uuid;

    use super::*;
    use crate::publisher::DeliveryFailure;

    /// Delivers every event but those it is told to refuse; counts what it was asked to send.
    #[derive(Default)]
    struct Fake {
        refuse: Mutex<HashSet<EventId>>,
        sent: AtomicUsize,
    }

    impl EventPublisher for Fake {
        async fn publish(&self, events: &[DomainEvent]) -> PublishReport {
            self.sent.fetch_add(events.len(), Ordering::SeqCst);
            let refuse = self.refuse.lock().unwrap_or_else(PoisonError::into_inner);
            let mut report = PublishReport::default();
            for event in events {
                if refuse.contains(&event.event_id) {
                    let failure = DeliveryFailure::Rejected {
                        code: "InternalFailure".into(),
                        message: String::new(),
                    };
                    report.failed.push((event.event_id, failure));
                } else {
                    report.delivered.push(event.event_id);
                }
            }
            report
        }
    }

    fn events(n: u128) -> Vec<DomainEvent> {
        (1..=n)
            .map(|i| DomainEvent {
                event_id: EventId::from_uuid(Uuid::from_u128(i)),
                occurred_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                payload: EventPayload::SessionLimitExceeded(SessionLimitExceeded {
                    user_id: "alice".parse::<UserId>().unwrap(),
                    current_count: 2,
                    max_sessions: 2,
                    evicted_session_ids: Vec::new(),
                }),
            })
            .collect()
    }

    fn sorted(mut ids: Vec<EventId>) -> Vec<EventId> {
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn a_batch_handed_over_again_sends_only_what_was_not_delivered() {
        let batch = events(4);
        let publisher = Remembering::new(Fake::default(), 100);
        publisher
            .inner()
            .refuse
            .lock()
            .unwrap()
            .insert(batch[1].event_id);

        let first = publisher.publish(&batch).await;
        assert_eq!(first.failed.len(), 1);
        assert_eq!(publisher.inner().sent.load(Ordering::SeqCst), 4);

        // Lambda retries from the failed record: it and everything after it.
        publisher.inner().refuse.lock().unwrap().clear();
        let again = publisher.publish(&batch[1..]).await;
        assert!(again.failed.is_empty());
        assert_eq!(
            sorted(again.delivered),
            sorted(batch[1..].iter().map(|e| e.event_id).collect())
        );
        assert_eq!(
            publisher.inner().sent.load(Ordering::SeqCst),
            5,
            "only the failed event was sent again"
        );
    }

    #[tokio::test]
    async fn it_remembers_only_the_most_recent_deliveries() {
        let batch = events(3);
        let publisher = Remembering::new(Fake::default(), 2);
        publisher.publish(&batch).await;
        publisher.publish(&batch).await;
        assert_eq!(
            publisher.inner().sent.load(Ordering::SeqCst),
            4,
            "the oldest of three was forgotten and sent again"
        );
        let none = Remembering::new(Fake::default(), 0);
        none.publish(&batch).await;
        none.publish(&batch).await;
        assert_eq!(none.inner().sent.load(Ordering::SeqCst), 6);
    }
}
