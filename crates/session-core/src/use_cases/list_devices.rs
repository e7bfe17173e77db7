//! ListDevices: a user's devices with their live session, the caller's marked (docs/0047).

use chrono::{DateTime, Utc};

use crate::app::Sessions;
use crate::domain::{Device, Session};
use crate::error::SessionError;
use crate::ids::{SessionId, UserId};
use crate::ports::SessionStore;

#[derive(Clone, Debug)]
pub struct ListDevices {
    pub user_id: UserId,
    /// The session the request came with, marked as current.
    pub current_session: Option<SessionId>,
}

/// One device as its user sees it.
#[derive(Clone, Debug)]
pub struct ListedDevice {
    pub device: Device,
    /// Its session, when still active.
    pub session: Option<Session>,
    /// The request came from this device's session.
    pub is_current: bool,
    /// Until when the device is trusted, when it is.
    pub trusted_until: Option<DateTime<Utc>>,
}

impl<S: SessionStore> Sessions<S> {
    /// The user's devices, most recently seen first. Reads the ledger (for the cutoff that ends
    /// trust), the devices, and each device's unexpired session.
    pub async fn list_devices(
        &self,
        query: ListDevices,
    ) -> Result<Vec<ListedDevice>, SessionError> {
        let now = self.clock.now();
        let revoked_before = self
            .store
            .load_user(&query.user_id)
            .await?
            .and_then(|ledger| ledger.value.revoked_before);
        let mut listed = Vec::new();
        for stored in self.store.list_devices(&query.user_id).await? {
            let device = stored.value;
            let session = match device.unexpired_session(now) {
                Some(id) => self
                    .store
                    .load_session(id)
                    .await?
                    .map(|s| s.value)
                    .filter(|s| s.is_active(now) && s.user_id() == &query.user_id),
                None => None,
            };
            listed.push(ListedDevice {
                is_current: session
                    .as_ref()
                    .is_some_and(|s| Some(s.id()) == query.current_session),
                trusted_until: device.trusted_until_at(now, revoked_before),
                session,
                device,
            });
        }
        listed.sort_by_key(|d| std::cmp::Reverse(d.device.last_seen));
        Ok(listed)
    }
}
