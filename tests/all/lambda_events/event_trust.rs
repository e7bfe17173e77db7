//! Event trust in the password-change consumer: an event from another source or account, of
//! another type, without a usable id, or with a detail that does not parse is dropped with its
//! reason, changes nothing and emits nothing. A trusted event for a user the service never saw
//! is dropped too, after the revoke-all it asked for records its failure.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use session_core::domain::SessionStatus;
use session_lambda::account_events::{AccountEventsConsumer, Outcome};
use session_lambda::config::AuthEventsConfig;
use session_memory::MemoryStore;
use session_tests::event_contracts::CheckedStore;

use super::repo_root;
use super::seed::{ALICE_LAPTOP, ALICE_PHONE, BOB_DEVICE, Seeded};

/// The trusted password-reset payload with one change applied.
fn reset_event_with(change: impl FnOnce(&mut Value)) -> EventBridgeEvent<Value> {
    let text =
        std::fs::read_to_string(repo_root().join("events/account-events/password-reset.json"))
            .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    change(&mut event);
    serde_json::from_value(event).unwrap()
}

/// The consumer as deployed with the payloads' source and account.
fn trusting_auth(seeded: &Seeded) -> AccountEventsConsumer<CheckedStore<MemoryStore>> {
    AccountEventsConsumer::new(
        seeded.sessions.clone(),
        AuthEventsConfig {
            source: "auth".into(),
            account: Some("123456789012".into()),
        },
    )
}

#[tokio::test]
async fn untrusted_or_malformed_auth_events_are_dropped_without_effect() {
    type Change = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "another source",
            Box::new(|e| e["source"] = json!("auth.evil")),
            "untrusted source",
        ),
        (
            "another account",
            Box::new(|e| e["account"] = json!("999999999999")),
            "untrusted account",
        ),
        (
            "no account",
            Box::new(|e| e["account"] = Value::Null),
            "untrusted account",
        ),
        (
            "unknown type",
            Box::new(|e| e["detail-type"] = json!("UserDeleted")),
            "unknown detail type",
        ),
        (
            "type in another case",
            Box::new(|e| e["detail-type"] = json!("passwordresetconfirmsucceeded")),
            "unknown detail type",
        ),
        (
            "no id",
            Box::new(|e| e["id"] = Value::Null),
            "event has no usable id",
        ),
        (
            "empty id",
            Box::new(|e| e["id"] = json!("")),
            "event has no usable id",
        ),
        (
            "oversized id",
            Box::new(|e| e["id"] = json!("x".repeat(10_000))),
            "event has no usable id",
        ),
        (
            "detail without user",
            Box::new(|e| e["detail"] = json!({})),
            "malformed detail",
        ),
        (
            "detail not an object",
            Box::new(|e| e["detail"] = json!("alice")),
            "malformed detail",
        ),
        (
            "user id with CR/LF",
            Box::new(|e| e["detail"]["user_id"] = json!("alice\r\nadmin")),
            "malformed detail",
        ),
        (
            "user id of the wrong type",
            Box::new(|e| e["detail"]["user_id"] = json!(42)),
            "malformed detail",
        ),
        (
            "session id not a UUID",
            Box::new(|e| e["detail"]["session_id"] = json!("current")),
            "malformed detail",
        ),
    ];
    let count = cases.len();
    for (what, change, why) in cases {
        let seeded = Seeded::new().await;
        let consumer = trusting_auth(&seeded);
        let outcome = consumer.handle(reset_event_with(change)).await.unwrap();
        assert_eq!(outcome, Outcome::Dropped { why }, "{what}");
        for id in [ALICE_LAPTOP, ALICE_PHONE, BOB_DEVICE] {
            assert_eq!(
                seeded.status(id).await,
                SessionStatus::Active,
                "{what}: {id}"
            );
        }
        assert!(
            seeded.store.take_events().is_empty(),
            "{what}: nothing emitted"
        );
    }
    eprintln!("auth events dropped without effect: {count}");
}

#[tokio::test]
async fn a_trusted_event_for_an_unknown_user_is_dropped_after_recording_the_failure() {
    let seeded = Seeded::new().await;
    let consumer = trusting_auth(&seeded);
    let event = reset_event_with(|e| e["detail"]["user_id"] = json!("carol"));
    let outcome = consumer.handle(event).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Dropped {
            why: "unknown user"
        }
    );
    for id in [ALICE_LAPTOP, ALICE_PHONE, BOB_DEVICE] {
        assert_eq!(seeded.status(id).await, SessionStatus::Active, "{id}");
    }
    let emitted: Vec<&str> = seeded
        .store
        .take_events()
        .iter()
        .map(|e| e.detail_type())
        .collect();
    assert_eq!(
        emitted,
        [
            "AllSessionsRevocationAttempted",
            "AllSessionsRevocationFailed"
        ],
        "the refused command is audited like any other"
    );
}
