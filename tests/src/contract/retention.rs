//! Retention (docs/0050): an ended session keeps its addresses and raw user agents for
//! `ip_retention_days` after its end (its revocation, or its expiry when never revoked), then
//! the sweep cuts them and keeps the rest; the sweep is idempotent and pages; a removed device
//! is kept forgotten, out of every read, and a later login from it is a new device.

use std::collections::BTreeSet;
use std::net::IpAddr;

use chrono::Duration;
use session_core::domain::{Actor, RevocationReason};
use session_core::events::RevokeAllTrigger;
use session_core::ids::{SessionId, UserId};
use session_core::ports::SessionStore;
use session_core::use_cases::{
    CreateSession, RedactPersonalData, Redacted, RemoveDevice, RevokeAllUserSessions,
};

use crate::contract::devices::{device_id, device_login};
use crate::events::new_device_sign_in;
use crate::fixture::{DEVICE, LOCATION, ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

const IPV6_LOGIN: &str = "2001:db8:85a3:8d3:1319:8a2e:370:7348";

fn set(ids: impl IntoIterator<Item = SessionId>) -> BTreeSet<SessionId> {
    ids.into_iter().collect()
}

async fn sweep<H: StoreHarness>(fx: &Fixture<'_, H>, page_size: u32) -> Redacted {
    fx.sessions
        .redact_personal_data(RedactPersonalData { page_size })
        .await
        .expect("the sweep runs")
}

async fn login_from<H: StoreHarness>(fx: &Fixture<'_, H>, user: &UserId, from: &str) -> SessionId {
    fx.sessions
        .create_session(CreateSession {
            ip_address: Some(ip(from)),
            ..login_cmd(user)
        })
        .await
        .unwrap_or_else(|e| panic!("login from {from} failed: {e}"))
        .session
        .id()
}

fn revoke_all(user: &UserId) -> RevokeAllUserSessions {
    RevokeAllUserSessions {
        user_id: user.clone(),
        reason: RevocationReason::PasswordChanged,
        except_session_id: None,
        by: Actor::System,
        trigger: RevokeAllTrigger::AuthEvent,
        note: None,
    }
}

/// A session ended 31 days ago loses its addresses (IPv4 to /24, IPv6 to /48) and its user
/// agent and keeps its parsed device, location and revocation; one ended 29 days ago and an
/// active one keep everything; a second sweep changes nothing.
pub async fn ended_sessions_lose_their_personal_data_after_ip_retention<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let started = fx.now();
    let old_v4 = login_from(&fx, &alice, "203.0.113.77").await;
    let old_v6 = login_from(&fx, &alice, IPV6_LOGIN).await;
    for id in [old_v4, old_v6] {
        fx.revoke(id, &alice, RevocationReason::Logout)
            .await
            .expect("logout");
    }
    fx.advance(Duration::days(2));
    let recent = login_from(&fx, &alice, "198.51.100.23").await;
    fx.revoke(recent, &alice, RevocationReason::Logout)
        .await
        .expect("logout");
    let active = login_from(&fx, &alice, "192.0.2.10").await;

    fx.clock.set(started + Duration::days(31));
    let first = sweep(&fx, 100).await;
    assert_eq!(set(first.redacted.iter().copied()), set([old_v4, old_v6]));

    let v4 = fx.stored(old_v4).await.value;
    assert_eq!(v4.ip_address(), Some(ip("203.0.113.0")));
    assert_eq!(v4.last_ip_address(), Some(ip("203.0.113.0")));
    let v6 = fx.stored(old_v6).await.value;
    assert_eq!(v6.ip_address(), Some(ip("2001:db8:85a3::")));
    assert_eq!(v6.last_ip_address(), Some(ip("2001:db8:85a3::")));
    for kept in [&v4, &v6] {
        assert_eq!(kept.user_agent(), None, "the raw user agent goes");
        assert_eq!(kept.current_user_agent(), None);
        assert!(kept.is_redacted());
        assert_eq!(kept.device_info(), Some(DEVICE), "the parsed device stays");
        assert_eq!(kept.location(), Some(LOCATION));
        assert_eq!(kept.created_at(), started);
        let revocation = kept.revocation().expect("the revocation stays");
        assert_eq!(revocation.reason, RevocationReason::Logout);
        assert_eq!(revocation.at, started);
        assert_eq!(
            revocation.by,
            Actor::User {
                user_id: alice.clone()
            }
        );
    }
    for untouched in [recent, active] {
        let session = fx.stored(untouched).await.value;
        assert!(!session.is_redacted(), "{untouched}");
        assert!(session.user_agent().is_some(), "{untouched}");
        assert_ne!(session.ip_address(), session.ip_address().map(truncate));
    }

    let versions = [
        fx.stored(old_v4).await.version,
        fx.stored(old_v6).await.version,
    ];
    let again = sweep(&fx, 100).await;
    assert_eq!(again, Redacted::default(), "nothing left to do");
    assert_eq!(
        [
            fx.stored(old_v4).await.version,
            fx.stored(old_v6).await.version
        ],
        versions,
        "idempotent: no write"
    );

    // Two days on, the one that ended two days later is due; the active one (expired a day ago)
    // waits 30 days from its expiry.
    fx.advance(Duration::days(2));
    let later = sweep(&fx, 100).await;
    assert_eq!(later.redacted, [recent]);
    assert!(!fx.stored(active).await.value.is_redacted());
}

fn truncate(ip: IpAddr) -> IpAddr {
    session_core::domain::retention::truncate_ip(ip)
}

/// A revocation is the session's end: revoked five days after its login (alone, and by a
/// revoke-all, which revokes without reading), it is due 30 days after the revocation, not
/// 30 days after its expiry; a session never revoked is due 30 days after its expiry. The
/// history runs from the same end.
pub async fn a_revocation_moves_the_redaction_to_its_own_time<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    let started = fx.now();
    let alone = fx.login(&alice).await.session.id();
    let never_revoked = fx.login(&alice).await.session.id();
    let by_revoke_all = fx.login(&bob).await.session.id();
    let expires_at = fx.stored(never_revoked).await.value.expires_at();

    fx.advance(Duration::days(5));
    let revoked_at = fx.now();
    fx.revoke(alone, &alice, RevocationReason::Logout)
        .await
        .expect("logout");
    fx.sessions
        .revoke_all_user_sessions(revoke_all(&bob))
        .await
        .expect("revoke-all");
    for id in [alone, by_revoke_all] {
        let stored = fx.stored(id).await.value;
        assert_eq!(
            stored.personal_data_until(),
            revoked_at + Duration::days(30)
        );
        assert_eq!(stored.history_until(), revoked_at + Duration::days(90));
    }

    fx.clock
        .set(revoked_at + Duration::days(30) - Duration::seconds(1));
    assert_eq!(sweep(&fx, 100).await, Redacted::default(), "not yet");
    fx.clock.set(revoked_at + Duration::days(30));
    let due = sweep(&fx, 100).await;
    assert_eq!(set(due.redacted), set([alone, by_revoke_all]));
    assert!(!fx.stored(never_revoked).await.value.is_redacted());

    fx.clock
        .set(expires_at + Duration::days(30) - Duration::seconds(1));
    assert_eq!(sweep(&fx, 100).await, Redacted::default());
    fx.clock.set(expires_at + Duration::days(30));
    assert_eq!(sweep(&fx, 100).await.redacted, [never_revoked]);
    assert!(started < revoked_at);
}

/// More sessions due than one page holds: the sweep reads page after page until none is left.
pub async fn the_sweep_pages_through_every_due_session<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ended = fx.login_n(&alice, 7).await;
    fx.sessions
        .revoke_all_user_sessions(revoke_all(&alice))
        .await
        .expect("revoke-all");
    fx.advance(Duration::days(31));
    let swept = sweep(&fx, 2).await;
    assert_eq!(
        set(swept.redacted.iter().copied()),
        set(ended.iter().copied())
    );
    assert_eq!(swept.redacted.len(), 7, "each once");
    for id in ended {
        assert!(fx.stored(id).await.value.is_redacted(), "{id}");
    }
    assert_eq!(sweep(&fx, 2).await, Redacted::default());
}

/// A removed device is kept forgotten: no read shows it (one device, a login's read, the
/// list), removing it again is not found, and a later login from it records it afresh as a
/// new device.
pub async fn a_removed_device_is_forgotten_and_returns_as_new<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "essential", None).await;
    let phone = device_id("phone-00001");
    fx.login(&alice).await;
    fx.advance_secs(60);
    fx.sessions
        .create_session(device_login(&alice, "phone-00001", Some("Jane's phone")))
        .await
        .expect("login on the phone");
    let remove = || RemoveDevice {
        user_id: alice.clone(),
        device_id: phone.clone(),
    };
    fx.sessions.remove_device(remove()).await.expect("removed");

    let store = &fx.store;
    assert!(
        store
            .load_device(&alice, &phone)
            .await
            .expect("read")
            .is_none()
    );
    let login_read = store.load_login(&alice, Some(&phone)).await.expect("read");
    assert!(login_read.ledger.is_some());
    assert!(login_read.device.is_none(), "a login sees no device");
    assert!(store.list_devices(&alice).await.expect("read").is_empty());
    assert!(matches!(
        fx.sessions.remove_device(remove()).await,
        Err(session_core::error::SessionError::DeviceNotFound)
    ));

    fx.take_events().await;
    fx.advance_secs(60);
    let again = fx
        .sessions
        .create_session(device_login(&alice, "phone-00001", None))
        .await
        .expect("login on the phone again");
    let events = fx.take_events().await;
    assert_eq!(new_device_sign_in(&events).len(), 1, "a new device");
    let device = store
        .load_device(&alice, &phone)
        .await
        .expect("read")
        .expect("recorded afresh");
    assert_eq!(device.value.first_seen, fx.now());
    assert_eq!(device.value.session_id, Some(again.session.id()));
    assert_eq!(device.value.name, None, "the old name was forgotten");
    assert!(!device.value.is_forgotten());
}
