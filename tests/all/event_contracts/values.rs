//! The schemas of the bounded values say what their parsers say: a consumer validating with the
//! schema accepts exactly the values the service can emit (for the ASCII-only identifiers; a
//! note's bound is in bytes, which a schema cannot count, so its `maxLength` is the looser bound
//! in characters).

use std::str::FromStr;

use jsonschema::Draft;
use serde_json::{Value, json};
use session_core::ids::{ActorName, AuthEventId, Note, ProviderName, SessionId, UserId};
use session_tests::event_contracts::validate::compile;
use session_tests::event_contracts::{EVENTS_DIR, Generated};
use uuid::Uuid;

/// The definition `name` as the schema of `detail_type` has it, compiled.
fn definition(detail_type: &str, name: &str) -> jsonschema::Validator {
    let generated = Generated::from_types();
    let schema: Value =
        serde_json::from_str(&generated.files[&format!("{EVENTS_DIR}/{detail_type}.json")])
            .unwrap();
    assert!(
        schema["$defs"].get(name).is_some(),
        "{detail_type} defines no {name}"
    );
    let root = json!({ "$defs": schema["$defs"], "$ref": format!("#/$defs/{name}") });
    compile(&root, Draft::Draft202012, name)
}

fn agree<T>(detail_type: &str, name: &str, samples: &[String])
where
    T: FromStr,
{
    let schema = definition(detail_type, name);
    for sample in samples {
        let parsed = T::from_str(sample).is_ok();
        let valid = schema.is_valid(&json!(sample));
        assert_eq!(
            valid, parsed,
            "{name} {sample:?}: the parser says {parsed}, the schema {valid}"
        );
    }
}

fn identifier_samples() -> Vec<String> {
    let mut samples: Vec<String> = [
        "alice",
        "auth0|5f7c8ec7c33c6c004bbafe82",
        "support:jane@example.com",
        "a.b",
        "A-Z_0+9",
        "",
        ".",
        "..",
        "-",
        "@|",
        "jane doe",
        "alice\n",
        "tab\there",
        "émile",
        "semi;colon",
        "slash/ed",
    ]
    .map(str::to_owned)
    .to_vec();
    samples.push("a".repeat(128));
    samples.push("a".repeat(129));
    samples
}

#[test]
fn identifiers() {
    agree::<UserId>("SessionRevoked", "UserId", &identifier_samples());
    agree::<ActorName>("SessionRevoked", "ActorName", &identifier_samples());
}

#[test]
fn provider_names() {
    let mut samples: Vec<String> = [
        "plaid", "mx-2", "a.b_c", "Plaid", "", "..", "pla id", "plaid!",
    ]
    .map(str::to_owned)
    .to_vec();
    samples.push("p".repeat(64));
    samples.push("p".repeat(65));
    agree::<ProviderName>("SessionProviderAccess", "ProviderName", &samples);
}

#[test]
fn auth_event_ids() {
    let mut samples: Vec<String> = [
        "0b1e8a7c-5e0a-4d2b-9f43-7f1c2d3e4f50",
        "evt_01H!#$",
        "",
        "!!!",
        "with space",
        "ümlaut",
    ]
    .map(str::to_owned)
    .to_vec();
    samples.push("e".repeat(128));
    samples.push("e".repeat(129));
    agree::<AuthEventId>("SessionRevoked", "AuthEventId", &samples);
}

#[test]
fn notes() {
    let mut samples: Vec<String> = [
        "customer called, phone stolen",
        "Kunde rief an: Handy gestohlen. 电话",
        "",
        "   ",
        "line\nbreak",
        "tab\there",
        "bell\u{7}",
        "c1 control\u{85}",
    ]
    .map(str::to_owned)
    .to_vec();
    samples.push("x".repeat(500));
    samples.push("x".repeat(501));
    agree::<Note>("SessionRevoked", "Note", &samples);
}

#[test]
fn session_ids_as_the_service_writes_them() {
    let schema = definition("SessionRevoked", "SessionId");
    for _ in 0..20 {
        let id = SessionId::from_uuid(Uuid::now_v7()).to_string();
        assert!(schema.is_valid(&json!(id)), "{id}");
    }
    for bad in [
        "not-a-uuid",
        "01932c072d3e7b4c8d5e6f7a8b9c0d1e",
        "{01932c07-2d3e-7b4c-8d5e-6f7a8b9c0d1e}",
        "",
    ] {
        assert!(!schema.is_valid(&json!(bad)), "{bad}");
        assert!(SessionId::from_str(bad).is_err(), "{bad}");
    }
}
