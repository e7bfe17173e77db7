//! Family names differ between labellers and parsers ("Mac OS X" / "Mac" / "macOS"); both the
//! label and the answer go through this one small map before comparing, case-insensitively.
//! Anything not listed is compared as written.

pub fn browser(name: &str) -> String {
    let canonical = match name {
        "Mobile Safari" | "Mobile Safari UI/WKWebView" => "Safari",
        "Chrome Mobile" | "Chrome Mobile iOS" => "Chrome",
        "Chrome Mobile WebView" | "Chrome Webview" | "Android WebView" => "Chrome WebView",
        "HeadlessChrome" | "Headless Chrome" => "Headless Chrome",
        "Firefox Mobile" | "Firefox iOS" => "Firefox",
        "Edge Mobile" | "Microsoft Edge" => "Edge",
        "IE" | "IE Mobile" | "Internet Explorer" => "Internet Explorer",
        "Opera Mobile" => "Opera",
        "Samsung Browser" => "Samsung Internet",
        "Android" | "Android Browser" => "Android Browser",
        "DuckDuckGo Mobile" | "DuckDuckGo Privacy Browser" => "DuckDuckGo",
        other => other,
    };
    canonical.to_lowercase()
}

pub fn os(name: &str) -> String {
    let canonical = match name {
        "Mac OS X" | "Mac OS" | "Mac" | "Mac OSX" | "macOS" => "macOS",
        "Chrome OS" | "ChromeOS" => "ChromeOS",
        "GNU/Linux" => "Linux",
        "iPadOS" | "iPhone" | "iPad" | "iPod" => "iOS",
        "WatchOS" => "watchOS",
        // Woothee and Matomo put the version in the family ("Windows 10", "Windows 7").
        w if w.starts_with("Windows ")
            && !["Phone", "Mobile", "CE", "RT"]
                .iter()
                .any(|k| w.contains(k)) =>
        {
            "Windows"
        }
        other => other,
    };
    canonical.to_lowercase()
}

/// A label that names a real family (not a labeller's "don't know").
pub fn is_real(name: &str) -> bool {
    !matches!(name.trim(), "" | "Other" | "UNKNOWN" | "Unknown")
}
