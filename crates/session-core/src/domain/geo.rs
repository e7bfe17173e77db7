//! Points on the globe and the distances between them, for impossible-travel detection.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in km: the sphere the haversine formula assumes. The error against
/// the ellipsoid (under 0.5%) is far below that of locating an address.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A latitude/longitude pair in degrees (WGS 84), always finite and in range: built by
/// [`Coordinates::new`] and checked again when decoded, so distance maths never meets NaN.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
#[serde(try_from = "RawCoordinates", into = "RawCoordinates")]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
struct RawCoordinates {
    latitude: f64,
    longitude: f64,
}

impl Coordinates {
    /// `None` unless both values are finite, latitude within ±90 and longitude within ±180.
    pub fn new(latitude: f64, longitude: f64) -> Option<Self> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        valid.then_some(Self {
            latitude,
            longitude,
        })
    }

    pub fn latitude(self) -> f64 {
        self.latitude
    }

    pub fn longitude(self) -> f64 {
        self.longitude
    }

    /// Great-circle distance in km (haversine formula, which stays accurate for short distances
    /// where the spherical law of cosines loses precision).
    pub fn distance_km(self, other: Self) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.longitude - self.longitude).to_radians();
        let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        // Rounding can push `h` a hair past 1 for antipodal points; asin would then be NaN.
        2.0 * EARTH_RADIUS_KM * h.clamp(0.0, 1.0).sqrt().asin()
    }
}

impl TryFrom<RawCoordinates> for Coordinates {
    type Error = &'static str;

    fn try_from(raw: RawCoordinates) -> Result<Self, Self::Error> {
        Self::new(raw.latitude, raw.longitude).ok_or("coordinates out of range")
    }
}

impl From<Coordinates> for RawCoordinates {
    fn from(c: Coordinates) -> Self {
        Self {
            latitude: c.latitude,
            longitude: c.longitude,
        }
    }
}

/// Where a session was last seen, and when: the reference point of the next travel check.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Fix {
    pub coordinates: Coordinates,
    pub at: DateTime<Utc>,
}

/// Shortest elapsed time a speed is computed over: two sightings in the same second are one
/// second apart, so the speed stays finite (and huge) instead of dividing by zero.
const MIN_ELAPSED_SECS: i64 = 1;

/// Speed in km/h needed to cover `km` in `elapsed`. Zero or negative elapsed time (two reports
/// in one instant, or clocks of two instances slightly apart) counts as one second, so a jump
/// still reads as fast instead of dividing by zero.
pub fn speed_kmh(km: f64, elapsed: Duration) -> f64 {
    let secs = elapsed.num_seconds().max(MIN_ELAPSED_SECS);
    // Exact: whole seconds fit an f64 far beyond any session lifetime.
    let hours = secs as f64 / 3600.0;
    km / hours
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Coordinates {
        Coordinates::new(lat, lon).unwrap()
    }

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn distance_of_a_point_to_itself_is_zero() {
        let p = at(51.5074, -0.1278);
        assert!(p.distance_km(p).abs() < 1e-9);
    }

    #[test]
    fn known_city_distances_match_published_great_circle_values() {
        let london = at(51.5074, -0.1278);
        let paris = at(48.8566, 2.3522);
        let new_york = at(40.7128, -74.0060);
        let sydney = at(-33.8688, 151.2093);
        // Great-circle values on the mean-radius sphere, within 1%.
        for (a, b, km) in [
            (london, paris, 343.5),
            (london, new_york, 5570.2),
            (new_york, sydney, 15_988.8),
        ] {
            let d = a.distance_km(b);
            assert!(close(d, km, km * 0.01), "{d} vs {km}");
            assert!(close(d, b.distance_km(a), 1e-9), "symmetric");
        }
    }

    #[test]
    fn distance_is_right_across_the_antimeridian_and_between_antipodes() {
        // 1 degree of longitude on the equator, across ±180.
        let east = at(0.0, 179.5);
        let west = at(0.0, -179.5);
        assert!(close(east.distance_km(west), 111.2, 0.2));
        // Half the circumference, without NaN from rounding.
        let d = at(0.0, 0.0).distance_km(at(0.0, 180.0));
        assert!(
            close(d, std::f64::consts::PI * EARTH_RADIUS_KM, 1e-6),
            "{d}"
        );
        let poles = at(90.0, 0.0).distance_km(at(-90.0, 0.0));
        assert!(close(poles, std::f64::consts::PI * EARTH_RADIUS_KM, 1e-6));
    }

    #[test]
    fn out_of_range_or_non_finite_coordinates_are_refused() {
        for (lat, lon) in [
            (90.1, 0.0),
            (-90.1, 0.0),
            (0.0, 180.1),
            (0.0, -180.1),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            assert_eq!(Coordinates::new(lat, lon), None, "{lat},{lon}");
        }
        assert!(Coordinates::new(-90.0, 180.0).is_some());
    }

    #[test]
    fn coordinates_are_checked_when_decoded() {
        let ok: Coordinates =
            serde_json::from_str(r#"{"latitude": 1.5, "longitude": -2.25}"#).unwrap();
        assert_eq!((ok.latitude(), ok.longitude()), (1.5, -2.25));
        assert_eq!(
            serde_json::to_value(ok).unwrap(),
            serde_json::json!({"latitude": 1.5, "longitude": -2.25})
        );
        assert!(
            serde_json::from_str::<Coordinates>(r#"{"latitude": 91, "longitude": 0}"#).is_err()
        );
    }

    #[test]
    fn speed_divides_distance_by_elapsed_hours_with_a_one_second_floor() {
        assert!(close(speed_kmh(500.0, Duration::minutes(30)), 1000.0, 1e-9));
        assert!(close(speed_kmh(1.0, Duration::zero()), 3600.0, 1e-9));
        assert!(close(speed_kmh(1.0, Duration::seconds(-5)), 3600.0, 1e-9));
        assert!(speed_kmh(0.0, Duration::zero()).abs() < 1e-12);
    }
}
