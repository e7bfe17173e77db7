//! Device record items (docs/0047): one per device of a user, in the user's partition, deleted
//! by TTL `history_days` after its latest session's expiry or its removal (docs/0050).

use session_core::domain::Device;
use session_core::domain::retention::DEFAULT_HISTORY_DAYS;
use session_core::ports::{StoreError, Versioned};

use super::attr::{self, Item, Reader};
use crate::schema::{self, TTL, VERSION};

const KIND: &str = "device";

const USER_ID: &str = "user_id";
const DEVICE_ID: &str = "device_id";
const NAME: &str = "name";
const FIRST_SEEN: &str = "first_seen";
const LAST_SEEN: &str = "last_seen";
const PLATFORM: &str = "platform";
const DEVICE_TYPE: &str = "device_type";
const LAST_LOCATION: &str = "last_location";
const SESSION_ID: &str = "session_id";
const SESSION_EXPIRES_AT: &str = "session_expires_at";
const TRUSTED_AT: &str = "trusted_at";
const TRUSTED_UNTIL: &str = "trusted_until";
// Added with retention (docs/0050): absent in items written before.
const HISTORY_DAYS: &str = "history_days";
/// Named by the condition that lets a login record a forgotten device afresh.
pub(crate) const FORGOTTEN_AT: &str = "forgotten_at";

pub(crate) fn encode_device(device: &Device, version: u64) -> Item {
    let mut item = schema::device_key(&device.user_id, &device.device_id);
    item.extend([
        (VERSION.to_owned(), attr::number(version)),
        (USER_ID.to_owned(), attr::string(device.user_id.as_str())),
        (
            DEVICE_ID.to_owned(),
            attr::string(device.device_id.as_str()),
        ),
        (FIRST_SEEN.to_owned(), attr::time(device.first_seen)),
        (LAST_SEEN.to_owned(), attr::time(device.last_seen)),
        (HISTORY_DAYS.to_owned(), attr::number(device.history_days)),
        (
            TTL.to_owned(),
            attr::number(schema::ttl_value(device.history_until())),
        ),
    ]);
    let text = |value: &Option<String>| value.as_deref().map(attr::string);
    attr::put_opt(
        &mut item,
        NAME,
        device.name.as_ref().map(|n| attr::string(n.as_str())),
    );
    attr::put_opt(&mut item, PLATFORM, text(&device.platform));
    attr::put_opt(
        &mut item,
        DEVICE_TYPE,
        device.device_type.map(|kind| attr::string(kind.as_str())),
    );
    attr::put_opt(&mut item, LAST_LOCATION, text(&device.last_location));
    attr::put_opt(
        &mut item,
        SESSION_ID,
        device.session_id.map(|id| attr::string(id.to_string())),
    );
    attr::put_opt(
        &mut item,
        SESSION_EXPIRES_AT,
        device.session_expires_at.map(attr::time),
    );
    attr::put_opt(&mut item, TRUSTED_AT, device.trusted_at.map(attr::time));
    attr::put_opt(
        &mut item,
        TRUSTED_UNTIL,
        device.trusted_until.map(attr::time),
    );
    attr::put_opt(&mut item, FORGOTTEN_AT, device.forgotten_at.map(attr::time));
    item
}

pub(crate) fn decode_device(item: &Item) -> Result<Versioned<Device>, StoreError> {
    let r = Reader::new(item, KIND);
    Ok(Versioned {
        value: Device {
            user_id: r.parse(USER_ID)?,
            device_id: r.parse(DEVICE_ID)?,
            name: r.opt_parse(NAME)?,
            first_seen: r.time(FIRST_SEEN)?,
            last_seen: r.time(LAST_SEEN)?,
            platform: r.opt_string(PLATFORM)?,
            device_type: r.opt_parse(DEVICE_TYPE)?,
            last_location: r.opt_string(LAST_LOCATION)?,
            session_id: r.opt_parse(SESSION_ID)?,
            session_expires_at: r.opt_time(SESSION_EXPIRES_AT)?,
            trusted_at: r.opt_time(TRUSTED_AT)?,
            trusted_until: r.opt_time(TRUSTED_UNTIL)?,
            history_days: r.opt_number(HISTORY_DAYS)?.unwrap_or(DEFAULT_HISTORY_DAYS),
            forgotten_at: r.opt_time(FORGOTTEN_AT)?,
        },
        version: r.number(VERSION)?,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
    use session_core::ids::{DeviceId, DeviceName, SessionId, UserId};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_device_round_trips_with_every_field_and_with_none() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::nanoseconds(7);
        let mut device = Device {
            user_id: UserId::from_str("alice").unwrap(),
            device_id: DeviceId::from_str("install-0001").unwrap(),
            name: Some(DeviceName::from_str("Jane's phone").unwrap()),
            first_seen: at,
            last_seen: at + Duration::days(1),
            platform: Some("Safari on iOS".into()),
            device_type: Some(session_core::domain::DeviceType::Mobile),
            last_location: Some("Berlin, DE".into()),
            session_id: Some(SessionId::from_uuid(Uuid::now_v7())),
            session_expires_at: Some(at + Duration::days(30)),
            trusted_at: Some(at),
            trusted_until: Some(at + Duration::days(7)),
            history_days: 45,
            forgotten_at: Some(at + Duration::days(2)),
        };
        let decoded = decode_device(&encode_device(&device, 3)).unwrap();
        assert_eq!(decoded.version, 3);
        assert_eq!(decoded.value, device);
        device.name = None;
        device.platform = None;
        device.device_type = None;
        device.last_location = None;
        device.session_id = None;
        device.session_expires_at = None;
        device.trusted_at = None;
        device.trusted_until = None;
        device.forgotten_at = None;
        assert_eq!(
            decode_device(&encode_device(&device, 1)).unwrap().value,
            device
        );
    }

    #[test]
    fn the_ttl_is_the_history_after_the_latest_session_or_the_removal() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut device = Device {
            user_id: UserId::from_str("alice").unwrap(),
            device_id: DeviceId::from_str("install-0001").unwrap(),
            name: None,
            first_seen: at,
            last_seen: at,
            platform: None,
            device_type: None,
            last_location: None,
            session_id: Some(SessionId::from_uuid(Uuid::now_v7())),
            session_expires_at: Some(at + Duration::days(30)),
            trusted_at: None,
            trusted_until: None,
            history_days: 90,
            forgotten_at: None,
        };
        let ttl = |device: &Device| encode_device(device, 1)[TTL].clone();
        assert_eq!(
            ttl(&device),
            attr::number((at + Duration::days(120)).timestamp())
        );
        device.forget(at + Duration::days(5));
        assert_eq!(
            ttl(&device),
            attr::number((at + Duration::days(95)).timestamp())
        );
        let mut old = encode_device(&device, 1);
        old.remove(HISTORY_DAYS);
        old.remove(FORGOTTEN_AT);
        let decoded = decode_device(&old).unwrap().value;
        assert_eq!(decoded.history_days, DEFAULT_HISTORY_DAYS);
        assert!(!decoded.is_forgotten());
    }
}
