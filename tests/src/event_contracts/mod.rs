//! The event contracts: generated from the event types ([`generate`], [`registry`]), committed
//! under schemas/ and in template.yaml's schema registry, and checked against every event the
//! test suite sees emitted ([`validate`]): every event committed through a [`CheckedStore`], every
//! line session-local prints, every outbox record the stream carries, every delivery to a rule's
//! target.
//!
//! | file | what |
//! |---|---|
//! | `schemas/events/<DetailType>.json` | JSON Schema 2020-12 of the event's `detail` |
//! | `schemas/envelope.json` | the EventBridge event around it |
//! | `schemas/asyncapi.yaml` | AsyncAPI 3.0: one channel and message per detail type |
//! | template.yaml, between [`registry::BLOCK_BEGIN`] and [`registry::BLOCK_END`] | the schema registry: each whole event in draft 4 |
//!
//! [`REGENERATE`] rewrites them all; tests/all/event_contracts fails while any differs from what the
//! types generate.

mod checked;
pub mod generate;
pub mod registry;
pub mod validate;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use checked::CheckedStore;
pub use validate::{
    check_detail, check_envelope, check_event, check_event_once, check_events, check_json_line,
};

/// The one command that regenerates every contract file.
pub const REGENERATE: &str = "cargo run -p session-tests --bin event-contracts";

/// The folder of the per-event schemas, relative to the workspace root.
pub const EVENTS_DIR: &str = "schemas/events";
pub const ENVELOPE_FILE: &str = "schemas/envelope.json";
pub const ASYNCAPI_FILE: &str = "schemas/asyncapi.yaml";
pub const TEMPLATE_FILE: &str = "template.yaml";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Everything the generator writes.
pub struct Generated {
    /// Whole files by path relative to the workspace root, with their text.
    pub files: BTreeMap<String, String>,
    /// The schema registry's block of template.yaml.
    pub template_block: String,
}

impl Generated {
    pub fn from_types() -> Self {
        let details = generate::detail_schemas();
        let detail_types: Vec<&str> = details.keys().map(String::as_str).collect();
        let envelope = generate::envelope_schema(&detail_types);
        let mut files = BTreeMap::new();
        for (detail_type, schema) in &details {
            files.insert(format!("{EVENTS_DIR}/{detail_type}.json"), pretty(schema));
        }
        files.insert(ENVELOPE_FILE.to_owned(), pretty(&envelope));
        files.insert(
            ASYNCAPI_FILE.to_owned(),
            yaml(&generate::asyncapi(&details), &ASYNCAPI_ORDER),
        );
        let template_block = registry::template_block(&details, &envelope);
        Self {
            files,
            template_block,
        }
    }
}

/// The order of a schema's top-level keywords in the files (the rest follow, sorted): what it
/// is before how it is built.
const SCHEMA_ORDER: [&str; 9] = [
    "$schema",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "allOf",
    "$defs",
];

const ASYNCAPI_ORDER: [&str; 6] = [
    "asyncapi",
    "info",
    "defaultContentType",
    "channels",
    "operations",
    "components",
];

/// Two-space JSON with a final newline, as the files are committed; top-level keys in
/// [`SCHEMA_ORDER`], nested ones sorted.
pub fn pretty(value: &serde_json::Value) -> String {
    let serde_json::Value::Object(map) = value else {
        return format!(
            "{}\n",
            serde_json::to_string_pretty(value).expect("JSON serialises")
        );
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|key| {
        (
            SCHEMA_ORDER
                .iter()
                .position(|k| k == key)
                .unwrap_or(SCHEMA_ORDER.len()),
            key.as_str(),
        )
    });
    let members: Vec<String> = keys
        .into_iter()
        .map(|key| {
            let value = serde_json::to_string_pretty(&map[key]).expect("JSON serialises");
            format!(
                "  {}: {}",
                serde_json::Value::from(key.as_str()),
                value.replace('\n', "\n  ")
            )
        })
        .collect();
    format!("{{\n{}\n}}\n", members.join(",\n"))
}

/// YAML with the top-level keys in `order` (the rest follow, sorted).
fn yaml(value: &serde_json::Value, order: &[&str]) -> String {
    let mut document = serde_yaml::Mapping::new();
    if let serde_json::Value::Object(map) = value {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_by_key(|key| {
            (
                order.iter().position(|k| k == key).unwrap_or(order.len()),
                key.as_str(),
            )
        });
        for key in keys {
            let member = serde_yaml::to_value(&map[key]).expect("JSON is representable in YAML");
            document.insert(serde_yaml::Value::from(key.as_str()), member);
        }
    }
    serde_yaml::to_string(&document).expect("YAML serialises")
}

/// The committed per-event schema files, by file name (`SessionCreated.json`).
pub fn committed_event_files() -> io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(workspace_root().join(EVENTS_DIR))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("json")
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            files.insert(name.to_owned(), fs::read_to_string(&path)?);
        }
    }
    Ok(files)
}

/// The lines of template.yaml between the block's markers, markers included.
pub fn template_block_of(template: &str) -> Option<String> {
    let start = template.find(registry::BLOCK_BEGIN)?;
    let end_marker = template[start..].find(registry::BLOCK_END)? + start;
    let end = end_marker + registry::BLOCK_END.len();
    let end = template[end..]
        .find('\n')
        .map_or(template.len(), |i| end + i + 1);
    Some(template[start..end].to_owned())
}

/// Writes every generated file, removes per-event schemas no type generates any more, and
/// replaces the template's block. Returns the paths it changed.
pub fn write_all() -> Result<Vec<String>, String> {
    let root = workspace_root();
    let generated = Generated::from_types();
    let mut changed = Vec::new();
    let events_dir = root.join(EVENTS_DIR);
    fs::create_dir_all(&events_dir).map_err(|e| format!("{}: {e}", events_dir.display()))?;
    let stale = committed_event_files()
        .map_err(|e| format!("{EVENTS_DIR}: {e}"))?
        .into_keys()
        .map(|name| format!("{EVENTS_DIR}/{name}"))
        .filter(|path| !generated.files.contains_key(path));
    for path in stale {
        fs::remove_file(root.join(&path)).map_err(|e| format!("{path}: {e}"))?;
        changed.push(path);
    }
    for (path, text) in &generated.files {
        let full = root.join(path);
        if fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
            fs::write(&full, text).map_err(|e| format!("{path}: {e}"))?;
            changed.push(path.clone());
        }
    }
    let template_path = root.join(TEMPLATE_FILE);
    let template =
        fs::read_to_string(&template_path).map_err(|e| format!("{TEMPLATE_FILE}: {e}"))?;
    let current = template_block_of(&template).ok_or_else(|| {
        format!(
            "{TEMPLATE_FILE} has no line `{}` followed by `{}`: put the two lines where the \
             registry belongs (under Resources:) and run again",
            registry::BLOCK_BEGIN,
            registry::BLOCK_END
        )
    })?;
    if current != generated.template_block {
        let updated = template.replacen(&current, &generated.template_block, 1);
        fs::write(&template_path, updated).map_err(|e| format!("{TEMPLATE_FILE}: {e}"))?;
        changed.push(TEMPLATE_FILE.to_owned());
    }
    Ok(changed)
}
