//! A device of a user: what a client-kept `device_id` stands for across logins (docs/0047).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::DeviceType;
use crate::domain::retention::DEFAULT_HISTORY_DAYS;
use crate::domain::session::Session;
use crate::ids::{DeviceId, DeviceName, SessionId, UserId};

/// Longest trust the auth service may grant a device at once.
pub const MAX_TRUST_DAYS: i64 = 90;

/// One device of one user, kept from its first login until `history_days` after its latest
/// session's expiry, or after the user removed it (docs/0050).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Device {
    pub user_id: UserId,
    pub device_id: DeviceId,
    /// The user's (or client's) name for it.
    pub name: Option<DeviceName>,
    pub first_seen: DateTime<Utc>,
    /// The latest login on it.
    pub last_seen: DateTime<Utc>,
    /// What the latest login's user agent said ("Chrome on macOS").
    pub platform: Option<String>,
    /// What kind of device it is, when known.
    pub device_type: Option<DeviceType>,
    /// Where the latest login came from ("Berlin, DE").
    pub last_location: Option<String>,
    /// The session of its latest login and that session's expiry; the session may have ended
    /// since (a logout does not touch the device).
    pub session_id: Option<SessionId>,
    pub session_expires_at: Option<DateTime<Utc>>,
    /// When the auth service last trusted it (a second factor on it), and until when.
    pub trusted_at: Option<DateTime<Utc>>,
    pub trusted_until: Option<DateTime<Utc>>,
    /// How long the record is kept after its latest session's expiry or its removal: the
    /// history retention of its latest login's session.
    pub history_days: u16,
    /// When the user removed it. A forgotten device is kept for the history only: stores hide
    /// it from every read, and a later login from it records it afresh.
    pub forgotten_at: Option<DateTime<Utc>>,
}

impl Device {
    /// A device first seen at `session`'s login.
    pub fn first_seen_with(
        device_id: DeviceId,
        name: Option<DeviceName>,
        session: &Session,
    ) -> Self {
        let mut device = Self {
            user_id: session.user_id().clone(),
            device_id,
            name,
            first_seen: session.created_at(),
            last_seen: session.created_at(),
            platform: None,
            device_type: None,
            last_location: None,
            session_id: None,
            session_expires_at: None,
            trusted_at: None,
            trusted_until: None,
            history_days: DEFAULT_HISTORY_DAYS,
            forgotten_at: None,
        };
        device.signed_in_with(None, session);
        device
    }

    /// Records a login on this device: its session is now the device's session. A name sent
    /// with the login replaces the stored one; none keeps it.
    pub fn signed_in_with(&mut self, name: Option<DeviceName>, session: &Session) {
        if name.is_some() {
            self.name = name;
        }
        self.last_seen = session.created_at();
        if session.device_info().is_some() {
            self.platform = session.device_info().map(str::to_owned);
        }
        if session.device_type().is_some() {
            self.device_type = session.device_type();
        }
        if session.location().is_some() {
            self.last_location = session.location().map(str::to_owned);
        }
        self.session_id = Some(session.id());
        self.session_expires_at = Some(session.expires_at());
        self.history_days = session.retention().history_days();
    }

    /// The user removed the device: its trust and name go, the rest is kept for the history
    /// until [`Self::history_until`].
    pub fn forget(&mut self, now: DateTime<Utc>) {
        self.forgotten_at = Some(now);
        self.name = None;
        self.trusted_at = None;
        self.trusted_until = None;
    }

    pub fn is_forgotten(&self) -> bool {
        self.forgotten_at.is_some()
    }

    /// Until when the record is kept: `history_days` after its removal, or else after its
    /// latest session's expiry (its end at the latest; a logout does not touch the device).
    pub fn history_until(&self) -> DateTime<Utc> {
        let from = self
            .forgotten_at
            .or(self.session_expires_at)
            .unwrap_or(self.last_seen);
        from + Duration::days(i64::from(self.history_days))
    }

    /// The device's session, unless it has expired by `now` (it may still have been revoked).
    pub fn unexpired_session(&self, now: DateTime<Utc>) -> Option<SessionId> {
        match (self.session_id, self.session_expires_at) {
            (Some(id), Some(expires_at)) if expires_at > now => Some(id),
            _ => None,
        }
    }

    /// Whether the trust still holds at `now`: granted, not expired, and not older than the
    /// user's latest revoke-all (`revoked_before`), which ends trust like it ends sessions.
    pub fn is_trusted(&self, now: DateTime<Utc>, revoked_before: Option<DateTime<Utc>>) -> bool {
        match (self.trusted_at, self.trusted_until) {
            (Some(at), Some(until)) => {
                until > now && revoked_before.is_none_or(|cutoff| at > cutoff)
            }
            _ => false,
        }
    }

    /// Trusts the device from `now` until `until`.
    pub fn trust(&mut self, now: DateTime<Utc>, until: DateTime<Utc>) {
        self.trusted_at = Some(now);
        self.trusted_until = Some(until);
    }

    /// The trust of [`Self::is_trusted`], as an expiry: `Some(until)` while it holds.
    pub fn trusted_until_at(
        &self,
        now: DateTime<Utc>,
        revoked_before: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        self.is_trusted(now, revoked_before)
            .then_some(self.trusted_until)
            .flatten()
    }
}

/// Whether `until` is an acceptable trust expiry at `now`: in the future, at most
/// [`MAX_TRUST_DAYS`] ahead.
pub fn trust_expiry_allowed(now: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    until > now && until <= now + Duration::days(MAX_TRUST_DAYS)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::domain::session::NewSession;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn session(at: DateTime<Utc>) -> Session {
        let mut new = NewSession::at(
            SessionId::from_uuid(Uuid::now_v7()),
            UserId::from_str("alice").unwrap(),
            at,
            at + Duration::days(30),
        );
        new.device_info = Some("Safari on iOS".into());
        new.location = Some("Berlin, DE".into());
        Session::new(new)
    }

    fn device() -> Device {
        Device::first_seen_with(
            DeviceId::from_str("install-0001").unwrap(),
            Some(DeviceName::from_str("phone").unwrap()),
            &session(t0()),
        )
    }

    #[test]
    fn a_login_moves_the_device_to_its_session_and_keeps_the_name_unless_given() {
        let mut d = device();
        let later = session(t0() + Duration::days(1));
        d.signed_in_with(None, &later);
        assert_eq!(d.session_id, Some(later.id()));
        assert_eq!(d.first_seen, t0());
        assert_eq!(d.last_seen, later.created_at());
        assert_eq!(d.name.as_ref().map(DeviceName::as_str), Some("phone"));
        assert_eq!(d.platform.as_deref(), Some("Safari on iOS"));
    }

    #[test]
    fn the_session_counts_only_until_it_expires() {
        let d = device();
        assert!(d.unexpired_session(t0() + Duration::days(29)).is_some());
        assert!(d.unexpired_session(t0() + Duration::days(30)).is_none());
    }

    #[test]
    fn trust_ends_at_its_expiry_and_at_a_later_revoke_all() {
        let mut d = device();
        assert!(!d.is_trusted(t0(), None));
        d.trust(t0(), t0() + Duration::days(7));
        assert!(d.is_trusted(t0() + Duration::days(6), None));
        assert!(!d.is_trusted(t0() + Duration::days(7), None));
        assert!(d.is_trusted(t0(), Some(t0() - Duration::seconds(1))));
        assert!(!d.is_trusted(t0(), Some(t0())));
    }

    #[test]
    fn the_record_is_kept_for_the_history_after_its_session_or_its_removal() {
        let mut d = device();
        let expiry = t0() + Duration::days(30);
        assert_eq!(d.history_until(), expiry + Duration::days(90));
        d.trust(t0(), t0() + Duration::days(7));
        let removed = t0() + Duration::days(3);
        d.forget(removed);
        assert!(d.is_forgotten());
        assert_eq!(d.history_until(), removed + Duration::days(90));
        assert_eq!(
            (d.trusted_at, d.trusted_until, d.name.as_ref()),
            (None, None, None)
        );
    }

    #[test]
    fn trust_may_last_at_most_90_days() {
        assert!(trust_expiry_allowed(t0(), t0() + Duration::days(90)));
        assert!(!trust_expiry_allowed(
            t0(),
            t0() + Duration::days(90) + Duration::seconds(1)
        ));
        assert!(!trust_expiry_allowed(t0(), t0()));
    }
}
