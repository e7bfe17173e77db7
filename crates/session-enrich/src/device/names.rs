//! uap-core family names -> the names people know today.
//!
//! uap-core keeps historical and per-platform spellings ("Mac OS X", "Mobile Safari",
//! "Chrome Mobile iOS"); a session list reads better with the product names the vendors use now
//! ("macOS", "Safari", "Chrome"). Families not listed are already fine as they are.

/// The name to show for a uap-core browser family; `None` when uap-core does not know it.
pub(crate) fn browser(family: &str) -> Option<&str> {
    Some(match family {
        "" | "Other" => return None,
        "Chrome Mobile" | "Chrome Mobile iOS" => "Chrome",
        "Chrome Mobile WebView" => "Android WebView",
        "HeadlessChrome" => "Headless Chrome",
        "Mobile Safari" | "Mobile Safari UI/WKWebView" => "Safari",
        "Firefox Mobile" | "Firefox iOS" => "Firefox",
        "Edge Mobile" => "Edge",
        "Opera Mobile" => "Opera",
        "IE" | "IE Mobile" => "Internet Explorer",
        "Android" => "Android Browser",
        "DuckDuckGo Mobile" => "DuckDuckGo",
        other => other,
    })
}

/// The name to show for a uap-core OS family; `None` when uap-core does not know it.
pub(crate) fn os(family: &str) -> Option<&str> {
    Some(match family {
        "" | "Other" => return None,
        "Mac OS X" | "Mac OS" => "macOS",
        "Chrome OS" => "ChromeOS",
        "WatchOS" => "watchOS",
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_families_use_todays_names_and_others_pass_through() {
        assert_eq!(browser("Chrome Mobile"), Some("Chrome"));
        assert_eq!(browser("Mobile Safari"), Some("Safari"));
        assert_eq!(browser("Vivaldi"), Some("Vivaldi"));
        assert_eq!(browser("Other"), None);
        assert_eq!(os("Mac OS X"), Some("macOS"));
        assert_eq!(os("Android"), Some("Android"));
        assert_eq!(os("Other"), None);
    }
}
