//! The store handle: cheap to clone, safe to share across threads.

use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use session_core::cursor::CursorPosition;
use session_core::domain::{Device, Session, UserLedger};
use session_core::events::DomainEvent;
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, FastRotation, IdempotencyRecord, LoginRead, RevokeAllContinuation,
    RotationAttempt, SessionPage, SessionQuery, SessionStore, StoreError, UserWithIndex, Versioned,
};
use tokio::sync::Notify;

use crate::faults::FaultPlan;
use crate::state::{Refused, State};

#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    events_committed: Notify,
    faults: FaultPlan,
}

#[derive(Debug, thiserror::Error)]
#[error("injected store failure")]
struct InjectedFailure;

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Failures to inject into the next reads or commits (tests only ever need this).
    pub fn faults(&self) -> &FaultPlan {
        &self.inner.faults
    }

    /// Takes every committed event not yet taken, oldest first.
    pub fn take_events(&self) -> Vec<DomainEvent> {
        self.state().outbox.drain(..).collect()
    }

    /// Puts events back at the head of the outbox, e.g. after a failed publish.
    pub fn return_events(&self, events: Vec<DomainEvent>) {
        let mut state = self.state();
        for event in events.into_iter().rev() {
            state.outbox.push_front(event);
        }
    }

    /// Resolves once events have been committed since the last call (or are waiting).
    pub async fn events_committed(&self) {
        self.inner.events_committed.notified().await;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change set: `apply` checks
        // every condition before writing anything.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn read_fault(&self) -> Result<(), StoreError> {
        if self.inner.faults.take_read_failure() {
            return Err(StoreError::Unavailable(Box::new(InjectedFailure)));
        }
        Ok(())
    }
}

impl SessionStore for MemoryStore {
    async fn load_user(
        &self,
        user_id: &UserId,
    ) -> Result<Option<Versioned<UserLedger>>, StoreError> {
        self.read_fault()?;
        Ok(self.state().ledgers.get(user_id).cloned())
    }

    async fn load_user_with_index(&self, user_id: &UserId) -> Result<UserWithIndex, StoreError> {
        self.read_fault()?;
        let state = self.state();
        Ok(UserWithIndex {
            ledger: state.ledgers.get(user_id).cloned(),
            index: state
                .index
                .get(user_id)
                .map(|entries| entries.iter().map(|(id, e)| (*id, e.clone())).collect())
                .unwrap_or_default(),
        })
    }

    async fn load_login(
        &self,
        user_id: &UserId,
        device_id: Option<&DeviceId>,
    ) -> Result<LoginRead, StoreError> {
        self.read_fault()?;
        let state = self.state();
        Ok(LoginRead {
            ledger: state.ledgers.get(user_id).cloned(),
            device: device_id.and_then(|device_id| {
                state
                    .devices
                    .get(&(user_id.clone(), device_id.clone()))
                    .filter(|d| !d.value.is_forgotten())
                    .cloned()
            }),
        })
    }

    async fn load_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> Result<Option<Versioned<Device>>, StoreError> {
        self.read_fault()?;
        Ok(self
            .state()
            .devices
            .get(&(user_id.clone(), device_id.clone()))
            .filter(|d| !d.value.is_forgotten())
            .cloned())
    }

    async fn list_devices(&self, user_id: &UserId) -> Result<Vec<Versioned<Device>>, StoreError> {
        self.read_fault()?;
        Ok(self
            .state()
            .devices
            .iter()
            .filter(|((owner, _), device)| owner == user_id && !device.value.is_forgotten())
            .map(|(_, device)| device.clone())
            .collect())
    }

    async fn load_session(&self, id: SessionId) -> Result<Option<Versioned<Session>>, StoreError> {
        self.read_fault()?;
        Ok(self.state().sessions.get(&id).cloned())
    }

    async fn load_sessions(
        &self,
        ids: &[SessionId],
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        self.read_fault()?;
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.sessions.get(id).cloned())
            .collect())
    }

    async fn list_user_sessions(&self, query: SessionQuery) -> Result<SessionPage, StoreError> {
        self.read_fault()?;
        let state = self.state();
        let Some(index) = state.by_user.get(&query.user_id) else {
            return Ok(SessionPage {
                sessions: Vec::new(),
                next: None,
            });
        };
        let upper = match query.after {
            Some(pos) => Bound::Excluded((pos.created_at, pos.session_id)),
            None => Bound::Unbounded,
        };
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        // Like a DynamoDB Query with a filter: `limit` items are examined, the filter may drop
        // some, and the page ends where examination stopped.
        let examined: Vec<&(chrono::DateTime<chrono::Utc>, SessionId)> = index
            .range((Bound::Unbounded, upper))
            .rev()
            .take(limit)
            .collect();
        let next = (examined.len() == limit)
            .then(|| {
                examined.last().map(|(at, id)| CursorPosition {
                    created_at: *at,
                    session_id: *id,
                })
            })
            .flatten();
        let sessions = examined
            .into_iter()
            .filter_map(|(_, id)| state.sessions.get(id))
            .map(|stored| &stored.value)
            .filter(|s| {
                query
                    .unexpired_at
                    .is_none_or(|now| !s.is_revoked() && s.expires_at() > now)
            })
            .cloned()
            .collect();
        Ok(SessionPage { sessions, next })
    }

    async fn has_marker(&self, key: &str) -> Result<bool, StoreError> {
        self.read_fault()?;
        Ok(self.state().markers.contains(key))
    }

    async fn load_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.read_fault()?;
        Ok(self.state().idempotency.get(key).cloned())
    }

    async fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> Result<RotationAttempt, StoreError> {
        // A write: it fails like a commit.
        if self.inner.faults.take_commit_failure() {
            return Err(StoreError::Unavailable(Box::new(InjectedFailure)));
        }
        Ok(self.state().rotate_refresh_token(&rotation))
    }

    async fn load_revoke_all(
        &self,
        outcome_id: EventId,
    ) -> Result<Option<Versioned<RevokeAllContinuation>>, StoreError> {
        self.read_fault()?;
        Ok(self.state().continuations.get(&outcome_id).cloned())
    }

    async fn unfinished_revoke_alls(
        &self,
    ) -> Result<Vec<Versioned<RevokeAllContinuation>>, StoreError> {
        self.read_fault()?;
        Ok(self.state().continuations.values().cloned().collect())
    }

    async fn sessions_due_for_redaction(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        self.read_fault()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.state().due_for_redaction(now, limit))
    }

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        if self.inner.faults.take_commit_failure() {
            return Err(CommitError::Store(StoreError::Unavailable(Box::new(
                InjectedFailure,
            ))));
        }
        let has_events = !changes.events.is_empty();
        self.state()
            .apply(changes)
            .map_err(|refused| match refused {
                Refused::ConditionFailed => CommitError::Conflict,
                Refused::AlreadyProcessed => CommitError::AlreadyProcessed,
            })?;
        if has_events {
            self.inner.events_committed.notify_one();
        }
        Ok(())
    }

    fn max_writes_per_commit(&self) -> usize {
        usize::MAX
    }

    async fn backoff(&self, _attempt: u32) {
        // Commits are instantaneous here; a conflict means another command already finished.
    }
}
