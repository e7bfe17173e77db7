//! Enrichment timed: how long describing a user agent or locating an address takes (the location
//! enricher's first call includes opening its database).

use std::net::IpAddr;
use std::time::Instant;

use session_core::ports::{DeviceEnricher, DeviceInfo, EnrichError, Location, LocationEnricher};

use super::{Metric, Metrics};

/// An enricher whose every call is timed into `EnrichmentTime`.
pub struct Timed<E> {
    inner: E,
    metrics: Metrics,
}

impl<E> Timed<E> {
    pub fn new(inner: E, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }
}

impl<E: DeviceEnricher> DeviceEnricher for Timed<E> {
    fn describe(&self, user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        let started = Instant::now();
        let described = self.inner.describe(user_agent);
        self.metrics
            .time(Metric::EnrichmentTime, Some("device"), started.elapsed());
        described
    }
}

impl<E: LocationEnricher> LocationEnricher for Timed<E> {
    fn locate(&self, ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        let started = Instant::now();
        let located = self.inner.locate(ip);
        self.metrics
            .time(Metric::EnrichmentTime, Some("location"), started.elapsed());
        located
    }
}
