//! A store wrapper that lets other tasks run before every call, as network latency would.
//!
//! An in-process store answers without ever suspending, so a command's read and its commit run
//! back to back and racing commands rarely interleave between them. Yielding first puts other
//! tasks between every two store calls, which is where the races of a remote store happen.

use session_core::domain::{Device, Session, UserLedger};
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, FastRotation, IdempotencyRecord, LoginRead, RevokeAllContinuation,
    RotationAttempt, SessionPage, SessionQuery, SessionStore, StoreError, UserWithIndex, Versioned,
};

#[derive(Clone, Debug, Default)]
pub struct YieldingStore<S> {
    inner: S,
}

impl<S> YieldingStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SessionStore> SessionStore for YieldingStore<S> {
    async fn load_user(
        &self,
        user_id: &UserId,
    ) -> Result<Option<Versioned<UserLedger>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_user(user_id).await
    }

    async fn load_login(
        &self,
        user_id: &UserId,
        device_id: Option<&DeviceId>,
    ) -> Result<LoginRead, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_login(user_id, device_id).await
    }

    async fn load_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> Result<Option<Versioned<Device>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_device(user_id, device_id).await
    }

    async fn list_devices(&self, user_id: &UserId) -> Result<Vec<Versioned<Device>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.list_devices(user_id).await
    }

    async fn load_session(&self, id: SessionId) -> Result<Option<Versioned<Session>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_session(id).await
    }

    async fn load_user_with_index(&self, user_id: &UserId) -> Result<UserWithIndex, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_user_with_index(user_id).await
    }

    async fn list_user_sessions(&self, query: SessionQuery) -> Result<SessionPage, StoreError> {
        tokio::task::yield_now().await;
        self.inner.list_user_sessions(query).await
    }

    async fn has_marker(&self, key: &str) -> Result<bool, StoreError> {
        tokio::task::yield_now().await;
        self.inner.has_marker(key).await
    }

    async fn load_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_idempotency(key).await
    }

    async fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> Result<RotationAttempt, StoreError> {
        tokio::task::yield_now().await;
        self.inner.rotate_refresh_token(rotation).await
    }

    async fn load_revoke_all(
        &self,
        outcome_id: EventId,
    ) -> Result<Option<Versioned<RevokeAllContinuation>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.load_revoke_all(outcome_id).await
    }

    async fn unfinished_revoke_alls(
        &self,
    ) -> Result<Vec<Versioned<RevokeAllContinuation>>, StoreError> {
        tokio::task::yield_now().await;
        self.inner.unfinished_revoke_alls().await
    }

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        tokio::task::yield_now().await;
        self.inner.commit(changes).await
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
