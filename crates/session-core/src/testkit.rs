//! Deterministic stand-ins for the clock, the id generator and the enrichers, for tests of any
//! crate (feature `testkit`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use crate::ports::{
    Clock, Coordinates, DeviceEnricher, DeviceInfo, EnrichError, IdGenerator, Location,
    LocationEnricher,
};

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<DateTime<Utc>>,
}

impl FakeClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// 2026-01-01T00:00:00Z.
    pub fn at_epoch() -> Self {
        Self::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        )
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// UUID v7s with a fixed timestamp and a counter, so ids are unique, ordered and repeatable.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl IdGenerator for SequentialIds {
    fn next_id(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&n.to_be_bytes());
        uuid::Builder::from_unix_timestamp_millis(1_767_225_600_000, &random).into_uuid()
    }
}

/// Describes every user agent the same way.
#[derive(Debug, Clone)]
pub struct FixedDevice(pub &'static str);

impl DeviceEnricher for FixedDevice {
    fn describe(&self, _user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        Ok(DeviceInfo::described(self.0))
    }
}

/// Describes the user agents it was given, with a device type, and no others.
#[derive(Debug, Clone, Default)]
pub struct MappedDevices {
    devices: HashMap<String, DeviceInfo>,
}

impl MappedDevices {
    pub fn new() -> Self {
        Self::default()
    }

    /// `user_agent` is described as `description`, of type `device_type`.
    pub fn with(mut self, user_agent: &str, description: &str, device_type: &str) -> Self {
        self.devices.insert(
            user_agent.to_owned(),
            DeviceInfo {
                description: Some(description.to_owned()),
                device_type: crate::domain::DeviceType::parse(device_type),
                // "Chrome on Windows": the families the parser would give.
                browser: description.split(" on ").next().map(str::to_owned),
                os: description.split_once(" on ").map(|(_, os)| os.to_owned()),
            },
        );
        self
    }
}

impl DeviceEnricher for MappedDevices {
    fn describe(&self, user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        Ok(self.devices.get(user_agent).cloned().unwrap_or_default())
    }
}

/// Places every address in one city.
#[derive(Debug, Clone)]
pub struct FixedLocation {
    pub city: Option<&'static str>,
    pub country_code: &'static str,
}

impl LocationEnricher for FixedLocation {
    fn locate(&self, _ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        Ok(Some(Location {
            city: self.city.map(str::to_owned),
            country_code: self.country_code.to_owned(),
            coordinates: None,
        }))
    }
}

/// Places the addresses it was given where it was told, and knows nothing of any other: what
/// country-change and impossible-travel cases need.
#[derive(Debug, Clone, Default)]
pub struct MappedLocations {
    places: HashMap<IpAddr, Location>,
}

impl MappedLocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// `ip` is in `city`, `country_code`, at `coordinates` (latitude, longitude) when given.
    /// Out-of-range coordinates are a bug in the test and panic.
    pub fn with(
        mut self,
        ip: IpAddr,
        city: &str,
        country_code: &str,
        coordinates: Option<(f64, f64)>,
    ) -> Self {
        let coordinates = coordinates.map(|(lat, lon)| {
            Coordinates::new(lat, lon)
                .unwrap_or_else(|| panic!("coordinates in range: {lat}, {lon}"))
        });
        self.places.insert(
            ip,
            Location {
                city: Some(city.to_owned()),
                country_code: country_code.to_owned(),
                coordinates,
            },
        );
        self
    }
}

impl LocationEnricher for MappedLocations {
    fn locate(&self, ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        Ok(self.places.get(&ip).cloned())
    }
}

/// An enrichment source that always fails, to prove logins are fail-open.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrokenEnricher;

impl DeviceEnricher for BrokenEnricher {
    fn describe(&self, _user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        Err(EnrichError("parser exploded".into()))
    }
}

impl LocationEnricher for BrokenEnricher {
    fn locate(&self, _ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        Err(EnrichError("database unreadable".into()))
    }
}
