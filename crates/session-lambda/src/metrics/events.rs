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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn counts(detail_type: &str, detail: Value) -> Vec<Value> {
        let metrics = Metrics::new("Ns");
        observe_event(&metrics, detail_type, &detail);
        metrics
            .take_lines(0)
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_login_at_the_limit_is_denied_or_evicting_by_its_evictions() {
        let denied = counts("SessionLimitExceeded", json!({"evicted_session_ids": []}));
        assert_eq!(denied[0]["LoginsDenied"], 1);
        assert!(denied[0].get("LoginsEvicting").is_none());
        let evicting = counts(
            "SessionLimitExceeded",
            json!({"evicted_session_ids": ["019a5c4e-8f3b-7c2d-9e1f-0a1b2c3d4e60"]}),
        );
        assert_eq!(evicting[0]["LoginsEvicting"], 1);
        assert!(evicting[0].get("LoginsDenied").is_none());
    }

    #[test]
    fn a_revoke_all_counts_its_sessions_under_its_reason() {
        let lines = counts(
            "AllSessionsRevoked",
            json!({"reason": "password_changed", "session_count": 3}),
        );
        assert_eq!(lines[0]["Revocations"], 3);
        assert_eq!(lines[0]["Reason"], "password_changed");
        assert!(
            counts(
                "AllSessionsRevoked",
                json!({"reason": "logout_all", "session_count": 0})
            )
            .is_empty()
        );
    }

    #[test]
    fn labels_outside_their_closed_sets_are_other() {
        let revoked = counts("SessionRevoked", json!({"reason": "alice"}));
        assert_eq!(revoked[0]["Reason"], "other");
        let signal = counts(
            "SuspiciousSessionActivity",
            json!({"activity_type": "0193a1b2-c3d4-7e5f-8a6b-000000000001"}),
        );
        assert_eq!(signal[0]["Signal"], "other");
        let known = counts(
            "SuspiciousSessionActivity",
            json!({"activity_type": "impossible_travel"}),
        );
        assert_eq!(known[0]["Signal"], "impossible_travel");
    }

    #[test]
    fn events_that_count_nothing_write_nothing() {
        for detail_type in [
            "SessionActivityUpdated",
            "SessionProviderAccess",
            "NoSuchEvent",
        ] {
            assert!(counts(detail_type, json!({})).is_empty(), "{detail_type}");
        }
    }
}
