//! Bad input of every kind is a 4xx problem document with a stable code, never a 5xx or a panic.

use bytes::Bytes;
use http::{Request, header};
use serde_json::json;
use session_api::Caller;

use super::support::{Harness, Login, service};

const SOME_ID: &str = "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b";

/// Who sends a case.
#[derive(Clone, Copy, Debug)]
enum Who {
    Service,
    User,
    Anonymous,
}

struct Case {
    name: &'static str,
    who: Who,
    method: &'static str,
    uri: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn case(name: &'static str, who: Who, method: &'static str, uri: impl Into<String>) -> Case {
    Case {
        name,
        who,
        method,
        uri: uri.into(),
        content_type: None,
        body: Vec::new(),
        status: 0,
        code: "",
    }
}

impl Case {
    fn json(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some("application/json");
        self.body = body.into();
        self
    }

    fn raw(mut self, content_type: Option<&'static str>, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = content_type;
        self.body = body.into();
        self
    }

    fn expect(mut self, status: u16, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }
}

fn caller(who: Who, login: &Login) -> Caller {
    match who {
        Who::Service => service(),
        Who::User => login.caller(),
        Who::Anonymous => Caller::Anonymous,
    }
}

fn cases() -> Vec<Case> {
    use Who::{Anonymous, Service, User};
    let create = "/internal/sessions";
    let activity = format!("/internal/sessions/{SOME_ID}/activity");
    let provider = format!("/internal/sessions/{SOME_ID}/provider-access");
    let refresh = format!("/internal/sessions/{SOME_ID}/refresh-token");
    let policy = "/internal/users/alice/session-policy";
    let oversized = format!(r#"{{"user_id": "{}"}}"#, "a".repeat(17 * 1024));
    vec![
        // Bodies.
        case("truncated JSON", Service, "POST", create)
            .json(r#"{"user_id":"#)
            .expect(400, "malformed_json"),
        case("trailing garbage", Service, "POST", create)
            .json(r#"{"user_id":"a"} x"#)
            .expect(400, "malformed_json"),
        case("not UTF-8", Service, "POST", create)
            .json(b"{\"user_id\":\"\xff\xfe\"}".to_vec())
            .expect(400, "malformed_json"),
        case("missing body", Service, "POST", create)
            .json("")
            .expect(400, "malformed_json"),
        case("wrong type", Service, "POST", create)
            .json(r#"{"user_id": 5}"#)
            .expect(400, "invalid_body"),
        case("array body", Service, "POST", create)
            .json("[]")
            .expect(400, "invalid_body"),
        case("unknown field", Service, "POST", create)
            .json(r#"{"user_id": "a", "admin": true}"#)
            .expect(400, "invalid_body"),
        case("missing field", Service, "PUT", refresh.clone())
            .json("{}")
            .expect(400, "invalid_body"),
        case("negative limit override", Service, "PUT", policy)
            .json(r#"{"tier": "basic", "max_sessions": -1}"#)
            .expect(400, "invalid_body"),
        case("empty user id", Service, "POST", create)
            .json(r#"{"user_id": ""}"#)
            .expect(400, "validation_failed"),
        case("huge user id", Service, "POST", create)
            .json(format!(r#"{{"user_id": "{}"}}"#, "a".repeat(10_000)))
            .expect(400, "validation_failed"),
        case("control characters in user id", Service, "POST", create)
            .json(r#"{"user_id": "al\nice"}"#)
            .expect(400, "validation_failed"),
        case("bad ip", Service, "POST", create)
            .json(r#"{"user_id": "a", "ip_address": "999.0.0.1"}"#)
            .expect(400, "validation_failed"),
        case("bad expiry", Service, "POST", create)
            .json(r#"{"user_id": "a", "expires_at": "tomorrow"}"#)
            .expect(400, "validation_failed"),
        case("bad refresh token id", Service, "POST", create)
            .json(r#"{"user_id": "a", "refresh_token_id": "has space"}"#)
            .expect(400, "validation_failed"),
        case("bad activity ip", Service, "POST", activity.clone())
            .json(r#"{"ip_address": "nope"}"#)
            .expect(400, "validation_failed"),
        case("bad provider name", Service, "POST", provider.clone())
            .json(r#"{"provider_name": "Not Valid"}"#)
            .expect(400, "validation_failed"),
        case("empty refresh token id", Service, "PUT", refresh.clone())
            .json(r#"{"refresh_token_id": ""}"#)
            .expect(400, "validation_failed"),
        case("unknown tier", Service, "PUT", policy)
            .json(r#"{"tier": "gold"}"#)
            .expect(400, "validation_failed"),
        case("zero limit override", Service, "PUT", policy)
            .json(r#"{"tier": "basic", "max_sessions": 0}"#)
            .expect(400, "validation_failed"),
        case(
            "bad user id in path",
            Service,
            "PUT",
            "/internal/users/a%20b/session-policy",
        )
        .json(r#"{"tier": "basic"}"#)
        .expect(400, "validation_failed"),
        case(
            "non UTF-8 user id in path",
            Service,
            "PUT",
            "/internal/users/%FF%FE/session-policy",
        )
        .json(r#"{"tier": "basic"}"#)
        .expect(400, "validation_failed"),
        case("oversized body", Service, "POST", create)
            .json(oversized)
            .expect(413, "payload_too_large"),
        case("text body", Service, "POST", create)
            .raw(Some("text/plain"), r#"{"user_id": "a"}"#)
            .expect(415, "unsupported_media_type"),
        case("form body", Service, "POST", provider.clone())
            .raw(
                Some("application/x-www-form-urlencoded"),
                "provider_name=plaid",
            )
            .expect(415, "unsupported_media_type"),
        case("body without content type", Service, "POST", create)
            .raw(None, r#"{"user_id": "a"}"#)
            .expect(415, "unsupported_media_type"),
        case("latin-1 JSON", Service, "POST", create)
            .raw(
                Some("application/json; charset=iso-8859-1"),
                r#"{"user_id": "a"}"#,
            )
            .expect(415, "unsupported_media_type"),
        // Path parameters.
        case(
            "bad uuid (internal)",
            Service,
            "GET",
            "/internal/sessions/not-a-uuid/validity",
        )
        .expect(400, "invalid_session_id"),
        case("bad uuid (user)", User, "GET", "/sessions/12345").expect(400, "invalid_session_id"),
        case("bad uuid on revoke", User, "DELETE", "/sessions/%FF")
            .expect(400, "invalid_session_id"),
        // Query strings.
        case("limit zero", User, "GET", "/sessions?limit=0").expect(400, "validation_failed"),
        case("limit too big", User, "GET", "/sessions?limit=101").expect(400, "validation_failed"),
        case("limit not a number", User, "GET", "/sessions?limit=ten")
            .expect(400, "validation_failed"),
        case(
            "active_only not a bool",
            User,
            "GET",
            "/sessions?active_only=maybe",
        )
        .expect(400, "validation_failed"),
        case(
            "unknown query parameter",
            User,
            "GET",
            "/sessions?activeonly=false",
        )
        .expect(400, "validation_failed"),
        case(
            "repeated query parameter",
            User,
            "GET",
            "/sessions?limit=5&limit=6",
        )
        .expect(400, "validation_failed"),
        case("undecodable query", User, "GET", "/sessions?cursor=%FF")
            .expect(400, "validation_failed"),
        case(
            "forged cursor",
            User,
            "GET",
            "/sessions?cursor=bm90LWEtY3Vyc29y",
        )
        .expect(400, "invalid_cursor"),
        case(
            "reason not allowed for users",
            User,
            "DELETE",
            format!("/sessions/{SOME_ID}?reason=admin_action"),
        )
        .expect(400, "invalid_reason"),
        case(
            "unknown reason",
            User,
            "DELETE",
            format!("/sessions/{SOME_ID}?reason=because"),
        )
        .expect(400, "invalid_reason"),
        case(
            "query on a route without one",
            Service,
            "GET",
            format!("/internal/sessions/{SOME_ID}/validity?x=1"),
        )
        .expect(400, "validation_failed"),
        case(
            "very long URI",
            User,
            "GET",
            format!("/sessions?cursor={}", "A".repeat(3000)),
        )
        .expect(414, "uri_too_long"),
        // Routing and credentials.
        case("unknown route", Service, "GET", "/nope").expect(404, "route_not_found"),
        case("trailing slash", User, "GET", "/sessions/").expect(404, "route_not_found"),
        case("wrong method", User, "PATCH", "/sessions").expect(405, "method_not_allowed"),
        case("wrong method on current", User, "GET", "/sessions/current")
            .expect(405, "method_not_allowed"),
        case("wrong method internal", Service, "DELETE", create).expect(405, "method_not_allowed"),
        case("user route anonymously", Anonymous, "GET", "/sessions").expect(401, "unauthorized"),
        case(
            "user route as a service",
            Service,
            "DELETE",
            "/sessions/current",
        )
        .expect(401, "unauthorized"),
        case("internal route anonymously", Anonymous, "POST", create)
            .json(r#"{"user_id": "a"}"#)
            .expect(401, "unauthorized"),
        case(
            "internal route as a user",
            User,
            "GET",
            format!("/internal/sessions/{SOME_ID}/validity"),
        )
        .expect(403, "forbidden"),
        case("policy route as a user", User, "PUT", policy)
            .json(r#"{"tier": "pro"}"#)
            .expect(403, "forbidden"),
    ]
}

#[tokio::test]
async fn bad_input_is_a_4xx_problem_with_a_stable_code() {
    let h = Harness::new();
    let login = h.login("alice").await;
    for case in cases() {
        let mut builder = Request::builder().method(case.method).uri(&case.uri);
        if let Some(content_type) = case.content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        let request = builder.body(Bytes::from(case.body)).unwrap();
        let reply = h.send(caller(case.who, &login), request).await;
        assert_eq!(
            (reply.status.as_u16(), reply.json()["code"].as_str()),
            (case.status, Some(case.code)),
            "case `{}`: {}",
            case.name,
            String::from_utf8_lossy(&reply.body)
        );
        reply.problem(case.status, case.code);
    }
    assert_eq!(
        h.validity(login.session_id).await["active"],
        true,
        "no bad request changed anything"
    );
}

#[tokio::test]
async fn validation_problems_list_every_invalid_field() {
    let h = Harness::new();
    let problem = h
        .internal(
            "POST",
            "/internal/sessions",
            Some(json!({"user_id": "", "ip_address": "x", "expires_at": "soon", "refresh_token_id": ""})),
        )
        .await
        .problem(400, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["user_id", "ip_address", "expires_at", "refresh_token_id"]
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn expiry_outside_the_session_lifetime_is_a_field_error() {
    let h = Harness::new();
    h.set_policy("alice", "basic").await;
    for expires_at in ["2025-12-31T23:00:00Z", "2027-01-01T00:00:00Z"] {
        let problem = h
            .internal(
                "POST",
                "/internal/sessions",
                Some(json!({"user_id": "alice", "expires_at": expires_at})),
            )
            .await
            .problem(400, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "expires_at", "{expires_at}");
    }
}

#[tokio::test]
async fn method_not_allowed_names_the_allowed_methods() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let reply = h.user(&login, "PUT", &format!("/sessions/{SOME_ID}")).await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(reply.headers[header::ALLOW], "GET, DELETE");
}

#[tokio::test]
async fn problems_carry_the_request_path_and_id() {
    let h = Harness::new();
    let problem = h
        .internal("GET", "/nope/deeper?x=1", None)
        .await
        .problem(404, "route_not_found");
    assert_eq!(problem["instance"], "/nope/deeper");
    assert_eq!(problem["trace_id"], super::support::REQUEST_ID);
}

#[tokio::test]
async fn no_odd_request_is_ever_a_server_error() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let paths = [
        "/",
        "/sessions",
        "/sessions/current",
        &format!("/sessions/{SOME_ID}"),
        "/sessions/%00",
        "/sessions/..%2F..%2Fetc",
        "/internal/sessions",
        "/internal/sessions/%E2%82%AC/validity",
        &format!("/internal/sessions/{SOME_ID}/activity"),
        &format!("/internal/sessions/{SOME_ID}/provider-access"),
        &format!("/internal/sessions/{SOME_ID}/refresh-token"),
        "/internal/users/%C3%28/session-policy",
        "/internal/users/alice/session-policy",
        "/openapi.json?%%%",
    ];
    let bodies: [&[u8]; 7] = [
        b"",
        b"null",
        b"{}",
        b"\"string\"",
        b"{\"user_id\": {\"nested\": [1, 2, 3]}}",
        b"\xc3\x28",
        &[b'['; 4096],
    ];
    for path in paths {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            for body in bodies {
                for who in [Who::Service, Who::User, Who::Anonymous] {
                    let request = Request::builder()
                        .method(method)
                        .uri(path)
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Bytes::copy_from_slice(body))
                        .unwrap();
                    let reply = h.send(caller(who, &login), request).await;
                    assert!(
                        !reply.status.is_server_error(),
                        "{method} {path} as {who:?} -> {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    );
                }
            }
        }
    }
}
