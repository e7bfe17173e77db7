//! The store port itself, without the use cases: atomic commits, every write condition, the
//! outbox, listing, injected failures.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::Duration;
use session_core::domain::{
    ActiveEntry, Actor, Revocation, RevocationReason, Session, UserLedger, UserPolicy,
};
use session_core::ids::{SessionId, TierName, UserId};
use session_core::ports::{
    ChangeSet, CommitError, LedgerWrite, SessionQuery, SessionStore, SessionWrite, StoreError,
};

use crate::fixture::{edited, user};
use crate::{Fixture, StoreHarness};

fn ledger_with(user_id: &UserId, sessions: &[&Session]) -> UserLedger {
    let mut ledger = UserLedger::new(
        user_id.clone(),
        UserPolicy {
            tier: TierName::from_str("basic").expect("valid"),
            max_sessions: None,
        },
    );
    ledger.active = sessions
        .iter()
        .map(|s| (s.id(), ActiveEntry::from(*s)))
        .collect();
    ledger
}

fn put_new(ledger: UserLedger) -> ChangeSet {
    ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger,
            expected_version: None,
        }),
        ..ChangeSet::default()
    }
}

fn sessions(writes: Vec<SessionWrite>) -> ChangeSet {
    ChangeSet {
        sessions: writes,
        ..ChangeSet::default()
    }
}

fn revocation(at: chrono::DateTime<chrono::Utc>) -> Revocation {
    Revocation {
        at,
        reason: RevocationReason::AdminAction,
        by: Actor::System,
        note: None,
    }
}

fn assert_conflict(outcome: Result<(), CommitError>, what: &str) {
    assert!(
        matches!(outcome, Err(CommitError::Conflict)),
        "{what}: {outcome:?}"
    );
}

async fn load<H: StoreHarness>(fx: &Fixture<'_, H>, id: SessionId) -> Option<Session> {
    fx.store
        .load_session(id)
        .await
        .expect("readable")
        .map(|v| v.value)
}

/// A change set whose one condition fails writes nothing at all: not the valid ledger put, not
/// the valid insert, not the events; whichever write carries the failing condition.
pub async fn commit_applies_nothing_when_one_precondition_fails<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let existing = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(existing.clone())]))
        .await;
    fx.commit_ok(put_new(ledger_with(&alice, &[&existing])))
        .await;
    let ledger_before = fx.ledger(&alice).await;
    let existing_before = fx.stored(existing.id()).await;

    let newcomer = fx.unsaved_session(&alice);
    let mut changed_ledger = ledger_with(&alice, &[&existing, &newcomer]);
    changed_ledger.policy.max_sessions = Some(9);
    let mut touched = existing.to_record();
    touched.suspicious_activity_count = 5;
    let touched = session_core::domain::Session::restore(touched);
    let stale_replace = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: changed_ledger.clone(),
            expected_version: Some(ledger_before.version),
        }),
        sessions: vec![
            SessionWrite::Insert(newcomer.clone()),
            SessionWrite::Replace {
                session: touched.clone(),
                expected_version: existing_before.version + 1,
            },
        ],
        events: vec![fx.marker_event(&alice), fx.marker_event(&alice)],
        marker: None,
        idempotency: None,
        devices: Vec::new(),
        continuation: None,
    };
    let stale_ledger = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: changed_ledger,
            expected_version: Some(ledger_before.version + 1),
        }),
        sessions: vec![
            SessionWrite::Insert(newcomer.clone()),
            SessionWrite::Replace {
                session: touched,
                expected_version: existing_before.version,
            },
        ],
        events: vec![fx.marker_event(&alice)],
        marker: None,
        idempotency: None,
        devices: Vec::new(),
        continuation: None,
    };

    for (changes, what) in [
        (stale_replace, "stale session"),
        (stale_ledger, "stale ledger"),
    ] {
        assert_conflict(fx.store.commit(changes).await, what);
        assert_eq!(
            fx.ledger(&alice).await,
            ledger_before,
            "{what}: ledger untouched"
        );
        assert_eq!(
            fx.stored(existing.id()).await,
            existing_before,
            "{what}: session untouched"
        );
        assert_eq!(
            load(&fx, newcomer.id()).await,
            None,
            "{what}: nothing inserted"
        );
        assert!(
            fx.take_events().await.is_empty(),
            "{what}: no event written"
        );
    }
}

/// Inserting a session id that exists conflicts and keeps the first session.
pub async fn insert_of_an_existing_session_conflicts<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let first = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(first.clone())]))
        .await;
    let second = edited(&first, |r| {
        r.device_info = Some("Edge on Windows".to_owned())
    });

    let outcome = fx
        .store
        .commit(sessions(vec![SessionWrite::Insert(second)]))
        .await;

    assert_conflict(outcome, "duplicate insert");
    assert_eq!(load(&fx, first.id()).await, Some(first));
}

/// A replace succeeds only at the stored version, and every write moves the version on; a
/// replace of a missing session conflicts.
pub async fn replace_requires_the_current_version<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let session = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(session.clone())]))
        .await;
    let v1 = fx.stored(session.id()).await.version;

    let first_change = edited(&session, |r| r.is_trusted = true);
    fx.commit_ok(sessions(vec![SessionWrite::Replace {
        session: first_change.clone(),
        expected_version: v1,
    }]))
    .await;
    let after = fx.stored(session.id()).await;
    assert_eq!(after.value, first_change);
    assert_ne!(after.version, v1, "a write moves the version");

    let stale_change = edited(&session, |r| r.suspicious_activity_count = 9);
    let stale = fx
        .store
        .commit(sessions(vec![SessionWrite::Replace {
            session: stale_change,
            expected_version: v1,
        }]))
        .await;
    assert_conflict(stale, "replace at an old version");
    assert_eq!(
        fx.stored(session.id()).await,
        after,
        "the stale replace wrote nothing"
    );

    let ghost = fx.unsaved_session(&alice);
    let missing = fx
        .store
        .commit(sessions(vec![SessionWrite::Replace {
            session: ghost.clone(),
            expected_version: v1,
        }]))
        .await;
    assert_conflict(missing, "replace of a missing session");
    assert_eq!(load(&fx, ghost.id()).await, None, "a replace never creates");
}

/// A ledger put succeeds only when the stored version is the expected one (`None`: no ledger
/// yet), and moves the version on.
pub async fn ledger_put_requires_the_expected_version<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    let mut ledger = ledger_with(&alice, &[]);
    fx.commit_ok(put_new(ledger.clone())).await;

    assert_conflict(
        fx.store.commit(put_new(ledger.clone())).await,
        "create over an existing ledger",
    );
    let v1 = fx.ledger(&alice).await.version;
    ledger.policy.max_sessions = Some(4);
    let put_at = |version| ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: ledger.clone(),
            expected_version: Some(version),
        }),
        ..ChangeSet::default()
    };
    assert_conflict(fx.store.commit(put_at(v1 + 1000)).await, "wrong version");
    assert_eq!(fx.ledger(&alice).await.value.policy.max_sessions, None);

    fx.commit_ok(put_at(v1)).await;
    let v2 = fx.ledger(&alice).await;
    assert_eq!(v2.value, ledger);
    assert_ne!(v2.version, v1);
    assert_conflict(
        fx.store.commit(put_at(v1)).await,
        "the version just replaced",
    );

    let expecting_missing = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: ledger_with(&bob, &[]),
            expected_version: Some(v1),
        }),
        ..ChangeSet::default()
    };
    assert_conflict(
        fx.store.commit(expecting_missing).await,
        "update of a ledger that does not exist",
    );
    assert!(fx.store.load_user(&bob).await.expect("readable").is_none());
}

/// A blind revoke needs the session to exist, belong to the given user and be unrevoked; it
/// sets the revocation only, and moves the version on.
pub async fn revoke_write_requires_owner_and_unrevoked<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let mallory = user("mallory");
    let session = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(session.clone())]))
        .await;
    let before = fx.stored(session.id()).await;
    let revoke = |session_id, user_id: &UserId, at| {
        sessions(vec![SessionWrite::Revoke {
            session_id,
            user_id: user_id.clone(),
            revocation: revocation(at),
        }])
    };

    assert_conflict(
        fx.store
            .commit(revoke(session.id(), &mallory, fx.now()))
            .await,
        "revoke as another owner",
    );
    assert_eq!(fx.stored(session.id()).await, before);
    let missing = fx.new_session_id();
    assert_conflict(
        fx.store.commit(revoke(missing, &alice, fx.now())).await,
        "revoke of a missing session",
    );
    assert_eq!(load(&fx, missing).await, None, "a revoke never creates");

    let at = fx.now() + Duration::seconds(5);
    fx.commit_ok(revoke(session.id(), &alice, at)).await;
    let after = fx.stored(session.id()).await;
    let expected = edited(&session, |r| r.revocation = Some(revocation(at)));
    assert_eq!(after.value, expected, "only the revocation changed");
    assert_ne!(after.version, before.version);

    assert_conflict(
        fx.store
            .commit(revoke(session.id(), &alice, at + Duration::seconds(5)))
            .await,
        "revoke of a revoked session",
    );
    assert_eq!(
        fx.stored(session.id()).await,
        after,
        "the first revocation stands"
    );
}

/// Removing entries from the active index needs the ledger to exist; it removes exactly the
/// given entries (unknown ones are ignored) and moves the version on.
pub async fn remove_active_requires_the_ledger_and_moves_its_version<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let ghost = user("ghost");
    let a = fx.unsaved_session(&alice);
    let b = fx.unsaved_session(&alice);
    let c = fx.unsaved_session(&alice);
    fx.commit_ok(put_new(ledger_with(&alice, &[&a, &b, &c])))
        .await;
    let before = fx.ledger(&alice).await;
    let remove = |user_id: &UserId, ids: Vec<SessionId>| ChangeSet {
        ledger: Some(LedgerWrite::RemoveActive {
            user_id: user_id.clone(),
            session_ids: ids,
            mark: None,
            expected_version: None,
        }),
        ..ChangeSet::default()
    };

    assert_conflict(
        fx.store.commit(remove(&ghost, vec![a.id()])).await,
        "remove from a missing ledger",
    );
    assert!(
        fx.store
            .load_user(&ghost)
            .await
            .expect("readable")
            .is_none()
    );

    fx.commit_ok(remove(&alice, vec![a.id(), fx.new_session_id()]))
        .await;
    let after = fx.ledger(&alice).await;
    let expected: BTreeMap<SessionId, ActiveEntry> = [&b, &c]
        .iter()
        .map(|s| (s.id(), ActiveEntry::from(*s)))
        .collect();
    assert_eq!(after.value.active, expected);
    assert_eq!(
        after.value.policy, before.value.policy,
        "the policy is kept"
    );
    assert_ne!(after.version, before.version);
    let stale = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: before.value.clone(),
            expected_version: Some(before.version),
        }),
        ..ChangeSet::default()
    };
    assert_conflict(
        fx.store.commit(stale).await,
        "a put read before the removal",
    );
}

/// Events are in the outbox if and only if their commit succeeded: in commit order, each taken
/// once; a conflicting or failed commit leaves none.
pub async fn outbox_holds_events_iff_their_commit_succeeded<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let existing = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(existing.clone())]))
        .await;

    let e1 = fx.marker_event(&alice);
    let e2 = fx.marker_event(&alice);
    fx.commit_ok(ChangeSet::events(vec![e1.clone(), e2.clone()]))
        .await;
    assert_eq!(fx.take_events().await, [e1, e2], "events-only commit");
    assert!(
        fx.take_events().await.is_empty(),
        "each event is taken once"
    );

    let lost = ChangeSet {
        sessions: vec![SessionWrite::Insert(existing.clone())],
        events: vec![fx.marker_event(&alice)],
        ..ChangeSet::default()
    };
    assert_conflict(
        fx.store.commit(lost).await,
        "duplicate insert with an event",
    );
    assert!(
        fx.take_events().await.is_empty(),
        "a conflicting commit writes no event"
    );

    fx.fail_next_commits(1);
    let failed = fx
        .store
        .commit(ChangeSet::events(vec![fx.marker_event(&alice)]))
        .await;
    assert!(
        matches!(failed, Err(CommitError::Store(StoreError::Unavailable(_)))),
        "{failed:?}"
    );
    assert!(
        fx.take_events().await.is_empty(),
        "a failed commit writes no event"
    );

    let with_insert = fx.unsaved_session(&alice);
    let e3 = fx.marker_event(&alice);
    let e4 = fx.marker_event(&alice);
    let e5 = fx.marker_event(&alice);
    fx.commit_ok(ChangeSet {
        sessions: vec![SessionWrite::Insert(with_insert.clone())],
        events: vec![e3.clone()],
        ..ChangeSet::default()
    })
    .await;
    fx.commit_ok(ChangeSet::events(vec![e4.clone(), e5.clone()]))
        .await;
    assert_eq!(
        fx.take_events().await,
        [e3, e4, e5],
        "commit order across commits"
    );
    assert!(load(&fx, with_insert.id()).await.is_some());
}

/// Injected failures fail exactly the next reads / commits, as unavailable, writing nothing;
/// the calls after them succeed.
pub async fn injected_failures_fail_exactly_the_next_calls_and_write_nothing<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let session = fx.unsaved_session(&alice);
    fx.commit_ok(sessions(vec![SessionWrite::Insert(session.clone())]))
        .await;
    fx.commit_ok(put_new(ledger_with(&alice, &[&session])))
        .await;
    let query = SessionQuery {
        user_id: alice.clone(),
        after: None,
        limit: 10,
        unexpired_at: None,
    };

    fx.fail_next_reads(3);
    let read1 = fx.store.load_session(session.id()).await;
    let read2 = fx.store.load_user(&alice).await;
    let read3 = fx.store.list_user_sessions(query.clone()).await;
    assert!(
        matches!(read1, Err(StoreError::Unavailable(_))),
        "{read1:?}"
    );
    assert!(
        matches!(read2, Err(StoreError::Unavailable(_))),
        "{read2:?}"
    );
    assert!(
        matches!(read3, Err(StoreError::Unavailable(_))),
        "{read3:?}"
    );
    assert!(
        fx.store
            .load_session(session.id())
            .await
            .is_ok_and(|s| s.is_some())
    );
    assert!(fx.store.load_user(&alice).await.is_ok_and(|l| l.is_some()));
    assert!(
        fx.store
            .list_user_sessions(query)
            .await
            .is_ok_and(|p| p.sessions.len() == 1)
    );

    let other = fx.unsaved_session(&alice);
    fx.fail_next_commits(1);
    let failed = fx
        .store
        .commit(ChangeSet {
            sessions: vec![SessionWrite::Insert(other.clone())],
            events: vec![fx.marker_event(&alice)],
            ..ChangeSet::default()
        })
        .await;
    assert!(
        matches!(failed, Err(CommitError::Store(StoreError::Unavailable(_)))),
        "{failed:?}"
    );
    assert_eq!(
        load(&fx, other.id()).await,
        None,
        "the failed commit wrote nothing"
    );
    assert!(fx.take_events().await.is_empty());
    fx.commit_ok(sessions(vec![SessionWrite::Insert(other.clone())]))
        .await;
    assert_eq!(load(&fx, other.id()).await, Some(other));
}

/// A change set that writes one session twice is rejected whole.
pub async fn change_set_touching_a_session_twice_is_rejected<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let session = fx.unsaved_session(&alice);

    let outcome = fx
        .store
        .commit(ChangeSet {
            sessions: vec![
                SessionWrite::Insert(session.clone()),
                SessionWrite::Revoke {
                    session_id: session.id(),
                    user_id: alice.clone(),
                    revocation: revocation(fx.now()),
                },
            ],
            events: vec![fx.marker_event(&alice)],
            ..ChangeSet::default()
        })
        .await;

    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(load(&fx, session.id()).await, None);
    assert!(fx.take_events().await.is_empty());
}

/// One commit as large as the store allows (capped at DynamoDB's 100 items) succeeds whole.
pub async fn a_commit_as_large_as_the_store_allows_succeeds<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let items = fx.store.max_writes_per_commit().min(100);
    assert!(
        items >= 10,
        "a store must take at least a login with evictions: {items}"
    );
    // An insert is two writes: the session and its entry in the user's index.
    let inserts = (items - 1) / 3;
    let new_sessions: Vec<Session> = (0..inserts).map(|_| fx.unsaved_session(&alice)).collect();
    let events: Vec<_> = (0..items - 1 - 2 * inserts)
        .map(|_| fx.marker_event(&alice))
        .collect();
    let changes = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: ledger_with(&alice, &new_sessions.iter().collect::<Vec<_>>()),
            expected_version: None,
        }),
        sessions: new_sessions
            .iter()
            .cloned()
            .map(SessionWrite::Insert)
            .collect(),
        events: events.clone(),
        marker: None,
        idempotency: None,
        devices: Vec::new(),
        continuation: None,
    };
    assert_eq!(changes.write_count(), items);

    fx.commit_ok(changes).await;

    for session in &new_sessions {
        assert_eq!(load(&fx, session.id()).await.as_ref(), Some(session));
    }
    assert_eq!(fx.ledger(&alice).await.value.active.len(), inserts);
    assert_eq!(fx.take_events().await, events);
}

/// A user's sessions are listed newest created first (ties by id, newest first), a page at a
/// time with `next` continuing strictly after the page, only that user's, and with
/// `unexpired_at` only the unrevoked, unexpired ones.
pub async fn store_lists_a_users_sessions_newest_first_in_pages<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    let t0 = fx.now();
    let mut alices = Vec::new();
    for minute in [0, 1, 2, 2, 3, 4, 5] {
        let s = edited(&fx.unsaved_session(&alice), |r| {
            r.created_at = t0 + Duration::minutes(minute);
            r.last_activity_at = r.created_at;
            r.expires_at = r.created_at + Duration::days(1);
        });
        alices.push(s);
    }
    alices[1] = edited(&alices[1], |r| r.revocation = Some(revocation(t0)));
    alices[4] = edited(&alices[4], |r| r.expires_at = t0 + Duration::minutes(30));
    // Stored out of order, so order comes from the store, not from insertion.
    for i in [3, 0, 6, 1, 5, 2, 4] {
        fx.commit_ok(sessions(vec![SessionWrite::Insert(alices[i].clone())]))
            .await;
    }
    for _ in 0..2 {
        fx.commit_ok(sessions(vec![SessionWrite::Insert(
            fx.unsaved_session(&bob),
        )]))
        .await;
    }
    let newest_first: Vec<SessionId> = alices.iter().rev().map(|s| s.id()).collect();

    let page_through = |unexpired_at| {
        let store = fx.store.clone();
        let alice = alice.clone();
        async move {
            let mut all = Vec::new();
            let mut after = None;
            for _ in 0..100 {
                let page = store
                    .list_user_sessions(SessionQuery {
                        user_id: alice.clone(),
                        after,
                        limit: 3,
                        unexpired_at,
                    })
                    .await
                    .expect("listed");
                assert!(page.sessions.len() <= 3);
                all.extend(page.sessions);
                match page.next {
                    Some(next) => after = Some(next),
                    None => return all,
                }
            }
            panic!("the listing did not end");
        }
    };

    let all = page_through(None).await;
    assert_eq!(all.iter().map(|s| s.id()).collect::<Vec<_>>(), newest_first);
    assert_eq!(
        all,
        alices.iter().rev().cloned().collect::<Vec<_>>(),
        "full sessions returned"
    );

    let at = t0 + Duration::hours(1);
    let live: Vec<SessionId> = page_through(Some(at))
        .await
        .iter()
        .map(|s| s.id())
        .collect();
    let expected: Vec<SessionId> = alices
        .iter()
        .rev()
        .filter(|s| s.revocation().is_none() && s.expires_at() > at)
        .map(|s| s.id())
        .collect();
    assert_eq!(live, expected);
    assert_eq!(live.len(), 5);
}

/// An event id is written once: a commit carrying an id already in the outbox (even one the
/// relay has taken since) is a conflict and writes nothing. Two alternative outcomes of one
/// command share an id so that only one of them can ever stand.
pub async fn an_event_id_is_committed_once<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let first = fx.marker_event(&alice);
    fx.commit_ok(ChangeSet::events(vec![first.clone()])).await;
    assert_eq!(fx.take_events().await, std::slice::from_ref(&first));

    let mut rival = fx.marker_event(&alice);
    rival.event_id = first.event_id;
    let session = fx.unsaved_session(&alice);
    let changes = ChangeSet {
        sessions: vec![SessionWrite::Insert(session.clone())],
        events: vec![rival],
        ..ChangeSet::default()
    };
    assert_conflict(fx.store.commit(changes).await, "an event id taken before");
    assert!(
        fx.take_events().await.is_empty(),
        "the rival is not written"
    );
    assert!(
        fx.store.load_session(session.id()).await.unwrap().is_none(),
        "nor anything committed with it"
    );
}
