//! The locator against databases generated here: both record layouts, IPv4-only databases,
//! missing and corrupt files.

use std::net::IpAddr;
use std::path::PathBuf;

use session_core::ports::{Coordinates, Location, LocationEnricher};
use session_enrich::{DatabaseError, GeoIpLocator};

use crate::mmdb::{Value, Writer, map};
use crate::warnings::count_warnings;

/// A unique file under the target dir, so parallel tests never share one.
pub fn temp_db(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("session-enrich");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.mmdb", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn names(en: &'static str) -> Value {
    map(vec![("de", Value::Str("egal")), ("en", Value::Str(en))])
}

fn geolite2_layout() -> Vec<u8> {
    Writer::new(6)
        .insert(
            "8.8.8.0/24",
            map(vec![
                (
                    "city",
                    map(vec![
                        ("geoname_id", Value::U32(5_375_480)),
                        ("names", names("Mountain View")),
                    ]),
                ),
                ("continent", map(vec![("code", Value::Str("NA"))])),
                (
                    "country",
                    map(vec![
                        ("iso_code", Value::Str("US")),
                        ("names", names("United States")),
                    ]),
                ),
                (
                    "location",
                    map(vec![
                        ("accuracy_radius", Value::U16(20)),
                        ("latitude", Value::F64(37.386)),
                        ("longitude", Value::F64(-122.0838)),
                        ("time_zone", Value::Str("America/Los_Angeles")),
                    ]),
                ),
            ]),
        )
        .insert(
            "1.1.1.0/24",
            map(vec![
                (
                    "registered_country",
                    map(vec![("iso_code", Value::Str("AU"))]),
                ),
                // A country's centre: no city, so no coordinates either.
                (
                    "location",
                    map(vec![
                        ("latitude", Value::F64(-25.0)),
                        ("longitude", Value::F64(135.0)),
                    ]),
                ),
            ]),
        )
        .insert(
            "5.5.5.0/24",
            map(vec![("city", map(vec![("names", names("Nowhere"))]))]),
        )
        .insert(
            "2001:4860::/32",
            map(vec![
                ("city", map(vec![("names", names("Mountain View"))])),
                ("country", map(vec![("iso_code", Value::Str("US"))])),
                // Too coarse to judge travel by.
                (
                    "location",
                    map(vec![
                        ("accuracy_radius", Value::U16(1000)),
                        ("latitude", Value::F64(37.751)),
                        ("longitude", Value::F64(-97.822)),
                    ]),
                ),
            ]),
        )
        .build()
}

fn flat_layout_v4_only() -> Vec<u8> {
    Writer::new(4)
        .insert(
            "81.2.69.0/24",
            map(vec![
                ("city", Value::Str("London")),
                ("country_code", Value::Str("GB")),
                ("latitude", Value::F32(51.5085)),
                ("longitude", Value::F32(-0.1257)),
                ("state1", Value::Str("England")),
            ]),
        )
        .insert(
            "200.160.0.0/20",
            map(vec![
                ("city", Value::Str("")),
                ("country_code", Value::Str("br")),
                ("latitude", Value::F32(-14.235)),
                ("longitude", Value::F32(-51.9253)),
            ]),
        )
        .build()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn located(locator: &GeoIpLocator, text: &str) -> Option<String> {
    locator.locate(ip(text)).unwrap().map(|l| l.display())
}

#[test]
fn geolite2_layout_gives_city_and_country_or_country_alone() {
    let locator = GeoIpLocator::open(temp_db("geolite2", &geolite2_layout()));
    assert!(locator.is_available());
    assert_eq!(
        locator.locate(ip("8.8.8.8")).unwrap(),
        Some(Location {
            city: Some("Mountain View".into()),
            country_code: "US".into(),
            coordinates: Coordinates::new(37.386, -122.0838),
        })
    );
    let coordinates = |text| {
        locator
            .locate(ip(text))
            .unwrap()
            .and_then(|l| l.coordinates)
    };
    assert_eq!(
        coordinates("1.1.1.1"),
        None,
        "a country's centre is no position"
    );
    assert_eq!(
        coordinates("2001:4860:4860::8888"),
        None,
        "accuracy radius too large"
    );
    assert_eq!(
        located(&locator, "1.1.1.1").as_deref(),
        Some("AU"),
        "registered country"
    );
    assert_eq!(
        located(&locator, "5.5.5.5"),
        None,
        "a city without a country"
    );
    assert_eq!(located(&locator, "9.9.9.9"), None, "not in the database");
    assert_eq!(
        located(&locator, "2001:4860:4860::8888").as_deref(),
        Some("Mountain View, US")
    );
    assert_eq!(
        located(&locator, "::ffff:8.8.8.8").as_deref(),
        Some("Mountain View, US"),
        "IPv4-mapped"
    );
    assert_eq!(
        located(&locator, "64:ff9b::808:808").as_deref(),
        Some("Mountain View, US"),
        "NAT64"
    );
    assert_eq!(
        located(&locator, "2002:808:808::1").as_deref(),
        Some("Mountain View, US"),
        "6to4"
    );
}

#[test]
fn flat_layout_and_ipv4_only_database() {
    let locator = GeoIpLocator::try_open(temp_db("flat", &flat_layout_v4_only())).unwrap();
    assert_eq!(
        located(&locator, "81.2.69.142").as_deref(),
        Some("London, GB")
    );
    assert_eq!(
        located(&locator, "200.160.2.3").as_deref(),
        Some("BR"),
        "empty city, lower-case code"
    );
    let london = locator.locate(ip("81.2.69.142")).unwrap().unwrap();
    let at = london.coordinates.unwrap();
    // Stored as 32-bit floats: equal to those, widened.
    assert_eq!(
        (at.latitude(), at.longitude()),
        (f64::from(51.5085_f32), f64::from(-0.1257_f32))
    );
    let brazil = locator.locate(ip("200.160.2.3")).unwrap().unwrap();
    assert_eq!(brazil.coordinates, None, "no city, no position");
    assert_eq!(
        located(&locator, "::ffff:81.2.69.142").as_deref(),
        Some("London, GB")
    );
    assert_eq!(
        located(&locator, "2a00:1450::1"),
        None,
        "IPv6 in an IPv4-only database"
    );
}

#[test]
fn missing_database_answers_none_after_one_warning() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/none.mmdb");
    let ((), warnings) = count_warnings(|| {
        let locator = GeoIpLocator::open(&path);
        assert!(!locator.is_available());
        for _ in 0..3 {
            assert_eq!(located(&locator, "8.8.8.8"), None);
        }
    });
    assert_eq!(warnings, 1);
    assert!(matches!(
        GeoIpLocator::try_open(&path),
        Err(DatabaseError::Unreadable { .. })
    ));
}

#[test]
fn lazy_locator_reads_and_warns_on_first_lookup_only() {
    let path = temp_db("lazy-corrupt", b"not a database at all");
    let ((), warnings) = count_warnings(|| {
        let locator = GeoIpLocator::lazy(&path);
        assert_eq!(located(&locator, "8.8.8.8"), None);
        assert_eq!(located(&locator, "1.1.1.1"), None);
    });
    assert_eq!(warnings, 1);
}

#[test]
fn corrupt_databases_answer_none_and_never_fail() {
    let good = geolite2_layout();
    let corrupt: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "garbage",
            (0..100_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("metadata-only", b"\xAB\xCD\xEFMaxMind.com\xe0".to_vec()),
    ];
    for (name, bytes) in corrupt {
        let path = temp_db(&format!("corrupt-{name}"), &bytes);
        let ((), warnings) = count_warnings(|| {
            let locator = GeoIpLocator::open(&path);
            assert!(!locator.is_available(), "{name}");
            assert_eq!(located(&locator, "8.8.8.8"), None, "{name}");
        });
        assert_eq!(warnings, 1, "{name}");
        assert!(
            matches!(
                GeoIpLocator::try_open(&path),
                Err(DatabaseError::Invalid { .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn a_database_with_a_broken_data_section_errors_per_lookup_instead_of_panicking() {
    let mut bytes = geolite2_layout();
    // Overwrite the data section (after the tree and its 16-byte separator) with junk.
    let separator = bytes.windows(16).position(|w| w == [0; 16]).unwrap();
    let marker = bytes
        .windows(14)
        .position(|w| w == b"\xAB\xCD\xEFMaxMind.com")
        .unwrap();
    for b in &mut bytes[separator + 16..marker] {
        *b = 0xff;
    }
    let locator = GeoIpLocator::open(temp_db("broken-data", &bytes));
    assert!(locator.is_available());
    // Whatever the reader makes of junk, the answer is an error or nothing, never a panic.
    let _ = locator.locate(ip("8.8.8.8"));
    let _ = locator.locate(ip("2001:4860::1"));
}
