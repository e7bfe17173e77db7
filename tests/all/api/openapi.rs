//! The OpenAPI document parses, is 3.1, lists every route with the right security scheme, and
//! describes the bodies it references.

use serde_json::{Value, json};
use session_api::{Access, Caller};

use super::support::Harness;

/// Every route of the route table, as (path, lowercase method, access).
fn routes() -> Vec<(String, String, Access)> {
    session_api::routes()
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.method.as_str().to_ascii_lowercase(),
                r.access,
            )
        })
        .collect()
}

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
    let mut expected: Vec<(String, String)> = routes()
        .into_iter()
        .map(|(path, method, _)| (path, method))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn every_route_names_its_security_scheme() {
    let doc = document().await;
    for (path, method, access) in routes() {
        let operation = &doc["paths"][&path][&method];
        let security = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}"));
        let (scheme, roles) = match access {
            Access::User => (Some("bearer"), json!([])),
            Access::Service => (Some("sigv4"), json!([])),
            Access::Admin => (Some("sigv4"), json!(["admin"])),
            Access::Public => (None, json!([])),
        };
        match scheme {
            Some(scheme) => assert!(
                security
                    .iter()
                    .any(|requirement| requirement.get(scheme) == Some(&roles)),
                "{method} {path} should require {scheme} {roles}"
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

/// The README's route table lists exactly the routes of the API (one row per `METHOD /path`).
#[test]
fn the_readme_lists_every_route_and_nothing_else() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let mut listed: Vec<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(route, _)| route.split('?').next().unwrap_or(route).to_owned())
        .filter(|route| {
            route.split_once(' ').is_some_and(|(m, p)| {
                m.chars().all(|c| c.is_ascii_uppercase()) && p.starts_with('/')
            })
        })
        .collect();
    listed.sort();
    let mut expected: Vec<String> = session_api::routes()
        .iter()
        .map(|r| r.route_key().to_owned())
        .collect();
    expected.sort();
    assert_eq!(listed, expected, "README.md's route table");
}
