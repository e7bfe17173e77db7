//! The business counts a committed event stands for, read from the event as its consumers see
//! it (detail type and detail, docs/events.md): an event type the core adds is counted by naming
//! it here, and a field is read by its published name.

use serde_json::Value;
use session_core::domain::RevocationReason;

use super::{Metric, Metrics};

/// The `activity_type`s of `SuspiciousSessionActivity`; any other is counted as `other`.
const SIGNALS: [&str; 4] = [
    "ip_change",
    "country_change",
    "impossible_travel",
    "user_agent_change",
];

/// Records what one committed event says happened.
pub fn observe_event(metrics: &Metrics, detail_type: &str, detail: &Value) {
    match detail_type {
        "SessionCreated" => metrics.count(Metric::LoginsCreated, None),
        "SessionLimitExceeded" => {
            let evicted = detail["evicted_session_ids"]
                .as_array()
                .is_some_and(|ids| !ids.is_empty());
            let metric = match evicted {
                true => Metric::LoginsEvicting,
                false => Metric::LoginsDenied,
            };
            metrics.count(metric, None);
        }
        "SessionEvicted" => {
            metrics.count(Metric::SessionsEvicted, None);
            metrics.count(Metric::Revocations, Some(reason(detail)));
        }
        "SessionRevoked" => metrics.count(Metric::Revocations, Some(reason(detail))),
        "AllSessionsRevoked" => {
            let sessions = detail["session_count"].as_u64().unwrap_or(0);
            if sessions > 0 {
                #[allow(clippy::cast_precision_loss)] // a session count is far below 2^52
                metrics.add(Metric::Revocations, Some(reason(detail)), sessions as f64);
            }
        }
        "SessionRevocationFailed" | "AllSessionsRevocationFailed" => {
            metrics.count(Metric::RevocationsFailed, None);
        }
        "SuspiciousSessionActivity" => {
            let signal = detail["activity_type"]
                .as_str()
                .and_then(|name| SIGNALS.into_iter().find(|s| *s == name))
                .unwrap_or("other");
            metrics.count(Metric::SuspiciousActivity, Some(signal));
        }
        "RefreshTokenReuseDetected" => metrics.count(Metric::RefreshReuseDetected, None),
        _ => {}
    }
}

/// The revocation reason as a label from the closed set.
fn reason(detail: &Value) -> &'static str {
    detail["reason"]
        .as_str()
        .and_then(RevocationReason::parse)
        .map_or("other", RevocationReason::as_str)
}
