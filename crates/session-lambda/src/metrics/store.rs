//! The store as the functions use it: every call goes to the real store, and the metrics see
//! what was committed (the business counts of its events), what failed (by class) and how often a
//! lost race was retried.

use session_core::ports::{ChangeSet, CommitError, SessionStore, StoreError};

use super::{Metric, Metrics, observe_event};

/// Names the class of a store failure for `StoreErrors` (the store adapter knows its errors).
pub type ErrorClassifier = fn(&StoreError) -> &'static str;

#[derive(Clone)]
pub struct MeteredStore<S> {
    inner: S,
    metrics: Metrics,
    classify: ErrorClassifier,
}

/// Any store's failures, when the adapter does not say more: `corrupt`, `rejected` or
/// `unavailable`.
pub fn generic_class(error: &StoreError) -> &'static str {
    match error {
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Rejected(_) => "rejected",
        StoreError::Corrupt(_) => "corrupt",
    }
}

impl<S> MeteredStore<S> {
    pub fn new(inner: S, metrics: Metrics) -> Self {
        Self {
            inner,
            metrics,
            classify: generic_class,
        }
    }

    /// Classifies failures with the adapter's own classes (DynamoDB: throttled, timeout, ...).
    pub fn classifying_errors(mut self, classify: ErrorClassifier) -> Self {
        self.classify = classify;
        self
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Awaits a read, counting its failure.
    async fn observed<T>(
        &self,
        read: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.observe(read.await)
    }

    fn observe<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(error) = &result {
            self.metrics
                .count(Metric::StoreErrors, Some((self.classify)(error)));
        }
        result
    }
}

impl<S: SessionStore> SessionStore for MeteredStore<S> {
    session_core::forward_store_reads!(inner, via Self::observed);

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        // Read before the change set is handed over; counted only once it committed.
        let details: Vec<(&'static str, serde_json::Value)> = changes
            .events
            .iter()
            .map(|event| (event.detail_type(), event.to_detail()))
            .collect();
        let result = self.inner.commit(changes).await;
        match &result {
            Ok(()) => {
                for (detail_type, detail) in &details {
                    observe_event(&self.metrics, detail_type, detail);
                }
            }
            Err(CommitError::Store(error)) => {
                self.metrics
                    .count(Metric::StoreErrors, Some((self.classify)(error)));
            }
            // A lost race (retried, counted by `backoff`) or work already done: not failures.
            Err(CommitError::Conflict | CommitError::AlreadyProcessed) => {}
        }
        result
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.metrics.count(Metric::StoreRetries, Some("conflict"));
        self.inner.backoff(attempt).await;
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::Utc;
    use serde_json::Value;
    use session_core::domain::{Actor, RevocationReason};
    use session_core::events::{DomainEvent, EventPayload, SessionRevoked};
    use session_core::ids::EventId;
    use session_core::ids::{SessionId, UserId};
    use session_core::ports::IdGenerator;
    use session_core::testkit::SequentialIds;
    use session_memory::MemoryStore;

    use super::*;

    fn revoked(ids: &SequentialIds) -> ChangeSet {
        let user = UserId::from_str("alice").unwrap_or_else(|e| panic!("{e}"));
        ChangeSet::events(vec![DomainEvent {
            event_id: EventId::from_uuid(ids.next_id()),
            occurred_at: Utc::now(),
            payload: EventPayload::SessionRevoked(SessionRevoked {
                session_id: SessionId::from_uuid(ids.next_id()),
                user_id: user.clone(),
                reason: RevocationReason::Logout,
                device_info: None,
                revoked_by_user: Some(user.clone()),
                by: Actor::User { user_id: user },
                note: None,
            }),
        }])
    }

    fn line(metrics: &Metrics) -> Value {
        let lines = metrics.take_lines(0);
        assert_eq!(lines.len(), 1, "{lines:?}");
        serde_json::from_str(&lines[0]).unwrap_or_default()
    }

    #[tokio::test]
    async fn commits_count_their_events_failures_their_class_backoffs_a_retry() {
        let ids = SequentialIds::default();
        let inner = MemoryStore::new();
        let metrics = Metrics::new("Ns");
        let store = MeteredStore::new(inner.clone(), metrics.clone());

        assert!(store.commit(revoked(&ids)).await.is_ok());
        let committed = line(&metrics);
        assert_eq!(committed["Revocations"], 1);
        assert_eq!(committed["Reason"], "logout");

        inner.faults().fail_next_commits(1);
        assert!(store.commit(revoked(&ids)).await.is_err());
        let failed = line(&metrics);
        assert_eq!(failed["StoreErrors"], 1);
        assert_eq!(failed["ErrorClass"], "unavailable");
        assert!(failed.get("Revocations").is_none(), "nothing was committed");

        store.backoff(1).await;
        let retried = line(&metrics);
        assert_eq!(retried["StoreRetries"], 1);
        assert_eq!(retried["Cause"], "conflict");
    }
}
