//! Revoke-alls that always finish (docs/0046): a revoke-all cut off between its chunks is
//! finished by the sweep with exactly one outcome, also when its runner is only slow and the two
//! race; a once-only one writes its marker; a sweep with nothing to do does nothing; one that
//! cannot finish within a day is given up with its failure recorded.

use std::collections::BTreeSet;

use chrono::Duration;
use session_core::SessionError;
use session_core::Sessions;
use session_core::domain::{Actor, PolicyConfig, RevocationReason};
use session_core::events::RevokeAllTrigger;
use session_core::ids::{SessionId, UserId};
use session_core::ports::{ProcessedMarker, SessionStore};
use session_core::use_cases::{
    ABANDONED, REVOKE_ALL_LEASE, ResumedRevokeAlls, RevokeAllScope, RevokeAllUserSessions,
    RevokedAll,
};

use crate::cut::{CutStore, Release};
use crate::events::{all_attempted, all_failed, all_revoked, detail_types};
use crate::fixture::user;
use crate::{Fixture, StoreHarness};

/// Commits of 10 items: the first chunk holds 3 revocations (ledger, Attempted, continuation and
/// 3 × 2), so 8 sessions take several chunks.
const SMALL_COMMITS: usize = 10;
const SESSIONS: usize = 8;

fn set(ids: &[SessionId]) -> BTreeSet<SessionId> {
    ids.iter().copied().collect()
}

fn cmd(user_id: &UserId) -> RevokeAllUserSessions {
    RevokeAllUserSessions {
        user_id: user_id.clone(),
        reason: RevocationReason::PasswordChanged,
        except_session_id: None,
        by: Actor::System,
        trigger: RevokeAllTrigger::AuthEvent,
        note: None,
    }
}

/// How many revoke-alls are unfinished in the fixture's store.
async fn unfinished_count<H: StoreHarness>(fx: &Fixture<'_, H>) -> usize {
    fx.store.unfinished_revoke_alls().await.expect("read").len()
}

/// `user` registered on the unlimited tier with `n` sessions, the events so far taken.
async fn signed_in<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user: &UserId,
    n: usize,
) -> Vec<SessionId> {
    fx.register(user, "pro", None).await;
    let ids = fx.login_n(user, n).await;
    fx.take_events().await;
    ids
}

/// A runner of the fixture's store and clock whose revoke-alls are cut after their first chunk.
fn cut_runner<H: StoreHarness>(fx: &Fixture<'_, H>) -> Sessions<CutStore<H::Store>> {
    let store = CutStore::failing_after(fx.store.clone(), SMALL_COMMITS, 1);
    Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone())
}

/// Past the lease of the runner cut off.
fn after_the_lease<H: StoreHarness>(fx: &Fixture<'_, H>) {
    fx.advance(REVOKE_ALL_LEASE + Duration::seconds(1));
}

/// Cut after its first chunk, a revoke-all leaves its Attempted event alone and a continuation;
/// the sweep leaves it while the lease runs, then finishes it: every session revoked, one
/// AllSessionsRevoked with the Attempted event's command and every id, the continuation gone.
pub async fn a_revoke_all_cut_after_its_first_chunk_is_finished_by_the_sweep<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let ids = signed_in(&fx, &alice, SESSIONS).await;

    let cut = cut_runner(&fx).revoke_all_user_sessions(cmd(&alice)).await;

    assert_eq!(cut.expect_err("cut off").code(), "store_unavailable");
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["AllSessionsRevocationAttempted"]);
    let unfinished = fx.store.unfinished_revoke_alls().await.expect("read");
    assert_eq!(unfinished.len(), 1);
    let revoked_first = set(&unfinished[0].value.revoked);
    assert!(!revoked_first.is_empty() && revoked_first.len() < SESSIONS);
    assert_eq!(
        fx.active_ids(&alice).await.len(),
        SESSIONS - revoked_first.len()
    );

    let early = fx.sessions.resume_revoke_alls().await.expect("sweep");
    assert_eq!(
        early,
        ResumedRevokeAlls {
            left: 1,
            ..ResumedRevokeAlls::default()
        },
        "a runner within its lease is left alone"
    );
    assert!(fx.take_events().await.is_empty());

    after_the_lease(&fx);
    let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");

    let outcome_id = unfinished[0].value.outcome_id;
    assert_eq!(swept.finished, vec![outcome_id]);
    assert!(fx.active_ids(&alice).await.is_empty());
    for id in &ids {
        let session = fx.stored(*id).await.value;
        let revocation = session.revocation().expect("revoked");
        assert_eq!(revocation.reason, RevocationReason::PasswordChanged);
    }
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["AllSessionsRevoked"]);
    assert_eq!(events[0].event_id, outcome_id);
    let done = all_revoked(&events)[0];
    assert_eq!(done.session_count, u32::try_from(SESSIONS).unwrap_or(0));
    assert_eq!(set(&done.session_ids), set(&ids));
    assert_eq!(done.trigger, RevokeAllTrigger::AuthEvent);
    assert_eq!(unfinished_count(&fx).await, 0, "no continuation left");
    let again = fx.sessions.resume_revoke_alls().await.expect("sweep");
    assert_eq!(again, ResumedRevokeAlls::default());
    assert!(fx.take_events().await.is_empty());
}

/// A runner that is slow, not gone: the sweep takes its revoke-all over when the lease runs out
/// and finishes it; the runner's next chunk then loses on the continuation's version, and it
/// stops. One outcome in all.
pub async fn a_slow_runner_and_the_sweep_racing_end_with_one_outcome<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let ids = signed_in(&fx, &alice, SESSIONS).await;
    let (store, release) = CutStore::holding_after(fx.store.clone(), SMALL_COMMITS, 1);
    let slow = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());
    let command = cmd(&alice);
    let runner = tokio::spawn(async move { slow.revoke_all_user_sessions(command).await });
    release.until_holding().await;

    after_the_lease(&fx);
    let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");
    assert_eq!(swept.finished.len(), 1, "{swept:?}");
    release.release();
    let ran = runner.await.expect("runner task").expect("runner");

    assert!(ran.session_ids.len() < SESSIONS, "the runner stopped");
    assert!(fx.active_ids(&alice).await.is_empty());
    let events = fx.take_events().await;
    assert_eq!(all_attempted(&events).len(), 1);
    assert_eq!(all_revoked(&events).len(), 1, "{:?}", detail_types(&events));
    assert!(all_failed(&events).is_empty());
    assert_eq!(set(&all_revoked(&events)[0].session_ids), set(&ids));
}

/// A once-only revoke-all (a password-change event) that the sweep finishes writes its marker
/// with the last chunk: a redelivery of the event changes nothing and emits nothing.
pub async fn a_resumed_once_only_revoke_all_writes_its_marker<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    signed_in(&fx, &alice, SESSIONS).await;
    let scope = || RevokeAllScope {
        created_before: None,
        once: Some(ProcessedMarker {
            key: "auth-event:resumed".to_owned(),
            expires_at: fx.now() + Duration::days(7),
        }),
        status: None,
    };

    let cut = cut_runner(&fx)
        .revoke_all_user_sessions_in_scope(cmd(&alice), scope())
        .await;
    assert!(cut.is_err());
    assert!(
        !fx.store
            .has_marker("auth-event:resumed")
            .await
            .expect("read")
    );
    after_the_lease(&fx);
    let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");

    assert_eq!(swept.finished.len(), 1);
    assert!(
        fx.store
            .has_marker("auth-event:resumed")
            .await
            .expect("read")
    );
    assert!(fx.active_ids(&alice).await.is_empty());
    fx.take_events().await;
    let new_login = fx.login(&alice).await.session.id();
    fx.take_events().await;
    let redelivered = fx
        .sessions
        .revoke_all_user_sessions_in_scope(cmd(&alice), scope())
        .await
        .expect("redelivery");
    assert!(redelivered.already_processed);
    assert!(fx.is_active(new_login).await);
    assert!(fx.take_events().await.is_empty());
}

/// With no revoke-all unfinished, a sweep reads, finds nothing, and writes nothing.
pub async fn a_sweep_with_nothing_to_resume_does_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let ids = fx.login_n(&alice, 3).await;
    fx.sessions
        .revoke_all_user_sessions(cmd(&alice))
        .await
        .expect("a revoke-all of one chunk");
    let bob = user("bob");
    fx.register(&bob, "pro", None).await;
    let bobs = fx.login(&bob).await.session.id();
    fx.take_events().await;
    after_the_lease(&fx);

    let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");

    assert_eq!(swept, ResumedRevokeAlls::default());
    assert!(fx.take_events().await.is_empty());
    assert!(fx.is_active(bobs).await);
    assert!(!fx.is_active(ids[0]).await);
}

/// A revoke-all unfinished a day after it began is given up: AllSessionsRevocationFailed with
/// its one outcome id, the sessions revoked so far and `revoke_all_abandoned`; the continuation
/// goes, and the sessions left stay as they are.
pub async fn a_revoke_all_unfinished_after_a_day_is_given_up<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    signed_in(&fx, &alice, SESSIONS).await;
    assert!(
        cut_runner(&fx)
            .revoke_all_user_sessions(cmd(&alice))
            .await
            .is_err()
    );
    fx.take_events().await;
    let unfinished = fx.store.unfinished_revoke_alls().await.expect("read");
    let revoked = set(&unfinished[0].value.revoked);

    fx.advance(Duration::hours(25));
    let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");

    assert_eq!(swept.given_up, vec![unfinished[0].value.outcome_id]);
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["AllSessionsRevocationFailed"]);
    assert_eq!(events[0].event_id, unfinished[0].value.outcome_id);
    let failed = all_failed(&events)[0];
    assert_eq!(failed.failure_reason, ABANDONED);
    assert_eq!(set(&failed.revoked_so_far), revoked);
    assert_eq!(unfinished_count(&fx).await, 0, "no continuation left");
}

/// Sessions enough for two waves of concurrent commits at [`SMALL_COMMITS`]: a first commit of 3,
/// 7 followers of 5, a lead of 4, 3 followers (5, 5, 5), and a last commit of 3: 13 revoking
/// commits (docs/0052).
const MANY: usize = 60;
const MANY_COMMITS: usize = 13;

/// Cut off after any of its commits, the first and the followers sent at once included, a large
/// revoke-all is finished by the sweep with one outcome that lists every session exactly once:
/// the followers that landed before the cut are read back from the sessions, not lost.
pub async fn a_revoke_all_cut_among_its_concurrent_commits_is_finished_with_every_session<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    for passes in 1..MANY_COMMITS {
        let alice = user(&format!("alice-{passes}"));
        let ids = signed_in(&fx, &alice, MANY).await;
        let store = CutStore::failing_after(fx.store.clone(), SMALL_COMMITS, passes);
        let cut = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());

        let answer = cut.revoke_all_user_sessions(cmd(&alice)).await;

        assert_eq!(
            answer.expect_err("cut off").code(),
            "store_unavailable",
            "cut after {passes}"
        );
        let unfinished = fx.store.unfinished_revoke_alls().await.expect("read");
        assert_eq!(unfinished.len(), 1, "cut after {passes}");
        after_the_lease(&fx);
        let swept = fx.sessions.resume_revoke_alls().await.expect("sweep");
        assert_eq!(swept.finished.len(), 1, "cut after {passes}: {swept:?}");
        assert!(fx.active_ids(&alice).await.is_empty(), "cut after {passes}");
        let events = fx.take_events().await;
        let outcomes = all_revoked(&events);
        assert_eq!(
            detail_types(&events),
            ["AllSessionsRevocationAttempted", "AllSessionsRevoked"],
            "cut after {passes}"
        );
        let listed = &outcomes[0].session_ids;
        assert_eq!(listed.len(), MANY, "cut after {passes}: each session once");
        assert_eq!(set(listed), set(&ids), "cut after {passes}");
        assert_eq!(outcomes[0].session_count, u32::try_from(MANY).unwrap_or(0));
    }
}

/// A revoke-all of [`MANY`] sessions of `user` (registered here) whose first commit went through
/// and whose 7 followers are all waiting on the store together, until released.
async fn followers_held<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user: &UserId,
) -> (
    Vec<SessionId>,
    tokio::task::JoinHandle<Result<RevokedAll, SessionError>>,
    Release,
) {
    let ids = signed_in(fx, user, MANY).await;
    let (store, release) = CutStore::holding_after(fx.store.clone(), SMALL_COMMITS, 1);
    let runner = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());
    let command = cmd(user);
    let task = tokio::spawn(async move { runner.revoke_all_user_sessions(command).await });
    for _ in 0..7 {
        tokio::time::timeout(std::time::Duration::from_secs(10), release.until_holding())
            .await
            .expect("the followers wait on the store together");
    }
    (ids, task, release)
}

/// Between its first and last commits, a large revoke-all sends its followers at once: the
/// 7 follower commits after the first one are all waiting on the store together, and once let
/// through, the command ends with every session in its outcome.
pub async fn a_large_revoke_all_sends_its_middle_commits_at_once<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let (ids, task, release) = followers_held(&fx, &alice).await;
    release.release();
    let done = task.await.expect("runner task").expect("runner");

    assert_eq!(done.session_ids.len(), MANY);
    assert_eq!(set(&done.session_ids), set(&ids));
    assert!(fx.active_ids(&alice).await.is_empty());
    let events = fx.take_events().await;
    assert_eq!(all_revoked(&events)[0].session_ids.len(), MANY);
}

/// A revoke-all signs out the sessions that existed when its first chunk committed, however it
/// goes on: here a follower is refused (the user signed one of its sessions out meanwhile), so
/// the runner reads the index again, and a login made after the first chunk is in it. That
/// login stays signed in, and the outcome lists the 59 sessions the command revoked.
pub async fn a_revoke_all_reading_again_keeps_to_the_sessions_of_its_start<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let (ids, task, release) = followers_held(&fx, &alice).await;

    fx.advance(Duration::seconds(1));
    let later = fx.login(&alice).await.session.id();
    let signed_out = ids[10];
    fx.revoke(signed_out, &alice, RevocationReason::Logout)
        .await
        .expect("a follower's session signed out on its own");
    release.release();
    let done = task.await.expect("runner task").expect("runner");

    let expected: BTreeSet<SessionId> =
        ids.iter().copied().filter(|id| *id != signed_out).collect();
    assert_eq!(set(&done.session_ids), expected);
    assert_eq!(fx.active_ids(&alice).await, BTreeSet::from([later]));
    let events = fx.take_events().await;
    let outcome = all_revoked(&events)[0];
    assert_eq!(set(&outcome.session_ids), expected);
    assert_eq!(outcome.session_ids.len(), MANY - 1);
}

/// Followers that landed but whose answers were lost are read back (each one's first session
/// carries the command's revocation): the runner goes on, and its one outcome lists all
/// [`MANY`] sessions, each once, with no continuation left.
pub async fn a_revoke_all_whose_follower_answers_are_lost_finishes_with_every_session<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let ids = signed_in(&fx, &alice, MANY).await;
    let store = CutStore::losing_answers_after(fx.store.clone(), SMALL_COMMITS, 1);
    let runner = Sessions::new(store, PolicyConfig::default()).with_clock(fx.clock.clone());

    let done = runner
        .revoke_all_user_sessions(cmd(&alice))
        .await
        .expect("every lost answer is read back as landed");

    assert_eq!(done.session_ids.len(), MANY);
    assert_eq!(set(&done.session_ids), set(&ids));
    assert!(fx.active_ids(&alice).await.is_empty());
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["AllSessionsRevocationAttempted", "AllSessionsRevoked"]
    );
    assert_eq!(all_revoked(&events)[0].session_ids.len(), MANY);
    assert_eq!(set(&all_revoked(&events)[0].session_ids), set(&ids));
    assert_eq!(unfinished_count(&fx).await, 0, "no continuation left");
}

/// The first reading takes every session committed before it, whatever time the function that
/// created it stamped: a login on a function whose clock runs 10 s ahead is signed out by a
/// revoke-all that started, by its own clock, before that login's stamp; here with [`MANY`]
/// sessions, so the command goes on in waves after it.
pub async fn a_revoke_all_signs_out_a_session_stamped_ahead_of_its_clock<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let mut ids = signed_in(&fx, &alice, MANY).await;
    fx.advance(Duration::seconds(10));
    ids.push(fx.login(&alice).await.session.id());
    fx.advance(Duration::seconds(-10));
    let runner = Sessions::new(
        CutStore::failing_after(fx.store.clone(), SMALL_COMMITS, usize::MAX),
        PolicyConfig::default(),
    )
    .with_clock(fx.clock.clone());

    let done = runner
        .revoke_all_user_sessions(cmd(&alice))
        .await
        .expect("revoke-all");

    assert_eq!(set(&done.session_ids), set(&ids));
    assert!(fx.active_ids(&alice).await.is_empty());
}
