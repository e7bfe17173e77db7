//! The session entity and the user ledger survive the trip through the store unchanged.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::Duration;
use session_core::domain::{
    Aal, ActiveEntry, Actor, AuthMethod, Coordinates, Fix, Revocation, RevocationReason, Session,
    SessionStatus, UserLedger, UserPolicy,
};
use session_core::error::SessionError;
use session_core::ids::{ProviderName, RefreshTokenId, TierName};
use session_core::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite};

use crate::fixture::{DEVICE, LOCATION, LOGIN_IP, USER_AGENT, ip, user};
use crate::{Fixture, StoreHarness};

fn insert(session: session_core::domain::Session) -> ChangeSet {
    ChangeSet {
        sessions: vec![SessionWrite::Insert(session)],
        ..ChangeSet::default()
    }
}

/// Every field, set to a value other than its default, reads back as written; so does a
/// session with every optional field empty, and every kind of revocation actor.
pub async fn session_round_trips_every_field_through_the_store<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    // Millisecond precision is the least a store may keep (the cursor and event timestamps
    // carry more).
    let created = fx.now() + Duration::milliseconds(123);

    let mut full = fx.unsaved_session(&alice).to_record();
    full.device_info = Some("Firefox on Linux".to_owned());
    full.user_agent =
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko Firefox/128.0 – ü".to_owned());
    full.ip_address = Some(ip("2001:db8::1"));
    full.location = Some("Zürich, CH".to_owned());
    full.created_at = created;
    full.last_activity_at = created + Duration::milliseconds(300_456);
    full.expires_at = created + Duration::days(7);
    full.idle_timeout_secs = Some(3600);
    full.revocation = Some(Revocation {
        at: created + Duration::milliseconds(600_789),
        reason: RevocationReason::PasswordChanged,
        by: Actor::User {
            user_id: alice.clone(),
        },
        note: None,
    });
    full.is_trusted = true;
    full.refresh_token_hash = Some(
        RefreshTokenId::from_str("rt_01J9ZK|v2")
            .expect("valid")
            .hash(),
    );
    full.previous_refresh_token_hash = Some(
        RefreshTokenId::from_str("rt_01J9ZK|v1")
            .expect("valid")
            .hash(),
    );
    full.refresh_rotated_at = Some(created + Duration::milliseconds(42));
    full.auth_time = created - Duration::seconds(90);
    full.aal = Aal::Aal3;
    full.amr = [AuthMethod::Pwd, AuthMethod::Hwk].into_iter().collect();
    full.step_up_required = true;
    full.suspicious_step_up_at_count = Some(1);
    full.max_auth_age_secs = Some(900);
    full.last_ip_address = Some(ip("198.51.100.7"));
    full.suspicious_activity_count = 3;
    full.last_provider_accessed = Some(ProviderName::from_str("yodlee").expect("valid"));
    full.last_provider_sync_at = Some(created + Duration::milliseconds(1));
    full.providers_accessed = ["plaid", "yodlee", "mx"]
        .into_iter()
        .map(|p| ProviderName::from_str(p).expect("valid"))
        .collect();
    full.device_type = Some(session_core::domain::DeviceType::Mobile);
    full.last_user_agent =
        Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)".to_owned());
    full.last_country_code = Some("CH".to_owned());
    full.last_fix = Some(Fix {
        // Neither value has a short decimal form: the store must keep every bit.
        coordinates: Coordinates::new(47.376_886_999_999_99, 8.541_694_000_000_01)
            .expect("valid coordinates"),
        at: created + Duration::milliseconds(450_001),
    });
    full.suspicious_revoke_at_count = Some(3);

    let mut empty = fx.unsaved_session(&alice).to_record();
    empty.device_info = None;
    empty.user_agent = None;
    empty.ip_address = None;
    empty.location = None;
    empty.last_ip_address = None;

    let mut by_service = fx.unsaved_session(&alice).to_record();
    by_service.revocation = Some(Revocation {
        at: fx.now(),
        reason: RevocationReason::AdminAction,
        by: Actor::System,
        note: None,
    });
    let mut by_system = fx.unsaved_session(&alice).to_record();
    by_system.revocation = Some(Revocation {
        at: fx.now(),
        reason: RevocationReason::SessionLimitExceeded,
        by: Actor::System,
        note: None,
    });

    for session in [full, empty, by_service, by_system].map(Session::restore) {
        fx.commit_ok(insert(session.clone())).await;
        let stored = fx.stored(session.id()).await;
        assert_eq!(
            stored.value, session,
            "the session reads back exactly as written"
        );
    }
}

/// A ledger's policy (tier and override), its active index, first login and sightings read back
/// as written.
pub async fn ledger_round_trips_policy_and_active_index_through_the_store<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    let mut active = BTreeMap::new();
    for (n, device) in [
        Some("Chrome on Mac OS X"),
        None,
        Some("Mobile Safari on iOS"),
    ]
    .into_iter()
    .enumerate()
    {
        let created_at =
            fx.now() + Duration::milliseconds(1_000 * i64::try_from(n).unwrap_or(0) + 7);
        active.insert(
            fx.new_session_id(),
            ActiveEntry {
                created_at,
                expires_at: created_at + Duration::days(30),
                device_info: device.map(str::to_owned),
            },
        );
    }
    let with_override = UserLedger {
        user_id: alice.clone(),
        policy: UserPolicy {
            tier: TierName::from_str("premium").expect("valid"),
            max_sessions: Some(7),
        },
        active,
        status: session_core::domain::AccountStatus::Active,
        revoked_before: None,
        first_login_at: Some(fx.now()),
        sightings: Some(session_core::domain::sighting::Sightings::from_map(
            BTreeMap::from([
                ("Chrome\u{1f}Windows\u{1f}DE".to_owned(), fx.now()),
                ("\u{1f}\u{1f}FR".to_owned(), fx.now() + Duration::days(1)),
            ]),
        )),
    };
    let plain = UserLedger::new(
        bob.clone(),
        UserPolicy {
            tier: TierName::from_str("basic").expect("valid"),
            max_sessions: None,
        },
    );

    for ledger in [with_override, plain] {
        fx.commit_ok(ChangeSet {
            ledger: Some(LedgerWrite::Put {
                ledger: ledger.clone(),
                expected_version: None,
            }),
            ..ChangeSet::default()
        })
        .await;
        let stored = fx.ledger(&ledger.user_id).await;
        assert_eq!(
            stored.value, ledger,
            "the ledger reads back exactly as written"
        );
    }
    let carol = user("carol");
    assert!(
        fx.store
            .load_user(&carol)
            .await
            .expect("readable")
            .is_none(),
        "a user never written has no ledger"
    );
}

/// A login stores a session that is active, starts its clocks at the login, expires after the
/// configured lifetime and is inactive from that instant on.
pub async fn new_session_is_active_until_its_absolute_expiry<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let login_at = fx.now();
    let created = fx.login(&alice).await.session;

    let stored = fx.stored(created.id()).await.value;
    assert_eq!(
        stored, created,
        "the stored session is the one the login returned"
    );
    assert_eq!(stored.created_at(), login_at);
    assert_eq!(stored.last_activity_at(), login_at);
    assert_eq!(
        stored.expires_at(),
        login_at + fx.sessions.policy().session_lifetime()
    );
    assert_eq!(stored.ip_address(), Some(ip(LOGIN_IP)));
    assert_eq!(stored.last_ip_address(), Some(ip(LOGIN_IP)));
    assert_eq!(stored.user_agent(), Some(USER_AGENT));
    assert_eq!(stored.device_info(), Some(DEVICE));
    assert_eq!(stored.location(), Some(LOCATION));
    assert!(stored.revocation().is_none() && !stored.is_trusted());
    assert_eq!(stored.suspicious_activity_count(), 0);
    assert!(stored.providers_accessed().is_empty() && stored.refresh_token_hash().is_none());

    assert!(fx.is_active(created.id()).await, "active right after login");
    fx.advance(fx.sessions.policy().session_lifetime() - Duration::seconds(1));
    assert!(
        fx.is_active(created.id()).await,
        "active one second before expiry"
    );
    fx.advance_secs(1);
    assert_eq!(
        fx.validity(created.id()).await.reason(),
        Some(SessionStatus::Expired.as_str()),
        "inactive from expires_at on"
    );
}

/// Changes made on the entity (suspicious counter, trust flag, revocation) persist through a
/// versioned replace; the reloaded entity still refuses a second revocation.
pub async fn entity_changes_persist_through_a_versioned_replace<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();

    let loaded = fx.stored(id).await;
    let mut session = loaded.value;
    assert_eq!(session.record_suspicious_activity(), 1);
    assert_eq!(session.record_suspicious_activity(), 2);
    assert!(session.mark_trusted(), "first trust changes the flag");
    assert!(!session.mark_trusted(), "trusting again changes nothing");
    fx.commit_ok(ChangeSet {
        sessions: vec![SessionWrite::Replace {
            session,
            expected_version: loaded.version,
        }],
        ..ChangeSet::default()
    })
    .await;

    let loaded = fx.stored(id).await;
    assert_eq!(
        loaded.value.suspicious_activity_count(),
        2,
        "the counter accumulated"
    );
    assert!(loaded.value.is_trusted());
    let mut session = loaded.value;
    assert_eq!(
        session.record_suspicious_activity(),
        3,
        "counting goes on from the stored value"
    );
    let revocation = Revocation {
        at: fx.now(),
        reason: RevocationReason::SuspiciousActivity,
        by: Actor::System,
        note: None,
    };
    session
        .revoke(revocation.clone())
        .expect("first revocation");
    fx.commit_ok(ChangeSet {
        sessions: vec![SessionWrite::Replace {
            session,
            expected_version: loaded.version,
        }],
        ..ChangeSet::default()
    })
    .await;

    let mut reloaded = fx.stored(id).await.value;
    assert_eq!(reloaded.suspicious_activity_count(), 3);
    assert_eq!(
        reloaded.revocation(),
        Some(&revocation),
        "revocation at/reason/by stored"
    );
    assert_eq!(reloaded.status(fx.now()), SessionStatus::Revoked);
    let again = reloaded.revoke(Revocation {
        at: fx.now(),
        reason: RevocationReason::Logout,
        by: Actor::System,
        note: None,
    });
    assert!(matches!(again, Err(SessionError::SessionAlreadyRevoked)));
}
