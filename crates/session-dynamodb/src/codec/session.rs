//! Session items: every field of the session, its keys, the `gsi1` keys that list it under its
//! user, its TTL and its version.

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::{
    Actor, Coordinates, Fix, Revocation, RevocationReason, Session, SessionRecord,
};
use session_core::ids::ProviderName;
use session_core::ports::{StoreError, Versioned};

use super::attr::{self, Item, Reader};
use crate::schema::session_attr::{EXPIRES_AT, REVOCATION, USER_ID};
use crate::schema::{self, GSI1_PK, GSI1_SK, PK, SK, TTL, VERSION};

const KIND: &str = "session";

const ID: &str = "id";
const DEVICE_INFO: &str = "device_info";
const USER_AGENT: &str = "user_agent";
const IP_ADDRESS: &str = "ip_address";
const LOCATION: &str = "location";
const CREATED_AT: &str = "created_at";
const LAST_ACTIVITY_AT: &str = "last_activity_at";
const IDLE_TIMEOUT_SECS: &str = "idle_timeout_secs";
const IS_TRUSTED: &str = "is_trusted";
const REFRESH_TOKEN_ID: &str = "refresh_token_id";
const LAST_IP_ADDRESS: &str = "last_ip_address";
const SUSPICIOUS_ACTIVITY_COUNT: &str = "suspicious_activity_count";
const LAST_PROVIDER_ACCESSED: &str = "last_provider_accessed";
const LAST_PROVIDER_SYNC_AT: &str = "last_provider_sync_at";
const PROVIDERS_ACCESSED: &str = "providers_accessed";
// Added with suspicious-activity detection: all optional, so items written before decode.
const DEVICE_TYPE: &str = "device_type";
const LAST_USER_AGENT: &str = "last_user_agent";
const LAST_COUNTRY_CODE: &str = "last_country_code";
const LAST_FIX: &str = "last_fix";
const SUSPICIOUS_REVOKE_AT_COUNT: &str = "suspicious_revoke_at_count";

const FIX_LATITUDE: &str = "lat";
const FIX_LONGITUDE: &str = "lon";
const FIX_AT: &str = "at";

const REVOKED_AT: &str = "at";
const REVOKED_REASON: &str = "reason";
const REVOKED_BY: &str = "by";
const ACTOR_TYPE: &str = "type";
const ACTOR_USER_ID: &str = "user_id";

pub(crate) fn encode_session(session: &Session, version: u64) -> Item {
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
        (
            TTL.to_owned(),
            attr::number(schema::ttl_value(
                session.expires_at + schema::SESSION_RETENTION,
            )),
        ),
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
        REFRESH_TOKEN_ID,
        session
            .refresh_token_id
            .as_ref()
            .map(|t| attr::string(t.as_str())),
    );
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
    attr::put_opt(&mut item, DEVICE_TYPE, text(&session.device_type));
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
    item
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
    let mut by = Item::new();
    let kind = match &revocation.by {
        Actor::User { user_id } => {
            by.insert(ACTOR_USER_ID.to_owned(), attr::string(user_id.as_str()));
            "user"
        }
        Actor::Service => "service",
        Actor::System => "system",
    };
    by.insert(ACTOR_TYPE.to_owned(), attr::string(kind));
    AttributeValue::M(Item::from([
        (REVOKED_AT.to_owned(), attr::time(revocation.at)),
        (
            REVOKED_REASON.to_owned(),
            attr::string(revocation.reason.as_str()),
        ),
        (REVOKED_BY.to_owned(), AttributeValue::M(by)),
    ]))
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
        refresh_token_id: r.opt_parse(REFRESH_TOKEN_ID)?,
        last_ip_address: r.opt_parse(LAST_IP_ADDRESS)?,
        suspicious_activity_count: r.number(SUSPICIOUS_ACTIVITY_COUNT)?,
        last_provider_accessed: r.opt_parse(LAST_PROVIDER_ACCESSED)?,
        last_provider_sync_at: r.opt_time(LAST_PROVIDER_SYNC_AT)?,
        providers_accessed,
        device_type: r.opt_string(DEVICE_TYPE)?,
        last_user_agent: r.opt_string(LAST_USER_AGENT)?,
        last_country_code: r.opt_string(LAST_COUNTRY_CODE)?,
        last_fix,
        suspicious_revoke_at_count: r.opt_number(SUSPICIOUS_REVOKE_AT_COUNT)?,
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
    let by = r.nested(REVOKED_BY, r.map(REVOKED_BY)?);
    let by = match by.str(ACTOR_TYPE)? {
        "user" => Actor::User {
            user_id: by.parse(ACTOR_USER_ID)?,
        },
        "service" => Actor::Service,
        "system" => Actor::System,
        other => return Err(by.corrupt(ACTOR_TYPE, format_args!("is not an actor type: {other}"))),
    };
    Ok(Revocation {
        at: r.time(REVOKED_AT)?,
        reason,
        by,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
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
        r.refresh_token_id = Some(RefreshTokenId::from_str("rt-1").unwrap());
        r.suspicious_activity_count = 3;
        r.revocation = Some(Revocation {
            at: r.created_at + Duration::minutes(1),
            reason: RevocationReason::PasswordChanged,
            by: Actor::User {
                user_id: r.user_id.clone(),
            },
        });
        r.device_type = Some("desktop".into());
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
        for by in [Actor::Service, Actor::System] {
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
    fn absent_values_are_left_out_and_keys_are_set() {
        let session = minimal();
        let item = encode_session(&session, 1);
        for absent in [
            DEVICE_INFO,
            USER_AGENT,
            IP_ADDRESS,
            LOCATION,
            REVOCATION,
            REFRESH_TOKEN_ID,
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
        let ttl = (session.expires_at() + Duration::days(30)).timestamp() + 1; // rounded up
        assert_eq!(item[TTL], attr::number(ttl));
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
