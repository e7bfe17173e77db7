//! Writes to one session after login: activity (throttled, IP changes), provider access,
//! refresh-token links; and the finality of revocation against all of them.

use std::str::FromStr;

use chrono::Duration;
use session_core::domain::{RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::ids::{ProviderName, RefreshTokenId, SessionId};
use session_core::use_cases::{
    ActivityOutcome, LinkRefreshTokenToSession, RecordProviderAccess, RevokeAllUserSessions,
    UpdateSessionActivity,
};

use crate::events::{activity_updated, detail_types, provider_access};
use crate::fixture::{LOGIN_IP, ip, user};
use crate::{Fixture, StoreHarness};

async fn activity<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    session_id: SessionId,
    from: &str,
) -> ActivityOutcome {
    fx.sessions
        .update_session_activity(UpdateSessionActivity {
            session_id,
            ip_address: Some(ip(from)),
        })
        .await
        .expect("activity answered")
}

async fn provider<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    session_id: SessionId,
    name: &str,
) -> Result<(), SessionError> {
    fx.sessions
        .record_provider_access(RecordProviderAccess {
            session_id,
            provider_name: ProviderName::from_str(name).expect("valid provider"),
        })
        .await
}

async fn link<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    session_id: SessionId,
    token: &str,
) -> Result<(), SessionError> {
    fx.sessions
        .link_refresh_token(LinkRefreshTokenToSession {
            session_id,
            refresh_token_id: RefreshTokenId::from_str(token).expect("valid token id"),
        })
        .await
}

/// Many reports from the same address within the write interval produce one write and one
/// SessionActivityUpdated: the session's version moves once.
pub async fn repeated_activity_within_the_interval_writes_once<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;
    fx.advance_secs(i64::from(
        fx.sessions.policy().activity_write_interval_secs(),
    ));
    let written_at = fx.now();

    let first = activity(&fx, id, LOGIN_IP).await;
    let after_first = fx.stored(id).await;
    let mut later = Vec::new();
    for _ in 0..4 {
        fx.advance_secs(10);
        later.push(activity(&fx, id, LOGIN_IP).await);
    }

    assert!(first.recorded && !first.ip_changed && first.active);
    assert!(later.iter().all(|o| !o.recorded && o.active), "{later:?}");
    assert_eq!(
        fx.stored(id).await,
        after_first,
        "no further write, version included"
    );
    assert_eq!(after_first.value.last_activity_at(), written_at);
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["SessionActivityUpdated"]);
    let event = activity_updated(&events)[0];
    assert_eq!((event.session_id, event.ip_changed), (id, false));
}

/// Once the interval has passed since the last write, activity is written again and moves
/// last_activity_at.
pub async fn activity_is_written_again_once_the_interval_has_passed<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    let interval = i64::from(fx.sessions.policy().activity_write_interval_secs());
    fx.advance_secs(interval);
    assert!(activity(&fx, id, LOGIN_IP).await.recorded);
    fx.take_events().await;

    fx.advance_secs(interval - 1);
    assert!(
        !activity(&fx, id, LOGIN_IP).await.recorded,
        "one second short"
    );
    fx.advance_secs(1);
    let outcome = activity(&fx, id, LOGIN_IP).await;

    assert!(outcome.recorded);
    assert_eq!(fx.stored(id).await.value.last_activity_at(), fx.now());
    assert_eq!(activity_updated(&fx.take_events().await).len(), 1);
}

/// A report from a new address is written at once, reports ip_changed, records the address as
/// the last one (the login address is kept) and says so in the event.
pub async fn activity_from_a_new_ip_writes_at_once_and_reports_ip_changed<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;
    fx.advance_secs(5);

    let moved = activity(&fx, id, "198.51.100.23").await;

    assert!(moved.recorded && moved.ip_changed);
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.last_ip_address(), Some(ip("198.51.100.23")));
    assert_eq!(
        stored.ip_address(),
        Some(ip(LOGIN_IP)),
        "the login address is kept"
    );
    assert_eq!(stored.last_activity_at(), fx.now());
    let events = fx.take_events().await;
    let event = activity_updated(&events)[0];
    assert!(event.ip_changed);
    assert_eq!(event.ip_address, Some(ip("198.51.100.23")));

    fx.advance_secs(5);
    let again = activity(&fx, id, "198.51.100.23").await;
    assert!(
        !again.recorded && !again.ip_changed,
        "same new address within the interval"
    );
}

/// Provider accesses are stored in first-access order without duplicates, with the last
/// provider and its time; every access emits SessionProviderAccess.
pub async fn provider_access_keeps_order_without_duplicates_and_emits_each_access<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;

    for name in ["plaid", "yodlee", "plaid", "mx"] {
        fx.advance_secs(1);
        provider(&fx, id, name).await.expect("recorded");
    }

    let stored = fx.stored(id).await.value;
    let names: Vec<&str> = stored
        .providers_accessed()
        .iter()
        .map(ProviderName::as_str)
        .collect();
    assert_eq!(names, ["plaid", "yodlee", "mx"]);
    assert_eq!(
        stored.last_provider_accessed().map(ProviderName::as_str),
        Some("mx")
    );
    assert_eq!(stored.last_provider_sync_at(), Some(fx.now()));
    let events = fx.take_events().await;
    let accessed: Vec<&str> = provider_access(&events)
        .iter()
        .map(|e| e.provider_name.as_str())
        .collect();
    assert_eq!(accessed, ["plaid", "yodlee", "plaid", "mx"]);
    assert!(
        provider_access(&events)
            .iter()
            .all(|e| e.session_id == id && e.user_id == alice)
    );
}

/// A refresh token link is stored and can be replaced; an inactive session refuses it and
/// keeps the token it had.
pub async fn link_refresh_token_is_stored_and_refused_on_inactive_sessions<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();

    link(&fx, id, "rt-1").await.expect("linked");
    let hash = |id: &str| Some(RefreshTokenId::from_str(id).expect("valid").hash());
    let token = |s: &session_core::domain::Session| s.refresh_token_hash().cloned();
    assert_eq!(
        token(&fx.stored(id).await.value),
        hash("rt-1"),
        "stored hashed"
    );
    link(&fx, id, "rt-2").await.expect("relinked");
    let relinked = fx.stored(id).await.value;
    assert_eq!(token(&relinked), hash("rt-2"));
    assert_eq!(
        relinked.previous_refresh_token_hash().cloned(),
        hash("rt-1")
    );

    fx.revoke(id, &alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    let refused = link(&fx, id, "rt-3").await;
    assert!(
        matches!(
            refused,
            Err(SessionError::SessionInactive {
                status: SessionStatus::Revoked
            })
        ),
        "{refused:?}"
    );
    assert_eq!(token(&fx.stored(id).await.value), hash("rt-2"));
    let missing = link(&fx, fx.new_session_id(), "rt-4").await;
    assert!(
        matches!(missing, Err(SessionError::SessionNotFound)),
        "{missing:?}"
    );
}

/// A revoked session never becomes active again: activity (even from a new address after the
/// interval), provider access, token links, a policy change and revoke-all leave it revoked
/// with its first revocation, and none of them emits an event about it.
pub async fn revocation_is_final_even_after_later_writes<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.revoke(id, &alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    let revoked = fx.stored(id).await;
    fx.take_events().await;

    fx.advance(Duration::minutes(30));
    let outcome = activity(&fx, id, "198.51.100.77").await;
    assert!(!outcome.active && !outcome.recorded && !outcome.ip_changed);
    assert!(matches!(
        provider(&fx, id, "plaid").await,
        Err(SessionError::SessionInactive { .. })
    ));
    assert!(matches!(
        link(&fx, id, "rt-9").await,
        Err(SessionError::SessionInactive { .. })
    ));
    fx.register(&alice, "pro", None).await;
    let all = fx
        .sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::PasswordChanged,
            except_session_id: None,
            by: session_core::domain::Actor::System,
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        })
        .await
        .expect("revoke-all");
    assert!(all.session_ids.is_empty());

    assert_eq!(
        fx.stored(id).await,
        revoked,
        "unchanged since its revocation"
    );
    assert_eq!(
        fx.validity(id).await.reason(),
        Some(SessionStatus::Revoked.as_str())
    );
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"],
        "no activity or provider event for a revoked session"
    );
}

/// Activity and provider access for a session that does not exist are session_not_found.
pub async fn writes_to_a_missing_session_are_session_not_found<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let missing = fx.new_session_id();

    let activity = fx
        .sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: missing,
            ip_address: Some(ip(LOGIN_IP)),
        })
        .await;
    let access = provider(&fx, missing, "plaid").await;

    assert!(
        matches!(activity, Err(SessionError::SessionNotFound)),
        "{activity:?}"
    );
    assert!(
        matches!(access, Err(SessionError::SessionNotFound)),
        "{access:?}"
    );
    assert!(fx.take_events().await.is_empty());
}
