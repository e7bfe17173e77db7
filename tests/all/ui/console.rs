//! `/ui/console`: a support engineer looks a customer up, sees every session with its state and
//! how it ended, revokes one, revokes all with a reason, disables and enables the account.

use serde_json::{Value, json};

use super::browser::{Browser, Tools};
use super::site::{ANDROID_UA, Device, PHONE_UA, Site, WINDOWS_UA};

/// The sessions table: one object per row.
const ROWS: &str = "
  return [...document.querySelectorAll('#sessions tbody tr')].map((tr) => ({
    id: tr.dataset.sessionId,
    state: tr.dataset.state,
    device: tr.cells[0].textContent,
    ended: tr.querySelector('.ended-how').textContent,
    revoke: tr.querySelector('button.revoke') !== null,
  }));";

fn text_of(browser: &Browser, id: &str) -> String {
    browser
        .run(
            "const n = document.getElementById(arguments[0]); return n ? n.textContent : null;",
            json!([id]),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn wait_for_text(browser: &Browser, id: &str, expected: &str) {
    browser.wait_until(
        &format!(
            "#{id} to say {expected:?} (it says {:?})",
            text_of(browser, id)
        ),
        "return document.getElementById(arguments[0]).textContent === arguments[1]",
        json!([id, expected]),
    );
}

fn rows(browser: &Browser) -> Vec<Value> {
    browser.run(ROWS, json!([])).as_array().unwrap().clone()
}

fn wait_for_rows(browser: &Browser, what: &str, condition: &str) -> Vec<Value> {
    browser.wait_until(
        what,
        &format!("const rows = (() => {{ {ROWS} }})(); return ({condition}) && rows;"),
        json!([]),
    );
    rows(browser)
}

fn fill(browser: &Browser, id: &str, text: &str) {
    let field = browser.element(
        &format!("#{id}"),
        "return document.getElementById(arguments[0])",
        json!([id]),
    );
    browser.clear(&field);
    browser.type_into(&field, text);
}

fn click(browser: &Browser, what: &str, script: &str, args: Value) {
    let element = browser.element(what, script, args);
    browser.click(&element);
}

fn click_id(browser: &Browser, id: &str) {
    click(
        browser,
        &format!("#{id}"),
        "return document.getElementById(arguments[0])",
        json!([id]),
    );
}

/// Chooses `reason`, writes `note` and confirms the open dialog.
fn confirm(browser: &Browser, reason: &str, note: &str) {
    browser.wait_until(
        "the confirmation dialog",
        "return document.getElementById('confirm').open",
        json!([]),
    );
    browser.run(
        "const r = document.getElementById('reason'); r.value = arguments[0];",
        json!([reason]),
    );
    if !note.is_empty() {
        fill(browser, "note", note);
    }
    click_id(browser, "confirm-button");
}

struct Scene {
    site: Site,
    browser: Browser,
    /// dave's devices, oldest first; the first one he signed out himself.
    devices: Vec<Device>,
}

/// dave with three devices, one of which he signed out himself; the console open with dave
/// looked up by support:jane.
fn scene(tools: &Tools) -> Scene {
    let site = Site::start();
    site.register("dave", "premium");
    let devices = vec![
        site.login("dave", PHONE_UA, "193.0.6.139"),
        site.login("dave", WINDOWS_UA, "171.64.0.1"),
        site.login("dave", ANDROID_UA, "133.11.0.1"),
    ];
    let response = site.call(
        "DELETE",
        &format!("/sessions/{}", devices[0].session_id),
        Some(&devices[2].token),
        None,
    );
    assert_eq!(response.status, 204);
    let browser = Browser::start(tools);
    browser.goto(&site.url("/ui/console"));
    fill(&browser, "user-id", "dave");
    fill(&browser, "actor", "support:jane");
    click(
        &browser,
        "the look-up button",
        "return document.querySelector('#lookup button[type=submit]')",
        json!([]),
    );
    wait_for_rows(&browser, "dave's three sessions", "rows.length === 3");
    Scene {
        site,
        browser,
        devices,
    }
}

#[test]
fn console_looks_a_user_up_and_shows_every_session_with_how_it_ended() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    let listed = rows(&scene.browser);
    let devices: Vec<&str> = listed
        .iter()
        .map(|r| r["device"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = scene
        .devices
        .iter()
        .rev()
        .map(|d| d.device_info.as_str())
        .collect();
    assert_eq!(devices, expected, "newest first");
    assert_eq!(listed[2]["state"], "revoked");
    assert!(
        listed[2]["ended"]
            .as_str()
            .unwrap()
            .starts_with("manual by user dave"),
        "who ended it and why: {}",
        listed[2]
    );
    assert_eq!(listed[2]["revoke"], false);
    for active in &listed[..2] {
        assert_eq!(active["state"], "active");
        assert_eq!(active["revoke"], true);
    }
    assert_eq!(text_of(&scene.browser, "account-status"), "Active");
    assert_eq!(
        text_of(&scene.browser, "status"),
        "dave: 3 sessions (2 active) shown, account active."
    );
    scene.browser.screenshot("console");
}

#[test]
fn console_revokes_one_session() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    let windows = &scene.devices[1];
    click(
        &scene.browser,
        "the Windows session's revoke button",
        "return document.querySelector(`tr[data-session-id='${arguments[0]}'] button.revoke`)",
        json!([windows.session_id]),
    );
    confirm(
        &scene.browser,
        "admin_action",
        "asked by phone, ticket 1234",
    );
    wait_for_text(
        &scene.browser,
        "status",
        &format!("Revoked the session on {}.", windows.device_info),
    );
    let listed = wait_for_rows(
        &scene.browser,
        "the Windows session revoked",
        &format!(
            "rows.some((r) => r.id === '{}' && r.state === 'revoked')",
            windows.session_id
        ),
    );
    let row = listed
        .iter()
        .find(|r| r["id"] == windows.session_id.as_str())
        .unwrap();
    let ended = row["ended"].as_str().unwrap();
    assert!(
        ended.starts_with("admin_action by admin support:jane")
            && ended.ends_with(": asked by phone, ticket 1234"),
        "{ended}"
    );
    let response = scene
        .site
        .call("GET", "/sessions", Some(&windows.token), None);
    assert_eq!(
        response.status, 401,
        "the revoked session is refused at once"
    );
}

#[test]
fn console_revokes_all_sessions_with_a_reason() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    click_id(&scene.browser, "revoke-all");
    scene.browser.screenshot("console-confirm-revoke-all");
    confirm(
        &scene.browser,
        "security_concern",
        "credential stuffing from one network",
    );
    wait_for_text(&scene.browser, "status", "Revoked 2 sessions of dave.");
    let listed = wait_for_rows(
        &scene.browser,
        "every session revoked",
        "rows.length === 3 && rows.every((r) => r.state === 'revoked')",
    );
    let by_support = listed
        .iter()
        .filter(|r| {
            r["ended"]
                .as_str()
                .unwrap()
                .starts_with("security_concern by admin support:jane")
        })
        .count();
    assert_eq!(by_support, 2, "{listed:#?}");
    for device in &scene.devices[1..] {
        let response = scene
            .site
            .call("GET", "/sessions", Some(&device.token), None);
        assert_eq!(response.status, 401);
    }
    assert_eq!(
        text_of(&scene.browser, "account-status"),
        "Active",
        "the account stays enabled"
    );
}

#[test]
fn console_disables_and_enables_the_account() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    click_id(&scene.browser, "toggle-status");
    confirm(&scene.browser, "security_concern", "");
    wait_for_text(
        &scene.browser,
        "status",
        "Disabled dave: 2 sessions revoked.",
    );
    wait_for_text(&scene.browser, "account-status", "Disabled");
    assert_eq!(text_of(&scene.browser, "toggle-status"), "Enable account…");
    scene.browser.screenshot("console-disabled");
    let refused = scene.site.call(
        "POST",
        "/internal/sessions",
        None,
        Some(json!({ "user_id": "dave", "user_agent": PHONE_UA })),
    );
    assert!(
        (400..500).contains(&refused.status),
        "a disabled account cannot log in: {}",
        refused.status
    );

    click_id(&scene.browser, "toggle-status");
    confirm(&scene.browser, "admin_action", "identity confirmed");
    wait_for_text(&scene.browser, "status", "Enabled dave.");
    wait_for_text(&scene.browser, "account-status", "Active");
    let listed = rows(&scene.browser);
    assert!(
        listed.iter().all(|r| r["state"] != "active"),
        "enabling revives no session: {listed:#?}"
    );
    scene.site.login("dave", PHONE_UA, "193.0.6.139");
}

#[test]
fn console_says_so_when_a_user_is_unknown() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/console"));
    fill(&browser, "user-id", "nobody");
    fill(&browser, "actor", "support:jane");
    click(
        &browser,
        "the look-up button",
        "return document.querySelector('#lookup button[type=submit]')",
        json!([]),
    );
    wait_for_text(
        &browser,
        "error",
        "No user nobody is known to the session service.",
    );
    assert_eq!(
        browser.run(
            "return document.getElementById('account').hidden",
            json!([])
        ),
        true,
        "no account panel for an unknown user"
    );
    browser.screenshot("console-unknown-user");
}

#[test]
fn console_asks_who_is_acting_before_any_change() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/console"));
    // The look-up form needs the actor too: the browser's own validation stops the submit.
    fill(&browser, "user-id", "dave");
    click(
        &browser,
        "the look-up button",
        "return document.querySelector('#lookup button[type=submit]')",
        json!([]),
    );
    let invalid = browser.run(
        "return document.activeElement.id + ':' + document.getElementById('actor').validity.valueMissing",
        json!([]),
    );
    assert_eq!(
        invalid, "actor:true",
        "the focus goes to the empty actor field"
    );
}
