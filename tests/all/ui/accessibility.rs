//! axe-core, run in the page by the same browser: no serious or critical violation on either
//! page, in the states a person sees (signed in with devices, the confirmation dialog open, the
//! console with a user looked up).

use serde_json::{Value, json};

use super::browser::{Browser, Tools};
use super::site::{PHONE_UA, Site, WINDOWS_UA};

/// Injects axe-core (once per page) and runs it on the whole document, shadow roots included.
/// Returns every violation; the caller decides which impacts fail.
fn axe(browser: &Browser, tools: &Tools) -> Vec<Value> {
    let loaded = browser.run("return typeof window.axe === 'object'", json!([]));
    if loaded != true {
        let source = std::fs::read_to_string(&tools.axe).unwrap();
        browser.run(&source, json!([]));
    }
    let result = browser.run_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, { resultTypes: ['violations'] })
           .then((r) => done({ violations: r.violations.map((v) => ({
               id: v.id, impact: v.impact, help: v.help,
               targets: v.nodes.map((n) => n.target.join(' ')) })) }))
           .catch((e) => done({ error: String(e) }));",
        json!([]),
    );
    assert!(result["error"].is_null(), "axe failed: {}", result["error"]);
    result["violations"].as_array().unwrap().clone()
}

fn assert_no_serious_violations(page: &str, violations: &[Value]) {
    for violation in violations {
        eprintln!("axe on {page}: {violation}");
    }
    let serious: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(serious.is_empty(), "{page}: {serious:#?}");
}

#[test]
fn devices_page_has_no_serious_or_critical_accessibility_violation() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    site.register("carol", "premium");
    site.login("carol", PHONE_UA, "193.0.6.139");
    site.login("carol", WINDOWS_UA, "171.64.0.1");
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/devices"));
    let signed_out = axe(&browser, &tools);
    assert_no_serious_violations("/ui/devices before sign-in", &signed_out);

    let field = browser.element(
        "the user id field",
        "return document.getElementById('user-id')",
        json!([]),
    );
    browser.clear(&field);
    browser.type_into(&field, "carol");
    let button = browser.element(
        "the sign-in button",
        "return document.querySelector('#sign-in button[type=submit]')",
        json!([]),
    );
    browser.click(&button);
    browser.wait_until(
        "three devices",
        "return document.querySelector('session-devices').shadowRoot.querySelectorAll('li.device').length === 3",
        json!([]),
    );
    assert_no_serious_violations("/ui/devices signed in", &axe(&browser, &tools));

    browser.run(
        "document.querySelector('session-devices').shadowRoot.querySelector('button.danger').click()",
        json!([]),
    );
    browser.wait_until(
        "the dialog",
        "return document.querySelector('session-devices').shadowRoot.querySelector('dialog').open",
        json!([]),
    );
    assert_no_serious_violations("/ui/devices with the dialog open", &axe(&browser, &tools));
}

#[test]
fn console_page_has_no_serious_or_critical_accessibility_violation() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/console"));
    browser.element(
        "the console",
        "return document.getElementById('user-id')",
        json!([]),
    );
    assert_no_serious_violations("/ui/console", &axe(&browser, &tools));

    // The check can fail: an input without a label is a critical violation to axe.
    browser.run(
        "document.querySelector('main').append(document.createElement('input'))",
        json!([]),
    );
    let broken = axe(&browser, &tools);
    assert!(
        broken
            .iter()
            .any(|v| v["id"] == "label" && v["impact"] == "critical"),
        "{broken:#?}"
    );
}

#[test]
fn console_page_with_a_user_looked_up_has_no_serious_or_critical_accessibility_violation() {
    let Some(tools) = Tools::find() else { return };
    let site = Site::start();
    site.register("erin", "premium");
    let phone = site.login("erin", PHONE_UA, "193.0.6.139");
    site.login("erin", WINDOWS_UA, "171.64.0.1");
    let response = site.call("DELETE", "/sessions/current", Some(&phone.token), None);
    assert_eq!(response.status, 204);
    let browser = Browser::start(&tools);
    browser.goto(&site.url("/ui/console"));
    browser.run(
        "document.getElementById('user-id').value = 'erin';
         document.getElementById('actor').value = 'support:jane';
         document.querySelector('#lookup button[type=submit]').click();",
        json!([]),
    );
    browser.wait_until(
        "erin's sessions",
        "return document.querySelectorAll('#sessions tbody tr').length === 2",
        json!([]),
    );
    assert_no_serious_violations("/ui/console with a user", &axe(&browser, &tools));
    browser.run("document.getElementById('revoke-all').click()", json!([]));
    browser.wait_until(
        "the dialog",
        "return document.getElementById('confirm').open",
        json!([]),
    );
    assert_no_serious_violations("/ui/console with the dialog open", &axe(&browser, &tools));
}
