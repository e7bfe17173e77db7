//! The schemas as the template publishes them in its EventBridge schema registry.
//!
//! `AWS::EventSchemas::Schema` takes `OpenApi3` or `JSONSchemaDraft4` content. Draft 4 is the
//! nearer of the two to the 2020-12 files (OpenAPI 3.0 has no `const`, no `null` type and no
//! `$defs`), so each registry schema is the whole event (envelope with its detail) converted to
//! draft 4: `$defs` become `definitions`, `const` a one-value `enum`, a `$ref` with siblings an
//! `allOf`. Like the registry's own discovered schemas, it describes the event a rule's target
//! receives, so code bindings generated from it read whole events.

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";

/// The logical id of the registry in template.yaml.
pub const REGISTRY_ID: &str = "SessionEventSchemaRegistry";

/// The template's first and last line of the generated block.
pub const BLOCK_BEGIN: &str =
    "  # BEGIN event schema registry (generated: cargo run -p session-tests --bin event-contracts)";
pub const BLOCK_END: &str = "  # END event schema registry";

/// The logical id of a detail type's `AWS::EventSchemas::Schema`.
pub fn schema_resource_id(detail_type: &str) -> String {
    format!("{detail_type}EventSchema")
}

/// The whole event of `detail_type` in draft 4: `envelope` with its `detail-type` fixed and its
/// `detail` the event's schema.
pub fn registry_schema(detail_type: &str, detail: &Value, envelope: &Value) -> Value {
    let mut detail = detail.clone();
    let detail_map = detail
        .as_object_mut()
        .expect("a detail schema is an object");
    let definitions = detail_map.remove("$defs");
    detail_map.remove("$schema");
    let description = detail_map.get("description").cloned();

    let mut event = envelope.clone();
    let event_map = event
        .as_object_mut()
        .expect("the envelope schema is an object");
    event_map.insert("$schema".into(), json!(DRAFT_04));
    event_map.insert("title".into(), json!(detail_type));
    match description {
        Some(text) => event_map.insert("description".into(), text),
        None => event_map.remove("description"),
    };
    event["properties"]["detail-type"] = json!({ "const": detail_type });
    event["properties"]["detail"] = detail;
    if let Some(definitions) = definitions {
        event["definitions"] = definitions;
    }
    to_draft4(&mut event);
    event
}

/// Rewrites 2020-12 keywords (as schemars and the envelope use them) into their draft 4 forms.
fn to_draft4(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // Draft 4 has no boolean schemas: `true` is `{}`, `false` is `{"not": {}}`.
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    "properties" | "definitions" | "$defs" | "patternProperties" => {
                        if let Value::Object(schemas) = child {
                            schemas.values_mut().for_each(boolean_schema);
                        }
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        if let Value::Array(schemas) = child {
                            schemas.iter_mut().for_each(boolean_schema);
                        }
                    }
                    "items" | "not" => boolean_schema(child),
                    _ => {}
                }
            }
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/$defs/")
            {
                *reference = format!("#/definitions/{name}");
            }
            if let Some(constant) = map.remove("const") {
                map.insert("enum".into(), json!([constant]));
            }
            for (bound, limit) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(number @ Value::Number(_)) = map.get(bound).cloned() {
                    map.insert(limit.into(), number);
                    map.insert(bound.into(), json!(true));
                }
            }
            // Draft 4 ignores a `$ref`'s siblings: keep them by moving the reference into allOf.
            if map.contains_key("$ref") && map.len() > 1 {
                let reference = map.remove("$ref").unwrap_or(Value::Null);
                let mut all_of = vec![json!({ "$ref": reference })];
                if let Some(Value::Array(existing)) = map.remove("allOf") {
                    all_of.extend(existing);
                }
                map.insert("allOf".into(), Value::Array(all_of));
            }
            map.values_mut().for_each(to_draft4);
        }
        Value::Array(items) => items.iter_mut().for_each(to_draft4),
        _ => {}
    }
}

fn boolean_schema(schema: &mut Value) {
    match schema {
        Value::Bool(true) => *schema = json!({}),
        Value::Bool(false) => *schema = json!({ "not": {} }),
        _ => {}
    }
}

/// The template's registry resources, between [`BLOCK_BEGIN`] and [`BLOCK_END`]: the registry
/// and one schema per detail type, its content the compact JSON of [`registry_schema`].
pub fn template_block(details: &BTreeMap<String, Value>, envelope: &Value) -> String {
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line(BLOCK_BEGIN);
    line(&format!("  {REGISTRY_ID}:"));
    line("    Type: AWS::EventSchemas::Registry");
    line("    Properties:");
    line("      RegistryName: !Sub \"${AWS::StackName}-sessions\"");
    line(
        "      Description: The events this service publishes on its bus, one schema per detail \
         type (docs/events.md)",
    );
    tags(&mut line);
    for (detail_type, detail) in details {
        let content = registry_schema(detail_type, detail, envelope).to_string();
        let description = detail["description"]
            .as_str()
            .map_or_else(|| detail_type.clone(), summary);
        line("");
        line(&format!("  {}:", schema_resource_id(detail_type)));
        line("    Type: AWS::EventSchemas::Schema");
        line("    Properties:");
        line(&format!(
            "      RegistryName: !GetAtt {REGISTRY_ID}.RegistryName"
        ));
        line(&format!(
            "      SchemaName: !Sub \"${{EventSource}}@{detail_type}\""
        ));
        line("      Type: JSONSchemaDraft4");
        line(&format!(
            "      Description: {}",
            single_quoted(&description)
        ));
        line(&format!("      Content: {}", single_quoted(&content)));
        tags(&mut line);
    }
    line(BLOCK_END);
    out
}

fn tags(line: &mut impl FnMut(&str)) {
    line("      Tags:");
    line("        - { Key: service, Value: sessions }");
    line("        - { Key: stage, Value: !Ref Stage }");
}

/// The first sentence of a doc comment, on one line, within the 256 characters a schema's
/// description may have.
fn summary(doc: &str) -> String {
    let text = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = match text.split_once(". ") {
        Some((first, _)) => format!("{first}."),
        None => text,
    };
    first.chars().take(256).collect()
}

/// A YAML single-quoted scalar: no escapes but a doubled quote.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
