//! Every payload under `events/` goes through the real handler of the function it is filed
//! under (its folder), over the embedded store, and gets the answer listed here, so the samples
//! used with `sam local invoke` and `cargo lambda invoke` cannot rot.

// Test code: a failed unwrap is a failed test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod event_trust;
mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_http::request::LambdaRequest;
use serde_json::Value;
use session_api::{Api, Authenticator, JwtConfig, TokenVerifier, VerificationKey};
use session_core::domain::SessionStatus;
use session_lambda::authorizer::Authorizer;
use session_lambda::config::AuthEventsConfig;
use session_lambda::event_relay::outbox_records;
use session_lambda::http_function::HttpFunction;
use session_lambda::password_changed::{Outcome, PasswordChangedConsumer};

use seed::{ALICE_LAPTOP, ALICE_PHONE, Seeded};

/// What each payload must produce.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Status(u16),
    /// 201, and the same payload sent again gets the same body marked `Idempotent-Replayed`.
    Replayed,
    Authorized(bool),
    /// Revoked these many sessions and left the caller's laptop session as given.
    Revoked {
        count: usize,
        laptop_active: bool,
    },
    Dropped,
    OutboxEvents(usize),
}

fn expectations() -> BTreeMap<&'static str, Expect> {
    use Expect::*;
    BTreeMap::from([
        ("authorizer/active-session.json", Authorized(true)),
        ("authorizer/bad-signature.json", Authorized(false)),
        ("authorizer/no-token.json", Authorized(false)),
        ("create-session/login.json", Status(201)),
        ("create-session/login-with-idempotency-key.json", Replayed),
        ("create-session/unknown-user.json", Status(404)),
        ("event-relay/outbox-insert.json", OutboxEvents(1)),
        ("get-session/other-users-session.json", Status(404)),
        ("get-session/own-session.json", Status(200)),
        ("link-refresh-token/link.json", Status(204)),
        ("list-sessions/active-sessions.json", Status(200)),
        ("logout-current/logout.json", Status(204)),
        (
            "password-changed/password-changed.json",
            Revoked {
                count: 1,
                laptop_active: true,
            },
        ),
        (
            "password-changed/password-reset.json",
            Revoked {
                count: 2,
                laptop_active: false,
            },
        ),
        ("password-changed/untrusted-source.json", Dropped),
        ("record-provider-access/plaid.json", Status(204)),
        (
            "revoke-all-sessions/sign-out-everywhere-else.json",
            Status(200),
        ),
        ("revoke-session/sign-out-phone.json", Status(204)),
        ("set-session-policy/upgrade-to-plus.json", Status(200)),
        ("update-session-activity/new-ip.json", Status(200)),
        ("validate-session/validity.json", Status(200)),
    ])
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `events/<function>/<case>.json`, relative to `events/`.
fn payload_files() -> Vec<String> {
    let mut files = Vec::new();
    let events = repo_root().join("events");
    for dir in std::fs::read_dir(&events).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                files.push(
                    file.strip_prefix(&events)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    files.sort();
    files
}

/// Runs an HTTP payload through the handler of `function`: status, headers, body.
async fn invoke_http(
    function: &str,
    payload: &str,
    seeded: &Seeded,
) -> (u16, http::HeaderMap, String) {
    let route = session_api::route_for_function(function)
        .unwrap_or_else(|| panic!("{function} is not an HTTP function"));
    let handler = HttpFunction::new(route.route_key(), Api::new(seeded.sessions.clone()));
    let request: LambdaRequest = serde_json::from_str(payload).unwrap();
    let response = handler
        .handle(lambda_http::Request::from(request))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = String::from_utf8_lossy(body.as_ref()).into_owned();
    (parts.status.as_u16(), parts.headers, body)
}

#[test]
fn every_payload_has_an_expectation_and_a_function() {
    let files = payload_files();
    let expected: Vec<String> = expectations().keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        files, expected,
        "events/ and the expectation table must list the same payloads"
    );
    for file in &files {
        let function = file.split('/').next().unwrap();
        assert!(
            repo_root()
                .join("functions")
                .join(function)
                .join("Cargo.toml")
                .exists(),
            "{file} is filed under `{function}`, which is not a function crate"
        );
    }
}

#[tokio::test]
async fn every_payload_gets_its_expected_answer_from_the_real_handler() {
    for (file, expect) in expectations() {
        let text = std::fs::read_to_string(repo_root().join("events").join(file)).unwrap();
        let function = file.split('/').next().unwrap();
        let seeded = Seeded::new().await;
        match expect {
            Expect::Status(status) => {
                let (actual, _, body) = invoke_http(function, &text, &seeded).await;
                assert_eq!(actual, status, "{file}: {body}");
                if status >= 400 {
                    let problem: Value = serde_json::from_str(&body).unwrap();
                    assert!(problem["code"].is_string(), "{file}: a problem with a code");
                }
            }
            Expect::Replayed => {
                let (first, first_headers, first_body) =
                    invoke_http(function, &text, &seeded).await;
                assert_eq!(first, 201, "{file}: {first_body}");
                assert!(first_headers.get("idempotent-replayed").is_none(), "{file}");
                let (again, headers, body) = invoke_http(function, &text, &seeded).await;
                assert_eq!(again, 201, "{file}: {body}");
                assert_eq!(headers["idempotent-replayed"], "true", "{file}");
                assert_eq!(body, first_body, "{file}: the first answer, again");
            }
            Expect::Authorized(allowed) => {
                let verifier = TokenVerifier::new(JwtConfig::new(
                    VerificationKey::Hs256Secret(seed::FIXTURE_SECRET.to_vec()),
                    seed::FIXTURE_ISSUER,
                    seed::FIXTURE_AUDIENCE,
                ))
                .unwrap();
                let authorizer =
                    Authorizer::new(Authenticator::new(verifier, seeded.sessions.clone()));
                let request: ApiGatewayV2CustomAuthorizerV2Request =
                    serde_json::from_str(&text).unwrap();
                let response = authorizer.authorize(&request).await.unwrap();
                assert_eq!(response.is_authorized, allowed, "{file}");
                if allowed {
                    assert_eq!(response.context["user_id"], "alice", "{file}");
                    assert_eq!(response.context["session_id"], ALICE_LAPTOP, "{file}");
                } else {
                    assert!(
                        response.context.is_empty(),
                        "{file}: a deny carries no identity"
                    );
                }
            }
            Expect::Revoked { .. } | Expect::Dropped => {
                assert_eq!(
                    function, "password-changed",
                    "{file}: only the consumer revokes or drops"
                );
                let consumer = PasswordChangedConsumer::new(
                    seeded.sessions.clone(),
                    AuthEventsConfig {
                        source: "auth".into(),
                        account: Some("123456789012".into()),
                    },
                );
                let event: EventBridgeEvent<Value> = serde_json::from_str(&text).unwrap();
                let outcome = consumer.handle(event.clone()).await.unwrap();
                match expect {
                    Expect::Revoked {
                        count,
                        laptop_active,
                    } => {
                        let Outcome::Revoked { session_ids } = &outcome else {
                            panic!("{file}: {outcome:?}");
                        };
                        assert_eq!(session_ids.len(), count, "{file}");
                        assert_eq!(
                            seeded.status(ALICE_LAPTOP).await == SessionStatus::Active,
                            laptop_active,
                            "{file}"
                        );
                        assert_eq!(
                            seeded.status(ALICE_PHONE).await,
                            SessionStatus::Revoked,
                            "{file}"
                        );
                        // Redelivery: nothing changes and nothing new is emitted.
                        let before = seeded.store.take_events().len();
                        assert!(before > 0, "{file}: the first delivery emitted events");
                        let again = consumer.handle(event).await.unwrap();
                        assert_eq!(again, Outcome::AlreadyHandled, "{file}");
                        assert!(
                            seeded.store.take_events().is_empty(),
                            "{file}: redelivery emitted events"
                        );
                    }
                    _ => {
                        assert!(
                            matches!(outcome, Outcome::Dropped { .. }),
                            "{file}: {outcome:?}"
                        );
                        assert_eq!(
                            seeded.status(ALICE_PHONE).await,
                            SessionStatus::Active,
                            "{file}"
                        );
                        assert!(seeded.store.take_events().is_empty(), "{file}");
                    }
                }
            }
            Expect::OutboxEvents(n) => {
                let event: StreamEvent = serde_json::from_str(&text).unwrap();
                let records = outbox_records(&event);
                assert_eq!(records.len(), n, "{file}");
                for record in records {
                    let decoded = record.event.unwrap_or_else(|e| panic!("{file}: {e}"));
                    assert_eq!(decoded.detail_type(), "SessionRevoked", "{file}");
                }
            }
        }
    }
}
