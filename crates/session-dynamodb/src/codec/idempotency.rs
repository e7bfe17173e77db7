//! Idempotency records: the first answer to a keyed login (the session as created and the ids
//! it evicted), found again by the key. TTL removes them after their expiry, late; the
//! microsecond expiry is what conditions and reads compare.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;
use session_core::ids::{IdempotencyKey, SessionId};
use session_core::ports::{IdempotencyRecord, StoreError};

use super::attr::{self, Item, Reader};
use super::session::{decode_session, encode_session};
use crate::schema::{self, PK, SK, TTL};

const KIND: &str = "idempotency";

const KEY: &str = "key";
const REQUEST_DIGEST: &str = "request_digest";
const SESSION: &str = "session";
const EVICTED_SESSION_IDS: &str = "evicted_session_ids";
const CREATED_AT: &str = "created_at";
/// Expiry in microseconds since the epoch: the commit's condition compares it with a number.
pub(crate) const EXPIRES_AT_MICROS: &str = "expires_at_us";

pub(crate) fn encode_idempotency(record: &IdempotencyRecord) -> Item {
    Item::from([
        (
            PK.to_owned(),
            attr::string(schema::idempotency_pk(&record.key)),
        ),
        (SK.to_owned(), attr::string(schema::IDEMPOTENCY_SK)),
        (
            TTL.to_owned(),
            attr::number(schema::ttl_value(record.expires_at)),
        ),
        (KEY.to_owned(), attr::string(record.key.as_str())),
        (
            REQUEST_DIGEST.to_owned(),
            attr::string(record.request_digest.as_str()),
        ),
        (
            SESSION.to_owned(),
            AttributeValue::M(encode_session(&record.session, 0)),
        ),
        (
            EVICTED_SESSION_IDS.to_owned(),
            AttributeValue::L(
                record
                    .evicted_session_ids
                    .iter()
                    .map(|id| attr::string(id.to_string()))
                    .collect(),
            ),
        ),
        (CREATED_AT.to_owned(), attr::time(record.created_at)),
        (
            EXPIRES_AT_MICROS.to_owned(),
            attr::number(record.expires_at.timestamp_micros()),
        ),
    ])
}

pub(crate) fn decode_idempotency(item: &Item) -> Result<IdempotencyRecord, StoreError> {
    let r = Reader::new(item, KIND);
    let key: IdempotencyKey = r.parse(KEY)?;
    let session = decode_session(r.map(SESSION)?)?.value;
    let evicted_session_ids = r
        .string_list(EVICTED_SESSION_IDS)?
        .into_iter()
        .map(|id| {
            id.parse::<SessionId>().map_err(|e| {
                r.corrupt(
                    EVICTED_SESSION_IDS,
                    format_args!("holds an invalid id: {e}"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let micros: i64 = r.number(EXPIRES_AT_MICROS)?;
    let expires_at = DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| r.corrupt(EXPIRES_AT_MICROS, "is out of range"))?;
    Ok(IdempotencyRecord {
        key,
        request_digest: r.str(REQUEST_DIGEST)?.to_owned(),
        session,
        evicted_session_ids,
        created_at: r.time(CREATED_AT)?,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use session_core::domain::Session;
    use session_core::domain::session::NewSession;
    use uuid::Uuid;

    use super::*;

    fn record() -> IdempotencyRecord {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap() + Duration::microseconds(7);
        let session = Session::new(NewSession {
            id: SessionId::from_uuid(Uuid::from_u128(1)),
            user_id: "alice".parse().unwrap(),
            device_info: Some("Firefox on Linux".into()),
            user_agent: Some("Mozilla/5.0".into()),
            ip_address: Some("203.0.113.9".parse().unwrap()),
            location: None,
            now,
            expires_at: now + Duration::days(1),
            idle_timeout_secs: Some(600),
            refresh_token_id: None,
            device_type: None,
            country_code: None,
            coordinates: None,
            suspicious_revoke_at_count: None,
            suspicious_step_up_at_count: None,
            max_auth_age_secs: None,
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
        });
        IdempotencyRecord {
            key: "login-7f3a".parse().unwrap(),
            request_digest: "ab12".into(),
            session,
            evicted_session_ids: vec![SessionId::from_uuid(Uuid::from_u128(2))],
            created_at: now,
            expires_at: now + Duration::hours(24),
        }
    }

    #[test]
    fn a_record_round_trips_with_the_session_as_first_answered() {
        let record = record();
        let item = encode_idempotency(&record);
        assert_eq!(item[PK], attr::string("IDEMPOTENCY#login-7f3a"));
        assert_eq!(decode_idempotency(&item).unwrap(), record);
    }

    #[test]
    fn a_record_with_a_bad_evicted_id_is_corrupt() {
        let mut item = encode_idempotency(&record());
        item.insert(
            EVICTED_SESSION_IDS.into(),
            AttributeValue::L(vec![attr::string("not-a-uuid")]),
        );
        let error = decode_idempotency(&item).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(text) if text.contains(EVICTED_SESSION_IDS)));
    }
}
