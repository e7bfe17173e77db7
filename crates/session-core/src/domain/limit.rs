//! The session-limit decision, as a pure function of the live sessions and the user's rules.

use chrono::{DateTime, Utc};

use crate::domain::ledger::ActiveEntry;
use crate::domain::policy::{EffectiveLimit, EvictionOrder, LimitBehaviour};
use crate::ids::SessionId;

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum LimitDecision {
    /// Room for `incoming` more sessions.
    Fits,
    /// Revoke these (the first of `live`, in eviction order) so that `incoming` more fit.
    Evict(Vec<SessionId>),
    /// The tier refuses logins at the limit.
    Deny { current: u32, max: u32 },
    /// The tier lets the user choose which session to end.
    Ask { current: u32, max: u32 },
}

impl LimitDecision {
    /// Whether the login must read the live sessions before it is decided: to find idle ones
    /// that free a slot, to order them by activity, or to show them to the user.
    pub fn needs_sessions(&self, limit: &EffectiveLimit) -> bool {
        *self != Self::Fits
            && (limit.idle_timeout_secs.is_some()
                || limit.eviction_order == EvictionOrder::LeastRecentlyActive
                || limit.on_limit == LimitBehaviour::Ask)
    }
}

/// Orders `live` (oldest created first) the way `order` evicts: unchanged for oldest created;
/// least recently active first otherwise, by `last_active` (a session it does not know keeps
/// its creation time), ties by creation then id.
pub fn sort_for_eviction(
    order: EvictionOrder,
    live: &mut [(SessionId, &ActiveEntry)],
    last_active: impl Fn(SessionId) -> Option<DateTime<Utc>>,
) {
    if order == EvictionOrder::LeastRecentlyActive {
        live.sort_by_key(|(id, entry)| {
            (
                last_active(*id).unwrap_or(entry.created_at),
                entry.created_at,
                *id,
            )
        });
    }
}

/// Decides how `incoming` new sessions fit next to `live` (in eviction order). Evicts as many as
/// needed, not just one, so a user over the limit converges in one step.
pub fn decide(
    limit: &EffectiveLimit,
    live: &[(SessionId, &ActiveEntry)],
    incoming: u32,
) -> LimitDecision {
    let Some(max) = limit.max_sessions else {
        return LimitDecision::Fits;
    };
    let current = u32::try_from(live.len()).unwrap_or(u32::MAX);
    if current.saturating_add(incoming) <= max {
        return LimitDecision::Fits;
    }
    match limit.on_limit {
        LimitBehaviour::Deny => LimitDecision::Deny { current, max },
        LimitBehaviour::Ask => LimitDecision::Ask { current, max },
        LimitBehaviour::EvictOldest => {
            let excess = current.saturating_add(incoming).saturating_sub(max);
            let evict = live
                .iter()
                .take(usize::try_from(excess).unwrap_or(usize::MAX))
                .map(|(id, _)| *id)
                .collect();
            LimitDecision::Evict(evict)
        }
    }
}

/// Sessions to revoke so that at most `max` remain (used when a limit is lowered).
pub fn excess_over(max: Option<u32>, live: &[(SessionId, &ActiveEntry)]) -> Vec<SessionId> {
    let Some(max) = max else {
        return Vec::new();
    };
    let keep = usize::try_from(max).unwrap_or(usize::MAX);
    let excess = live.len().saturating_sub(keep);
    live.iter().take(excess).map(|(id, _)| *id).collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn entries(n: usize) -> Vec<(SessionId, ActiveEntry)> {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        (0..n)
            .map(|i| {
                let created = t0 + Duration::minutes(i64::try_from(i).unwrap());
                let entry = ActiveEntry {
                    created_at: created,
                    expires_at: created + Duration::days(30),
                    device_info: None,
                };
                (SessionId::from_uuid(Uuid::now_v7()), entry)
            })
            .collect()
    }

    fn limit(max: Option<u32>, on_limit: LimitBehaviour) -> EffectiveLimit {
        EffectiveLimit {
            max_sessions: max,
            on_limit,
            eviction_order: EvictionOrder::OldestCreated,
            idle_timeout_secs: None,
            suspicious_revoke_at_count: None,
            suspicious_step_up_at_count: None,
            max_auth_age_secs: None,
        }
    }

    fn refs(v: &[(SessionId, ActiveEntry)]) -> Vec<(SessionId, &ActiveEntry)> {
        v.iter().map(|(id, e)| (*id, e)).collect()
    }

    #[test]
    fn under_limit_fits() {
        let live = entries(1);
        assert_eq!(
            decide(
                &limit(Some(2), LimitBehaviour::EvictOldest),
                &refs(&live),
                1
            ),
            LimitDecision::Fits
        );
    }

    #[test]
    fn at_limit_evicts_the_oldest() {
        let live = entries(2);
        let d = decide(
            &limit(Some(2), LimitBehaviour::EvictOldest),
            &refs(&live),
            1,
        );
        assert_eq!(d, LimitDecision::Evict(vec![live[0].0]));
    }

    #[test]
    fn far_over_limit_evicts_all_excess() {
        let live = entries(5);
        let d = decide(
            &limit(Some(2), LimitBehaviour::EvictOldest),
            &refs(&live),
            1,
        );
        assert_eq!(
            d,
            LimitDecision::Evict(vec![live[0].0, live[1].0, live[2].0, live[3].0])
        );
    }

    #[test]
    fn unlimited_always_fits() {
        let live = entries(50);
        assert_eq!(
            decide(&limit(None, LimitBehaviour::Deny), &refs(&live), 1),
            LimitDecision::Fits
        );
    }

    #[test]
    fn deny_refuses_at_limit() {
        let live = entries(3);
        let d = decide(&limit(Some(3), LimitBehaviour::Deny), &refs(&live), 1);
        assert_eq!(d, LimitDecision::Deny { current: 3, max: 3 });
    }

    #[test]
    fn ask_refuses_at_limit_and_names_the_numbers() {
        let live = entries(2);
        let d = decide(&limit(Some(2), LimitBehaviour::Ask), &refs(&live), 1);
        assert_eq!(d, LimitDecision::Ask { current: 2, max: 2 });
        assert_eq!(
            decide(&limit(Some(3), LimitBehaviour::Ask), &refs(&live), 1),
            LimitDecision::Fits
        );
    }

    #[test]
    fn least_recently_active_puts_the_longest_unused_first() {
        let live = entries(3);
        let mut order = refs(&live);
        // The oldest session was used last; the newest never since its login.
        let used =
            |id: SessionId| (id == live[0].0).then(|| live[2].1.created_at + Duration::hours(1));
        sort_for_eviction(EvictionOrder::LeastRecentlyActive, &mut order, used);
        let ids: Vec<SessionId> = order.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![live[1].0, live[2].0, live[0].0]);
        let mut unchanged = refs(&live);
        sort_for_eviction(EvictionOrder::OldestCreated, &mut unchanged, used);
        assert_eq!(unchanged, refs(&live));
    }

    #[test]
    fn sessions_are_read_only_when_the_decision_depends_on_them() {
        let at_limit = LimitDecision::Evict(Vec::new());
        let plain = limit(Some(2), LimitBehaviour::EvictOldest);
        assert!(!at_limit.needs_sessions(&plain));
        assert!(!LimitDecision::Fits.needs_sessions(&limit(Some(2), LimitBehaviour::Ask)));
        assert!(at_limit.needs_sessions(&EffectiveLimit {
            eviction_order: EvictionOrder::LeastRecentlyActive,
            ..plain
        }));
        assert!(at_limit.needs_sessions(&EffectiveLimit {
            idle_timeout_secs: Some(600),
            ..plain
        }));
        assert!(
            LimitDecision::Ask { current: 2, max: 2 }
                .needs_sessions(&limit(Some(2), LimitBehaviour::Ask))
        );
    }

    #[test]
    fn excess_over_keeps_the_newest() {
        let live = entries(4);
        assert_eq!(
            excess_over(Some(1), &refs(&live)),
            vec![live[0].0, live[1].0, live[2].0]
        );
        assert!(excess_over(Some(4), &refs(&live)).is_empty());
        assert!(excess_over(None, &refs(&live)).is_empty());
    }
}
