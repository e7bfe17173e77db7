//! A login from a named device (docs/0047): the session it replaces, the device record it
//! writes, and whether it is a new device to announce (also without a device id, docs/0049).

use chrono::{DateTime, Utc};

use super::{LoginDevice, Prepared};
use crate::app::{Retry, Sessions};
use crate::domain::sighting::{Sighting, Sightings};
use crate::domain::{Device, EffectiveLimit, Session, UserLedger};
use crate::events::{self, EventPayload};
use crate::ids::SessionId;
use crate::ports::{DeviceWrite, SessionStore, Versioned};

impl<S: SessionStore> Sessions<S> {
    /// The unrevoked session of the login's device, which the login replaces (docs/0047). A
    /// limited tier's ledger holds every unrevoked session; an unlimited tier's holds none, so
    /// there the session is read (only when the device's last session has not expired).
    pub(super) async fn session_to_replace(
        &self,
        device: &Device,
        ledger: &UserLedger,
        rules: &EffectiveLimit,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionId, Option<String>)>, Retry> {
        let Some(id) = device.unexpired_session(now) else {
            return Ok(None);
        };
        if rules.max_sessions.is_some() {
            return Ok(ledger
                .active
                .get(&id)
                .map(|entry| (id, entry.device_info.clone())));
        }
        Ok(self
            .store
            .load_session(id)
            .await?
            .filter(|stored| {
                !stored.value.is_revoked() && stored.value.user_id() == &ledger.user_id
            })
            .map(|stored| (id, stored.value.device_info().map(str::to_owned))))
    }

    /// The login's device record, the session it replaces and the session on its device.
    pub(super) fn device_changes(
        &self,
        login_device: &LoginDevice,
        stored: Option<Versioned<Device>>,
        ledger: &UserLedger,
        session: Session,
        replaced: Option<(SessionId, Option<String>)>,
        now: DateTime<Utc>,
    ) -> (Session, DeviceChanges) {
        let (device, expected_version, is_new) = match stored {
            Some(Versioned { value, version }) => (value, Some(version), false),
            None => (
                Device::first_seen_with(login_device.id.clone(), None, &session),
                None,
                true,
            ),
        };
        let trusted_until = device.trusted_until_at(now, ledger.revoked_before);
        let name = login_device.name.clone().or_else(|| device.name.clone());
        let session = session.on_device(login_device.id.clone(), name.clone(), trusted_until);
        let mut device = device;
        device.signed_in_with(name, &session);
        (
            session,
            DeviceChanges {
                write: Some(DeviceWrite::Put {
                    device,
                    expected_version,
                }),
                replaced: replaced.into_iter().collect(),
                is_new,
            },
        )
    }

    /// Whether this login is a new device to announce (docs/0047, docs/0049): a device id never
    /// seen for the user, or, without one, a browser, OS and country combination not seen
    /// within the policy's window; a user's very first login only if the policy says so.
    /// Records the login on the ledger (the first login, the combination) as it decides.
    pub(super) fn is_new_device(
        &self,
        ledger: &mut UserLedger,
        p: &Prepared,
        device_is_new: bool,
    ) -> bool {
        let rule = self.policy.new_device_sign_in();
        let signed_in_before = ledger.first_login_at.is_some();
        ledger.first_login_at.get_or_insert(p.now);
        let sighting = Sighting::new(
            p.device.browser.as_deref(),
            p.device.os.as_deref(),
            p.location.as_ref().map(|l| l.country_code.as_str()),
        );
        let unseen = sighting.is_some_and(|sighting| {
            // A user who signed in before combinations were recorded has no history to
            // compare with: their first recorded combination is not news.
            let tracked = ledger.sightings.is_some() || !signed_in_before;
            let seen = ledger
                .sightings
                .get_or_insert_with(Sightings::default)
                .record(&sighting, p.now, rule.unseen_window());
            tracked && !seen
        });
        let is_new = match p.cmd.device {
            Some(_) => device_is_new,
            None => unseen,
        };
        is_new && (signed_in_before || rule.on_first_login)
    }

    pub(super) fn new_device_sign_in(&self, session: &Session) -> crate::events::DomainEvent {
        self.event(EventPayload::NewDeviceSignIn(events::NewDeviceSignIn {
            user_id: session.user_id().clone(),
            session_id: session.id(),
            device_id: session.device_id().cloned(),
            device_name: session.device_name().cloned(),
            platform: session.device_info().map(str::to_owned),
            device_type: session.device_type(),
            location: session.location().map(str::to_owned),
            signed_in_at: session.created_at(),
        }))
    }
}

/// What a login from a named device changes besides the session.
#[derive(Default)]
pub(super) struct DeviceChanges {
    pub(super) write: Option<DeviceWrite>,
    /// The device's unrevoked session (with its description), ended by this login.
    pub(super) replaced: Vec<(SessionId, Option<String>)>,
    /// The device was never seen for this user.
    pub(super) is_new: bool,
}
