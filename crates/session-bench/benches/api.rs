//! Request decoding + response encoding for the hottest routes: the whole `Api::handle` path
//! (routing, path and query parsing, body decoding and validation, the use case, JSON encoding
//! of the response) over the embedded store. Subtracting the matching `use_case/*` bench gives
//! the HTTP layer's own cost. Also the authorizer's per-request work (HS256 JWT verification +
//! session check), the cost of the JSON request log the Lambda functions write, and `get` as a
//! Lambda function serves it (event JSON in, response JSON out), whose difference to `api/get`
//! is the event conversion (docs/0032).
// A measurement tool: a fixture that cannot be built is a bug to stop at, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Method, Request, StatusCode};
use session_api::{
    Api, Authenticator, Caller, JwtConfig, RequestContext, TokenIssuer, TokenVerifier,
    VerificationKey,
};
use session_bench::fixtures::{self, Fixture, Population};
use session_lambda::http_function::HttpFunction;

const SECRET: &[u8] = b"bench-secret-that-is-at-least-32-bytes-long";
const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "sessions";

fn service() -> RequestContext {
    RequestContext::new(
        Caller::Service {
            principal: "arn:aws:sts::123456789012:assumed-role/auth-service/auth-service".into(),
        },
        "JKJaXmPLvHcESHA=",
    )
}

fn get(uri: &str) -> Request<Bytes> {
    Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("accept", "application/json")
        .body(Bytes::new())
        .unwrap()
}

/// An API Gateway event for `GET /sessions/{id}` by the session's owner, shaped like
/// events/get-session/own-session.json.
fn lambda_get_event(user_id: &str, session_id: &str) -> Vec<u8> {
    let path = format!("/sessions/{session_id}");
    serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /sessions/{id}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "authorizer": {"lambda": {"user_id": user_id, "session_id": session_id}},
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "GET /sessions/{id}",
            "stage": "$default",
            "time": "22/Nov/2026:16:00:00 +0000",
            "timeEpoch": 1795190400000u64
        },
        "isBase64Encoded": false
    })
    .to_string()
    .into_bytes()
}

fn login_body(user_id: &str) -> Bytes {
    Bytes::from(
        serde_json::json!({
            "user_id": user_id,
            "ip_address": "198.51.100.23",
            "user_agent": fixtures::USER_AGENT,
            "refresh_token_id": "rt_01JD5X8Y9Z",
        })
        .to_string(),
    )
}

fn api(c: &mut Criterion) {
    let rt = common::runtime();
    let population = rt.block_on(Population::new(1_000, 5)).unwrap();
    let pairs = population.pairs();
    let api = Api::new(population.sessions.clone());
    let mut group = c.benchmark_group("api");

    let validity_uris: Vec<String> = pairs
        .iter()
        .map(|(_, id)| format!("/internal/sessions/{id}/validity"))
        .collect();
    let mut i = 0usize;
    group.bench_function("validate", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let request = get(&validity_uris[i % validity_uris.len()]);
            let api = &api;
            async move {
                let response = api.handle(service(), request).await;
                assert_eq!(response.status(), StatusCode::OK);
                black_box(response)
            }
        });
    });

    let get_uris: Vec<String> = pairs
        .iter()
        .map(|(_, id)| format!("/sessions/{id}"))
        .collect();
    group.bench_function("get", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let k = i % pairs.len();
            let ctx = RequestContext::new(
                Caller::User {
                    user_id: pairs[k].0.clone(),
                    session_id: pairs[k].1,
                },
                "JKJaXmPLvHcESHA=",
            );
            let request = get(&get_uris[k]);
            let api = &api;
            async move {
                let response = api.handle(ctx, request).await;
                assert_eq!(response.status(), StatusCode::OK);
                black_box(response)
            }
        });
    });

    // The same reads as `get`, as the get-session function serves them: the runtime's event bytes
    // parsed, converted to a request (session_lambda::apigw), answered, and the response
    // serialised for the runtime.
    let events: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(user_id, id)| lambda_get_event(user_id.as_str(), &id.to_string()))
        .collect();
    let function = HttpFunction::new("GET /sessions/{id}", api.clone());
    group.bench_function("lambda_get", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let event = &events[i % events.len()];
            let function = &function;
            async move {
                let event: serde_json::Value = serde_json::from_slice(event).unwrap();
                let response = function.handle(event, "lambda-request-id").await;
                assert_eq!(response.status_code, 200);
                black_box(serde_json::to_vec(&response).unwrap())
            }
        });
    });

    for page in [10usize, 50] {
        let big = rt.block_on(Population::new(20, page)).unwrap();
        let users: Vec<_> = big
            .users
            .iter()
            .map(|(u, ids)| (u.clone(), ids[0]))
            .collect();
        let big_api = Api::new(big.sessions.clone());
        let mut j = 0usize;
        group.bench_function(format!("list_{page}"), |b| {
            b.to_async(&rt).iter(|| {
                j = j.wrapping_add(1);
                let (user_id, session_id) = users[j % users.len()].clone();
                let ctx = RequestContext::new(
                    Caller::User {
                        user_id,
                        session_id,
                    },
                    "JKJaXmPLvHcESHA=",
                );
                let request = get("/sessions?active_only=true");
                let api = &big_api;
                async move {
                    let response = api.handle(ctx, request).await;
                    assert_eq!(response.status(), StatusCode::OK);
                    black_box(response)
                }
            });
        });
    }

    group.bench_function("create", |b| {
        common::batched(
            b,
            &rt,
            async || {
                let fixture = Fixture::new("basic", 1).await.unwrap();
                let body = login_body(fixture.user_id.as_str());
                (Api::new(fixture.sessions.clone()), body)
            },
            async |(api, body): &mut (Api<session_memory::MemoryStore>, Bytes)| {
                let request = Request::builder()
                    .method(Method::POST)
                    .uri("/internal/sessions")
                    .header("content-type", "application/json")
                    .body(std::mem::take(body))
                    .unwrap();
                let response = api.handle(service(), request).await;
                assert_eq!(response.status(), StatusCode::CREATED);
                response
            },
        );
    });
    group.finish();

    // The authorizer's work per user request: verify an HS256 token, then check the session.
    let mut group = c.benchmark_group("auth");
    let issuer = TokenIssuer::hs256(SECRET, ISSUER, AUDIENCE).unwrap();
    let tokens: Vec<String> = pairs
        .iter()
        .take(1_000)
        .map(|(u, id)| {
            format!(
                "Bearer {}",
                issuer.issue(u, *id, Duration::from_secs(3600)).unwrap()
            )
        })
        .collect();
    let verifier = TokenVerifier::new(JwtConfig::new(
        VerificationKey::Hs256Secret(SECRET.to_vec()),
        ISSUER,
        AUDIENCE,
    ))
    .unwrap();
    let authenticator = Authenticator::new(verifier, population.sessions.clone());
    group.bench_function("authorize_hs256", |b| {
        b.to_async(&rt).iter(|| {
            i = i.wrapping_add(1);
            let token = &tokens[i % tokens.len()];
            let authenticator = &authenticator;
            async move {
                let caller = authenticator.authenticate(Some(token)).await.unwrap();
                black_box(caller)
            }
        });
    });
    group.finish();

    // The same validate request with the Lambda functions' JSON log subscriber installed
    // (writing to a sink): what logging adds per request.
    let mut group = c.benchmark_group("api");
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("validate_json_log", |b| {
            b.to_async(&rt).iter(|| {
                i = i.wrapping_add(1);
                let request = get(&validity_uris[i % validity_uris.len()]);
                let api = &api;
                async move {
                    let response = api.handle(service(), request).await;
                    assert_eq!(response.status(), StatusCode::OK);
                    black_box(response)
                }
            });
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = api
}
criterion_main!(benches);
