//! User ledger items: the user's policy, the index of their possibly-active sessions and the
//! version every ledger write is conditioned on.

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::sighting::Sightings;
use session_core::domain::{AccountStatus, ActiveEntry, UserLedger, UserPolicy};
use session_core::ids::{SessionId, UserId};
use session_core::ports::{StoreError, Versioned};

use super::actor::{decode_actor, encode_actor};
use super::attr::{self, Item, Reader};
use crate::schema::ledger_attr::{ACTIVE, REVOKED_BEFORE, STATUS};
use crate::schema::{self, PK, SK, TTL, VERSION};

const KIND: &str = "ledger";
const INDEX_KIND: &str = "index entry";
const SESSION_ID: &str = "session_id";

const USER_ID: &str = "user_id";
const TIER: &str = "tier";
const MAX_SESSIONS: &str = "max_sessions";
const CREATED_AT: &str = "created_at";
const EXPIRES_AT: &str = "expires_at";
const DEVICE_INFO: &str = "device_info";
const STATUS_STATE: &str = "state";
const STATUS_SINCE: &str = "since";
const STATUS_BY: &str = "by";
const FIRST_LOGIN_AT: &str = "first_login_at";
/// Browser, OS and country combinations by when each was last seen (docs/0049).
const SIGHTINGS: &str = "sightings";

pub(crate) fn encode_ledger(ledger: &UserLedger, version: u64) -> Item {
    // `active` is always present, even empty: REMOVE of `active.<id>` needs the map to exist.
    let active = ledger
        .active
        .iter()
        .map(|(id, entry)| (id.to_string(), encode_entry(entry)))
        .collect();
    let mut item = Item::from([
        (
            PK.to_owned(),
            attr::string(schema::ledger_pk(&ledger.user_id)),
        ),
        (SK.to_owned(), attr::string(schema::LEDGER_SK)),
        (VERSION.to_owned(), attr::number(version)),
        (USER_ID.to_owned(), attr::string(ledger.user_id.as_str())),
        (TIER.to_owned(), attr::string(ledger.policy.tier.as_str())),
        (ACTIVE.to_owned(), AttributeValue::M(active)),
    ]);
    attr::put_opt(
        &mut item,
        MAX_SESSIONS,
        ledger.policy.max_sessions.map(attr::number),
    );
    attr::put_opt(&mut item, STATUS, encode_status(&ledger.status));
    attr::put_opt(
        &mut item,
        REVOKED_BEFORE,
        ledger.revoked_before.map(attr::time),
    );
    attr::put_opt(
        &mut item,
        FIRST_LOGIN_AT,
        ledger.first_login_at.map(attr::time),
    );
    attr::put_opt(
        &mut item,
        SIGHTINGS,
        ledger.sightings.as_ref().map(|sightings| {
            AttributeValue::M(
                sightings
                    .as_map()
                    .iter()
                    .map(|(key, seen)| (key.clone(), attr::time(*seen)))
                    .collect(),
            )
        }),
    );
    // A deleted account's ledger goes after the audit retention, with the rest of its data.
    if let AccountStatus::Deleted { since } = ledger.status {
        item.insert(
            TTL.to_owned(),
            attr::number(schema::ttl_value(since + schema::ACCOUNT_RETENTION)),
        );
    }
    item
}

/// The `status` map; also the value a revoke-all's first chunk sets without reading the ledger.
pub(crate) fn encode_status(status: &AccountStatus) -> Option<AttributeValue> {
    let (state, since, by) = match status {
        AccountStatus::Active => return None,
        AccountStatus::Disabled { since, by } => ("disabled", since, Some(by)),
        AccountStatus::Deleted { since } => ("deleted", since, None),
    };
    let mut map = Item::from([
        (STATUS_STATE.to_owned(), attr::string(state)),
        (STATUS_SINCE.to_owned(), attr::time(*since)),
    ]);
    attr::put_opt(&mut map, STATUS_BY, by.map(encode_actor));
    Some(AttributeValue::M(map))
}

fn decode_status(r: &Reader<'_>) -> Result<AccountStatus, StoreError> {
    let Some(map) = r.opt_map(STATUS)? else {
        return Ok(AccountStatus::Active);
    };
    let status = r.nested(STATUS, map);
    match status.str(STATUS_STATE)? {
        "disabled" => Ok(AccountStatus::Disabled {
            since: status.time(STATUS_SINCE)?,
            by: decode_actor(&status.nested(STATUS_BY, status.map(STATUS_BY)?))?,
        }),
        "deleted" => Ok(AccountStatus::Deleted {
            since: status.time(STATUS_SINCE)?,
        }),
        other => Err(status.corrupt(
            STATUS_STATE,
            format_args!("is not an account state: {other}"),
        )),
    }
}

fn encode_entry(entry: &ActiveEntry) -> AttributeValue {
    let mut map = Item::from([
        (CREATED_AT.to_owned(), attr::time(entry.created_at)),
        (EXPIRES_AT.to_owned(), attr::time(entry.expires_at)),
    ]);
    attr::put_opt(
        &mut map,
        DEVICE_INFO,
        entry.device_info.as_deref().map(attr::string),
    );
    AttributeValue::M(map)
}

/// An entry of the user's index of unrevoked sessions (schema::INDEX_SK_PREFIX): what a
/// revoke-all needs of the session, and a TTL at its expiry.
pub(crate) fn encode_index_entry(user_id: &UserId, id: SessionId, entry: &ActiveEntry) -> Item {
    let mut item = schema::index_entry_key(user_id, id);
    item.insert(SESSION_ID.to_owned(), attr::string(id.to_string()));
    if let AttributeValue::M(fields) = encode_entry(entry) {
        item.extend(fields);
    }
    item.insert(
        TTL.to_owned(),
        attr::number(schema::ttl_value(entry.expires_at)),
    );
    item
}

pub(crate) fn decode_index_entry(item: &Item) -> Result<(SessionId, ActiveEntry), StoreError> {
    let r = Reader::new(item, INDEX_KIND);
    Ok((
        r.parse(SESSION_ID)?,
        ActiveEntry {
            created_at: r.time(CREATED_AT)?,
            expires_at: r.time(EXPIRES_AT)?,
            device_info: r.opt_string(DEVICE_INFO)?,
        },
    ))
}

fn decode_sightings(r: &Reader<'_>) -> Result<Option<Sightings>, StoreError> {
    let Some(map) = r.opt_map(SIGHTINGS)? else {
        return Ok(None);
    };
    let sightings = r.nested(SIGHTINGS, map);
    map.keys()
        .map(|key| Ok((key.clone(), sightings.time(key)?)))
        .collect::<Result<_, StoreError>>()
        .map(|last_seen| Some(Sightings::from_map(last_seen)))
}

pub(crate) fn decode_ledger(item: &Item) -> Result<Versioned<UserLedger>, StoreError> {
    let r = Reader::new(item, KIND);
    let active_reader = r.nested(ACTIVE, r.map(ACTIVE)?);
    let active = r
        .map(ACTIVE)?
        .iter()
        .map(|(id, entry)| {
            let id: SessionId = id
                .parse()
                .map_err(|e| active_reader.corrupt(id, format_args!("is not a session id: {e}")))?;
            let AttributeValue::M(entry) = entry else {
                return Err(active_reader.corrupt(&id.to_string(), "is not a map"));
            };
            let entry = active_reader.nested(&id.to_string(), entry);
            Ok((
                id,
                ActiveEntry {
                    created_at: entry.time(CREATED_AT)?,
                    expires_at: entry.time(EXPIRES_AT)?,
                    device_info: entry.opt_string(DEVICE_INFO)?,
                },
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let ledger = UserLedger {
        user_id: r.parse(USER_ID)?,
        policy: UserPolicy {
            tier: r.parse(TIER)?,
            max_sessions: r.opt_number(MAX_SESSIONS)?,
        },
        active,
        status: decode_status(&r)?,
        revoked_before: r.opt_time(REVOKED_BEFORE)?,
        first_login_at: r.opt_time(FIRST_LOGIN_AT)?,
        sightings: decode_sightings(&r)?,
    };
    Ok(Versioned {
        value: ledger,
        version: r.number(VERSION)?,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
    use session_core::ids::{TierName, UserId};
    use uuid::Uuid;

    use super::*;

    fn ledger(entries: usize) -> UserLedger {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::nanoseconds(42);
        let mut ledger = UserLedger::new(
            UserId::from_str("bob@example.com").unwrap(),
            UserPolicy {
                tier: TierName::from_str("plus").unwrap(),
                max_sessions: Some(4),
            },
        );
        for i in 0..entries {
            let created_at = t0 + Duration::seconds(i64::try_from(i).unwrap());
            ledger.active.insert(
                SessionId::from_uuid(Uuid::now_v7()),
                ActiveEntry {
                    created_at,
                    expires_at: created_at + Duration::days(30),
                    device_info: (i % 2 == 0).then(|| format!("device {i}")),
                },
            );
        }
        ledger
    }

    #[test]
    fn ledgers_round_trip() {
        for ledger in [ledger(0), ledger(3)] {
            let item = encode_ledger(&ledger, 12);
            assert!(
                matches!(item.get(ACTIVE), Some(AttributeValue::M(_))),
                "active is always a map"
            );
            let back = decode_ledger(&item).unwrap();
            assert_eq!(
                back,
                Versioned {
                    value: ledger,
                    version: 12
                }
            );
        }
        let mut unlimited = ledger(1);
        unlimited.policy.max_sessions = None;
        let item = encode_ledger(&unlimited, 1);
        assert!(!item.contains_key(MAX_SESSIONS));
        assert_eq!(decode_ledger(&item).unwrap().value, unlimited);
    }

    #[test]
    fn malformed_ledgers_are_corrupt_and_name_the_attribute() {
        let good = encode_ledger(&ledger(1), 1);
        let cases: Vec<(&str, Option<AttributeValue>, &str)> = vec![
            (VERSION, None, "`version`"),
            (TIER, Some(attr::string("Gold Tier")), "`tier`"),
            (ACTIVE, Some(attr::string("none")), "`active`"),
            (
                ACTIVE,
                Some(AttributeValue::M(Item::from([(
                    "x".to_owned(),
                    attr::string("y"),
                )]))),
                "`x`",
            ),
            (MAX_SESSIONS, Some(attr::number(-3)), "`max_sessions`"),
        ];
        for (name, value, expected) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            match decode_ledger(&item) {
                Err(StoreError::Corrupt(message)) => {
                    assert!(message.contains(expected), "{name}: {message}");
                    assert!(message.contains("USER#bob@example.com"), "{message}");
                }
                other => panic!("{name}: expected Corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_active_entry_names_the_session() {
        let ledger = ledger(1);
        let id = ledger.active.keys().next().copied().unwrap();
        let mut item = encode_ledger(&ledger, 1);
        if let Some(AttributeValue::M(active)) = item.get_mut(ACTIVE)
            && let Some(AttributeValue::M(entry)) = active.get_mut(&id.to_string())
        {
            entry.remove(EXPIRES_AT);
        }
        match decode_ledger(&item) {
            Err(StoreError::Corrupt(message)) => {
                assert!(
                    message.contains(&id.to_string()) && message.contains("`expires_at`"),
                    "{message}"
                );
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
}
