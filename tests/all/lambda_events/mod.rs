//! Every payload under `events/` goes through the real handler of the function it is filed
//! under (its folder), over the embedded store, and gets the answer its expectation file names
//! (`expect.rs`), so the samples used with `sam local invoke`, scripts/invoke and
//! `cargo lambda invoke` cannot rot. `invoke.rs` sends the same payloads through scripts/invoke:
//! the built functions under AWS's Lambda RIE, on DynamoDB Local and moto.

// Test code: a failed unwrap is a failed test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod event_trust;
mod expect;
mod invoke;
mod malformed;
mod metrics;
mod regressions;
mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpResponse};
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;
use session_api::{Api, Authenticator, TokenVerifier};
use session_lambda::account_events::{AccountEventsConsumer, Outcome};
use session_lambda::authorizer::Authorizer;
use session_lambda::config;
use session_lambda::event_relay::outbox_records;
use session_lambda::http_function::HttpFunction;

use expect::{Answer, Case};
use seed::Seeded;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `events/env.json`: the variables the payloads need on top of the template's (the fixture
/// token's HS256 secret, issuer and audience; the auth account the password events come from),
/// in `sam local invoke --env-vars` form. Read here through session-lambda's own configuration.
fn fixture_env() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("events/env.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["Parameters"]
        .as_object()
        .expect("events/env.json: a Parameters object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The route key the route table assigns to `function`, if it is an HTTP one.
fn bound_route(function: &str) -> Option<&'static str> {
    session_api::route_for_function(function).map(session_api::Route::route_key)
}

/// Every HTTP function's route key.
fn bound_routes() -> Vec<&'static str> {
    let mut routes: Vec<&'static str> = session_api::routes()
        .iter()
        .filter(|route| route.function.is_some())
        .map(session_api::Route::route_key)
        .collect();
    routes.sort_unstable();
    routes
}

/// Runs an HTTP payload through the handler of `function`: status, headers, body.
async fn invoke_http(
    function: &str,
    payload: &str,
    seeded: &Seeded,
) -> (u16, http::HeaderMap, String) {
    let route =
        bound_route(function).unwrap_or_else(|| panic!("{function} is not an HTTP function"));
    invoke_route(route, payload, seeded).await
}

/// Runs an HTTP payload through the function bound to `route`, as the Lambda runtime hands it
/// over (any JSON), and checks the answer is what API Gateway can send on.
async fn invoke_route(
    route: &'static str,
    payload: &str,
    seeded: &Seeded,
) -> (u16, http::HeaderMap, String) {
    let handler = HttpFunction::new(route, Api::new(seeded.sessions.clone()));
    let response = handler
        .handle(serde_json::from_str(payload).unwrap(), "lambda-request-id")
        .await;
    http_view(&response)
}

/// Status, headers and body of an API Gateway response, after checking it serialises (the
/// runtime would otherwise fail the invocation) and that its body is what it says it is.
fn http_view(response: &ApiGatewayV2httpResponse) -> (u16, http::HeaderMap, String) {
    let json = serde_json::to_value(response).expect("the response serialises");
    let body = match json.get("body") {
        None => String::new(),
        Some(Value::String(text)) if json["isBase64Encoded"] == false => text.clone(),
        Some(other) => panic!("the API answers text bodies only: {other}"),
    };
    let status = u16::try_from(response.status_code).unwrap();
    (status, response.headers.clone(), body)
}

#[test]
fn every_payload_has_an_expectation_and_a_function_and_every_function_a_payload() {
    let cases = expect::cases();
    assert!(!cases.is_empty(), "no payloads found under events/");
    for case in &cases {
        assert!(
            repo_root()
                .join("functions")
                .join(&case.function)
                .join("Cargo.toml")
                .exists(),
            "events/{} is filed under `{}`, which is not a function crate",
            case.name,
            case.function
        );
    }
    // And the other way round: a function nobody can invoke locally is one a newcomer cannot try.
    let functions = std::fs::read_dir(repo_root().join("functions")).expect("functions/");
    for function in functions {
        let name = function.expect("a folder entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            cases.iter().any(|case| case.function == name),
            "functions/{name} has no payload under events/{name}/"
        );
    }
    let payloads = expect::payload_files();
    for file in expect::expectation_files() {
        assert!(
            payloads.iter().any(|p| expect::expectation_file(p) == file),
            "events/{file} expects an answer from a payload that does not exist"
        );
    }
}

#[test]
fn expectation_files_are_read_strictly() {
    // A typo or a key of another kind of answer must fail, not pass unchecked.
    for (text, why) in [
        (r#"{"status": 200, "stauts": 404}"#, "unknown key"),
        (r#"{"status": 200, "authorized": true}"#, "unknown key"),
        (r#"{"status": 999}"#, "status must be"),
        (
            r#"{"status": 201, "on_retry": "already_handled"}"#,
            "here only",
        ),
        (
            r#"{"authorized": false, "context": {"user_id": "alice"}}"#,
            "no context",
        ),
        (r#"{"dropped": "x", "on_retry": "replayed"}"#, "no on_retry"),
        (r#"{"sessions_after": {"x": "active"}}"#, "no answer"),
        (
            r#"{"revoked": 1, "sessions_after": {"x": "gone"}}"#,
            "session status",
        ),
    ] {
        let error = expect::Expectation::parse(text).unwrap_err();
        assert!(error.contains(why), "{text}: {error}");
    }
    let parsed = expect::Expectation::parse(
        r#"{"revoked": 2, "on_retry": "already_handled", "sessions_after": {"a": "revoked"}}"#,
    )
    .unwrap();
    assert_eq!(
        parsed.answer,
        Answer::Revoked {
            count: 2,
            already_handled_on_retry: true
        }
    );
}

#[tokio::test]
async fn every_payload_gets_its_expected_answer_from_the_real_handler() {
    let env = fixture_env();
    let env = |name: &str| env.get(name).cloned();
    let cases = expect::cases();
    for case in &cases {
        let seeded = Seeded::new().await;
        check_in_process(case, &seeded, &env).await;
        for (id, status) in &case.expect.sessions_after {
            assert_eq!(
                seeded.status(id).await,
                *status,
                "events/{}: {id}",
                case.name
            );
        }
    }
    eprintln!(
        "events/ payloads answered as expected in process: {}",
        cases.len()
    );
}

async fn check_in_process(
    case: &Case,
    seeded: &Seeded,
    env: &(impl Fn(&str) -> Option<String> + Sync),
) {
    let file = format!("events/{}", case.name);
    let (function, text) = (case.function.as_str(), case.payload.as_str());
    match &case.expect.answer {
        Answer::Http {
            status,
            replayed_on_retry,
        } => {
            let (actual, first_headers, first_body) = invoke_http(function, text, seeded).await;
            assert_eq!(actual, *status, "{file}: {first_body}");
            if *status >= 400 {
                let problem: Value = serde_json::from_str(&first_body).unwrap();
                assert!(problem["code"].is_string(), "{file}: a problem with a code");
            }
            if *replayed_on_retry {
                assert!(first_headers.get("idempotent-replayed").is_none(), "{file}");
                let (again, headers, body) = invoke_http(function, text, seeded).await;
                assert_eq!(again, *status, "{file}: {body}");
                assert_eq!(headers["idempotent-replayed"], "true", "{file}");
                assert_eq!(body, first_body, "{file}: the first answer, again");
            }
        }
        Answer::Authorizer {
            authorized,
            context,
        } => {
            let verifier = TokenVerifier::new(config::jwt(env).unwrap()).unwrap();
            let authorizer = Authorizer::new(Authenticator::new(verifier, seeded.sessions.clone()));
            let request: ApiGatewayV2CustomAuthorizerV2Request =
                serde_json::from_str(text).unwrap();
            let response = authorizer.authorize(&request).await.unwrap();
            assert_eq!(response.is_authorized, *authorized, "{file}");
            expect::assert_context(&response.context, context, &file);
        }
        Answer::Revoked { .. } | Answer::StatusChanged { .. } | Answer::Dropped { .. } => {
            let consumer = AccountEventsConsumer::new(
                seeded.sessions.clone(),
                config::auth_events(env).unwrap(),
            );
            let event: EventBridgeEvent<Value> = serde_json::from_str(text).unwrap();
            let outcome = consumer.handle(event.clone()).await.unwrap();
            match &case.expect.answer {
                Answer::Revoked {
                    count,
                    already_handled_on_retry,
                } => {
                    let Outcome::Revoked { session_ids } = &outcome else {
                        panic!("{file}: {outcome:?}");
                    };
                    assert_eq!(session_ids.len(), *count, "{file}");
                    let emitted = seeded.store.take_events().len();
                    assert!(emitted > 0, "{file}: the delivery emitted events");
                    if *already_handled_on_retry {
                        let again = consumer.handle(event).await.unwrap();
                        assert_eq!(again, Outcome::AlreadyHandled, "{file}");
                        assert!(
                            seeded.store.take_events().is_empty(),
                            "{file}: redelivery emitted events"
                        );
                    }
                }
                Answer::StatusChanged {
                    status,
                    count,
                    already_handled_on_retry,
                } => {
                    let Outcome::StatusChanged {
                        status: actual,
                        session_ids,
                    } = &outcome
                    else {
                        panic!("{file}: {outcome:?}");
                    };
                    assert_eq!(
                        (*actual, session_ids.len()),
                        (status.as_str(), *count),
                        "{file}"
                    );
                    seeded.store.take_events();
                    if *already_handled_on_retry {
                        let again = consumer.handle(event).await.unwrap();
                        assert_eq!(again, Outcome::AlreadyHandled, "{file}");
                        assert!(
                            seeded.store.take_events().is_empty(),
                            "{file}: redelivery emitted events"
                        );
                    }
                }
                Answer::Dropped { why } => {
                    assert!(
                        matches!(outcome, Outcome::Dropped { why: w } if w == why),
                        "{file}: {outcome:?}, expected dropped for {why}"
                    );
                    assert!(seeded.store.take_events().is_empty(), "{file}");
                }
                _ => unreachable!(),
            }
        }
        Answer::Relayed { detail_types } => {
            let event: StreamEvent = serde_json::from_str(text).unwrap();
            let decoded: Vec<String> = outbox_records(&event)
                .into_iter()
                .map(|record| {
                    let event = record.event.unwrap_or_else(|e| panic!("{file}: {e}"));
                    event.detail_type().to_owned()
                })
                .collect();
            assert_eq!(&decoded, detail_types, "{file}");
        }
        Answer::Swept { report } => {
            let answer = session_lambda::revocation_sweeper::handle(&seeded.sessions)
                .await
                .unwrap();
            assert_eq!(&answer, report, "{file}");
        }
        Answer::Redacted { report } => {
            let answer = session_lambda::retention_sweeper::handle(&seeded.sessions)
                .await
                .unwrap();
            assert_eq!(&answer, report, "{file}");
        }
    }
}
