//! The application service: the ports wired together, shared by every use case.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::deadline::Deadline;
use crate::domain::{
    ActiveEntry, Actor, EffectiveLimit, PolicyConfig, RevocationReason, Session, SessionStatus,
    UserLedger,
};
use crate::events::{self, DomainEvent, EventPayload};
use crate::ids::{EventId, SessionId};
use crate::ports::{
    ChangeSet, Clock, CommitError, DeviceEnricher, IdGenerator, LocationEnricher, NoEnrichment,
    SessionStore, SessionWrite, StoreError, SystemClock, UuidV7Ids, Versioned,
};

/// How many times a command re-reads and retries after losing a race. Generous because each
/// conflict means another command made progress; the store's back-off spreads the retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 64;

/// Every use case is a method on this type, one file each under `use_cases/`.
pub struct Sessions<S> {
    pub(crate) store: S,
    pub(crate) policy: Arc<PolicyConfig>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) device: Arc<dyn DeviceEnricher>,
    pub(crate) location: Arc<dyn LocationEnricher>,
    pub(crate) max_attempts: u32,
    /// When set, retries stop once it has passed (docs/0044).
    pub(crate) deadline: Option<Deadline>,
}

impl<S: Clone> Clone for Sessions<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            policy: Arc::clone(&self.policy),
            clock: Arc::clone(&self.clock),
            ids: Arc::clone(&self.ids),
            device: Arc::clone(&self.device),
            location: Arc::clone(&self.location),
            max_attempts: self.max_attempts,
            deadline: self.deadline,
        }
    }
}

impl<S: SessionStore> Sessions<S> {
    /// Production defaults: system clock, random UUID v7s, no enrichment.
    pub fn new(store: S, policy: PolicyConfig) -> Self {
        Self {
            store,
            policy: Arc::new(policy),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            device: Arc::new(NoEnrichment),
            location: Arc::new(NoEnrichment),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            deadline: None,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }

    pub fn with_device_enricher(mut self, device: Arc<dyn DeviceEnricher>) -> Self {
        self.device = device;
        self
    }

    pub fn with_location_enricher(mut self, location: Arc<dyn LocationEnricher>) -> Self {
        self.location = location;
        self
    }

    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The same use cases bound to one request's deadline: no attempt or back-off starts after
    /// it. Per request, on a clone (cheap: the shared parts are behind `Arc`s).
    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn policy(&self) -> &PolicyConfig {
        &self.policy
    }

    pub(crate) fn event(&self, payload: EventPayload) -> DomainEvent {
        self.event_with_id(self.new_event_id(), payload)
    }

    /// An event with an id chosen beforehand: two alternative outcomes of one command share
    /// it, so the outbox (which writes an id once) can only ever hold one of them.
    pub(crate) fn event_with_id(&self, event_id: EventId, payload: EventPayload) -> DomainEvent {
        DomainEvent {
            event_id,
            occurred_at: self.clock.now(),
            payload,
        }
    }

    pub(crate) fn new_event_id(&self) -> EventId {
        EventId::from_uuid(self.ids.next_id())
    }

    pub(crate) fn new_session_id(&self) -> SessionId {
        SessionId::from_uuid(self.ids.next_id())
    }

    /// The 3-state events of a revocation the service itself makes (suspicious activity, a
    /// replayed refresh token). Committed together with the revocation, so there is never an
    /// Attempted without its outcome; if the commit fails, nothing happened (docs/0004).
    pub(crate) fn system_revocation_events(
        &self,
        session: &Session,
        reason: RevocationReason,
    ) -> [DomainEvent; 2] {
        [
            self.event(EventPayload::SessionRevocationAttempted(
                events::SessionRevocationAttempted {
                    session_id: session.id(),
                    user_id: session.user_id().clone(),
                    reason,
                    by: Actor::System,
                },
            )),
            self.event(EventPayload::SessionRevoked(events::SessionRevoked {
                session_id: session.id(),
                user_id: session.user_id().clone(),
                reason,
                device_info: session.device_info().map(str::to_owned),
                revoked_by_user: None,
                by: Actor::System,
                note: None,
            })),
        ]
    }

    /// Records the outcome events of a command that did not go through. If the store cannot take
    /// even these, nothing was written at all and no Attempted event stands alone.
    pub(crate) async fn record_failure(&self, events: Vec<DomainEvent>) {
        if let Err(error) = self.store.commit(ChangeSet::events(events)).await {
            tracing::error!(%error, "could not record the failure events of a command");
        }
    }

    /// The sessions among `live` (index entries, all unexpired) that went idle. The index does
    /// not track activity, so it counts idle sessions as live; once a limit is reached they are
    /// read so that they neither count nor get evicted in place of active ones. Only tiers with
    /// an idle timeout pay these reads. A session missing from the store keeps counting.
    pub(crate) async fn idle_in_index(
        &self,
        rules: &EffectiveLimit,
        live: &[(SessionId, &ActiveEntry)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        if rules.idle_timeout_secs.is_none() {
            return Ok(Vec::new());
        }
        let ids: Vec<SessionId> = live.iter().map(|(id, _)| *id).collect();
        let sessions = self.store.load_sessions(&ids).await?;
        Ok(Self::idle_among(&sessions, now))
    }

    /// The sessions of `sessions` that went idle.
    pub(crate) fn idle_among(
        sessions: &[Versioned<Session>],
        now: DateTime<Utc>,
    ) -> Vec<Versioned<Session>> {
        sessions
            .iter()
            .filter(|stored| stored.value.status(now) == SessionStatus::IdleExpired)
            .cloned()
            .collect()
    }

    /// Drops idle sessions from the index (idleness is final: no write reaches an inactive
    /// session). The returned writes, unchanged sessions at the version read, make the commit
    /// conflict if one of them was written meanwhile, so the index never loses an active session.
    pub(crate) fn forget_idle(
        ledger: &mut UserLedger,
        idle: Vec<Versioned<Session>>,
    ) -> Vec<SessionWrite> {
        idle.into_iter()
            .map(|stored| {
                ledger.active.remove(&stored.value.id());
                SessionWrite::Replace {
                    session: stored.value,
                    expected_version: stored.version,
                }
            })
            .collect()
    }

    /// Fails with [`SessionError::DeadlineExceeded`](crate::SessionError::DeadlineExceeded) once
    /// the deadline has passed.
    pub(crate) fn check_deadline(&self) -> Result<(), crate::SessionError> {
        match self.deadline {
            Some(deadline) if deadline.has_passed() => Err(crate::SessionError::DeadlineExceeded),
            _ => Ok(()),
        }
    }

    /// The wait before retry number `attempt` after a conflict, unless the deadline has passed
    /// before or during it: then there is no time left for the retry.
    pub(crate) async fn backoff_before_retry(
        &self,
        attempt: u32,
    ) -> Result<(), crate::SessionError> {
        self.check_deadline()?;
        self.store.backoff(attempt).await;
        self.check_deadline()
    }

    /// Runs `attempt` until it commits or fails for a reason other than a conflict, or the
    /// deadline passes (checked before each attempt and around each back-off).
    pub(crate) async fn retry_on_conflict<T, F, Fut>(&self, mut attempt: F) -> Result<T, Retry>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Retry>>,
    {
        for n in 0..self.max_attempts {
            if n > 0 {
                self.backoff_before_retry(n).await?;
            } else {
                self.check_deadline()?;
            }
            match attempt().await {
                Err(Retry::Conflict) => continue,
                other => return other,
            }
        }
        Err(Retry::Exhausted)
    }
}

/// How one attempt of a command ended when it did not succeed.
#[derive(Debug)]
pub(crate) enum Retry {
    Conflict,
    Exhausted,
    Failed(crate::SessionError),
}

impl From<CommitError> for Retry {
    fn from(error: CommitError) -> Self {
        match error {
            // Only commands that carry a marker can meet this, and they handle it before here.
            CommitError::Conflict | CommitError::AlreadyProcessed => Self::Conflict,
            CommitError::Store(e) => Self::Failed(e.into()),
        }
    }
}

impl From<crate::ports::StoreError> for Retry {
    fn from(error: crate::ports::StoreError) -> Self {
        Self::Failed(error.into())
    }
}

impl From<crate::SessionError> for Retry {
    fn from(error: crate::SessionError) -> Self {
        Self::Failed(error)
    }
}

impl From<Retry> for crate::SessionError {
    fn from(retry: Retry) -> Self {
        match retry {
            Retry::Conflict | Retry::Exhausted => Self::Contention,
            Retry::Failed(e) => e,
        }
    }
}
