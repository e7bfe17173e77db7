//! Every event the suite sees emitted, checked against the committed contracts: its detail
//! against schemas/events/<DetailType>.json, the whole event against its registry schema
//! (draft 4, as template.yaml publishes it), and an EventBridge delivery's envelope against
//! schemas/envelope.json. A mismatch panics, failing the test that saw the event.
//!
//! The validators are compiled once per test process from the committed files (the contract
//! tests keep those equal to what the types generate). With `SESSION_TESTS_EVENT_TALLY` set to a
//! file, each check appends `<kind>\t<detail type>` to it, so a whole run (one process per test
//! under nextest) can be counted: scripts/test prints the total.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jsonschema::{Draft, PatternCache, PatternOptions, Validator};
use serde_json::{Value, json};
use session_core::events::DomainEvent;
use session_core::ids::EventId;

use super::{ENVELOPE_FILE, EVENTS_DIR, REGENERATE, registry, workspace_root};

/// Where each check is tallied (a file, appended to); unset: not tallied.
pub const TALLY_VAR: &str = "SESSION_TESTS_EVENT_TALLY";

/// The committed schemas, read once per process; each detail type's two validators compiled the
/// first time an event of that type is checked (compiling is the expensive part, and most tests
/// emit a few types).
struct Contracts {
    envelope_schema: Value,
    detail_schemas: BTreeMap<String, Value>,
    envelope: OnceLock<Validator>,
    compiled: Mutex<BTreeMap<String, Arc<Typed>>>,
}

/// One detail type's validators: its detail schema, and the registry's schema of its events.
struct Typed {
    detail: Validator,
    whole: Validator,
}

/// Compiles every validator now rather than at the first checks, for tests that time what
/// follows.
pub fn prepare() {
    let contracts = contracts();
    contracts.envelope();
    for detail_type in contracts.detail_schemas.keys() {
        contracts.typed(detail_type);
    }
}

fn contracts() -> &'static Contracts {
    static CONTRACTS: OnceLock<Contracts> = OnceLock::new();
    CONTRACTS.get_or_init(Contracts::load)
}

impl Contracts {
    fn load() -> Self {
        let mut detail_schemas = BTreeMap::new();
        let files = super::committed_event_files()
            .unwrap_or_else(|e| panic!("{EVENTS_DIR}: {e} (run {REGENERATE})"));
        for (name, text) in files {
            let schema: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{EVENTS_DIR}/{name} is not JSON: {e}"));
            detail_schemas.insert(name.trim_end_matches(".json").to_owned(), schema);
        }
        Self {
            envelope_schema: read_json(ENVELOPE_FILE),
            detail_schemas,
            envelope: OnceLock::new(),
            compiled: Mutex::default(),
        }
    }

    fn envelope(&self) -> &Validator {
        self.envelope
            .get_or_init(|| compile(&self.envelope_schema, Draft::Draft202012, ENVELOPE_FILE))
    }

    /// The validators of `detail_type`; `None` when it has no committed schema.
    fn typed(&self, detail_type: &str) -> Option<Arc<Typed>> {
        let mut compiled = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(typed) = compiled.get(detail_type) {
            return Some(Arc::clone(typed));
        }
        let schema = self.detail_schemas.get(detail_type)?;
        let whole = registry::registry_schema(detail_type, schema, &self.envelope_schema);
        let typed = Arc::new(Typed {
            detail: compile(schema, Draft::Draft202012, detail_type),
            whole: compile(&whole, Draft::Draft4, detail_type),
        });
        compiled.insert(detail_type.to_owned(), Arc::clone(&typed));
        Some(typed)
    }
}

fn read_json(path: &str) -> Value {
    let full = workspace_root().join(path);
    let text =
        fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e} (run {REGENERATE})"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// A validator that also asserts formats (`date-time`, `uuid`, `ipv4`, `ipv6`), which 2020-12
/// otherwise treats as annotations. The schemas' patterns are plain (no look-around), so the
/// linear `regex` engine runs them, each compiled once per process however many schemas repeat
/// it (most of a validator's build time).
pub fn compile(schema: &Value, draft: Draft, name: &str) -> Validator {
    static PATTERNS: OnceLock<PatternCache> = OnceLock::new();
    jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .with_pattern_options(PatternOptions::regex())
        .with_pattern_cache(PATTERNS.get_or_init(PatternCache::new).clone())
        .build(schema)
        .unwrap_or_else(|e| panic!("{name} is not a valid {draft:?} schema: {e}"))
}

/// The problems `validator` finds in `instance`, one line each; empty when it conforms.
pub fn problems(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect()
}

fn ensure(what: &str, found: &[String], instance: &Value) {
    assert!(
        found.is_empty(),
        "{what} breaks its contract:\n  {}\nevent: {instance}\n(if the event types changed on \
         purpose, run {REGENERATE})",
        found.join("\n  ")
    );
}

/// Checks one event as the outbox and the relay carry it.
pub fn check_event(event: &DomainEvent) {
    check_detail(event.detail_type(), &event.to_detail());
}

pub fn check_events(events: &[DomainEvent]) {
    events.iter().for_each(check_event);
}

/// Checks an event the first time this process sees its id, for readers that see the same events
/// again (a table's stream read from its start after every step).
pub fn check_event_once(event: &DomainEvent) {
    static SEEN: OnceLock<Mutex<HashSet<EventId>>> = OnceLock::new();
    let first = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(event.event_id);
    if first {
        check_event(event);
    }
}

/// Checks a detail against its detail type's schema, and the event it makes against the
/// registry's schema of that type (in an envelope as EventBridge would build it).
pub fn check_detail(detail_type: &str, detail: &Value) {
    let found = detail_problems(detail_type, detail);
    ensure(&format!("a {detail_type} event"), &found, detail);
    tally("detail", detail_type);
}

/// Checks an event as EventBridge delivered it (an SQS message body of a rule's target, say):
/// the envelope, its detail, and the whole against the registry's schema.
pub fn check_envelope(delivered: &Value) {
    let found = envelope_problems(delivered);
    ensure("an EventBridge event", &found, delivered);
    tally(
        "envelope",
        delivered["detail-type"].as_str().unwrap_or_default(),
    );
}

/// What is wrong with `detail` as the detail of a `detail_type` event: against its schema, and
/// as part of a whole event against the registry's schema.
pub fn detail_problems(detail_type: &str, detail: &Value) -> Vec<String> {
    let delivered = json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "sessions",
        "account": "123456789012",
        "time": "2026-02-01T09:30:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    });
    typed_problems(detail_type, detail, &delivered)
}

/// What is wrong with an event as EventBridge delivers it: its envelope, its detail, the whole.
pub fn envelope_problems(delivered: &Value) -> Vec<String> {
    let mut found = problems(contracts().envelope(), delivered)
        .into_iter()
        .map(|p| format!("envelope: {p}"))
        .collect::<Vec<_>>();
    match delivered["detail-type"].as_str() {
        Some(detail_type) => {
            found.extend(typed_problems(detail_type, &delivered["detail"], delivered))
        }
        None => found.push("no detail-type".to_owned()),
    }
    found
}

fn typed_problems(detail_type: &str, detail: &Value, delivered: &Value) -> Vec<String> {
    let Some(typed) = contracts().typed(detail_type) else {
        return vec![format!(
            "`{detail_type}` has no schema in {EVENTS_DIR}/ (run {REGENERATE})"
        )];
    };
    let mut found: Vec<String> = problems(&typed.detail, detail)
        .into_iter()
        .map(|p| format!("detail: {p}"))
        .collect();
    found.extend(
        problems(&typed.whole, delivered)
            .into_iter()
            .map(|p| format!("registry schema (draft 4): {p}")),
    );
    found
}

/// Checks one line of session-local's event output: `{"detail_type": ..., "detail": {...}}`.
pub fn check_json_line(line: &str) {
    let value: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("an event line is not JSON ({e}): {line}"));
    let detail_type = value["detail_type"]
        .as_str()
        .unwrap_or_else(|| panic!("an event line without a detail_type: {line}"));
    check_detail(detail_type, &value["detail"]);
}

fn tally(kind: &str, detail_type: &str) {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os(TALLY_VAR)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{TALLY_VAR}={}: {e}", path.to_string_lossy()));
        Some(Mutex::new(file))
    });
    if let Some(file) = file {
        // One short write per line with O_APPEND: lines of concurrent test processes never
        // interleave.
        let line = format!("{kind}\t{detail_type}\n");
        let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line.as_bytes())
            .unwrap_or_else(|e| panic!("{TALLY_VAR}: {e}"));
    }
}
