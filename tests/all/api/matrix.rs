//! The authorization matrix: every user route x every kind of caller credential, each cell going
//! through the same path as `session-local` (the bearer authenticator, then `Api::handle` with the
//! resulting caller), with the expected status and no state change on refused cells. Internal
//! routes refuse user callers (403) and anonymous ones (401).

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http::{Request, header};
use serde_json::{Value, json};
use session_api::{ApiError, Caller, problem_response};
use session_core::domain::PolicyConfig;
use session_core::events::EventPayload;

use super::support::{Harness, Login, REQUEST_ID, Reply, SECRET};
use super::tokens::{claims, edit, sign};

/// The credential a cell presents.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Credential {
    Owner,
    OtherUser,
    RevokedSession,
    ExpiredSession,
    IdleExpiredSession,
    NoToken,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    ExpiredToken,
    NoSessionClaim,
}

const CREDENTIALS: [Credential; 11] = [
    Credential::Owner,
    Credential::OtherUser,
    Credential::RevokedSession,
    Credential::ExpiredSession,
    Credential::IdleExpiredSession,
    Credential::NoToken,
    Credential::BadSignature,
    Credential::WrongIssuer,
    Credential::WrongAudience,
    Credential::ExpiredToken,
    Credential::NoSessionClaim,
];

/// The user routes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum UserRoute {
    List,
    Get,
    Revoke,
    RevokeAll,
    RevokeCurrent,
}

const USER_ROUTES: [UserRoute; 5] = [
    UserRoute::List,
    UserRoute::Get,
    UserRoute::Revoke,
    UserRoute::RevokeAll,
    UserRoute::RevokeCurrent,
];

/// Alice owns `current` (the session her token names) and `other`; bob owns `bob`.
struct World {
    h: Harness,
    current: Login,
    other: Login,
    bob: Login,
}

const IDLE_POLICY: &str = r#"{"tiers":{"idle":{"max_sessions":5,"idle_timeout_secs":600}}}"#;

async fn world(credential: Credential) -> World {
    let h = Harness::with_policy(PolicyConfig::from_json(IDLE_POLICY).unwrap());
    if credential == Credential::IdleExpiredSession {
        h.set_policy("alice", "idle").await;
    }
    let current = h.login("alice").await;
    let other = h.login("alice").await;
    let bob = h.login("bob").await;
    World {
        h,
        current,
        other,
        bob,
    }
}

/// Puts the world in the state the credential needs and returns the `Authorization` header.
async fn present(w: &World, credential: Credential) -> Option<String> {
    let bearer = |token: String| Some(format!("Bearer {token}"));
    match credential {
        Credential::Owner => bearer(w.h.token(&w.current)),
        Credential::OtherUser => bearer(w.h.token(&w.bob)),
        Credential::RevokedSession => {
            w.h.user(
                &w.other,
                "DELETE",
                &format!("/sessions/{}", w.current.session_id),
            )
            .await
            .no_content();
            bearer(w.h.token(&w.current))
        }
        Credential::ExpiredSession => {
            w.h.clock.advance(chrono::Duration::days(31));
            bearer(w.h.token(&w.current))
        }
        Credential::IdleExpiredSession => {
            w.h.clock.advance(chrono::Duration::seconds(601));
            bearer(w.h.token(&w.current))
        }
        Credential::NoToken => None,
        Credential::BadSignature => bearer(sign(
            &claims(&w.current),
            b"some-other-secret-that-is-32-bytes-long",
        )),
        Credential::WrongIssuer => bearer(sign(
            &edit(claims(&w.current), "iss", Some(json!("https://evil.test"))),
            SECRET,
        )),
        Credential::WrongAudience => bearer(sign(
            &edit(claims(&w.current), "aud", Some(json!("billing"))),
            SECRET,
        )),
        Credential::ExpiredToken => bearer(
            w.h.issuer
                .issue_at(
                    &w.current.user_id,
                    w.current.session_id,
                    Utc::now() - chrono::Duration::hours(2),
                    Duration::from_secs(3600),
                )
                .unwrap(),
        ),
        Credential::NoSessionClaim => {
            bearer(sign(&edit(claims(&w.current), "session_id", None), SECRET))
        }
    }
}

/// What `session-local` does for a user route: authenticate the bearer header, answer the
/// failure as a problem, or hand the caller to the API.
async fn through_edge(h: &Harness, authorization: Option<&str>, method: &str, uri: &str) -> Reply {
    let caller = match h.authenticator.authenticate(authorization).await {
        Ok(caller) => caller,
        Err(error) => {
            let path = uri.split('?').next().unwrap();
            let (parts, body) =
                problem_response(&ApiError::from(error), path, REQUEST_ID).into_parts();
            return Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            };
        }
    };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Bytes::new())
        .unwrap();
    h.send(caller, request).await
}

fn request(route: UserRoute, w: &World) -> (&'static str, String) {
    match route {
        UserRoute::List => ("GET", "/sessions?active_only=false".to_owned()),
        UserRoute::Get => ("GET", format!("/sessions/{}", w.other.session_id)),
        UserRoute::Revoke => ("DELETE", format!("/sessions/{}", w.other.session_id)),
        UserRoute::RevokeAll => ("DELETE", "/sessions".to_owned()),
        UserRoute::RevokeCurrent => ("DELETE", "/sessions/current".to_owned()),
    }
}

fn expected(route: UserRoute, credential: Credential) -> u16 {
    match (credential, route) {
        (Credential::Owner, UserRoute::List | UserRoute::Get | UserRoute::RevokeAll) => 200,
        (Credential::Owner, _) => 204,
        // Bob acts on his own sessions only; alice's are invisible to him.
        (Credential::OtherUser, UserRoute::List | UserRoute::RevokeAll) => 200,
        (Credential::OtherUser, UserRoute::Get | UserRoute::Revoke) => 404,
        (Credential::OtherUser, UserRoute::RevokeCurrent) => 204,
        _ => 401,
    }
}

/// Whether alice's two sessions are active, as the internal validity route reports them.
async fn alice_active(w: &World) -> (bool, bool) {
    let current = w.h.validity(w.current.session_id).await["active"]
        .as_bool()
        .unwrap();
    let other = w.h.validity(w.other.session_id).await["active"]
        .as_bool()
        .unwrap();
    (current, other)
}

/// The events that change state (as opposed to attempts and failures).
fn changes(events: &[session_core::events::DomainEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter(|event| {
            matches!(
                event.payload,
                EventPayload::SessionCreated(_)
                    | EventPayload::SessionEvicted(_)
                    | EventPayload::SessionRevoked(_)
                    | EventPayload::AllSessionsRevoked(_)
            )
        })
        .map(session_core::events::DomainEvent::detail_type)
        .collect()
}

#[tokio::test]
async fn authorization_matrix() {
    let mut cells = 0usize;
    for route in USER_ROUTES {
        for credential in CREDENTIALS {
            let w = world(credential).await;
            let authorization = present(&w, credential).await;
            let before = alice_active(&w).await;
            let bob_before = w.h.validity(w.bob.session_id).await["active"].clone();
            w.h.events();
            let (method, uri) = request(route, &w);
            let reply = through_edge(&w.h, authorization.as_deref(), method, &uri).await;
            let events = w.h.events();
            let after = alice_active(&w).await;
            let status = expected(route, credential);
            let cell = format!("{method} {uri} with {credential:?}");
            assert_eq!(
                reply.status.as_u16(),
                status,
                "{cell}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            match status {
                401 => {
                    let code = reply.json()["code"].clone();
                    assert!(
                        code == "unauthorized" || code == "invalid_token",
                        "{cell}: {code}"
                    );
                    reply.problem(401, code.as_str().unwrap());
                    assert!(
                        reply.headers.contains_key(header::WWW_AUTHENTICATE),
                        "{cell}"
                    );
                }
                404 => {
                    reply.problem(404, "session_not_found");
                }
                _ => {}
            }
            if status >= 400 {
                assert_eq!(before, after, "{cell}: a refused request changed state");
                assert!(changes(&events).is_empty(), "{cell}: {events:?}");
            } else if credential == Credential::OtherUser {
                assert_eq!(before, (true, true), "{cell}");
                assert_eq!(after, (true, true), "{cell}: bob touched alice's sessions");
                if route == UserRoute::List {
                    let body = String::from_utf8_lossy(&reply.body).into_owned();
                    assert!(!body.contains(&w.current.session_id.to_string()), "{cell}");
                    assert!(!body.contains(&w.other.session_id.to_string()), "{cell}");
                    assert!(body.contains(&w.bob.session_id.to_string()), "{cell}");
                }
            } else {
                // The owner: exactly the intended change.
                let intended = match route {
                    UserRoute::List | UserRoute::Get => (true, true),
                    UserRoute::Revoke | UserRoute::RevokeAll => (true, false),
                    UserRoute::RevokeCurrent => (false, true),
                };
                assert_eq!(after, intended, "{cell}");
                if route == UserRoute::Get {
                    let body = String::from_utf8_lossy(&reply.body).into_owned();
                    assert!(body.contains(&w.other.session_id.to_string()), "{cell}");
                }
            }
            // Bob's session is never touched by anyone but bob.
            if credential != Credential::OtherUser {
                let bob_after = w.h.validity(w.bob.session_id).await["active"].clone();
                assert_eq!(bob_before, bob_after, "{cell}");
            }
            cells += 1;
        }
    }
    let user_cells = cells;

    // Internal routes: a user caller is forbidden, an anonymous one unauthenticated.
    let w = world(Credential::Owner).await;
    let id = w.current.session_id;
    let internal: [(&str, String, Option<Value>); 6] = [
        (
            "POST",
            "/internal/sessions".to_owned(),
            Some(json!({"user_id": "alice"})),
        ),
        ("GET", format!("/internal/sessions/{id}/validity"), None),
        (
            "POST",
            format!("/internal/sessions/{id}/activity"),
            Some(json!({"ip_address": "198.51.100.9"})),
        ),
        (
            "POST",
            format!("/internal/sessions/{id}/provider-access"),
            Some(json!({"provider_name": "plaid"})),
        ),
        (
            "PUT",
            format!("/internal/sessions/{id}/refresh-token"),
            Some(json!({"refresh_token_id": "rt-1"})),
        ),
        (
            "PUT",
            "/internal/users/alice/session-policy".to_owned(),
            Some(json!({"tier": "idle"})),
        ),
    ];
    let before = (alice_active(&w).await, w.h.validity(id).await);
    w.h.events();
    for (method, uri, body) in &internal {
        for (caller, status, code) in [
            (w.current.caller(), 403, "forbidden"),
            (w.bob.caller(), 403, "forbidden"),
            (Caller::Anonymous, 401, "unauthorized"),
        ] {
            let reply = w.h.call(caller.clone(), method, uri, body.clone()).await;
            assert_eq!(
                reply.status.as_u16(),
                status,
                "{method} {uri} as {caller:?}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            reply.problem(status, code);
            cells += 1;
        }
    }
    assert!(
        w.h.events().is_empty(),
        "a refused internal call emitted events"
    );
    assert_eq!(
        before,
        (alice_active(&w).await, w.h.validity(id).await),
        "a refused internal call changed state"
    );
    println!(
        "authorization matrix: {cells} cells passed ({user_cells} user-route cells, {} internal)",
        cells - user_cells
    );
    assert_eq!(user_cells, USER_ROUTES.len() * CREDENTIALS.len());
    assert_eq!(user_cells, 55);
    assert_eq!(cells, 55 + 18);
}
