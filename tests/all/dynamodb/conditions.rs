//! Every write condition of the port, and all-or-nothing transactions.

use session_core::domain::{Actor, RevocationReason};
use session_core::ports::{
    ChangeSet, CommitError, LedgerWrite, ProcessedMarker, SessionStore, SessionWrite, StoreError,
    Versioned,
};

use super::sample::{created_event, ledger, revocation, session, t0, user};
use super::support::{TestStore, test_store};
use session_tests::fixture::edited;

fn sessions(writes: Vec<SessionWrite>) -> ChangeSet {
    ChangeSet {
        sessions: writes,
        ..ChangeSet::default()
    }
}

fn ledger_only(write: LedgerWrite) -> ChangeSet {
    ChangeSet {
        ledger: Some(write),
        ..ChangeSet::default()
    }
}

async fn assert_conflict(t: &TestStore, changes: ChangeSet, what: &str) {
    match t.store.commit(changes).await {
        Err(CommitError::Conflict) => {}
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

fn system_revocation() -> session_core::domain::Revocation {
    revocation(RevocationReason::AdminAction, Actor::System)
}

#[tokio::test]
async fn session_writes_conflict_when_their_condition_fails() {
    let Some(t) = test_store().await else { return };
    let alice = user("alice");
    let s = session(&alice, t0());
    t.store
        .commit(sessions(vec![SessionWrite::Insert(s.clone())]))
        .await
        .unwrap();

    assert_conflict(
        &t,
        sessions(vec![SessionWrite::Insert(s.clone())]),
        "insert twice",
    )
    .await;
    let stale = SessionWrite::Replace {
        session: s.clone(),
        expected_version: 7,
    };
    assert_conflict(&t, sessions(vec![stale]), "stale replace").await;
    let missing = SessionWrite::Replace {
        session: session(&alice, t0()),
        expected_version: 1,
    };
    assert_conflict(&t, sessions(vec![missing]), "replace of a missing session").await;
    let not_owner = SessionWrite::Revoke {
        session_id: s.id(),
        user_id: user("mallory"),
        revocation: system_revocation(),
    };
    assert_conflict(
        &t,
        sessions(vec![not_owner]),
        "revoke of another user's session",
    )
    .await;
    let absent = SessionWrite::Revoke {
        session_id: session(&alice, t0()).id(),
        user_id: alice.clone(),
        revocation: system_revocation(),
    };
    assert_conflict(&t, sessions(vec![absent]), "revoke of a missing session").await;

    let first = revocation(
        RevocationReason::Logout,
        Actor::User {
            user_id: alice.clone(),
        },
    );
    let revoke = |revocation| SessionWrite::Revoke {
        session_id: s.id(),
        user_id: alice.clone(),
        revocation,
    };
    t.store
        .commit(sessions(vec![revoke(first.clone())]))
        .await
        .unwrap();
    assert_conflict(
        &t,
        sessions(vec![revoke(system_revocation())]),
        "revoke twice",
    )
    .await;

    // The first revocation stands, at the version of the one successful revoke.
    let mut expected = s;
    expected = edited(&expected, |r| {
        r.revocation = Some(first);
    });
    let stored = t.store.load_session(expected.id()).await.unwrap();
    assert_eq!(
        stored,
        Some(Versioned {
            value: expected,
            version: 2
        })
    );
}

#[tokio::test]
async fn ledger_writes_conflict_when_their_condition_fails() {
    let Some(t) = test_store().await else { return };
    let bob = user("bob");
    let l = ledger(&bob, &[]);
    let put = |expected_version| LedgerWrite::Put {
        ledger: l.clone(),
        expected_version,
    };
    let remove = |user_id| LedgerWrite::RemoveActive {
        user_id,
        session_ids: vec![session(&bob, t0()).id()],
        mark: None,
        expected_version: None,
    };
    assert_conflict(
        &t,
        ledger_only(put(Some(0))),
        "put at a version of a missing ledger",
    )
    .await;
    assert_conflict(
        &t,
        ledger_only(remove(bob.clone())),
        "remove from a missing ledger",
    )
    .await;
    t.store.commit(ledger_only(put(None))).await.unwrap();
    assert_conflict(&t, ledger_only(put(None)), "create of an existing ledger").await;
    assert_conflict(&t, ledger_only(put(Some(2))), "put at a stale version").await;
    t.store.commit(ledger_only(put(Some(1)))).await.unwrap();
    assert_eq!(
        t.store.load_user(&bob).await.unwrap().map(|v| v.version),
        Some(2)
    );
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing() {
    let Some(t) = test_store().await else { return };
    let carol = user("carol");
    let existing = session(&carol, t0());
    t.store
        .commit(sessions(vec![SessionWrite::Insert(existing.clone())]))
        .await
        .unwrap();

    let new = session(&carol, t0());
    let event = created_event(&new);
    let doomed = ChangeSet {
        ledger: Some(LedgerWrite::Put {
            ledger: ledger(&carol, &[&new]),
            expected_version: None,
        }),
        sessions: vec![
            SessionWrite::Insert(new.clone()),
            // The one failing condition, last.
            SessionWrite::Replace {
                session: existing.clone(),
                expected_version: 2,
            },
        ],
        events: vec![event.clone()],
        ..ChangeSet::default()
    };
    assert_conflict(&t, doomed, "one stale write").await;
    assert_eq!(t.store.load_user(&carol).await.unwrap(), None);
    assert_eq!(t.store.load_session(new.id()).await.unwrap(), None);
    assert_eq!(t.store.load_event(event.event_id).await.unwrap(), None);
    let stored = t.store.load_session(existing.id()).await.unwrap();
    assert_eq!(
        stored,
        Some(Versioned {
            value: existing,
            version: 1
        })
    );
}

#[tokio::test]
async fn a_session_touched_twice_conflicts_without_a_request() {
    let Some(t) = test_store().await else { return };
    let s = session(&user("dave"), t0());
    let twice = sessions(vec![
        SessionWrite::Insert(s.clone()),
        SessionWrite::Revoke {
            session_id: s.id(),
            user_id: s.user_id().clone(),
            revocation: system_revocation(),
        },
    ]);
    assert_conflict(&t, twice, "one session twice").await;
    assert!(t.requests.take().is_empty(), "refused before sending");
}

#[tokio::test]
async fn a_transaction_holds_up_to_one_hundred_writes() {
    let Some(t) = test_store().await else { return };
    assert_eq!(t.store.max_writes_per_commit(), 100);
    let erin = user("erin");
    // Each insert is two writes (the session and its index entry): 51 are 102, 50 are 100.
    let all: Vec<_> = (0..51).map(|_| session(&erin, t0())).collect();
    let inserts = |n: usize| {
        sessions(
            all.iter()
                .take(n)
                .cloned()
                .map(SessionWrite::Insert)
                .collect(),
        )
    };

    match t.store.commit(inserts(51)).await {
        Err(CommitError::Store(StoreError::Rejected(e))) => {
            assert!(e.to_string().contains("at most 100"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(t.requests.take().is_empty(), "refused before sending");
    t.store.commit(inserts(50)).await.unwrap();
    for s in &all[..50] {
        assert!(t.store.load_session(s.id()).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn injected_failures_reach_the_caller_as_unavailable_and_write_nothing() {
    let Some(t) = test_store().await else { return };
    let frank = user("frank");
    let s = session(&frank, t0());

    t.faults.fail_next_commits(1);
    match t
        .store
        .commit(sessions(vec![SessionWrite::Insert(s.clone())]))
        .await
    {
        Err(CommitError::Store(StoreError::Unavailable(_))) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
    t.faults.fail_next_reads(2);
    assert!(matches!(
        t.store.load_session(s.id()).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        t.store.load_user(&frank).await,
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(
        t.store.load_session(s.id()).await.unwrap(),
        None,
        "the failed commit wrote nothing"
    );
    t.store
        .commit(sessions(vec![SessionWrite::Insert(s.clone())]))
        .await
        .unwrap();
    assert!(t.store.load_session(s.id()).await.unwrap().is_some());
}

#[tokio::test]
async fn a_processed_marker_refuses_the_same_work_twice_and_is_written_only_with_it() {
    let Some(t) = test_store().await else { return };
    let gina = user("gina");
    let marker = |key: &str| ProcessedMarker {
        key: key.to_owned(),
        expires_at: t0() + chrono::Duration::days(7),
    };
    assert!(!t.store.has_marker("evt-1").await.unwrap());
    let first = session(&gina, t0());
    let work = ChangeSet {
        marker: Some(marker("evt-1")),
        idempotency: None,
        ..sessions(vec![SessionWrite::Insert(first.clone())])
    };
    t.store.commit(work).await.unwrap();
    assert!(t.store.has_marker("evt-1").await.unwrap());

    let second = session(&gina, t0());
    let redelivered = ChangeSet {
        marker: Some(marker("evt-1")),
        idempotency: None,
        ..sessions(vec![SessionWrite::Insert(second.clone())])
    };
    match t.store.commit(redelivered).await {
        Err(CommitError::AlreadyProcessed) => {}
        other => panic!("expected AlreadyProcessed, got {other:?}"),
    }
    assert_eq!(t.store.load_session(second.id()).await.unwrap(), None);

    // A marker whose work fails a condition is not written either: the work can be redone.
    let stale = ChangeSet {
        marker: Some(marker("evt-2")),
        idempotency: None,
        ..sessions(vec![SessionWrite::Insert(first)])
    };
    assert_conflict(&t, stale, "marker with a failing write").await;
    assert!(!t.store.has_marker("evt-2").await.unwrap());
}
