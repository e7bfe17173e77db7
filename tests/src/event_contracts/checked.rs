//! The choke point every event of the service passes: a command hands its events to the store in
//! its change set. Wrapping a store in [`CheckedStore`] checks each committed event against its
//! contract, whether or not the test ever reads it back.

use session_core::domain::{Device, Session, UserLedger};
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, FastRotation, IdempotencyRecord, LoginRead, RevokeAllContinuation,
    RotationAttempt, SessionPage, SessionQuery, SessionStore, StoreError, UserWithIndex, Versioned,
};

use super::check_detail;

#[derive(Clone, Debug, Default)]
pub struct CheckedStore<S> {
    inner: S,
}

impl<S> CheckedStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SessionStore> SessionStore for CheckedStore<S> {
    async fn load_user(
        &self,
        user_id: &UserId,
    ) -> Result<Option<Versioned<UserLedger>>, StoreError> {
        self.inner.load_user(user_id).await
    }

    async fn load_session(&self, id: SessionId) -> Result<Option<Versioned<Session>>, StoreError> {
        self.inner.load_session(id).await
    }

    async fn load_user_with_index(&self, user_id: &UserId) -> Result<UserWithIndex, StoreError> {
        self.inner.load_user_with_index(user_id).await
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

    /// A rotation commits no event (its activity is not one).
    async fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> Result<RotationAttempt, StoreError> {
        self.inner.rotate_refresh_token(rotation).await
    }

    /// Checks the events once they are committed (a refused change set emitted nothing).
    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        let details: Vec<_> = changes
            .events
            .iter()
            .map(|event| (event.detail_type(), event.to_detail()))
            .collect();
        let committed = self.inner.commit(changes).await;
        if committed.is_ok() {
            for (detail_type, detail) in &details {
                check_detail(detail_type, detail);
            }
        }
        committed
    }

    fn max_writes_per_commit(&self) -> usize {
        self.inner.max_writes_per_commit()
    }

    async fn backoff(&self, attempt: u32) {
        self.inner.backoff(attempt).await;
    }
}
