//! NewDeviceSignIn for logins without a device id: a browser, OS and country combination not
//! seen within the policy's window (docs/0049).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::Duration;
use session_core::domain::PolicyConfig;
use session_core::ids::UserId;
use session_core::testkit::{MappedDevices, MappedLocations};
use session_core::use_cases::CreateSession;

use crate::contract::devices::device_login;
use crate::events::new_device_sign_in;
use crate::fixture::{FixtureConfig, ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

const CHROME_ON_WINDOWS: &str = "ua-chrome-windows";
const FIREFOX_ON_LINUX: &str = "ua-firefox-linux";
const BERLIN: &str = "198.51.100.10";
const PARIS: &str = "203.0.113.20";

fn config(policy: PolicyConfig) -> FixtureConfig {
    FixtureConfig {
        policy,
        device: Arc::new(
            MappedDevices::new()
                .with(CHROME_ON_WINDOWS, "Chrome on Windows", "desktop")
                .with(FIREFOX_ON_LINUX, "Firefox on Linux", "desktop"),
        ),
        location: Arc::new(
            MappedLocations::new()
                .with(ip(BERLIN), "Berlin", "DE", None)
                .with(ip(PARIS), "Paris", "FR", None),
        ),
    }
}

fn from(user: &UserId, agent: &str, address: &str) -> CreateSession {
    CreateSession {
        user_agent: Some(agent.to_owned()),
        ip_address: Some(address.parse::<IpAddr>().expect("an address")),
        ..login_cmd(user)
    }
}

/// Logs in with `cmd` and answers the platform and location of the NewDeviceSignIn it emitted,
/// if any.
async fn announced<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    cmd: CreateSession,
) -> Option<(Option<String>, Option<String>)> {
    fx.take_events().await;
    let created = fx.sessions.create_session(cmd).await.expect("login");
    let events = fx.take_events().await;
    let announced = new_device_sign_in(&events);
    assert!(announced.len() <= 1, "at most one per login");
    announced.first().map(|event| {
        assert_eq!(event.session_id, created.session.id());
        assert_eq!(event.device_id, None, "no device id was sent");
        (event.platform.clone(), event.location.clone())
    })
}

/// Without a device id, a login is announced when its browser family, OS family and country
/// were not seen together within `unseen_days` (90): never the first login, never a repeat
/// within the window, a new browser or a new country yes, and an old combination again once
/// the window has passed since it was last seen.
pub async fn a_browser_os_and_country_not_seen_lately_is_a_new_device<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(&h, config(PolicyConfig::default())).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;

    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN)).await,
        None
    );
    fx.advance(Duration::days(1));
    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN)).await,
        None
    );
    assert_eq!(
        announced(&fx, from(&alice, FIREFOX_ON_LINUX, BERLIN)).await,
        Some((Some("Firefox on Linux".into()), Some("Berlin, DE".into())))
    );
    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, PARIS)).await,
        Some((Some("Chrome on Windows".into()), Some("Paris, FR".into())))
    );
    assert_eq!(
        announced(&fx, from(&alice, FIREFOX_ON_LINUX, BERLIN)).await,
        None
    );

    fx.advance(Duration::days(89));
    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN)).await,
        None,
        "last seen 89 days ago"
    );
    fx.advance(Duration::days(91));
    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN)).await,
        Some((Some("Chrome on Windows".into()), Some("Berlin, DE".into()))),
        "not seen for 91 days"
    );
    assert_eq!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN)).await,
        None
    );
}

/// With `on_first_login`, a user's very first login is announced too, with or without a device
/// id; the window follows the policy's `unseen_days`.
pub async fn the_policy_can_announce_first_logins_and_shorten_the_window<H: StoreHarness>(h: H) {
    let policy = PolicyConfig::from_json(
        r#"{"new_device_sign_in":{"unseen_days":7,"on_first_login":true}}"#,
    )
    .expect("valid policy");
    let fx = Fixture::with_config(&h, config(policy)).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "pro", None).await;
    fx.register(&bob, "pro", None).await;

    assert!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN))
            .await
            .is_some()
    );
    fx.advance(Duration::days(8));
    assert!(
        announced(&fx, from(&alice, CHROME_ON_WINDOWS, BERLIN))
            .await
            .is_some(),
        "not seen within 7 days"
    );

    fx.take_events().await;
    fx.sessions
        .create_session(device_login(&bob, "phone-00001", None))
        .await
        .expect("login");
    let events = fx.take_events().await;
    assert_eq!(new_device_sign_in(&events).len(), 1, "bob's first login");
}
