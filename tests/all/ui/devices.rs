//! `/ui/devices`: a user signs in through the development sign-in, sees their devices in
//! `<session-devices>`, signs one out, signs out everywhere else, browses the history, pages, and
//! meets every failure the component must explain instead of going blank.

use serde_json::{Value, json};

use super::browser::{Browser, Tools, keys};
use super::site::{ANDROID_UA, Device, LAPTOP_UA, PHONE_UA, Site, WINDOWS_UA};

/// What the component lists, in order: name, "This device" badge, status, sign-out button.
const ITEMS: &str = "
  const root = document.querySelector('session-devices').shadowRoot;
  return [...root.querySelectorAll('li.device')].map((li) => ({
    id: li.dataset.sessionId,
    name: li.querySelector('h3').firstChild.textContent,
    current: li.querySelector('.badge') !== null,
    status: li.dataset.status,
    ended: li.querySelector('.ended')?.textContent ?? null,
    place: li.querySelectorAll('.meta')[0].textContent,
    sign_out: li.querySelector('button.sign-out') !== null,
  }));";

/// The text of one part of the component: `.notice`, `.error`, `.empty`.
const PART_TEXT: &str = "
  const part = document.querySelector('session-devices').shadowRoot.querySelector(arguments[0]);
  return part && !part.hidden ? part.textContent : '';";

/// A button of the component by its visible text (first match).
const BUTTON: &str = "
  const root = document.querySelector('session-devices').shadowRoot;
  return [...root.querySelectorAll('button')]
    .find((b) => b.checkVisibility() && b.textContent.trim().startsWith(arguments[0])) ?? null;";

/// The sign-out button of the device named `arguments[0]`.
const SIGN_OUT_OF: &str = "
  const root = document.querySelector('session-devices').shadowRoot;
  const item = [...root.querySelectorAll('li.device')]
    .find((li) => li.querySelector('h3').firstChild.textContent === arguments[0]);
  return item?.querySelector('button.sign-out') ?? null;";

struct Scene {
    site: Site,
    browser: Browser,
    /// The user's other devices, oldest first.
    others: Vec<Device>,
}

/// alice on the premium tier with an iPhone, a Windows PC and an Android phone (in that order),
/// then signed in on this browser through the page's development sign-in.
fn scene(tools: &Tools) -> Scene {
    let site = Site::start();
    site.register("alice", "premium");
    let others = vec![
        site.login("alice", PHONE_UA, "193.0.6.139"),
        site.login("alice", WINDOWS_UA, "171.64.0.1"),
        site.login("alice", ANDROID_UA, "133.11.0.1"),
    ];
    let browser = Browser::start(tools);
    browser.goto(&site.url("/ui/devices"));
    sign_in(&browser, "alice");
    wait_for_items(&browser, 4);
    Scene {
        site,
        browser,
        others,
    }
}

fn sign_in(browser: &Browser, user: &str) {
    let field = browser.element(
        "the user id field",
        "return document.getElementById('user-id')",
        json!([]),
    );
    browser.clear(&field);
    browser.type_into(&field, user);
    let button = browser.element(
        "the sign-in button",
        "return document.querySelector('#sign-in button[type=submit]')",
        json!([]),
    );
    browser.click(&button);
    browser.wait_until(
        "the page to say who is signed in",
        "return !document.getElementById('signed-in').hidden && document.getElementById('who').textContent",
        json!([]),
    );
}

fn items(browser: &Browser) -> Vec<Value> {
    browser.run(ITEMS, json!([])).as_array().unwrap().clone()
}

fn wait_for_items(browser: &Browser, count: usize) -> Vec<Value> {
    browser.wait_until(
        &format!("{count} devices listed"),
        &format!(
            "const items = (() => {{ {ITEMS} }})(); return items.length === {count} && items;"
        ),
        json!([]),
    );
    items(browser)
}

fn part_text(browser: &Browser, part: &str) -> String {
    browser
        .wait_until(&format!("text in {part}"), PART_TEXT, json!([part]))
        .as_str()
        .unwrap()
        .to_owned()
}

fn click_button(browser: &Browser, text: &str) {
    let button = browser.element(&format!("the {text:?} button"), BUTTON, json!([text]));
    browser.click(&button);
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["name"].as_str().unwrap()).collect()
}

#[test]
fn devices_page_lists_the_users_devices_newest_first_with_this_device_marked() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    let listed = items(&scene.browser);
    let browser_device = &listed[0];
    assert_eq!(
        browser_device["current"], true,
        "newest first: this browser, marked"
    );
    assert_eq!(
        browser_device["sign_out"], false,
        "this device is signed out with the app's own sign-out"
    );
    let expected: Vec<&str> = scene
        .others
        .iter()
        .rev()
        .map(|d| d.device_info.as_str())
        .collect();
    assert_eq!(
        names(&listed)[1..],
        expected[..],
        "the other devices, newest first"
    );
    for other in &listed[1..] {
        assert_eq!(other["current"], false);
        assert_eq!(other["sign_out"], true, "{other}");
        assert_eq!(other["status"], "active");
    }
    assert!(
        listed[3]["place"].as_str().unwrap().contains("193.0.6.139"),
        "the place shows the address: {}",
        listed[3]
    );
    assert!(
        scene
            .browser
            .run(BUTTON, json!(["Sign out everywhere else"]))
            .is_object(),
        "sign out everywhere else is offered while other devices are signed in"
    );
    scene.browser.screenshot("devices");
}

#[test]
fn devices_page_signs_one_device_out() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    let windows = &scene.others[1];
    let button = scene.browser.element(
        "the Windows device's sign-out",
        SIGN_OUT_OF,
        json!([windows.device_info]),
    );
    scene.browser.click(&button);
    let notice = part_text(&scene.browser, ".notice");
    assert_eq!(notice, format!("Signed out {}.", windows.device_info));
    let listed = wait_for_items(&scene.browser, 3);
    assert!(!names(&listed).contains(&windows.device_info.as_str()));
    let still_active: Vec<String> = scene
        .site
        .active_sessions(&scene.others[0])
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !still_active.contains(&windows.session_id),
        "the API agrees"
    );
    assert_eq!(still_active.len(), 3);
    scene.browser.screenshot("devices-signed-out-one");
}

#[test]
fn devices_page_signs_out_everywhere_else() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    click_button(&scene.browser, "Sign out everywhere else");
    let dialog = scene.browser.wait_until(
        "the confirmation dialog",
        "const d = document.querySelector('session-devices').shadowRoot.querySelector('dialog');
         return d.open && d.textContent;",
        json!([]),
    );
    assert!(
        dialog.as_str().unwrap().contains("3 other devices"),
        "the dialog says how many: {dialog}"
    );
    scene.browser.screenshot("devices-confirm-everywhere-else");
    let confirm = scene.browser.element(
        "the dialog's confirm button",
        "return document.querySelector('session-devices').shadowRoot.querySelector('dialog button.danger')",
        json!([]),
    );
    scene.browser.click(&confirm);
    assert_eq!(
        part_text(&scene.browser, ".notice"),
        "Signed out 3 other devices."
    );
    let listed = wait_for_items(&scene.browser, 1);
    assert_eq!(listed[0]["current"], true, "only this device is left");
    assert!(
        scene
            .browser
            .run(BUTTON, json!(["Sign out everywhere else"]))
            .is_null(),
        "nothing else to sign out"
    );
    let phone = &scene.others[0];
    let response = scene
        .site
        .call("GET", "/sessions", Some(&phone.token), None);
    assert_eq!(response.status, 401, "the phone's session is over");
}

#[test]
fn devices_page_says_the_session_ended_after_it_was_revoked_elsewhere() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    // On the phone, alice signs out everywhere else: this browser's session among them.
    let phone = &scene.others[0];
    let response = scene
        .site
        .call("DELETE", "/sessions", Some(&phone.token), None);
    assert_eq!(response.status, 200);
    click_button(&scene.browser, "Refresh");
    let error = part_text(&scene.browser, ".error");
    assert_eq!(
        error,
        "Your session has ended. Sign in again to manage your devices."
    );
    assert!(
        items(&scene.browser).is_empty(),
        "no stale list is left on screen"
    );
    assert!(
        scene.browser.run(BUTTON, json!(["Refresh"])).is_null(),
        "nothing to refresh until the host signs in again"
    );
    let host = scene.browser.wait_until(
        "the host page to offer the sign-in again",
        "return !document.getElementById('sign-in').hidden && document.getElementById('sign-in-status').textContent",
        json!([]),
    );
    assert_eq!(host, "This browser's session ended. Sign in again.");
    scene.browser.screenshot("devices-session-ended");
}

#[test]
fn devices_page_shows_the_history_of_signed_out_devices() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    let phone = &scene.others[0];
    let button = scene.browser.element(
        "the phone's sign-out",
        SIGN_OUT_OF,
        json!([phone.device_info]),
    );
    scene.browser.click(&button);
    wait_for_items(&scene.browser, 3);
    let history_tab = scene.browser.element(
        "the History tab",
        "return document.querySelector('session-devices').shadowRoot.querySelector('[role=tab][data-view=history]')",
        json!([]),
    );
    scene.browser.click(&history_tab);
    let listed = wait_for_items(&scene.browser, 1);
    assert_eq!(listed[0]["name"], phone.device_info.as_str());
    assert_eq!(listed[0]["status"], "revoked");
    assert_eq!(listed[0]["ended"], "Signed out from another device");
    assert_eq!(
        listed[0]["sign_out"], false,
        "an ended session has nothing to sign out"
    );
    scene.browser.screenshot("devices-history");
}

#[test]
fn devices_page_pages_through_many_devices() {
    let Some(tools) = Tools::find() else { return };
    let scene = scene(&tools);
    scene.browser.run(
        "document.querySelector('session-devices').setAttribute('page-size', '3')",
        json!([]),
    );
    let first_page = wait_for_items(&scene.browser, 3);
    click_button(&scene.browser, "Show more");
    let all = wait_for_items(&scene.browser, 4);
    assert_eq!(
        names(&all)[..3],
        names(&first_page)[..],
        "the next page is appended"
    );
    assert_eq!(
        all[3]["name"],
        scene.others[0].device_info.as_str(),
        "the oldest comes last"
    );
    assert!(
        scene.browser.run(BUTTON, json!(["Show more"])).is_null(),
        "no more pages"
    );
    assert_eq!(
        scene
            .browser
            .focused()
            .as_str()
            .unwrap_or_default()
            .split(':')
            .next(),
        Some("li"),
        "the keyboard lands on the first new device"
    );
}

#[test]
fn devices_page_says_so_when_the_service_cannot_be_reached() {
    let Some(tools) = Tools::find() else { return };
    let mut scene = scene(&tools);
    scene.site.stop();
    click_button(&scene.browser, "Refresh");
    let error = part_text(&scene.browser, ".error");
    assert!(
        error.starts_with(
            "Could not reach the session service. Check your connection, then try again."
        ),
        "{error}"
    );
    assert!(
        scene.browser.run(BUTTON, json!(["Try again"])).is_object(),
        "a retry is offered"
    );
    scene.browser.screenshot("devices-unreachable");
}

/// The messages for the answers session-local cannot be made to give on demand (429 and 503 come
/// from API Gateway's throttling and an unavailable store), checked on the module the page
/// loaded.
#[test]
fn devices_page_explains_busy_missing_and_failed_answers() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/devices"));
    let messages = browser.run_async(
        "const done = arguments[arguments.length - 1];
         import('/ui/session-devices.js').then(({ ApiFailure, describeFailure }) => {
           const say = (status, extra = {}) =>
             describeFailure(new ApiFailure('http', { status, ...extra }), { notFound: 'gone' });
           done({
             busy: say(503, { retryAfter: 2 }),
             throttled: say(429),
             missing: say(404),
             ended: say(401),
             failed: say(500, { problem: { title: 'Internal error', detail: 'the request could not be completed' } }),
             invalid: say(400, { problem: { title: 'Validation failed', detail: 'the request has invalid fields',
                                            errors: [{ field: 'limit', message: 'must be 1-100' }] } }),
           });
         }).catch((e) => done({ error: String(e) }));",
        json!([]),
    );
    assert_eq!(
        messages["busy"],
        json!({"text": "The service is busy. Try again in 2 seconds.", "retry": true, "ended": false})
    );
    assert_eq!(
        messages["throttled"],
        json!({"text": "The service is busy. Try again in a moment.", "retry": true, "ended": false})
    );
    assert_eq!(
        messages["missing"],
        json!({"text": "gone", "retry": false, "ended": false})
    );
    assert_eq!(messages["ended"]["ended"], true);
    assert_eq!(
        messages["failed"],
        json!({"text": "Internal error: the request could not be completed.", "retry": true, "ended": false})
    );
    assert_eq!(
        messages["invalid"]["text"],
        "Validation failed: the request has invalid fields (limit: must be 1-100)."
    );
}

#[test]
fn devices_page_works_with_the_keyboard_alone() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    site.register("bob", "premium");
    let phone = site.login("bob", PHONE_UA, "193.0.6.139");
    let laptop = site.login("bob", LAPTOP_UA, "171.64.0.1");
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/devices"));
    browser.element(
        "the page",
        "return document.getElementById('user-id')",
        json!([]),
    );

    // Sign in: the user id field is the first stop; type over it and submit with Enter.
    browser.press(keys::TAB);
    assert_eq!(browser.focused(), "input: user-id");
    browser.run("document.getElementById('user-id').select()", json!([]));
    for key in ["b", "o", "b"] {
        browser.press(key);
    }
    browser.press(keys::ENTER);
    browser.wait_until(
        "bob signed in",
        "return document.getElementById('who').textContent === 'bob'",
        json!([]),
    );
    let listed = wait_for_items(&browser, 3);

    // Tab walks the host's buttons, the selected tab, each device's sign-out, then the actions.
    let sign_out_labels: Vec<String> = listed
        .iter()
        .filter(|i| i["sign_out"] == true)
        .map(|i| {
            format!(
                "button: Sign out {}, {}",
                i["name"].as_str().unwrap(),
                i["place"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(sign_out_labels.len(), 2);
    assert!(
        sign_out_labels[0].contains(&laptop.device_info),
        "newest first"
    );
    let mut expected = vec![
        "button: Sign in on another device (simulated)".to_owned(),
        "button: Sign this browser out".to_owned(),
        "tab: Signed in".to_owned(),
    ];
    expected.extend(sign_out_labels.iter().cloned());
    expected.extend([
        "button: Sign out everywhere else".to_owned(),
        "button: Refresh".to_owned(),
    ]);
    browser.run("document.activeElement.blur()", json!([]));
    let mut order = Vec::new();
    for _ in 0..expected.len() {
        browser.press(keys::TAB);
        order.push(browser.focused().as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(order, expected, "focus order");

    // Enter on the laptop's sign-out signs it out and leaves the focus on the next device.
    for _ in 0..3 {
        browser.press(keys::SHIFT_TAB);
    }
    assert_eq!(browser.focused(), sign_out_labels[0].as_str());
    browser.press(keys::ENTER);
    assert_eq!(
        part_text(&browser, ".notice"),
        format!("Signed out {}.", laptop.device_info)
    );
    let left = wait_for_items(&browser, 2);
    assert_eq!(left[1]["name"], phone.device_info.as_str());
    browser.wait_until(
        "the focus on the phone's sign-out",
        "return arguments[0] === (() => { let n = document.activeElement;
           while (n && n.shadowRoot && n.shadowRoot.activeElement) n = n.shadowRoot.activeElement;
           return n && n.textContent.trim(); })()",
        json!([sign_out_labels[1].trim_start_matches("button: ")]),
    );

    // Back to the tabs, and the arrow key opens the history with the laptop in it.
    browser.press(keys::SHIFT_TAB);
    assert_eq!(browser.focused(), "tab: Signed in");
    browser.press(keys::ARROW_RIGHT);
    assert_eq!(browser.focused(), "tab: History");
    let history = wait_for_items(&browser, 1);
    assert_eq!(history[0]["name"], laptop.device_info.as_str());
    assert_eq!(history[0]["ended"], "Signed out from another device");
}
