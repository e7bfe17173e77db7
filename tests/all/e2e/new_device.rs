//! A sign-in from a new device through the create-session function on DynamoDB Local:
//! NewDeviceSignIn goes stream -> relay -> EventBridge -> the template's notification rule (its
//! own event pattern) -> SQS, and a re-login on the device sends nothing more (docs/0047).

use std::str::FromStr;

use serde_json::{Value, json};
use session_core::Sessions;
use session_core::ids::UserId;
use session_eventbridge::{EventBridgePublisher, PublisherConfig};
use session_lambda::event_relay::handle;
use session_tests::fixture::register;

use super::support::{
    E2eStore, SOURCE, bus_with_rule_to_queue, call_through_iam, read_stream, receive,
    sessions_on_fresh_table, standins,
};
use crate::template::model::Template;

/// A login through the function that serves it, as API Gateway delivers it after IAM.
async fn login(sessions: &Sessions<E2eStore>, body: Value) -> Value {
    let (status, answer) = call_through_iam(
        sessions,
        "create-session",
        "auth",
        "POST",
        "/internal/sessions",
        &body,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    answer
}

/// A bus whose only rule is the template's NotificationRule (source and detail types as
/// declared), targeting a fresh queue.
async fn bus_with_notification_rule(sdk: &aws_config::SdkConfig) -> (String, String) {
    let template = Template::load();
    let rule = template.resource_of_type("NotificationRule", "AWS::Events::Rule");
    let detail_types: Vec<String> = rule["Properties"]["EventPattern"]["detail-type"]
        .as_sequence()
        .expect("the notification rule lists detail types")
        .iter()
        .map(|t| t.as_str().expect("a detail type").to_owned())
        .collect();
    let pattern = json!({"source": [SOURCE], "detail-type": detail_types});
    bus_with_rule_to_queue(sdk, &pattern.to_string()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_sign_in_reaches_the_notification_queue_once() {
    let Some(sdk) = standins().await else { return };
    let (sessions, table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();
    register(&sessions, &alice, "pro", None).await;
    login(
        &sessions,
        json!({"user_id": "alice", "device_id": "laptop-0001"}),
    )
    .await;
    let phone = login(
        &sessions,
        json!({"user_id": "alice", "device_id": "phone-00001", "device_name": "Jane's phone"}),
    )
    .await;
    login(
        &sessions,
        json!({"user_id": "alice", "device_id": "phone-00001"}),
    )
    .await;

    let (bus, queue_url) = bus_with_notification_rule(&sdk).await;
    let stream = read_stream(&sdk, &table).await;
    let publisher = EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        PublisherConfig::new(bus, SOURCE),
    );
    assert!(
        handle(&publisher, &stream)
            .await
            .batch_item_failures
            .is_empty()
    );
    // Through the notification rule: the NewDeviceSignIn, and the re-login's SessionRevoked
    // (replaced_by_new_login); no SessionCreated.
    let received = receive(&sdk, &queue_url, 2).await;
    let mut types: Vec<&str> = received
        .iter()
        .map(|m| m["detail-type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["NewDeviceSignIn", "SessionRevoked"], "{received:?}");
    let signed_in = received
        .iter()
        .find(|m| m["detail-type"] == "NewDeviceSignIn")
        .unwrap();
    assert_eq!(signed_in["detail"]["device_id"], "phone-00001");
    assert_eq!(signed_in["detail"]["device_name"], "Jane's phone");
    assert_eq!(signed_in["detail"]["session_id"], phone["session_id"]);
    let revoked = received
        .iter()
        .find(|m| m["detail-type"] == "SessionRevoked")
        .unwrap();
    assert_eq!(revoked["detail"]["reason"], "replaced_by_new_login");
    assert_eq!(revoked["detail"]["session_id"], phone["session_id"]);
}
