//! Suspicious-activity signals: what about an activity report suggests that the session changed
//! hands. Pure: the session as stored, one report, the service-wide switches.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::geo::{Coordinates, speed_kmh};
use crate::domain::policy::SuspiciousSignals;
use crate::domain::session::Session;

/// Shortest distance that can be impossible travel. City-level coordinates from an IP database
/// are often tens of km off (MaxMind reports accuracy radii of 50-200 km for many networks), and
/// one provider's addresses in one metro area may sit in different towns: any small jump a few
/// seconds apart would otherwise be "thousands of km/h".
pub const MIN_TRAVEL_KM: f64 = 200.0;

/// One activity report as detection sees it.
#[derive(Clone, Debug, Default)]
pub struct Sighting<'a> {
    pub at: DateTime<Utc>,
    pub ip: Option<IpAddr>,
    /// Truncated like at login; `None` when the report named none.
    pub user_agent: Option<&'a str>,
    /// Where `ip` is, when it could be located.
    pub country_code: Option<&'a str>,
    pub coordinates: Option<Coordinates>,
    /// Description of `user_agent` ("Firefox on Linux"), for the event; only looked at when the
    /// user agent changed.
    pub device_info: Option<&'a str>,
}

/// One reason to suspect the session, with what an analyst needs to judge it.
#[derive(Clone, PartialEq, Debug)]
pub enum Signal {
    IpChange {
        from: IpAddr,
        to: IpAddr,
    },
    CountryChange {
        from: String,
        to: String,
    },
    ImpossibleTravel {
        km: f64,
        kmh: f64,
        elapsed_secs: i64,
        max_kmh: u32,
        from_country: Option<String>,
        to_country: Option<String>,
    },
    /// Device descriptions, not raw user agents: enough to judge, nothing fingerprintable.
    UserAgentChange {
        from_device: Option<String>,
        to_device: Option<String>,
    },
}

impl Signal {
    /// The event's `activity_type`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::IpChange { .. } => "ip_change",
            Self::CountryChange { .. } => "country_change",
            Self::ImpossibleTravel { .. } => "impossible_travel",
            Self::UserAgentChange { .. } => "user_agent_change",
        }
    }

    /// The event's `details`. Distances and speeds are whole numbers: GeoIP coordinates are not
    /// precise enough for decimals to mean anything.
    pub fn details(&self) -> Value {
        match self {
            Self::IpChange { from, to } => json!({"from": from, "to": to}),
            Self::CountryChange { from, to } => json!({"from": from, "to": to}),
            Self::ImpossibleTravel {
                km,
                kmh,
                elapsed_secs,
                max_kmh,
                from_country,
                to_country,
            } => json!({
                "km": km.round(),
                "kmh": kmh.round(),
                "elapsed_secs": elapsed_secs,
                "max_kmh": max_kmh,
                "from_country": from_country,
                "to_country": to_country,
            }),
            Self::UserAgentChange {
                from_device,
                to_device,
            } => json!({"from_device": from_device, "to_device": to_device}),
        }
    }
}

/// The signals `seen` raises against `session` (as stored, before the report is applied), in a
/// fixed order: IP, country, travel, user agent. Each needs both sides known: a session without
/// a recorded address, country, position or user agent has nothing to differ from. Country and
/// travel are only checked when the address changed, so an IP database update never makes a
/// session look as if it moved.
pub fn detect(
    session: &Session,
    seen: &Sighting<'_>,
    enabled: SuspiciousSignals,
    max_kmh: u32,
) -> Vec<Signal> {
    let mut signals = Vec::new();
    let new_ip = match (session.last_ip_address(), seen.ip) {
        (Some(from), Some(to)) if from != to => Some((from, to)),
        _ => None,
    };
    if enabled.ip_change
        && let Some((from, to)) = new_ip
    {
        signals.push(Signal::IpChange { from, to });
    }
    if new_ip.is_some() {
        let last_country = session.last_country_code();
        if enabled.country_change
            && let (Some(from), Some(to)) = (last_country, seen.country_code)
            && !from.eq_ignore_ascii_case(to)
        {
            signals.push(Signal::CountryChange {
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
        if enabled.impossible_travel
            && let (Some(fix), Some(here)) = (session.last_fix(), seen.coordinates)
        {
            let km = fix.coordinates.distance_km(here);
            let elapsed = seen.at - fix.at;
            let kmh = speed_kmh(km, elapsed);
            if km >= MIN_TRAVEL_KM && kmh > f64::from(max_kmh) {
                signals.push(Signal::ImpossibleTravel {
                    km,
                    kmh,
                    elapsed_secs: elapsed.num_seconds().max(0),
                    max_kmh,
                    from_country: last_country.map(str::to_owned),
                    to_country: seen.country_code.map(str::to_owned),
                });
            }
        }
    }
    if enabled.user_agent_change
        && let (Some(from), Some(to)) = (session.current_user_agent(), seen.user_agent)
        && from != to
    {
        signals.push(Signal::UserAgentChange {
            from_device: session.device_info().map(str::to_owned),
            to_device: seen.device_info.map(str::to_owned),
        });
    }
    signals
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    use super::*;
    use crate::domain::session::NewSession;
    use crate::ids::{SessionId, UserId};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
    }

    fn coords(lat: f64, lon: f64) -> Option<Coordinates> {
        Coordinates::new(lat, lon)
    }

    const LONDON: (f64, f64) = (51.5074, -0.1278);
    const NEW_YORK: (f64, f64) = (40.7128, -74.0060);
    const READING: (f64, f64) = (51.4543, -0.9781);

    /// Logged in from London, 203.0.113.1, user agent "UA-1".
    fn session() -> Session {
        Session::new(NewSession {
            device_info: Some("Chrome on macOS".into()),
            user_agent: Some("UA-1".into()),
            ip_address: "203.0.113.1".parse().ok(),
            location: Some("London, GB".into()),
            country_code: Some("GB".into()),
            coordinates: coords(LONDON.0, LONDON.1),
            ..NewSession::at(
                SessionId::from_uuid(Uuid::now_v7()),
                UserId::from_str("alice").unwrap(),
                t0(),
                t0() + Duration::days(30),
            )
        })
    }

    fn seen<'a>(after: Duration, ip: &str, cc: &'a str, at: (f64, f64)) -> Sighting<'a> {
        Sighting {
            at: t0() + after,
            ip: ip.parse().ok(),
            user_agent: Some("UA-1"),
            country_code: Some(cc),
            coordinates: coords(at.0, at.1),
            device_info: None,
        }
    }

    fn names(signals: &[Signal]) -> Vec<&'static str> {
        signals.iter().map(Signal::name).collect()
    }

    fn all() -> SuspiciousSignals {
        SuspiciousSignals::default()
    }

    #[test]
    fn the_same_address_and_user_agent_raise_nothing() {
        let report = seen(Duration::minutes(5), "203.0.113.1", "GB", LONDON);
        assert!(detect(&session(), &report, all(), 1000).is_empty());
    }

    #[test]
    fn a_flight_to_new_york_in_an_hour_raises_every_location_signal() {
        let report = seen(Duration::hours(1), "198.51.100.9", "US", NEW_YORK);
        let signals = detect(&session(), &report, all(), 1000);
        assert_eq!(
            names(&signals),
            ["ip_change", "country_change", "impossible_travel"]
        );
        let details = signals[2].details();
        assert_eq!(details["from_country"], "GB");
        assert_eq!(details["to_country"], "US");
        assert_eq!(details["elapsed_secs"], 3600);
        assert_eq!(details["max_kmh"], 1000);
        let km = details["km"].as_f64().unwrap();
        assert!((5500.0..5650.0).contains(&km), "{km}");
        assert_eq!(details["kmh"], details["km"], "one hour");
        assert_eq!(
            signals[1].details(),
            serde_json::json!({"from": "GB", "to": "US"})
        );
        assert_eq!(
            signals[0].details(),
            serde_json::json!({"from": "203.0.113.1", "to": "198.51.100.9"})
        );
    }

    #[test]
    fn a_flight_slower_than_the_limit_is_plausible() {
        let report = seen(Duration::hours(8), "198.51.100.9", "US", NEW_YORK);
        assert_eq!(
            names(&detect(&session(), &report, all(), 1000)),
            ["ip_change", "country_change"]
        );
    }

    #[test]
    fn short_jumps_are_never_impossible_travel() {
        // ~60 km in a second: 216,000 km/h, but within GeoIP's error.
        let report = seen(Duration::seconds(1), "198.51.100.9", "GB", READING);
        assert_eq!(
            names(&detect(&session(), &report, all(), 1000)),
            ["ip_change"]
        );
    }

    #[test]
    fn location_signals_need_a_new_address_and_both_sides_known() {
        let mut report = seen(Duration::minutes(1), "203.0.113.1", "US", NEW_YORK);
        assert!(
            detect(&session(), &report, all(), 1000).is_empty(),
            "same address, moved database entry"
        );
        report.ip = "198.51.100.9".parse().ok();
        report.country_code = None;
        report.coordinates = None;
        assert_eq!(
            names(&detect(&session(), &report, all(), 1000)),
            ["ip_change"]
        );
        let mut record = session().to_record();
        record.last_country_code = None;
        record.last_fix = None;
        record.last_ip_address = None;
        let unlocated = Session::restore(record);
        let report = seen(Duration::minutes(1), "198.51.100.9", "US", NEW_YORK);
        assert!(detect(&unlocated, &report, all(), 1000).is_empty());
    }

    #[test]
    fn a_new_user_agent_is_reported_by_device_description() {
        let mut report = seen(Duration::minutes(1), "203.0.113.1", "GB", LONDON);
        report.user_agent = Some("UA-2");
        report.device_info = Some("Firefox on Linux");
        let signals = detect(&session(), &report, all(), 1000);
        assert_eq!(names(&signals), ["user_agent_change"]);
        assert_eq!(
            signals[0].details(),
            serde_json::json!({"from_device": "Chrome on macOS", "to_device": "Firefox on Linux"})
        );
        report.user_agent = None;
        assert!(
            detect(&session(), &report, all(), 1000).is_empty(),
            "no user agent reported"
        );
    }

    #[test]
    fn switched_off_signals_are_not_raised() {
        let mut report = seen(Duration::minutes(1), "198.51.100.9", "US", NEW_YORK);
        report.user_agent = Some("UA-2");
        let everything = detect(&session(), &report, all(), 1000);
        assert_eq!(everything.len(), 4);
        let none = SuspiciousSignals {
            ip_change: false,
            country_change: false,
            impossible_travel: false,
            user_agent_change: false,
        };
        assert!(detect(&session(), &report, none, 1000).is_empty());
        let only_travel = SuspiciousSignals {
            impossible_travel: true,
            ..none
        };
        assert_eq!(
            names(&detect(&session(), &report, only_travel, 1000)),
            ["impossible_travel"]
        );
    }
}
