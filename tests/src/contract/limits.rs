//! Session limits through the store: eviction, deny, unlimited, overrides, lowered limits.

use std::collections::BTreeSet;

use chrono::Duration;
use session_core::domain::policy::MAX_SESSIONS_LIMIT;
use session_core::domain::{Actor, RevocationReason, SessionStatus};
use session_core::error::{InvalidInput, SessionError};
use session_core::ids::SessionId;
use session_core::use_cases::{CreateSession, SetUserSessionPolicy, UpdateSessionActivity};

use crate::events::{created, detail_types, evicted, limit_exceeded};
use crate::fixture::{DEVICE, FixtureConfig, ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

fn set(ids: &[SessionId]) -> BTreeSet<SessionId> {
    ids.iter().copied().collect()
}

/// Below the limit a login evicts nothing and emits only SessionCreated.
pub async fn create_under_the_limit_evicts_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let first = fx.login(&alice).await;
    fx.advance_secs(60);
    let second = fx.login(&alice).await;

    assert!(first.evicted_session_ids.is_empty() && second.evicted_session_ids.is_empty());
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[first.session.id(), second.session.id()])
    );
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["SessionCreated", "SessionCreated"]
    );
}

/// At the limit a login revokes the oldest created session (even one used more recently than
/// the others) and emits SessionLimitExceeded, SessionEvicted, SessionCreated, in that order.
pub async fn create_at_the_limit_evicts_the_oldest_created_with_events_in_order<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let ids = fx.login_n(&alice, 2).await;
    let (oldest, newer) = (ids[0], ids[1]);
    // Recent use must not save the oldest-created session: eviction is by creation, not LRU.
    fx.advance(Duration::minutes(10));
    fx.sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: oldest,
            ip_address: Some(ip("198.51.100.99")),
        })
        .await
        .expect("activity recorded");
    fx.take_events().await;

    fx.advance_secs(60);
    let login = fx.login(&alice).await;

    assert_eq!(login.evicted_session_ids, [oldest]);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionLimitExceeded", "SessionEvicted", "SessionCreated"]
    );
    let exceeded = limit_exceeded(&events)[0];
    assert_eq!(
        (exceeded.current_count, exceeded.max_sessions),
        (2, 2),
        "count before the login and the limit"
    );
    assert_eq!(exceeded.evicted_session_ids, [oldest]);
    let eviction = evicted(&events)[0];
    assert_eq!(eviction.session_id, oldest);
    assert_eq!(eviction.reason, RevocationReason::SessionLimitExceeded);
    assert_eq!(eviction.evicted_by_session_id, Some(login.session.id()));
    assert_eq!(eviction.device_info.as_deref(), Some(DEVICE));
    assert_eq!(created(&events)[0].session_id, login.session.id());

    let revocation = fx
        .stored(oldest)
        .await
        .value
        .revocation()
        .cloned()
        .expect("oldest revoked");
    assert_eq!(revocation.reason, RevocationReason::SessionLimitExceeded);
    assert_eq!(revocation.by, Actor::System);
    assert_eq!(
        fx.validity(oldest).await.reason(),
        Some(SessionStatus::Revoked.as_str())
    );
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[newer, login.session.id()])
    );
    assert_eq!(
        fx.ledger_ids(&alice).await,
        set(&[newer, login.session.id()])
    );
}

/// A user several sessions over the limit (the tier's limit was lowered by configuration) is
/// brought back to the limit by the next login in one step: every excess session is evicted,
/// oldest first, in one SessionLimitExceeded.
pub async fn create_far_over_a_lowered_tier_limit_evicts_all_excess_in_one_step<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 5).await;
    fx.take_events().await;
    let lowered = fx.redeployed(FixtureConfig::with_policy_json(
        r#"{"tiers":{"plus":{"max_sessions":2}}}"#,
    ));

    fx.advance_secs(60);
    let login = lowered
        .create_session(login_cmd(&alice))
        .await
        .expect("login");

    let excess = &ids[..4];
    assert_eq!(
        login.evicted_session_ids, excess,
        "all four excess sessions, oldest first"
    );
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "SessionLimitExceeded",
            "SessionEvicted",
            "SessionEvicted",
            "SessionEvicted",
            "SessionEvicted",
            "SessionCreated"
        ]
    );
    let exceeded = limit_exceeded(&events)[0];
    assert_eq!((exceeded.current_count, exceeded.max_sessions), (5, 2));
    assert_eq!(exceeded.evicted_session_ids, excess);
    let evicted_ids: Vec<SessionId> = evicted(&events).iter().map(|e| e.session_id).collect();
    assert_eq!(evicted_ids, excess);
    for id in excess {
        let reason = fx.stored(*id).await.value.revocation().map(|r| r.reason);
        assert_eq!(reason, Some(RevocationReason::SessionLimitExceeded));
    }
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[ids[4], login.session.id()])
    );
}

/// Lowering a user's limit revokes the excess at once (oldest first, reason tier_changed, one
/// SessionEvicted each, no login involved); the next login then evicts just one.
pub async fn lowering_the_override_evicts_the_excess_at_once_with_tier_changed<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 5).await;
    fx.take_events().await;

    let view = fx.register(&alice, "plus", Some(2)).await;

    assert_eq!(view.effective_max_sessions, Some(2));
    assert_eq!(view.evicted_session_ids, &ids[..3]);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionEvicted", "SessionEvicted", "SessionEvicted"]
    );
    for (event, id) in evicted(&events).into_iter().zip(&ids[..3]) {
        assert_eq!(event.session_id, *id);
        assert_eq!(event.reason, RevocationReason::TierChanged);
        assert_eq!(event.evicted_by_session_id, None);
    }
    for id in &ids[..3] {
        let reason = fx.stored(*id).await.value.revocation().map(|r| r.reason);
        assert_eq!(reason, Some(RevocationReason::TierChanged));
    }
    assert_eq!(fx.active_ids(&alice).await, set(&ids[3..]));
    assert_eq!(fx.ledger(&alice).await.value.policy.max_sessions, Some(2));

    fx.advance_secs(60);
    let login = fx.login(&alice).await;
    assert_eq!(
        login.evicted_session_ids,
        [ids[3]],
        "the stored limit now applies to logins"
    );
}

/// An unlimited tier never evicts and never reports the limit.
pub async fn unlimited_tier_never_evicts<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;

    let ids = fx.login_n(&alice, 12).await;

    assert_eq!(fx.active_ids(&alice).await, set(&ids));
    let events = fx.take_events().await;
    assert_eq!(created(&events).len(), 12);
    assert!(evicted(&events).is_empty() && limit_exceeded(&events).is_empty());
}

/// A per-user max_sessions wins over the tier's limit, in both directions.
pub async fn override_beats_the_tier_limit<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let capped = user("capped-pro");
    let raised = user("raised-basic");
    fx.register(&capped, "pro", Some(2)).await;
    fx.register(&raised, "basic", Some(4)).await;

    let capped_ids = fx.login_n(&capped, 3).await;
    let raised_ids = fx.login_n(&raised, 4).await;

    assert_eq!(
        fx.active_ids(&capped).await,
        set(&capped_ids[1..]),
        "an unlimited tier capped at 2 evicts the third login's oldest"
    );
    assert_eq!(
        fx.active_ids(&raised).await,
        set(&raised_ids),
        "a tier of 2 raised to 4 keeps four"
    );
    fx.advance_secs(60);
    let fifth = fx.login(&raised).await;
    assert_eq!(fifth.evicted_session_ids, [raised_ids[0]]);
}

/// A deny tier refuses a login at the limit: session_limit_exceeded, a SessionLimitExceeded
/// event (nothing evicted), no new session, the existing ones untouched.
pub async fn deny_tier_refuses_the_login_and_creates_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"strict":{"max_sessions":2,"on_limit":"deny"}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "strict", None).await;
    let ids = fx.login_n(&alice, 2).await;
    fx.take_events().await;

    fx.advance_secs(60);
    let outcome = fx.sessions.create_session(login_cmd(&alice)).await;

    assert!(
        matches!(
            outcome,
            Err(SessionError::SessionLimitExceeded { max_sessions: 2 })
        ),
        "{outcome:?}"
    );
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["SessionLimitExceeded"]);
    let exceeded = limit_exceeded(&events)[0];
    assert_eq!((exceeded.current_count, exceeded.max_sessions), (2, 2));
    assert!(exceeded.evicted_session_ids.is_empty());
    let listed: Vec<SessionId> = fx
        .list_all(&alice, false, 100, None)
        .await
        .iter()
        .map(|s| s.session.id())
        .collect();
    assert_eq!(set(&listed), set(&ids), "no session was created");
    assert_eq!(fx.active_ids(&alice).await, set(&ids), "none was evicted");
}

/// Sessions past their absolute expiry do not count toward the limit: no eviction, and the
/// expired session is left expired, not revoked.
pub async fn expired_sessions_do_not_count_toward_the_limit<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let short = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(fx.now() + Duration::hours(1)),
            ..login_cmd(&alice)
        })
        .await
        .expect("login")
        .session
        .id();
    fx.advance_secs(60);
    let long = fx.login(&alice).await.session.id();
    fx.take_events().await;

    fx.advance(Duration::hours(2));
    let login = fx.login(&alice).await;

    assert!(login.evicted_session_ids.is_empty());
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[long, login.session.id()])
    );
    let expired = fx.stored(short).await.value;
    assert!(expired.revocation().is_none(), "expired, not revoked");
    assert_eq!(expired.status(fx.now()), SessionStatus::Expired);
}

/// A revoked session frees its slot at once: the next login evicts nothing.
pub async fn revoked_sessions_do_not_count_toward_the_limit<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let ids = fx.login_n(&alice, 2).await;
    fx.revoke(ids[0], &alice, RevocationReason::Logout)
        .await
        .expect("revoked");

    fx.advance_secs(60);
    let login = fx.login(&alice).await;

    assert!(login.evicted_session_ids.is_empty());
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[ids[1], login.session.id()])
    );
}

/// Sessions that went idle are not active and do not count: a deny tier lets the user log in
/// again instead of locking them out until the absolute expiry.
pub async fn idle_sessions_do_not_count_toward_a_deny_limit<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"idle-deny":{"max_sessions":2,"on_limit":"deny","idle_timeout_secs":600}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "idle-deny", None).await;
    let idle = fx.login_n(&alice, 2).await;
    fx.take_events().await;
    fx.advance_secs(600);
    assert!(
        fx.active_ids(&alice).await.is_empty(),
        "both sessions went idle"
    );

    let outcome = fx.sessions.create_session(login_cmd(&alice)).await;

    let login = outcome.expect("an idle user is not at the limit");
    assert!(login.evicted_session_ids.is_empty());
    assert_eq!(fx.active_ids(&alice).await, set(&[login.session.id()]));
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
    for id in idle {
        assert_eq!(
            fx.stored(id).await.value.status(fx.now()),
            SessionStatus::IdleExpired
        );
    }
}

/// At the limit only active sessions count and only active ones are evicted: an idle session
/// never makes a login revoke an active one.
pub async fn idle_sessions_never_cost_an_active_session_its_slot<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"idle-evict":{"max_sessions":2,"idle_timeout_secs":600}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "idle-evict", None).await;
    let used = fx.login(&alice).await.session.id();
    fx.advance_secs(60);
    let quiet = fx.login(&alice).await.session.id();
    fx.advance_secs(300);
    let kept_alive = fx
        .sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: used,
            ip_address: Some(ip("203.0.113.10")),
        })
        .await
        .expect("activity");
    assert!(kept_alive.recorded);
    fx.advance_secs(340);
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[used]),
        "the quiet one went idle"
    );
    fx.take_events().await;

    let login = fx.login(&alice).await;

    assert!(
        login.evicted_session_ids.is_empty(),
        "one active + one new fits a limit of 2"
    );
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[used, login.session.id()])
    );
    assert!(fx.stored(used).await.value.revocation().is_none());
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
    assert!(
        fx.stored(quiet).await.value.revocation().is_none(),
        "idle, not revoked"
    );

    fx.advance_secs(60);
    let next = fx.login(&alice).await;
    assert_eq!(
        next.evicted_session_ids,
        [used],
        "at the limit the oldest active one goes"
    );
}

/// Lowering a limit counts only active sessions: an active session is never revoked to make
/// room while an idle one is counted in its place.
pub async fn lowering_the_limit_never_revokes_an_active_session_for_an_idle_one<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"idle-evict":{"max_sessions":3,"idle_timeout_secs":600}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "idle-evict", None).await;
    let used = fx.login(&alice).await.session.id();
    fx.advance_secs(60);
    let quiet = fx.login(&alice).await.session.id();
    fx.advance_secs(300);
    fx.sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: used,
            ip_address: Some(ip("198.51.100.5")),
        })
        .await
        .expect("activity");
    fx.advance_secs(340);
    assert_eq!(
        fx.active_ids(&alice).await,
        set(&[used]),
        "the quiet one went idle"
    );
    fx.take_events().await;

    let view = fx.register(&alice, "idle-evict", Some(1)).await;

    assert!(
        view.evicted_session_ids.is_empty(),
        "{:?}",
        view.evicted_session_ids
    );
    assert!(fx.take_events().await.is_empty(), "nothing evicted");
    assert!(fx.is_active(used).await);
    assert!(
        fx.stored(quiet).await.value.revocation().is_none(),
        "idle, not revoked"
    );
}

/// An unlimited user moved to a limited tier keeps the newest sessions up to the limit: the
/// unlimited ledger named none of them, so the change lists them from the user's index and
/// evicts the oldest created (TierChanged); the ledger then names the kept ones.
pub async fn limiting_an_unlimited_user_evicts_the_oldest_beyond_the_limit<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, 5).await;
    assert!(fx.ledger(&alice).await.value.active.is_empty());
    fx.take_events().await;

    let view = fx.register(&alice, "basic", None).await;

    assert_eq!(view.effective_max_sessions, Some(2));
    assert_eq!(view.evicted_session_ids, &ids[..3]);
    for event in evicted(&fx.take_events().await) {
        assert_eq!(event.reason, RevocationReason::TierChanged);
    }
    assert_eq!(fx.active_ids(&alice).await, set(&ids[3..]));
    let ledger = fx.ledger(&alice).await.value;
    assert_eq!(
        ledger.active.keys().copied().collect::<BTreeSet<_>>(),
        set(&ids[3..])
    );
}

/// A per-user limit above the largest a ledger is sized for is refused and changes nothing.
pub async fn a_limit_above_the_largest_is_refused<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;

    let outcome = fx
        .sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: alice.clone(),
            tier: "plus".parse().expect("tier name"),
            max_sessions: Some(MAX_SESSIONS_LIMIT + 1),
        })
        .await;

    assert!(
        matches!(
            outcome,
            Err(SessionError::Invalid(InvalidInput::MaxSessionsTooHigh {
                max: MAX_SESSIONS_LIMIT
            }))
        ),
        "{outcome:?}"
    );
    assert_eq!(fx.ledger(&alice).await.value.policy.tier.as_str(), "pro");
}
