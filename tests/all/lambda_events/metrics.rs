//! The EMF lines the functions write (session_lambda::metrics, docs/0042): the `events/`
//! payloads through the real handlers over a store observed by the function's metrics, as the
//! Lambda wiring builds it, then the lines the invocation flushes, read as CloudWatch reads them.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use serde_json::{Value, json};
use session_api::{Api, Authenticator, TokenVerifier};
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_core::testkit::{FakeClock, SequentialIds};
use session_lambda::authorizer::Authorizer;
use session_lambda::config;
use session_lambda::http_function::HttpFunction;
use session_lambda::metrics::{DEFAULT_NAMESPACE, MeteredStore, Metrics};
use session_memory::MemoryStore;
use session_tests::event_contracts::CheckedStore;

use super::seed::{ALICE_LAPTOP, ALICE_PHONE, seed, seeded_at};
use super::{bound_route, fixture_env, repo_root};

/// The flush's timestamp in these tests.
const NOW_MS: u64 = 1_795_190_400_000;

struct Metered {
    sessions: Sessions<MeteredStore<CheckedStore<MemoryStore>>>,
    metrics: Metrics,
}

/// The payloads' state, behind the same store wrapper the functions use.
async fn metered() -> Metered {
    let store = MemoryStore::new();
    seed(&store).await;
    let metrics = Metrics::new(DEFAULT_NAMESPACE);
    let sessions = Sessions::new(
        MeteredStore::new(CheckedStore::new(store), metrics.clone()),
        PolicyConfig::default(),
    )
    .with_clock(Arc::new(FakeClock::new(seeded_at())))
    .with_ids(Arc::new(SequentialIds::default()));
    Metered { sessions, metrics }
}

fn payload(name: &str) -> Value {
    let path = repo_root().join("events").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn http(metered: &Metered, function: &str, name: &str) -> i64 {
    let route = bound_route(function).unwrap();
    let handler = HttpFunction::new(route, Api::new(metered.sessions.clone()));
    handler
        .handle(payload(name), "lambda-request-id")
        .await
        .status_code
}

/// The lines of one invocation, each checked to be an EMF document CloudWatch accepts: a
/// timestamp, directives in our namespace whose dimensions and metrics are members of the root
/// (dimensions strings, metrics numbers), at most 9 dimensions per set and 100 metrics per
/// directive, known units; and no user or session id anywhere in it.
fn flushed(metrics: &Metrics) -> Vec<Value> {
    let lines = metrics.take_lines(NOW_MS);
    for line in &lines {
        for private in ["alice", "bob", "0193a1b2"] {
            assert!(
                !line.contains(private),
                "`{private}` in a metric line: {line}"
            );
        }
        let doc: Value = serde_json::from_str(line).unwrap();
        assert_eq!(doc["_aws"]["Timestamp"], json!(NOW_MS), "{line}");
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert!(!directives.is_empty(), "{line}");
        for directive in directives {
            assert_eq!(directive["Namespace"], DEFAULT_NAMESPACE, "{line}");
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 9, "{line}");
                for key in set {
                    assert!(doc[key.as_str().unwrap()].is_string(), "{key}: {line}");
                }
            }
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(!metrics.is_empty() && metrics.len() <= 100, "{line}");
            for metric in metrics {
                let value = &doc[metric["Name"].as_str().unwrap()];
                assert!(
                    value.is_number()
                        || value
                            .as_array()
                            .is_some_and(|v| v.iter().all(Value::is_number)),
                    "{metric}: {line}"
                );
                assert!(
                    ["Count", "Milliseconds"].contains(&metric["Unit"].as_str().unwrap()),
                    "{line}"
                );
            }
        }
    }
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The line holding `metric`, and the dimension sets its directive publishes it under.
fn line_of<'a>(lines: &'a [Value], metric: &str) -> (&'a Value, Value) {
    for line in lines {
        for directive in line["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let named = directive["Metrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["Name"] == metric);
            if named {
                return (line, directive["Dimensions"].clone());
            }
        }
    }
    panic!("no line has {metric}: {lines:?}")
}

#[tokio::test]
async fn a_login_writes_its_counts_in_one_line() {
    let metered = metered().await;
    // alice (basic tier, 2 sessions) signs in on a third device: her oldest is evicted.
    assert_eq!(
        http(&metered, "create-session", "create-session/login.json").await,
        201
    );
    let lines = flushed(&metered.metrics);
    assert_eq!(lines.len(), 1, "one line for one invocation: {lines:?}");
    let (line, dimensions) = line_of(&lines, "LoginsCreated");
    assert_eq!(line["LoginsCreated"], 1);
    assert_eq!(dimensions, json!([[]]));
    assert_eq!(line["LoginsEvicting"], 1);
    assert_eq!(line["SessionsEvicted"], 1);
    let (_, dimensions) = line_of(&lines, "Revocations");
    assert_eq!(line["Revocations"], 1);
    assert_eq!(line["Reason"], "session_limit_exceeded");
    assert_eq!(
        dimensions,
        json!([["Reason"], []]),
        "by reason, and the total"
    );
    assert!(line.get("LoginsDenied").is_none(), "{line}");
    assert!(
        flushed(&metered.metrics).is_empty(),
        "a flush starts the next invocation afresh"
    );
}

#[tokio::test]
async fn a_revocation_writes_revocations_by_its_reason() {
    let metered = metered().await;
    assert_eq!(
        http(
            &metered,
            "revoke-session",
            "revoke-session/sign-out-phone.json"
        )
        .await,
        204
    );
    let lines = flushed(&metered.metrics);
    let (line, dimensions) = line_of(&lines, "Revocations");
    assert_eq!(line["Revocations"], 1);
    assert_eq!(line["Reason"], "manual");
    assert_eq!(dimensions, json!([["Reason"], []]));
    assert_eq!(lines.len(), 1, "{lines:?}");
}

async fn authorize(metered: &Metered, name: &str) -> bool {
    let env = fixture_env();
    let env = |name: &str| env.get(name).cloned();
    let verifier = TokenVerifier::new(config::jwt(&env).unwrap()).unwrap();
    let authorizer = Authorizer::new(Authenticator::new(verifier, metered.sessions.clone()))
        .with_metrics(metered.metrics.clone());
    let request: ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_value(payload(name)).unwrap();
    authorizer.authorize(&request).await.unwrap().is_authorized
}

#[tokio::test]
async fn the_authorizer_writes_each_decision_and_why_it_denied() {
    let metered = metered().await;
    assert!(authorize(&metered, "authorizer/active-session.json").await);
    let lines = flushed(&metered.metrics);
    assert_eq!(
        line_of(&lines, "AuthorizerAllowed").0["AuthorizerAllowed"],
        1
    );

    for (payload, reason) in [
        ("authorizer/bad-signature.json", "invalid_token"),
        ("authorizer/no-token.json", "missing_token"),
    ] {
        assert!(!authorize(&metered, payload).await, "{payload}");
        let lines = flushed(&metered.metrics);
        let (line, dimensions) = line_of(&lines, "AuthorizerDenied");
        assert_eq!(line["AuthorizerDenied"], 1, "{payload}");
        assert_eq!(line["Reason"], reason, "{payload}");
        assert_eq!(dimensions, json!([["Reason"], []]));
        assert!(line.get("AuthorizerAllowed").is_none(), "{payload}");
    }

    // The token is good, its session is not: the laptop's session is signed out from the phone.
    let phone = json!({"user_id": "alice", "session_id": ALICE_PHONE});
    let mut sign_out = payload("revoke-session/sign-out-phone.json");
    sign_out["requestContext"]["authorizer"]["lambda"] = phone;
    sign_out["rawPath"] = json!(format!("/sessions/{ALICE_LAPTOP}"));
    sign_out["pathParameters"] = json!({ "id": ALICE_LAPTOP });
    let route = bound_route("revoke-session").unwrap();
    let handler = HttpFunction::new(route, Api::new(metered.sessions.clone()));
    assert_eq!(handler.handle(sign_out, "id").await.status_code, 204);
    flushed(&metered.metrics);
    assert!(!authorize(&metered, "authorizer/active-session.json").await);
    let lines = flushed(&metered.metrics);
    let (line, _) = line_of(&lines, "AuthorizerDenied");
    assert_eq!(line["Reason"], "revoked");
}

#[tokio::test]
async fn a_refresh_token_reuse_writes_reuse_detected_and_the_revocation() {
    let metered = metered().await;
    // The laptop's chain is at `rt_laptop_1`; its predecessor presented again is a replay.
    assert_eq!(
        http(
            &metered,
            "refresh-session",
            "refresh-session/replayed-token.json"
        )
        .await,
        409
    );
    let lines = flushed(&metered.metrics);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (line, dimensions) = line_of(&lines, "RefreshReuseDetected");
    assert_eq!(line["RefreshReuseDetected"], 1);
    assert_eq!(dimensions, json!([[]]));
    let (line, _) = line_of(&lines, "Revocations");
    assert_eq!(line["Revocations"], 1);
    assert_eq!(line["Reason"], "refresh_token_reuse");
}

#[tokio::test]
async fn store_failures_are_counted_by_class() {
    let store = MemoryStore::new();
    seed(&store).await;
    let metrics = Metrics::new(DEFAULT_NAMESPACE);
    let sessions = Sessions::new(
        MeteredStore::new(CheckedStore::new(store.clone()), metrics.clone()),
        PolicyConfig::default(),
    );
    store.faults().fail_next_reads(1);
    let metered = Metered { sessions, metrics };
    assert_eq!(
        http(&metered, "get-session", "get-session/own-session.json").await,
        503
    );
    let lines = flushed(&metered.metrics);
    let (line, dimensions) = line_of(&lines, "StoreErrors");
    assert_eq!(line["StoreErrors"], 1);
    assert_eq!(line["ErrorClass"], "unavailable");
    assert_eq!(dimensions, json!([["ErrorClass"], []]));
}
