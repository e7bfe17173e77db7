//! Commands -> outbox items -> the table's stream (read with the Streams API) -> the relay ->
//! an EventBridge bus -> a rule on source -> an SQS queue: every committed event arrives once,
//! with its detail type and fields.

use session_tests::fixture::register;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::UserId;
use session_core::use_cases::{CreateSession, RevokeAllUserSessions, RevokeSession};
use session_eventbridge::{EventBridgePublisher, PublisherConfig};
use session_lambda::event_relay::{handle, outbox_records};

use super::support::{sessions_on_fresh_table, standins, unique};

const SOURCE: &str = "sessions";

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
        };
        ids.push(sessions.create_session(login).await.unwrap().session.id);
    }
    let by = Actor::User {
        user_id: alice.clone(),
    };
    let revoke = |id| RevokeSession {
        session_id: id,
        user_id: alice.clone(),
        reason: RevocationReason::Manual,
        by: by.clone(),
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

/// A bus with a rule on our source whose target is a new queue.
async fn bus_with_queue(sdk: &SdkConfig) -> (String, String) {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let bus = unique("sessions-bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("audit"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let queue_arn = attributes[&QueueAttributeName::QueueArn].clone();
    events
        .put_rule()
        .name("all-session-events")
        .event_bus_name(&bus)
        .event_pattern(format!(r#"{{"source":["{SOURCE}"]}}"#))
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-session-events")
        .event_bus_name(&bus)
        .targets(
            Target::builder()
                .id("audit-queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (bus, queue_url)
}

/// Every record of the table's stream so far, shaped as Lambda hands them to the relay.
async fn read_stream(sdk: &SdkConfig, table: &str) -> Event {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(sdk);
    let stream_arn = dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let shards = streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap_or_default();
    let mut event = Event::default();
    for shard in shards {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&stream_arn)
            .shard_id(shard.shard_id.unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator;
        while let Some(current) = iterator {
            let page = streams
                .get_records()
                .shard_iterator(current)
                .send()
                .await
                .unwrap();
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            event.records.extend(records.into_iter().map(lambda_record));
            iterator = page.next_shard_iterator;
        }
    }
    event
}

fn lambda_record(record: aws_sdk_dynamodbstreams::types::Record) -> EventRecord {
    let change = record.dynamodb.unwrap();
    let item = |image: Option<HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        let converted: HashMap<String, serde_dynamo::AttributeValue> = image
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect();
        serde_dynamo::Item::from(converted)
    };
    let mut out = EventRecord::default();
    out.event_id = record.event_id.unwrap_or_default();
    out.event_name = record
        .event_name
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    out.change.keys = item(change.keys);
    out.change.new_image = item(change.new_image);
    out.change.sequence_number = change.sequence_number;
    out
}

/// Messages from the queue until `count` arrived (or 30 s passed), then a short wait for extras.
async fn receive(sdk: &SdkConfig, queue_url: &str, count: usize) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut extra_polls = 2;
    while Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in output.messages.unwrap_or_default() {
            messages.push(serde_json::from_str(message.body.as_deref().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
        if messages.len() >= count {
            extra_polls -= 1;
            if extra_polls == 0 {
                break;
            }
        }
    }
    messages
}
