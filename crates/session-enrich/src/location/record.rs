//! Decoding a database record into a [`Location`], for both layouts seen in the wild: MaxMind's
//! GeoLite2/GeoIP2-City (`country.iso_code`, `city.names.en`, `location.latitude/longitude`) and
//! the flat ip-location-db one (`country_code`, `city`, `latitude`, `longitude`), so either can be
//! deployed without a code change.

use std::collections::BTreeMap;

use serde::Deserialize;
use session_core::ports::{Coordinates, Location};

/// Coordinates less precise than this are dropped: MaxMind gives a country's centre with a
/// radius of ~1000 km when it knows no more, and a centroid compared with a real city position
/// minutes later looks like impossible travel.
const MAX_ACCURACY_RADIUS_KM: u16 = 500;

#[derive(Deserialize)]
pub(crate) struct Record {
    country: Option<Country>,
    /// GeoLite2 leaves `country` out for some anycast and satellite networks but still knows
    /// where the block is registered.
    registered_country: Option<Country>,
    city: Option<City>,
    country_code: Option<String>,
    /// GeoLite2 layout.
    location: Option<Position>,
    /// Flat layout.
    latitude: Option<Degrees>,
    longitude: Option<Degrees>,
}

#[derive(Deserialize)]
struct Position {
    latitude: Option<Degrees>,
    longitude: Option<Degrees>,
    accuracy_radius: Option<u16>,
}

/// An angle stored as any number type: GeoLite2 uses doubles, ip-location-db 32-bit floats, and
/// the reader refuses to widen a float when asked for a double.
#[derive(Clone, Copy)]
struct Degrees(f64);

impl<'de> Deserialize<'de> for Degrees {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DegreesVisitor)
    }
}

struct DegreesVisitor;

impl serde::de::Visitor<'_> for DegreesVisitor {
    type Value = Degrees;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number of degrees")
    }

    // Floats arrive here too: serde forwards `visit_f32` to `visit_f64`.
    fn visit_f64<E>(self, v: f64) -> Result<Degrees, E> {
        Ok(Degrees(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Degrees, E> {
        Ok(Degrees(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Degrees, E> {
        Ok(Degrees(v as f64))
    }
}

#[derive(Deserialize)]
struct Country {
    iso_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum City {
    Name(String),
    Names { names: BTreeMap<String, String> },
}

impl Record {
    /// `None` unless the record names a country: a city without one is not displayable.
    pub(crate) fn into_location(self) -> Option<Location> {
        let country_code = self
            .country
            .and_then(|c| c.iso_code)
            .or(self.country_code)
            .or_else(|| self.registered_country.and_then(|c| c.iso_code))
            .filter(|cc| cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()))?
            .to_ascii_uppercase();
        let city = match self.city {
            Some(City::Name(name)) => Some(name),
            Some(City::Names { mut names }) => names.remove("en"),
            None => None,
        }
        .map(|name| without_district(&name).to_owned())
        .filter(|name| !name.is_empty());
        // Without a city the position is at best a region's or country's centre: too coarse to
        // judge travel by.
        let coordinates = match (&city, self.location) {
            (None, _) => None,
            (Some(_), Some(position)) => position.coordinates(),
            (Some(_), None) => self.latitude.zip(self.longitude).and_then(valid),
        };
        Some(Location {
            city,
            country_code,
            coordinates,
        })
    }
}

impl Position {
    fn coordinates(self) -> Option<Coordinates> {
        if self
            .accuracy_radius
            .is_some_and(|km| km > MAX_ACCURACY_RADIUS_KM)
        {
            return None;
        }
        self.latitude.zip(self.longitude).and_then(valid)
    }
}

/// Out-of-range or non-finite values (a broken record) count as unknown.
fn valid((latitude, longitude): (Degrees, Degrees)) -> Option<Coordinates> {
    Coordinates::new(latitude.0, longitude.0)
}

/// DB-IP appends the district ("Cape Town (Rondebosch)"); a session list wants the city.
fn without_district(name: &str) -> &str {
    let name = name.trim();
    match name.strip_suffix(')').and_then(|rest| rest.rfind(" (")) {
        Some(open) if open > 0 => name[..open].trim_end(),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::without_district;

    #[test]
    fn districts_are_dropped_from_city_names() {
        assert_eq!(without_district("Cape Town (Rondebosch)"), "Cape Town");
        assert_eq!(without_district(" London "), "London");
        assert_eq!(without_district("(Nowhere)"), "(Nowhere)");
    }
}
