//! Every payload under `events/` through scripts/invoke: the function's built binary under AWS's
//! Lambda RIE, with the environment `sam local invoke` would give it from template.yaml (plus
//! `events/env.json` and this run's table and bus, as `--env-vars`), against DynamoDB Local and
//! moto. Each payload gets a fresh table holding the seeded state (and the relay's a fresh bus
//! with a queue on it); the answer, the function's log, the table and the bus are checked against
//! the payload's expectation file, as the in-process test checks them (`expect.rs`).
//!
//! Needs the stand-ins (skipped with a message without them, a failure under scripts/test) and
//! builds the function binaries first (scripts/test has built them already).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use aws_config::SdkConfig;
use chrono::Utc;
use serde_json::{Value, json};
use session_core::domain::SessionStatus;
use session_dynamodb::{DynamoStore, ensure_table};
use session_lambda::event_relay::outbox_records;

use super::expect::{self, Answer, Case};
use super::{repo_root, seed};
use crate::e2e::support::{bus_with_queue, read_stream, receive, standins, unique};

/// The function binaries, built once per test process (quick when scripts/test built them).
fn build_functions() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(repo_root())
            .args(["build", "--locked", "--quiet"]);
        for dir in std::fs::read_dir(repo_root().join("functions")).unwrap() {
            let dir = dir.unwrap().path();
            if dir.join("Cargo.toml").exists() {
                command.args(["--package", dir.file_name().unwrap().to_str().unwrap()]);
            }
        }
        let status = command.status().unwrap();
        assert!(status.success(), "building the functions failed: {status}");
    });
}

/// What one payload runs against: a fresh table with the seeded state, a bus with a queue.
struct Stage {
    sdk: SdkConfig,
    store: DynamoStore,
    table: String,
    /// A bus with a queue on it, for the relay's payloads only: moto is single-threaded, and
    /// other tests share it.
    bus: Option<(String, String)>,
    env_vars: PathBuf,
}

impl Stage {
    async fn new(sdk: &SdkConfig, with_bus: bool, extra: &[(&str, &str)]) -> Self {
        let client = aws_sdk_dynamodb::Client::new(sdk);
        let table = unique("invoke");
        ensure_table(&client, &table).await.unwrap();
        let store = DynamoStore::new(client, &table);
        seed::seed(&store).await;
        let bus = if with_bus {
            Some(bus_with_queue(sdk).await)
        } else {
            None
        };
        // events/env.json with this stage's table and bus, in `--env-vars` form.
        let text = std::fs::read_to_string(repo_root().join("events/env.json")).unwrap();
        let mut env_vars: Value = serde_json::from_str(&text).unwrap();
        let parameters = env_vars["Parameters"].as_object_mut().unwrap();
        parameters.insert("SESSIONS_TABLE".into(), json!(table));
        if let Some((bus, _)) = &bus {
            parameters.insert("EVENT_BUS_NAME".into(), json!(bus));
        }
        for (name, value) in extra {
            parameters.insert((*name).into(), json!(value));
        }
        let path = std::env::temp_dir().join(format!("{table}.env.json"));
        std::fs::write(&path, env_vars.to_string()).unwrap();
        Self {
            sdk: sdk.clone(),
            store,
            table,
            bus,
            env_vars: path,
        }
    }

    /// scripts/invoke FUNCTION PAYLOAD --env-vars <this stage's> --no-build.
    fn invoke(&self, function: &str, payload: &Path) -> Run {
        let output = Command::new(repo_root().join("scripts/invoke"))
            .arg(function)
            .arg(payload)
            .arg("--env-vars")
            .arg(&self.env_vars)
            .arg("--no-build")
            .output()
            .unwrap();
        let logs = String::from_utf8_lossy(&output.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let response = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("scripts/invoke {function}: not a JSON answer ({e}): {stdout}\n{logs}")
        });
        Run {
            exit: output.status.code(),
            response,
            logs,
        }
    }

    /// The detail types of the outbox events the table's stream has seen so far, each checked
    /// against its contract (once: the stream is read from its start every time).
    async fn outbox(&self) -> Vec<String> {
        outbox_records(&read_stream(&self.sdk, &self.table).await)
            .into_iter()
            .filter_map(|record| record.event.ok())
            .inspect(session_tests::event_contracts::check_event_once)
            .map(|event| event.detail_type().to_owned())
            .collect()
    }

    async fn statuses(&self) -> BTreeMap<&'static str, SessionStatus> {
        let mut statuses = BTreeMap::new();
        for id in seed::SEEDED_SESSIONS {
            statuses.insert(id, seed::status_in(&self.store, id, Utc::now()).await);
        }
        statuses
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.env_vars);
    }
}

/// What scripts/invoke reported: its exit status, the response it printed, the logs.
struct Run {
    exit: Option<i32>,
    response: Value,
    logs: String,
}

impl Run {
    /// The function's JSON log lines (the RIE's own lines are not JSON).
    fn log_fields(&self) -> Vec<Value> {
        self.logs
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|line| line.get("fields").cloned())
            .collect()
    }

    /// The metric lines (EMF) the function wrote to its stdout, which the RIE passes on.
    fn metric_lines(&self) -> Vec<Value> {
        self.logs
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["_aws"]["CloudWatchMetrics"].is_array())
            .collect()
    }

    /// Asserts the invocation wrote `metric` (at least one) in its metric lines.
    fn wrote_metric(&self, what: &str, metric: &str) {
        let lines = self.metric_lines();
        assert!(
            lines.iter().any(|line| line[metric].as_u64() >= Some(1)),
            "{what}: no `{metric}` among the function's metric lines {lines:?}\n{}",
            self.logs
        );
    }

    fn answered(&self, what: &str) -> &Self {
        assert_eq!(
            self.exit,
            Some(0),
            "{what}: scripts/invoke failed: {}\n{}",
            self.response,
            self.logs
        );
        self
    }
}

#[tokio::test]
async fn every_payload_gets_its_expected_answer_through_scripts_invoke() {
    let Some(sdk) = standins().await else {
        return;
    };
    build_functions();
    let cases = expect::cases();
    for case in &cases {
        let relays = matches!(case.expect.answer, Answer::Relayed { .. });
        let stage = Stage::new(&sdk, relays, &[]).await;
        check_under_rie(case, &stage).await;
        let statuses = stage.statuses().await;
        for (id, status) in &case.expect.sessions_after {
            assert_eq!(
                statuses.get(id.as_str()),
                Some(status),
                "events/{}: {id} (table {})",
                case.name,
                stage.table
            );
        }
    }
    eprintln!(
        "events/ payloads answered as expected through scripts/invoke (AWS's RIE): {}",
        cases.len()
    );
}

async fn check_under_rie(case: &Case, stage: &Stage) {
    let file = format!("events/{}", case.name);
    let payload = repo_root().join("events").join(&case.name);
    let run = stage.invoke(&case.function, &payload);
    run.answered(&file);
    let response = &run.response;
    match &case.expect.answer {
        Answer::Http {
            status,
            replayed_on_retry,
        } => {
            assert_eq!(response["statusCode"], json!(status), "{file}: {response}");
            if case.function == "create-session" && *status == 201 {
                run.wrote_metric(&file, "LoginsCreated");
            }
            let body = response["body"].as_str().unwrap_or_default();
            if *status >= 400 {
                let problem: Value = serde_json::from_str(body).unwrap();
                assert!(problem["code"].is_string(), "{file}: a problem with a code");
            }
            if *replayed_on_retry {
                assert!(
                    response["headers"]["idempotent-replayed"].is_null(),
                    "{file}"
                );
                let again = stage.invoke(&case.function, &payload);
                let again = &again.answered(&file).response;
                assert_eq!(again["statusCode"], json!(status), "{file}: {again}");
                assert_eq!(again["headers"]["idempotent-replayed"], "true", "{file}");
                assert_eq!(again["body"], response["body"], "{file}: the first answer");
            }
        }
        Answer::Authorizer {
            authorized,
            context,
        } => {
            assert_eq!(response["isAuthorized"], json!(authorized), "{file}");
            let decision = match authorized {
                true => "AuthorizerAllowed",
                false => "AuthorizerDenied",
            };
            run.wrote_metric(&file, decision);
            let actual = response["context"].as_object().cloned().unwrap_or_default();
            expect::assert_context(&actual, context, &file);
        }
        Answer::Revoked {
            count,
            already_handled_on_retry,
        }
        | Answer::StatusChanged {
            count,
            already_handled_on_retry,
            ..
        } => {
            assert_eq!(response, &Value::Null, "{file}: a consumer answers nothing");
            let revoked = stage
                .statuses()
                .await
                .values()
                .filter(|s| **s == SessionStatus::Revoked)
                .count();
            assert_eq!(revoked, *count, "{file}: sessions revoked");
            let emitted = stage.outbox().await;
            // Every change emits events; enabling an account that is active changes nothing.
            assert_eq!(
                !emitted.is_empty(),
                *count > 0 || matches!(case.expect.answer, Answer::Revoked { .. }),
                "{file}: the delivery's events: {emitted:?}"
            );
            if *already_handled_on_retry {
                let before = stage.statuses().await;
                let again = stage.invoke(&case.function, &payload);
                let handled = again.answered(&file).log_fields().into_iter().any(|f| {
                    f["message"] == "auth event handled" && f["outcome"] == "AlreadyHandled"
                });
                assert!(handled, "{file}: redelivery not logged as handled before");
                assert_eq!(stage.statuses().await, before, "{file}: redelivery changed");
                assert_eq!(stage.outbox().await, emitted, "{file}: redelivery emitted");
            }
        }
        Answer::Dropped { why } => {
            assert_eq!(response, &Value::Null, "{file}: a consumer answers nothing");
            let logged = run
                .log_fields()
                .into_iter()
                .any(|f| f["message"] == "auth event dropped" && f["why"] == json!(why));
            assert!(
                logged,
                "{file}: no log of the drop for {why}:\n{}",
                run.logs
            );
            assert!(
                stage
                    .statuses()
                    .await
                    .values()
                    .all(|s| *s == SessionStatus::Active),
                "{file}: a dropped event changed sessions"
            );
            assert!(stage.outbox().await.is_empty(), "{file}: emitted events");
        }
        Answer::Relayed { detail_types } => {
            assert_eq!(
                response,
                &json!({"batchItemFailures": []}),
                "{file}: every record published"
            );
            let (bus, queue_url) = stage.bus.as_ref().unwrap();
            let messages = receive(&stage.sdk, queue_url, detail_types.len()).await;
            let arrived: Vec<&str> = messages
                .iter()
                .map(|m| m["detail-type"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(arrived, *detail_types, "{file}: on the bus {bus}");
        }
        Answer::Swept { report } => {
            assert_eq!(response, report, "{file}: the sweep's answer");
        }
        Answer::Redacted { report } => {
            assert_eq!(response, report, "{file}: the retention sweep's answer");
        }
    }
}

#[tokio::test]
async fn a_blank_dynamodb_endpoint_as_sam_local_passes_it_falls_back_to_aws_endpoint_url() {
    // `sam local invoke` passes a variable the template declares but nobody set as "". For
    // AWS_ENDPOINT_URL_DYNAMODB the SDK would take "" as the URL; the function must use
    // AWS_ENDPOINT_URL instead, as the SDK does with a blank AWS_ENDPOINT_URL.
    let Some(sdk) = standins().await else {
        return;
    };
    build_functions();
    let dynamodb = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
    let stage = Stage::new(
        &sdk,
        false,
        &[
            ("AWS_ENDPOINT_URL", &dynamodb),
            ("AWS_ENDPOINT_URL_DYNAMODB", ""),
        ],
    )
    .await;
    let payload = repo_root().join("events/validate-session/validity.json");
    let run = stage.invoke("validate-session", &payload);
    let response = &run.answered("validate-session").response;
    assert_eq!(response["statusCode"], 200, "{response}\n{}", run.logs);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["active"], true,
        "the seeded session, read from {}",
        stage.table
    );
}
