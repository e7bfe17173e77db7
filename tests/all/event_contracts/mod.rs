//! The event contracts (session_tests::event_contracts): the committed files are exactly what the
//! event types generate, the schemas say what the types' parsers say, and the checks that every
//! emitted event goes through catch what breaks a contract.

// Test code: a failed unwrap is a failed test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod values;

use std::collections::BTreeSet;
use std::fs;

use serde_json::{Value, json};
use session_tests::event_contracts::validate::{detail_problems, envelope_problems};
use session_tests::event_contracts::{
    self, EVENTS_DIR, Generated, REGENERATE, TEMPLATE_FILE, workspace_root,
};

#[test]
fn the_committed_contracts_are_what_the_event_types_generate() {
    let generated = Generated::from_types();
    let root = workspace_root();
    let mut wrong = Vec::new();
    for (path, text) in &generated.files {
        match fs::read_to_string(root.join(path)) {
            Ok(committed) if committed == *text => {}
            Ok(_) => wrong.push(format!("{path} differs")),
            Err(_) => wrong.push(format!("{path} is missing")),
        }
    }
    for name in event_contracts::committed_event_files().unwrap().keys() {
        let path = format!("{EVENTS_DIR}/{name}");
        if !generated.files.contains_key(&path) {
            wrong.push(format!("{path} is no event's schema any more"));
        }
    }
    let template = fs::read_to_string(root.join(TEMPLATE_FILE)).unwrap();
    match event_contracts::template_block_of(&template) {
        Some(block) if block == generated.template_block => {}
        Some(_) => wrong.push(format!("{TEMPLATE_FILE}'s schema registry differs")),
        None => wrong.push(format!("{TEMPLATE_FILE} has no schema registry block")),
    }
    assert!(
        wrong.is_empty(),
        "the event contracts are out of date:\n  {}\nRegenerate them with `{REGENERATE}` and \
         commit the result (a changed schema is a changed contract: see docs/events.md, \
         Versioning).",
        wrong.join("\n  ")
    );
}

/// The consumers' guide lists every event a consumer can receive, in its table of events.
#[test]
fn the_consumers_guide_lists_every_detail_type() {
    let guide = fs::read_to_string(workspace_root().join("docs/events.md")).unwrap();
    let missing: Vec<String> = Generated::from_types()
        .files
        .keys()
        .filter_map(|path| path.strip_prefix(&format!("{EVENTS_DIR}/")))
        .map(|name| name.trim_end_matches(".json").to_owned())
        .filter(|detail_type| !guide.contains(&format!("| `{detail_type}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/events.md has no row for {missing:?} in its table of events"
    );
}

#[test]
fn every_detail_type_has_a_schema_and_the_envelope_names_them_all() {
    let generated = Generated::from_types();
    let detail_types: BTreeSet<String> = generated
        .files
        .keys()
        .filter_map(|path| path.strip_prefix(&format!("{EVENTS_DIR}/")))
        .map(|name| name.trim_end_matches(".json").to_owned())
        .collect();
    // The service's events, at least those it had when the contracts were introduced.
    for known in [
        "SessionCreated",
        "SessionEvicted",
        "SessionLimitExceeded",
        "SessionRevocationAttempted",
        "SessionRevoked",
        "SessionRevocationFailed",
        "AllSessionsRevocationAttempted",
        "AllSessionsRevoked",
        "AllSessionsRevocationFailed",
        "SessionActivityUpdated",
        "SessionProviderAccess",
        "SuspiciousSessionActivity",
        "UserSessionsBlocked",
        "UserSessionsUnblocked",
    ] {
        assert!(detail_types.contains(known), "{known} has no schema");
    }
    let envelope: Value =
        serde_json::from_str(&generated.files[event_contracts::ENVELOPE_FILE]).unwrap();
    let named: BTreeSet<String> = envelope["properties"]["detail-type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(named, detail_types);
    for detail_type in &detail_types {
        let schema: Value =
            serde_json::from_str(&generated.files[&format!("{EVENTS_DIR}/{detail_type}.json")])
                .unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        for envelope_field in ["event_id", "occurred_at", "user_id"] {
            assert!(
                schema["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(envelope_field)),
                "{detail_type} must require {envelope_field}"
            );
        }
        assert_eq!(schema["additionalProperties"], false, "{detail_type}");
    }
}

/// A way to break an event, and what it is called.
type Breach = (&'static str, fn(&mut Value));

/// A real detail as `DomainEvent::to_detail` writes it.
fn revoked_detail() -> Value {
    json!({
        "event_id": "019a5c4e-8f3b-7c2d-9e1f-0a1b2c3d4e5f",
        "occurred_at": "2026-02-01T09:30:00.123456Z",
        "session_id": "019a5c4e-8f3b-7c2d-9e1f-0a1b2c3d4e60",
        "user_id": "alice",
        "reason": "manual",
        "device_info": "Chrome on macOS",
        "revoked_by_user": "alice",
        "by": { "kind": "user", "id": "alice" },
        "note": null,
    })
}

#[test]
fn a_conforming_detail_passes_and_each_kind_of_breach_is_caught() {
    assert_eq!(
        detail_problems("SessionRevoked", &revoked_detail()),
        Vec::<String>::new()
    );
    let breaches: [Breach; 9] = [
        ("a required field missing", |d| {
            d.as_object_mut().unwrap().remove("session_id");
        }),
        ("an unknown field", |d| d["color"] = json!("blue")),
        ("a reason outside the closed set", |d| {
            d["reason"] = json!("bored");
        }),
        ("a session id that is no UUID", |d| {
            d["session_id"] = json!("not-a-uuid");
        }),
        ("a time that is no RFC 3339 date-time", |d| {
            d["occurred_at"] = json!("yesterday");
        }),
        ("a user id with a space", |d| {
            d["user_id"] = json!("jane doe")
        }),
        ("an actor of an unknown kind", |d| {
            d["by"] = json!({ "kind": "robot", "id": "r2" });
        }),
        ("a system actor with an id", |d| {
            d["by"] = json!({ "kind": "system", "id": "cron" });
        }),
        ("a wrong type", |d| d["device_info"] = json!(42)),
    ];
    for (breach, apply) in breaches {
        let mut detail = revoked_detail();
        apply(&mut detail);
        let found = detail_problems("SessionRevoked", &detail);
        assert!(!found.is_empty(), "{breach} passed");
        assert!(
            found.iter().any(|p| p.starts_with("detail: ")),
            "{breach}: the detail schema missed it: {found:?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("registry schema")),
            "{breach}: the registry's draft 4 schema missed it: {found:?}"
        );
    }
    assert!(
        !detail_problems("NoSuchEvent", &revoked_detail()).is_empty(),
        "an unknown detail type has no contract to pass"
    );
}

fn delivered() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "SessionRevoked",
        "source": "sessions",
        "account": "123456789012",
        "time": "2026-02-01T09:30:01Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": revoked_detail(),
    })
}

#[test]
fn an_eventbridge_delivery_is_checked_envelope_and_detail() {
    assert_eq!(envelope_problems(&delivered()), Vec::<String>::new());
    let breaches: [Breach; 5] = [
        ("no account", |e| {
            e.as_object_mut().unwrap().remove("account");
        }),
        ("another version", |e| e["version"] = json!("1")),
        ("an unknown detail type", |e| {
            e["detail-type"] = json!("SessionTeleported");
        }),
        ("resources", |e| e["resources"] = json!(["arn:aws:x"])),
        ("a broken detail", |e| {
            e["detail"]["reason"] = json!("bored")
        }),
    ];
    for (breach, apply) in breaches {
        let mut event = delivered();
        apply(&mut event);
        assert!(!envelope_problems(&event).is_empty(), "{breach} passed");
    }
}

/// An account disabled and enabled again by support: the block, the revocations and the unblock
/// are committed through a checked store, so each is held to its contract (no other area of the
/// suite enables an account through the use cases).
#[tokio::test]
async fn an_account_blocked_and_unblocked_emits_conforming_events() {
    use std::str::FromStr;

    use session_core::Sessions;
    use session_core::domain::{Actor, PolicyConfig, RevocationReason};
    use session_core::ids::{ActorName, Note};
    use session_core::use_cases::{RequestedStatus, SetAccountStatus};
    use session_memory::MemoryStore;
    use session_tests::event_contracts::CheckedStore;
    use session_tests::fixture::{login_cmd, register, user};

    let store = MemoryStore::new();
    let sessions = Sessions::new(CheckedStore::new(store.clone()), PolicyConfig::default());
    let dana = user("dana");
    register(&sessions, &dana, "basic", None).await;
    sessions.create_session(login_cmd(&dana)).await.unwrap();
    let support = Actor::Admin {
        actor: ActorName::from_str("support:jane").unwrap(),
    };
    for (status, reason) in [
        (
            RequestedStatus::Disabled,
            Some(RevocationReason::SecurityConcern),
        ),
        (RequestedStatus::Active, None),
    ] {
        sessions
            .set_account_status(SetAccountStatus {
                user_id: dana.clone(),
                status,
                reason,
                by: support.clone(),
                note: Some(Note::from_str("verified by phone").unwrap()),
                once: None,
            })
            .await
            .unwrap();
    }
    let emitted: Vec<&str> = store
        .take_events()
        .iter()
        .map(|e| e.detail_type())
        .collect();
    for expected in [
        "UserSessionsBlocked",
        "AllSessionsRevoked",
        "UserSessionsUnblocked",
    ] {
        assert!(emitted.contains(&expected), "{expected} in {emitted:?}");
    }
}
