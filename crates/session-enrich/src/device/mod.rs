//! User agent -> browser, OS, device type and the "{browser} on {os}" description.

#[cfg(test)]
mod equivalence;
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

/// Parses user agents with the uap-core rules. A cheap handle: every instance shares the rules,
/// whose prefilter is built into the binary and whose regexes compile one at a time, each on the
/// first user agent that needs it (once per process), so nothing has to be prepared at start-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceParser;

impl DeviceParser {
    pub fn new() -> Self {
        Self
    }

    /// Compiles every rule's regex now (~60-100 ms), where the parses would otherwise compile
    /// the few each user agent needs as they go. Only for a long-running process that would
    /// rather pay once at start than a fraction of a millisecond on some early parses; a Lambda
    /// function should not call it. Returns whether every rule compiles.
    pub fn warm_up(&self) -> bool {
        // Every section, even after one failed.
        [&rules::BROWSERS, &rules::OSES, &rules::CRAWLERS]
            .into_iter()
            .filter(|section| !section.compile_all())
            .count()
            == 0
    }

    /// Never fails: empty, garbage and hostile input give an "unknown" answer. Input is cut to
    /// [`MAX_USER_AGENT_BYTES`] first, the bound the session stores.
    pub fn parse(&self, user_agent: &str) -> DeviceDescription {
        let ua = truncate_text(user_agent, MAX_USER_AGENT_BYTES);
        let ua = ua.trim();
        if ua.is_empty() {
            return DeviceDescription::from_parts(
                None,
                None,
                kind::classify(ua, false, None, None),
            );
        }
        let atoms = rules::Atoms::in_text(ua);
        let browser = rules::BROWSERS.first_name(ua, &atoms);
        let os = rules::OSES.first_name(ua, &atoms);
        let crawler = rules::CRAWLERS.matches(ua, &atoms);
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
            device_type: Some(parsed.device_type),
            browser: parsed.browser,
            os: parsed.os,
        })
    }
}
