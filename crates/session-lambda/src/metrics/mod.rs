//! Business and operational metrics, written as CloudWatch Embedded Metric Format (EMF) lines on
//! stdout: Lambda sends stdout to CloudWatch Logs, which turns each line into metric values (no
//! API call, no agent). The namespace is `METRICS_NAMESPACE` (default [`DEFAULT_NAMESPACE`]).
//!
//! A metric has at most one dimension, whose values come from closed sets (revocation reasons,
//! suspicious-activity signals, authorizer outcomes, failure classes): labels are `&'static str`,
//! so no user id, session id or other request text can become one. Each dimensioned metric is
//! also published without its dimension, the total that alarms watch.
//!
//! What a function records during one invocation is written when the invocation ends
//! ([`Metrics::flush`]): one line per combination of dimension values, normally one line.
//! Docs: docs/0042 and docs/events.md (Metrics).

mod catalog;
mod emf;
mod enrich;
mod events;
mod store;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use catalog::{Metric, Unit};
pub use enrich::Timed;
pub use events::observe_event;
pub use store::MeteredStore;

/// The namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "SessionService";

/// Where a function records its metrics; cheap to clone, every clone records into the same
/// invocation.
#[derive(Clone)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    namespace: String,
    recorded: Mutex<Recorded>,
}

/// Values by metric and dimension value: counts summed, durations kept one by one.
type Recorded = BTreeMap<(Metric, Option<&'static str>), Vec<f64>>;

impl Metrics {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            inner: Some(Arc::new(Inner {
                namespace: namespace.into(),
                recorded: Mutex::new(BTreeMap::new()),
            })),
        }
    }

    /// Records nothing (tests and tools that build a function's parts without its metrics).
    pub fn off() -> Self {
        Self { inner: None }
    }

    /// Adds one to `metric` (a metric without a dimension: `label` is ignored when it has none).
    pub fn count(&self, metric: Metric, label: Option<&'static str>) {
        self.add(metric, label, 1.0);
    }

    /// Adds `value` to a count, or records one more duration (milliseconds).
    pub fn add(&self, metric: Metric, label: Option<&'static str>, value: f64) {
        let Some(inner) = &self.inner else { return };
        // A label where the metric has no dimension would be dropped by CloudWatch anyway; a
        // missing one is recorded as `unknown` rather than lost.
        let label = metric.dimension().map(|_| label.unwrap_or("unknown"));
        let mut recorded = inner
            .recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let values = recorded.entry((metric, label)).or_default();
        match (metric.unit(), values.first_mut()) {
            (Unit::Count, Some(total)) => *total += value,
            _ => values.push(value),
        }
    }

    pub fn time(&self, metric: Metric, label: Option<&'static str>, elapsed: Duration) {
        self.add(metric, label, elapsed.as_secs_f64() * 1000.0);
    }

    /// The EMF lines of everything recorded since the last call, stamped `timestamp_ms`; empty
    /// when nothing was recorded.
    pub fn take_lines(&self, timestamp_ms: u64) -> Vec<String> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let recorded = std::mem::take(
            &mut *inner
                .recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        emf::lines(&inner.namespace, timestamp_ms, &recorded)
    }

    /// Writes the invocation's lines to stdout (CloudWatch Logs, on Lambda) and starts afresh.
    pub fn flush(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let lines = self.take_lines(now);
        if lines.is_empty() {
            return;
        }
        let mut out = std::io::stdout().lock();
        for line in lines {
            // Metrics must never fail an invocation: a closed stdout loses them, nothing else.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
}
