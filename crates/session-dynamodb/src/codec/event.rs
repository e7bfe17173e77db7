//! Outbox items: one domain event as the relay publishes it (detail type + JSON detail), keyed by
//! its id so a duplicate write is refused rather than published twice.

use chrono::{DateTime, Utc};
use session_core::events::DomainEvent;
use session_core::ports::StoreError;

use super::attr::{self, Item, Reader};
use crate::schema::event_attr::{DETAIL, DETAIL_TYPE, EVENT_ID};
use crate::schema::{self, PK, SK, TTL};

const KIND: &str = "event";

const OCCURRED_AT: &str = "occurred_at";
const USER_ID: &str = "user_id";

/// `written_at` starts the item's retention (the wall clock at commit, not the event's own time,
/// which a test clock may put anywhere).
pub(crate) fn encode_event(event: &DomainEvent, written_at: DateTime<Utc>) -> Item {
    Item::from([
        (
            PK.to_owned(),
            attr::string(schema::event_pk(event.event_id)),
        ),
        (SK.to_owned(), attr::string(schema::EVENT_SK)),
        (
            TTL.to_owned(),
            attr::number(schema::ttl_value(written_at + schema::EVENT_RETENTION)),
        ),
        (
            EVENT_ID.to_owned(),
            attr::string(event.event_id.to_string()),
        ),
        (DETAIL_TYPE.to_owned(), attr::string(event.detail_type())),
        (
            DETAIL.to_owned(),
            attr::string(event.to_detail().to_string()),
        ),
        (OCCURRED_AT.to_owned(), attr::time(event.occurred_at)),
        // Not needed to rebuild the event; there for people reading the table.
        (
            USER_ID.to_owned(),
            attr::string(event.payload.user_id().as_str()),
        ),
    ])
}

pub(crate) fn decode_event(item: &Item) -> Result<DomainEvent, StoreError> {
    let r = Reader::new(item, KIND);
    let detail_type = r.str(DETAIL_TYPE)?;
    let detail = serde_json::from_str(r.str(DETAIL)?)
        .map_err(|e| r.corrupt(DETAIL, format_args!("is not JSON: {e}")))?;
    let mut event = DomainEvent::from_detail(detail_type, detail).map_err(|e| {
        r.corrupt(
            DETAIL,
            format_args!("does not hold the `{detail_type}` event `{DETAIL_TYPE}` names: {e}"),
        )
    })?;
    // The detail carries `occurred_at` to the microsecond; the attribute has it exactly, so the
    // event reads back equal to the one committed.
    if let Some(at) = r.opt_time(OCCURRED_AT)? {
        event.occurred_at = at;
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone};
    use session_core::domain::RevocationReason;
    use session_core::events::{EventPayload, SessionRevoked};
    use session_core::ids::{EventId, SessionId, UserId};
    use uuid::Uuid;

    use super::*;

    fn event() -> DomainEvent {
        let user = UserId::from_str("carol").unwrap();
        DomainEvent {
            event_id: EventId::from_uuid(Uuid::now_v7()),
            occurred_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
                + Duration::nanoseconds(6_007),
            payload: EventPayload::SessionRevoked(SessionRevoked {
                session_id: SessionId::from_uuid(Uuid::now_v7()),
                user_id: user.clone(),
                reason: RevocationReason::Logout,
                device_info: Some("Firefox on Linux".into()),
                revoked_by_user: Some(user.clone()),
                by: session_core::domain::Actor::User { user_id: user },
                note: None,
            }),
        }
    }

    #[test]
    fn events_round_trip_and_expire_a_day_after_the_write() {
        let event = event();
        let written_at = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let item = encode_event(&event, written_at);
        assert_eq!(decode_event(&item).unwrap(), event);
        assert_eq!(item[PK], attr::string(format!("EVENT#{}", event.event_id)));
        assert_eq!(item[DETAIL_TYPE], attr::string("SessionRevoked"));
        assert_eq!(
            item[TTL],
            attr::number((written_at + Duration::days(1)).timestamp())
        );
    }

    #[test]
    fn malformed_events_are_corrupt_and_name_the_attribute() {
        let good = encode_event(&event(), Utc::now());
        let cases = [
            (DETAIL, Some(attr::string("{not json"))),
            (DETAIL, Some(attr::string("{}"))),
            (DETAIL, None),
            (DETAIL_TYPE, Some(attr::string("SessionCreated"))),
            (DETAIL_TYPE, Some(attr::number(1))),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            match decode_event(&item) {
                Err(StoreError::Corrupt(message)) => {
                    assert!(message.contains(&format!("`{name}`")), "{name}: {message}");
                    assert!(message.contains("EVENT#"), "{message}");
                }
                other => panic!("{name}: expected Corrupt, got {other:?}"),
            }
        }
    }
}
