//! The time a command has. A request's transport knows how long its caller waits (the Lambda
//! invocation's remaining time, a local server's budget); past that, an answer is worthless, so
//! the use cases stop retrying and the caller is told to try again (docs/0044).

use std::time::{Duration, Instant};

/// Far enough ahead to mean "no deadline" when a budget is too large to add to now.
const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 3600);

/// An instant after which a command gives up. Plain `std::time::Instant`, so the core needs no
/// runtime to hold or check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn at(instant: Instant) -> Self {
        Self(instant)
    }

    /// `budget` from now.
    pub fn after(budget: Duration) -> Self {
        let now = Instant::now();
        Self(
            now.checked_add(budget)
                .or_else(|| now.checked_add(FAR_FUTURE))
                .unwrap_or(now),
        )
    }

    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left; zero once passed.
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn has_passed(self) -> bool {
        Instant::now() >= self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_of_zero_has_passed_and_leaves_nothing() {
        let deadline = Deadline::after(Duration::ZERO);
        assert!(deadline.has_passed());
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_future_deadline_has_time_left_up_to_its_budget() {
        let deadline = Deadline::after(Duration::from_secs(60));
        assert!(!deadline.has_passed());
        let left = deadline.remaining();
        assert!(left > Duration::from_secs(59) && left <= Duration::from_secs(60));
    }

    #[test]
    fn an_enormous_budget_does_not_overflow() {
        let deadline = Deadline::after(Duration::MAX);
        assert!(!deadline.has_passed());
        assert!(deadline.remaining() > Duration::from_secs(3600));
    }
}
