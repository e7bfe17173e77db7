//! EventBridge decoding: the account-events consumer (`session_lambda::account_events`) on
//! any JSON the Lambda runtime could hand it as an `EventBridgeEvent<Value>`, and
//! `session_core::events::DomainEvent::from_detail` on the same detail type and detail.
//!
//! Input: the event's JSON, as in events/account-events/*.json. Placeholders `$A1` `$A2` `$B1`
//! become the world's session ids (alice: a1, a2; bob: b1).
//!
//! Checks: no panic; the consumer never fails on the embedded store; it revokes only sessions of
//! the user the detail names, never the session a password *change* names; handling the same
//! event again changes nothing (`AlreadyHandled` or the same drop); a detail `from_detail`
//! accepts re-encodes (`to_detail`) to one that decodes to the same event.

#![no_main]

use aws_lambda_events::eventbridge::EventBridgeEvent;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use session_core::events::DomainEvent;
use session_fuzz::{World, block_on, replace_all};
use session_lambda::account_events::{AccountEventsConsumer, Outcome, PASSWORD_CHANGED};
use session_lambda::config::AuthEventsConfig;

fuzz_target!(|data: &[u8]| {
    block_on(run(data));
});

async fn run(data: &[u8]) {
    let world = World::new().await;
    let mut data = data.to_vec();
    for (from, to) in [("$A1", world.a1), ("$A2", world.a2), ("$B1", world.b1)] {
        data = replace_all(&data, from.as_bytes(), to.to_string().as_bytes());
    }

    // What the runtime would reject before our code runs is not our input.
    let Ok(event) = serde_json::from_slice::<EventBridgeEvent<Value>>(&data) else {
        return;
    };

    round_trip(&event.detail_type, event.detail.clone());

    let consumer = AccountEventsConsumer::new(
        world.sessions.clone(),
        AuthEventsConfig {
            source: "auth".into(),
            account: Some("123456789012".into()),
        },
    );
    let first = consumer
        .handle(event.clone())
        .await
        .expect("the consumer failed on the embedded store");
    if let Outcome::Revoked { session_ids } | Outcome::StatusChanged { session_ids, .. } = &first {
        assert_eq!(event.source, "auth");
        let user = event.detail["user_id"].as_str().unwrap_or_default();
        for id in session_ids {
            let owner = if *id == world.a1 || *id == world.a2 {
                "alice"
            } else if *id == world.b1 {
                "bob"
            } else {
                panic!("revoked a session that does not exist: {id}")
            };
            assert_eq!(
                owner, user,
                "an event for {user:?} revoked {owner}'s session {id}"
            );
            if event.detail_type == PASSWORD_CHANGED {
                assert_ne!(
                    Some(id.to_string().as_str()),
                    event.detail["session_id"].as_str(),
                    "a password change revoked the session that made it"
                );
            }
        }
    }
    let second = consumer
        .handle(event)
        .await
        .expect("the consumer failed on the embedded store");
    match (&first, &second) {
        (
            Outcome::Revoked { .. } | Outcome::StatusChanged { .. } | Outcome::AlreadyHandled,
            Outcome::AlreadyHandled,
        ) => {}
        (Outcome::NothingToDo, Outcome::NothingToDo | Outcome::AlreadyHandled) => {}
        (Outcome::Dropped { why: a }, Outcome::Dropped { why: b }) if a == b => {}
        _ => panic!("redelivery was not a no-op: first {first:?}, then {second:?}"),
    }
}

/// A decodable detail survives the relay's re-encoding: `to_detail` of what `from_detail` read
/// decodes to the same event (after the first decode has normalised it, e.g. the time to the
/// microsecond `to_detail` writes).
fn round_trip(detail_type: &str, detail: Value) {
    let Ok(event) = DomainEvent::from_detail(detail_type, detail) else {
        return;
    };
    let encoded = event.to_detail();
    let decoded =
        DomainEvent::from_detail(event.detail_type(), encoded.clone()).unwrap_or_else(|e| {
            panic!("{encoded} (from a decoded {detail_type}) does not decode: {e}")
        });
    let normalised = decoded.to_detail();
    let again = DomainEvent::from_detail(decoded.detail_type(), normalised.clone())
        .unwrap_or_else(|e| panic!("{normalised} does not decode: {e}"));
    assert_eq!(
        again, decoded,
        "to_detail/from_detail is not stable for {normalised}"
    );
}
