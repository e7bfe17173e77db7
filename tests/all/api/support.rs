//! In-process harness: the API over a MemoryStore with a fake clock, deterministic ids and fixed
//! enrichers, plus helpers to log users in and read problem documents.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, header};
use serde_json::Value;
use session_api::{
    Api, Authenticator, Caller, JwtConfig, RequestContext, TokenIssuer, TokenVerifier,
    VerificationKey,
};
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_core::events::{DomainEvent, EventPayload};
use session_core::ids::{SessionId, UserId};
use session_core::testkit::{FakeClock, FixedDevice, FixedLocation, SequentialIds};
use session_memory::MemoryStore;
use session_tests::event_contracts::CheckedStore;

pub const SECRET: &[u8] = b"integration-test-secret-at-least-32-bytes";
pub const ISSUER: &str = "https://auth.test";
pub const AUDIENCE: &str = "sessions";
pub const REQUEST_ID: &str = "req-test-1";
pub const DEVICE: &str = "Chrome on Mac OS X";
pub const LOCATION: &str = "Mountain View, US";

pub struct Harness {
    /// The API over `store`; every event it commits is checked against its contract.
    pub api: Api<CheckedStore<MemoryStore>>,
    pub store: MemoryStore,
    pub clock: Arc<FakeClock>,
    pub authenticator: Authenticator<CheckedStore<MemoryStore>>,
    pub issuer: TokenIssuer,
}

/// A user signed in on one session.
#[derive(Clone, Debug)]
pub struct Login {
    pub user_id: UserId,
    pub session_id: SessionId,
}

impl Login {
    pub fn caller(&self) -> Caller {
        Caller::User {
            user_id: self.user_id.clone(),
            session_id: self.session_id,
        }
    }
}

pub fn service() -> Caller {
    Caller::Service {
        principal: "test-service".into(),
    }
}

/// A response, with its body kept as bytes.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an RFC 9457 problem with this status and code, and returns it.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {code}, got body {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let problem = self.json();
        assert_eq!(problem["code"], code, "{problem}");
        assert_eq!(problem["status"], status);
        assert_eq!(problem["type"], format!("/problems/{code}"));
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            problem["instance"]
                .as_str()
                .is_some_and(|i| i.starts_with('/'))
        );
        assert!(problem["trace_id"].is_string());
        problem
    }

    pub fn ok_json(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.headers[header::CONTENT_TYPE], "application/json");
        self.json()
    }

    pub fn no_content(&self) {
        assert_eq!(
            self.status,
            StatusCode::NO_CONTENT,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.body.is_empty());
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_policy(PolicyConfig::default())
    }

    pub fn with_policy(policy: PolicyConfig) -> Self {
        let store = MemoryStore::new();
        let clock = Arc::new(FakeClock::at_epoch());
        let sessions = Sessions::new(CheckedStore::new(store.clone()), policy)
            .with_clock(clock.clone())
            .with_ids(Arc::new(SequentialIds::default()))
            .with_device_enricher(Arc::new(FixedDevice(DEVICE)))
            .with_location_enricher(Arc::new(FixedLocation {
                city: Some("Mountain View"),
                country_code: "US",
            }));
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Hs256Secret(SECRET.to_vec()),
            ISSUER,
            AUDIENCE,
        ))
        .unwrap();
        Self {
            api: Api::new(sessions.clone()),
            authenticator: Authenticator::new(verifier, sessions),
            store,
            clock,
            issuer: TokenIssuer::hs256(SECRET, ISSUER, AUDIENCE).unwrap(),
        }
    }

    pub async fn send(&self, caller: Caller, request: Request<Bytes>) -> Reply {
        let response = self
            .api
            .handle(RequestContext::new(caller, REQUEST_ID), request)
            .await;
        let (parts, body) = response.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// A request with an optional JSON body (sent as `application/json`).
    pub async fn call(
        &self,
        caller: Caller,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        let bytes = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        self.send(caller, builder.body(bytes).unwrap()).await
    }

    pub async fn internal(&self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        self.call(service(), method, uri, body).await
    }

    pub async fn user(&self, login: &Login, method: &str, uri: &str) -> Reply {
        self.call(login.caller(), method, uri, None).await
    }

    pub async fn set_policy(&self, user: &str, tier: &str) -> Value {
        self.internal(
            "PUT",
            &format!("/internal/users/{user}/session-policy"),
            Some(serde_json::json!({ "tier": tier })),
        )
        .await
        .ok_json(200)
    }

    /// Creates a session for `user` (registering the user on the default tier first if needed).
    pub async fn login(&self, user: &str) -> Login {
        let reply = self
            .internal(
                "POST",
                "/internal/sessions",
                Some(serde_json::json!({ "user_id": user, "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0" })),
            )
            .await;
        let reply = if reply.status == StatusCode::NOT_FOUND {
            self.set_policy(user, "basic").await;
            self.internal(
                "POST",
                "/internal/sessions",
                Some(serde_json::json!({ "user_id": user, "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0" })),
            )
            .await
        } else {
            reply
        };
        let created = reply.ok_json(201);
        Login {
            user_id: UserId::from_str(user).unwrap(),
            session_id: created["session_id"].as_str().unwrap().parse().unwrap(),
        }
    }

    pub fn token(&self, login: &Login) -> String {
        self.issuer
            .issue(&login.user_id, login.session_id, Duration::from_secs(600))
            .unwrap()
    }

    pub async fn validity(&self, session_id: SessionId) -> Value {
        self.internal(
            "GET",
            &format!("/internal/sessions/{session_id}/validity"),
            None,
        )
        .await
        .ok_json(200)
    }

    /// Events committed since the last call, oldest first.
    pub fn events(&self) -> Vec<DomainEvent> {
        self.store.take_events()
    }
}

/// The detail types of `events`, in order.
pub fn detail_types(events: &[DomainEvent]) -> Vec<&'static str> {
    events.iter().map(DomainEvent::detail_type).collect()
}

/// The revocation reasons of the SessionRevoked events among `events`.
pub fn revoked_reasons(events: &[DomainEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|event| match &event.payload {
            EventPayload::SessionRevoked(revoked) => Some(revoked.reason.as_str()),
            _ => None,
        })
        .collect()
}
