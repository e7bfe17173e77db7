//! The single-table schema: every key, attribute name, index and encoding rule the store relies
//! on, in one place. Items of several kinds share the table through the
//! generic keys `pk`/`sk`:
//!
//! | item         | pk                  | sk        | extra keys                                   |
//! |--------------|---------------------|-----------|----------------------------------------------|
//! | session      | `SESSION#<id>`      | `SESSION` | `gsi1pk=USER#<user_id>`, `gsi1sk=<created_at>#<id>`; until redacted `gsi2pk=REDACT#<shard>`, `gsi2sk=<personal data until>`; `ttl` = end + history |
//! | user ledger  | `USER#<user_id>`    | `LEDGER`  |                                              |
//! | index entry  | `USER#<user_id>`    | `ACTIVE#<session id>` | `ttl` = the session's expiry     |
//! | device       | `USER#<user_id>`    | `DEVICE#<device id>` | `ttl` = latest session's expiry (or removal) + history |
//! | outbox event | `EVENT#<event_id>`  | `EVENT`   |                                              |
//! | processed marker | `MARKER#<key>`  | `MARKER`  | `ttl` = the marker's expiry                  |
//! | idempotency record | `IDEMPOTENCY#<key>` | `IDEMPOTENCY` | `ttl` = the record's expiry      |
//! | unfinished revoke-all | `REVOKE_ALL#UNFINISHED` | `<outcome event id>` | (no `ttl`: never forgotten) |
//!
//! `gsi1` is sparse (only sessions carry its keys) and projects everything, so listing a user's
//! sessions is one Query. `gsi2` is sparse too: only sessions whose personal data is not cut
//! yet carry its keys, so the retention sweep finds the due ones with one Query per shard
//! (docs/0050). `ttl` lets DynamoDB delete old items; it deletes late, so reads never
//! rely on it. The stream (NEW_IMAGE) feeds the outbox relay.

mod table;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use session_core::cursor::CursorPosition;
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};

pub use table::{EnsureTableError, TableOptions, ensure_table, ensure_table_with};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
/// The redaction index (docs/0050): sessions by shard, sorted by when their personal data is
/// due to be cut (epoch seconds, a number).
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
/// How many partitions the redaction index spreads sessions over: a day's logins are due on
/// the same day, and one partition would take all their writes.
pub const REDACTION_SHARDS: u8 = 16;
/// The redaction index's partitions: `REDACT#0` to `REDACT#f`.
pub const REDACTION_PREFIX: &str = "REDACT#";
/// Epoch seconds after which DynamoDB may delete the item.
pub const TTL: &str = "ttl";
/// Optimistic-concurrency counter of sessions and ledgers; every write increments it.
pub const VERSION: &str = "version";

pub const SESSION_PREFIX: &str = "SESSION#";
pub const SESSION_SK: &str = "SESSION";
pub const USER_PREFIX: &str = "USER#";
pub const LEDGER_SK: &str = "LEDGER";
/// A user's index of unrevoked sessions: one item per session in the user's partition, added with
/// the session and removed with its revocation, so a consistent Query finds them all.
pub const INDEX_SK_PREFIX: &str = "ACTIVE#";
/// A user's devices (docs/0047): one item per device id the user's logins named, read with the
/// ledger in one BatchGetItem at a login.
pub const DEVICE_SK_PREFIX: &str = "DEVICE#";
/// Outbox items: the relay's stream filter selects inserts whose `pk` starts with this.
pub const EVENT_PREFIX: &str = "EVENT#";
pub const EVENT_SK: &str = "EVENT";
/// Processed markers: "this incoming event / request was handled", written with the work.
pub const MARKER_PREFIX: &str = "MARKER#";
pub const MARKER_SK: &str = "MARKER";
/// Idempotency records: the first answer to a keyed login, written with the session.
pub const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
/// Unfinished revoke-alls (docs/0046): one partition holding them all, so a sweep finds them
/// with one Query. Only revoke-alls between two chunks are there, a handful at most.
pub const CONTINUATION_PK: &str = "REVOKE_ALL#UNFINISHED";

/// How long a deleted account's ledger outlives the deletion: the audit retention, after which
/// DynamoDB's TTL erases it (its sessions go sooner, with their own TTL).
pub const ACCOUNT_RETENTION: Duration = Duration::days(90);
/// How long an outbox item is kept: the relay reads it from the stream within seconds; the item
/// itself only matters for diagnosis.
pub const EVENT_RETENTION: Duration = Duration::days(1);

/// Session attributes that expressions name (the rest are only written and read whole).
pub mod session_attr {
    pub const USER_ID: &str = "user_id";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const REVOCATION: &str = "revocation";
    pub const REFRESH_TOKEN_HASH: &str = "refresh_token_hash";
    pub const PREVIOUS_REFRESH_TOKEN_HASH: &str = "previous_refresh_token_hash";
    pub const REFRESH_ROTATED_AT: &str = "refresh_rotated_at";
    pub const LAST_ACTIVITY_AT: &str = "last_activity_at";
    pub const LAST_IP_ADDRESS: &str = "last_ip_address";
    pub const USER_AGENT: &str = "user_agent";
    pub const LAST_USER_AGENT: &str = "last_user_agent";
    pub const IDLE_TIMEOUT_SECS: &str = "idle_timeout_secs";
    /// Derived from `last_activity_at` and `idle_timeout_secs` on every write of a session with an
    /// idle timeout: the idle deadline in whole microseconds (rounded down), a number a
    /// conditional write can compare.
    pub const IDLE_DEADLINE_MICROS: &str = "idle_deadline_us";
    /// The idle timeout in microseconds, which a rotation adds to its time to move the deadline.
    pub const IDLE_TIMEOUT_MICROS: &str = "idle_timeout_us";
    /// The session's retention periods in seconds (docs/0050), written with the days they come
    /// from: a revocation adds them to its time for the new `ttl` and `gsi2sk` without a read.
    pub const HISTORY_SECS: &str = "history_secs";
    pub const IP_RETENTION_SECS: &str = "ip_retention_secs";
}

/// Ledger attributes that expressions name.
pub mod ledger_attr {
    /// Map of session id -> entry; ids are map keys so one entry can be removed without a read.
    pub const ACTIVE: &str = "active";
    /// The latest revoke-all's cutoff; conditions compare it, so it is named.
    pub const REVOKED_BEFORE: &str = "revoked_before";
    /// The account status (absent while active).
    pub const STATUS: &str = "status";
}

/// Outbox event attributes, as the relay reads them from the stream.
pub mod event_attr {
    pub const EVENT_ID: &str = "event_id";
    pub const DETAIL_TYPE: &str = "detail_type";
    /// The event's flat JSON detail, as a string (`DomainEvent::to_detail`).
    pub const DETAIL: &str = "detail";
}

pub fn session_pk(id: SessionId) -> String {
    format!("{SESSION_PREFIX}{id}")
}

pub fn ledger_pk(user_id: &UserId) -> String {
    format!("{USER_PREFIX}{user_id}")
}

pub fn event_pk(id: EventId) -> String {
    format!("{EVENT_PREFIX}{id}")
}

pub fn marker_pk(key: &str) -> String {
    format!("{MARKER_PREFIX}{key}")
}

pub fn idempotency_pk(key: &IdempotencyKey) -> String {
    format!("{IDEMPOTENCY_PREFIX}{key}")
}

/// The partition of a user's sessions in `gsi1` (same text as the ledger's `pk`, another index).
pub fn gsi1_pk(user_id: &UserId) -> String {
    format!("{USER_PREFIX}{user_id}")
}

/// Sorts a user's sessions by creation time, ties broken by id, like the cursor position.
pub fn gsi1_sk(created_at: DateTime<Utc>, id: SessionId) -> String {
    format!("{}#{id}", format_time(created_at))
}

/// The redaction index partition of a session: one of [`REDACTION_SHARDS`], from the random
/// end of its id, so every write of the session names the same one.
pub fn gsi2_pk(id: SessionId) -> String {
    let shard = id.as_uuid().as_bytes()[15] % REDACTION_SHARDS;
    format!("{REDACTION_PREFIX}{shard:x}")
}

/// Every partition of the redaction index.
pub fn gsi2_partitions() -> impl Iterator<Item = String> {
    (0..REDACTION_SHARDS).map(|shard| format!("{REDACTION_PREFIX}{shard:x}"))
}

/// Reverses [`gsi1_sk`]; `None` for text this schema did not write.
pub fn parse_gsi1_sk(text: &str) -> Option<(DateTime<Utc>, SessionId)> {
    let (at, id) = text.split_once('#')?;
    Some((parse_time(at)?, id.parse().ok()?))
}

/// A primary key (or, for an index query, an exclusive start key).
pub type Key = HashMap<String, AttributeValue>;

fn key(pairs: [(&str, String); 2]) -> Key {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), AttributeValue::S(value)))
        .collect()
}

pub fn session_key(id: SessionId) -> Key {
    key([(PK, session_pk(id)), (SK, SESSION_SK.to_owned())])
}

pub fn ledger_key(user_id: &UserId) -> Key {
    key([(PK, ledger_pk(user_id)), (SK, LEDGER_SK.to_owned())])
}

pub fn index_entry_key(user_id: &UserId, id: SessionId) -> Key {
    key([
        (PK, ledger_pk(user_id)),
        (SK, format!("{INDEX_SK_PREFIX}{id}")),
    ])
}

pub fn device_key(user_id: &UserId, device_id: &DeviceId) -> Key {
    key([
        (PK, ledger_pk(user_id)),
        (SK, format!("{DEVICE_SK_PREFIX}{device_id}")),
    ])
}

pub fn event_key(id: EventId) -> Key {
    key([(PK, event_pk(id)), (SK, EVENT_SK.to_owned())])
}

pub fn marker_key(marker: &str) -> Key {
    key([(PK, marker_pk(marker)), (SK, MARKER_SK.to_owned())])
}

pub fn idempotency_item_key(idempotency_key: &IdempotencyKey) -> Key {
    key([
        (PK, idempotency_pk(idempotency_key)),
        (SK, IDEMPOTENCY_SK.to_owned()),
    ])
}

pub fn continuation_key(outcome_id: EventId) -> Key {
    key([
        (PK, CONTINUATION_PK.to_owned()),
        (SK, outcome_id.to_string()),
    ])
}

/// The full `gsi1` position of a session (index keys plus table keys, as DynamoDB wants an
/// index query's ExclusiveStartKey), rebuilt from a cursor without reading anything.
pub fn gsi1_position(user_id: &UserId, position: &CursorPosition) -> Key {
    let mut key = session_key(position.session_id);
    key.insert(GSI1_PK.to_owned(), AttributeValue::S(gsi1_pk(user_id)));
    key.insert(
        GSI1_SK.to_owned(),
        AttributeValue::S(gsi1_sk(position.created_at, position.session_id)),
    );
    key
}

/// Reverses [`gsi1_position`] for a Query's LastEvaluatedKey; `None` when it is not one.
pub fn parse_gsi1_position(key: &Key) -> Option<CursorPosition> {
    let AttributeValue::S(sk) = key.get(GSI1_SK)? else {
        return None;
    };
    let (created_at, session_id) = parse_gsi1_sk(sk)?;
    Some(CursorPosition {
        created_at,
        session_id,
    })
}

/// Timestamps are stored as RFC 3339 UTC text with nanoseconds: fixed width (for years
/// 1000-9999), so string order is time order, which `gsi1sk` and the `expires_at > :now` filter
/// depend on; and lossless, so items read back equal what was written.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The `ttl` attribute value: whole epoch seconds, rounded up so that an item is never deleted
/// before `delete_after`.
pub fn ttl_value(delete_after: DateTime<Utc>) -> i64 {
    let seconds = delete_after.timestamp();
    if delete_after.timestamp_subsec_nanos() > 0 {
        seconds.saturating_add(1)
    } else {
        seconds
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn stored_times_sort_as_text_like_the_times_themselves() {
        let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let times = [
            base,
            base + Duration::nanoseconds(1),
            base + Duration::milliseconds(10),
            base + Duration::seconds(1),
            base + Duration::days(400),
        ];
        let texts: Vec<String> = times.iter().copied().map(format_time).collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
        assert!(
            texts.iter().all(|t| t.len() == texts[0].len()),
            "fixed width"
        );
        for (text, at) in texts.iter().zip(times) {
            assert_eq!(parse_time(text), Some(at));
        }
    }

    #[test]
    fn ttl_never_precedes_the_deletion_time() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(ttl_value(at), at.timestamp());
        assert_eq!(ttl_value(at + Duration::nanoseconds(1)), at.timestamp() + 1);
    }

    #[test]
    fn redaction_partitions_are_the_shards_sessions_land_in() {
        let partitions: Vec<String> = gsi2_partitions().collect();
        assert_eq!(partitions.len(), usize::from(REDACTION_SHARDS));
        assert_eq!(partitions[0], "REDACT#0");
        assert_eq!(partitions[15], "REDACT#f");
        let landed: std::collections::BTreeSet<String> = (0..64)
            .map(|_| gsi2_pk(SessionId::from_uuid(Uuid::now_v7())))
            .collect();
        assert!(
            landed.iter().all(|pk| partitions.contains(pk)),
            "{landed:?}"
        );
        assert!(landed.len() > 1, "spread over several: {landed:?}");
    }

    #[test]
    fn gsi1_sort_key_round_trips() {
        let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + Duration::nanoseconds(89);
        let id = SessionId::from_uuid(Uuid::now_v7());
        assert_eq!(parse_gsi1_sk(&gsi1_sk(at, id)), Some((at, id)));
        assert_eq!(parse_gsi1_sk("2026-01-01T00:00:00Z"), None);
        assert_eq!(parse_gsi1_sk("garbage#also-garbage"), None);
    }
}
