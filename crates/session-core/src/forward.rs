//! Store wrappers (metrics, event checks, test gates) change what a commit does and pass every
//! read on unchanged. [`forward_store_reads!`](crate::forward_store_reads) writes those reads once.

use std::future::Future;

/// Awaits `read` as it is: what [`forward_store_reads!`](crate::forward_store_reads) calls reads
/// through when the wrapper names no method of its own.
pub async fn unchanged<S: ?Sized, F: Future>(_: &S, read: F) -> F::Output {
    read.await
}

/// Implements every read of [`SessionStore`](crate::ports::SessionStore), and the fast-path
/// refresh rotation, by calling the same method on the field `$inner`. Use it inside the
/// wrapper's `impl SessionStore`, which then adds `commit`, `max_writes_per_commit` and `backoff`.
///
/// `forward_store_reads!(inner)` passes each read on as it is; `forward_store_reads!(inner, via
/// Self::observed)` hands each read's future to `Self::observed(self, read)` (an async fn generic
/// in the read's output) to await: to time, count or delay it.
#[macro_export]
macro_rules! forward_store_reads {
    ($inner:ident) => {
        $crate::forward_store_reads!($inner, via $crate::forward::unchanged);
    };
    ($inner:ident, via $($through:tt)+) => {
        async fn load_user(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::UserLedger>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_user(user_id)).await
        }

        async fn load_user_with_index(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<$crate::ports::UserWithIndex, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_user_with_index(user_id)).await
        }

        async fn load_login(
            &self,
            user_id: &$crate::ids::UserId,
            device_id: Option<&$crate::ids::DeviceId>,
        ) -> Result<$crate::ports::LoginRead, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_login(user_id, device_id)).await
        }

        async fn load_device(
            &self,
            user_id: &$crate::ids::UserId,
            device_id: &$crate::ids::DeviceId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::Device>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_device(user_id, device_id)).await
        }

        async fn list_devices(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<Vec<$crate::ports::Versioned<$crate::domain::Device>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.list_devices(user_id)).await
        }

        async fn load_session(
            &self,
            id: $crate::ids::SessionId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::Session>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_session(id)).await
        }

        async fn list_user_sessions(
            &self,
            query: $crate::ports::SessionQuery,
        ) -> Result<$crate::ports::SessionPage, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.list_user_sessions(query)).await
        }

        async fn has_marker(&self, key: &str) -> Result<bool, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.has_marker(key)).await
        }

        async fn load_idempotency(
            &self,
            key: &$crate::ids::IdempotencyKey,
        ) -> Result<Option<$crate::ports::IdempotencyRecord>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_idempotency(key)).await
        }

        async fn rotate_refresh_token(
            &self,
            rotation: $crate::ports::FastRotation,
        ) -> Result<$crate::ports::RotationAttempt, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.rotate_refresh_token(rotation)).await
        }

        async fn load_revoke_all(
            &self,
            outcome_id: $crate::ids::EventId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::ports::RevokeAllContinuation>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.load_revoke_all(outcome_id)).await
        }

        async fn unfinished_revoke_alls(
            &self,
        ) -> Result<Vec<$crate::ports::Versioned<$crate::ports::RevokeAllContinuation>>, $crate::ports::StoreError> {
            $($through)+(self, self.$inner.unfinished_revoke_alls()).await
        }
    };
}
