//! When a credential changed, as far as an event of the auth service tells: the cutoff of the
//! sessions it revokes (docs/0014).
//!
//! EventBridge's envelope `time` has whole-second resolution: a session created at .010 of a
//! second with the old password, followed by a reset at .361 of the same second, carries a time
//! later than the envelope's. A precise `occurred_at` in the detail is used when the auth service
//! sends one; otherwise the cutoff is the last instant of the envelope's second, so that such a
//! session is revoked too. A login in that same second with the new credential is then signed
//! out as well: the safe mistake.

use chrono::{DateTime, Duration, DurationRound, Utc};

/// The instant a credential changed: the precise `occurred_at` when given, else the end of the
/// envelope's second, else `now`.
pub fn credential_change_cutoff(
    occurred_at: Option<DateTime<Utc>>,
    envelope_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    occurred_at
        .or_else(|| envelope_time.map(end_of_second))
        .unwrap_or(now)
}

/// The last representable instant of `at`'s second.
pub fn end_of_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = at.duration_trunc(Duration::seconds(1)).unwrap_or(at);
    start + Duration::nanoseconds(999_999_999)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_cutoff_is_precise_when_given_else_the_end_of_the_envelope_second() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 15, 3, 0).unwrap();
        let envelope = Utc.with_ymd_and_hms(2026, 12, 4, 15, 2, 32).unwrap();
        let precise = envelope + Duration::milliseconds(361);
        assert_eq!(
            credential_change_cutoff(Some(precise), Some(envelope), now),
            precise
        );
        let cutoff = credential_change_cutoff(None, Some(envelope), now);
        assert_eq!(cutoff, envelope + Duration::nanoseconds(999_999_999));
        assert!(
            envelope + Duration::milliseconds(10) <= cutoff,
            "same second"
        );
        assert!(envelope + Duration::seconds(1) > cutoff, "not the next one");
        assert_eq!(credential_change_cutoff(None, None, now), now);
    }
}
