//! User agents -> description and device type, including hostile input.

use std::time::{Duration, Instant};

use session_core::ports::DeviceEnricher;
use session_enrich::{DeviceParser, DeviceType};

const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
const CHROME_ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const EDGE_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
const FIREFOX_UBUNTU: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1";
const SAMSUNG: &str = "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36";
const CHROMEOS: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const GOOGLEBOT_SMARTPHONE: &str = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BINGBOT: &str = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
const CURL: &str = "curl/8.5.0";
const PYTHON_REQUESTS: &str = "python-requests/2.31.0";
const SMART_TV: &str = "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1";
const XBOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edge/44.18363.8131";

fn check(ua: &str, description: Option<&str>, device_type: DeviceType) {
    let parsed = DeviceParser::new().parse(ua);
    assert_eq!(parsed.description.as_deref(), description, "{ua}");
    assert_eq!(parsed.device_type, device_type, "{ua}");
}

#[test]
fn common_browsers_get_todays_marketing_names_and_device_types() {
    check(CHROME_MAC, Some("Chrome on macOS"), DeviceType::Desktop);
    check(SAFARI_IPHONE, Some("Safari on iOS"), DeviceType::Mobile);
    check(SAFARI_IPAD, Some("Safari on iOS"), DeviceType::Tablet);
    check(
        CHROME_ANDROID,
        Some("Chrome on Android"),
        DeviceType::Mobile,
    );
    check(
        CHROME_ANDROID_TABLET,
        Some("Chrome on Android"),
        DeviceType::Tablet,
    );
    check(EDGE_WINDOWS, Some("Edge on Windows"), DeviceType::Desktop);
    check(FIREFOX_LINUX, Some("Firefox on Linux"), DeviceType::Desktop);
    check(
        FIREFOX_UBUNTU,
        Some("Firefox on Ubuntu"),
        DeviceType::Desktop,
    );
    check(CHROME_IOS, Some("Chrome on iOS"), DeviceType::Mobile);
    check(
        SAMSUNG,
        Some("Samsung Internet on Android"),
        DeviceType::Mobile,
    );
    check(CHROMEOS, Some("Chrome on ChromeOS"), DeviceType::Desktop);
}

#[test]
fn parts_are_exposed_separately() {
    let parsed = DeviceParser::new().parse(CHROME_MAC);
    assert_eq!(parsed.browser.as_deref(), Some("Chrome"));
    assert_eq!(parsed.os.as_deref(), Some("macOS"));
}

#[test]
fn bots_and_scripted_clients_are_bots() {
    check(GOOGLEBOT, Some("Googlebot"), DeviceType::Bot);
    check(
        GOOGLEBOT_SMARTPHONE,
        Some("Googlebot on Android"),
        DeviceType::Bot,
    );
    check(BINGBOT, Some("bingbot"), DeviceType::Bot);
    check(CURL, Some("curl"), DeviceType::Bot);
    check(PYTHON_REQUESTS, Some("Python Requests"), DeviceType::Bot);
}

#[test]
fn tvs_and_consoles_are_other() {
    assert_eq!(
        DeviceParser::new().parse(SMART_TV).device_type,
        DeviceType::Other
    );
    assert_eq!(
        DeviceParser::new().parse(XBOX).device_type,
        DeviceType::Other
    );
}

#[test]
fn only_an_os_or_only_a_browser() {
    check(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        Some("Unknown browser on Windows"),
        DeviceType::Desktop,
    );
    check(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        Some("Unknown browser on macOS"),
        DeviceType::Desktop,
    );
    check("Firefox/125.0", Some("Firefox"), DeviceType::Other);
}

#[test]
fn empty_blank_and_garbage_give_no_description_and_never_fail() {
    for ua in [
        "",
        "   ",
        "\t\n",
        "asdf qwerty",
        "}}}{{{",
        "\u{0}\u{1}\u{7f}",
        "😀😀😀",
        "Mozilla/5.0",
    ] {
        let parsed = DeviceParser::new().parse(ua);
        assert_eq!(parsed.description, None, "{ua:?}");
        assert_eq!(parsed.device_type, DeviceType::Other, "{ua:?}");
        let info = DeviceParser::new().describe(ua).unwrap();
        assert_eq!(info.description, None, "{ua:?}");
        assert_eq!(info.device_type, Some(DeviceType::Other), "{ua:?}");
    }
}

#[test]
fn a_100_kb_user_agent_is_cut_to_512_bytes_and_parsed_quickly() {
    let parser = DeviceParser::new();
    assert!(parser.warm_up());
    let huge = [CHROME_MAC, &" (junk)".repeat(100 * 1024 / 7)].concat();
    assert!(huge.len() >= 100 * 1024);
    let multibyte = "é".repeat(50 * 1024);
    let brackets = "(".repeat(100 * 1024);
    let bot_suffix = [&"x".repeat(100 * 1024), "Googlebot/2.1"].concat();
    for (name, ua, expected) in [
        ("long Chrome", huge.as_str(), Some("Chrome on macOS")),
        ("multibyte", multibyte.as_str(), None),
        ("brackets", brackets.as_str(), None),
        // Past the 512-byte cut the bot token is gone: the stored and parsed text agree.
        ("bot token beyond the bound", bot_suffix.as_str(), None),
    ] {
        let started = Instant::now();
        let parsed = parser.parse(ua);
        let took = started.elapsed();
        assert_eq!(parsed.description.as_deref(), expected, "{name}");
        assert!(took < Duration::from_secs(1), "{name} took {took:?}");
    }
}

#[test]
fn the_core_port_returns_the_description_and_device_type() {
    let parser: &dyn DeviceEnricher = &DeviceParser::new();
    let info = parser.describe(EDGE_WINDOWS).unwrap();
    assert_eq!(info.description.as_deref(), Some("Edge on Windows"));
    assert_eq!(info.device_type, Some(DeviceType::Desktop));
}

#[test]
fn device_type_round_trips_through_its_text() {
    for t in DeviceType::ALL {
        assert_eq!(DeviceType::parse(t.as_str()), Some(t));
        assert_eq!(t.to_string(), t.as_str());
    }
    assert_eq!(DeviceType::parse("phone"), None);
}
