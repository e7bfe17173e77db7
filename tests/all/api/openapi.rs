//! The OpenAPI document parses, is 3.1, lists every route with the right security scheme, and
//! describes the bodies it references.

use serde_json::Value;
use session_api::Caller;

use super::support::Harness;

/// Every route the API serves, with the security scheme it needs (`None`: public).
const ROUTES: [(&str, &str, Option<&str>); 12] = [
    ("/sessions", "get", Some("bearer")),
    ("/sessions", "delete", Some("bearer")),
    ("/sessions/current", "delete", Some("bearer")),
    ("/sessions/{id}", "get", Some("bearer")),
    ("/sessions/{id}", "delete", Some("bearer")),
    ("/internal/sessions", "post", Some("sigv4")),
    ("/internal/sessions/{id}/validity", "get", Some("sigv4")),
    ("/internal/sessions/{id}/activity", "post", Some("sigv4")),
    (
        "/internal/sessions/{id}/provider-access",
        "post",
        Some("sigv4"),
    ),
    (
        "/internal/sessions/{id}/refresh-token",
        "put",
        Some("sigv4"),
    ),
    (
        "/internal/users/{user_id}/session-policy",
        "put",
        Some("sigv4"),
    ),
    ("/openapi.json", "get", None),
];

async fn document() -> Value {
    let h = Harness::new();
    let reply = h
        .call(Caller::Anonymous, "GET", "/openapi.json", None)
        .await;
    reply.ok_json(200)
}

#[tokio::test]
async fn the_document_is_openapi_3_1() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(doc["info"]["version"].is_string());
}

#[tokio::test]
async fn the_document_lists_every_route_and_nothing_else() {
    let doc = document().await;
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| ["get", "put", "post", "delete", "patch"].contains(&key.as_str()))
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(path, method, _)| ((*path).to_owned(), (*method).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn every_route_names_its_security_scheme() {
    let doc = document().await;
    for (path, method, scheme) in ROUTES {
        let operation = &doc["paths"][path][method];
        let security = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}"));
        match scheme {
            Some(scheme) => assert!(
                security
                    .iter()
                    .any(|requirement| requirement.get(scheme).is_some()),
                "{method} {path} should require {scheme}"
            ),
            None => assert!(
                security
                    .iter()
                    .any(|requirement| requirement.as_object().is_some_and(|o| o.is_empty())),
                "{method} {path} should be public"
            ),
        }
        assert!(operation["operationId"].is_string(), "{method} {path}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["sigv4"]["type"], "apiKey");
    assert_eq!(schemes["sigv4"]["x-amazon-apigateway-authtype"], "awsSigv4");
}

#[tokio::test]
async fn every_referenced_schema_is_defined() {
    let doc = document().await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference}"));
        assert!(schemas.contains_key(name), "{reference} is not defined");
    }
}

#[tokio::test]
async fn request_bodies_reject_unknown_fields_and_errors_are_problem_documents() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    for request in [
        "CreateSessionRequest",
        "ActivityRequest",
        "ProviderAccessRequest",
        "RefreshTokenRequest",
        "SessionPolicyRequest",
    ] {
        assert_eq!(schemas[request]["additionalProperties"], false, "{request}");
    }
    let problem = &schemas["Problem"]["properties"];
    for field in [
        "type", "title", "status", "detail", "instance", "code", "trace_id", "errors",
    ] {
        assert!(problem.get(field).is_some(), "Problem.{field}");
    }
    let not_found = &doc["paths"]["/sessions/{id}"]["get"]["responses"]["404"]["content"];
    assert!(not_found.get("application/problem+json").is_some());
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}
