//! Bodies of the device routes (docs/0047): the user's devices, their names, and the auth
//! service's trust.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::Device;
use session_core::ids::{DeviceId, DeviceName, InvalidValue, UserId};
use session_core::use_cases::{ListedDevice, RenameDevice, TrustDevice};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::fields::{self, FieldErrors};
use crate::dto::json_object::object_body;
use crate::problem::ApiError;

/// One of the user's devices.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    #[schema(example = "install-7f3a9c2e")]
    pub id: String,
    #[schema(example = "Jane's phone")]
    pub name: Option<String>,
    /// What its latest login's user agent said.
    #[schema(example = "Safari on iOS")]
    pub platform: Option<String>,
    #[schema(example = "mobile")]
    pub device_type: Option<String>,
    #[schema(example = "Berlin, DE")]
    pub last_location: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Its active session, if it has one.
    pub session_id: Option<Uuid>,
    /// The request was made with this device's session.
    pub is_current: bool,
    pub is_trusted: bool,
    /// Until when the auth service trusts it, while it does.
    pub trusted_until: Option<DateTime<Utc>>,
}

impl DeviceView {
    fn of(device: Device) -> Self {
        Self {
            id: device.device_id.as_str().to_owned(),
            name: device.name.map(String::from),
            platform: device.platform,
            device_type: device.device_type.map(|kind| kind.as_str().to_owned()),
            last_location: device.last_location,
            first_seen: device.first_seen,
            last_seen: device.last_seen,
            session_id: None,
            is_current: false,
            is_trusted: false,
            trusted_until: None,
        }
    }
}

impl From<ListedDevice> for DeviceView {
    fn from(listed: ListedDevice) -> Self {
        Self {
            session_id: listed.session.as_ref().map(|s| *s.id().as_uuid()),
            is_current: listed.is_current,
            is_trusted: listed.trusted_until.is_some(),
            trusted_until: listed.trusted_until,
            ..Self::of(listed.device)
        }
    }
}

/// The caller's devices, most recently seen first.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceListResponse {
    pub devices: Vec<DeviceView>,
}

impl From<Vec<ListedDevice>> for DeviceListResponse {
    fn from(devices: Vec<ListedDevice>) -> Self {
        Self {
            devices: devices.into_iter().map(DeviceView::from).collect(),
        }
    }
}

/// A new name for a device.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct RenameDeviceRequest {
    #[schema(schema_with = crate::dto::schema::device_name)]
    pub name: String,
}

object_body!(RenameDeviceRequest);

impl RenameDeviceRequest {
    pub(crate) fn into_command(
        self,
        user_id: UserId,
        device_id: Result<DeviceId, InvalidValue>,
    ) -> Result<RenameDevice, ApiError> {
        let mut errors = FieldErrors::default();
        let device_id = errors.check(device_id);
        let name = errors.check(DeviceName::try_from(self.name));
        match (device_id, name) {
            (Some(device_id), Some(name)) if errors.is_empty() => Ok(RenameDevice {
                user_id,
                device_id,
                name,
            }),
            _ => Err(errors.into_error()),
        }
    }
}

/// The device is trusted (a second factor was completed on it) until `trusted_until`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct TrustDeviceRequest {
    /// RFC 3339, in the future and at most 90 days ahead.
    #[schema(format = DateTime)]
    pub trusted_until: String,
}

object_body!(TrustDeviceRequest);

impl TrustDeviceRequest {
    pub(crate) fn into_command(
        self,
        user_id: Result<UserId, InvalidValue>,
        device_id: Result<DeviceId, InvalidValue>,
    ) -> Result<TrustDevice, ApiError> {
        let mut errors = FieldErrors::default();
        let user_id = errors.check(user_id);
        let device_id = errors.check(device_id);
        let until = errors.check(fields::timestamp("trusted_until", Some(self.trusted_until)));
        match (user_id, device_id, until) {
            (Some(user_id), Some(device_id), Some(Some(trusted_until))) if errors.is_empty() => {
                Ok(TrustDevice {
                    user_id,
                    device_id,
                    trusted_until,
                })
            }
            _ => Err(errors.into_error()),
        }
    }
}

/// The device as trusted.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustedDeviceResponse {
    pub device_id: String,
    pub trusted_until: DateTime<Utc>,
}

impl TrustedDeviceResponse {
    pub(crate) fn of(device: &Device) -> Option<Self> {
        device.trusted_until.map(|trusted_until| Self {
            device_id: device.device_id.as_str().to_owned(),
            trusted_until,
        })
    }
}

/// The renamed device.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct RenamedDeviceResponse {
    pub id: String,
    pub name: Option<String>,
}

impl From<Device> for RenamedDeviceResponse {
    fn from(device: Device) -> Self {
        Self {
            id: device.device_id.as_str().to_owned(),
            name: device.name.map(String::from),
        }
    }
}
