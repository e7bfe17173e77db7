//! Unfinished revoke-alls (ports::RevokeAllContinuation): one item each in one partition, so a
//! sweep finds them all with one Query. The command is kept as its Attempted event's JSON detail,
//! the form the events already have.

use session_core::events::AllSessionsRevocationAttempted;
use session_core::ids::{EventId, SessionId};
use session_core::ports::{
    InFlight, ProcessedMarker, RevokeAllContinuation, StoreError, Versioned,
};

use super::attr::{self, Item, Reader};
use crate::schema::{self, PK, SK, VERSION};

const KIND: &str = "revoke-all continuation";

const OUTCOME_ID: &str = "outcome_id";
const COMMAND: &str = "command";
const CUTOFF: &str = "cutoff";
const MARKER_KEY: &str = "marker_key";
const MARKER_EXPIRES_AT: &str = "marker_expires_at";
const REVOKED: &str = "revoked";
const IN_FLIGHT: &str = "in_flight";
const IN_FLIGHT_AT: &str = "in_flight_at";
const STARTED_AT: &str = "started_at";
const LEASE_UNTIL: &str = "lease_until";

pub(crate) fn encode_continuation(continuation: &RevokeAllContinuation, version: u64) -> Item {
    let key = schema::continuation_key(continuation.outcome_id);
    let mut item = Item::from([
        (PK.to_owned(), key[PK].clone()),
        (SK.to_owned(), key[SK].clone()),
        (VERSION.to_owned(), attr::number(version)),
        (
            OUTCOME_ID.to_owned(),
            attr::string(continuation.outcome_id.to_string()),
        ),
        (
            COMMAND.to_owned(),
            // A struct of strings, ids and enums always serialises; were it ever not to, the
            // empty text reads back as a corrupt item rather than a wrong command.
            attr::string(
                serde_json::to_value(&continuation.command)
                    .map(|value| value.to_string())
                    .unwrap_or_default(),
            ),
        ),
        (CUTOFF.to_owned(), attr::time(continuation.cutoff)),
        (REVOKED.to_owned(), id_list(&continuation.revoked)),
        (STARTED_AT.to_owned(), attr::time(continuation.started_at)),
        (LEASE_UNTIL.to_owned(), attr::time(continuation.lease_until)),
    ]);
    if let Some(in_flight) = &continuation.in_flight {
        item.insert(IN_FLIGHT.to_owned(), id_list(&in_flight.session_ids));
        item.insert(IN_FLIGHT_AT.to_owned(), attr::time(in_flight.revoked_at));
    }
    attr::put_opt(
        &mut item,
        MARKER_KEY,
        continuation
            .once
            .as_ref()
            .map(|marker| attr::string(marker.key.as_str())),
    );
    attr::put_opt(
        &mut item,
        MARKER_EXPIRES_AT,
        continuation
            .once
            .as_ref()
            .map(|marker| attr::time(marker.expires_at)),
    );
    item
}

fn id_list(ids: &[SessionId]) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::L(
        ids.iter().map(|id| attr::string(id.to_string())).collect(),
    )
}

fn read_ids(r: &Reader<'_>, name: &str) -> Result<Vec<SessionId>, StoreError> {
    r.string_list(name)?
        .into_iter()
        .map(|id| {
            id.parse::<SessionId>()
                .map_err(|e| r.corrupt(name, format_args!("holds an invalid id: {e}")))
        })
        .collect()
}

pub(crate) fn decode_continuation(
    item: &Item,
) -> Result<Versioned<RevokeAllContinuation>, StoreError> {
    let r = Reader::new(item, KIND);
    // An event id is a UUID; its serde form is the text.
    let outcome_id: EventId =
        serde_json::from_value(serde_json::Value::String(r.str(OUTCOME_ID)?.to_owned()))
            .map_err(|e| r.corrupt(OUTCOME_ID, format_args!("is not an event id: {e}")))?;
    let command: AllSessionsRevocationAttempted = serde_json::from_str(r.str(COMMAND)?)
        .map_err(|e| r.corrupt(COMMAND, format_args!("is not a revoke-all command: {e}")))?;
    let revoked = read_ids(&r, REVOKED)?;
    // Written only while follower commits run (docs/0052); items from before have none.
    let in_flight = match r.opt_time(IN_FLIGHT_AT)? {
        Some(revoked_at) => Some(InFlight {
            revoked_at,
            session_ids: read_ids(&r, IN_FLIGHT)?,
        }),
        None => None,
    };
    let once = match r.opt_string(MARKER_KEY)? {
        Some(key) => Some(ProcessedMarker {
            key,
            expires_at: r.time(MARKER_EXPIRES_AT)?,
        }),
        None => None,
    };
    Ok(Versioned {
        value: RevokeAllContinuation {
            outcome_id,
            command,
            cutoff: r.time(CUTOFF)?,
            once,
            revoked,
            in_flight,
            started_at: r.time(STARTED_AT)?,
            lease_until: r.time(LEASE_UNTIL)?,
        },
        version: r.number(VERSION)?,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
    use session_core::domain::{Actor, RevocationReason};
    use session_core::events::RevokeAllTrigger;
    use session_core::ids::UserId;
    use uuid::Uuid;

    use super::*;

    fn continuation(once: bool, in_flight: bool) -> RevokeAllContinuation {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::nanoseconds(7);
        let user_id = UserId::from_str("carol").unwrap();
        RevokeAllContinuation {
            outcome_id: EventId::from_uuid(Uuid::now_v7()),
            command: AllSessionsRevocationAttempted {
                user_id: user_id.clone(),
                reason: RevocationReason::PasswordChanged,
                except_session_id: Some(SessionId::from_uuid(Uuid::now_v7())),
                by: Actor::User { user_id },
                trigger: RevokeAllTrigger::AuthEvent,
                note: None,
            },
            cutoff: at,
            once: once.then(|| ProcessedMarker {
                key: "auth-event:1".to_owned(),
                expires_at: at + Duration::days(7),
            }),
            revoked: vec![
                SessionId::from_uuid(Uuid::now_v7()),
                SessionId::from_uuid(Uuid::now_v7()),
            ],
            in_flight: in_flight.then(|| InFlight {
                revoked_at: at + Duration::milliseconds(3),
                session_ids: vec![SessionId::from_uuid(Uuid::now_v7())],
            }),
            started_at: at,
            lease_until: at + Duration::seconds(60),
        }
    }

    #[test]
    fn a_continuation_reads_back_as_written() {
        for (once, in_flight) in [(false, false), (true, false), (false, true)] {
            let written = continuation(once, in_flight);
            let read = decode_continuation(&encode_continuation(&written, 3)).expect("decodes");
            assert_eq!(
                read,
                Versioned {
                    value: written,
                    version: 3
                }
            );
        }
    }

    #[test]
    fn a_command_that_is_not_one_is_corrupt() {
        let mut item = encode_continuation(&continuation(false, false), 1);
        item.insert(COMMAND.to_owned(), attr::string("{\"user_id\": 1}"));
        assert!(matches!(
            decode_continuation(&item),
            Err(StoreError::Corrupt(message)) if message.contains(COMMAND)
        ));
    }
}
