//! The local server in-process on an ephemeral port, spoken to over real HTTP/1.1: the README
//! walkthrough end to end, bearer checks at the edge, the body cap, request ids and events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Value, json};
use session_core::ids::{SessionId, UserId};
use session_local::{EventOutput, JwtSecret, LocalServer, ServerConfig, ServerError, StoreChoice};
use session_tests::http1;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SECRET: &str = "local-server-test-secret-of-32-bytes-plus";

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServerError>>,
    events_file: PathBuf,
}

async fn start() -> Running {
    start_with(StoreChoice::Memory).await
}

async fn start_with(store: StoreChoice) -> Running {
    let events_file = std::env::temp_dir().join(format!(
        "session-local-events-{}.jsonl",
        uuid::Uuid::now_v7()
    ));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.store = store;
    config.jwt_secret = JwtSecret::resolve(Some(SECRET.to_owned()));
    config.events = EventOutput::File(events_file.clone());
    let server = LocalServer::bind(config).await.unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        stopped.await.ok();
    }));
    Running {
        addr,
        stop,
        task,
        events_file,
    }
}

impl Running {
    /// Stops the server cleanly and returns the detail types of the events it wrote, each line
    /// checked against its event's contract.
    async fn stop(self) -> Vec<String> {
        self.stop.send(()).unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        assert!(
            matches!(outcome, Ok(Ok(Ok(())))),
            "server did not stop cleanly: {outcome:?}"
        );
        let text = std::fs::read_to_string(&self.events_file).unwrap_or_default();
        std::fs::remove_file(&self.events_file).ok();
        text.lines()
            .map(|line| {
                session_tests::event_contracts::check_json_line(line);
                let event: Value = serde_json::from_str(line).unwrap();
                assert!(event["detail"]["event_id"].is_string(), "{line}");
                event["detail_type"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpReply {
        http(self.addr, method, path, headers, body).await
    }

    async fn internal(&self, method: &str, path: &str, body: Value) -> HttpReply {
        let body = body.to_string();
        self.call(
            method,
            path,
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
        .await
    }

    async fn user(&self, method: &str, path: &str, token: &str) -> HttpReply {
        self.call(
            method,
            path,
            &[("authorization", &format!("Bearer {token}"))],
            b"",
        )
        .await
    }
}

#[derive(Debug)]
struct HttpReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpReply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body).unwrap()
    }

    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let problem = self.json(status);
        assert_eq!(problem["code"], code);
        assert_eq!(
            problem["trace_id"].as_str(),
            self.header("x-request-id"),
            "the problem names the request id the response carries"
        );
        problem
    }
}

/// One HTTP/1.1 exchange on a fresh connection.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = http1::request_head(method, path, &addr.to_string(), headers, body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("response within 10 s")
        .unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> HttpReply {
    let http1::RawResponse {
        status,
        headers,
        body,
    } = http1::parse_response(raw);
    HttpReply {
        status,
        headers,
        body,
    }
}

fn token(user: &str, session: &str) -> String {
    session_local::token::mint(
        &JwtSecret::resolve(Some(SECRET.to_owned())),
        &UserId::from_str(user).unwrap(),
        SessionId::from_str(session).unwrap(),
        Duration::from_secs(300),
    )
    .unwrap()
}

/// The README's curl walkthrough, step by step.
#[tokio::test]
async fn readme_walkthrough_over_real_http() {
    let events = walkthrough(start().await).await;
    let count = |name: &str| events.iter().filter(|e| e.as_str() == name).count();
    assert_eq!(count("SessionCreated"), 3);
    assert_eq!(count("SessionRevoked"), 1);
    assert_eq!(count("AllSessionsRevoked"), 1);
}

/// The same walkthrough with `--store dynamodb --create-table` against DynamoDB Local (skipped,
/// visibly, without the stand-in; a failure under scripts/test). Events stay in the table's
/// outbox there, so none are printed.
#[tokio::test]
async fn readme_walkthrough_over_real_http_on_dynamodb() {
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_none() {
        assert!(
            std::env::var("SESSION_TESTS_REQUIRE_STANDINS").as_deref() != Ok("1"),
            "DynamoDB Local is required under scripts/test"
        );
        eprintln!("skipped: DynamoDB Local not running (run scripts/test)");
        return;
    }
    let table = format!("sessions-local-{}", uuid::Uuid::now_v7().simple());
    let server = start_with(StoreChoice::DynamoDb {
        table,
        create_table: true,
    })
    .await;
    let events = walkthrough(server).await;
    assert!(events.is_empty(), "events stay in the outbox: {events:?}");
}

/// Runs the walkthrough, asserting each answer, and returns the events the server printed.
async fn walkthrough(server: Running) -> Vec<String> {
    let policy = server
        .internal(
            "PUT",
            "/internal/users/alice/session-policy",
            json!({"tier": "basic"}),
        )
        .await
        .json(200);
    assert_eq!(policy["effective_max_sessions"], 2);

    let mut logins = Vec::new();
    for (ip, agent) in [
        ("203.0.113.7", "Mozilla/5.0 (Macintosh)"),
        ("198.51.100.23", "Mozilla/5.0 (iPhone)"),
    ] {
        let created = server
            .internal(
                "POST",
                "/internal/sessions",
                json!({"user_id": "alice", "ip_address": ip, "user_agent": agent}),
            )
            .await
            .json(201);
        assert_eq!(created["evicted_session_ids"], json!([]));
        logins.push(created["session_id"].as_str().unwrap().to_owned());
    }
    let (laptop, phone) = (logins[0].clone(), logins[1].clone());
    let token = token("alice", &laptop);

    let listed = server.user("GET", "/sessions", &token).await;
    assert!(
        listed
            .header("x-request-id")
            .is_some_and(|id| !id.is_empty())
    );
    let listed = listed.json(200);
    assert_eq!(listed["total_count"], 2);
    let ids: Vec<&str> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [phone.as_str(), laptop.as_str()], "newest first");
    assert_eq!(listed["sessions"][1]["is_current"], true);
    assert_eq!(listed["sessions"][0]["is_current"], false);

    let signed_out = server
        .user("DELETE", &format!("/sessions/{phone}"), &token)
        .await;
    assert_eq!(signed_out.status, 204);

    let third = server
        .internal(
            "POST",
            "/internal/sessions",
            json!({"user_id": "alice", "ip_address": "192.0.2.10"}),
        )
        .await
        .json(201);
    assert_eq!(
        third["evicted_session_ids"],
        json!([]),
        "the phone no longer counts"
    );
    let third = third["session_id"].as_str().unwrap().to_owned();

    let revoked_all = server.user("DELETE", "/sessions", &token).await.json(200);
    assert_eq!(
        revoked_all,
        json!({"revoked_count": 1, "message": "1 session(s) revoked successfully"})
    );

    for revoked in [&phone, &third] {
        let validity = server
            .call(
                "GET",
                &format!("/internal/sessions/{revoked}/validity"),
                &[],
                b"",
            )
            .await
            .json(200);
        assert_eq!(validity, json!({"active": false, "reason": "revoked"}));
    }
    let still_laptop = server
        .call(
            "GET",
            &format!("/internal/sessions/{laptop}/validity"),
            &[],
            b"",
        )
        .await
        .json(200);
    assert_eq!(still_laptop["active"], true);
    assert_eq!(still_laptop["user_id"], "alice");

    let remaining = server.user("GET", "/sessions", &token).await.json(200);
    assert_eq!(remaining["total_count"], 1);

    server.stop().await
}

#[tokio::test]
async fn user_routes_need_a_valid_bearer_token_on_an_active_session() {
    let server = start().await;
    server
        .internal(
            "PUT",
            "/internal/users/bob/session-policy",
            json!({"tier": "basic"}),
        )
        .await
        .json(200);
    let created = server
        .internal("POST", "/internal/sessions", json!({"user_id": "bob"}))
        .await
        .json(201);
    let session = created["session_id"].as_str().unwrap().to_owned();

    let missing = server.call("GET", "/sessions", &[], b"").await;
    missing.problem(401, "unauthorized");
    assert!(missing.header("www-authenticate").is_some());

    server
        .user("GET", "/sessions", "not-a-jwt")
        .await
        .problem(401, "invalid_token");
    server
        .call(
            "GET",
            "/sessions",
            &[("authorization", "Basic Ym9iOnB3")],
            b"",
        )
        .await
        .problem(401, "invalid_token");
    let foreign = session_local::token::mint(
        &JwtSecret::resolve(Some("a-different-secret-also-32-bytes-long!".to_owned())),
        &UserId::from_str("bob").unwrap(),
        SessionId::from_str(&session).unwrap(),
        Duration::from_secs(300),
    )
    .unwrap();
    server
        .user("GET", "/sessions", &foreign)
        .await
        .problem(401, "invalid_token");

    let token = token("bob", &session);
    server.user("DELETE", "/sessions/current", &token).await;
    let after_logout = server
        .user("GET", "/sessions", &token)
        .await
        .problem(401, "invalid_token");
    assert!(after_logout["detail"].as_str().unwrap().contains("revoked"));
    server.stop().await;
}

/// Two `Authorization` headers are refused, whichever order and even when one is valid: a proxy
/// in front may have checked the other one.
#[tokio::test]
async fn a_request_with_two_authorization_headers_is_401() {
    let server = start().await;
    server
        .internal(
            "PUT",
            "/internal/users/carol/session-policy",
            json!({"tier": "basic"}),
        )
        .await
        .json(200);
    let created = server
        .internal("POST", "/internal/sessions", json!({"user_id": "carol"}))
        .await
        .json(201);
    let valid = format!(
        "Bearer {}",
        token("carol", created["session_id"].as_str().unwrap())
    );
    server
        .call("GET", "/sessions", &[("authorization", &valid)], b"")
        .await
        .json(200);
    for pair in [
        [valid.as_str(), "Bearer not-a-jwt"],
        ["Bearer not-a-jwt", valid.as_str()],
        [valid.as_str(), valid.as_str()],
    ] {
        let refused = server
            .call(
                "GET",
                "/sessions",
                &[("authorization", pair[0]), ("Authorization", pair[1])],
                b"",
            )
            .await
            .problem(401, "invalid_token");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("more than one Authorization header"),
            "{refused}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn internal_routes_and_the_openapi_document_need_no_credentials_locally() {
    let server = start().await;
    server
        .call(
            "POST",
            "/internal/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b/activity",
            &[],
            b"",
        )
        .await
        .problem(404, "session_not_found");
    let doc = server
        .call("GET", "/openapi.json", &[], b"")
        .await
        .json(200);
    assert_eq!(doc["openapi"], "3.1.0");
    server
        .call("GET", "/nowhere", &[], b"")
        .await
        .problem(404, "route_not_found");
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let server = start().await;
    let body = format!(r#"{{"user_id": "{}"}}"#, "a".repeat(20 * 1024));
    server
        .call(
            "POST",
            "/internal/sessions",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
        .await
        .problem(413, "payload_too_large");
    // The connection-level cap applies before the route is known.
    server
        .call(
            "POST",
            "/nowhere",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
        .await
        .problem(413, "payload_too_large");
    server.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id() {
    let server = start().await;
    let first = server.call("GET", "/openapi.json", &[], b"").await;
    let second = server.call("GET", "/openapi.json", &[], b"").await;
    let (a, b) = (
        first.header("x-request-id").unwrap(),
        second.header("x-request-id").unwrap(),
    );
    assert_ne!(a, b);
    assert!(
        a.parse::<uuid::Uuid>()
            .is_ok_and(|id| id.get_version_num() == 7)
    );
    server.stop().await;
}
