//! A request's deadline from its Lambda invocation's: the runtime says when the invocation is
//! killed (`Lambda-Runtime-Deadline-Ms`, milliseconds since the epoch); the API gets that less a
//! margin to answer in (docs/0044).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use session_core::Deadline;

/// `invocation_deadline_ms` less `margin`, as seen at `now`; `None` when the runtime gave no
/// deadline (zero), so a runtime that leaves it out gets no bound rather than an instant 503.
pub fn request_deadline(
    invocation_deadline_ms: u64,
    margin: Duration,
    now: SystemTime,
) -> Option<Deadline> {
    if invocation_deadline_ms == 0 {
        return None;
    }
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let remaining = Duration::from_millis(invocation_deadline_ms).saturating_sub(since_epoch);
    Some(Deadline::after(remaining.saturating_sub(margin)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_ms(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn the_deadline_is_the_remaining_time_less_the_margin() {
        let now = 1_700_000_000_000;
        let deadline = request_deadline(now + 3_000, Duration::from_millis(500), at_ms(now))
            .expect("a deadline");
        let left = deadline.remaining();
        assert!(left <= Duration::from_millis(2_500), "{left:?}");
        assert!(left > Duration::from_millis(2_000), "{left:?}");
    }

    #[test]
    fn less_time_than_the_margin_has_passed_at_once() {
        let now = 1_700_000_000_000;
        let deadline = request_deadline(now + 100, Duration::from_millis(500), at_ms(now))
            .expect("a deadline");
        assert!(deadline.has_passed());
    }

    #[test]
    fn no_invocation_deadline_means_no_bound() {
        assert!(request_deadline(0, Duration::from_millis(500), SystemTime::now()).is_none());
    }
}
