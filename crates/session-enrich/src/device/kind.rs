//! The kind of device behind a user agent: desktop, mobile, tablet, bot or other.
//!
//! uap-core names browsers and systems but has no device class, and its 600 phone-model rules
//! would be a large addition to the rule set for a five-way answer. The class follows from the OS family
//! plus the few tokens vendors use to tell form factors apart (Android phones send "Mobile",
//! tablets do not; iPads name themselves), checked in this order: crawler, then TVs, consoles,
//! watches and headsets (anything that is not a computer a person logs in from), then the OS.

pub use session_core::domain::DeviceType;

/// uap-core browser families that are programs, not people (beyond its crawler rules).
const SCRIPTED_CLIENTS: &[&str] = &[
    "curl",
    "Wget",
    "Python Requests",
    "Python-urllib",
    "HeadlessChrome",
    "PhantomJS",
    "Go-http-client",
    "Apache-HttpClient",
];

/// Tokens of devices that are neither computers, phones nor tablets.
const NON_COMPUTER_TOKENS: &[&str] = &[
    "SMART-TV",
    "SmartTV",
    "Smart TV",
    "SMART TV",
    "HbbTV",
    "GoogleTV",
    "Google TV",
    "AppleTV",
    "Apple TV",
    "AndroidTV",
    "Android TV",
    "BRAVIA",
    "CrKey",
    "Roku",
    "NetCast",
    "Web0S",
    "webOS.TV",
    "VIDAA",
    "; AFT",
    "PlayStation",
    "Xbox",
    "Nintendo",
    "OculusBrowser",
    "Quest",
    "Watch OS",
    "watchOS",
    "Wear OS",
    "Tizen",
];

const MOBILE_SYSTEMS: &[&str] = &[
    "Windows Phone",
    "Windows Mobile",
    "Windows CE",
    "Symbian OS",
    "Symbian^3",
    "Symbian^3 Anna",
    "Symbian^3 Belle",
    "BlackBerry OS",
    "KaiOS",
    "Firefox OS",
    "Bada",
    "BREW",
    "Brew MP",
    "Nokia Series 40",
    "Nokia Series 30 Plus",
    "Sailfish",
    "MeeGo",
    "Maemo",
    "webOS",
];

const TABLET_SYSTEMS: &[&str] = &["BlackBerry Tablet OS", "Kindle", "WeTab"];

const DESKTOP_SYSTEMS: &[&str] = &[
    "Windows",
    "Mac OS X",
    "Mac OS",
    "Chrome OS",
    "Linux",
    "Ubuntu",
    "Debian",
    "Fedora",
    "Red Hat",
    "Gentoo",
    "Mandriva",
    "Mint",
    "Arch Linux",
    "SUSE",
    "openSUSE",
    "CentOS",
    "Slackware",
    "FreeBSD",
    "OpenBSD",
    "NetBSD",
    "BSD",
    "Solaris",
    "SerenityOS",
];

/// `crawler`: a uap-core crawler rule matched. Families are uap-core's, before renaming.
pub(crate) fn classify(
    ua: &str,
    crawler: bool,
    browser: Option<&str>,
    os: Option<&str>,
) -> DeviceType {
    if crawler || browser.is_some_and(is_scripted) {
        return DeviceType::Bot;
    }
    if NON_COMPUTER_TOKENS.iter().any(|t| ua.contains(t)) {
        return DeviceType::Other;
    }
    match os {
        Some("iOS") => {
            if ua.contains("iPad") {
                DeviceType::Tablet
            } else {
                DeviceType::Mobile
            }
        }
        Some("Android") => android(ua),
        Some(family) if MOBILE_SYSTEMS.contains(&family) => DeviceType::Mobile,
        Some(family) if TABLET_SYSTEMS.contains(&family) => DeviceType::Tablet,
        // Linux phones (Ubuntu Touch, postmarketOS) say "Mobile" the way Android phones do.
        Some(family) if DESKTOP_SYSTEMS.contains(&family) => {
            if family != "Windows" && ua.contains("Mobile") {
                DeviceType::Mobile
            } else {
                DeviceType::Desktop
            }
        }
        _ => by_tokens(ua),
    }
}

fn is_scripted(family: &str) -> bool {
    SCRIPTED_CLIENTS.contains(&family) || {
        let lower = family.to_ascii_lowercase();
        lower.contains("bot") || lower.contains("crawler") || lower.contains("spider")
    }
}

/// Google's convention: phone browsers send "Mobile", tablet browsers do not. App HTTP stacks
/// (Dalvik, okhttp) send neither and run mostly on phones.
fn android(ua: &str) -> DeviceType {
    if ua.contains("Tablet") || ua.contains("Kindle") || ua.contains("Silk/") {
        DeviceType::Tablet
    } else if ua.contains("Mobile") || ua.contains("Dalvik") || ua.contains("okhttp") {
        DeviceType::Mobile
    } else if ua.contains("Safari") || ua.contains("Firefox") {
        DeviceType::Tablet
    } else {
        DeviceType::Mobile
    }
}

fn by_tokens(ua: &str) -> DeviceType {
    if ua.contains("Tablet") || ua.contains("iPad") {
        DeviceType::Tablet
    } else if ua.contains("Mobile") || ua.contains("Mobi") || ua.contains("iPhone") {
        DeviceType::Mobile
    } else {
        DeviceType::Other
    }
}
