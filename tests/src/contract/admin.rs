//! Security operations through the store: an admin revoking one or every session of any user, a
//! bulk revocation, signing out everywhere in one command, disabling and enabling an account, and
//! the races these must win: a disabled user's logins, a revoke-all against logins in flight, a
//! credential change in the same second as a login.

use std::str::FromStr;

use chrono::{Duration, DurationRound};
use session_core::Sessions;
use session_core::domain::change_time::credential_change_cutoff;
use session_core::domain::{AccountStatus, Actor, PolicyConfig, RevocationReason};
use session_core::error::SessionError;
use session_core::events::RevokeAllTrigger;
use session_core::ids::{ActorName, Note, UserId};
use session_core::ports::SessionStore;
use session_core::use_cases::{
    CreatedSession, Owner, RequestedStatus, RevokeAllScope, RevokeAllUserSessions, RevokeSession,
    RevokeUsersSessions, SetAccountStatus,
};
use tokio::task::JoinHandle;

use crate::contract::concurrency::race;
use crate::events::{
    all_attempted, all_revoked, detail_types, revocation_attempted, revoked, sessions_blocked,
    sessions_unblocked,
};
use crate::fixture::{login_cmd, user};
use crate::gated::{Gate, GatedStore};
use crate::{Fixture, StoreHarness};

fn admin() -> Actor {
    Actor::Admin {
        actor: ActorName::from_str("support:jane").expect("valid actor"),
    }
}

fn note(text: &str) -> Option<Note> {
    Some(Note::from_str(text).expect("valid note"))
}

fn status_change(user_id: &UserId, status: RequestedStatus) -> SetAccountStatus {
    SetAccountStatus {
        user_id: user_id.clone(),
        status,
        reason: Some(RevocationReason::SecurityConcern),
        by: admin(),
        note: note("account takeover reported"),
        once: None,
    }
}

/// `n` logins of `user` that have read the ledger and wait at their commit until the gate opens.
async fn logins_held_at_commit<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user: &UserId,
    n: usize,
) -> (Vec<JoinHandle<Result<CreatedSession, SessionError>>>, Gate) {
    let (store, gate) = GatedStore::new(fx.store.clone());
    let gated = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());
    let in_flight = (0..n)
        .map(|_| {
            let sessions = gated.clone();
            let cmd = login_cmd(user);
            tokio::spawn(async move { sessions.create_session(cmd).await })
        })
        .collect();
    gate.until_waiting(u32::try_from(n).unwrap_or(u32::MAX))
        .await;
    (in_flight, gate)
}

/// An admin revokes a session of any user: the revocation records the admin by name, the reason
/// and the note, and the 3-state events carry them.
pub async fn an_admin_revokes_any_users_session_recording_who_why_and_the_note<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let id = fx.login(&alice).await.session.id();
    fx.take_events().await;

    fx.sessions
        .revoke_session(RevokeSession {
            session_id: id,
            owner: Owner::Any,
            reason: RevocationReason::SecurityConcern,
            by: admin(),
            note: note("phone stolen"),
        })
        .await
        .expect("revoked");

    let stored = fx.stored(id).await.value;
    let revocation = stored.revocation().expect("revoked");
    assert_eq!(revocation.reason, RevocationReason::SecurityConcern);
    assert_eq!(revocation.by, admin());
    assert_eq!(revocation.note, note("phone stolen"));
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionRevocationAttempted", "SessionRevoked"]
    );
    assert_eq!(revocation_attempted(&events)[0].by, admin());
    let done = revoked(&events)[0];
    assert_eq!((&done.user_id, &done.by), (&alice, &admin()));
    assert_eq!(done.note, note("phone stolen"));
    assert_eq!(done.revoked_by_user, None, "not a user's own sign-out");
}

/// An admin's revocation of a session that does not exist is `session_not_found`, writes nothing
/// and emits nothing: it concerns no user.
pub async fn an_admin_revocation_of_a_missing_session_is_not_found_and_emits_nothing<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let outcome = fx
        .sessions
        .revoke_session(RevokeSession {
            session_id: fx.new_session_id(),
            owner: Owner::Any,
            reason: RevocationReason::AdminAction,
            by: admin(),
            note: None,
        })
        .await;
    assert!(matches!(outcome, Err(SessionError::SessionNotFound)));
    assert!(fx.take_events().await.is_empty());
}

/// An admin revoke-all ends every session of the user, the one in use included, and its events
/// name the admin, the trigger and the note.
pub async fn an_admin_revoke_all_ends_every_session_and_its_events_name_the_admin<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    let ids = fx.login_n(&alice, 3).await;
    let bobs = fx.login(&bob).await.session.id();
    fx.take_events().await;

    let done = fx
        .sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::SecurityConcern,
            except_session_id: None,
            by: admin(),
            trigger: RevokeAllTrigger::AdminRequest,
            note: note("credential stuffing"),
        })
        .await
        .expect("revoked all");

    assert_eq!(done.session_ids.len(), 3);
    for id in &ids {
        let stored = fx.stored(*id).await.value;
        let revocation = stored.revocation().expect("revoked");
        assert_eq!(
            (revocation.reason, &revocation.by, &revocation.note),
            (
                RevocationReason::SecurityConcern,
                &admin(),
                &note("credential stuffing")
            )
        );
    }
    assert!(fx.is_active(bobs).await, "another user is untouched");
    let events = fx.take_events().await;
    let attempted = all_attempted(&events)[0];
    assert_eq!(
        (&attempted.by, attempted.trigger, &attempted.note),
        (
            &admin(),
            RevokeAllTrigger::AdminRequest,
            &note("credential stuffing")
        )
    );
    let outcome = all_revoked(&events)[0];
    assert_eq!(
        (&outcome.by, outcome.trigger),
        (&admin(), RevokeAllTrigger::AdminRequest)
    );
}

/// "Sign out everywhere, this device included" is one revoke-all with one outcome: the caller's
/// session goes with the others.
pub async fn signing_out_everywhere_including_this_device_is_one_command<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, 3).await;
    fx.take_events().await;

    let done = fx
        .sessions
        .revoke_all_user_sessions(RevokeAllUserSessions::by_user(alice.clone(), None))
        .await
        .expect("signed out everywhere");

    assert_eq!(done.session_ids.len(), 3);
    assert!(fx.active_ids(&alice).await.is_empty());
    for id in ids {
        let stored = fx.stored(id).await.value;
        assert_eq!(
            stored.revocation().map(|r| (r.reason, r.by.clone())),
            Some((
                RevocationReason::LogoutAll,
                Actor::User {
                    user_id: alice.clone()
                }
            ))
        );
    }
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );
    assert_eq!(all_revoked(&events)[0].except_session_id, None);
}

/// A bulk revocation answers for each user in order; an unknown user fails alone and the others
/// are revoked all the same.
pub async fn a_bulk_revocation_reports_each_user_and_one_failure_stops_no_other<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let (alice, bob, mallory) = (user("alice"), user("bob"), user("mallory"));
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    fx.login_n(&alice, 2).await;
    fx.login(&bob).await;

    let outcomes = fx
        .sessions
        .revoke_users_sessions(RevokeUsersSessions {
            user_ids: vec![alice.clone(), mallory.clone(), bob.clone()],
            reason: RevocationReason::SecurityConcern,
            by: admin(),
            note: None,
        })
        .await;

    let summary: Vec<(UserId, Result<usize, &'static str>)> = outcomes
        .iter()
        .map(|o| {
            (
                o.user_id.clone(),
                o.result.as_ref().map(Vec::len).map_err(SessionError::code),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (alice.clone(), Ok(2)),
            (mallory, Err("user_not_found")),
            (bob.clone(), Ok(1))
        ]
    );
    assert!(fx.active_ids(&alice).await.is_empty());
    assert!(fx.active_ids(&bob).await.is_empty());
}

/// Disabling revokes every session with the status in the same commit and refuses logins with
/// `account_disabled`; enabling allows logins again and brings no old session back.
pub async fn disabling_revokes_everything_and_refuses_logins_until_enabled_which_revives_nothing<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, 2).await;
    fx.take_events().await;

    let disabled = fx
        .sessions
        .set_account_status(status_change(&alice, RequestedStatus::Disabled))
        .await
        .expect("disabled");
    assert!(matches!(disabled.status, AccountStatus::Disabled { .. }));
    assert_eq!(disabled.revoked_session_ids.len(), 2);
    assert!(matches!(
        fx.ledger(&alice).await.value.status,
        AccountStatus::Disabled { ref by, .. } if *by == admin()
    ));
    for id in &ids {
        assert_eq!(
            fx.stored(*id).await.value.revocation().map(|r| r.reason),
            Some(RevocationReason::AccountDisabled)
        );
    }
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "AllSessionsRevocationAttempted",
            "UserSessionsBlocked",
            "AllSessionsRevoked"
        ]
    );
    let blocked = sessions_blocked(&events)[0];
    assert_eq!(
        (blocked.status.as_str(), blocked.reason, &blocked.by),
        ("disabled", RevocationReason::SecurityConcern, &admin())
    );
    assert_eq!(
        all_revoked(&events)[0].trigger,
        RevokeAllTrigger::AccountStatus
    );

    let refused = fx.sessions.create_session(login_cmd(&alice)).await;
    assert!(
        matches!(refused, Err(SessionError::AccountDisabled)),
        "{refused:?}"
    );

    fx.advance_secs(60);
    let enabled = fx
        .sessions
        .set_account_status(status_change(&alice, RequestedStatus::Active))
        .await
        .expect("enabled");
    assert_eq!(enabled.status, AccountStatus::Active);
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["UserSessionsUnblocked"]
    );
    for id in &ids {
        assert!(!fx.is_active(*id).await, "re-enabling revives nothing");
    }
    let after = fx.login(&alice).await.session.id();
    assert_eq!(
        fx.active_ids(&alice).await.into_iter().collect::<Vec<_>>(),
        [after]
    );
}

/// Logins of a disabled user are all refused: the ones made after the disable, and the ones that
/// read the ledger before it and commit after it (they conflict, read again and see the status).
pub async fn a_disabled_users_concurrent_logins_are_all_refused<H: StoreHarness>(h: H) {
    const LOGINS: usize = 16;
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    fx.login_n(&alice, 2).await;

    // In flight when the disable happens.
    let (in_flight, gate) = logins_held_at_commit(&fx, &alice, LOGINS).await;
    fx.sessions
        .set_account_status(status_change(&alice, RequestedStatus::Disabled))
        .await
        .expect("disabled");
    gate.open();
    for login in in_flight {
        let outcome = login.await.expect("login task");
        assert!(
            matches!(outcome, Err(SessionError::AccountDisabled)),
            "a login in flight: {outcome:?}"
        );
    }

    // After it, all at once.
    let tasks: Vec<_> = (0..LOGINS)
        .map(|_| {
            let sessions = fx.sessions.clone();
            let cmd = login_cmd(&alice);
            async move { sessions.create_session(cmd).await }
        })
        .collect();
    for outcome in race(tasks).await {
        assert!(
            matches!(outcome, Err(SessionError::AccountDisabled)),
            "a login after: {outcome:?}"
        );
    }
    assert!(fx.active_ids(&alice).await.is_empty());
}

/// Logins that started before a revoke-all and commit after it are refused
/// (`login_superseded`): no active session created before the revoke-all survives it.
pub async fn a_revoke_all_racing_logins_leaves_no_active_session_created_before_it<
    H: StoreHarness,
>(
    h: H,
) {
    const LOGINS: usize = 8;
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    fx.login_n(&alice, 2).await;

    let (in_flight, gate) = logins_held_at_commit(&fx, &alice, LOGINS).await;
    fx.advance(Duration::milliseconds(5));
    let revoke_all_at = fx.now();
    fx.sessions
        .revoke_all_user_sessions(RevokeAllUserSessions::by_user(alice.clone(), None))
        .await
        .expect("revoked all");
    gate.open();
    for login in in_flight {
        let outcome = login.await.expect("login task");
        assert!(
            matches!(outcome, Err(SessionError::LoginSuperseded)),
            "a login that began before the revoke-all: {outcome:?}"
        );
    }
    for id in fx.active_ids(&alice).await {
        let created = fx.stored(id).await.value.created_at();
        assert!(
            created >= revoke_all_at,
            "{id} was created before the revoke-all"
        );
    }
    assert!(fx.active_ids(&alice).await.is_empty());
    fx.advance(Duration::milliseconds(5));
    fx.login(&alice).await;
    assert_eq!(fx.active_ids(&alice).await.len(), 1, "a new login works");
}

/// A deleted account cannot be enabled again, and refuses logins.
pub async fn a_deleted_account_stays_blocked<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    fx.login(&alice).await;
    let deleted = fx
        .sessions
        .set_account_status(status_change(&alice, RequestedStatus::Deleted))
        .await
        .expect("deleted");
    assert!(matches!(deleted.status, AccountStatus::Deleted { .. }));
    assert!(fx.active_ids(&alice).await.is_empty());
    let enable = fx
        .sessions
        .set_account_status(status_change(&alice, RequestedStatus::Active))
        .await;
    assert!(
        matches!(enable, Err(SessionError::AccountDeleted)),
        "{enable:?}"
    );
    let login = fx.sessions.create_session(login_cmd(&alice)).await;
    assert!(
        matches!(login, Err(SessionError::AccountDisabled)),
        "{login:?}"
    );
    let events = fx.take_events().await;
    assert_eq!(sessions_blocked(&events)[0].status, "deleted");
    assert!(sessions_unblocked(&events).is_empty());
}

/// The same-second defect: a session created at .010 of a second with the old password, and a
/// reset at .361 of that second whose event's `time` has whole-second resolution. Taking the
/// envelope time as the end of its second revokes that session; a login in the next second
/// survives.
pub async fn a_reset_in_the_same_second_as_a_login_revokes_that_login<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    // Move to .010 of the next whole second.
    let now = fx.now();
    let second = now.duration_trunc(Duration::seconds(1)).unwrap_or(now) + Duration::seconds(1);
    fx.advance(second - now + Duration::milliseconds(10));
    let old_password = fx.login(&alice).await.session.id();
    fx.advance(Duration::milliseconds(351));
    let envelope_time = second; // what EventBridge says: 15:02:32Z
    fx.advance(Duration::seconds(1));
    let new_password = fx.login(&alice).await.session.id();

    let scope = RevokeAllScope {
        created_before: Some(credential_change_cutoff(
            None,
            Some(envelope_time),
            fx.now(),
        )),
        ..RevokeAllScope::default()
    };
    let done = fx
        .sessions
        .revoke_all_user_sessions_in_scope(
            RevokeAllUserSessions {
                user_id: alice.clone(),
                reason: RevocationReason::PasswordReset,
                except_session_id: None,
                by: Actor::System,
                trigger: RevokeAllTrigger::AuthEvent,
                note: None,
            },
            scope,
        )
        .await
        .expect("revoked");

    assert_eq!(done.session_ids, [old_password]);
    assert!(
        !fx.is_active(old_password).await,
        "created in the reset's second"
    );
    assert!(
        fx.is_active(new_password).await,
        "created in the next second"
    );
}

/// Disabling a user this service does not know is `user_not_found`, and writes and emits
/// nothing.
pub async fn disabling_an_unknown_user_is_user_not_found_and_changes_nothing<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let nobody = user("nobody");
    let outcome = fx
        .sessions
        .set_account_status(status_change(&nobody, RequestedStatus::Disabled))
        .await;
    assert!(
        matches!(outcome, Err(SessionError::UserNotFound)),
        "{outcome:?}"
    );
    assert!(fx.take_events().await.is_empty());
    assert!(
        fx.store
            .load_user(&nobody)
            .await
            .expect("readable")
            .is_none(),
        "no ledger was created"
    );
}
