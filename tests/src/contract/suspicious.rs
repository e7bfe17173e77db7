//! Suspicious activity on a session: each signal with its event and count, the graduated
//! response (record only, or revoke at a threshold in the same commit as the report), and the
//! throttling of activity writes.

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use session_core::domain::{Actor, PolicyConfig, RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::ids::SessionId;
use session_core::testkit::{MappedDevices, MappedLocations};
use session_core::use_cases::{ActivityOutcome, UpdateSessionActivity};

use crate::events::{activity_updated, detail_types, revocation_attempted, revoked, suspicious};
use crate::fixture::{DEVICE, LOGIN_IP, USER_AGENT, ip, user};
use crate::{Fixture, FixtureConfig, StoreHarness};

/// Another address in the login's city (Mountain View, US).
pub(crate) const NEIGHBOUR_IP: &str = "203.0.113.11";
/// An address in London, GB.
pub(crate) const LONDON_IP: &str = "198.51.100.44";
/// An address in New York, US: ~4,100 km from the login's city.
const NEW_YORK_IP: &str = "198.51.100.55";
/// A user agent the device enricher describes differently from the login's.
const FIREFOX_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const FIREFOX: &str = "Firefox on Linux";

/// Enrichers that know the fixture's addresses and user agents, and the policy from `json`.
fn config(json: &str) -> FixtureConfig {
    let places = MappedLocations::new()
        .with(
            ip(LOGIN_IP),
            "Mountain View",
            "US",
            Some((37.386, -122.0838)),
        )
        .with(
            ip(NEIGHBOUR_IP),
            "Mountain View",
            "US",
            Some((37.386, -122.0838)),
        )
        .with(ip(LONDON_IP), "London", "GB", Some((51.5074, -0.1278)))
        .with(ip(NEW_YORK_IP), "New York", "US", Some((40.7128, -74.0060)));
    let devices = MappedDevices::new()
        .with(USER_AGENT, DEVICE, "desktop")
        .with(FIREFOX_UA, FIREFOX, "desktop");
    FixtureConfig {
        policy: PolicyConfig::from_json(json).expect("valid policy JSON"),
        device: Arc::new(devices),
        location: Arc::new(places),
    }
}

/// `basic` revokes at the third signal; every other tier records only.
pub(crate) const REVOKING_BASIC: &str = r#"{"tiers": {"basic": {"max_sessions": 2, "suspicious": {"response": "revoke", "revoke_at_count": 3}}}}"#;

async fn report<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    session_id: SessionId,
    from: &str,
    user_agent: &str,
) -> ActivityOutcome {
    fx.sessions
        .update_session_activity(
            UpdateSessionActivity {
                session_id,
                ip_address: Some(ip(from)),
            }
            .with_user_agent(Some(user_agent.to_owned())),
        )
        .await
        .expect("activity answered")
}

/// A fixture with `alice` registered on `basic` and logged in; returns the session id, with the
/// login's events taken.
pub(crate) async fn logged_in<'h, H: StoreHarness>(
    h: &'h H,
    json: &str,
) -> (Fixture<'h, H>, SessionId) {
    let fx = Fixture::with_config(h, config(json)).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;
    (fx, id)
}

/// A report from another address counts one `ip_change` with both addresses, written at once;
/// the same new address again is no change.
pub async fn ip_change_is_counted_and_emitted_with_both_addresses<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    fx.advance_secs(5);

    let moved = report(&fx, id, NEIGHBOUR_IP, USER_AGENT).await;

    assert!(moved.recorded && moved.ip_changed && moved.active && !moved.revoked);
    assert_eq!(moved.suspicious_activity_count, 1);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionActivityUpdated", "SuspiciousSessionActivity"]
    );
    let signal = suspicious(&events)[0];
    assert_eq!((signal.session_id, signal.user_id.as_str()), (id, "alice"));
    assert_eq!(signal.activity_type, "ip_change");
    assert_eq!(
        signal.details,
        json!({"from": LOGIN_IP, "to": NEIGHBOUR_IP})
    );
    assert_eq!(signal.suspicious_count, 1);
    assert_eq!(fx.stored(id).await.value.suspicious_activity_count(), 1);

    fx.advance_secs(5);
    let again = report(&fx, id, NEIGHBOUR_IP, USER_AGENT).await;
    assert!(!again.recorded && again.suspicious_activity_count == 1);
    assert!(fx.take_events().await.is_empty());
}

/// A report located in another country counts `country_change` (after `ip_change`), with both
/// countries; twelve hours are enough to fly there, so it is not impossible travel. The new
/// country becomes the baseline.
pub async fn country_change_is_counted_and_emitted_with_both_countries<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    fx.advance(Duration::hours(12));

    let abroad = report(&fx, id, LONDON_IP, USER_AGENT).await;

    assert_eq!(abroad.suspicious_activity_count, 2);
    let events = fx.take_events().await;
    let signals = suspicious(&events);
    let kinds: Vec<&str> = signals.iter().map(|s| s.activity_type.as_str()).collect();
    assert_eq!(kinds, ["ip_change", "country_change"]);
    assert_eq!(signals[1].details, json!({"from": "US", "to": "GB"}));
    let counts: Vec<u32> = signals.iter().map(|s| s.suspicious_count).collect();
    assert_eq!(counts, [1, 2], "each event carries the count it reached");
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.last_country_code(), Some("GB"));
    assert_eq!(stored.last_fix().map(|f| f.at), Some(fx.now()));
    assert_eq!(stored.suspicious_activity_count(), 2);
}

/// New York an hour after a login in Mountain View (~4,100 km) is faster than 1000 km/h:
/// `impossible_travel` with distance, speed, elapsed time and limit. The same trip in five hours
/// is plausible.
pub async fn impossible_travel_is_counted_with_distance_and_speed<H: StoreHarness>(h: H) {
    let (fx, hasty) = logged_in(&h, "{}").await;
    let patient = fx.login(&user("alice")).await.session.id();
    fx.take_events().await;
    fx.advance(Duration::hours(1));

    let flown = report(&fx, hasty, NEW_YORK_IP, USER_AGENT).await;

    assert_eq!(flown.suspicious_activity_count, 2);
    let events = fx.take_events().await;
    let signals = suspicious(&events);
    let kinds: Vec<&str> = signals.iter().map(|s| s.activity_type.as_str()).collect();
    assert_eq!(kinds, ["ip_change", "impossible_travel"], "same country");
    let details = &signals[1].details;
    let km = details["km"].as_f64().expect("km is a number");
    assert!((4000.0..4200.0).contains(&km), "{details}");
    assert_eq!(details["kmh"], details["km"], "over one hour");
    assert_eq!(details["elapsed_secs"], 3600);
    assert_eq!(details["max_kmh"], 1000);
    assert_eq!(
        (&details["from_country"], &details["to_country"]),
        (&json!("US"), &json!("US"))
    );
    assert_eq!(signals[1].suspicious_count, 2);

    fx.advance(Duration::hours(4));
    let driven = report(&fx, patient, NEW_YORK_IP, USER_AGENT).await;
    let kinds: Vec<String> = suspicious(&fx.take_events().await)
        .iter()
        .map(|s| s.activity_type.clone())
        .collect();
    assert_eq!(kinds, ["ip_change"], "~820 km/h is a flight");
    assert_eq!(driven.suspicious_activity_count, 1);
}

/// Another user agent on the same address is written at once and counts `user_agent_change`,
/// described by device (no raw user agents); it becomes the one compared with, and the login's
/// is kept.
pub async fn user_agent_change_is_counted_and_emitted_by_device<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    fx.advance_secs(5);

    let switched = report(&fx, id, LOGIN_IP, FIREFOX_UA).await;

    assert!(switched.recorded && !switched.ip_changed);
    assert_eq!(switched.suspicious_activity_count, 1);
    let events = fx.take_events().await;
    let signal = suspicious(&events)[0];
    assert_eq!(signal.activity_type, "user_agent_change");
    assert_eq!(
        signal.details,
        json!({"from_device": DEVICE, "to_device": FIREFOX})
    );
    assert_eq!(signal.suspicious_count, 1);
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.user_agent(), Some(USER_AGENT), "login's kept");
    assert_eq!(stored.last_user_agent(), Some(FIREFOX_UA));

    fx.advance_secs(5);
    assert!(!report(&fx, id, LOGIN_IP, FIREFOX_UA).await.recorded);
    assert!(
        fx.take_events().await.is_empty(),
        "no change the second time"
    );
    let back = report(&fx, id, LOGIN_IP, USER_AGENT).await;
    assert!(back.recorded && back.suspicious_activity_count == 2);
    assert_eq!(fx.stored(id).await.value.last_user_agent(), None);
}

/// Signals switched off in `suspicious_signals` are neither counted nor emitted; the activity is
/// still recorded.
pub async fn switched_off_signals_are_neither_counted_nor_emitted<H: StoreHarness>(h: H) {
    let off = r#"{"suspicious_signals": {"ip_change": false, "country_change": false,
                   "impossible_travel": false, "user_agent_change": false}}"#;
    let (fx, id) = logged_in(&h, off).await;
    fx.advance(Duration::minutes(10));

    let outcome = report(&fx, id, LONDON_IP, FIREFOX_UA).await;

    assert!(outcome.recorded && outcome.ip_changed);
    assert_eq!(outcome.suspicious_activity_count, 0);
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["SessionActivityUpdated"]
    );
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.suspicious_activity_count(), 0);
    assert_eq!(stored.last_country_code(), Some("GB"), "still tracked");
}

/// On a tier that revokes at 3, the third signal revokes the session in the report's own commit:
/// activity, signal, then the 3-state revocation events (reason `suspicious_activity`, by the
/// system); the session leaves the ledger index, fails validation, and later reports find it
/// inactive.
pub async fn reaching_the_threshold_revokes_with_events_in_order<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, REVOKING_BASIC).await;
    let alice = user("alice");
    for from in [NEIGHBOUR_IP, LOGIN_IP] {
        fx.advance_secs(5);
        assert!(report(&fx, id, from, USER_AGENT).await.active);
    }
    assert!(
        fx.is_active(id).await,
        "two signals are below the threshold"
    );
    fx.take_events().await;
    fx.advance_secs(5);

    let third = report(&fx, id, NEIGHBOUR_IP, USER_AGENT).await;

    assert!(third.recorded && third.revoked && !third.active);
    assert_eq!(third.suspicious_activity_count, 3);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "SessionActivityUpdated",
            "SuspiciousSessionActivity",
            "SessionRevocationAttempted",
            "SessionRevoked",
        ]
    );
    assert_eq!(activity_updated(&events)[0].session_id, id);
    assert_eq!(suspicious(&events)[0].suspicious_count, 3);
    let attempted = revocation_attempted(&events)[0];
    assert_eq!(
        (attempted.session_id, attempted.reason),
        (id, RevocationReason::SuspiciousActivity)
    );
    let done = revoked(&events)[0];
    assert_eq!(
        (done.session_id, done.reason, done.revoked_by_user.as_ref()),
        (id, RevocationReason::SuspiciousActivity, None)
    );
    assert_eq!(done.device_info.as_deref(), Some(DEVICE));
    let stored = fx.stored(id).await.value;
    let revocation = stored.revocation().expect("revoked");
    assert_eq!(
        (revocation.reason, revocation.by.clone(), revocation.at),
        (
            RevocationReason::SuspiciousActivity,
            Actor::System,
            fx.now()
        )
    );
    assert!(!fx.ledger_ids(&alice).await.contains(&id), "left the index");
    assert_eq!(
        fx.validity(id).await.reason(),
        Some(SessionStatus::Revoked.as_str())
    );

    fx.advance(Duration::minutes(10));
    let after = report(&fx, id, LONDON_IP, FIREFOX_UA).await;
    assert!(!after.active && !after.recorded && after.suspicious_activity_count == 3);
    assert!(fx.take_events().await.is_empty());
}

/// The revoking report is one commit: when it fails, nothing of it is stored or emitted (no
/// count, no revocation, no index change, no lone Attempted event), and a retry does it all.
pub async fn a_failed_revoking_report_changes_nothing<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, REVOKING_BASIC).await;
    let alice = user("alice");
    for from in [NEIGHBOUR_IP, LOGIN_IP] {
        fx.advance_secs(5);
        report(&fx, id, from, USER_AGENT).await;
    }
    fx.take_events().await;
    let before = fx.stored(id).await;
    fx.advance_secs(5);

    fx.fail_next_commits(1);
    let failed = fx
        .sessions
        .update_session_activity(
            UpdateSessionActivity {
                session_id: id,
                ip_address: Some(ip(NEIGHBOUR_IP)),
            }
            .with_user_agent(Some(USER_AGENT.to_owned())),
        )
        .await;

    assert!(matches!(failed, Err(SessionError::Store(_))), "{failed:?}");
    assert_eq!(fx.stored(id).await, before, "unchanged, version included");
    assert!(fx.ledger_ids(&alice).await.contains(&id));
    assert!(fx.is_active(id).await);
    assert!(fx.take_events().await.is_empty());
    let retried = report(&fx, id, NEIGHBOUR_IP, USER_AGENT).await;
    assert!(retried.revoked);
    assert_eq!(fx.take_events().await.len(), 4);
}

/// On a record-only tier (the default) no count revokes: ten signals later the session is active
/// and no revocation event was emitted.
pub async fn record_only_tier_never_revokes<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    for n in 0..10 {
        fx.advance_secs(5);
        let from = if n % 2 == 0 { NEIGHBOUR_IP } else { LOGIN_IP };
        let outcome = report(&fx, id, from, USER_AGENT).await;
        assert!(outcome.active && !outcome.revoked);
    }

    assert_eq!(fx.stored(id).await.value.suspicious_activity_count(), 10);
    assert!(fx.is_active(id).await);
    let events = fx.take_events().await;
    assert_eq!(suspicious(&events).len(), 10);
    assert!(revocation_attempted(&events).is_empty() && revoked(&events).is_empty());
}

/// The response is the tier's when the session was created (copied like the idle timeout): a
/// redeploy that makes the tier record-only still revokes sessions created before it, and
/// sessions created after it are never revoked.
pub async fn the_response_is_the_one_copied_at_login<H: StoreHarness>(h: H) {
    let (fx, before) = logged_in(&h, REVOKING_BASIC).await;
    let redeployed = Fixture::redeployed(&fx, config("{}"));
    let after = redeployed
        .create_session(crate::fixture::login_cmd(&user("alice")))
        .await
        .expect("login")
        .session
        .id();

    let mut outcomes = Vec::new();
    for from in [NEIGHBOUR_IP, LOGIN_IP, NEIGHBOUR_IP] {
        fx.advance_secs(5);
        for id in [before, after] {
            let outcome = redeployed
                .update_session_activity(
                    UpdateSessionActivity {
                        session_id: id,
                        ip_address: Some(ip(from)),
                    }
                    .with_user_agent(Some(USER_AGENT.to_owned())),
                )
                .await
                .expect("activity answered");
            outcomes.push((id, outcome.revoked));
        }
    }

    assert_eq!(
        fx.stored(before).await.value.suspicious_revoke_at_count(),
        Some(3)
    );
    assert_eq!(
        fx.stored(after).await.value.suspicious_revoke_at_count(),
        None
    );
    assert!(outcomes.contains(&(before, true)), "{outcomes:?}");
    assert!(!outcomes.contains(&(after, true)), "{outcomes:?}");
    assert!(!fx.is_active(before).await);
    assert!(fx.is_active(after).await);
}

/// Many reports within the write interval from the same address and user agent cause exactly one
/// write and one event; once the interval has passed, the next report writes again.
pub async fn reports_within_the_interval_write_once<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, REVOKING_BASIC).await;
    let interval = i64::from(fx.sessions.policy().activity_write_interval_secs());
    fx.advance_secs(interval);
    let login_version = fx.stored(id).await.version;

    let mut outcomes = Vec::new();
    for _ in 0..10 {
        outcomes.push(report(&fx, id, LOGIN_IP, USER_AGENT).await);
        fx.advance_secs(interval / 20);
    }

    let written: Vec<bool> = outcomes.iter().map(|o| o.recorded).collect();
    assert_eq!(written.iter().filter(|w| **w).count(), 1, "{written:?}");
    assert!(written[0], "the first report after the interval writes");
    assert_eq!(fx.stored(id).await.version, login_version + 1, "one write");
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["SessionActivityUpdated"]);
    assert!(
        outcomes
            .iter()
            .all(|o| o.active && o.suspicious_activity_count == 0)
    );

    fx.advance_secs(interval);
    assert!(report(&fx, id, LOGIN_IP, USER_AGENT).await.recorded);
    assert_eq!(fx.stored(id).await.version, login_version + 2);
}
