//! Listing a user's sessions: pages newest first, filtered, page for page the same as the
//! embedded store (the reference semantics), including where a page ends and the next begins.

use chrono::{DateTime, Duration, Utc};
use session_core::cursor::CursorPosition;
use session_core::domain::{Actor, RevocationReason, Session};
use session_core::ids::UserId;
use session_core::ports::{ChangeSet, SessionPage, SessionQuery, SessionStore, SessionWrite};
use session_memory::MemoryStore;

use super::sample::{revocation, session, t0, user};
use super::support::test_store;
use session_tests::fixture::edited;

/// Seven sessions of one user (two created at the same instant, two revoked, one expired) and
/// two of another user.
fn sample_sessions(owner: &UserId, other: &UserId) -> Vec<Session> {
    let mut all: Vec<Session> = (0..6)
        .map(|i| session(owner, t0() + Duration::minutes(i)))
        .collect();
    all.push(session(owner, t0() + Duration::minutes(3)));
    all[1] = edited(&all[1], |r| {
        r.revocation = Some(revocation(RevocationReason::Logout, Actor::System));
    });
    all[4] = edited(&all[4], |r| {
        r.revocation = Some(revocation(RevocationReason::Manual, Actor::System));
    });
    all[2] = edited(&all[2], |r| {
        r.expires_at = t0() + Duration::hours(2);
    });
    all.push(session(other, t0() + Duration::minutes(2)));
    all.push(session(other, t0() + Duration::minutes(10)));
    all
}

async fn insert_all<S: SessionStore>(store: &S, all: &[Session]) {
    let writes = all.iter().cloned().map(SessionWrite::Insert).collect();
    store
        .commit(ChangeSet {
            sessions: writes,
            ..ChangeSet::default()
        })
        .await
        .unwrap();
}

/// Every page from the start, following `next` (bounded, in case it never ends).
async fn all_pages<S: SessionStore>(
    store: &S,
    user_id: &UserId,
    limit: u32,
    unexpired_at: Option<DateTime<Utc>>,
) -> Vec<SessionPage> {
    let mut pages = Vec::new();
    let mut after = None;
    for _ in 0..20 {
        let page = store
            .list_user_sessions(SessionQuery {
                user_id: user_id.clone(),
                after,
                limit,
                unexpired_at,
            })
            .await
            .unwrap();
        after = page.next;
        pages.push(page);
        if after.is_none() {
            return pages;
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn pages_match_the_embedded_store_for_every_limit_with_and_without_the_filter() {
    let Some(t) = test_store().await else { return };
    let (owner, other) = (user("owner"), user("other"));
    let all = sample_sessions(&owner, &other);
    let memory = MemoryStore::new();
    insert_all(&memory, &all).await;
    insert_all(&t.store, &all).await;
    t.requests.take();

    let now = t0() + Duration::days(1);
    for unexpired_at in [None, Some(now)] {
        for limit in 1..=9 {
            let expected = all_pages(&memory, &owner, limit, unexpired_at).await;
            let actual = all_pages(&t.store, &owner, limit, unexpired_at).await;
            assert_eq!(actual, expected, "limit {limit}, filter {unexpired_at:?}");
            let queries = t.requests.take();
            assert_eq!(
                queries.get("Query").copied(),
                Some(u32::try_from(actual.len()).unwrap())
            );
            assert_eq!(queries.len(), 1, "only queries: {queries:?}");
        }
    }
    let everything = all_pages(&t.store, &owner, 100, None).await;
    let listed: Vec<_> = everything[0]
        .sessions
        .iter()
        .map(|s| (s.created_at(), s.id()))
        .collect();
    let mut newest_first = listed.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, newest_first);
    assert_eq!(listed.len(), 7);
}

#[tokio::test]
async fn a_position_between_items_continues_strictly_after_it() {
    let Some(t) = test_store().await else { return };
    let (owner, other) = (user("owner"), user("other"));
    let all = sample_sessions(&owner, &other);
    let memory = MemoryStore::new();
    insert_all(&memory, &all).await;
    insert_all(&t.store, &all).await;
    // A cursor naming no stored session (a forged or stale one) still selects only the owner's
    // sessions older than it.
    let forged = CursorPosition {
        created_at: t0() + Duration::minutes(3) + Duration::seconds(30),
        session_id: session(&owner, t0()).id(),
    };
    let query = SessionQuery {
        user_id: owner.clone(),
        after: Some(forged),
        limit: 10,
        unexpired_at: None,
    };
    let expected = memory.list_user_sessions(query.clone()).await.unwrap();
    let actual = t.store.list_user_sessions(query).await.unwrap();
    assert_eq!(actual, expected);
    assert!(
        actual
            .sessions
            .iter()
            .all(|s| *s.user_id() == owner && s.created_at() < forged.created_at)
    );
}

#[tokio::test]
async fn a_user_without_sessions_gets_an_empty_last_page() {
    let Some(t) = test_store().await else { return };
    let page = t
        .store
        .list_user_sessions(SessionQuery {
            user_id: user("nobody"),
            after: None,
            limit: 5,
            unexpired_at: Some(t0()),
        })
        .await
        .unwrap();
    assert_eq!(
        page,
        SessionPage {
            sessions: vec![],
            next: None
        }
    );
}
