//! Store wrappers (metrics, event checks, test gates) change what a commit does and pass every
//! read on unchanged. [`forward_store_reads!`](crate::forward_store_reads) writes those reads once.

/// Implements every read of [`SessionStore`](crate::ports::SessionStore), and the fast-path
/// refresh rotation, by calling the same method on the field `$inner`. Use it inside the
/// wrapper's `impl SessionStore`, which then adds `commit`, `max_writes_per_commit` and `backoff`.
///
/// `forward_store_reads!(inner)` awaits each read as it is; `forward_store_reads!(inner, via
/// Self::observed)` hands each read's future, boxed, to `Self::observed(self, read)` (an async fn
/// generic in the read's output) to await: to time, count or delay it. Boxed because a store's
/// read future can be large (the AWS SDK's, unoptimised in tests) and the wrapper would otherwise
/// copy it across the stack.
#[macro_export]
macro_rules! forward_store_reads {
    ($inner:ident) => {
        $crate::forward_store_reads!(@methods $inner, [direct]);
    };
    ($inner:ident, via $($through:tt)+) => {
        $crate::forward_store_reads!(@methods $inner, [via $($through)+]);
    };
    (@await [direct], $this:tt, $read:expr) => {
        $read.await
    };
    (@await [via $($through:tt)+], $this:tt, $read:expr) => {
        $($through)+($this, ::std::boxed::Box::pin($read)).await
    };
    (@methods $inner:ident, $how:tt) => {
        async fn load_user(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::UserLedger>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_user(user_id))
        }

        async fn load_user_with_index(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<$crate::ports::UserWithIndex, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_user_with_index(user_id))
        }

        async fn load_login(
            &self,
            user_id: &$crate::ids::UserId,
            device_id: Option<&$crate::ids::DeviceId>,
        ) -> Result<$crate::ports::LoginRead, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_login(user_id, device_id))
        }

        async fn load_device(
            &self,
            user_id: &$crate::ids::UserId,
            device_id: &$crate::ids::DeviceId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::Device>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_device(user_id, device_id))
        }

        async fn list_devices(
            &self,
            user_id: &$crate::ids::UserId,
        ) -> Result<Vec<$crate::ports::Versioned<$crate::domain::Device>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.list_devices(user_id))
        }

        async fn load_session(
            &self,
            id: $crate::ids::SessionId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::domain::Session>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_session(id))
        }

        async fn load_sessions(
            &self,
            ids: &[$crate::ids::SessionId],
        ) -> Result<Vec<$crate::ports::Versioned<$crate::domain::Session>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_sessions(ids))
        }

        async fn list_user_sessions(
            &self,
            query: $crate::ports::SessionQuery,
        ) -> Result<$crate::ports::SessionPage, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.list_user_sessions(query))
        }

        async fn has_marker(&self, key: &str) -> Result<bool, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.has_marker(key))
        }

        async fn load_idempotency(
            &self,
            key: &$crate::ids::IdempotencyKey,
        ) -> Result<Option<$crate::ports::IdempotencyRecord>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_idempotency(key))
        }

        async fn rotate_refresh_token(
            &self,
            rotation: $crate::ports::FastRotation,
        ) -> Result<$crate::ports::RotationAttempt, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.rotate_refresh_token(rotation))
        }

        async fn load_revoke_all(
            &self,
            outcome_id: $crate::ids::EventId,
        ) -> Result<Option<$crate::ports::Versioned<$crate::ports::RevokeAllContinuation>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.load_revoke_all(outcome_id))
        }

        async fn sessions_due_for_redaction(
            &self,
            now: ::chrono::DateTime<::chrono::Utc>,
            limit: u32,
        ) -> Result<Vec<$crate::ports::Versioned<$crate::domain::Session>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.sessions_due_for_redaction(now, limit))
        }

        async fn unfinished_revoke_alls(
            &self,
        ) -> Result<Vec<$crate::ports::Versioned<$crate::ports::RevokeAllContinuation>>, $crate::ports::StoreError> {
            $crate::forward_store_reads!(@await $how, self, self.$inner.unfinished_revoke_alls())
        }
    };
}
