//! GetSession and ListUserSessions through the store: ownership, inactive sessions, order,
//! is_current, pagination and cursors.

use std::collections::BTreeSet;

use chrono::Duration;
use session_core::domain::{RevocationReason, SessionStatus};
use session_core::error::{InvalidInput, SessionError};
use session_core::ids::{SessionId, UserId};
use session_core::use_cases::{CreateSession, GetSession, ListUserSessions, ListedSession};

use crate::fixture::{login_cmd, user};
use crate::{Fixture, StoreHarness};

async fn get<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    session_id: SessionId,
    user_id: &UserId,
    current: Option<SessionId>,
) -> Result<ListedSession, SessionError> {
    fx.sessions
        .get_session(GetSession {
            session_id,
            user_id: user_id.clone(),
            current_session_id: current,
        })
        .await
}

fn ids(listed: &[ListedSession]) -> Vec<SessionId> {
    listed.iter().map(|s| s.session.id()).collect()
}

/// Four sessions of alice, oldest first: one that expires after an hour, one revoked, two
/// active; the clock is then two hours on.
async fn mixed_sessions<H: StoreHarness>(fx: &Fixture<'_, H>, alice: &UserId) -> [SessionId; 4] {
    fx.register(alice, "pro", None).await;
    let expiring = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(fx.now() + Duration::hours(1)),
            ..login_cmd(alice)
        })
        .await
        .expect("login")
        .session
        .id();
    let rest = fx.login_n(alice, 3).await;
    fx.revoke(rest[0], alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    fx.advance(Duration::hours(2));
    [expiring, rest[0], rest[1], rest[2]]
}

/// The owner gets their session as stored, with its status and is_current.
pub async fn get_session_returns_the_owners_session_with_is_current<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let ids = fx.login_n(&alice, 2).await;

    let other = get(&fx, ids[0], &alice, Some(ids[1])).await.expect("found");
    let current = get(&fx, ids[1], &alice, Some(ids[1])).await.expect("found");

    assert_eq!(other.session, fx.stored(ids[0]).await.value);
    assert_eq!(other.status, SessionStatus::Active);
    assert!(!other.is_current);
    assert_eq!(current.session.id(), ids[1]);
    assert!(current.is_current);
}

/// Someone else's session is not_session_owner and a missing one session_not_found (the API
/// answers 404 for both).
pub async fn get_session_of_another_user_or_missing_is_refused<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let mallory = user("mallory");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();

    let foreign = get(&fx, id, &mallory, None).await;
    let missing = get(&fx, fx.new_session_id(), &alice, None).await;

    assert!(
        matches!(foreign, Err(SessionError::NotSessionOwner)),
        "{foreign:?}"
    );
    assert!(
        matches!(missing, Err(SessionError::SessionNotFound)),
        "{missing:?}"
    );
}

/// Revoked and expired sessions are still returned to their owner, with that status.
pub async fn get_session_returns_revoked_and_expired_sessions_to_their_owner<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let [expiring, revoked, ..] = mixed_sessions(&fx, &alice).await;

    let revoked_view = get(&fx, revoked, &alice, None).await.expect("found");
    let expired_view = get(&fx, expiring, &alice, None).await.expect("found");

    assert_eq!(revoked_view.status, SessionStatus::Revoked);
    assert_eq!(
        revoked_view.session.revocation().map(|r| r.reason),
        Some(RevocationReason::Logout)
    );
    assert_eq!(expired_view.status, SessionStatus::Expired);
}

/// active_only lists only sessions neither revoked nor expired, newest first.
pub async fn list_active_only_hides_revoked_and_expired_sessions<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let [_, _, older, newest] = mixed_sessions(&fx, &alice).await;

    let page = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: alice.clone(),
            active_only: true,
            limit: None,
            cursor: None,
            current_session_id: None,
        })
        .await
        .expect("listed");

    assert_eq!(ids(&page.sessions), [newest, older]);
    assert!(
        page.sessions
            .iter()
            .all(|s| s.status == SessionStatus::Active)
    );
    assert_eq!((page.total_count, page.active_count), (2, 2));
}

/// Without active_only every session is listed, newest created first, each with its status.
pub async fn list_all_includes_inactive_sessions_newest_first<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let [expiring, revoked, older, newest] = mixed_sessions(&fx, &alice).await;

    let listed = fx.list_all(&alice, false, 50, None).await;

    assert_eq!(ids(&listed), [newest, older, revoked, expiring]);
    let statuses: Vec<SessionStatus> = listed.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            SessionStatus::Active,
            SessionStatus::Active,
            SessionStatus::Revoked,
            SessionStatus::Expired
        ]
    );
    let page = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: alice.clone(),
            active_only: false,
            limit: Some(50),
            cursor: None,
            current_session_id: None,
        })
        .await
        .expect("listed");
    assert_eq!((page.total_count, page.active_count), (4, 2));
}

/// Exactly the caller's current session is marked is_current.
pub async fn list_marks_only_the_current_session<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "plus", None).await;
    let ids = fx.login_n(&alice, 3).await;

    let listed = fx.list_all(&alice, false, 50, Some(ids[1])).await;

    let current: Vec<SessionId> = listed
        .iter()
        .filter(|s| s.is_current)
        .map(|s| s.session.id())
        .collect();
    assert_eq!(current, [ids[1]]);
    assert_eq!(listed.len(), 3);
}

/// Following next_cursor page by page yields every session once, newest first: no duplicates,
/// no gaps, never more than the page size per page.
pub async fn list_paginates_without_duplicates_or_gaps<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let mut created = fx.login_n(&alice, 23).await;
    created.reverse();

    for page_size in [1, 5, 23, 100] {
        let listed = ids(&fx.list_all(&alice, false, page_size, None).await);
        assert_eq!(listed, created, "page size {page_size}");
    }
    let first = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: alice.clone(),
            active_only: false,
            limit: Some(5),
            cursor: None,
            current_session_id: None,
        })
        .await
        .expect("listed");
    assert_eq!(ids(&first.sessions), &created[..5]);
    assert!(first.next_cursor.is_some(), "more pages follow");
}

/// Paging through active sessions only skips the revoked ones and still misses no active one.
pub async fn list_paginates_active_sessions_across_revoked_ones<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let created = fx.login_n(&alice, 20).await;
    let mut active = Vec::new();
    for (n, id) in created.iter().enumerate() {
        if n % 3 == 0 {
            fx.revoke(*id, &alice, RevocationReason::Manual)
                .await
                .expect("revoked");
        } else {
            active.push(*id);
        }
    }
    active.reverse();

    for page_size in [2, 4, 7] {
        let listed = ids(&fx.list_all(&alice, true, page_size, None).await);
        assert_eq!(listed, active, "page size {page_size}");
    }
}

/// A cursor that this service did not produce is refused as invalid_cursor.
pub async fn list_with_a_garbage_cursor_is_invalid_cursor<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    fx.login(&alice).await;

    for cursor in ["not-a-cursor", "djE", "", "%%%"] {
        let outcome = fx
            .sessions
            .list_user_sessions(ListUserSessions {
                user_id: alice.clone(),
                active_only: false,
                limit: Some(10),
                cursor: Some(cursor.to_owned()),
                current_session_id: None,
            })
            .await;
        assert!(
            matches!(
                outcome,
                Err(SessionError::Invalid(InvalidInput::InvalidCursor))
            ),
            "cursor {cursor:?}: {outcome:?}"
        );
    }
}

/// A user's list never holds another user's session, even when paged with a cursor taken from
/// the other user's list.
pub async fn list_never_shows_another_users_sessions<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;
    let mut bobs = BTreeSet::new();
    for _ in 0..3 {
        fx.login_n(&alice, 1).await;
        bobs.extend(fx.login_n(&bob, 1).await);
    }
    let alices_page = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: alice.clone(),
            active_only: false,
            limit: Some(1),
            cursor: None,
            current_session_id: None,
        })
        .await
        .expect("listed");
    let foreign_cursor = alices_page.next_cursor.expect("alice has more pages");

    let listed: BTreeSet<SessionId> = ids(&fx.list_all(&bob, false, 2, None).await)
        .into_iter()
        .collect();
    let with_foreign_cursor = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: bob.clone(),
            active_only: false,
            limit: Some(10),
            cursor: Some(foreign_cursor),
            current_session_id: None,
        })
        .await
        .expect("listed");

    assert_eq!(listed, bobs);
    assert!(
        with_foreign_cursor
            .sessions
            .iter()
            .all(|s| *s.session.user_id() == bob),
        "a foreign cursor only positions within bob's own sessions"
    );
    assert!(
        !with_foreign_cursor.sessions.is_empty(),
        "bob has sessions older than the cursor"
    );
}
