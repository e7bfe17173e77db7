//! A stolen refresh token replayed through the refresh function on DynamoDB Local: the session
//! is revoked at once, the very next authorizer call for it is denied, and
//! RefreshTokenReuseDetected reaches the bus (stream -> relay -> EventBridge -> SQS).

use std::str::FromStr;

use session_core::Sessions;
use session_core::ids::{RefreshTokenId, UserId};
use session_core::use_cases::CreateSession;
use session_eventbridge::{EventBridgePublisher, PublisherConfig};
use session_lambda::event_relay::handle;
use session_tests::fixture::register;

use super::support::{
    Check, E2eStore, SOURCE, bus_with_queue, call_through_iam, read_stream, receive,
    sessions_on_fresh_table, standins,
};

/// Sends a refresh through the function that serves it, as API Gateway delivers it after IAM
/// authorisation; answers the status and the body.
async fn refresh(
    sessions: &Sessions<E2eStore>,
    session: &str,
    body: serde_json::Value,
) -> (i64, serde_json::Value) {
    let path = format!("/internal/sessions/{session}/refresh");
    call_through_iam(sessions, "refresh-session", "auth", "POST", &path, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_refresh_token_revokes_the_session_and_reaches_the_bus() {
    let Some(sdk) = standins().await else { return };
    let (sessions, table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();
    register(&sessions, &alice, "basic", None).await;
    let session = sessions
        .create_session(CreateSession {
            user_id: alice.clone(),
            ip_address: "203.0.113.7".parse().ok(),
            user_agent: None,
            expires_at: None,
            refresh_token_id: Some(RefreshTokenId::from_str("rt-1").unwrap()),
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
            device: None,
            replace_session_id: None,
        })
        .await
        .unwrap()
        .session
        .id();
    let check = Check::new(&sessions, &alice);
    let before = check.answer(session).await;
    assert!(before.is_authorized);
    assert_eq!(before.context["aal"], 1);

    // The legitimate client rotates rt-1 -> rt-2.
    let (status, body) = refresh(
        &sessions,
        &session.to_string(),
        serde_json::json!({"refresh_token_id": "rt-1", "next_refresh_token_id": "rt-2",
                           "ip_address": "203.0.113.7"}),
    )
    .await;
    assert_eq!(
        (status, &body["active"]),
        (200, &serde_json::json!(true)),
        "{body}"
    );

    // A thief replays rt-1 later, asking for its own next token.
    let (status, body) = refresh(
        &sessions,
        &session.to_string(),
        serde_json::json!({"refresh_token_id": "rt-1", "next_refresh_token_id": "rt-evil",
                           "ip_address": "198.51.100.66"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("refresh_token_reused")),
        "{body}"
    );
    assert!(
        !check.answer(session).await.is_authorized,
        "reuse detected: the next authorizer call is denied"
    );

    let (bus, queue_url) = bus_with_queue(&sdk).await;
    let stream = read_stream(&sdk, &table).await;
    let publisher = EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        PublisherConfig::new(bus, SOURCE),
    );
    let relayed = handle(&publisher, &stream).await;
    assert!(relayed.batch_item_failures.is_empty());
    // SessionCreated, then the reuse's three events.
    let received = receive(&sdk, &queue_url, 4).await;
    let detected: Vec<&serde_json::Value> = received
        .iter()
        .filter(|m| m["detail-type"] == "RefreshTokenReuseDetected")
        .collect();
    assert_eq!(detected.len(), 1, "{received:?}");
    assert_eq!(detected[0]["detail"]["session_id"], session.to_string());
    assert_eq!(detected[0]["detail"]["presented"], "previous");
    let text = serde_json::to_string(&received).unwrap();
    assert!(
        !text.contains("rt-1") && !text.contains("rt-evil"),
        "no refresh token id reaches the bus"
    );
}
