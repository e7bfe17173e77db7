//! Special-purpose addresses are never looked up: the database here answers "ZZ" for every
//! address, so any location at all means a lookup happened.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use session_core::ports::LocationEnricher;
use session_enrich::{GeoIpLocator, is_special_purpose};

use crate::location::temp_db;
use crate::mmdb::{Value, Writer, map};

fn everywhere_zz() -> GeoIpLocator {
    let zz = || map(vec![("country", map(vec![("iso_code", Value::Str("ZZ"))]))]);
    let bytes = Writer::new(6)
        .insert("::/1", zz())
        .insert("8000::/1", zz())
        .build();
    GeoIpLocator::try_open(temp_db("everywhere", &bytes)).unwrap()
}

/// (range, first, last) for every special-purpose IPv4 block.
const V4: &[(&str, &str, &str)] = &[
    ("this network / unspecified", "0.0.0.0", "0.255.255.255"),
    ("private 10/8", "10.0.0.0", "10.255.255.255"),
    ("shared CGNAT 100.64/10", "100.64.0.0", "100.127.255.255"),
    ("loopback", "127.0.0.0", "127.255.255.255"),
    ("link-local", "169.254.0.0", "169.254.255.255"),
    ("private 172.16/12", "172.16.0.0", "172.31.255.255"),
    ("IETF protocol assignments", "192.0.0.0", "192.0.0.255"),
    ("documentation TEST-NET-1", "192.0.2.0", "192.0.2.255"),
    ("6to4 relay anycast", "192.88.99.0", "192.88.99.255"),
    ("private 192.168/16", "192.168.0.0", "192.168.255.255"),
    ("benchmarking", "198.18.0.0", "198.19.255.255"),
    ("documentation TEST-NET-2", "198.51.100.0", "198.51.100.255"),
    ("documentation TEST-NET-3", "203.0.113.0", "203.0.113.255"),
    ("multicast", "224.0.0.0", "239.255.255.255"),
    ("reserved 240/4", "240.0.0.0", "255.255.255.254"),
    ("broadcast", "255.255.255.255", "255.255.255.255"),
];

/// (range, first, last) for IPv6 blocks, native forms.
const V6: &[(&str, &str, &str)] = &[
    ("unspecified", "::", "::"),
    ("loopback", "::1", "::1"),
    ("discard-only", "100::", "100::ffff:ffff:ffff:ffff"),
    (
        "NAT64 local-use",
        "64:ff9b:1::",
        "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "IETF protocol assignments / Teredo",
        "2001::",
        "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "benchmarking",
        "2001:2::",
        "2001:2:0:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "documentation",
        "2001:db8::",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "documentation 3fff::/20",
        "3fff::",
        "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "SRv6 SIDs",
        "5f00::",
        "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "unique-local",
        "fc00::",
        "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "link-local",
        "fe80::",
        "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "site-local (deprecated)",
        "fec0::",
        "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    (
        "multicast",
        "ff00::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ),
    ("unassigned outside 2000::/3", "4000::", "4000::1"),
];

/// Public neighbours just outside special blocks: these must be looked up.
const PUBLIC: &[&str] = &[
    "1.0.0.0",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "198.51.99.255",
    "198.51.101.0",
    "203.0.112.255",
    "203.0.114.0",
    "223.255.255.255",
    "2000::1",
    "2001:200::1",
    "2001:db7:ffff::1",
    "2001:db9::1",
    "2606:4700::1111",
    "2a00:1450::1",
    "3ffe::1",
    "::ffff:8.8.8.8",
    "::8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
];

fn middle_v4(first: Ipv4Addr, last: Ipv4Addr) -> Ipv4Addr {
    let (a, b) = (u32::from(first), u32::from(last));
    Ipv4Addr::from(a + (b - a) / 2)
}

fn middle_v6(first: Ipv6Addr, last: Ipv6Addr) -> Ipv6Addr {
    let (a, b) = (u128::from(first), u128::from(last));
    Ipv6Addr::from(a + (b - a) / 2)
}

/// Every address of a block as the embedded IPv4 in each IPv6 form that carries one.
fn v6_forms(v4: Ipv4Addr) -> Vec<Ipv6Addr> {
    let bits = u128::from(u32::from(v4));
    vec![
        v4.to_ipv6_mapped(),
        v4.to_ipv6_compatible(),
        Ipv6Addr::from(u128::from(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)) | bits),
        Ipv6Addr::from((0x2002u128 << 112) | (bits << 80) | 1),
    ]
}

#[test]
fn the_catch_all_database_answers_public_addresses() {
    let locator = everywhere_zz();
    for text in PUBLIC {
        let ip: IpAddr = text.parse().unwrap();
        assert!(!is_special_purpose(ip), "{text}");
        let found = locator.locate(ip).unwrap();
        assert_eq!(
            found.map(|l| l.country_code).as_deref(),
            Some("ZZ"),
            "{text} was not looked up"
        );
    }
}

#[test]
fn special_ipv4_blocks_and_their_ipv6_forms_are_never_looked_up() {
    let locator = everywhere_zz();
    for (name, first, last) in V4 {
        let (first, last): (Ipv4Addr, Ipv4Addr) = (first.parse().unwrap(), last.parse().unwrap());
        for v4 in [first, middle_v4(first, last), last] {
            let mut forms = vec![IpAddr::V4(v4)];
            forms.extend(v6_forms(v4).into_iter().map(IpAddr::V6));
            for ip in forms {
                assert!(is_special_purpose(ip), "{name}: {ip}");
                assert_eq!(
                    locator.locate(ip).unwrap(),
                    None,
                    "{name}: {ip} was looked up"
                );
            }
        }
    }
}

#[test]
fn special_ipv6_blocks_are_never_looked_up() {
    let locator = everywhere_zz();
    for (name, first, last) in V6 {
        let (first, last): (Ipv6Addr, Ipv6Addr) = (first.parse().unwrap(), last.parse().unwrap());
        for v6 in [first, middle_v6(first, last), last] {
            let ip = IpAddr::V6(v6);
            assert!(is_special_purpose(ip), "{name}: {ip}");
            assert_eq!(
                locator.locate(ip).unwrap(),
                None,
                "{name}: {ip} was looked up"
            );
        }
    }
}
