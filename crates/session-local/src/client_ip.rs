//! The client address the API is given as `RequestContext::source_ip`: the socket peer, or the
//! first entry of a header that a proxy in front of the server sets, when the operator named one
//! with `--trust-proxy-header` (what API Gateway's `sourceIp` is in the cloud).

use std::net::{IpAddr, SocketAddr};

use http::{HeaderMap, HeaderName};

/// Takes a header's first entry as the client address. Only safe behind a proxy that sets the
/// header itself: anyone who can reach the server directly can write any value into it.
#[derive(Clone, Debug, Default)]
pub struct ClientIp {
    trusted_header: Option<HeaderName>,
}

impl ClientIp {
    pub fn new(trusted_header: Option<HeaderName>) -> Self {
        Self { trusted_header }
    }

    /// The trusted header's first entry when it holds an address; otherwise the peer (a request
    /// that did not pass the proxy, or a header the proxy did not fill in as expected).
    pub fn of(&self, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
        let forwarded = self.trusted_header.as_ref().and_then(|name| {
            let found = first_entry(headers, name);
            if found.is_none() {
                tracing::debug!(header = %name, "no usable client address in the trusted header; using the peer");
            }
            found
        });
        // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; the plain form is what
        // API Gateway gives and what the session stores.
        forwarded.unwrap_or_else(|| peer.ip()).to_canonical()
    }
}

/// The first address in the header: the first line's first comma-separated entry (a list that
/// several proxies appended to starts with the client, RFC 7239 / de-facto X-Forwarded-For).
fn first_entry(headers: &HeaderMap, name: &HeaderName) -> Option<IpAddr> {
    let value = headers.get(name)?.to_str().ok()?;
    parse_entry(value.split(',').next()?.trim())
}

/// `203.0.113.7`, `2001:db8::1`, and the forms some proxies add a port or brackets to:
/// `203.0.113.7:4711`, `[2001:db8::1]:443`, `[2001:db8::1]`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const PEER: &str = "192.0.2.1:50000";

    fn peer() -> SocketAddr {
        PEER.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static [u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn xff() -> ClientIp {
        ClientIp::new(Some(HeaderName::from_static("x-forwarded-for")))
    }

    #[test]
    fn the_peer_is_the_client_unless_a_header_is_trusted() {
        let forged = headers(&[("x-forwarded-for", b"198.51.100.9")]);
        assert_eq!(
            ClientIp::default().of(&forged, peer()),
            peer().ip(),
            "an untrusted header is ignored"
        );
        assert_eq!(
            xff().of(&forged, peer()),
            "198.51.100.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_first_entry_of_the_first_line_wins() {
        let list = headers(&[
            ("x-forwarded-for", b" 198.51.100.9 , 10.0.0.1"),
            ("x-forwarded-for", b"203.0.113.5"),
        ]);
        assert_eq!(
            xff().of(&list, peer()),
            "198.51.100.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ports_and_brackets_are_accepted() {
        for (entry, ip) in [
            ("203.0.113.7:4711", "203.0.113.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
        ] {
            assert_eq!(
                parse_entry(entry).map(|ip| ip.to_canonical()),
                ip.parse().ok(),
                "{entry}"
            );
        }
    }

    #[test]
    fn a_missing_or_unusable_header_falls_back_to_the_peer() {
        for bad in [
            headers(&[]),
            headers(&[("x-forwarded-for", b"unknown")]),
            headers(&[("x-forwarded-for", b"")]),
            headers(&[("x-forwarded-for", b"\xff\xfe")]),
            headers(&[("x-forwarded-for", b"999.1.1.1, 198.51.100.9")]),
        ] {
            assert_eq!(xff().of(&bad, peer()), peer().ip(), "{bad:?}");
        }
    }

    #[test]
    fn ipv4_mapped_peers_are_reported_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:50000".parse().unwrap();
        assert_eq!(ClientIp::default().of(&headers(&[]), mapped), peer().ip());
    }
}
