//! The metrics side of the template against the code that writes the metrics: the namespace the
//! functions are given is the dashboard's and the alarms', every metric the dashboard or an alarm
//! reads is one the functions emit (session_lambda::metrics::Metric), and every metric they emit
//! is on the dashboard.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use session_lambda::metrics::{DEFAULT_NAMESPACE, Metric};

use super::model::{Template, literal_str, ref_target, sub_text};

const NAMESPACE_PARAMETER: &str = "MetricsNamespace";

fn catalog() -> BTreeSet<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}

#[test]
fn the_functions_write_into_the_namespace_the_dashboard_and_alarms_read() {
    let template = Template::load();
    assert_eq!(
        template.parameter(NAMESPACE_PARAMETER)["Default"].as_str(),
        Some(DEFAULT_NAMESPACE)
    );
    let variables = &template.function_globals()["Environment"]["Variables"];
    assert_eq!(
        ref_target(&variables["METRICS_NAMESPACE"]).as_deref(),
        Some(NAMESPACE_PARAMETER),
        "Globals: METRICS_NAMESPACE"
    );
}

#[test]
fn alarms_on_our_metrics_read_emitted_metrics_and_notify() {
    let template = Template::load();
    let catalog = catalog();
    let mut watched = BTreeSet::new();
    for (id, alarm) in template.resources_of_type("AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        if ref_target(&properties["Namespace"]).as_deref() != Some(NAMESPACE_PARAMETER) {
            continue;
        }
        let metric = literal_str(&properties["MetricName"]).unwrap_or_default();
        assert!(
            catalog.contains(metric),
            "{id} watches `{metric}`, which no function emits"
        );
        assert!(
            properties["Dimensions"].is_null(),
            "{id}: the total (no dimension), which every dimensioned metric is also published as"
        );
        assert_eq!(
            properties["TreatMissingData"].as_str(),
            Some("notBreaching"),
            "{id}: no data is no event"
        );
        let actions = properties["AlarmActions"].as_sequence().unwrap();
        assert!(
            actions
                .iter()
                .any(|a| ref_target(a).as_deref() == Some("AlarmTopic")),
            "{id} notifies AlarmTopic"
        );
        watched.insert(metric.to_owned());
    }
    for required in ["StoreErrors", "RefreshReuseDetected", "SuspiciousActivity"] {
        assert!(watched.contains(required), "no alarm on {required}");
    }
    template.resource_of_type("AuthorizerErrorsAlarm", "AWS::CloudWatch::Alarm");
}

/// The dashboard's JSON with every `${...}` replaced, and the names it substitutes.
fn dashboard(template: &Template) -> (Json, BTreeSet<String>) {
    let resource = template.resource_of_type("ServiceDashboard", "AWS::CloudWatch::Dashboard");
    let body = sub_text(&resource["Properties"]["DashboardBody"])
        .expect("DashboardBody is a !Sub of the dashboard's JSON");
    let mut text = String::new();
    let mut names = BTreeSet::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').expect("a closed ${...}") + start;
        names.insert(rest[start + 2..end].to_owned());
        text.push_str(&rest[..start]);
        text.push_str(if &rest[start + 2..end] == NAMESPACE_PARAMETER {
            DEFAULT_NAMESPACE
        } else {
            "substituted"
        });
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the dashboard body is not JSON: {e}\n{text}"));
    (json, names)
}

/// The metric names the dashboard reads in our namespace: plain metric rows and SEARCH
/// expressions over it.
fn dashboard_metrics(dashboard: &Json) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for widget in dashboard["widgets"].as_array().unwrap() {
        for row in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let row = row.as_array().unwrap();
            if row.first().and_then(Json::as_str) == Some(DEFAULT_NAMESPACE) {
                names.insert(row[1].as_str().unwrap().to_owned());
            }
            if let Some(expression) = row.first().and_then(|r| r["expression"].as_str())
                && let Some((_, after)) = expression.split_once("MetricName=\"")
                && expression.contains(&format!("\"{DEFAULT_NAMESPACE}\""))
            {
                names.insert(after.split('"').next().unwrap().to_owned());
            }
        }
    }
    names
}

#[test]
fn the_dashboard_shows_every_emitted_metric_and_only_those() {
    let template = Template::load();
    let (dashboard, substituted) = dashboard(&template);
    for name in &substituted {
        let id = name.split('.').next().unwrap();
        assert!(
            id.starts_with("AWS::")
                || !template.parameter(id).is_null()
                || template.resource(id).is_some(),
            "the dashboard substitutes ${{{name}}}, which the template does not define"
        );
    }
    let shown = dashboard_metrics(&dashboard);
    let catalog: BTreeSet<String> = catalog().into_iter().map(str::to_owned).collect();
    assert_eq!(
        shown, catalog,
        "the dashboard's metrics in our namespace must be exactly those the functions emit"
    );
    let alarms: Vec<&str> = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == "alarm")
        .flat_map(|w| w["properties"]["alarms"].as_array().unwrap())
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(
        alarms.len(),
        template.resources_of_type("AWS::CloudWatch::Alarm").count(),
        "the dashboard shows every alarm"
    );
}
