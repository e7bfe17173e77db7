//! Retry spacing after a lost race: "full jitter" exponential back-off, which spreads competing
//! writers apart fastest (each waits a uniformly random time below a growing ceiling).

use std::time::Duration;

const BASE: Duration = Duration::from_millis(5);
const CAP: Duration = Duration::from_millis(200);

/// The ceiling of the wait before retry `attempt` (1 = first retry): 5 ms doubling to 200 ms.
pub(crate) fn ceiling(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    BASE.saturating_mul(1 << doublings).min(CAP)
}

/// A random wait in `[0, ceiling(attempt)]`.
pub(crate) fn delay(attempt: u32) -> Duration {
    let ceiling_micros = u64::try_from(ceiling(attempt).as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(fastrand::u64(0..=ceiling_micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_base_to_cap() {
        assert_eq!(ceiling(0), BASE);
        assert_eq!(ceiling(1), BASE);
        assert_eq!(ceiling(2), BASE * 2);
        assert_eq!(ceiling(4), BASE * 8);
        assert_eq!(ceiling(7), CAP);
        assert_eq!(ceiling(u32::MAX), CAP);
    }

    #[test]
    fn delays_stay_under_the_ceiling() {
        for attempt in 0..20 {
            assert!(delay(attempt) <= ceiling(attempt));
        }
    }
}
