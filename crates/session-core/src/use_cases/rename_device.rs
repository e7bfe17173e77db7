//! RenameDevice: the user names one of their devices (docs/0047).

use crate::app::{Retry, Sessions};
use crate::domain::Device;
use crate::error::SessionError;
use crate::ids::{DeviceId, DeviceName, UserId};
use crate::ports::{ChangeSet, DeviceWrite, SessionStore};

#[derive(Clone, Debug)]
pub struct RenameDevice {
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub name: DeviceName,
}

impl<S: SessionStore> Sessions<S> {
    /// The renamed device; another user's device is `DeviceNotFound`. Sessions keep the name
    /// they were created with.
    pub async fn rename_device(&self, cmd: RenameDevice) -> Result<Device, SessionError> {
        self.retry_on_conflict(|| self.try_rename(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_rename(&self, cmd: &RenameDevice) -> Result<Device, Retry> {
        let Some(stored) = self.store.load_device(&cmd.user_id, &cmd.device_id).await? else {
            return Err(SessionError::DeviceNotFound.into());
        };
        let mut device = stored.value;
        device.name = Some(cmd.name.clone());
        self.store
            .commit(ChangeSet {
                devices: vec![DeviceWrite::Put {
                    device: device.clone(),
                    expected_version: Some(stored.version),
                }],
                ..ChangeSet::default()
            })
            .await?;
        Ok(device)
    }
}
