//! Every saved fuzzing input of the Lambda event path (`fuzz/regressions/api_request/`) replayed
//! through the real HTTP function, so CI checks them without cargo-fuzz: none may get a 5xx, and
//! the events that made lambda_http 1.3.2 panic in its URI building (`lambda-http-*.json`:
//! Host `a%`, X-Forwarded-Proto `h h`, domainName `a%`) are 400 problem documents.

use serde_json::Value;

use super::seed::Seeded;
use super::{bound_routes, invoke_route, repo_root};

#[tokio::test]
async fn every_saved_event_is_answered_without_a_5xx_and_the_lambda_http_panics_are_400() {
    let dir = repo_root().join("fuzz/regressions/api_request");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let routes = bound_routes();
    let mut lambda_http_panics = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let event: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{name}: this replay knows Lambda events (JSON) only, not {e}")
        });
        // The function API Gateway would have invoked: the one bound to the event's route key,
        // or any when the key names none (the function then refuses it as another route's).
        let route_key = event
            .pointer("/requestContext/routeKey")
            .and_then(Value::as_str);
        let route = routes
            .iter()
            .copied()
            .find(|r| Some(*r) == route_key)
            .unwrap_or(routes[0]);
        let seeded = Seeded::new().await;
        let (status, headers, body) = invoke_route(route, &text, &seeded).await;
        assert!(status < 500, "{name}: {status} {body}");
        if status >= 400 {
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{name}"
            );
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert!(problem["code"].is_string(), "{name}: {problem}");
            assert_eq!(problem["status"], status, "{name}");
        }
        if name.starts_with("lambda-http-") {
            lambda_http_panics += 1;
            assert_eq!(status, 400, "{name}: {body}");
        }
    }
    assert_eq!(
        lambda_http_panics, 4,
        "the four lambda_http reproducers are replayed: {files:?}"
    );
}
