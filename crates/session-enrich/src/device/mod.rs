//! User agent -> browser, OS, device type and the "{browser} on {os}" description.

mod kind;
mod names;
mod rules;

use session_core::domain::session::MAX_USER_AGENT_BYTES;
use session_core::ids::truncate_text;
use session_core::ports::{DeviceEnricher, DeviceInfo, EnrichError};

pub use kind::DeviceType;

/// What a user agent says about the device.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceDescription {
    /// Marketing name of the browser or client ("Chrome", "Safari", "Googlebot").
    pub browser: Option<String>,
    /// Marketing name of the operating system ("macOS", "iOS", "Windows").
    pub os: Option<String>,
    pub device_type: DeviceType,
    /// "{browser} on {os}", "{browser}", "Unknown browser on {os}", or `None` when neither is
    /// known.
    pub description: Option<String>,
}

/// Parses user agents with the uap-core rules. A cheap handle: every instance shares one
/// compiled rule set per process, built on first use or by [`DeviceParser::warm_up`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceParser;

impl DeviceParser {
    pub fn new() -> Self {
        Self
    }

    /// Compiles the rules now instead of on the first parse, e.g. during a Lambda init phase
    /// that is going to parse anyway. Returns whether the rules are usable.
    pub fn warm_up(&self) -> bool {
        rules::get().is_some()
    }

    /// Never fails: empty, garbage and hostile input give an "unknown" answer. Input is cut to
    /// [`MAX_USER_AGENT_BYTES`] first, the bound the session stores.
    pub fn parse(&self, user_agent: &str) -> DeviceDescription {
        let ua = truncate_text(user_agent, MAX_USER_AGENT_BYTES);
        let ua = ua.trim();
        let Some(rules) = rules::get().filter(|_| !ua.is_empty()) else {
            return DeviceDescription::from_parts(
                None,
                None,
                kind::classify(ua, false, None, None),
            );
        };
        let browser = rules.browser.extract(ua).map(|v| v.family);
        let os = rules.os.extract(ua).map(|v| v.os);
        let crawler = rules.crawler.extract(ua).is_some();
        let device_type = kind::classify(ua, crawler, browser.as_deref(), os.as_deref());
        DeviceDescription::from_parts(
            browser.as_deref().and_then(names::browser),
            os.as_deref().and_then(names::os),
            device_type,
        )
    }
}

impl DeviceDescription {
    fn from_parts(browser: Option<&str>, os: Option<&str>, device_type: DeviceType) -> Self {
        let description = match (browser, os) {
            (Some(b), Some(o)) => Some(format!("{b} on {o}")),
            (Some(b), None) => Some(b.to_owned()),
            (None, Some(o)) => Some(format!("Unknown browser on {o}")),
            (None, None) => None,
        };
        Self {
            browser: browser.map(str::to_owned),
            os: os.map(str::to_owned),
            device_type,
            description,
        }
    }
}

impl DeviceEnricher for DeviceParser {
    fn describe(&self, user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        let parsed = self.parse(user_agent);
        Ok(DeviceInfo {
            description: parsed.description,
            device_type: Some(parsed.device_type.as_str().to_owned()),
        })
    }
}
