//! IP parsing, everywhere a client address arrives as text, and the location lookup behind it:
//! - `session_lambda::request_context::request_context` on an API Gateway request context whose
//!   `sourceIp` (and authorizer `user_id` / `session_id`) are the input;
//! - the API's `ip_address` fields (`POST /internal/sessions`, `POST .../activity`);
//! - `session_enrich::GeoIpLocator::locate` on the parsed address and on the input's first 4 / 16
//!   bytes taken as an address. The database is `$SESSION_FUZZ_GEOIP/city-ipv{4,6}.mmdb`
//!   (default `.cache/geoip/`, what scripts/fetch-geoip downloads); without it a tiny database
//!   is generated with the writer the enrich tests use, and the run says so on stderr.
//!
//! Checks: no panic; the Lambda context's caller is the authorizer's; the API takes an `ip_address` iff it parses, and never answers 5xx; special-purpose addresses are never
//! located.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use bytes::Bytes;
use http::{Request, header};
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use session_api::{Caller, RequestContext};
use session_core::ports::LocationEnricher;
use session_enrich::{GeoIpLocator, is_special_purpose};
use session_fuzz::{REQUEST_ID, World, block_on, check_response};

#[allow(dead_code, clippy::all)]
#[path = "../../crates/session-enrich/tests/enrich/mmdb.rs"]
mod mmdb;

struct Geo {
    v4: Arc<GeoIpLocator>,
    v6: Arc<GeoIpLocator>,
}

/// Picks the IPv4 or IPv6 database by the address, as one locator serves one file.
struct EitherLocator(&'static Geo);

impl LocationEnricher for EitherLocator {
    fn locate(
        &self,
        ip: IpAddr,
    ) -> Result<Option<session_core::ports::Location>, session_core::ports::EnrichError> {
        match ip.to_canonical() {
            IpAddr::V4(_) => self.0.v4.locate(ip),
            IpAddr::V6(_) => self.0.v6.locate(ip),
        }
    }
}

fn geo() -> &'static Geo {
    static GEO: OnceLock<Geo> = OnceLock::new();
    GEO.get_or_init(|| {
        let dir = std::env::var_os("SESSION_FUZZ_GEOIP")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.cache/geoip"))
            });
        let (v4, v6) = (dir.join("city-ipv4.mmdb"), dir.join("city-ipv6.mmdb"));
        if let (Ok(v4l), Ok(v6l)) = (GeoIpLocator::try_open(&v4), GeoIpLocator::try_open(&v6)) {
            eprintln!(
                "client_ip: locating with {} and {}",
                v4.display(),
                v6.display()
            );
            return Geo {
                v4: Arc::new(v4l),
                v6: Arc::new(v6l),
            };
        }
        let path = std::env::temp_dir().join(format!("session-fuzz-{}.mmdb", std::process::id()));
        std::fs::write(&path, tiny_database()).expect("writing the generated database");
        eprintln!(
            "client_ip: no database in {} (run scripts/fetch-geoip); locating with a generated one",
            dir.display()
        );
        let locator =
            Arc::new(GeoIpLocator::try_open(&path).expect("the generated database opens"));
        Geo {
            v4: locator.clone(),
            v6: locator,
        }
    })
}

fn tiny_database() -> Vec<u8> {
    use mmdb::{Value, Writer, map};
    let city = |name: &'static str, cc: &'static str, lat: f64, lon: f64| {
        map(vec![
            (
                "city",
                map(vec![("names", map(vec![("en", Value::Str(name))]))]),
            ),
            ("country", map(vec![("iso_code", Value::Str(cc))])),
            (
                "location",
                map(vec![
                    ("latitude", Value::F64(lat)),
                    ("longitude", Value::F64(lon)),
                ]),
            ),
        ])
    };
    Writer::new(6)
        .insert("8.8.8.0/24", city("Mountain View", "US", 37.4, -122.1))
        .insert("81.2.69.0/24", city("London", "GB", 51.5, -0.1))
        .insert("2001:4860::/32", city("Mountain View", "US", 37.4, -122.1))
        .build()
}

fuzz_target!(|data: &[u8]| {
    let geo = geo();
    let text = String::from_utf8_lossy(data);
    let parsed = text.parse::<IpAddr>().ok();

    lambda_context(&text);

    for ip in parsed.into_iter().chain(raw_addresses(data)) {
        let located = EitherLocator(geo).locate(ip);
        if is_special_purpose(ip) {
            assert!(
                matches!(located, Ok(None)),
                "special-purpose {ip} was located: {located:?}"
            );
        }
        if let Ok(Some(location)) = located {
            assert!(!location.country_code.is_empty(), "{ip}: {location:?}");
        }
    }

    block_on(api(geo, &text, parsed));
});

/// The input's first 4 and 16 bytes as addresses, so the fuzzer steers lookups directly.
fn raw_addresses(data: &[u8]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    if let Some(b) = data.get(..4) {
        out.push(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])));
    }
    if let Some(b) = data.get(..16) {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(b);
        out.push(IpAddr::V6(Ipv6Addr::from(octets)));
    }
    out
}

fn lambda_context(text: &str) {
    let (user, session) = text.split_once('|').unwrap_or(("alice", text));
    let context = json!({
        "accountId": "123456789012",
        "apiId": "abc123",
        "authorizer": {"lambda": {"user_id": user, "session_id": session}},
        "http": {"method": "GET", "path": "/sessions", "protocol": "HTTP/1.1", "sourceIp": text, "userAgent": "x"},
        "requestId": "r",
        "routeKey": "GET /sessions",
        "stage": "$default"
    });
    let Ok(context) = serde_json::from_value::<ApiGatewayV2httpRequestContext>(context) else {
        return;
    };
    let ctx = session_lambda::request_context::request_context(&context, "fallback");
    if let Caller::User {
        user_id,
        session_id,
    } = &ctx.caller
    {
        assert_eq!(user_id.as_str(), user);
        assert_eq!(Ok(*session_id), session.parse());
    }
}

async fn api(geo: &'static Geo, text: &str, parsed: Option<IpAddr>) {
    let world = World::with_location(Arc::new(EitherLocator(geo))).await;
    let service = Caller::Service {
        principal: "fuzz".into(),
    };
    for (uri, body) in [
        (
            "/internal/sessions".to_owned(),
            json!({"user_id": "bob", "ip_address": text, "user_agent": "Mozilla/5.0"}),
        ),
        (
            format!("/internal/sessions/{}/activity", world.a1),
            json!({"ip_address": text}),
        ),
    ] {
        let request = Request::builder()
            .method("POST")
            .uri(&uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Bytes::from(body.to_string()))
            .expect("a valid request");
        let response = world
            .api
            .handle(RequestContext::new(service.clone(), REQUEST_ID), request)
            .await;
        let described = format!("POST {uri} with ip_address {text:?}");
        check_response(&described, &response);
        let status = response.status().as_u16();
        match parsed {
            Some(_) => assert!(status < 400, "{described}: {status} {:?}", response.body()),
            None => assert_eq!(status, 400, "{described}: {:?}", response.body()),
        }
    }
}
