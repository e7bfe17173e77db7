//! `Idempotency-Key` on POST /internal/sessions, over HTTP semantics: a retried login gets the
//! first answer (marked `Idempotent-Replayed: true`) without creating or evicting anything, a
//! reused key with another body is a 422, a bad key a 400 naming the header.

use bytes::Bytes;
use http::{Request, header};
use serde_json::{Value, json};

use super::support::{Harness, Reply, detail_types, service};

async fn keyed_create(h: &Harness, key: &[u8], body: &Value) -> Reply {
    let request = Request::builder()
        .method("POST")
        .uri("/internal/sessions")
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(Bytes::from(body.to_string()))
        .unwrap();
    h.send(service(), request).await
}

fn login_body(user: &str) -> Value {
    json!({ "user_id": user, "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0" })
}

#[tokio::test]
async fn a_retried_login_is_answered_with_the_first_response_and_changes_nothing() {
    let h = Harness::new();
    h.set_policy("alice", "basic").await;
    let earlier = [h.login("alice").await, h.login("alice").await];
    h.events();

    let first = keyed_create(&h, b"4b9c1e1a-login", &login_body("alice")).await;
    let first_json = first.ok_json(201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        first_json["evicted_session_ids"],
        json!([earlier[0].session_id.to_string()])
    );
    assert_eq!(
        detail_types(&h.events()),
        ["SessionLimitExceeded", "SessionEvicted", "SessionCreated"]
    );

    for _ in 0..3 {
        let retry = keyed_create(&h, b"4b9c1e1a-login", &login_body("alice")).await;
        assert_eq!(
            retry.ok_json(201),
            first_json,
            "the same body as the first answer"
        );
        assert_eq!(retry.headers["idempotent-replayed"], "true");
    }
    assert!(
        h.events().is_empty(),
        "replays emit nothing: no login, no eviction"
    );
    let created_id = first_json["session_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(h.validity(created_id).await["active"], true);
    assert_eq!(
        h.validity(earlier[1].session_id).await["active"],
        true,
        "a replay at the limit evicts nothing more"
    );
}

#[tokio::test]
async fn a_key_reused_with_another_body_is_a_422_and_changes_nothing() {
    let h = Harness::new();
    h.set_policy("alice", "pro").await;
    h.set_policy("bob", "pro").await;
    keyed_create(&h, b"shared", &login_body("alice"))
        .await
        .ok_json(201);
    h.events();

    let mut other_agent = login_body("alice");
    other_agent["user_agent"] = json!("curl/8.0");
    for body in [login_body("bob"), other_agent] {
        let reply = keyed_create(&h, b"shared", &body).await;
        let problem = reply.problem(422, "idempotency_key_reused");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key")
        );
    }
    assert!(h.events().is_empty(), "nothing created, nothing emitted");
}

#[tokio::test]
async fn a_bad_key_is_a_400_naming_the_header_and_creates_nothing() {
    let h = Harness::new();
    h.set_policy("alice", "pro").await;
    h.events();
    let too_long = vec![b'k'; 256];
    for key in [&b""[..], b"has space", b"\xff\xfe", b"...", &too_long] {
        let reply = keyed_create(&h, key, &login_body("alice")).await;
        let problem = reply.problem(400, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "Idempotency-Key", "{key:?}");
    }
    assert!(h.events().is_empty());
}

#[tokio::test]
async fn logins_without_a_key_are_not_deduplicated() {
    let h = Harness::new();
    h.set_policy("alice", "pro").await;
    let body = login_body("alice");
    let first = h
        .internal("POST", "/internal/sessions", Some(body.clone()))
        .await
        .ok_json(201);
    let second = h
        .internal("POST", "/internal/sessions", Some(body))
        .await
        .ok_json(201);
    assert_ne!(first["session_id"], second["session_id"]);
}
