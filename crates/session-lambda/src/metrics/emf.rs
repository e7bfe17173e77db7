//! Rendering recorded values as EMF documents.
//!
//! An EMF line gives each dimension one value (its members are the dimension values and the
//! metric values, side by side at the root), so values under different values of one dimension
//! (revocations for `logout` and for `manual`, say) need separate lines. Groups are packed into
//! as few lines as that allows: every line holds one directive per group, and a group joins the
//! first line whose dimension, if it has one, is unset or has the same value.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Metric, Recorded, Unit};

/// Most values one metric may carry in one line (EMF's limit for an array of values).
const MAX_VALUES: usize = 100;

#[derive(Default)]
struct Line {
    dimensions: BTreeMap<&'static str, &'static str>,
    members: Map<String, Value>,
    directives: Vec<Value>,
}

type Group<'a> = Vec<(Metric, &'a [f64])>;

pub(super) fn lines(namespace: &str, timestamp_ms: u64, recorded: &Recorded) -> Vec<String> {
    let mut groups: BTreeMap<Option<(&'static str, &'static str)>, Group<'_>> = BTreeMap::new();
    for ((metric, label), values) in recorded {
        if values.is_empty() {
            continue;
        }
        let dimension = metric.dimension().zip(*label);
        groups
            .entry(dimension)
            .or_default()
            .push((*metric, values.as_slice()));
    }

    let mut lines: Vec<Line> = Vec::new();
    for (dimension, metrics) in groups {
        let fits = |line: &Line| match dimension {
            None => true,
            Some((key, value)) => line.dimensions.get(key).is_none_or(|v| *v == value),
        };
        let index = match lines.iter().position(fits) {
            Some(index) => index,
            None => {
                lines.push(Line::default());
                lines.len() - 1
            }
        };
        let line = &mut lines[index];
        let dimension_sets = match dimension {
            Some((key, value)) => {
                line.dimensions.insert(key, value);
                line.members.insert(key.to_owned(), json!(value));
                // Broken down by the dimension, and the total across its values.
                json!([[key], []])
            }
            None => json!([[]]),
        };
        let mut definitions = Vec::new();
        for (metric, values) in metrics {
            definitions.push(json!({ "Name": metric.name(), "Unit": metric.unit().as_str() }));
            line.members
                .insert(metric.name().to_owned(), member_value(metric, values));
        }
        line.directives.push(json!({
            "Namespace": namespace,
            "Dimensions": dimension_sets,
            "Metrics": definitions,
        }));
    }

    lines
        .into_iter()
        .map(|line| {
            let mut root = line.members;
            root.insert(
                "_aws".into(),
                json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": line.directives }),
            );
            Value::Object(root).to_string()
        })
        .collect()
}

fn member_value(metric: Metric, values: &[f64]) -> Value {
    match (metric.unit(), values) {
        (Unit::Count, [total, ..]) | (_, [total]) => number(*total),
        _ => Value::Array(values.iter().take(MAX_VALUES).map(|v| number(*v)).collect()),
    }
}

/// Whole numbers as integers (counts read `1`, not `1.0`).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        // Exact: a whole number this small converts without loss.
        #[allow(clippy::cast_possible_truncation)]
        let whole = value as i64;
        json!(whole)
    } else {
        json!(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn one_line_for_values_of_different_dimensions() {
        let mut recorded = Recorded::new();
        recorded.insert((Metric::LoginsCreated, None), vec![1.0]);
        recorded.insert((Metric::Revocations, Some("logout")), vec![2.0]);
        recorded.insert((Metric::StoreErrors, Some("throttled")), vec![1.0]);
        let lines = lines("Ns", 1_700_000_000_000, &recorded);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = parse(&lines[0]);
        assert_eq!(line["LoginsCreated"], 1);
        assert_eq!(line["Revocations"], 2);
        assert_eq!(line["Reason"], "logout");
        assert_eq!(line["ErrorClass"], "throttled");
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_u64);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert!(directives.contains(&json!({
            "Namespace": "Ns",
            "Dimensions": [["Reason"], []],
            "Metrics": [{ "Name": "Revocations", "Unit": "Count" }],
        })));
        assert!(directives.contains(&json!({
            "Namespace": "Ns",
            "Dimensions": [[]],
            "Metrics": [{ "Name": "LoginsCreated", "Unit": "Count" }],
        })));
    }

    #[test]
    fn two_values_of_one_dimension_take_two_lines() {
        let mut recorded = Recorded::new();
        recorded.insert((Metric::SuspiciousActivity, Some("ip_change")), vec![1.0]);
        recorded.insert(
            (Metric::SuspiciousActivity, Some("country_change")),
            vec![1.0],
        );
        let lines = lines("Ns", 0, &recorded);
        assert_eq!(lines.len(), 2);
        let signals: Vec<Value> = lines.iter().map(|l| parse(l)["Signal"].clone()).collect();
        assert!(signals.contains(&json!("ip_change")));
        assert!(signals.contains(&json!("country_change")));
    }

    #[test]
    fn durations_are_kept_one_by_one_and_nothing_recorded_writes_nothing() {
        let mut recorded = Recorded::new();
        recorded.insert((Metric::EnrichmentTime, Some("device")), vec![0.25, 1.5]);
        let line = parse(&lines("Ns", 0, &recorded)[0]);
        assert_eq!(line["EnrichmentTime"], json!([0.25, 1.5]));
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Milliseconds"
        );
        assert!(lines("Ns", 0, &Recorded::new()).is_empty());
    }
}
