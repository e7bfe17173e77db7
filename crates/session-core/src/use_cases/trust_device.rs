//! TrustDevice: the auth service trusts a user's device after a second factor on it, until an
//! expiry; the device's live session shows it at once, later logins on it carry it (docs/0047).

use chrono::{DateTime, Utc};

use crate::app::{Retry, Sessions};
use crate::domain::Device;
use crate::domain::device::{MAX_TRUST_DAYS, trust_expiry_allowed};
use crate::error::{InvalidInput, SessionError};
use crate::ids::{DeviceId, UserId};
use crate::ports::{ChangeSet, DeviceWrite, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct TrustDevice {
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub trusted_until: DateTime<Utc>,
}

impl<S: SessionStore> Sessions<S> {
    /// The device as trusted. An unknown device (or another user's) is `DeviceNotFound`.
    pub async fn trust_device(&self, cmd: TrustDevice) -> Result<Device, SessionError> {
        if !trust_expiry_allowed(self.clock.now(), cmd.trusted_until) {
            return Err(InvalidInput::TrustExpiry {
                max_days: MAX_TRUST_DAYS,
            }
            .into());
        }
        self.retry_on_conflict(|| self.try_trust(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_trust(&self, cmd: &TrustDevice) -> Result<Device, Retry> {
        let now = self.clock.now();
        let Some(stored) = self.store.load_device(&cmd.user_id, &cmd.device_id).await? else {
            return Err(SessionError::DeviceNotFound.into());
        };
        let mut device = stored.value;
        device.trust(now, cmd.trusted_until);
        let mut changes = ChangeSet {
            devices: vec![DeviceWrite::Put {
                device: device.clone(),
                expected_version: Some(stored.version),
            }],
            ..ChangeSet::default()
        };
        if let Some(id) = device.unexpired_session(now)
            && let Some(session) = self.store.load_session(id).await?
            && session.value.user_id() == &cmd.user_id
        {
            let mut trusted = session.value;
            if trusted.trust_until(cmd.trusted_until) {
                changes.sessions.push(SessionWrite::Replace {
                    session: trusted,
                    expected_version: session.version,
                });
            }
        }
        self.store.commit(changes).await?;
        Ok(device)
    }
}
