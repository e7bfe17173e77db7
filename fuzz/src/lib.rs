//! Shared harness for the fuzz targets in `fuzz_targets/`: a single-threaded runtime, a small
//! world (an API over the embedded store with two users and three sessions, built fresh for each
//! input so every run is deterministic) and the helpers the targets check responses with.
//!
//! Nothing here reimplements product code: every target calls the same public entry points the
//! Lambda functions and the local server call. See docs/fuzzing.md.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, header};
use serde_json::{Value, json};
use session_api::{
    Api, Authenticator, Caller, JwtConfig, RequestContext, TokenIssuer, TokenVerifier,
    VerificationKey,
};
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_core::ids::{SessionId, UserId};
use session_core::ports::LocationEnricher;
use session_core::testkit::{FakeClock, FixedDevice, FixedLocation, SequentialIds};
use session_core::use_cases::{ValidateSession, Validity};
use session_memory::MemoryStore;

pub const SECRET: &[u8] = b"fuzzing-secret-that-is-at-least-32-bytes-long";
pub const ISSUER: &str = "https://auth.fuzz";
pub const AUDIENCE: &str = "sessions";
pub const REQUEST_ID: &str = "req-fuzz";

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// Runs a future to completion on this thread's runtime (libFuzzer calls targets on one thread).
pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.with(|cell| {
        let mut slot = cell.borrow_mut();
        let runtime = slot.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime")
        });
        runtime.block_on(future)
    })
}

pub fn verifier() -> TokenVerifier {
    TokenVerifier::new(JwtConfig::new(
        VerificationKey::Hs256Secret(SECRET.to_vec()),
        ISSUER,
        AUDIENCE,
    ))
    .expect("a valid verifier configuration")
}

/// The API over a fresh embedded store: alice (sessions `a1`, `a2`) and bob (`b1`) on the basic
/// tier, and bearer tokens for `a1` and `b1`.
pub struct World {
    pub api: Api<MemoryStore>,
    pub sessions: Sessions<MemoryStore>,
    pub authenticator: Authenticator<MemoryStore>,
    pub store: MemoryStore,
    pub alice: UserId,
    pub bob: UserId,
    pub a1: SessionId,
    pub a2: SessionId,
    pub b1: SessionId,
    pub token_a1: String,
    pub token_b1: String,
}

impl World {
    pub async fn new() -> Self {
        Self::with_location(Arc::new(FixedLocation {
            city: Some("Berlin"),
            country_code: "DE",
        }))
        .await
    }

    /// The same world with another location enricher (the client-IP target uses the real one).
    pub async fn with_location(location: Arc<dyn LocationEnricher>) -> Self {
        let store = MemoryStore::new();
        let sessions = Sessions::new(store.clone(), PolicyConfig::default())
            .with_clock(Arc::new(FakeClock::at_epoch()))
            .with_ids(Arc::new(SequentialIds::default()))
            .with_device_enricher(Arc::new(FixedDevice("Chrome on macOS")))
            .with_location_enricher(location);
        let api = Api::new(sessions.clone());
        let authenticator = Authenticator::new(verifier(), sessions.clone());
        let service = Caller::Service {
            principal: "fuzz".into(),
        };
        for user in ["alice", "bob"] {
            let (status, _) = send_json(
                &api,
                service.clone(),
                "PUT",
                &format!("/internal/users/{user}/session-policy"),
                json!({"tier": "basic"}),
            )
            .await;
            assert_eq!(status, 200, "setting up {user}'s policy");
        }
        let mut ids = Vec::new();
        for user in ["alice", "alice", "bob"] {
            let (status, body) = send_json(
                &api,
                service.clone(),
                "POST",
                "/internal/sessions",
                json!({"user_id": user, "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"}),
            )
            .await;
            assert_eq!(status, 201, "setting up a session for {user}: {body}");
            let id: SessionId = body["session_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("a session id in the create response");
            ids.push(id);
        }
        let alice: UserId = "alice".parse().expect("a valid user id");
        let bob: UserId = "bob".parse().expect("a valid user id");
        let issuer = TokenIssuer::hs256(SECRET, ISSUER, AUDIENCE).expect("a valid issuer");
        let ttl = Duration::from_secs(3600);
        let token_a1 = issuer.issue(&alice, ids[0], ttl).expect("a token");
        let token_b1 = issuer.issue(&bob, ids[2], ttl).expect("a token");
        Self {
            api,
            sessions,
            authenticator,
            store,
            alice,
            bob,
            a1: ids[0],
            a2: ids[1],
            b1: ids[2],
            token_a1,
            token_b1,
        }
    }

    /// Whether a session is active right now.
    pub async fn is_active(&self, session_id: SessionId) -> bool {
        matches!(
            self.sessions
                .validate_session(ValidateSession { session_id })
                .await,
            Ok(Validity::Active { .. })
        )
    }
}

async fn send_json(
    api: &Api<MemoryStore>,
    caller: Caller,
    method: &str,
    uri: &str,
    body: Value,
) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("a valid request");
    let response = api
        .handle(RequestContext::new(caller, REQUEST_ID), request)
        .await;
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, body)
}

/// The checks every API answer must pass, whatever the request: never a 5xx on the embedded
/// store (it cannot be unavailable, hold a corrupt item or lose a race on one thread), every
/// error an RFC 9457 problem with a stable code, every success body JSON.
pub fn check_response(request: &str, response: &Response<Bytes>) {
    let status = response.status().as_u16();
    let body = response.body();
    let text = String::from_utf8_lossy(body);
    assert!(
        status < 500,
        "{request} answered {status} on the embedded store: {text}"
    );
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "{request} answered {status} without a problem document: {text}"
        );
        let problem: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{request}: problem body is not JSON ({e}): {text}"));
        assert!(
            problem["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{request}: problem without a code: {text}"
        );
        assert_eq!(
            problem["status"], status,
            "{request}: problem status differs from the HTTP status"
        );
    } else if status == 204 {
        assert!(body.is_empty(), "{request}: 204 with a body: {text}");
    } else if !body.is_empty() {
        assert!(
            content_type.starts_with("application/json"),
            "{request}: {status} with content type {content_type:?}"
        );
        serde_json::from_slice::<Value>(body)
            .unwrap_or_else(|e| panic!("{request}: {status} body is not JSON ({e}): {text}"));
    }
}

/// `Some(text)` when `data` is UTF-8 (what every decoder here receives: a `&str` cut from JSON,
/// a header or a path).
pub fn utf8(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Replaces every occurrence of `from` by `to` in `data`.
pub fn replace_all(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = find(rest, from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The first index of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}
