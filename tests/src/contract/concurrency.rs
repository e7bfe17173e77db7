//! Commands racing on a multi-threaded runtime: the limit is an invariant, revocations are never
//! lost or doubled, and a revoked session is never written back to life.
//!
//! Every task waits on a barrier before its command so they all hit the store together; the
//! clock does not move, so every login has the same created_at and ordering falls to ids.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use session_core::domain::{Actor, RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::ids::{ProviderName, SessionId};
use session_core::use_cases::{
    ActivityOutcome, RecordProviderAccess, RevokeAllUserSessions, RevokeSession, RevokedAll,
    UpdateSessionActivity,
};
use tokio::sync::Barrier;

use crate::events::{
    activity_updated, all_attempted, all_revoked, created, evicted, limit_exceeded,
    provider_access, revocation_attempted, revocation_failed, revoked,
};
use crate::fixture::{ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

/// The `essential` tier's limit, which the login races run under.
const LIMIT: usize = 3;
/// Logins racing the revoke-all: enough to interleave with it, few enough that its retry budget
/// cannot run out on any store.
const RACE_LOGINS: usize = 16;

/// Runs `tasks` at once (each starts when all are spawned) and returns their outputs in order.
pub(crate) async fn race<T, F>(tasks: Vec<F>) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(tasks.len()));
    let handles: Vec<_> = tasks
        .into_iter()
        .map(|task| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("a racing task panicked"));
    }
    outputs
}

/// The reason a session was revoked with, if it was.
async fn revocation_reasons<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    ids: impl IntoIterator<Item = SessionId>,
) -> BTreeMap<SessionId, Option<RevocationReason>> {
    let mut reasons = BTreeMap::new();
    for id in ids {
        let reason = fx.stored(id).await.value.revocation().map(|r| r.reason);
        reasons.insert(id, reason);
    }
    reasons
}

/// Ids among `ids` that validate as active.
async fn validating<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    ids: impl IntoIterator<Item = SessionId>,
) -> BTreeSet<SessionId> {
    let mut active = BTreeSet::new();
    for id in ids {
        if fx.is_active(id).await {
            active.insert(id);
        }
    }
    active
}

/// `logins` concurrent logins of one user with a limit of 3, `rounds` times over on a fresh
/// store: every login succeeds, exactly 3 sessions stay active (by list, by validation and in
/// the limit index), every other one is revoked exactly once with session_limit_exceeded, with
/// exactly one SessionEvicted each, and there are `logins` SessionCreated events.
pub async fn concurrent_logins_never_exceed_the_limit<H: StoreHarness>(
    h: H,
    logins: usize,
    rounds: usize,
) {
    assert!(logins > LIMIT, "the race needs more logins than the limit");
    for round in 0..rounds {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, "essential", None).await;

        let tasks = (0..logins)
            .map(|_| {
                let sessions = fx.sessions.clone();
                let cmd = login_cmd(&alice);
                async move { sessions.create_session(cmd).await }
            })
            .collect();
        let outcomes = race(tasks).await;

        let mut results = Vec::with_capacity(logins);
        for outcome in outcomes {
            match outcome {
                Ok(created) => results.push(created),
                Err(e) => panic!("round {round}: a login failed: {e}"),
            }
        }
        let all: BTreeSet<SessionId> = results.iter().map(|r| r.session.id()).collect();
        assert_eq!(all.len(), logins, "round {round}: distinct sessions");

        let active = fx.active_ids(&alice).await;
        assert_eq!(
            active.len(),
            LIMIT,
            "round {round}: exactly the limit stays active"
        );
        assert_eq!(
            validating(&fx, all.iter().copied()).await,
            active,
            "round {round}"
        );
        assert_eq!(
            fx.ledger_ids(&alice).await,
            active,
            "round {round}: limit index"
        );

        let evicted_ids: BTreeSet<SessionId> = all.difference(&active).copied().collect();
        assert_eq!(evicted_ids.len(), logins - LIMIT, "round {round}");
        let reasons = revocation_reasons(&fx, evicted_ids.iter().copied()).await;
        assert!(
            reasons
                .values()
                .all(|r| *r == Some(RevocationReason::SessionLimitExceeded)),
            "round {round}: every other session revoked for the limit: {reasons:?}"
        );
        let mut reported: Vec<SessionId> = results
            .iter()
            .flat_map(|r| r.evicted_session_ids.iter().copied())
            .collect();
        reported.sort();
        assert_eq!(
            reported,
            evicted_ids.iter().copied().collect::<Vec<_>>(),
            "round {round}: each eviction reported by exactly one login"
        );

        let events = fx.take_events().await;
        assert_eq!(
            created(&events).len(),
            logins,
            "round {round}: SessionCreated"
        );
        let mut evicted_events: Vec<SessionId> =
            evicted(&events).iter().map(|e| e.session_id).collect();
        evicted_events.sort();
        assert_eq!(
            evicted_events,
            evicted_ids.iter().copied().collect::<Vec<_>>(),
            "round {round}: exactly one SessionEvicted per evicted session"
        );
        assert!(evicted(&events).iter().all(|e| {
            e.reason == RevocationReason::SessionLimitExceeded
                && e.evicted_by_session_id
                    .is_some_and(|by| all.contains(&by) && by != e.session_id)
        }));
        let evicting_logins = results
            .iter()
            .filter(|r| !r.evicted_session_ids.is_empty())
            .count();
        assert_eq!(
            limit_exceeded(&events).len(),
            evicting_logins,
            "round {round}"
        );
    }
}

/// A revoke-all racing logins at the limit: every login and the revoke-all succeed, the limit
/// holds, every session that existed before is revoked, each revoked session was revoked by
/// exactly one of them (eviction or revoke-all) with that one's reason, and every session the
/// revoke-all reports stays revoked with its reason.
pub async fn revoke_all_racing_logins_keeps_the_limit_and_loses_no_revocation<H: StoreHarness>(
    h: H,
    rounds: usize,
) {
    for round in 0..rounds {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, "essential", None).await;
        let before: Vec<SessionId> = fx.login_n(&alice, LIMIT).await;
        fx.take_events().await;

        let mut tasks: Vec<BoxedTask<Raced>> = (0..RACE_LOGINS)
            .map(|_| {
                let sessions = fx.sessions.clone();
                let cmd = login_cmd(&alice);
                Box::pin(async move {
                    Raced::Login(sessions.create_session(cmd).await.map(|c| c.session.id()))
                }) as BoxedTask<Raced>
            })
            .collect();
        let sessions = fx.sessions.clone();
        let cmd = RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::LogoutAll,
            except_session_id: None,
            by: Actor::Service,
        };
        tasks.insert(
            RACE_LOGINS / 2,
            Box::pin(async move { Raced::RevokeAll(sessions.revoke_all_user_sessions(cmd).await) }),
        );
        let outcomes = race(tasks).await;

        let mut created_ids = Vec::new();
        let mut by_revoke_all = None;
        for outcome in outcomes {
            match outcome {
                Raced::Login(Ok(id)) => created_ids.push(id),
                Raced::RevokeAll(Ok(all)) => by_revoke_all = Some(all.session_ids),
                Raced::Login(Err(e)) | Raced::RevokeAll(Err(e)) => {
                    panic!("round {round}: a racing command failed: {e}")
                }
            }
        }
        let by_revoke_all: BTreeSet<SessionId> = by_revoke_all
            .expect("revoke-all finished")
            .into_iter()
            .collect();
        let everyone: BTreeSet<SessionId> = before.iter().chain(&created_ids).copied().collect();

        let events = fx.take_events().await;
        assert_eq!(
            (all_attempted(&events).len(), all_revoked(&events).len()),
            (1, 1)
        );
        let reported: BTreeSet<SessionId> = all_revoked(&events)[0]
            .session_ids
            .iter()
            .copied()
            .collect();
        assert_eq!(
            reported, by_revoke_all,
            "round {round}: the event lists what was revoked"
        );
        let evicted_list: Vec<SessionId> = evicted(&events).iter().map(|e| e.session_id).collect();
        let evicted_set: BTreeSet<SessionId> = evicted_list.iter().copied().collect();
        assert_eq!(
            evicted_list.len(),
            evicted_set.len(),
            "round {round}: no double eviction"
        );
        assert!(
            evicted_set.is_disjoint(&by_revoke_all),
            "round {round}: no session revoked twice"
        );

        let reasons = revocation_reasons(&fx, everyone.iter().copied()).await;
        for (id, reason) in &reasons {
            let expected = if by_revoke_all.contains(id) {
                Some(RevocationReason::LogoutAll)
            } else if evicted_set.contains(id) {
                Some(RevocationReason::SessionLimitExceeded)
            } else {
                None
            };
            assert_eq!(*reason, expected, "round {round}: session {id}");
        }
        assert!(
            before.iter().all(|id| reasons[id].is_some()),
            "round {round}: every session from before the revoke-all is revoked"
        );
        let active = fx.active_ids(&alice).await;
        assert!(
            active.len() <= LIMIT,
            "round {round}: {} active",
            active.len()
        );
        let unrevoked: BTreeSet<SessionId> = reasons
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(active, unrevoked, "round {round}: active iff not revoked");
        assert_eq!(validating(&fx, everyone.iter().copied()).await, active);
        assert_eq!(
            fx.ledger_ids(&alice).await,
            active,
            "round {round}: limit index"
        );
    }
}

/// Many revocations of one session at once: exactly one succeeds, the others fail with
/// session_already_revoked, each after its own Attempted event, and the winner's reason is the
/// one stored.
pub async fn concurrent_revocations_of_one_session_succeed_exactly_once<H: StoreHarness>(
    h: H,
    rounds: usize,
) {
    const REVOKERS: usize = 16;
    let reasons = [
        RevocationReason::Logout,
        RevocationReason::Manual,
        RevocationReason::AdminAction,
        RevocationReason::SuspiciousActivity,
    ];
    for round in 0..rounds {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, "basic", None).await;
        let id = fx.login(&alice).await.session.id();
        fx.take_events().await;

        let tasks = (0..REVOKERS)
            .map(|n| {
                let sessions = fx.sessions.clone();
                let cmd = RevokeSession {
                    session_id: id,
                    user_id: alice.clone(),
                    reason: reasons[n % reasons.len()],
                    by: Actor::User {
                        user_id: alice.clone(),
                    },
                };
                async move { sessions.revoke_session(cmd).await }
            })
            .collect();
        let outcomes = race(tasks).await;

        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one revocation wins: {outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .filter_map(|o| o.as_ref().err())
                .all(|e| matches!(e, SessionError::SessionAlreadyRevoked)),
            "round {round}: {outcomes:?}"
        );
        let won = winners[0].revocation().cloned().expect("revoked");
        assert_eq!(fx.stored(id).await.value.revocation(), Some(&won));

        let events = fx.take_events().await;
        assert_eq!(
            revocation_attempted(&events).len(),
            REVOKERS,
            "round {round}"
        );
        assert_eq!(revoked(&events).len(), 1, "round {round}");
        assert_eq!(revoked(&events)[0].reason, won.reason);
        let failed = revocation_failed(&events);
        assert_eq!(failed.len(), REVOKERS - 1, "round {round}");
        assert!(
            failed
                .iter()
                .all(|f| f.failure_reason == "session_already_revoked")
        );
    }
}

/// Activity and provider-access writes racing a revocation never overwrite it: the session
/// ends revoked, validates as revoked, and a write that lost the race says so.
pub async fn writes_racing_a_revocation_never_resurrect_the_session<H: StoreHarness>(
    h: H,
    rounds: usize,
) {
    const WRITERS: usize = 16;
    for round in 0..rounds {
        let fx = Fixture::new(&h).await;
        let alice = user("alice");
        fx.register(&alice, "basic", None).await;
        let id = fx.login(&alice).await.session.id();
        fx.take_events().await;

        let mut tasks: Vec<BoxedTask<Outcome>> = Vec::new();
        for n in 0..WRITERS {
            let sessions = fx.sessions.clone();
            // A new address on every call, so none is throttled away: every one wants to write.
            let cmd = UpdateSessionActivity {
                session_id: id,
                ip_address: Some(ip(&format!("198.51.100.{}", n + 1))),
            };
            tasks.push(Box::pin(async move {
                Outcome::Activity(sessions.update_session_activity(cmd).await)
            }));
            let sessions = fx.sessions.clone();
            let cmd = RecordProviderAccess {
                session_id: id,
                provider_name: ProviderName::from_str(&format!("provider-{n}")).expect("valid"),
            };
            tasks.push(Box::pin(async move {
                Outcome::Provider(sessions.record_provider_access(cmd).await)
            }));
        }
        let sessions = fx.sessions.clone();
        let revoke = RevokeSession {
            session_id: id,
            user_id: alice.clone(),
            reason: RevocationReason::SuspiciousActivity,
            by: Actor::Service,
        };
        tasks.insert(
            WRITERS,
            Box::pin(
                async move { Outcome::Revoke(sessions.revoke_session(revoke).await.map(|_| ())) },
            ),
        );
        let outcomes = race(tasks).await;

        let mut recorded_activity = 0;
        let mut recorded_access = 0;
        for outcome in &outcomes {
            match outcome {
                Outcome::Revoke(r) => assert!(r.is_ok(), "round {round}: revoke: {r:?}"),
                Outcome::Activity(Ok(a)) => recorded_activity += usize::from(a.recorded),
                Outcome::Activity(Err(e)) => panic!("round {round}: activity failed: {e}"),
                Outcome::Provider(Ok(())) => recorded_access += 1,
                Outcome::Provider(Err(SessionError::SessionInactive {
                    status: SessionStatus::Revoked,
                })) => {}
                Outcome::Provider(Err(e)) => panic!("round {round}: provider access: {e}"),
            }
        }
        let stored = fx.stored(id).await.value;
        let revocation = stored.revocation().expect("still revoked");
        assert_eq!(
            revocation.reason,
            RevocationReason::SuspiciousActivity,
            "round {round}"
        );
        assert_eq!(
            fx.validity(id).await.reason(),
            Some("revoked"),
            "round {round}"
        );
        assert_eq!(
            stored.providers_accessed().len(),
            recorded_access,
            "round {round}"
        );

        let events = fx.take_events().await;
        assert_eq!(revoked(&events).len(), 1, "round {round}");
        assert_eq!(
            activity_updated(&events).len(),
            recorded_activity,
            "round {round}: one event per recorded activity"
        );
        assert_eq!(
            provider_access(&events).len(),
            recorded_access,
            "round {round}: one event per recorded access"
        );
    }
}

type BoxedTask<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What one task of a mixed race returned.
enum Raced {
    Login(Result<SessionId, SessionError>),
    RevokeAll(Result<RevokedAll, SessionError>),
}

enum Outcome {
    Activity(Result<ActivityOutcome, SessionError>),
    Provider(Result<(), SessionError>),
    Revoke(Result<(), SessionError>),
}
