//! Session items: every field of the session, its keys, the `gsi1` keys that list it under its
//! user, the `gsi2` keys that find it when its personal data is due to be cut, its TTL and its
//! version.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use session_core::domain::{Aal, AuthMethod, AuthMethods};
use session_core::domain::{
    Coordinates, Fix, Retention, Revocation, RevocationReason, Session, SessionRecord,
};
use session_core::ids::{ProviderName, RefreshTokenId};
use session_core::ports::{StoreError, Versioned};

use super::actor::{decode_actor, encode_actor};
use super::attr::{self, Item, Reader};
use crate::schema::session_attr::{
    EXPIRES_AT, HISTORY_SECS, IDLE_DEADLINE_MICROS, IDLE_TIMEOUT_MICROS, IDLE_TIMEOUT_SECS,
    IP_RETENTION_SECS, LAST_ACTIVITY_AT, LAST_IP_ADDRESS, LAST_USER_AGENT,
    PREVIOUS_REFRESH_TOKEN_HASH, REFRESH_ROTATED_AT, REFRESH_TOKEN_HASH, REVOCATION, USER_AGENT,
    USER_ID,
};
use crate::schema::{self, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, SK, TTL, VERSION};

const KIND: &str = "session";

const ID: &str = "id";
const DEVICE_INFO: &str = "device_info";
const IP_ADDRESS: &str = "ip_address";
const LOCATION: &str = "location";
const CREATED_AT: &str = "created_at";
const IS_TRUSTED: &str = "is_trusted";
/// Items written before refresh-token rotation held the id in clear; read and hashed, never
/// written again.
const LEGACY_REFRESH_TOKEN_ID: &str = "refresh_token_id";
const SUSPICIOUS_ACTIVITY_COUNT: &str = "suspicious_activity_count";
const LAST_PROVIDER_ACCESSED: &str = "last_provider_accessed";
const LAST_PROVIDER_SYNC_AT: &str = "last_provider_sync_at";
const PROVIDERS_ACCESSED: &str = "providers_accessed";
// Added with suspicious-activity detection: all optional, so items written before decode.
const DEVICE_TYPE: &str = "device_type";
const LAST_COUNTRY_CODE: &str = "last_country_code";
const LAST_FIX: &str = "last_fix";
const SUSPICIOUS_REVOKE_AT_COUNT: &str = "suspicious_revoke_at_count";
// Added with refresh-token rotation and session assurance: absent in items written before, which
// decode with no chain, authenticated at creation, AAL 1 and no methods.
const AUTH_TIME: &str = "auth_time";
const AAL: &str = "aal";
const AMR: &str = "amr";
const STEP_UP_REQUIRED: &str = "step_up_required";
const SUSPICIOUS_STEP_UP_AT_COUNT: &str = "suspicious_step_up_at_count";
const MAX_AUTH_AGE_SECS: &str = "max_auth_age_secs";
// Added with devices (docs/0047): absent in items written before.
const DEVICE_ID: &str = "device_id";
const DEVICE_NAME: &str = "device_name";
const TRUSTED_UNTIL: &str = "trusted_until";
// Added with retention (docs/0050): items written before have the default periods and no
// redaction.
const HISTORY_DAYS: &str = "history_days";
const IP_RETENTION_DAYS: &str = "ip_retention_days";
const REDACTED_AT: &str = "redacted_at";
const SECS_PER_DAY: i64 = 86_400;

const FIX_LATITUDE: &str = "lat";
const FIX_LONGITUDE: &str = "lon";
const FIX_AT: &str = "at";

const REVOKED_AT: &str = "at";
const REVOKED_REASON: &str = "reason";
const REVOKED_BY: &str = "by";
const REVOKED_NOTE: &str = "note";

pub(crate) fn encode_session(session: &Session, version: u64) -> Item {
    let ttl = schema::ttl_value(session.history_until());
    // Until its personal data is cut, the session waits in the redaction index (docs/0050).
    let redaction_keys = (!session.is_redacted()).then(|| {
        [
            (
                GSI2_PK.to_owned(),
                attr::string(schema::gsi2_pk(session.id())),
            ),
            (
                GSI2_SK.to_owned(),
                attr::number(schema::ttl_value(session.personal_data_until())),
            ),
        ]
    });
    let retention = session.retention();
    let session = session.record();
    let mut item = Item::from([
        (PK.to_owned(), attr::string(schema::session_pk(session.id))),
        (SK.to_owned(), attr::string(schema::SESSION_SK)),
        (
            GSI1_PK.to_owned(),
            attr::string(schema::gsi1_pk(&session.user_id)),
        ),
        (
            GSI1_SK.to_owned(),
            attr::string(schema::gsi1_sk(session.created_at, session.id)),
        ),
        (TTL.to_owned(), attr::number(ttl)),
        (VERSION.to_owned(), attr::number(version)),
        (ID.to_owned(), attr::string(session.id.to_string())),
        (USER_ID.to_owned(), attr::string(session.user_id.as_str())),
        (CREATED_AT.to_owned(), attr::time(session.created_at)),
        (
            LAST_ACTIVITY_AT.to_owned(),
            attr::time(session.last_activity_at),
        ),
        (EXPIRES_AT.to_owned(), attr::time(session.expires_at)),
        (
            IS_TRUSTED.to_owned(),
            AttributeValue::Bool(session.is_trusted),
        ),
        (
            SUSPICIOUS_ACTIVITY_COUNT.to_owned(),
            attr::number(session.suspicious_activity_count),
        ),
        (
            PROVIDERS_ACCESSED.to_owned(),
            AttributeValue::L(
                session
                    .providers_accessed
                    .iter()
                    .map(|p| attr::string(p.as_str()))
                    .collect(),
            ),
        ),
    ]);
    let text = |value: &Option<String>| value.as_deref().map(attr::string);
    attr::put_opt(&mut item, DEVICE_INFO, text(&session.device_info));
    attr::put_opt(&mut item, USER_AGENT, text(&session.user_agent));
    attr::put_opt(&mut item, LOCATION, text(&session.location));
    attr::put_opt(
        &mut item,
        IP_ADDRESS,
        session.ip_address.map(|ip| attr::string(ip.to_string())),
    );
    attr::put_opt(
        &mut item,
        LAST_IP_ADDRESS,
        session
            .last_ip_address
            .map(|ip| attr::string(ip.to_string())),
    );
    attr::put_opt(
        &mut item,
        IDLE_TIMEOUT_SECS,
        session.idle_timeout_secs.map(attr::number),
    );
    attr::put_opt(
        &mut item,
        REVOCATION,
        session.revocation.as_ref().map(encode_revocation),
    );
    attr::put_opt(
        &mut item,
        REFRESH_TOKEN_HASH,
        session
            .refresh_token_hash
            .as_ref()
            .map(|t| attr::string(t.as_str())),
    );
    attr::put_opt(
        &mut item,
        PREVIOUS_REFRESH_TOKEN_HASH,
        session
            .previous_refresh_token_hash
            .as_ref()
            .map(|t| attr::string(t.as_str())),
    );
    attr::put_opt(
        &mut item,
        REFRESH_ROTATED_AT,
        session.refresh_rotated_at.map(attr::time),
    );
    item.insert(AUTH_TIME.to_owned(), attr::time(session.auth_time));
    item.insert(AAL.to_owned(), attr::number(session.aal.level()));
    item.insert(
        AMR.to_owned(),
        AttributeValue::L(
            session
                .amr
                .iter()
                .map(|m| attr::string(m.as_str()))
                .collect(),
        ),
    );
    item.insert(
        STEP_UP_REQUIRED.to_owned(),
        AttributeValue::Bool(session.step_up_required),
    );
    // The idle deadline in whole microseconds, and the timeout it moves by: numbers a refresh's
    // one-write rotation can compare and add (commit.rs) without reading the session.
    if let Some(idle) = session.idle_timeout_secs {
        let deadline = session.last_activity_at + Duration::seconds(i64::from(idle));
        item.insert(
            IDLE_DEADLINE_MICROS.to_owned(),
            attr::number(deadline.timestamp_micros()),
        );
        item.insert(
            IDLE_TIMEOUT_MICROS.to_owned(),
            attr::number(i64::from(idle) * 1_000_000),
        );
    }
    attr::put_opt(
        &mut item,
        LAST_PROVIDER_ACCESSED,
        session
            .last_provider_accessed
            .as_ref()
            .map(|p| attr::string(p.as_str())),
    );
    attr::put_opt(
        &mut item,
        LAST_PROVIDER_SYNC_AT,
        session.last_provider_sync_at.map(attr::time),
    );
    attr::put_opt(
        &mut item,
        DEVICE_TYPE,
        session.device_type.map(|kind| attr::string(kind.as_str())),
    );
    attr::put_opt(
        &mut item,
        DEVICE_ID,
        session.device_id.as_ref().map(|d| attr::string(d.as_str())),
    );
    attr::put_opt(
        &mut item,
        DEVICE_NAME,
        session
            .device_name
            .as_ref()
            .map(|d| attr::string(d.as_str())),
    );
    attr::put_opt(
        &mut item,
        TRUSTED_UNTIL,
        session.trusted_until.map(attr::time),
    );
    attr::put_opt(&mut item, LAST_USER_AGENT, text(&session.last_user_agent));
    attr::put_opt(
        &mut item,
        LAST_COUNTRY_CODE,
        text(&session.last_country_code),
    );
    attr::put_opt(&mut item, LAST_FIX, session.last_fix.map(encode_fix));
    attr::put_opt(
        &mut item,
        SUSPICIOUS_REVOKE_AT_COUNT,
        session.suspicious_revoke_at_count.map(attr::number),
    );
    attr::put_opt(
        &mut item,
        SUSPICIOUS_STEP_UP_AT_COUNT,
        session.suspicious_step_up_at_count.map(attr::number),
    );
    attr::put_opt(
        &mut item,
        MAX_AUTH_AGE_SECS,
        session.max_auth_age_secs.map(attr::number),
    );
    let (history, ip_retention) = (retention.history_days(), retention.ip_retention_days());
    item.extend([
        (HISTORY_DAYS.to_owned(), attr::number(history)),
        (IP_RETENTION_DAYS.to_owned(), attr::number(ip_retention)),
        (
            HISTORY_SECS.to_owned(),
            attr::number(i64::from(history) * SECS_PER_DAY),
        ),
        (
            IP_RETENTION_SECS.to_owned(),
            attr::number(i64::from(ip_retention) * SECS_PER_DAY),
        ),
    ]);
    attr::put_opt(&mut item, REDACTED_AT, session.redacted_at.map(attr::time));
    item.extend(redaction_keys.into_iter().flatten());
    item
}

/// The periods the item was written with; the defaults for items written before retention.
fn decode_retention(r: &Reader<'_>) -> Result<Retention, StoreError> {
    match (
        r.opt_number::<u16>(HISTORY_DAYS)?,
        r.opt_number::<u16>(IP_RETENTION_DAYS)?,
    ) {
        (None, None) => Ok(Retention::default()),
        (Some(history), Some(ip_retention)) => Retention::new(history, ip_retention)
            .map_err(|e| r.corrupt(IP_RETENTION_DAYS, format_args!("is out of range: {e:?}"))),
        _ => Err(r.corrupt(
            HISTORY_DAYS,
            format_args!("needs `{IP_RETENTION_DAYS}` beside it"),
        )),
    }
}

/// `{lat, lon, at}`. Numbers are written with Rust's shortest round-trip form, so a decoded
/// coordinate equals the encoded one exactly.
fn encode_fix(fix: Fix) -> AttributeValue {
    AttributeValue::M(Item::from([
        (
            FIX_LATITUDE.to_owned(),
            attr::number(fix.coordinates.latitude()),
        ),
        (
            FIX_LONGITUDE.to_owned(),
            attr::number(fix.coordinates.longitude()),
        ),
        (FIX_AT.to_owned(), attr::time(fix.at)),
    ]))
}

fn decode_fix(r: &Reader<'_>) -> Result<Fix, StoreError> {
    let latitude: f64 = r.number(FIX_LATITUDE)?;
    let longitude: f64 = r.number(FIX_LONGITUDE)?;
    let coordinates = Coordinates::new(latitude, longitude).ok_or_else(|| {
        r.corrupt(
            FIX_LATITUDE,
            format_args!("and `{FIX_LONGITUDE}` are out of range: {latitude}, {longitude}"),
        )
    })?;
    Ok(Fix {
        coordinates,
        at: r.time(FIX_AT)?,
    })
}

/// The `revocation` map; also the value a Revoke update sets without reading the session.
pub(crate) fn encode_revocation(revocation: &Revocation) -> AttributeValue {
    let mut map = Item::from([
        (REVOKED_AT.to_owned(), attr::time(revocation.at)),
        (
            REVOKED_REASON.to_owned(),
            attr::string(revocation.reason.as_str()),
        ),
        (REVOKED_BY.to_owned(), encode_actor(&revocation.by)),
    ]);
    attr::put_opt(
        &mut map,
        REVOKED_NOTE,
        revocation
            .note
            .as_ref()
            .map(|note| attr::string(note.as_str())),
    );
    AttributeValue::M(map)
}

pub(crate) fn decode_session(item: &Item) -> Result<Versioned<Session>, StoreError> {
    let r = Reader::new(item, KIND);
    let providers_accessed = r
        .string_list(PROVIDERS_ACCESSED)?
        .into_iter()
        .map(|name| {
            name.parse::<ProviderName>().map_err(|e| {
                r.corrupt(
                    PROVIDERS_ACCESSED,
                    format_args!("holds an invalid name: {e}"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let revocation = r
        .opt_map(REVOCATION)?
        .map(|map| decode_revocation(&r.nested(REVOCATION, map)))
        .transpose()?;
    let last_fix = r
        .opt_map(LAST_FIX)?
        .map(|map| decode_fix(&r.nested(LAST_FIX, map)))
        .transpose()?;
    let session = Session::restore(SessionRecord {
        id: r.parse(ID)?,
        user_id: r.parse(USER_ID)?,
        device_info: r.opt_string(DEVICE_INFO)?,
        user_agent: r.opt_string(USER_AGENT)?,
        ip_address: r.opt_parse(IP_ADDRESS)?,
        location: r.opt_string(LOCATION)?,
        created_at: r.time(CREATED_AT)?,
        last_activity_at: r.time(LAST_ACTIVITY_AT)?,
        expires_at: r.time(EXPIRES_AT)?,
        idle_timeout_secs: r.opt_number(IDLE_TIMEOUT_SECS)?,
        revocation,
        is_trusted: r.bool(IS_TRUSTED)?,
        refresh_token_hash: match r.opt_parse(REFRESH_TOKEN_HASH)? {
            Some(hash) => Some(hash),
            None => r
                .opt_parse::<RefreshTokenId>(LEGACY_REFRESH_TOKEN_ID)?
                .map(|id| id.hash()),
        },
        previous_refresh_token_hash: r.opt_parse(PREVIOUS_REFRESH_TOKEN_HASH)?,
        refresh_rotated_at: r.opt_time(REFRESH_ROTATED_AT)?,
        auth_time: match r.opt_time(AUTH_TIME)? {
            Some(at) => at,
            None => r.time(CREATED_AT)?,
        },
        aal: match r.opt_number::<u64>(AAL)? {
            Some(level) => Aal::from_level(level).map_err(|e| r.corrupt(AAL, e))?,
            None => Aal::Aal1,
        },
        amr: r
            .string_list(AMR)?
            .into_iter()
            .map(|text| AuthMethod::parse(text).map_err(|e| r.corrupt(AMR, e)))
            .collect::<Result<AuthMethods, _>>()?,
        step_up_required: r.opt_bool(STEP_UP_REQUIRED)?.unwrap_or(false),
        last_ip_address: r.opt_parse(LAST_IP_ADDRESS)?,
        suspicious_activity_count: r.number(SUSPICIOUS_ACTIVITY_COUNT)?,
        last_provider_accessed: r.opt_parse(LAST_PROVIDER_ACCESSED)?,
        last_provider_sync_at: r.opt_time(LAST_PROVIDER_SYNC_AT)?,
        providers_accessed,
        device_type: r.opt_parse(DEVICE_TYPE)?,
        last_user_agent: r.opt_string(LAST_USER_AGENT)?,
        last_country_code: r.opt_string(LAST_COUNTRY_CODE)?,
        last_fix,
        suspicious_revoke_at_count: r.opt_number(SUSPICIOUS_REVOKE_AT_COUNT)?,
        suspicious_step_up_at_count: r.opt_number(SUSPICIOUS_STEP_UP_AT_COUNT)?,
        max_auth_age_secs: r.opt_number(MAX_AUTH_AGE_SECS)?,
        device_id: r.opt_parse(DEVICE_ID)?,
        device_name: r.opt_parse(DEVICE_NAME)?,
        trusted_until: r.opt_time(TRUSTED_UNTIL)?,
        retention: decode_retention(&r)?,
        redacted_at: r.opt_time(REDACTED_AT)?,
    });
    Ok(Versioned {
        value: session,
        version: r.number(VERSION)?,
    })
}

fn decode_revocation(r: &Reader<'_>) -> Result<Revocation, StoreError> {
    let reason = r.str(REVOKED_REASON)?;
    let reason = RevocationReason::parse(reason).ok_or_else(|| {
        r.corrupt(
            REVOKED_REASON,
            format_args!("is not a revocation reason: {reason}"),
        )
    })?;
    let by = decode_actor(&r.nested(REVOKED_BY, r.map(REVOKED_BY)?))?;
    Ok(Revocation {
        at: r.time(REVOKED_AT)?,
        reason,
        by,
        note: r.opt_parse(REVOKED_NOTE)?,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
    use session_core::domain::Actor;
    use session_core::domain::session::NewSession;
    use session_core::ids::{RefreshTokenId, SessionId, UserId};
    use uuid::Uuid;

    use super::*;

    fn minimal() -> Session {
        let now =
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::nanoseconds(123_456_789);
        Session::new(NewSession {
            id: SessionId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_str("auth0|alice").unwrap(),
            device_info: None,
            user_agent: None,
            ip_address: None,
            location: None,
            now,
            expires_at: now + Duration::days(30),
            idle_timeout_secs: None,
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
        })
    }

    fn full() -> Session {
        let mut s = minimal();
        for p in ["plaid", "mx"] {
            s.record_provider_access(
                s.created_at() + Duration::seconds(5),
                ProviderName::from_str(p).unwrap(),
            );
        }
        let mut r = s.to_record();
        r.device_info = Some("Chrome on macOS".into());
        r.user_agent = Some("Mozilla/5.0 (Macintosh)".into());
        r.ip_address = "203.0.113.7".parse().ok();
        r.last_ip_address = "2001:db8::1".parse().ok();
        r.location = Some("Mountain View, US".into());
        r.idle_timeout_secs = Some(900);
        r.is_trusted = true;
        r.refresh_token_hash = Some(RefreshTokenId::from_str("rt-2").unwrap().hash());
        r.previous_refresh_token_hash = Some(RefreshTokenId::from_str("rt-1").unwrap().hash());
        r.refresh_rotated_at = Some(r.created_at + Duration::minutes(5));
        r.auth_time = r.created_at - Duration::seconds(30);
        r.aal = session_core::domain::Aal::Aal2;
        r.amr = [
            session_core::domain::AuthMethod::Pwd,
            session_core::domain::AuthMethod::Otp,
        ]
        .into_iter()
        .collect();
        r.step_up_required = true;
        r.suspicious_step_up_at_count = Some(1);
        r.max_auth_age_secs = Some(600);
        r.suspicious_activity_count = 3;
        r.revocation = Some(Revocation {
            at: r.created_at + Duration::minutes(1),
            reason: RevocationReason::PasswordChanged,
            by: Actor::User {
                user_id: r.user_id.clone(),
            },
            note: None,
        });
        r.device_type = Some(session_core::domain::DeviceType::Desktop);
        r.last_user_agent = Some("Mozilla/5.0 (X11; Linux x86_64)".into());
        r.last_country_code = Some("US".into());
        r.last_fix = Some(Fix {
            // Values without a short decimal form, to prove the round trip is exact.
            coordinates: Coordinates::new(37.386_000_000_000_01, -122.083_800_000_000_01).unwrap(),
            at: r.created_at + Duration::nanoseconds(5_000_123_456),
        });
        r.suspicious_revoke_at_count = Some(3);
        Session::restore(r)
    }

    #[test]
    fn sessions_round_trip_with_every_field_set_or_absent() {
        for session in [minimal(), full()] {
            let item = encode_session(&session, 7);
            let back = decode_session(&item).unwrap();
            assert_eq!(back.version, 7);
            assert_eq!(back.value, session);
        }
        for by in [
            Actor::System,
            Actor::Admin {
                actor: "support:jane".parse().unwrap(),
            },
            Actor::AuthEvent {
                event_id: "0b1e8a7c-5e0a-4d2b-9f43-7f1c2d3e4f50".parse().unwrap(),
            },
        ] {
            let mut record = full().to_record();
            if let Some(r) = record.revocation.as_mut() {
                r.by = by;
            }
            let session = Session::restore(record);
            assert_eq!(
                decode_session(&encode_session(&session, 1)).unwrap().value,
                session
            );
        }
    }

    #[test]
    fn items_written_before_rotation_hash_their_clear_refresh_token_id() {
        let expected = full();
        let mut item = encode_session(&expected, 1);
        for added in [
            REFRESH_TOKEN_HASH,
            PREVIOUS_REFRESH_TOKEN_HASH,
            REFRESH_ROTATED_AT,
            AUTH_TIME,
            AAL,
            AMR,
            STEP_UP_REQUIRED,
            SUSPICIOUS_STEP_UP_AT_COUNT,
            MAX_AUTH_AGE_SECS,
        ] {
            assert!(item.remove(added).is_some(), "{added}");
        }
        item.insert(LEGACY_REFRESH_TOKEN_ID.to_owned(), attr::string("rt-2"));
        let old = decode_session(&item).unwrap().value;
        assert_eq!(
            old.refresh_token_hash(),
            expected.refresh_token_hash(),
            "the clear id is read as its hash"
        );
        assert_eq!(old.auth_time(), old.created_at());
        assert_eq!(old.aal(), session_core::domain::Aal::Aal1);
        assert!(old.amr().is_empty() && !old.step_up_required());
        assert!(
            !encode_session(&old, 1).contains_key(LEGACY_REFRESH_TOKEN_ID),
            "the clear id is never written again"
        );
    }

    #[test]
    fn absent_values_are_left_out_and_keys_are_set() {
        let session = minimal();
        let item = encode_session(&session, 1);
        for absent in [
            DEVICE_INFO,
            USER_AGENT,
            IP_ADDRESS,
            LOCATION,
            REVOCATION,
            REFRESH_TOKEN_HASH,
            PREVIOUS_REFRESH_TOKEN_HASH,
            REFRESH_ROTATED_AT,
            DEVICE_TYPE,
            LAST_USER_AGENT,
            LAST_COUNTRY_CODE,
            LAST_FIX,
            SUSPICIOUS_REVOKE_AT_COUNT,
        ] {
            assert!(!item.contains_key(absent), "{absent}");
        }
        assert_eq!(item[PK], attr::string(format!("SESSION#{}", session.id())));
        assert_eq!(item[GSI1_PK], attr::string("USER#auth0|alice"));
        let sk = schema::gsi1_sk(session.created_at(), session.id());
        assert_eq!(item[GSI1_SK], attr::string(sk));
        let ttl = (session.expires_at() + Duration::days(90)).timestamp() + 1; // rounded up
        assert_eq!(item[TTL], attr::number(ttl));
    }

    #[test]
    fn ttl_and_redaction_keys_count_from_the_end_with_the_sessions_periods() {
        let retention = Retention::new(60, 7).unwrap();
        let mut session = minimal().kept_for(retention);
        let expiry = session.expires_at();
        let item = encode_session(&session, 1);
        assert_eq!(
            item[TTL],
            attr::number(schema::ttl_value(expiry + Duration::days(60))),
            "never revoked: from the absolute expiry"
        );
        assert_eq!(item[GSI2_PK], attr::string(schema::gsi2_pk(session.id())));
        assert_eq!(
            item[GSI2_SK],
            attr::number(schema::ttl_value(expiry + Duration::days(7)))
        );
        assert_eq!(item[HISTORY_SECS], attr::number(60 * 86_400));
        assert_eq!(item[IP_RETENTION_SECS], attr::number(7 * 86_400));

        let revoked_at = session.created_at() + Duration::days(1);
        session
            .revoke(Revocation::new(
                revoked_at,
                RevocationReason::Logout,
                Actor::System,
            ))
            .unwrap();
        let item = encode_session(&session, 2);
        assert_eq!(
            item[TTL],
            attr::number(schema::ttl_value(revoked_at + Duration::days(60))),
            "revoked: from the revocation"
        );
        assert_eq!(
            item[GSI2_SK],
            attr::number(schema::ttl_value(revoked_at + Duration::days(7)))
        );

        assert!(session.redact(revoked_at + Duration::days(7)));
        let item = encode_session(&session, 3);
        assert!(
            !item.contains_key(GSI2_PK) && !item.contains_key(GSI2_SK),
            "a redacted session leaves the redaction index"
        );
        assert_eq!(decode_session(&item).unwrap().value, session);
    }

    #[test]
    fn items_written_before_retention_decode_with_the_default_periods() {
        let session = full();
        let mut item = encode_session(&session, 1);
        for added in [
            HISTORY_DAYS,
            IP_RETENTION_DAYS,
            HISTORY_SECS,
            IP_RETENTION_SECS,
        ] {
            assert!(item.remove(added).is_some(), "{added}");
        }
        let old = decode_session(&item).unwrap().value;
        assert_eq!(old.retention(), Retention::default());
        item.insert(HISTORY_DAYS.to_owned(), attr::number(90));
        assert!(corrupt_message(&item).contains("`history_days`"));
        item.insert(IP_RETENTION_DAYS.to_owned(), attr::number(91));
        assert!(corrupt_message(&item).contains("`ip_retention_days`"));
    }

    fn corrupt_message(item: &Item) -> String {
        match decode_session(item) {
            Err(StoreError::Corrupt(message)) => message,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn malformed_items_are_corrupt_and_name_the_attribute() {
        let good = encode_session(&full(), 1);
        let cases: Vec<(&str, Option<AttributeValue>)> = vec![
            (EXPIRES_AT, None),
            (EXPIRES_AT, Some(attr::string("next tuesday"))),
            (CREATED_AT, Some(attr::number(5))),
            (ID, Some(attr::string("not-a-uuid"))),
            (USER_ID, Some(attr::string("has space"))),
            (IP_ADDRESS, Some(attr::string("999.1.1.1"))),
            (VERSION, Some(attr::string("1"))),
            (VERSION, Some(attr::number(-1))),
            (IS_TRUSTED, Some(attr::string("yes"))),
            (
                PROVIDERS_ACCESSED,
                Some(AttributeValue::L(vec![attr::number(1)])),
            ),
            (REVOCATION, Some(attr::string("revoked"))),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let message = corrupt_message(&item);
            assert!(message.contains(&format!("`{name}`")), "{name}: {message}");
            assert!(message.contains("SESSION#"), "names the item: {message}");
        }
    }

    #[test]
    fn items_written_before_detection_fields_decode_with_them_empty() {
        let mut expected = full();
        let mut item = encode_session(&expected, 1);
        for added in [
            DEVICE_TYPE,
            LAST_USER_AGENT,
            LAST_COUNTRY_CODE,
            LAST_FIX,
            SUSPICIOUS_REVOKE_AT_COUNT,
        ] {
            assert!(item.remove(added).is_some(), "{added}");
        }
        let old = decode_session(&item).unwrap().value;
        expected = session_core::domain::Session::restore({
            let mut r = expected.to_record();
            r.device_type = None;
            r
        });
        expected = session_core::domain::Session::restore({
            let mut r = expected.to_record();
            r.last_user_agent = None;
            r
        });
        expected = session_core::domain::Session::restore({
            let mut r = expected.to_record();
            r.last_country_code = None;
            r
        });
        expected = session_core::domain::Session::restore({
            let mut r = expected.to_record();
            r.last_fix = None;
            r
        });
        expected = session_core::domain::Session::restore({
            let mut r = expected.to_record();
            r.suspicious_revoke_at_count = None;
            r
        });
        assert_eq!(old, expected);
    }

    #[test]
    fn malformed_fixes_name_the_nested_attribute() {
        for (name, value) in [
            (FIX_LATITUDE, attr::number(91)),
            (FIX_LATITUDE, attr::number("NaN")),
            (FIX_LONGITUDE, attr::string("east")),
            (FIX_AT, attr::string("later")),
        ] {
            let mut item = encode_session(&full(), 1);
            if let Some(AttributeValue::M(fix)) = item.get_mut(LAST_FIX) {
                fix.insert(name.to_owned(), value);
            }
            let message = corrupt_message(&item);
            assert!(
                message.contains("in `last_fix`") && message.contains(&format!("`{name}`")),
                "{message}"
            );
        }
        let mut item = encode_session(&full(), 1);
        item.insert(SUSPICIOUS_REVOKE_AT_COUNT.to_owned(), attr::number(-1));
        assert!(corrupt_message(&item).contains("`suspicious_revoke_at_count`"));
    }

    #[test]
    fn malformed_revocations_name_the_nested_attribute() {
        let mut item = encode_session(&full(), 1);
        if let Some(AttributeValue::M(rev)) = item.get_mut(REVOCATION) {
            rev.insert(REVOKED_REASON.to_owned(), attr::string("bored"));
        }
        let message = corrupt_message(&item);
        assert!(
            message.contains("in `revocation`") && message.contains("`reason`"),
            "{message}"
        );
    }
}
