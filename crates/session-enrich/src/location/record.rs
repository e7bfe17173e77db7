//! Decoding a database record into a [`Location`], for both layouts seen in the wild: MaxMind's
//! GeoLite2/GeoIP2-City (`country.iso_code`, `city.names.en`) and the flat ip-location-db one
//! (`country_code`, `city`), so either can be deployed without a code change.

use std::collections::BTreeMap;

use serde::Deserialize;
use session_core::ports::Location;

#[derive(Deserialize)]
pub(crate) struct Record {
    country: Option<Country>,
    /// GeoLite2 leaves `country` out for some anycast and satellite networks but still knows
    /// where the block is registered.
    registered_country: Option<Country>,
    city: Option<City>,
    country_code: Option<String>,
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
        Some(Location { city, country_code })
    }
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
