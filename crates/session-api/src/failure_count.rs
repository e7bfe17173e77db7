//! Requests that failed for a defect of the deployment or the code (500 `internal_error`: a
//! store that refused the request, a corrupt item) and requests that ran out of time, counted
//! since the process started, so that the functions' metrics can publish them and an alarm can
//! fire on the first (docs/0045).

use std::sync::atomic::{AtomicU64, Ordering};

static INTERNAL_ERRORS: AtomicU64 = AtomicU64::new(0);
static DEADLINES_EXCEEDED: AtomicU64 = AtomicU64::new(0);

/// Requests answered 500 `internal_error` so far.
pub fn internal_errors() -> u64 {
    INTERNAL_ERRORS.load(Ordering::Relaxed)
}

/// Requests answered 503 `deadline_exceeded` so far.
pub fn deadlines_exceeded() -> u64 {
    DEADLINES_EXCEEDED.load(Ordering::Relaxed)
}

pub(crate) fn count_internal_error() {
    INTERNAL_ERRORS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_deadline_exceeded() {
    DEADLINES_EXCEEDED.fetch_add(1, Ordering::Relaxed);
}
