//! Events of the shapes API Gateway delivers, with one part made hostile: every HTTP payload
//! under `events/` with each part an attacker or a broken integration can influence set to each
//! value of a hostile list, through the real HTTP function. None may get a 5xx or fail the
//! invocation; every error is a problem document with a code; and the URI parts that made
//! lambda_http 1.3.2 panic are 400.

use serde_json::{Value, json};

use super::seed::Seeded;
use super::{bound_route, expect, invoke_route, repo_root};

/// JSON pointers into a payload 2.0 event, and whether a malformed string there is a 400.
const PARTS: [(&str, bool); 16] = [
    ("/headers/host", true),
    ("/headers/x-forwarded-proto", true),
    ("/requestContext/domainName", false),
    ("/rawPath", false),
    ("/rawQueryString", false),
    ("/headers/content-type", false),
    ("/headers/idempotency-key", false),
    ("/headers/authorization", false),
    ("/cookies", false),
    ("/body", false),
    ("/isBase64Encoded", false),
    ("/requestContext/http/method", false),
    ("/requestContext/routeKey", false),
    ("/requestContext/requestId", false),
    ("/requestContext/http/sourceIp", false),
    ("/requestContext/authorizer", false),
];

fn hostile_values() -> Vec<Value> {
    let mut values: Vec<Value> = [
        "a%",
        "h h",
        "",
        " ",
        "%",
        "a%41",
        "%zz",
        "\u{0}",
        "a\r\nb",
        "\u{7f}",
        "é",
        "🙂",
        "[::1",
        "[::1]:99999",
        "a,b",
        "a:b:c",
        "//",
        "/..",
        "/a b",
        "?",
        "#",
        "/sessions?x#y",
        "AP8=",
        "not base64!",
        "GET",
        "get",
        "DELETE /sessions",
    ]
    .into_iter()
    .map(Value::from)
    .collect();
    values.extend([
        Value::from("x".repeat(70_000)),
        Value::from(format!("/{}", "a".repeat(3000))),
        json!(null),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["a=1", "\n"]),
        json!({}),
        json!({"lambda": {"user_id": ["alice"], "session_id": 7}}),
    ]);
    values
}

/// Sets the value at `pointer`, creating the object it lives in when missing.
fn set(event: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        Some(event)
    } else {
        event.pointer_mut(parent)
    };
    if let Some(Value::Object(object)) = parent {
        object.insert(key.to_owned(), value);
    }
}

#[tokio::test]
async fn no_hostile_part_of_a_delivered_event_gets_a_5xx() {
    let mut answered = 0;
    let mut bad_requests = 0;
    let files = expect::payload_files();
    for file in &files {
        let function = file.split('/').next().unwrap();
        let Some(route) = bound_route(function) else {
            continue;
        };
        let original: Value = serde_json::from_str(
            &std::fs::read_to_string(repo_root().join("events").join(file)).unwrap(),
        )
        .unwrap();
        // One store per payload: what a hostile event may change is not this test's concern,
        // only how it is answered.
        let seeded = Seeded::new().await;
        for (pointer, malformed_is_400) in PARTS {
            for value in hostile_values() {
                let mut event = original.clone();
                set(&mut event, pointer, value.clone());
                let shown = format!("{file} {pointer}={}", truncated(&value));
                let (status, headers, body) =
                    invoke_route(route, &event.to_string(), &seeded).await;
                answered += 1;
                assert!(status < 500, "{shown}: {status} {body}");
                if status >= 400 {
                    assert_eq!(
                        headers["content-type"], "application/problem+json",
                        "{shown}"
                    );
                    let problem: Value = serde_json::from_str(&body).unwrap();
                    assert!(problem["code"].is_string(), "{shown}: {problem}");
                }
                if status == 400 {
                    bad_requests += 1;
                }
                let malformed_uri_part = matches!(value.as_str(), Some("a%" | "h h"));
                if malformed_is_400 && malformed_uri_part {
                    assert_eq!(status, 400, "{shown}: {body}");
                }
            }
        }
    }
    let payloads = files
        .iter()
        .filter(|f| bound_route(f.split('/').next().unwrap()).is_some())
        .count();
    assert_eq!(answered, payloads * PARTS.len() * hostile_values().len());
    println!("{answered} hostile events answered, {bad_requests} of them 400, none 5xx");
}

fn truncated(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}
