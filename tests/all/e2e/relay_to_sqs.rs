//! Commands -> outbox items -> the table's stream (read with the Streams API) -> the relay ->
//! an EventBridge bus -> a rule on source -> an SQS queue: every committed event arrives once,
//! with its detail type and fields.

use session_tests::fixture::register;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use session_core::domain::{Actor, RevocationReason};
use session_core::ids::UserId;
use session_core::use_cases::{CreateSession, RevokeAllUserSessions, RevokeSession};
use session_eventbridge::{EventBridgePublisher, PublisherConfig};
use session_lambda::event_relay::{handle, outbox_records};

use super::support::{
    SOURCE, bus_with_queue, read_stream, receive, sessions_on_fresh_table, standins,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_event_reaches_sqs_once_through_stream_relay_and_bus() {
    let Some(sdk) = standins().await else { return };
    let (sessions, table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();

    // A basic-tier user (limit 2) logs in three times (one eviction), revokes a session, tries to
    // revoke the evicted one (refused), then signs out everywhere.
    register(&sessions, &alice, "basic", None).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let login = CreateSession {
            user_id: alice.clone(),
            ip_address: "203.0.113.7".parse().ok(),
            user_agent: None,
            expires_at: None,
            refresh_token_id: None,
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
            device: None,
            replace_session_id: None,
        };
        ids.push(sessions.create_session(login).await.unwrap().session.id());
    }
    let by = Actor::User {
        user_id: alice.clone(),
    };
    let revoke = |id| RevokeSession {
        session_id: id,
        owner: session_core::use_cases::Owner::User(alice.clone()),
        reason: RevocationReason::Manual,
        by: by.clone(),
        note: None,
    };
    sessions.revoke_session(revoke(ids[2])).await.unwrap();
    assert!(
        sessions.revoke_session(revoke(ids[0])).await.is_err(),
        "the evicted session is already revoked"
    );
    sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::LogoutAll,
            except_session_id: None,
            by,
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        })
        .await
        .unwrap();

    let (bus, queue_url) = bus_with_queue(&sdk).await;
    let event = read_stream(&sdk, &table).await;
    let expected: BTreeMap<String, &'static str> = outbox_records(&event)
        .into_iter()
        .map(|record| record.event.unwrap())
        .map(|e| (e.event_id.to_string(), e.detail_type()))
        .collect();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for detail_type in expected.values() {
        *by_type.entry(detail_type).or_default() += 1;
    }
    assert_eq!(
        by_type,
        BTreeMap::from([
            ("AllSessionsRevocationAttempted", 1),
            ("AllSessionsRevoked", 1),
            ("SessionCreated", 3),
            ("SessionEvicted", 1),
            ("SessionLimitExceeded", 1),
            ("SessionRevocationAttempted", 2),
            ("SessionRevocationFailed", 1),
            ("SessionRevoked", 1),
        ]),
        "the stream carries one outbox item per committed event"
    );

    let publisher = EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        PublisherConfig::new(bus, SOURCE),
    );
    let response = handle(&publisher, &event).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );

    let received = receive(&sdk, &queue_url, expected.len()).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for message in &received {
        let event_id = message["detail"]["event_id"].as_str().unwrap().to_owned();
        assert_eq!(message["source"], SOURCE);
        assert_eq!(message["detail"]["user_id"], "alice");
        assert_eq!(
            message["detail-type"].as_str(),
            expected.get(&event_id).copied(),
            "event {event_id} has its own detail type"
        );
        *seen.entry(event_id).or_default() += 1;
    }
    for id in expected.keys() {
        assert_eq!(seen.get(id), Some(&1), "event {id} delivered exactly once");
    }
    assert_eq!(
        seen.len(),
        expected.len(),
        "nothing but the committed events arrived"
    );
}
