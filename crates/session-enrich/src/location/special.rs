//! Addresses that must never be looked up: they say nothing about where a person is (private,
//! loopback, shared CGNAT space), are not unicast (multicast, broadcast), or are not real hosts
//! (documentation, benchmarking, reserved). Ranges follow the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries, minus the few globally routed service blocks (AS112, AMT) no browser
//! connects from.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// (network, prefix length)
const SPECIAL_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", includes unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // shared address space (CGNAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, includes limited broadcast
];

/// Special blocks inside global unicast 2000::/3; everything outside 2000::/3 (unspecified,
/// loopback, unique-local, link-local, site-local, multicast, discard, ...) is unassigned or
/// special as a whole.
const SPECIAL_V6_IN_GLOBAL: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments: Teredo, benchmarking 2001:2::/48, ORCHID
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16), // SRv6 SIDs
];

/// True for addresses that are never looked up, including IPv4-mapped, IPv4-compatible, NAT64
/// and 6to4 forms of special IPv4 addresses.
pub fn is_special_purpose(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => special_v4(v4),
            None => special_v6(v6),
        },
    }
}

/// The address to look up: IPv6 forms that carry an IPv4 address are looked up as that IPv4
/// address, so an IPv4-only database answers them and results match the plain IPv4 form.
pub(crate) fn lookup_form(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn special_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    SPECIAL_V4
        .iter()
        .any(|&(net, len)| bits & mask32(len) == u32::from(net))
}

fn special_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    let global_unicast =
        bits & mask128(3) == u128::from(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0));
    !global_unicast
        || SPECIAL_V6_IN_GLOBAL
            .iter()
            .any(|&(net, len)| bits & mask128(len) == u128::from(net))
}

/// The IPv4 address inside IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96, deprecated),
/// NAT64 well-known prefix (64:ff9b::/96) and 6to4 (2002::/16) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let high96 = bits >> 32;
    if high96 == 0 || high96 == 0xffff || high96 == 0x0064_ff9b_0000_0000_0000_0000 {
        return Some(low32);
    }
    if bits >> 112 == 0x2002 {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}
