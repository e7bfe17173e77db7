//! Processed-marker items: only their existence matters; TTL removes them after their expiry.

use session_core::ports::ProcessedMarker;

use super::attr::{self, Item};
use crate::schema::{self, PK, SK, TTL};

const KEY: &str = "key";
const EXPIRES_AT: &str = "expires_at";

pub(crate) fn encode_marker(marker: &ProcessedMarker) -> Item {
    Item::from([
        (PK.to_owned(), attr::string(schema::marker_pk(&marker.key))),
        (SK.to_owned(), attr::string(schema::MARKER_SK)),
        (
            TTL.to_owned(),
            attr::number(schema::ttl_value(marker.expires_at)),
        ),
        (KEY.to_owned(), attr::string(marker.key.as_str())),
        (EXPIRES_AT.to_owned(), attr::time(marker.expires_at)),
    ])
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    #[test]
    fn markers_expire_no_earlier_than_asked() {
        let expires_at =
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap() + Duration::milliseconds(1);
        let item = encode_marker(&ProcessedMarker {
            key: "password-changed:evt-1".into(),
            expires_at,
        });
        assert_eq!(item[PK], attr::string("MARKER#password-changed:evt-1"));
        assert_eq!(item[TTL], attr::number(expires_at.timestamp() + 1));
    }
}
