//! User-agent parsing: `session_enrich::DeviceParser` (uap-core rules), what every login's and
//! activity report's `user_agent` goes through (`DeviceEnricher::describe`).
//!
//! Input: the user agent (invalid UTF-8 is replaced, as the value always arrives as a `&str`).
//!
//! Checks: no panic; the description is exactly "{browser} on {os}", "{browser}",
//! "Unknown browser on {os}" or none; `describe` agrees with `parse`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::ports::DeviceEnricher;
use session_enrich::DeviceParser;

fuzz_target!(|data: &[u8]| {
    let parser = DeviceParser::new();
    assert!(parser.warm_up(), "the uap-core rules did not compile");
    let user_agent = String::from_utf8_lossy(data);
    let parsed = parser.parse(&user_agent);
    let expected = match (&parsed.browser, &parsed.os) {
        (Some(b), Some(o)) => Some(format!("{b} on {o}")),
        (Some(b), None) => Some(b.clone()),
        (None, Some(o)) => Some(format!("Unknown browser on {o}")),
        (None, None) => None,
    };
    assert_eq!(parsed.description, expected, "for {user_agent:?}");
    let described = parser
        .describe(&user_agent)
        .expect("describing a user agent never fails");
    assert_eq!(described.description, parsed.description);
    assert_eq!(described.device_type, Some(parsed.device_type));
});
