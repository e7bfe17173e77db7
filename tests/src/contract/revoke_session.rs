//! RevokeSession through the store: success, the three refusals, store failures, and the
//! three-state events (Attempted, then exactly one of Revoked / RevocationFailed).

use chrono::Duration;
use session_core::domain::{Actor, RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::events::DomainEvent;
use session_core::ids::{SessionId, UserId};
use session_core::use_cases::CreateSession;

use crate::events::{detail_types, revocation_attempted, revocation_failed, revoked};
use crate::fixture::{DEVICE, login_cmd, user};
use crate::{Fixture, StoreHarness};

/// Asserts `events` are exactly SessionRevocationAttempted then SessionRevocationFailed for
/// `session_id` / `user_id`, with `failure_reason`.
fn assert_attempted_then_failed(
    events: &[DomainEvent],
    session_id: SessionId,
    user_id: &UserId,
    failure_reason: &str,
) {
    assert_eq!(
        detail_types(events),
        ["SessionRevocationAttempted", "SessionRevocationFailed"]
    );
    let attempted = revocation_attempted(events)[0];
    assert_eq!(
        (attempted.session_id, &attempted.user_id),
        (session_id, user_id)
    );
    let failed = revocation_failed(events)[0];
    assert_eq!((failed.session_id, &failed.user_id), (session_id, user_id));
    assert_eq!(failed.reason, attempted.reason);
    assert_eq!(failed.failure_reason, failure_reason);
}

/// Revoking one's own session revokes it (at, reason, by stored), takes it out of the limit
/// index, leaves the others active, and emits Attempted then Revoked.
pub async fn revoke_session_revokes_it_with_attempted_then_revoked_events<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let ids = fx.login_n(&alice, 2).await;
    fx.take_events().await;
    fx.advance_secs(30);
    let at = fx.now();

    let outcome = fx.revoke(ids[0], &alice, RevocationReason::Logout).await;

    let returned = outcome.expect("revoked");
    let stored = fx.stored(ids[0]).await.value;
    assert_eq!(
        stored, returned,
        "the store holds what the command returned"
    );
    let revocation = stored.revocation().expect("revocation stored");
    assert_eq!(revocation.at, at);
    assert_eq!(revocation.reason, RevocationReason::Logout);
    assert_eq!(
        revocation.by,
        Actor::User {
            user_id: alice.clone()
        }
    );
    assert_eq!(
        fx.validity(ids[0]).await.reason(),
        Some(SessionStatus::Revoked.as_str())
    );
    assert!(fx.is_active(ids[1]).await, "the other session is untouched");
    assert!(
        !fx.ledger_ids(&alice).await.contains(&ids[0]),
        "no longer counted"
    );

    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionRevocationAttempted", "SessionRevoked"]
    );
    let attempted = revocation_attempted(&events)[0];
    assert_eq!(attempted.session_id, ids[0]);
    assert_eq!(attempted.reason, RevocationReason::Logout);
    let done = revoked(&events)[0];
    assert_eq!((done.session_id, &done.user_id), (ids[0], &alice));
    assert_eq!(done.reason, RevocationReason::Logout);
    assert_eq!(done.device_info.as_deref(), Some(DEVICE));
    assert_eq!(done.revoked_by_user.as_ref(), Some(&alice));
}

/// Revoking a session that does not exist fails with session_not_found, after Attempted.
pub async fn revoke_missing_session_fails_with_session_not_found_after_attempted<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let missing = fx.new_session_id();

    let outcome = fx.revoke(missing, &alice, RevocationReason::Logout).await;

    assert!(
        matches!(outcome, Err(SessionError::SessionNotFound)),
        "{outcome:?}"
    );
    assert_attempted_then_failed(
        &fx.take_events().await,
        missing,
        &alice,
        "session_not_found",
    );
}

/// Revoking someone else's session fails with not_session_owner, after Attempted, and leaves
/// the session active.
pub async fn revoke_another_users_session_fails_with_not_session_owner_and_keeps_it_active<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let mallory = user("mallory");
    fx.register(&alice, "basic", None).await;
    fx.register(&mallory, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;

    let outcome = fx.revoke(id, &mallory, RevocationReason::Manual).await;

    assert!(
        matches!(outcome, Err(SessionError::NotSessionOwner)),
        "{outcome:?}"
    );
    assert_attempted_then_failed(&fx.take_events().await, id, &mallory, "not_session_owner");
    assert!(fx.stored(id).await.value.revocation().is_none());
    assert!(fx.is_active(id).await);
}

/// Revoking a revoked session fails with session_already_revoked, after Attempted, and the
/// first revocation (time and reason) is kept.
pub async fn revoke_already_revoked_session_fails_and_keeps_the_first_revocation<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    let first_at = fx.now();
    fx.revoke(id, &alice, RevocationReason::Logout)
        .await
        .expect("first revocation");
    fx.take_events().await;
    fx.advance_secs(60);

    let outcome = fx.revoke(id, &alice, RevocationReason::AdminAction).await;

    assert!(
        matches!(outcome, Err(SessionError::SessionAlreadyRevoked)),
        "{outcome:?}"
    );
    assert_attempted_then_failed(
        &fx.take_events().await,
        id,
        &alice,
        "session_already_revoked",
    );
    let revocation = fx
        .stored(id)
        .await
        .value
        .revocation()
        .cloned()
        .expect("still revoked");
    assert_eq!(
        (revocation.at, revocation.reason),
        (first_at, RevocationReason::Logout)
    );
}

/// A commit failure while revoking reports store_unavailable through Attempted + Failed and
/// changes nothing; the same revocation succeeds once the store is back.
pub async fn revoke_session_commit_failure_emits_failed_store_unavailable_and_changes_nothing<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;
    let before = fx.stored(id).await;

    fx.fail_next_commits(1);
    let outcome = fx.revoke(id, &alice, RevocationReason::Logout).await;

    let error = outcome.expect_err("the store failed");
    assert_eq!(error.code(), "store_unavailable");
    assert_attempted_then_failed(&fx.take_events().await, id, &alice, "store_unavailable");
    assert_eq!(
        fx.stored(id).await,
        before,
        "session unchanged, version included"
    );
    assert!(fx.ledger_ids(&alice).await.contains(&id), "still counted");
    assert!(fx.is_active(id).await);

    fx.revoke(id, &alice, RevocationReason::Logout)
        .await
        .expect("succeeds once the store is back");
    assert!(!fx.is_active(id).await);
}

/// A read failure while revoking reports store_unavailable through Attempted + Failed and
/// changes nothing.
pub async fn revoke_session_read_failure_emits_failed_store_unavailable<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;

    fx.fail_next_reads(1);
    let outcome = fx.revoke(id, &alice, RevocationReason::Logout).await;

    assert_eq!(
        outcome.expect_err("the store failed").code(),
        "store_unavailable"
    );
    assert_attempted_then_failed(&fx.take_events().await, id, &alice, "store_unavailable");
    assert!(fx.is_active(id).await);
}

/// When the store cannot take even the failure events, nothing is written: never an Attempted
/// event without its outcome.
pub async fn revoke_session_with_the_store_down_leaves_no_attempted_event_alone<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;

    fx.fail_next_commits(2);
    let outcome = fx.revoke(id, &alice, RevocationReason::Logout).await;

    assert_eq!(
        outcome.expect_err("the store failed").code(),
        "store_unavailable"
    );
    assert!(fx.take_events().await.is_empty(), "no lone Attempted event");
    assert!(fx.is_active(id).await);
}

/// A session past its expiry but never revoked can still be revoked.
pub async fn revoke_expired_session_succeeds<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(fx.now() + Duration::hours(1)),
            ..login_cmd(&alice)
        })
        .await
        .expect("login")
        .session
        .id();
    fx.advance(Duration::hours(2));
    fx.take_events().await;

    let outcome = fx.revoke(id, &alice, RevocationReason::Manual).await;

    assert!(outcome.is_ok(), "{outcome:?}");
    let stored = fx.stored(id).await.value;
    assert_eq!(
        stored.revocation().map(|r| r.reason),
        Some(RevocationReason::Manual)
    );
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["SessionRevocationAttempted", "SessionRevoked"]
    );
}
