//! The contracts as the event types define them: one JSON Schema 2020-12 per detail type (the
//! flat `detail` that `DomainEvent::to_detail` builds), the EventBridge envelope around it, and
//! the AsyncAPI document of the bus.
//!
//! The detail types are read from the schema of `EventPayload` itself (one alternative per
//! variant, tagged with its name), so a new variant gets its schema, its registry entry and its
//! AsyncAPI message without an edit here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use session_core::events::EventPayload;
use session_core::ids::EventId;

pub const JSON_SCHEMA_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The envelope fields every detail starts with (`DomainEvent::to_detail`).
const EVENT_ID_DOC: &str = "Unique id of this event (UUID v7, so ids sort by creation time). \
     Delivery is at least once: deduplicate on it.";
const OCCURRED_AT_DOC: &str = "When the change happened: RFC 3339, UTC, to the microsecond (e.g. 2026-02-01T09:30:00.123456Z).";

/// The schema of each published event's `detail`, by detail type.
pub fn detail_schemas() -> BTreeMap<String, Value> {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let event_id = Value::from(generator.subschema_for::<EventId>());
    let occurred_at = Value::from(generator.subschema_for::<DateTime<Utc>>());
    let payload = Value::from(generator.subschema_for::<EventPayload>());
    let defs = generator.take_definitions(true);
    let payload = resolve(&payload, &defs);
    let variants = payload["oneOf"]
        .as_array()
        .expect("EventPayload's schema is one alternative per variant (serde's adjacent tagging)");
    let mut schemas = BTreeMap::new();
    for variant in variants {
        let props = &variant["properties"];
        let detail_type = props["detail_type"]["const"]
            .as_str()
            .or_else(|| props["detail_type"]["enum"][0].as_str())
            .unwrap_or_else(|| panic!("a variant without a detail type: {variant}"));
        let body = resolve(&props["detail"], &defs);
        let schema = detail_schema(detail_type, &body, &event_id, &occurred_at, &defs);
        assert!(
            schemas.insert(detail_type.to_owned(), schema).is_none(),
            "two variants named {detail_type}"
        );
    }
    schemas
}

fn detail_schema(
    detail_type: &str,
    body: &Value,
    event_id: &Value,
    occurred_at: &Value,
    defs: &Map<String, Value>,
) -> Value {
    let mut properties = Map::new();
    properties.insert("event_id".into(), described(event_id, EVENT_ID_DOC));
    properties.insert(
        "occurred_at".into(),
        described(occurred_at, OCCURRED_AT_DOC),
    );
    let fields = body["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{detail_type}: the payload is not a struct"));
    for (name, field) in fields {
        assert!(
            !properties.contains_key(name),
            "{detail_type}: the payload field `{name}` would overwrite the envelope's"
        );
        properties.insert(name.clone(), field.clone());
    }
    let mut required = vec![json!("event_id"), json!("occurred_at")];
    required.extend(body["required"].as_array().cloned().unwrap_or_default());
    assert_eq!(
        body["additionalProperties"],
        json!(false),
        "{detail_type}: the payload struct must deny unknown fields"
    );

    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(JSON_SCHEMA_2020_12));
    schema.insert("title".into(), json!(detail_type));
    let doc = body
        .get("description")
        .and_then(Value::as_str)
        .or_else(|| when(detail_type));
    if let Some(doc) = doc {
        schema.insert("description".into(), json!(doc));
    }
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    schema.insert("additionalProperties".into(), json!(false));
    let mut schema = Value::Object(schema);
    let used = referenced_defs(&schema, defs);
    if !used.is_empty() {
        let own: Map<String, Value> = used
            .into_iter()
            .map(|name| (name.clone(), defs[&name].clone()))
            .collect();
        schema["$defs"] = Value::Object(own);
    }
    standard_formats(&mut schema);
    schema
}

/// When the service publishes an event whose type has no doc comment of its own (the design's
/// table of events); a doc comment on the payload type wins.
fn when(detail_type: &str) -> Option<&'static str> {
    Some(match detail_type {
        "SessionCreated" => "A login created a session.",
        "SessionEvicted" => {
            "A session was revoked to make room: by a login over the user's session limit \
             (evicted_by_session_id names it), or by a lowered limit (evicted_by_session_id null)."
        }
        "SessionLimitExceeded" => {
            "A login hit the user's session limit: evicted_session_ids lists the sessions it \
             evicted (SessionEvicted follows for each), or is empty when the login was refused."
        }
        "SessionRevocationAttempted" => {
            "A revocation of one session began; exactly one SessionRevoked or \
             SessionRevocationFailed with the same session follows."
        }
        "SessionRevoked" => "One session was revoked.",
        "SessionRevocationFailed" => {
            "A revocation of one session failed, for any cause (failure_reason is a stable \
             error code such as session_not_found or store_unavailable)."
        }
        "AllSessionsRevocationAttempted" => {
            "A revocation of every session of a user (but except_session_id, when set) began; \
             exactly one AllSessionsRevoked or AllSessionsRevocationFailed follows."
        }
        "AllSessionsRevoked" => {
            "Every session of a user (but except_session_id, when set) was revoked."
        }
        "AllSessionsRevocationFailed" => {
            "A revocation of every session of a user failed part-way or entirely; \
             revoked_so_far lists the sessions it did revoke."
        }
        "SessionActivityUpdated" => "Activity was recorded on a session.",
        "SessionProviderAccess" => "A financial data provider was accessed through a session.",
        "SuspiciousSessionActivity" => {
            "An anomaly was detected on a session (activity_type names the signal, details \
             says what an analyst needs to judge it)."
        }
        _ => return None,
    })
}

/// The EventBridge event around a detail, as a rule's target receives it.
pub fn envelope_schema(detail_types: &[&str]) -> Value {
    json!({
        "$schema": JSON_SCHEMA_2020_12,
        "title": "Session event envelope",
        "description": "A session event as EventBridge delivers it to a rule's target. `detail` \
            is the event itself: validate it with events/<detail-type>.json. EventBridge sets \
            `id`, `account`, `time` and `region`; `id` is EventBridge's own and differs between \
            retries of a publish: deduplicate on `detail.event_id`.",
        "type": "object",
        "properties": {
            "version": { "const": "0" },
            "id": { "type": "string", "minLength": 1 },
            "detail-type": {
                "description": "The event's name: which schema in events/ its detail follows.",
                "enum": detail_types,
            },
            "source": {
                "description": "The stack's EventSource parameter (`sessions` unless changed).",
                "type": "string",
                "minLength": 1,
            },
            "account": { "type": "string", "pattern": "^[0-9]{12}$" },
            "time": {
                "description": "When EventBridge received the event, to the second; the change's \
                    own time is `detail.occurred_at`.",
                "type": "string",
                "format": "date-time",
            },
            "region": { "type": "string", "minLength": 1 },
            "resources": {
                "description": "Always empty: the events name their sessions and users in the detail.",
                "type": "array",
                "maxItems": 0,
            },
            "detail": { "type": "object" },
        },
        "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
    })
}

/// The AsyncAPI 3.0 document of the session bus: one channel per detail type (what a consumer's
/// rule selects), each carrying its event as one message whose payload is the envelope with that
/// detail.
pub fn asyncapi(details: &BTreeMap<String, Value>) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for (detail_type, schema) in details {
        let summary = schema["description"]
            .as_str()
            .map(first_sentence)
            .unwrap_or_else(|| detail_type.clone());
        messages.insert(
            detail_type.clone(),
            json!({
                "name": detail_type,
                "title": detail_type,
                "summary": summary,
                "contentType": "application/json",
                "payload": {
                    "allOf": [
                        { "$ref": "./envelope.json" },
                        {
                            "type": "object",
                            "properties": {
                                "detail-type": { "const": detail_type },
                                "detail": { "$ref": format!("./events/{detail_type}.json") },
                            },
                        },
                    ],
                },
            }),
        );
        channels.insert(
            detail_type.clone(),
            json!({
                "address": detail_type,
                "title": detail_type,
                "description": format!(
                    "Events on the session bus whose `detail-type` is {detail_type} (rule \
                     pattern: {{\"source\": [\"sessions\"], \"detail-type\": [\"{detail_type}\"]}})."
                ),
                "messages": {
                    detail_type.clone(): { "$ref": format!("#/components/messages/{detail_type}") },
                },
            }),
        );
        operations.insert(
            format!("publish{detail_type}"),
            json!({
                "action": "send",
                "title": format!("Publish {detail_type}"),
                "channel": { "$ref": format!("#/channels/{detail_type}") },
                "messages": [
                    { "$ref": format!("#/channels/{detail_type}/messages/{detail_type}") },
                ],
            }),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Session service events",
            "version": "1.0.0",
            "description": "The domain events the session service publishes on its EventBridge \
                bus (the stack's EventBusName output), one channel per detail type. Delivery is \
                at least once and unordered: deduplicate on `detail.event_id` and order by \
                `detail.occurred_at` where it matters. Generated from the event types by \
                `cargo run -p session-tests --bin event-contracts`; the consumer's guide is \
                docs/events.md.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages },
    })
}

fn first_sentence(text: &str) -> String {
    let line = text.lines().collect::<Vec<_>>().join(" ");
    match line.split_once(". ") {
        Some((first, _)) => format!("{first}."),
        None => line,
    }
}

/// `schema` with `description` set (a copy).
fn described(schema: &Value, doc: &str) -> Value {
    let mut schema = schema.clone();
    schema["description"] = json!(doc);
    schema
}

/// Follows a `{"$ref": "#/$defs/Name"}` to its definition; any other schema is itself.
fn resolve(schema: &Value, defs: &Map<String, Value>) -> Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("unexpected reference {reference}"));
            defs.get(name)
                .unwrap_or_else(|| panic!("no definition {name}"))
                .clone()
        }
        None => schema.clone(),
    }
}

/// The definitions `schema` uses, directly or through other definitions.
fn referenced_defs(schema: &Value, defs: &Map<String, Value>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![schema.clone()];
    while let Some(next) = pending.pop() {
        for name in refs_in(&next) {
            if found.insert(name.clone()) {
                pending.push(
                    defs.get(&name)
                        .unwrap_or_else(|| panic!("no definition {name}"))
                        .clone(),
                );
            }
        }
    }
    found
}

fn refs_in(value: &Value) -> Vec<String> {
    let mut names = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref"
                    && let Some(name) = child.as_str().and_then(|r| r.strip_prefix("#/$defs/"))
                {
                    names.push(name.to_owned());
                } else {
                    names.extend(refs_in(child));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| names.extend(refs_in(item))),
        _ => {}
    }
    names
}

/// schemars describes an IP address as `format: ip`, which no JSON Schema draft defines: an IP
/// address is either of the standard `ipv4` and `ipv6` formats.
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("ip") {
                map.remove("format");
                map.insert(
                    "anyOf".into(),
                    json!([{ "format": "ipv4" }, { "format": "ipv6" }]),
                );
            }
            map.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}
