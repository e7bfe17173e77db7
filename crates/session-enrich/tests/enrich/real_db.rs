//! The locator against a real public city database (DB-IP Lite, fetched by scripts/fetch-geoip):
//! one long-stable, single-site (not anycast) address per inhabited continent, asserted by country
//! only (cities move between releases). Skipped with a visible line when `GEOIP_TEST_DB` is unset,
//! unless `SESSION_TESTS_REQUIRE_STANDINS=1` says the full suite is running.

use std::io::Write;
use std::net::IpAddr;
use std::time::Instant;

use session_core::ports::LocationEnricher;
use session_enrich::GeoIpLocator;

fn database(var: &str) -> Option<GeoIpLocator> {
    match std::env::var_os(var) {
        Some(path) => {
            let started = Instant::now();
            let locator = GeoIpLocator::try_open(&path)
                .unwrap_or_else(|e| panic!("{var}={}: {e}", path.to_string_lossy()));
            println!(
                "{var}: opened {} in {:?}",
                path.to_string_lossy(),
                started.elapsed()
            );
            Some(locator)
        }
        None if std::env::var("SESSION_TESTS_REQUIRE_STANDINS").as_deref() == Ok("1") => panic!(
            "{var} is not set: run scripts/fetch-geoip and export {var} \
             (scripts/test does both)"
        ),
        None => {
            // Straight to the stderr handle: the test harness captures println!/eprintln!, and
            // a skip should be seen.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {var} not set (scripts/fetch-geoip fetches a real database)"
            );
            None
        }
    }
}

fn country(locator: &GeoIpLocator, ip: &str) -> Option<String> {
    let ip: IpAddr = ip.parse().unwrap();
    locator.locate(ip).unwrap().map(|l| l.country_code)
}

/// (continent, address, expected country, whose address)
const IPV4: &[(&str, &str, &str, &str)] = &[
    ("North America", "171.64.0.1", "US", "Stanford University"),
    ("South America", "200.160.2.3", "BR", "NIC.br"),
    ("Europe", "193.0.6.139", "NL", "RIPE NCC"),
    ("Africa", "137.158.0.1", "ZA", "University of Cape Town"),
    ("Asia", "133.11.0.1", "JP", "University of Tokyo"),
    ("Oceania", "139.130.4.5", "AU", "Telstra DNS"),
];

#[test]
fn real_database_locates_one_address_per_continent() {
    let Some(locator) = database("GEOIP_TEST_DB") else {
        return;
    };
    let mut wrong = Vec::new();
    for (continent, ip, expected, owner) in IPV4 {
        let found = country(&locator, ip);
        println!("{continent}: {ip} ({owner}) -> {found:?}");
        if found.as_deref() != Some(*expected) {
            wrong.push(format!(
                "{continent}: {ip} ({owner}) expected {expected}, got {found:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let stanford = locator
        .locate("171.64.0.1".parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(
        stanford.city.is_some(),
        "a city database names a city: {stanford:?}"
    );
    // Somewhere around the San Francisco Bay Area: the database's coordinates are decoded.
    let at = stanford
        .coordinates
        .unwrap_or_else(|| panic!("a city database has coordinates: {stanford:?}"));
    assert!(
        (36.0..39.0).contains(&at.latitude()) && (-123.5..-121.0).contains(&at.longitude()),
        "{at:?}"
    );
    assert_eq!(country(&locator, "192.168.1.1"), None);
    assert_eq!(
        country(&locator, "::ffff:171.64.0.1").as_deref(),
        Some("US")
    );
}

#[test]
fn real_ipv6_database_locates_a_public_address() {
    let Some(locator) = database("GEOIP_TEST_DB_V6") else {
        return;
    };
    // Anycast blocks (Google, Cloudflare DNS) move between countries across releases; these
    // are single-site registry and university networks.
    assert_eq!(
        country(&locator, "2001:67c:2e8:22::c100:68b").as_deref(),
        Some("NL"),
        "RIPE NCC"
    );
    assert_eq!(
        country(&locator, "2001:200:dff:fff1:216:3eff:feb1:44d7").as_deref(),
        Some("JP"),
        "WIDE"
    );
    assert_eq!(country(&locator, "2001:db8::1"), None);
    assert_eq!(country(&locator, "fd00::1"), None);
}
