//! The SAM template (`template.yaml`) against the code it deploys: every crate in `functions/` is
//! exactly one function in the template and every function there has a crate; each HTTP function
//! is bound to the route key its `main.rs` serves, with IAM on internal routes and the Lambda
//! authorizer (never cached) on user routes; the stream and password-change wiring match what the
//! handlers expect; and every environment variable the template sets is one the code reads.
//! `security.rs`: least-privilege roles, encrypted topics and the auth bus policy.
//!
//! No network and no AWS: the template is parsed as YAML, with CloudFormation's short-form tags
//! (`!Ref`, `!GetAtt`, `!Sub`, `!If`, ...) kept as tagged values.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod event_schemas;
mod local_endpoint;
pub(crate) mod model;
mod observability;
mod security;

use std::collections::{BTreeMap, BTreeSet};

use model::{FunctionCrate, Template};

/// The Lambda authorizer's binary (functions/authorizer).
const AUTHORIZER_BINARY: &str = "authorizer";

#[test]
fn every_function_crate_is_exactly_one_template_function_and_back() {
    let crates = model::function_crates();
    let template = Template::load();
    let mut by_binary: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, function) in template.functions() {
        by_binary.entry(function.binary()).or_default().push(id);
    }
    let names: BTreeSet<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    for name in &names {
        match by_binary.get(name).map(Vec::as_slice) {
            Some([_]) => {}
            Some(ids) => panic!("functions/{name} is deployed by several resources: {ids:?}"),
            None => panic!(
                "functions/{name} is not in template.yaml: add an AWS::Serverless::Function with \
                 Metadata.BuildProperties.Binary: {name}"
            ),
        }
    }
    for (binary, ids) in &by_binary {
        assert!(
            names.contains(binary),
            "{ids:?} in template.yaml build binary `{binary}`, which is no crate in functions/"
        );
    }
}

#[test]
fn every_function_is_a_cargo_lambda_build_for_graviton() {
    let template = Template::load();
    for (id, function) in template.functions() {
        assert_eq!(
            function.metadata("BuildMethod"),
            "rust-cargolambda",
            "{id}: Metadata.BuildMethod"
        );
        assert_eq!(
            function.property("Runtime").as_str(),
            Some("provided.al2023"),
            "{id}"
        );
        assert_eq!(
            function.property("Handler").as_str(),
            Some("bootstrap"),
            "{id}"
        );
        assert_eq!(
            function.property("CodeUri").as_str(),
            Some("."),
            "{id}: CodeUri must be the workspace root (cargo-lambda selects the binary)"
        );
        let architectures = function.property("Architectures");
        assert_eq!(
            architectures.as_sequence().map(|s| model::strings(s)),
            Some(vec!["arm64".to_owned()]),
            "{id}: Architectures"
        );
    }
}

#[test]
fn every_http_route_is_bound_to_its_function_with_the_right_authorisation() {
    let template = Template::load();
    let crates = model::function_crates();
    let authorizer = template.lambda_authorizer();
    let mut bound_routes = BTreeMap::new();
    for krate in &crates {
        let (id, function) = template.function_for(&krate.name);
        let events = function.http_api_events();
        let Some(route_key) = &krate.route_key else {
            assert!(
                events.is_empty(),
                "{id} ({}) serves no HTTP route but has HttpApi events: {events:?}",
                krate.name
            );
            continue;
        };
        let [event] = events.as_slice() else {
            panic!(
                "{id} ({}) serves `{route_key}`: expected exactly one HttpApi event, found {events:?}",
                krate.name
            );
        };
        assert_eq!(&event.route_key(), route_key, "{id}: HttpApi event route");
        assert!(
            event.api_id_is(template.http_api_id()),
            "{id}: the HttpApi event must name the API ({}) in ApiId",
            template.http_api_id()
        );
        let iam = matches!(
            krate.access,
            Some(session_api::Access::Service | session_api::Access::Admin)
        );
        let effective = event
            .authorizer
            .as_deref()
            .or(template.default_authorizer())
            .unwrap_or("NONE");
        if iam {
            assert_eq!(
                effective, "AWS_IAM",
                "{id}: internal or admin route `{route_key}` must use IAM"
            );
        } else {
            assert_eq!(
                effective, authorizer,
                "{id}: user route `{route_key}` must use the Lambda authorizer"
            );
        }
        if let Some(other) = bound_routes.insert(route_key.clone(), id) {
            panic!("`{route_key}` is bound by both {other} and {id}");
        }
    }
    assert!(
        !bound_routes.is_empty(),
        "no function crate serves an HTTP route: is functions/ readable?"
    );
}

#[test]
fn the_lambda_authorizer_checks_every_request_and_is_never_cached() {
    let template = Template::load();
    let name = template.lambda_authorizer();
    let config = template.authorizer_config(name);
    let identity = &config["Identity"];
    assert_eq!(
        identity["ReauthorizeEvery"].as_u64(),
        Some(0),
        "authorizer `{name}`: ReauthorizeEvery (the result TTL) must be 0, or a revoked session \
         keeps passing until its cached allow expires"
    );
    assert_eq!(
        identity["Headers"].as_sequence().map(|s| model::strings(s)),
        Some(vec!["Authorization".to_owned()]),
        "authorizer `{name}`: identity source"
    );
    assert_eq!(
        model::scalar_text(&config["AuthorizerPayloadFormatVersion"]).as_deref(),
        Some("2.0"),
        "authorizer `{name}`: payload format"
    );
    assert_eq!(
        config["EnableSimpleResponses"].as_bool(),
        Some(true),
        "authorizer `{name}`: simple responses"
    );
    let target = model::get_att_resource(&config["FunctionArn"]).unwrap_or_else(|| {
        panic!("authorizer `{name}`: FunctionArn must be !GetAtt <Function>.Arn")
    });
    let (authorizer_id, _) = template.function_for(AUTHORIZER_BINARY);
    assert_eq!(
        target, authorizer_id,
        "authorizer `{name}` must invoke the `{AUTHORIZER_BINARY}` function"
    );
    assert_eq!(
        template.api_auth()["EnableIamAuthorizer"].as_bool(),
        Some(true),
        "the HttpApi must enable the IAM authorizer for /internal routes"
    );
}

#[test]
fn the_relay_gets_only_outbox_inserts_and_reports_partial_failures() {
    let template = Template::load();
    let (id, relay) = template.function_for("event-relay");
    let streams = relay.events_of_type("DynamoDB");
    let [stream] = streams.as_slice() else {
        panic!(
            "{id}: expected exactly one DynamoDB stream event, found {}",
            streams.len()
        );
    };
    assert_eq!(
        model::get_att_resource(&stream["Stream"]).as_deref(),
        Some(template.table_id()),
        "{id}: must read the sessions table's stream"
    );
    let patterns: Vec<serde_json::Value> = stream["FilterCriteria"]["Filters"]
        .as_sequence()
        .expect("FilterCriteria.Filters")
        .iter()
        .map(|f| serde_json::from_str(f["Pattern"].as_str().expect("Pattern")).expect("JSON"))
        .collect();
    assert_eq!(
        patterns,
        vec![serde_json::json!({
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "EVENT#"}]}}},
        })],
        "{id}: filter"
    );
    assert_eq!(
        stream["FunctionResponseTypes"]
            .as_sequence()
            .map(|s| model::strings(s)),
        Some(vec!["ReportBatchItemFailures".to_owned()]),
        "{id}: the relay reports partial batch failures"
    );
    assert_eq!(
        stream["BisectBatchOnFunctionError"].as_bool(),
        Some(true),
        "{id}"
    );
    assert!(
        model::is_intrinsic(&stream["DestinationConfig"]["OnFailure"]["Destination"]),
        "{id}: failed batches must go to a dead-letter queue"
    );
}

#[test]
fn account_events_reach_their_consumer_with_retries_and_a_dead_letter_queue() {
    let template = Template::load();
    let (id, _) = template.function_for("account-events");
    let rules: Vec<_> = template
        .resources_of_type("AWS::Events::Rule")
        .filter_map(|(rule_id, rule)| {
            let targets = rule["Properties"]["Targets"].as_sequence()?;
            let target = targets
                .iter()
                .find(|t| model::get_att_resource(&t["Arn"]).as_deref() == Some(id))?;
            Some((rule_id, rule, target))
        })
        .collect();
    let [(rule_id, rule, target)] = rules.as_slice() else {
        panic!(
            "{id}: expected exactly one EventBridge rule targeting it, found {}",
            rules.len()
        );
    };
    let pattern = &rule["Properties"]["EventPattern"];
    assert_eq!(
        pattern["detail-type"]
            .as_sequence()
            .map(|s| model::strings(s)),
        Some(
            session_lambda::account_events::DETAIL_TYPES
                .map(str::to_owned)
                .to_vec()
        ),
        "{rule_id}: detail types (the consumer's, in its order)"
    );
    assert!(
        pattern["source"]
            .as_sequence()
            .is_some_and(|s| s.len() == 1),
        "{rule_id}: exactly one trusted source"
    );
    assert!(target["RetryPolicy"].is_mapping(), "{rule_id}: RetryPolicy");
    assert!(
        model::is_intrinsic(&target["DeadLetterConfig"]["Arn"]),
        "{rule_id}: DeadLetterConfig must name a queue"
    );
}

#[test]
fn every_environment_variable_set_is_one_the_code_reads() {
    let template = Template::load();
    let known = model::config_variables();
    // Read by the Lambda runtime's log set-up (session-lambda telemetry), not config.rs, and by
    // the AWS SDK (the endpoint overrides for local runs, local_endpoint.rs).
    let runtime = ["RUST_LOG", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"];
    let mut set_anywhere = BTreeSet::new();
    for (id, function) in template.functions() {
        for name in function.environment() {
            assert!(
                known.contains(&name) || runtime.contains(&name.as_str()),
                "{id} sets `{name}`, which session-lambda's config.rs does not read (known: \
                 {known:?})"
            );
            set_anywhere.insert(name);
        }
    }
    let required = [
        (
            "authorizer",
            ["JWT_ALGORITHM", "JWT_ISSUER", "JWT_AUDIENCE"].as_slice(),
        ),
        ("authorizer", ["SESSIONS_TABLE"].as_slice()),
        ("create-session", ["SESSIONS_TABLE"].as_slice()),
        (
            "account-events",
            ["SESSIONS_TABLE", "AUTH_EVENT_SOURCE"].as_slice(),
        ),
        ("event-relay", ["EVENT_BUS_NAME", "EVENT_SOURCE"].as_slice()),
    ];
    for (binary, names) in required {
        let (id, function) = template.function_for(binary);
        let env = function.environment();
        for name in names {
            assert!(env.contains(*name), "{id} ({binary}) must set {name}");
        }
    }
    for crate_ in model::function_crates() {
        if crate_.route_key.is_some() {
            let (id, function) = template.function_for(&crate_.name);
            assert!(
                function.environment().contains("SESSIONS_TABLE"),
                "{id}: SESSIONS_TABLE"
            );
        }
    }
}

#[test]
fn the_crate_scan_finds_routes_and_entry_points() {
    // Guards the test's own reading of functions/*/src/main.rs.
    let crates: BTreeMap<String, FunctionCrate> = model::function_crates()
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    assert_eq!(
        crates
            .get("get-session")
            .and_then(|c| c.route_key.as_deref()),
        Some("GET /sessions/{id}")
    );
    assert_eq!(
        crates.get(AUTHORIZER_BINARY).map(|c| c.route_key.is_none()),
        Some(true)
    );
}

/// The IAM routes are granted by two managed policies, one per kind of caller, each allowing
/// exactly its own prefix: the auth service's role never gets the admin routes, a support role
/// never gets the internal ones.
#[test]
fn internal_and_admin_routes_are_granted_by_separate_policies() {
    let template = Template::load();
    let mut granted = BTreeMap::new();
    for (id, policy) in template.resources_of_type("AWS::IAM::ManagedPolicy") {
        let statements = policy["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id}: statements"));
        for statement in statements {
            if statement["Action"].as_str() != Some("execute-api:Invoke") {
                continue;
            }
            let resource = model::sub_text(&statement["Resource"])
                .unwrap_or_else(|| panic!("{id}: Resource must be a !Sub string"));
            let prefix = resource
                .rsplit("/*/*/")
                .next()
                .unwrap_or_default()
                .to_owned();
            assert!(
                granted.insert(prefix.clone(), id.to_owned()).is_none(),
                "{prefix} is granted twice"
            );
        }
    }
    assert_eq!(
        granted.keys().cloned().collect::<Vec<_>>(),
        ["admin/*", "internal/*"],
        "one policy for /admin/, another for /internal/, nothing else: {granted:?}"
    );
    assert_ne!(granted["admin/*"], granted["internal/*"]);
    for crate_ in model::function_crates() {
        match (&crate_.route_key, crate_.access) {
            (Some(key), Some(session_api::Access::Admin)) => {
                assert!(
                    key.contains(" /admin/"),
                    "{key}: admin routes live under /admin/"
                )
            }
            (Some(key), Some(session_api::Access::Service)) => {
                assert!(
                    key.contains(" /internal/"),
                    "{key}: service routes live under /internal/"
                )
            }
            _ => {}
        }
    }
}
