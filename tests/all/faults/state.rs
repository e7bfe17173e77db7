//! What a case stored, and whether it is a state the command may leave behind.
//!
//! Every case has its own user and its own id range (UUIDv7s whose timestamp is the case
//! number), so many cases share one table, and a case's items are found by key alone: the
//! user's ledger and, for every id the case drew, the session and the outbox event of that id.
//! Renaming a case's user and id prefix to the reference case's makes two cases' items directly
//! comparable, attribute by attribute.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use serde_json::{Value, json};
use session_core::ids::{EventId, SessionId, UserId};
use session_core::ports::IdGenerator;
use session_dynamodb::schema;
use uuid::Uuid;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Items by `pk`, attributes in canonical JSON form (maps sorted, sets sorted), without `ttl`
/// (outbox items' retention counts from the wall clock).
pub(crate) type Canon = BTreeMap<String, BTreeMap<String, Value>>;

/// 2026-01-01T00:00:00Z in ms: case n's ids carry the timestamp n ms later.
const ID_EPOCH_MS: u64 = 1_767_225_600_000;

/// Ids for one case: UUIDv7s with the case's own timestamp and a counter, so they are unique
/// across cases, repeatable within one, and map to another case's by their prefix.
#[derive(Debug)]
pub(crate) struct CaseIds {
    millis: u64,
    next: AtomicU64,
}

impl CaseIds {
    fn id(&self, n: u64) -> Uuid {
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&n.to_be_bytes());
        uuid::Builder::from_unix_timestamp_millis(self.millis, &random).into_uuid()
    }

    /// How many ids were drawn.
    pub(crate) fn drawn(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// Continues after `n` ids, as a copy of a case that drew `n` would.
    pub(crate) fn skip_to(&self, n: u64) {
        self.next.store(n, Ordering::SeqCst);
    }
}

impl IdGenerator for CaseIds {
    fn next_id(&self) -> Uuid {
        self.id(self.next.fetch_add(1, Ordering::SeqCst))
    }
}

/// One run of one command: its user and its ids.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) no: u64,
    pub(crate) user: String,
    pub(crate) ids: std::sync::Arc<CaseIds>,
    /// Outbox events with earlier ids (the setup's) are left out of the case's state.
    pub(crate) events_from: u64,
}

impl Case {
    pub(crate) fn new(no: u64) -> Self {
        Self {
            no,
            user: format!("fault-user-{no:08}"),
            ids: std::sync::Arc::new(CaseIds {
                millis: ID_EPOCH_MS + no,
                next: AtomicU64::new(0),
            }),
            events_from: 0,
        }
    }

    /// The value of the proxy's case header for this case's requests.
    pub(crate) fn header(&self) -> String {
        self.no.to_string()
    }

    /// What every id of this case starts with (the timestamp part of the UUID).
    fn id_prefix(&self) -> String {
        self.ids.id(0).to_string()[..13].to_owned()
    }

    /// Rewrites this case's user and ids as `other`'s.
    pub(crate) fn renamer_to(&self, other: &Case) -> Renamer {
        Renamer(vec![
            (self.id_prefix(), other.id_prefix()),
            (self.user.clone(), other.user.clone()),
        ])
    }

    /// Keys of every item the case can have written.
    fn keys(&self) -> Vec<Item> {
        let user = UserId::from_str(&self.user).expect("user id");
        let mut keys = vec![schema::ledger_key(&user)];
        for n in 0..self.ids.drawn() {
            let id = self.ids.id(n);
            keys.push(schema::session_key(SessionId::from_uuid(id)));
            keys.push(schema::index_entry_key(&user, SessionId::from_uuid(id)));
            if n >= self.events_from {
                keys.push(schema::event_key(EventId::from_uuid(id)));
                keys.push(schema::continuation_key(EventId::from_uuid(id)));
            }
        }
        keys
    }
}

/// Substring replacements applied to every string, map key and set member of an item.
#[derive(Clone, Debug)]
pub(crate) struct Renamer(Vec<(String, String)>);

impl Renamer {
    pub(crate) fn text(&self, text: &str) -> String {
        self.0
            .iter()
            .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
    }

    fn value(&self, value: &AttributeValue) -> AttributeValue {
        match value {
            AttributeValue::S(s) => AttributeValue::S(self.text(s)),
            AttributeValue::Ss(ss) => AttributeValue::Ss(ss.iter().map(|s| self.text(s)).collect()),
            AttributeValue::M(m) => AttributeValue::M(self.item(m)),
            AttributeValue::L(l) => AttributeValue::L(l.iter().map(|v| self.value(v)).collect()),
            other => other.clone(),
        }
    }

    pub(crate) fn item(&self, item: &Item) -> Item {
        item.iter()
            .map(|(k, v)| (self.text(k), self.value(v)))
            .collect()
    }
}

fn canonical(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::M(m) => json!({
            "M": m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect::<serde_json::Map<_, _>>()
        }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(canonical).collect::<Vec<_>>() }),
        AttributeValue::Ss(ss) => json!({ "SS": ss.iter().collect::<BTreeSet<_>>() }),
        AttributeValue::Ns(ns) => json!({ "NS": ns.iter().collect::<BTreeSet<_>>() }),
        other => json!({ "other": format!("{other:?}") }),
    }
}

/// `items` in canonical form.
pub(crate) fn canon(items: &[Item]) -> Canon {
    items
        .iter()
        .map(|item| {
            let pk = match item.get(schema::PK) {
                Some(AttributeValue::S(pk)) => pk.clone(),
                other => panic!("item without a string pk: {other:?}"),
            };
            // Index entries share the user's pk with the ledger, and unfinished revoke-alls
            // share one pk: their sk tells them apart.
            let pk = match item.get(schema::SK) {
                Some(AttributeValue::S(sk))
                    if sk.starts_with(schema::INDEX_SK_PREFIX) || pk == schema::CONTINUATION_PK =>
                {
                    format!("{pk}/{sk}")
                }
                _ => pk,
            };
            let attributes = item
                .iter()
                .filter(|(name, _)| name.as_str() != schema::TTL)
                .map(|(name, value)| (name.clone(), canonical(value)))
                .collect();
            (pk, attributes)
        })
        .collect()
}

/// Every item of `case`, read consistently.
pub(crate) async fn read_case(client: &Client, table: &str, case: &Case) -> Vec<Item> {
    let mut items = Vec::new();
    for chunk in case.keys().chunks(100) {
        let mut request = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .expect("keys"),
        );
        while let Some(keys) = request.take() {
            let output = client
                .batch_get_item()
                .request_items(table, keys)
                .send()
                .await
                .expect("BatchGetItem");
            if let Some(found) = output.responses.and_then(|mut r| r.remove(table)) {
                items.extend(found);
            }
            request = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys.is_empty());
        }
    }
    items
}

/// Writes `items` as they are (a case's starting state).
pub(crate) async fn write_items(client: &Client, table: &str, items: Vec<Item>) {
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .expect("put"),
                    )
                    .build()
            })
            .collect();
        while !pending.is_empty() {
            let output = client
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .expect("BatchWriteItem");
            pending = output
                .unprocessed_items
                .and_then(|mut u| u.remove(table))
                .unwrap_or_default();
        }
    }
}

/// Where a case's state stands among the states the command passes through when nothing fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    /// The state before the command (perhaps with the command's failure recorded in events).
    Unchanged,
    /// The state after the command.
    Committed,
    /// Between two of its transactions (a revoke-all in chunks), with its failure recorded.
    BetweenChunks,
    /// Between two chunks of a revoke-all, with its Attempted event standing alone and its
    /// continuation recorded: the sweep finishes it (docs/0046).
    OpenRevokeAll,
}

const FAILED_TYPES: [&str; 2] = ["SessionRevocationFailed", "AllSessionsRevocationFailed"];

fn event_type(attributes: &BTreeMap<String, Value>) -> Option<&str> {
    attributes.get("detail_type")?["S"].as_str()
}

fn event_detail(attributes: &BTreeMap<String, Value>) -> Value {
    attributes
        .get("detail")
        .and_then(|d| d["S"].as_str())
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null)
}

/// `state`'s events that are not in `pre`, by pk.
fn new_events<'a>(state: &'a Canon, pre: &Canon) -> Vec<(&'a String, &'a BTreeMap<String, Value>)> {
    state
        .iter()
        .filter(|(pk, _)| pk.starts_with(schema::EVENT_PREFIX) && !pre.contains_key(*pk))
        .collect()
}

fn revoked_sessions(state: &Canon) -> BTreeSet<String> {
    state
        .iter()
        .filter(|(pk, item)| {
            pk.starts_with(schema::SESSION_PREFIX) && item.contains_key("revocation")
        })
        .map(|(pk, _)| pk.trim_start_matches(schema::SESSION_PREFIX).to_owned())
        .collect()
}

/// Compares `state` with the reference's `checkpoints` (the states after each request of a run
/// without faults; the first is the state before the command, the last the state after it).
/// `Err` describes a state the command must never leave.
pub(crate) fn classify(state: &Canon, checkpoints: &[Canon]) -> Result<Outcome, String> {
    let pre = checkpoints.first().expect("checkpoints");
    let post = checkpoints.last().expect("checkpoints");
    check_index(state)?;
    let added = new_events(state, pre);
    let failures: Vec<&String> = added
        .iter()
        .filter(|(_, item)| event_type(item).is_some_and(|t| FAILED_TYPES.contains(&t)))
        .map(|(pk, _)| *pk)
        .collect();
    let newly_revoked: BTreeSet<String> = revoked_sessions(state)
        .difference(&revoked_sessions(pre))
        .cloned()
        .collect();
    for pk in &failures {
        let detail = event_detail(&state[*pk]);
        // A command that stops at its deadline records that instead (docs/0044).
        if detail["failure_reason"] != "store_unavailable"
            && detail["failure_reason"] != "deadline_exceeded"
        {
            return Err(format!("failure event {pk} gives another reason: {detail}"));
        }
        if let Some(so_far) = detail["revoked_so_far"].as_array() {
            let so_far: BTreeSet<String> = so_far
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect();
            if so_far != newly_revoked {
                return Err(format!(
                    "AllSessionsRevocationFailed reports {} sessions revoked so far, but {} are \
                     (events added: {})",
                    so_far.len(),
                    newly_revoked.len(),
                    diff(pre, state)
                ));
            }
        }
    }
    let rest: Canon = state
        .iter()
        .filter(|(pk, _)| !failures.contains(pk))
        .map(|(pk, item)| (pk.clone(), item.clone()))
        .collect();
    let matched = checkpoints.iter().find(|cp| {
        if **cp == rest {
            return true;
        }
        // An events-only failure record carries the command's Attempted event with it.
        !failures.is_empty()
            && cp.iter().all(|(pk, item)| rest.get(pk) == Some(item))
            && rest.iter().all(|(pk, item)| {
                cp.contains_key(pk) || event_type(item).is_some_and(|t| t.ends_with("Attempted"))
            })
    });
    let Some(matched) = matched else {
        return Err(format!(
            "a state no run without faults passes through:\n  vs before: {}\n  vs after: {}",
            diff(pre, state),
            diff(post, state)
        ));
    };
    let open = open_attempts(state, pre);
    let outcome = if matched == pre {
        Outcome::Unchanged
    } else if matched == post {
        Outcome::Committed
    } else if open.is_empty() {
        Outcome::BetweenChunks
    } else if open.iter().all(|t| t == "AllSessionsRevocationAttempted") {
        return Ok(Outcome::OpenRevokeAll);
    } else {
        return Err(format!("between transactions with {open:?} open"));
    };
    if open.is_empty() {
        Ok(outcome)
    } else {
        Err(format!("{open:?} without an outcome"))
    }
}

/// After the sweep (docs/0046) has run over a case left between the chunks of a revoke-all: every
/// Attempted event has its one outcome, no continuation is left, and the sessions revoked are
/// the ones a run without faults revokes.
pub(crate) fn check_finished_by_sweep(state: &Canon, checkpoints: &[Canon]) -> Result<(), String> {
    let pre = checkpoints.first().expect("checkpoints");
    let post = checkpoints.last().expect("checkpoints");
    check_index(state)?;
    let open = open_attempts(state, pre);
    if !open.is_empty() {
        return Err(format!("after the sweep, {open:?} without an outcome"));
    }
    if let Some(pk) = state
        .keys()
        .find(|pk| pk.starts_with(schema::CONTINUATION_PK))
    {
        return Err(format!("after the sweep, {pk} is left"));
    }
    if revoked_sessions(state) != revoked_sessions(post) {
        return Err(format!(
            "after the sweep, other sessions are revoked than a run without faults revokes: {}",
            diff(post, state)
        ));
    }
    Ok(())
}

/// The Attempted events added since `pre` that have no outcome (3-state rule, docs/0004).
fn open_attempts(state: &Canon, pre: &Canon) -> Vec<String> {
    let added = new_events(state, pre);
    let details: Vec<(&str, Value)> = added
        .iter()
        .filter_map(|(_, item)| Some((event_type(item)?, event_detail(item))))
        .collect();
    let mut open = Vec::new();
    for (kind, detail) in &details {
        let outcomes = match *kind {
            "SessionRevocationAttempted" => details
                .iter()
                .filter(|(t, d)| {
                    (*t == "SessionRevoked" || *t == "SessionRevocationFailed")
                        && d["session_id"] == detail["session_id"]
                })
                .count(),
            "AllSessionsRevocationAttempted" => details
                .iter()
                .filter(|(t, _)| *t == "AllSessionsRevoked" || *t == "AllSessionsRevocationFailed")
                .count(),
            _ => continue,
        };
        if outcomes != 1 {
            open.push(format!("{kind} with {outcomes} outcomes"));
        }
    }
    open.sort();
    open.into_iter()
        .map(|o| {
            if o == "AllSessionsRevocationAttempted with 0 outcomes" {
                "AllSessionsRevocationAttempted".to_owned()
            } else {
                o
            }
        })
        .collect()
}

/// The user's ledger names only unrevoked sessions, and on a limited tier every unrevoked session
/// that is not idle (tiers without an idle timeout: every one): no half-evicted login. The user's
/// index entries name exactly the unrevoked sessions, on every tier.
fn check_index(state: &Canon) -> Result<(), String> {
    let Some((ledger_pk, ledger)) = state
        .iter()
        .find(|(pk, _)| pk.starts_with(schema::USER_PREFIX) && !pk.contains('/'))
    else {
        return Ok(());
    };
    // The default policy's `pro` tier is unlimited: its ledger keeps no entries.
    let unlimited = ledger.get("tier") == Some(&json!({ "S": "pro" }));
    let in_ledger: BTreeSet<String> = ledger
        .get("active")
        .and_then(|a| a["M"].as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let entry_prefix = format!("{ledger_pk}/{}", schema::INDEX_SK_PREFIX);
    let in_index: BTreeSet<String> = state
        .keys()
        .filter_map(|pk| pk.strip_prefix(&entry_prefix).map(str::to_owned))
        .collect();
    let sessions: BTreeMap<String, &BTreeMap<String, Value>> = state
        .iter()
        .filter(|(pk, _)| pk.starts_with(schema::SESSION_PREFIX))
        .map(|(pk, item)| {
            (
                pk.trim_start_matches(schema::SESSION_PREFIX).to_owned(),
                item,
            )
        })
        .collect();
    for (place, ids) in [("ledger", &in_ledger), ("index", &in_index)] {
        for id in ids {
            match sessions.get(id) {
                None => return Err(format!("{place} names {id}, which has no session item")),
                Some(item) if item.contains_key("revocation") => {
                    return Err(format!("{place} still counts revoked session {id}"));
                }
                Some(_) => {}
            }
        }
    }
    for (id, item) in &sessions {
        if item.contains_key("revocation") {
            continue;
        }
        if !in_index.contains(id) {
            return Err(format!("unrevoked session {id} has no index entry"));
        }
        let idle_tier = item.contains_key("idle_timeout_secs");
        if !unlimited && !in_ledger.contains(id) && !idle_tier {
            return Err(format!("unrevoked session {id} is missing from the ledger"));
        }
    }
    Ok(())
}

/// What differs between two states, briefly (at most a few items named).
pub(crate) fn diff(expected: &Canon, actual: &Canon) -> String {
    let mut out = Vec::new();
    for (pk, item) in actual {
        match expected.get(pk) {
            None => out.push(format!(
                "+{pk} ({})",
                event_type(item).unwrap_or("not an event")
            )),
            Some(e) if e != item => {
                let changed: BTreeSet<&String> = item
                    .keys()
                    .chain(e.keys())
                    .filter(|k| item.get(*k) != e.get(*k))
                    .collect();
                out.push(format!("~{pk} {changed:?}"));
            }
            Some(_) => {}
        }
    }
    for pk in expected.keys().filter(|pk| !actual.contains_key(*pk)) {
        out.push(format!("-{pk}"));
    }
    const SHOWN: usize = 6;
    match out.len() {
        0 => "same".to_owned(),
        n if n <= SHOWN => out.join(", "),
        n => format!("{}, and {} more", out[..SHOWN].join(", "), n - SHOWN),
    }
}
