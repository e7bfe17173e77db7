//! The kind of device a session runs on: a closed set, decided by the device enricher from the
//! user agent and kept on sessions, device records and their events.

use serde::{Deserialize, Serialize};

/// What a user agent runs on, as a session list groups it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Desktop,
    Mobile,
    Tablet,
    /// Crawlers, link previewers, monitors and scripted HTTP clients.
    Bot,
    /// TVs, consoles, wearables, headsets, and anything unrecognised.
    Other,
}

impl DeviceType {
    pub const ALL: [DeviceType; 5] = [
        Self::Desktop,
        Self::Mobile,
        Self::Tablet,
        Self::Bot,
        Self::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl std::fmt::Display for DeviceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DeviceType {
    type Err = UnknownDeviceType;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or(UnknownDeviceType)
    }
}

/// A text that names no [`DeviceType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a device type (desktop, mobile, tablet, bot or other)")]
pub struct UnknownDeviceType;
