//! A store on which every commit loses its race (docs/0044): without a deadline a login gives
//! up after its retry budget (`contention`); with one, its conflict retries stop at the deadline
//! (`deadline_exceeded`), long before the budget, and no back-off starts after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use session_core::app::DEFAULT_MAX_ATTEMPTS;
use session_core::domain::{Device, PolicyConfig, Session, UserLedger};
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, FastRotation, IdempotencyRecord, LoginRead, RevokeAllContinuation,
    RotationAttempt, SessionPage, SessionQuery, SessionStore, StoreError, UserWithIndex, Versioned,
};
use session_core::{Deadline, SessionError, Sessions};
use session_memory::MemoryStore;
use session_tests::fixture::{login_cmd, register, user};

/// Each back-off: long enough that the whole retry budget takes far longer than the deadline.
const BACKOFF: Duration = Duration::from_millis(10);
const BUDGET: Duration = Duration::from_millis(150);
/// How late after the deadline the answer may come: one back-off and a busy machine.
const SLACK: Duration = Duration::from_millis(250);

/// Reads from the embedded store; every commit conflicts, as if another command always won.
#[derive(Clone)]
struct LosingStore {
    inner: MemoryStore,
    commits: Arc<AtomicU32>,
}

impl LosingStore {
    /// Over an embedded store where `user` is registered on the basic tier.
    async fn with_user(user: &UserId) -> Self {
        let inner = MemoryStore::new();
        register(
            &Sessions::new(inner.clone(), PolicyConfig::default()),
            user,
            "basic",
            None,
        )
        .await;
        Self {
            inner,
            commits: Arc::default(),
        }
    }
}

impl SessionStore for LosingStore {
    async fn load_user(
        &self,
        user_id: &UserId,
    ) -> Result<Option<Versioned<UserLedger>>, StoreError> {
        self.inner.load_user(user_id).await
    }

    async fn load_user_with_index(&self, user_id: &UserId) -> Result<UserWithIndex, StoreError> {
        self.inner.load_user_with_index(user_id).await
    }

    async fn load_session(&self, id: SessionId) -> Result<Option<Versioned<Session>>, StoreError> {
        self.inner.load_session(id).await
    }

    async fn load_revoke_all(
        &self,
        outcome_id: EventId,
    ) -> Result<Option<Versioned<RevokeAllContinuation>>, StoreError> {
        self.inner.load_revoke_all(outcome_id).await
    }

    async fn unfinished_revoke_alls(
        &self,
    ) -> Result<Vec<Versioned<RevokeAllContinuation>>, StoreError> {
        self.inner.unfinished_revoke_alls().await
    }

    async fn load_login(
        &self,
        user_id: &UserId,
        device_id: Option<&DeviceId>,
    ) -> Result<LoginRead, StoreError> {
        self.inner.load_login(user_id, device_id).await
    }

    async fn load_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> Result<Option<Versioned<Device>>, StoreError> {
        self.inner.load_device(user_id, device_id).await
    }

    async fn list_devices(&self, user_id: &UserId) -> Result<Vec<Versioned<Device>>, StoreError> {
        self.inner.list_devices(user_id).await
    }

    async fn list_user_sessions(&self, query: SessionQuery) -> Result<SessionPage, StoreError> {
        self.inner.list_user_sessions(query).await
    }

    async fn has_marker(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.has_marker(key).await
    }

    async fn load_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.load_idempotency(key).await
    }

    async fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> Result<RotationAttempt, StoreError> {
        self.inner.rotate_refresh_token(rotation).await
    }

    async fn commit(&self, _changes: ChangeSet) -> Result<(), CommitError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        Err(CommitError::Conflict)
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, _attempt: u32) {
        tokio::time::sleep(BACKOFF).await;
    }
}

#[tokio::test]
async fn conflict_retries_stop_at_the_deadline() {
    let user = user("contended");

    let store = LosingStore::with_user(&user).await;
    let unbounded = Sessions::new(store.clone(), PolicyConfig::default());
    let result = unbounded.create_session(login_cmd(&user)).await;
    assert!(
        matches!(result, Err(SessionError::Contention)),
        "{result:?}"
    );
    assert_eq!(store.commits.load(Ordering::SeqCst), DEFAULT_MAX_ATTEMPTS);

    let store = LosingStore::with_user(&user).await;
    let bounded = Sessions::new(store.clone(), PolicyConfig::default())
        .with_deadline(Deadline::after(BUDGET));
    let started = Instant::now();
    let result = bounded.create_session(login_cmd(&user)).await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(SessionError::DeadlineExceeded)),
        "{result:?}"
    );
    assert!(took >= BUDGET, "stopped before the deadline: {took:?}");
    assert!(took <= BUDGET + SLACK, "stopped late: {took:?}");
    let commits = store.commits.load(Ordering::SeqCst);
    assert!(
        commits > 1 && commits < DEFAULT_MAX_ATTEMPTS,
        "{commits} commits: retried until the deadline, not the budget"
    );
    eprintln!("contention: {commits} commits in {took:?} against a {BUDGET:?} deadline");
}
