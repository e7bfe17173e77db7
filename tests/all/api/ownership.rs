//! A user can neither see nor change another user's sessions, and cannot even tell whether a
//! session id exists: the answer is the same 404 as for a missing session, and nothing changes.

use serde_json::Value;

use super::support::{Harness, Login};

struct TwoUsers {
    h: Harness,
    alice: Login,
    bob: Login,
}

async fn two_users() -> TwoUsers {
    let h = Harness::new();
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    h.events();
    TwoUsers { h, alice, bob }
}

/// Everything alice could observe about her sessions.
async fn alice_state(t: &TwoUsers) -> (Value, Value) {
    let list =
        t.h.user(&t.alice, "GET", "/sessions?active_only=false")
            .await
            .ok_json(200);
    let validity = t.h.validity(t.alice.session_id).await;
    (list, validity)
}

/// The problem without the fields that legitimately differ between two requests.
fn comparable(mut problem: Value) -> Value {
    let object = problem.as_object_mut().unwrap();
    object.remove("instance");
    object.remove("trace_id");
    problem
}

#[tokio::test]
async fn getting_another_users_session_is_404_like_a_missing_one() {
    let t = two_users().await;
    let others =
        t.h.user(&t.bob, "GET", &format!("/sessions/{}", t.alice.session_id))
            .await
            .problem(404, "session_not_found");
    let missing =
        t.h.user(
            &t.bob,
            "GET",
            "/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
        )
        .await
        .problem(404, "session_not_found");
    assert_eq!(comparable(others), comparable(missing));
}

#[tokio::test]
async fn revoking_another_users_session_is_404_and_changes_nothing() {
    let t = two_users().await;
    let before = alice_state(&t).await;
    for reason in ["", "?reason=logout", "?reason=suspicious_activity"] {
        let reply =
            t.h.user(
                &t.bob,
                "DELETE",
                &format!("/sessions/{}{reason}", t.alice.session_id),
            )
            .await;
        let missing =
            t.h.user(
                &t.bob,
                "DELETE",
                &format!("/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b{reason}"),
            )
            .await;
        assert_eq!(
            comparable(reply.problem(404, "session_not_found")),
            comparable(missing.problem(404, "session_not_found"))
        );
    }
    assert_eq!(alice_state(&t).await, before);
    assert_eq!(t.h.validity(t.alice.session_id).await["active"], true);
    // The attempt is audited, but no session was revoked.
    assert!(super::support::revoked_reasons(&t.h.events()).is_empty());
}

#[tokio::test]
async fn listing_shows_only_the_callers_sessions() {
    let t = two_users().await;
    let bobs =
        t.h.user(&t.bob, "GET", "/sessions?active_only=false")
            .await
            .ok_json(200);
    let ids: Vec<&str> = bobs["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [t.bob.session_id.to_string()]);
}

#[tokio::test]
async fn a_cursor_from_another_user_selects_only_the_callers_sessions() {
    let t = two_users().await;
    t.h.login("alice").await;
    let page =
        t.h.user(&t.alice, "GET", "/sessions?limit=1")
            .await
            .ok_json(200);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let bobs =
        t.h.user(&t.bob, "GET", &format!("/sessions?cursor={cursor}"))
            .await
            .ok_json(200);
    for session in bobs["sessions"].as_array().unwrap() {
        assert_eq!(session["id"], t.bob.session_id.to_string());
    }
}

#[tokio::test]
async fn revoking_all_other_sessions_never_touches_another_user() {
    let t = two_users().await;
    let before = alice_state(&t).await;
    let body = t.h.user(&t.bob, "DELETE", "/sessions").await.ok_json(200);
    assert_eq!(body["revoked_count"], 0);
    t.h.user(&t.bob, "DELETE", "/sessions/current")
        .await
        .no_content();
    assert_eq!(alice_state(&t).await, before);
    assert_eq!(t.h.validity(t.bob.session_id).await["reason"], "revoked");
}
