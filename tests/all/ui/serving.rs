//! What session-local serves under `/ui/` over plain HTTP (no browser needed): the pages and
//! their files with a strict content security policy, and the development token route with its
//! limits. Nothing under `/ui/` is part of the API's OpenAPI document.

use serde_json::{Value, json};

use super::site::{PHONE_UA, Site};
use super::wire::exchange;
use session_tests::http1::RawResponse;

fn header<'a>(response: &'a RawResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn body_json(response: &RawResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

#[test]
fn the_pages_and_their_files_are_served_with_their_types() {
    let site = Site::start();
    for (path, content_type, marker) in [
        (
            "/ui/devices",
            "text/html; charset=utf-8",
            "<session-devices",
        ),
        ("/ui/console", "text/html; charset=utf-8", "Support console"),
        (
            "/ui/session-devices.js",
            "text/javascript; charset=utf-8",
            "customElements.define(\"session-devices\"",
        ),
        (
            "/ui/devices-host.js",
            "text/javascript; charset=utf-8",
            "/ui/dev/token",
        ),
        (
            "/ui/console.js",
            "text/javascript; charset=utf-8",
            "/admin/",
        ),
        ("/ui/pages.css", "text/css; charset=utf-8", ":root"),
    ] {
        let response = site.call("GET", path, None, None);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        let text = String::from_utf8(response.body.clone()).unwrap();
        assert!(text.contains(marker), "{path} holds {marker:?}");
        if content_type.starts_with("text/html") {
            let policy = header(&response, "content-security-policy").unwrap();
            assert!(
                policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
                "{policy}"
            );
        }
    }
}

#[test]
fn other_methods_on_a_page_get_a_problem() {
    let site = Site::start();
    let response = site.call("POST", "/ui/devices", None, Some(json!({})));
    assert_eq!(response.status, 405);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(body_json(&response)["code"], "method_not_allowed");
    let unknown = site.call("GET", "/ui/nothing-here", None, None);
    assert_eq!(unknown.status, 404);
    assert_eq!(body_json(&unknown)["code"], "route_not_found");
}

#[test]
fn the_development_token_works_on_the_user_routes() {
    let site = Site::start();
    site.register("alice", "basic");
    let phone = site.login("alice", PHONE_UA, "193.0.6.139");
    let minted = site.call(
        "POST",
        "/ui/dev/token",
        None,
        Some(json!({ "user_id": "alice", "session_id": phone.session_id })),
    );
    assert_eq!(
        minted.status,
        200,
        "{}",
        String::from_utf8_lossy(&minted.body)
    );
    assert_eq!(header(&minted, "cache-control"), Some("no-store"));
    let minted = body_json(&minted);
    assert_eq!(minted["token_type"], "Bearer");
    assert_eq!(minted["expires_in"], 3600);
    let token = minted["token"].as_str().unwrap();
    let listed = site.call("GET", "/sessions", Some(token), None);
    assert_eq!(listed.status, 200);
    assert_eq!(
        body_json(&listed)["sessions"][0]["id"],
        phone.session_id.as_str()
    );
}

#[test]
fn the_development_token_route_refuses_bad_requests() {
    let site = Site::start();
    let invalid = site.call(
        "POST",
        "/ui/dev/token",
        None,
        Some(json!({ "user_id": "", "session_id": "nope" })),
    );
    assert_eq!(invalid.status, 400);
    let problem = body_json(&invalid);
    assert_eq!(problem["code"], "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["user_id", "session_id"],
        "every field problem in one answer"
    );

    let unknown_field = site.call(
        "POST",
        "/ui/dev/token",
        None,
        Some(json!({ "user_id": "alice", "session_id": "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b", "admin": true })),
    );
    assert_eq!(unknown_field.status, 400);
    assert_eq!(body_json(&unknown_field)["code"], "invalid_body");

    let addr = site.addr();
    let not_json = exchange(
        addr,
        "POST",
        "/ui/dev/token",
        &[("content-type", "text/plain")],
        b"{}",
    )
    .unwrap();
    assert_eq!(not_json.status, 415);
    assert_eq!(body_json(&not_json)["code"], "unsupported_media_type");

    let get = site.call("GET", "/ui/dev/token", None, None);
    assert_eq!(get.status, 405);
    assert_eq!(header(&get, "allow"), Some("POST"));
}

#[test]
fn the_development_token_route_refuses_hosts_that_are_not_loopback() {
    let site = Site::start();
    let addr = site.addr();
    // What a page on another site reaches through a DNS name rebound to 127.0.0.1.
    let body = json!({ "user_id": "alice", "session_id": "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b" })
        .to_string();
    let rebound = exchange(
        addr,
        "POST",
        "/ui/dev/token",
        &[
            ("content-type", "application/json"),
            ("host", "attacker.example:3000"),
        ],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        rebound.status,
        403,
        "{}",
        String::from_utf8_lossy(&rebound.body)
    );
    assert_eq!(body_json(&rebound)["code"], "forbidden");
}

#[test]
fn nothing_under_ui_is_in_the_openapi_document() {
    let site = Site::start();
    let document = body_json(&site.call("GET", "/openapi.json", None, None));
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(|p| !p.starts_with("/ui")), "{paths:?}");
}
