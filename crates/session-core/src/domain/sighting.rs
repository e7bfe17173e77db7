//! What a login without a device id is recognised by: its browser family, OS family and
//! country (docs/0049). A user's ledger remembers when each combination was last seen, so a
//! combination not seen within the policy's window is a new device.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The most combinations a ledger remembers; beyond it the least recently seen is forgotten
/// (a forgotten one is news again, which errs on the side of telling the user).
pub const MAX_SIGHTINGS: usize = 32;

/// A browser family, OS family and country, any of them unknown but not all.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sighting {
    key: String,
}

impl Sighting {
    /// `None` when nothing is known: an unrecognised login cannot be told apart from another.
    pub fn new(browser: Option<&str>, os: Option<&str>, country: Option<&str>) -> Option<Self> {
        if browser.is_none() && os.is_none() && country.is_none() {
            return None;
        }
        // The unit separator cannot occur in the parser's names or a country code.
        let key = [browser, os, country]
            .map(|part| part.unwrap_or(""))
            .join("\u{1f}");
        Some(Self { key })
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The combinations a user signed in with, by when each was last seen.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sightings {
    last_seen: BTreeMap<String, DateTime<Utc>>,
}

impl Sightings {
    pub fn from_map(last_seen: BTreeMap<String, DateTime<Utc>>) -> Self {
        Self { last_seen }
    }

    pub fn as_map(&self) -> &BTreeMap<String, DateTime<Utc>> {
        &self.last_seen
    }

    /// Records `sighting` at `now` and answers whether it had been seen within `window`
    /// before; combinations last seen before the window are forgotten, and the least recently
    /// seen beyond [`MAX_SIGHTINGS`].
    pub fn record(&mut self, sighting: &Sighting, now: DateTime<Utc>, window: Duration) -> bool {
        let since = now - window;
        self.last_seen.retain(|_, seen| *seen > since);
        let seen_before = self.last_seen.contains_key(sighting.key());
        self.last_seen.insert(sighting.key().to_owned(), now);
        while self.last_seen.len() > MAX_SIGHTINGS {
            let oldest = self
                .last_seen
                .iter()
                .min_by_key(|(key, seen)| (**seen, (*key).clone()))
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => self.last_seen.remove(&key),
                None => break,
            };
        }
        seen_before
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn chrome_in(country: &str) -> Sighting {
        Sighting::new(Some("Chrome"), Some("Windows"), Some(country)).unwrap()
    }

    #[test]
    fn a_combination_is_new_until_seen_and_again_after_the_window() {
        let window = Duration::days(90);
        let mut seen = Sightings::default();
        assert!(!seen.record(&chrome_in("DE"), t0(), window));
        assert!(seen.record(&chrome_in("DE"), t0() + Duration::days(89), window));
        assert!(!seen.record(&chrome_in("FR"), t0() + Duration::days(89), window));
        // Last seen on day 89: still known on day 178, forgotten on day 180.
        assert!(seen.record(&chrome_in("DE"), t0() + Duration::days(178), window));
        assert!(!seen.record(&chrome_in("FR"), t0() + Duration::days(180), window));
    }

    #[test]
    fn nothing_known_is_no_sighting_and_unknown_parts_count_as_values() {
        assert!(Sighting::new(None, None, None).is_none());
        let partial = Sighting::new(Some("Chrome"), None, None).unwrap();
        assert_ne!(partial, chrome_in("DE"));
    }

    #[test]
    fn the_least_recently_seen_is_forgotten_beyond_the_bound() {
        let window = Duration::days(90);
        let mut seen = Sightings::default();
        let countries: Vec<String> = (0..=MAX_SIGHTINGS).map(|i| format!("C{i}")).collect();
        for (i, country) in countries.iter().enumerate() {
            let at = t0() + Duration::minutes(i64::try_from(i).unwrap());
            seen.record(&chrome_in(country), at, window);
        }
        assert_eq!(seen.as_map().len(), MAX_SIGHTINGS);
        let later = t0() + Duration::days(1);
        assert!(!seen.record(&chrome_in("C0"), later, window), "forgotten");
        assert!(seen.record(&chrome_in("C32"), later, window));
    }
}
