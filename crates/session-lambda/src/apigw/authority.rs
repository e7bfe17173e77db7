//! The `Host` header and `requestContext.domainName`: `host [":" port]`, where host is a DNS-style
//! name (letters, digits, `-`, `.`, `_`; IPv4 addresses are such names) or a bracketed IPv6
//! address. Stricter than RFC 3986's reg-name on purpose: API Gateway only routes DNS names
//! here, and percent-encodings, sub-delimiters and commas (two `Host` headers joined by API
//! Gateway) have no meaning in them.

use std::net::Ipv6Addr;

/// Longest DNS name (RFC 1035 section 2.3.4, in its dotted text form).
const MAX_HOST_BYTES: usize = 253;

pub(super) fn is_valid(authority: &str) -> bool {
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, rest)) => (
                address.parse::<Ipv6Addr>().is_ok(),
                match rest {
                    "" => None,
                    _ => match rest.strip_prefix(':') {
                        Some(port) => Some(port),
                        None => return false,
                    },
                },
            ),
            None => return false,
        },
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            (is_host_name(host), port)
        }
    };
    host_ok && port.is_none_or(is_port)
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= MAX_HOST_BYTES
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

fn is_port(port: &str) -> bool {
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_addresses_with_optional_ports_are_valid() {
        for good in [
            "abc123.execute-api.eu-west-1.amazonaws.com",
            "sessions.example.com:443",
            "localhost",
            "192.0.2.7",
            "192.0.2.7:8080",
            "[2001:db8::1]",
            "[2001:db8::1]:443",
            "_dmarc.example",
        ] {
            assert!(is_valid(good), "{good}");
        }
    }

    #[test]
    fn anything_else_is_invalid() {
        let long = "a".repeat(MAX_HOST_BYTES + 1);
        for bad in [
            "",
            "a%",
            "a%41",
            "abc123.execut%-api.eu-west-1.amazonaws.com",
            "h h",
            "a.example,b.example",
            "user@host",
            "host:",
            "host:65536",
            "host:+80",
            "host:80:80",
            "[2001:db8::1",
            "[not-an-address]",
            "[2001:db8::1]x",
            "2001:db8::1",
            "ho\u{e9}st",
            "host/path",
            long.as_str(),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
