//! What the functions count of the DynamoDB store (docs/0042): the SDK's own retries, by the
//! cause of the attempt that failed, and the failure that reaches the command, by class. Against
//! a port nothing listens on, so every attempt fails to connect; no stand-in needed.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use serde_json::Value;
use session_core::ids::SessionId;
use session_core::ports::SessionStore;
use session_dynamodb::{DynamoStore, RetryObserver, error_class};
use session_lambda::metrics::{DEFAULT_NAMESPACE, MeteredStore, Metric, Metrics};
use uuid::Uuid;

/// A loopback port that refuses connections: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn sdk_retries_are_counted_by_cause_and_the_failure_by_class() {
    let metrics = Metrics::new(DEFAULT_NAMESPACE);
    let retries = metrics.clone();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(format!("http://127.0.0.1:{}", closed_port()))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .interceptor(RetryObserver::new(move |cause| {
            retries.count(Metric::StoreRetries, Some(cause));
        }))
        .build();
    let store = MeteredStore::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "sessions"),
        metrics.clone(),
    )
    .classifying_errors(error_class);

    let read = store
        .load_session(SessionId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(read.is_err(), "nothing listens there");

    let lines = metrics.take_lines(0);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        line["StoreRetries"], 2,
        "three attempts, two of them retries: {line}"
    );
    assert_eq!(line["Cause"], "dispatch", "{line}");
    assert_eq!(line["StoreErrors"], 1, "{line}");
    assert_eq!(line["ErrorClass"], "dispatch", "{line}");
}
