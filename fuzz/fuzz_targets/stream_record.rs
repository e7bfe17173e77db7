//! Stream record decoding: a DynamoDB stream batch, deserialised into
//! `aws_lambda_events::dynamodb::Event` exactly as the Lambda runtime does for the relay, through
//! `session_lambda::event_relay::outbox_records` (which converts each image and calls
//! `session_dynamodb::outbox::decode`) and `session_lambda::event_relay::handle` with a publisher
//! that fails some events.
//!
//! The first byte picks the input form:
//! - `j` (or anything else): the rest is the whole stream event's JSON (events/event-relay/);
//! - `d`: the rest is `<detail_type>\n<detail JSON>\n<occurred_at>` and becomes the attributes of
//!   one well-keyed outbox INSERT (plus a session-item MODIFY the relay must skip), so the item
//!   decoding is reached without the fuzzer having to rebuild the stream framing.
//!
//! Checks: no panic; no record is lost: every outbox record that cannot be decoded, and every one
//! whose event the publisher failed, is named as a batch item failure, and nothing else is; an
//! event decoded from the outbox re-encodes (`to_detail`) to one that decodes to the same event.

#![no_main]

use std::collections::HashSet;

use aws_lambda_events::dynamodb::Event;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use session_core::events::DomainEvent;
use session_eventbridge::{DeliveryFailure, EventPublisher, PublishReport};
use session_fuzz::block_on;
use session_lambda::event_relay;

/// Fails every event whose id ends in an odd byte, delivers the rest.
struct FlakyPublisher;

impl EventPublisher for FlakyPublisher {
    async fn publish(&self, events: &[DomainEvent]) -> PublishReport {
        let mut report = PublishReport::default();
        for event in events {
            if fails(event) {
                report.failed.push((
                    event.event_id,
                    DeliveryFailure::CallFailed {
                        message: "fuzz".into(),
                    },
                ));
            } else {
                report.delivered.push(event.event_id);
            }
        }
        report
    }
}

fn fails(event: &DomainEvent) -> bool {
    event
        .event_id
        .to_string()
        .bytes()
        .last()
        .is_some_and(|b| b % 2 == 1)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let event = match mode {
        b'd' => structured(rest),
        _ => serde_json::from_slice::<Event>(rest).ok(),
    };
    let Some(event) = event else {
        return;
    };
    block_on(check(&event));
});

async fn check(event: &Event) {
    let records = event_relay::outbox_records(event);
    assert!(records.len() <= event.records.len());
    let mut must_fail = HashSet::new();
    let mut outbox_ids = HashSet::new();
    for record in &records {
        outbox_ids.insert(record.item_identifier.clone());
        match &record.event {
            Ok(decoded) => {
                round_trip(decoded);
                if fails(decoded) {
                    must_fail.insert(record.item_identifier.clone());
                }
            }
            Err(_) => {
                must_fail.insert(record.item_identifier.clone());
            }
        }
    }
    let response = event_relay::handle(&FlakyPublisher, event).await;
    let reported: HashSet<String> = response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect();
    for id in &must_fail {
        assert!(
            reported.contains(id),
            "record {id} was not delivered and not reported as failed"
        );
    }
    for id in &reported {
        assert!(
            outbox_ids.contains(id),
            "reported {id}, which is no outbox record"
        );
    }
    // A record reported though delivered is only possible when another record with the same
    // identifier or the same event id failed; both are a redelivery, never a loss.
}

fn round_trip(event: &DomainEvent) {
    let encoded = event.to_detail();
    let decoded = DomainEvent::from_detail(event.detail_type(), encoded.clone())
        .unwrap_or_else(|e| panic!("{encoded} (decoded from the outbox) does not decode: {e}"));
    let normalised = decoded.to_detail();
    let again = DomainEvent::from_detail(decoded.detail_type(), normalised.clone())
        .unwrap_or_else(|e| panic!("{normalised} does not decode: {e}"));
    assert_eq!(
        again, decoded,
        "to_detail/from_detail is not stable for {normalised}"
    );
}

fn structured(rest: &[u8]) -> Option<Event> {
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\n');
    let detail_type = parts.next().unwrap_or_default();
    let detail = parts.next().unwrap_or_default();
    let occurred_at = parts.next();
    let pk = "EVENT#0193a1b2-c3d4-7e5f-8a6b-0000000000e1";
    let mut image = json!({
        "pk": {"S": pk},
        "sk": {"S": "EVENT"},
        "event_id": {"S": "0193a1b2-c3d4-7e5f-8a6b-0000000000e1"},
        "detail_type": {"S": detail_type},
        "detail": {"S": detail},
        "user_id": {"S": "alice"},
        "ttl": {"N": "1795276800"}
    });
    if let Some(at) = occurred_at {
        image["occurred_at"] = json!({"S": at});
    }
    let batch = json!({
        "Records": [
            record("1", "INSERT", json!({"pk": {"S": pk}, "sk": {"S": "EVENT"}}), image),
            record(
                "2",
                "MODIFY",
                json!({"pk": {"S": "SESSION#x"}, "sk": {"S": "SESSION"}}),
                json!({"pk": {"S": "SESSION#x"}}),
            ),
        ]
    });
    serde_json::from_value(batch).ok()
}

fn record(seq: &str, name: &str, keys: Value, image: Value) -> Value {
    json!({
        "eventID": format!("id-{seq}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795190400,
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": format!("11100000000000000000000{seq}"),
            "SizeBytes": 512,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions/stream/2026-11-22T00:00:00.000"
    })
}
