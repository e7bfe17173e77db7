//! What each payload under `events/<function>/` must produce: `<case>.expect.json` next to
//! `<case>.json`. Both the in-process run (`mod.rs`) and the run through scripts/invoke under
//! AWS's RIE (`invoke.rs`) read these files, so a new payload needs only its expectation file.
//!
//! One object whose keys say which kind of answer it is (unknown keys are an error):
//!
//! - an HTTP function: `{"status": 201}`; a status of 400 or more must come as a problem with a
//!   `code`. `"on_retry": "replayed"`: the same payload sent again is answered the first body,
//!   marked `Idempotent-Replayed: true`.
//! - the authorizer: `{"authorized": true, "context": {"user_id": "alice", "aal": 1, ...}}`: every
//!   key listed has that value (keys whose value moves with the clock, like `auth_age_secs`, are
//!   left out); a deny carries no context.
//! - the account-events consumer: `{"revoked": 2}` (that many sessions revoked, events
//!   emitted), `{"status_changed": "disabled", "revoked": 2}` (the account's status is now that,
//!   these many sessions revoked) or `{"dropped": "untrusted source"}` (nothing changed, nothing
//!   emitted, this reason logged); `"on_retry": "already_handled"`: a redelivery changes and
//!   emits nothing.
//! - the outbox relay: `{"relayed": ["SessionRevoked"]}`: these events published, none failed.
//! - the revoke-all sweep: `{"swept": {"finished": 0, ...}}`: its answer, exactly (what it did
//!   to the seeded state's unfinished revoke-alls, docs/0046).
//! - the retention sweep: `{"redacted": {"redacted": 0, "conflicts": 0}}`: its answer, exactly
//!   (what it did to the seeded sessions whose personal data is due, docs/0050).
//!
//! Any kind may add `"sessions_after": {"<seeded session id>": "active"}` (or `revoked`,
//! `expired`, `idle_expired`): the statuses of sessions of the seeded state afterwards.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};
use session_core::domain::SessionStatus;

use super::repo_root;

const EXPECT_SUFFIX: &str = ".expect.json";

/// A payload file and what it must produce.
pub struct Case {
    /// `<function>/<case>.json`, relative to `events/`.
    pub name: String,
    /// The function crate (binary) the payload is for: its folder.
    pub function: String,
    pub payload: String,
    pub expect: Expectation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub answer: Answer,
    pub sessions_after: BTreeMap<String, SessionStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Http {
        status: u16,
        replayed_on_retry: bool,
    },
    Authorizer {
        authorized: bool,
        context: BTreeMap<String, Value>,
    },
    Revoked {
        count: usize,
        already_handled_on_retry: bool,
    },
    StatusChanged {
        status: String,
        count: usize,
        already_handled_on_retry: bool,
    },
    Dropped {
        why: String,
    },
    Relayed {
        detail_types: Vec<String>,
    },
    Swept {
        report: Value,
    },
    Redacted {
        report: Value,
    },
}

fn events_dir() -> PathBuf {
    repo_root().join("events")
}

/// Every `events/<function>/<case>.json` payload (expectation files aside), sorted.
pub fn payload_files() -> Vec<String> {
    files_under_events(|name| name.ends_with(".json") && !name.ends_with(EXPECT_SUFFIX))
}

/// Every `events/<function>/<case>.expect.json`, sorted.
pub fn expectation_files() -> Vec<String> {
    files_under_events(|name| name.ends_with(EXPECT_SUFFIX))
}

fn files_under_events(keep: impl Fn(&str) -> bool) -> Vec<String> {
    let events = events_dir();
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&events).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let relative = file
                .strip_prefix(&events)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if keep(&relative) {
                files.push(relative);
            }
        }
    }
    files.sort();
    files
}

/// `<function>/<case>.json` -> `<function>/<case>.expect.json`.
pub fn expectation_file(payload: &str) -> String {
    let stem = payload.strip_suffix(".json").unwrap_or(payload);
    format!("{stem}{EXPECT_SUFFIX}")
}

/// Every payload with its expectation; a payload without one fails here, with its file name.
pub fn cases() -> Vec<Case> {
    payload_files()
        .into_iter()
        .map(|name| {
            let payload = std::fs::read_to_string(events_dir().join(&name)).unwrap();
            let expect_name = expectation_file(&name);
            let expect_path = events_dir().join(&expect_name);
            let text = std::fs::read_to_string(&expect_path).unwrap_or_else(|e| {
                panic!("events/{name} has no expectation: write events/{expect_name} ({e})")
            });
            let expect =
                Expectation::parse(&text).unwrap_or_else(|e| panic!("events/{expect_name}: {e}"));
            let function = name.split('/').next().unwrap().to_owned();
            Case {
                name,
                function,
                payload,
                expect,
            }
        })
        .collect()
}

impl Expectation {
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(mut fields) = value else {
            return Err("must be a JSON object".into());
        };
        let sessions_after = match fields.remove("sessions_after") {
            None => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(id, status)| Ok((id, session_status(&status)?)))
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("sessions_after must be an object, got {other}")),
        };
        let on_retry = match fields.remove("on_retry") {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => return Err(format!("on_retry must be a string, got {other}")),
        };
        let answer = answer(&mut fields, on_retry.as_deref())?;
        if let Some(key) = fields.keys().next() {
            return Err(format!("unknown key `{key}` for this kind of answer"));
        }
        Ok(Self {
            answer,
            sessions_after,
        })
    }
}

fn answer(fields: &mut Map<String, Value>, on_retry: Option<&str>) -> Result<Answer, String> {
    // Whether the answer's one retry behaviour is asked for; None: it has none.
    let retry_must_be = |allowed: Option<&str>| match (on_retry, allowed) {
        (None, _) => Ok(false),
        (Some(r), Some(allowed)) if r == allowed => Ok(true),
        (Some(r), Some(allowed)) => Err(format!("on_retry `{r}`: here only `{allowed}`")),
        (Some(_), None) => Err("this kind of answer has no on_retry".to_owned()),
    };
    if let Some(status) = fields.remove("status") {
        let status = status
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s))
            .ok_or("status must be an HTTP status code")?;
        return Ok(Answer::Http {
            status,
            replayed_on_retry: retry_must_be(Some("replayed"))?,
        });
    }
    if let Some(authorized) = fields.remove("authorized") {
        let authorized = authorized
            .as_bool()
            .ok_or("authorized must be true or false")?;
        let context = match fields.remove("context") {
            None => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok((k, v)),
                    other => Err(format!(
                        "context.{k} must be a string, number or boolean, got {other}"
                    )),
                })
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("context must be an object, got {other}")),
        };
        if !authorized && !context.is_empty() {
            return Err("a deny carries no context".into());
        }
        retry_must_be(None)?;
        return Ok(Answer::Authorizer {
            authorized,
            context,
        });
    }
    if let Some(status) = fields.remove("status_changed") {
        let status = status
            .as_str()
            .ok_or("status_changed must be the account's new status")?
            .to_owned();
        let count = match fields.remove("revoked") {
            None => 0,
            Some(count) => count
                .as_u64()
                .and_then(|c| usize::try_from(c).ok())
                .ok_or("revoked must be a count")?,
        };
        return Ok(Answer::StatusChanged {
            status,
            count,
            already_handled_on_retry: retry_must_be(Some("already_handled"))?,
        });
    }
    if let Some(count) = fields.remove("revoked") {
        let count = count
            .as_u64()
            .and_then(|c| usize::try_from(c).ok())
            .ok_or("revoked must be a count")?;
        return Ok(Answer::Revoked {
            count,
            already_handled_on_retry: retry_must_be(Some("already_handled"))?,
        });
    }
    if let Some(why) = fields.remove("dropped") {
        let why = why.as_str().ok_or("dropped must be the reason logged")?;
        retry_must_be(None)?;
        return Ok(Answer::Dropped {
            why: why.to_owned(),
        });
    }
    if let Some(relayed) = fields.remove("relayed") {
        let detail_types = relayed
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or("relayed must be a list of detail types")?;
        retry_must_be(None)?;
        return Ok(Answer::Relayed { detail_types });
    }
    if let Some(report) = fields.remove("swept") {
        if !report.is_object() {
            return Err("swept must be the sweep's answer, an object".into());
        }
        retry_must_be(None)?;
        return Ok(Answer::Swept { report });
    }
    if let Some(report) = fields.remove("redacted") {
        if !report.is_object() {
            return Err("redacted must be the retention sweep's answer, an object".into());
        }
        retry_must_be(None)?;
        return Ok(Answer::Redacted { report });
    }
    Err(
        "no answer: expected one of status, authorized, revoked, dropped, relayed, swept, \
         redacted"
            .into(),
    )
}

fn session_status(value: &Value) -> Result<SessionStatus, String> {
    match value.as_str() {
        Some("active") => Ok(SessionStatus::Active),
        Some("revoked") => Ok(SessionStatus::Revoked),
        Some("expired") => Ok(SessionStatus::Expired),
        Some("idle_expired") => Ok(SessionStatus::IdleExpired),
        _ => Err(format!(
            "a session status is active, revoked, expired or idle_expired; got {value}"
        )),
    }
}

/// The authorizer's context has every expected key with its value; a deny (no expected keys)
/// carries none at all.
pub fn assert_context(actual: &Map<String, Value>, expected: &BTreeMap<String, Value>, file: &str) {
    if expected.is_empty() {
        assert!(
            actual.is_empty(),
            "{file}: a deny carries no context: {actual:?}"
        );
    }
    for (key, value) in expected {
        assert_eq!(actual.get(key), Some(value), "{file}: context.{key}");
    }
}
