//! Devices (docs/0047): a login naming a device records it, replaces the device's previous
//! session in its own commit, and announces a device new to a user who signed in before.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::Duration;
use session_core::domain::{Actor, RevocationReason};
use session_core::error::SessionError;
use session_core::events::RevokeAllTrigger;
use session_core::ids::{DeviceId, DeviceName, SessionId, UserId};
use session_core::ports::SessionStore;
use session_core::use_cases::{
    CreateSession, CreatedSession, ListDevices, LoginDevice, RemoveDevice, RenameDevice,
    RevokeAllUserSessions, TrustDevice,
};

use crate::contract::concurrency::race;
use crate::events::{created, new_device_sign_in, revocation_attempted, revoked};
use crate::fixture::{DEVICE, DEVICE_TYPE, LOCATION, login_cmd, user};
use crate::{Fixture, StoreHarness};

pub(crate) fn device_id(text: &str) -> DeviceId {
    DeviceId::from_str(text).expect("valid device id")
}

/// A login of `user` from `device` (named `name`, if given).
pub(crate) fn device_login(user: &UserId, device: &str, name: Option<&str>) -> CreateSession {
    CreateSession {
        device: Some(LoginDevice {
            id: device_id(device),
            name: name.map(|n| DeviceName::from_str(n).expect("valid device name")),
        }),
        ..login_cmd(user)
    }
}

async fn login_on<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user: &UserId,
    device: &str,
) -> CreatedSession {
    fx.sessions
        .create_session(device_login(user, device, None))
        .await
        .unwrap_or_else(|e| panic!("login of {user} on {device} failed: {e}"))
}

/// The first login on a device stores its record (first and last seen, name, platform,
/// location, the live session) and the session shows the device.
pub async fn a_login_from_a_device_records_it<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "essential", None).await;
    let created = fx
        .sessions
        .create_session(device_login(&alice, "install-0001", Some("Jane's phone")))
        .await
        .expect("login");
    let session = fx.stored(created.session.id()).await.value;
    assert_eq!(session.device_id(), Some(&device_id("install-0001")));
    assert_eq!(
        session.device_name().map(DeviceName::as_str),
        Some("Jane's phone")
    );
    assert!(!session.is_trusted());

    let device = fx
        .store
        .load_device(&alice, &device_id("install-0001"))
        .await
        .expect("readable")
        .expect("the device is recorded");
    assert_eq!(device.version, 1);
    let device = device.value;
    assert_eq!(device.first_seen, fx.now());
    assert_eq!(device.last_seen, fx.now());
    assert_eq!(
        device.name.as_ref().map(DeviceName::as_str),
        Some("Jane's phone")
    );
    assert_eq!(device.platform.as_deref(), Some(DEVICE));
    assert_eq!(device.device_type, Some(DEVICE_TYPE));
    assert_eq!(device.last_location.as_deref(), Some(LOCATION));
    assert_eq!(device.session_id, Some(session.id()));
    assert_eq!(device.session_expires_at, Some(session.expires_at()));

    // A later login keeps first_seen and the name when it sends none.
    fx.advance_secs(60);
    let again = login_on(&fx, &alice, "install-0001").await;
    let device = fx
        .store
        .load_device(&alice, &device_id("install-0001"))
        .await
        .expect("readable")
        .expect("still recorded");
    assert_eq!(device.version, 2);
    assert_eq!(device.value.first_seen, fx.now() - Duration::seconds(60));
    assert_eq!(device.value.last_seen, fx.now());
    assert_eq!(device.value.session_id, Some(again.session.id()));
    assert_eq!(
        again.session.device_name().map(DeviceName::as_str),
        Some("Jane's phone"),
        "the stored name carries over to the new session"
    );
}

/// Without a device id nothing about devices happens: no record, no device on the session, no
/// replacement, no NewDeviceSignIn.
pub async fn a_login_without_a_device_changes_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "essential", None).await;
    let first = fx.login(&alice).await;
    fx.advance_secs(60);
    let second = fx.login(&alice).await;
    assert!(second.session.device_id().is_none());
    assert!(fx.is_active(first.session.id()).await, "no replacement");
    assert!(
        fx.store
            .list_devices(&alice)
            .await
            .expect("readable")
            .is_empty()
    );
    let events = fx.take_events().await;
    assert!(new_device_sign_in(&events).is_empty());
    assert!(revoked(&events).is_empty());
}

/// A login on a device whose session is live ends that session (replaced_by_new_login, with its
/// Attempted and Revoked events) in the same commit, before the limit is counted: the user's
/// other devices keep their sessions even at the limit. Checked on a limited tier (whose ledger
/// knows the live sessions) and an unlimited one (where the session is read).
pub async fn a_relogin_on_a_device_replaces_its_session_and_evicts_no_other<H: StoreHarness>(h: H) {
    for tier in ["essential", "pro"] {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, tier, None).await;
        let laptop = login_on(&fx, &alice, "laptop-0001").await.session.id();
        fx.advance_secs(60);
        let tablet = login_on(&fx, &alice, "tablet-0001").await.session.id();
        fx.advance_secs(60);
        let phone = login_on(&fx, &alice, "phone-00001").await.session.id();
        fx.take_events().await;

        fx.advance_secs(60);
        let again = login_on(&fx, &alice, "phone-00001").await;
        assert!(
            again.evicted_session_ids.is_empty(),
            "{tier}: the device's own session made room"
        );
        let expected: BTreeSet<SessionId> = [laptop, tablet, again.session.id()].into();
        assert_eq!(fx.active_ids(&alice).await, expected, "{tier}");
        let old = fx.stored(phone).await.value;
        let revocation = old.revocation().expect("the old phone session is revoked");
        assert_eq!(
            revocation.reason,
            RevocationReason::ReplacedByNewLogin,
            "{tier}"
        );
        if tier == "essential" {
            assert_eq!(fx.ledger_ids(&alice).await, expected, "{tier}: limit index");
        }
        let index: BTreeSet<SessionId> = fx
            .store
            .load_user_with_index(&alice)
            .await
            .expect("readable")
            .index
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(index, expected, "{tier}: the user's index");

        let events = fx.take_events().await;
        let attempted = revocation_attempted(&events);
        let revoked = revoked(&events);
        assert_eq!(attempted.len(), 1, "{tier}");
        assert_eq!(revoked.len(), 1, "{tier}");
        assert_eq!(revoked[0].session_id, phone);
        assert_eq!(revoked[0].reason, RevocationReason::ReplacedByNewLogin);
        assert_eq!(created(&events).len(), 1);
        assert!(new_device_sign_in(&events).is_empty(), "{tier}: a re-login");
    }
}

/// A device whose session already ended (logged out, or expired) replaces nothing, on both kinds
/// of tier.
pub async fn a_relogin_after_the_session_ended_replaces_nothing<H: StoreHarness>(h: H) {
    for tier in ["essential", "pro"] {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, tier, None).await;
        let phone = login_on(&fx, &alice, "phone-00001").await.session.id();
        fx.revoke(phone, &alice, RevocationReason::Logout)
            .await
            .expect("logout");
        fx.take_events().await;
        fx.advance_secs(60);
        let again = login_on(&fx, &alice, "phone-00001").await;
        assert!(fx.is_active(again.session.id()).await, "{tier}");
        assert_eq!(
            fx.stored(phone).await.value.revocation().map(|r| r.reason),
            Some(RevocationReason::Logout),
            "{tier}: the logout stands"
        );
        let events = fx.take_events().await;
        assert!(revoked(&events).is_empty(), "{tier}");
    }
}

/// NewDeviceSignIn: never on the user's very first login (even from a device), exactly once
/// per device new to the user, never on a re-login, and a device of another user is new.
pub async fn new_device_sign_in_once_per_new_device<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;

    login_on(&fx, &alice, "laptop-0001").await;
    assert!(
        new_device_sign_in(&fx.take_events().await).is_empty(),
        "the first login is no news"
    );
    fx.advance_secs(60);
    let phone = fx
        .sessions
        .create_session(device_login(&alice, "phone-00001", Some("Jane's phone")))
        .await
        .expect("login");
    let events = fx.take_events().await;
    let announced = new_device_sign_in(&events);
    assert_eq!(announced.len(), 1);
    let event = announced[0];
    assert_eq!(event.user_id, alice);
    assert_eq!(event.session_id, phone.session.id());
    assert_eq!(event.device_id, Some(device_id("phone-00001")));
    assert_eq!(
        event.device_name.as_ref().map(DeviceName::as_str),
        Some("Jane's phone")
    );
    assert_eq!(event.platform.as_deref(), Some(DEVICE));
    assert_eq!(event.location.as_deref(), Some(LOCATION));
    assert_eq!(event.signed_in_at, fx.now());
    assert_eq!(
        events.last().map(|e| e.detail_type()),
        Some("NewDeviceSignIn"),
        "after SessionCreated"
    );

    for _ in 0..3 {
        fx.advance_secs(60);
        login_on(&fx, &alice, "phone-00001").await;
        fx.login(&alice).await;
    }
    assert!(
        new_device_sign_in(&fx.take_events().await).is_empty(),
        "re-logins and logins without a device are no news"
    );

    // Bob's first login is his first, whatever device; his second device is news.
    login_on(&fx, &bob, "phone-00001").await;
    fx.advance_secs(60);
    login_on(&fx, &bob, "tablet-0001").await;
    let events = fx.take_events().await;
    let announced = new_device_sign_in(&events);
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].user_id, bob);
    assert_eq!(announced[0].device_id, Some(device_id("tablet-0001")));
}

/// `logins` concurrent logins of one user from one device (next to another device's session),
/// `rounds` times: every login succeeds, exactly one session of the device stays active, every
/// other one of them is revoked with replaced_by_new_login exactly once, the other device keeps
/// its session, and the limit holds.
pub async fn concurrent_logins_from_one_device_leave_one_session<H: StoreHarness>(
    h: H,
    logins: usize,
    rounds: usize,
) {
    for round in 0..rounds {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, "essential", None).await;
        let laptop = login_on(&fx, &alice, "laptop-0001").await.session.id();
        fx.advance_secs(60);
        fx.take_events().await;

        let tasks = (0..logins)
            .map(|_| {
                let sessions = fx.sessions.clone();
                let cmd = device_login(&alice, "phone-00001", None);
                async move { sessions.create_session(cmd).await }
            })
            .collect();
        let mut phone_sessions = BTreeSet::new();
        for outcome in race(tasks).await {
            match outcome {
                Ok(created) => {
                    assert!(
                        created.evicted_session_ids.is_empty(),
                        "round {round}: no eviction"
                    );
                    phone_sessions.insert(created.session.id());
                }
                Err(e) => panic!("round {round}: a login failed: {e}"),
            }
        }
        assert_eq!(phone_sessions.len(), logins, "round {round}");
        let active = fx.active_ids(&alice).await;
        assert_eq!(
            active.len(),
            2,
            "round {round}: the laptop and one phone session"
        );
        assert!(active.contains(&laptop), "round {round}");
        assert_eq!(
            fx.ledger_ids(&alice).await,
            active,
            "round {round}: limit index"
        );
        let device = fx
            .store
            .load_device(&alice, &device_id("phone-00001"))
            .await
            .expect("readable")
            .expect("recorded");
        assert!(
            device
                .value
                .session_id
                .is_some_and(|id| active.contains(&id)),
            "round {round}: the device names its live session"
        );
        let events = fx.take_events().await;
        let mut replaced: Vec<SessionId> = revoked(&events)
            .iter()
            .inspect(|e| assert_eq!(e.reason, RevocationReason::ReplacedByNewLogin))
            .map(|e| e.session_id)
            .collect();
        replaced.sort();
        let ended: Vec<SessionId> = phone_sessions.difference(&active).copied().collect();
        assert_eq!(replaced, ended, "round {round}: each replaced exactly once");
        for id in ended {
            assert_eq!(
                fx.stored(id).await.value.revocation().map(|r| r.reason),
                Some(RevocationReason::ReplacedByNewLogin),
                "round {round}"
            );
        }
        assert_eq!(
            new_device_sign_in(&events).len(),
            1,
            "round {round}: the new device is announced once"
        );
    }
}

/// Trust: set on a known device (404 for an unknown one or another user's), shown on its live
/// session at once and on later logins there, and ended by its expiry, by a revoke-all of the
/// user and by removing the device.
pub async fn trust_is_set_shown_and_ended_by_each_of_its_end_conditions<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    let phone = login_on(&fx, &alice, "phone-00001").await.session.id();
    let until = fx.now() + Duration::days(7);
    let trust = |user: &UserId, device: &str, until| TrustDevice {
        user_id: user.clone(),
        device_id: device_id(device),
        trusted_until: until,
    };

    for (owner, device) in [(&alice, "tablet-0001"), (&bob, "phone-00001")] {
        let unknown = fx.sessions.trust_device(trust(owner, device, until)).await;
        assert!(
            matches!(unknown, Err(SessionError::DeviceNotFound)),
            "{unknown:?}"
        );
    }
    let too_long = fx
        .sessions
        .trust_device(trust(&alice, "phone-00001", fx.now() + Duration::days(91)))
        .await;
    assert!(
        matches!(too_long, Err(SessionError::Invalid(_))),
        "{too_long:?}"
    );

    fx.sessions
        .trust_device(trust(&alice, "phone-00001", until))
        .await
        .expect("trusted");
    let session = fx.stored(phone).await.value;
    assert!(session.is_trusted_at(fx.now()), "the live session shows it");
    assert!(
        session.assurance().is_trusted_at(fx.now()),
        "the authorizer sees it"
    );
    fx.advance_secs(60);
    let again = login_on(&fx, &alice, "phone-00001").await;
    assert!(again.session.is_trusted(), "a later login there carries it");
    let listed = fx
        .sessions
        .list_devices(ListDevices {
            user_id: alice.clone(),
            current_session: Some(again.session.id()),
        })
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].trusted_until, Some(until));
    assert!(listed[0].is_current);

    // Expiry.
    fx.advance(Duration::days(7));
    assert!(
        !fx.stored(again.session.id())
            .await
            .value
            .is_trusted_at(fx.now())
    );
    let after_expiry = login_on(&fx, &alice, "phone-00001").await;
    assert!(
        !after_expiry.session.is_trusted(),
        "expired trust is not carried"
    );

    // A revoke-all (a password or MFA change, an admin) ends it.
    fx.sessions
        .trust_device(trust(&alice, "phone-00001", fx.now() + Duration::days(7)))
        .await
        .expect("trusted again");
    fx.advance_secs(60);
    fx.sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::PasswordChanged,
            except_session_id: None,
            by: Actor::System,
            trigger: RevokeAllTrigger::AuthEvent,
            note: None,
        })
        .await
        .expect("revoke-all");
    fx.advance_secs(60);
    let after_revoke_all = login_on(&fx, &alice, "phone-00001").await;
    assert!(
        !after_revoke_all.session.is_trusted(),
        "a revoke-all ends trust"
    );

    // Removing the device forgets it, trust included.
    fx.sessions
        .trust_device(trust(&alice, "phone-00001", fx.now() + Duration::days(7)))
        .await
        .expect("trusted once more");
    fx.sessions
        .remove_device(RemoveDevice {
            user_id: alice.clone(),
            device_id: device_id("phone-00001"),
        })
        .await
        .expect("removed");
    fx.advance_secs(60);
    let after_removal = login_on(&fx, &alice, "phone-00001").await;
    assert!(
        !after_removal.session.is_trusted(),
        "a removed device starts afresh"
    );
}

/// The user's routes over devices: listing (with the live session, the current one marked),
/// renaming, and removing (its session revoked with device_removed, the record gone); another
/// user's device is not found.
pub async fn a_user_lists_renames_and_removes_devices<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "essential", None).await;
    fx.register(&bob, "essential", None).await;
    let laptop = login_on(&fx, &alice, "laptop-0001").await.session.id();
    fx.advance_secs(60);
    let phone = login_on(&fx, &alice, "phone-00001").await.session.id();
    fx.revoke(laptop, &alice, RevocationReason::Logout)
        .await
        .expect("logout");

    let listed = fx
        .sessions
        .list_devices(ListDevices {
            user_id: alice.clone(),
            current_session: Some(phone),
        })
        .await
        .expect("listed");
    let ids: Vec<&str> = listed.iter().map(|d| d.device.device_id.as_str()).collect();
    assert_eq!(
        ids,
        ["phone-00001", "laptop-0001"],
        "most recently seen first"
    );
    assert!(listed[0].is_current && !listed[1].is_current);
    assert_eq!(listed[0].session.as_ref().map(|s| s.id()), Some(phone));
    assert!(listed[1].session.is_none(), "the laptop signed out");

    let renamed = fx
        .sessions
        .rename_device(RenameDevice {
            user_id: alice.clone(),
            device_id: device_id("phone-00001"),
            name: DeviceName::from_str("work phone").expect("valid"),
        })
        .await
        .expect("renamed");
    assert_eq!(
        renamed.name.as_ref().map(DeviceName::as_str),
        Some("work phone")
    );
    for (owner, device) in [(&bob, "phone-00001"), (&alice, "tablet-0001")] {
        let rename = fx
            .sessions
            .rename_device(RenameDevice {
                user_id: owner.clone(),
                device_id: device_id(device),
                name: DeviceName::from_str("mine").expect("valid"),
            })
            .await;
        assert!(
            matches!(rename, Err(SessionError::DeviceNotFound)),
            "{rename:?}"
        );
        let remove = fx
            .sessions
            .remove_device(RemoveDevice {
                user_id: owner.clone(),
                device_id: device_id(device),
            })
            .await;
        assert!(
            matches!(remove, Err(SessionError::DeviceNotFound)),
            "{remove:?}"
        );
    }
    fx.take_events().await;

    let revoked_id = fx
        .sessions
        .remove_device(RemoveDevice {
            user_id: alice.clone(),
            device_id: device_id("phone-00001"),
        })
        .await
        .expect("removed");
    assert_eq!(revoked_id, Some(phone));
    assert_eq!(
        fx.stored(phone).await.value.revocation().map(|r| r.reason),
        Some(RevocationReason::DeviceRemoved)
    );
    assert!(fx.ledger_ids(&alice).await.is_empty(), "limit index");
    let events = fx.take_events().await;
    assert_eq!(revoked(&events).len(), 1);
    assert_eq!(revoked(&events)[0].reason, RevocationReason::DeviceRemoved);
    let left: Vec<String> = fx
        .store
        .list_devices(&alice)
        .await
        .expect("readable")
        .into_iter()
        .map(|d| d.value.device_id.as_str().to_owned())
        .collect();
    assert_eq!(left, ["laptop-0001"]);
}
