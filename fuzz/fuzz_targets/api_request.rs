//! Request decoding: arbitrary method, path, query, headers and body through `Api::handle`, the
//! entry point every Lambda HTTP function and the local server call, over the embedded store.
//!
//! Input (text, so seeds are readable): up to 4 requests separated by a line `===`; each is
//!
//! ```text
//! <caller> <METHOD> <path?query>
//! Header-Name: value
//!
//! body bytes
//! ```
//!
//! `<caller>`: `0` the caller is established as the local server and the authorizer do it (route
//! access, then the bearer `Authorization` header through the real `Authenticator`), `1` alice's
//! session a1 as authorised user, `2` bob's b1, `3` an IAM service, `4` anonymous.
//! Placeholders reach the world's state: `$A1` `$A2` `$B1` (session ids), `$TA` `$TB` (valid
//! bearer tokens of a1 and b1), `$CUR` (a valid list cursor).
//!
//! An input that starts with `{` is instead one API Gateway (HTTP API, payload 2.0) event, as in
//! events/*/*.json: any JSON value, as the Lambda runtime hands it to an HTTP function, goes
//! through `session_lambda::http_function::HttpFunction::handle` (the event -> request
//! conversion of `session_lambda::apigw`, then the API) of the function bound to its top-level
//! `routeKey` (the caller then comes from its authorizer context, which API Gateway sets, so the
//! alice check below does not apply). Input that is not JSON is skipped: the runtime refuses it
//! before any handler runs.
//!
//! Checks: no panic; every answer passes `check_response` (< 500, problem documents for errors,
//! JSON bodies); an event response also serialises (the runtime would otherwise fail the
//! invocation) and its body decodes as it says (text or base64); a success given to bob never
//! names alice's sessions; when neither alice nor a service made a request, alice's sessions are
//! still active afterwards.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use libfuzzer_sys::fuzz_target;
use session_api::{
    Access, ApiError, Caller, RequestContext, authorization_header, problem_response, route_access,
};
use session_core::cursor::CursorPosition;
use session_fuzz::{REQUEST_ID, World, block_on, check_response, find, replace_all};
use session_lambda::http_function::HttpFunction;

const MAX_REQUESTS: usize = 4;

fuzz_target!(|data: &[u8]| {
    block_on(run(data));
});

async fn run(data: &[u8]) {
    let world = World::new().await;
    let data = substitute(&world, data);
    if data.first() == Some(&b'{') {
        lambda(&world, &data).await;
        return;
    }
    let mut alice_may_change = false;
    let mut rest: &[u8] = &data;
    for _ in 0..MAX_REQUESTS {
        let (one, next) = match find(rest, b"\n===\n") {
            Some(at) => (&rest[..at], Some(&rest[at + 5..])),
            None => (rest, None),
        };
        if let Some(acted_for_alice) = send(&world, one).await {
            alice_may_change |= acted_for_alice;
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    if !alice_may_change {
        assert!(
            world.is_active(world.a1).await && world.is_active(world.a2).await,
            "requests by bob, anonymous or forged callers changed alice's sessions"
        );
    }
}

fn substitute(world: &World, data: &[u8]) -> Vec<u8> {
    let cursor = CursorPosition {
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        session_id: world.a2,
    }
    .encode();
    let mut data = data.to_vec();
    for (from, to) in [
        ("$A1", world.a1.to_string()),
        ("$A2", world.a2.to_string()),
        ("$B1", world.b1.to_string()),
        ("$TA", world.token_a1.clone()),
        ("$TB", world.token_b1.clone()),
        ("$CUR", cursor),
    ] {
        data = replace_all(&data, from.as_bytes(), to.as_bytes());
    }
    data
}

/// Sends one request; `None` when the bytes do not make an HTTP request at all (which no
/// transport would deliver), otherwise whether the caller could legitimately change alice's
/// sessions.
async fn send(world: &World, raw: &[u8]) -> Option<bool> {
    let (head, body) = match find(raw, b"\n\n") {
        Some(at) => (&raw[..at], &raw[at + 2..]),
        None => (raw, &b""[..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let mut words = first.splitn(3, |&b| b == b' ');
    let mode = words.next()?.first().copied().unwrap_or(b'0');
    let method = Method::from_bytes(words.next()?).ok()?;
    let uri = Uri::try_from(words.next()?).ok()?;
    let mut builder = Request::builder().method(method).uri(uri);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    let request = builder.body(Bytes::copy_from_slice(body)).ok()?;
    let described = format!("{} {}", request.method(), request.uri());

    let caller = match mode {
        b'1' => Ok(Caller::User {
            user_id: world.alice.clone(),
            session_id: world.a1,
        }),
        b'2' => Ok(Caller::User {
            user_id: world.bob.clone(),
            session_id: world.b1,
        }),
        b'3' => Ok(Caller::Service {
            principal: "arn:aws:iam::123456789012:role/auth".into(),
        }),
        b'4' => Ok(Caller::Anonymous),
        _ => local_caller(world, &request).await,
    };
    let response = match &caller {
        Ok(caller) => {
            let ctx = RequestContext::new(caller.clone(), REQUEST_ID);
            world.api.handle(ctx, request).await
        }
        Err(error) => problem_response(error, request.uri().path(), REQUEST_ID),
    };
    check_response(&described, &response);

    let caller = caller.unwrap_or(Caller::Anonymous);
    if let Caller::User { user_id, .. } = &caller
        && *user_id == world.bob
        && response.status().is_success()
    {
        let body = String::from_utf8_lossy(response.body());
        for own in [world.a1, world.a2] {
            assert!(
                !body.contains(&own.to_string()),
                "{described}: bob was shown alice's session {own}: {body}"
            );
        }
    }
    Some(match &caller {
        Caller::User { user_id, .. } => *user_id == world.alice,
        Caller::Service { .. } => true,
        Caller::Anonymous => false,
    })
}

/// What the local server does before `Api::handle` (crates/session-local/src/server.rs
/// `caller`): service and admin routes are open, user routes need a bearer token on an active
/// session.
async fn local_caller(world: &World, request: &Request<Bytes>) -> Result<Caller, ApiError> {
    match route_access(request.uri().path()) {
        Some(Access::Service | Access::Admin) => Ok(Caller::Service {
            principal: "local".into(),
        }),
        Some(Access::User) => {
            let authorization = authorization_header(request.headers())?;
            Ok(world.authenticator.authenticate(authorization).await?)
        }
        Some(Access::Public) | None => Ok(Caller::Anonymous),
    }
}

/// The route keys the functions/* binaries serve (template.yaml).
const ROUTE_KEYS: [&str; 11] = [
    "GET /sessions",
    "GET /sessions/{id}",
    "DELETE /sessions/{id}",
    "DELETE /sessions",
    "DELETE /sessions/current",
    "POST /internal/sessions",
    "GET /internal/sessions/{id}/validity",
    "POST /internal/sessions/{id}/activity",
    "POST /internal/sessions/{id}/provider-access",
    "PUT /internal/sessions/{id}/refresh-token",
    "PUT /internal/users/{user_id}/session-policy",
];

async fn lambda(world: &World, data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let route_key = event["routeKey"].as_str();
    let bound = ROUTE_KEYS
        .iter()
        .find(|k| Some(**k) == route_key)
        .copied()
        .unwrap_or(ROUTE_KEYS[0]);
    let described = format!(
        "{} {} ({bound})",
        event
            .pointer("/requestContext/http/method")
            .unwrap_or(&serde_json::Value::Null),
        event.get("rawPath").unwrap_or(&serde_json::Value::Null),
    );
    let function = HttpFunction::new(bound, world.api.clone());
    let response = function.handle(event, REQUEST_ID).await;
    let json = serde_json::to_value(&response)
        .unwrap_or_else(|e| panic!("{described}: the response does not serialise: {e}"));
    let status = u16::try_from(response.status_code)
        .unwrap_or_else(|_| panic!("{described}: status {}", response.status_code));
    let body = match (&json["body"], response.is_base64_encoded) {
        (serde_json::Value::Null, _) => Bytes::new(),
        (serde_json::Value::String(text), false) => Bytes::from(text.clone()),
        (serde_json::Value::String(text), true) => Bytes::from(
            STANDARD
                .decode(text)
                .unwrap_or_else(|e| panic!("{described}: base64 body does not decode: {e}")),
        ),
        (other, _) => panic!("{described}: body {other}"),
    };
    let mut http_response = http::Response::new(body);
    *http_response.status_mut() = http::StatusCode::from_u16(status)
        .unwrap_or_else(|_| panic!("{described}: status {status}"));
    *http_response.headers_mut() = response.headers;
    check_response(&described, &http_response);
}
