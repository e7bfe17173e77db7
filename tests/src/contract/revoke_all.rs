//! RevokeAllUserSessions through the store: count, exception, nothing to do, repetition, store
//! failures and more sessions than one commit holds.

use std::collections::BTreeSet;

use session_core::Sessions;
use session_core::domain::{Actor, PolicyConfig, RevocationReason, Session};
use session_core::error::SessionError;
use session_core::ids::{SessionId, UserId};
use session_core::ports::ProcessedMarker;
use session_core::use_cases::{RevokeAllScope, RevokeAllUserSessions, RevokedAll};

use crate::events::{all_attempted, all_failed, all_revoked, detail_types};
use crate::fixture::user;
use crate::gated::GatedStore;
use crate::{Fixture, StoreHarness};

async fn revoke_all<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user_id: &UserId,
    reason: RevocationReason,
    except_session_id: Option<SessionId>,
) -> Result<RevokedAll, SessionError> {
    fx.sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: user_id.clone(),
            reason,
            except_session_id,
            by: Actor::System,
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        })
        .await
}

fn set(ids: &[SessionId]) -> BTreeSet<SessionId> {
    ids.iter().copied().collect()
}

async fn stored_all<H: StoreHarness>(fx: &Fixture<'_, H>, ids: &[SessionId]) -> Vec<Session> {
    let mut sessions = Vec::with_capacity(ids.len());
    for id in ids {
        sessions.push(fx.stored(*id).await.value);
    }
    sessions
}

/// Every session of the user is revoked with the reason, the count is reported, other users
/// are untouched, and the events are Attempted then AllSessionsRevoked.
pub async fn revoke_all_revokes_every_session_and_reports_the_count<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    let ids = fx.login_n(&alice, 4).await;
    let bobs = fx.login(&bob).await.session.id();
    fx.take_events().await;

    let outcome = revoke_all(&fx, &alice, RevocationReason::LogoutAll, None).await;

    let revoked_ids = outcome.expect("revoked").session_ids;
    assert_eq!(set(&revoked_ids), set(&ids));
    for session in stored_all(&fx, &ids).await {
        let revocation = session.revocation().expect("revoked");
        assert_eq!(revocation.reason, RevocationReason::LogoutAll);
        assert_eq!(revocation.by, Actor::System);
    }
    assert!(fx.active_ids(&alice).await.is_empty());
    assert!(
        fx.ledger_ids(&alice).await.is_empty(),
        "the limit index is emptied"
    );
    assert!(
        fx.is_active(bobs).await,
        "another user's session is untouched"
    );

    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );
    let attempted = all_attempted(&events)[0];
    assert_eq!(
        (
            &attempted.user_id,
            attempted.reason,
            attempted.except_session_id
        ),
        (&alice, RevocationReason::LogoutAll, None)
    );
    let done = all_revoked(&events)[0];
    assert_eq!(done.session_count, 4);
    assert_eq!(set(&done.session_ids), set(&ids));
    assert_eq!(done.except_session_id, None);
}

/// The excepted session (the caller's current one) stays active; the others are revoked.
pub async fn revoke_all_keeps_the_excepted_session_active<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 3).await;
    let current = ids[2];
    fx.take_events().await;

    let outcome = revoke_all(
        &fx,
        &alice,
        RevocationReason::PasswordChanged,
        Some(current),
    )
    .await;

    assert_eq!(set(&outcome.expect("revoked").session_ids), set(&ids[..2]));
    assert_eq!(fx.active_ids(&alice).await, set(&[current]));
    assert!(fx.stored(current).await.value.revocation().is_none());
    let events = fx.take_events().await;
    let done = all_revoked(&events)[0];
    assert_eq!(done.session_count, 2);
    assert_eq!(done.except_session_id, Some(current));
    assert_eq!(all_attempted(&events)[0].except_session_id, Some(current));
}

/// A user without sessions gets a successful revoke-all of zero sessions, with both events.
pub async fn revoke_all_with_no_sessions_succeeds_with_zero<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;

    let outcome = revoke_all(&fx, &alice, RevocationReason::LogoutAll, None).await;

    assert!(outcome.expect("succeeds").session_ids.is_empty());
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );
    let done = all_revoked(&events)[0];
    assert_eq!((done.session_count, done.session_ids.len()), (0, 0));
}

/// Running revoke-all again (a redelivered password change) revokes nothing and rewrites no
/// revocation: the first run's time and reason stand.
pub async fn revoke_all_second_run_revokes_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 3).await;
    revoke_all(&fx, &alice, RevocationReason::PasswordReset, None)
        .await
        .expect("first run");
    let after_first = stored_all(&fx, &ids).await;
    fx.take_events().await;
    fx.advance_secs(600);

    let outcome = revoke_all(&fx, &alice, RevocationReason::PasswordReset, None).await;

    assert!(outcome.expect("second run").session_ids.is_empty());
    assert_eq!(
        stored_all(&fx, &ids).await,
        after_first,
        "nothing rewritten"
    );
    let events = fx.take_events().await;
    assert_eq!(all_revoked(&events)[0].session_count, 0);
}

/// A session revoked earlier keeps its own revocation and is not counted again.
pub async fn revoke_all_leaves_earlier_revocations_untouched<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 3).await;
    fx.revoke(ids[0], &alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    let earlier = fx.stored(ids[0]).await;
    fx.advance_secs(60);

    let outcome = revoke_all(&fx, &alice, RevocationReason::LogoutAll, None).await;

    assert_eq!(set(&outcome.expect("revoked").session_ids), set(&ids[1..]));
    assert_eq!(
        fx.stored(ids[0]).await,
        earlier,
        "the logout stands, unrewritten"
    );
}

/// A commit failure reports Attempted + AllSessionsRevocationFailed(store_unavailable, nothing
/// revoked so far) and leaves every session active.
pub async fn revoke_all_store_failure_emits_failed_and_revokes_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 3).await;
    fx.take_events().await;

    fx.fail_next_commits(1);
    let outcome = revoke_all(&fx, &alice, RevocationReason::LogoutAll, None).await;

    assert_eq!(
        outcome.expect_err("the store failed").code(),
        "store_unavailable"
    );
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "AllSessionsRevocationAttempted",
            "AllSessionsRevocationFailed"
        ]
    );
    let failed = all_failed(&events)[0];
    assert_eq!(failed.failure_reason, "store_unavailable");
    assert!(failed.revoked_so_far.is_empty());
    assert_eq!(fx.active_ids(&alice).await, set(&ids));
    assert_eq!(fx.ledger_ids(&alice).await, set(&ids));
}

/// Revoke-all for a user the service does not know fails with user_not_found, after Attempted.
pub async fn revoke_all_for_an_unknown_user_fails_after_attempted<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let ghost = user("ghost");

    let outcome = revoke_all(&fx, &ghost, RevocationReason::PasswordChanged, None).await;

    assert!(
        matches!(outcome, Err(SessionError::UserNotFound)),
        "{outcome:?}"
    );
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "AllSessionsRevocationAttempted",
            "AllSessionsRevocationFailed"
        ]
    );
    assert_eq!(all_failed(&events)[0].failure_reason, "user_not_found");
}

/// More sessions than one DynamoDB transaction holds (100 items) are all revoked, with one
/// Attempted first and one AllSessionsRevoked last listing every one.
pub async fn revoke_all_revokes_more_sessions_than_one_commit_holds<H: StoreHarness>(h: H) {
    const SESSIONS: usize = 120;
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, SESSIONS).await;
    fx.take_events().await;
    assert!(
        fx.ledger(&alice).await.value.active.is_empty(),
        "an unlimited tier's ledger keeps no sessions: the revoke-all finds them in the index"
    );

    let outcome = revoke_all(&fx, &alice, RevocationReason::LogoutAll, None).await;

    assert_eq!(set(&outcome.expect("revoked").session_ids), set(&ids));
    assert!(fx.active_ids(&alice).await.is_empty());
    assert!(
        stored_all(&fx, &ids)
            .await
            .iter()
            .all(|s| s.revocation().map(|r| r.reason) == Some(RevocationReason::LogoutAll))
    );
    let events = fx.take_events().await;
    let types = detail_types(&events);
    assert_eq!(types.first(), Some(&"AllSessionsRevocationAttempted"));
    assert_eq!(types.last(), Some(&"AllSessionsRevoked"));
    assert_eq!(
        (all_attempted(&events).len(), all_revoked(&events).len()),
        (1, 1)
    );
    let done = all_revoked(&events)[0];
    assert_eq!(done.session_count, u32::try_from(SESSIONS).unwrap_or(0));
    assert_eq!(set(&done.session_ids), set(&ids));
}

fn once(key: &str, fx: &Fixture<'_, impl StoreHarness>) -> RevokeAllScope {
    RevokeAllScope {
        created_before: None,
        once: Some(ProcessedMarker {
            key: key.to_owned(),
            expires_at: fx.now() + chrono::Duration::days(7),
        }),
        status: None,
    }
}

/// A revoke-all carrying a processed marker (a password-change event) takes effect once: run
/// again with the same marker, it revokes nothing, even a login made since, and emits nothing.
pub async fn revoke_all_with_a_marker_runs_once_and_a_repeat_changes_nothing<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, 3).await;
    fx.take_events().await;
    let cmd = RevokeAllUserSessions {
        user_id: alice.clone(),
        reason: RevocationReason::PasswordReset,
        except_session_id: None,
        by: Actor::System,
        note: None,
        trigger: session_core::events::RevokeAllTrigger::UserRequest,
    };

    let first = fx
        .sessions
        .revoke_all_user_sessions_in_scope(cmd.clone(), once("auth-event:1", &fx))
        .await
        .expect("first run");
    assert_eq!(set(&first.session_ids), set(&ids));
    assert!(!first.already_processed);
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );

    let new_login = fx.login(&alice).await.session.id();
    fx.take_events().await;
    let again = fx
        .sessions
        .revoke_all_user_sessions_in_scope(cmd.clone(), once("auth-event:1", &fx))
        .await
        .expect("repeat");
    assert!(again.already_processed);
    assert!(again.session_ids.is_empty());
    assert!(
        fx.is_active(new_login).await,
        "a login after the event survives its redelivery"
    );
    assert!(fx.take_events().await.is_empty(), "a repeat emits nothing");

    let other = fx
        .sessions
        .revoke_all_user_sessions_in_scope(cmd, once("auth-event:2", &fx))
        .await
        .expect("another event");
    assert_eq!(
        other.session_ids,
        vec![new_login],
        "a different marker is new work"
    );
}

/// Scoped to sessions created up to an instant (the password change), a revoke-all spares the
/// logins made after it.
pub async fn revoke_all_created_before_spares_later_logins<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let before = fx.login_n(&alice, 2).await;
    let changed_at = fx.now();
    fx.advance_secs(60);
    let after = fx.login(&alice).await.session.id();

    let outcome = fx
        .sessions
        .revoke_all_user_sessions_in_scope(
            RevokeAllUserSessions {
                user_id: alice.clone(),
                reason: RevocationReason::PasswordChanged,
                except_session_id: None,
                by: Actor::System,
                note: None,
                trigger: session_core::events::RevokeAllTrigger::UserRequest,
            },
            RevokeAllScope {
                created_before: Some(changed_at),
                once: None,
                status: None,
            },
        )
        .await
        .expect("revoked");

    assert_eq!(set(&outcome.session_ids), set(&before));
    assert!(fx.is_active(after).await);
    for id in before {
        assert!(!fx.is_active(id).await);
    }
}

/// A login that commits after a revoke-all read the user's index, and before its first chunk,
/// is revoked with the rest: the login moved the ledger's version, so the chunk is refused and
/// the revoke-all reads again (the index alone would not have named the new session).
pub async fn revoke_all_includes_a_login_committed_after_it_read_the_index<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let mut ids = fx.login_n(&alice, 2).await;
    fx.take_events().await;

    let (store, gate) = GatedStore::holding_revocations(fx.store.clone());
    let gated = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());
    let cmd = RevokeAllUserSessions::by_user(alice.clone(), None);
    let revoke_all = tokio::spawn(async move { gated.revoke_all_user_sessions(cmd).await });
    gate.until_waiting(1).await;
    ids.push(fx.login(&alice).await.session.id());
    gate.open();
    let outcome = revoke_all.await.expect("revoke-all task");

    assert_eq!(set(&outcome.expect("revoked").session_ids), set(&ids));
    assert!(fx.active_ids(&alice).await.is_empty());
    let events = fx.take_events().await;
    let done = all_revoked(&events);
    assert_eq!(done.len(), 1, "{:?}", detail_types(&events));
    assert_eq!(set(&done[0].session_ids), set(&ids));
}
