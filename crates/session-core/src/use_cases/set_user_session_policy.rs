//! SetUserSessionPolicy (admin): registers a user or changes their tier / limit override. A
//! lowered limit is enforced at once: the oldest sessions over it are revoked (`tier_changed`).

use crate::app::{Retry, Sessions};
use crate::domain::limit;
use crate::domain::{Actor, LimitBehaviour, Revocation, RevocationReason, UserLedger, UserPolicy};
use crate::error::{InvalidInput, SessionError};
use crate::events::{self, EventPayload};
use crate::ids::{SessionId, TierName, UserId};
use crate::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct SetUserSessionPolicy {
    pub user_id: UserId,
    pub tier: TierName,
    /// Overrides the tier's limit when set.
    pub max_sessions: Option<u32>,
}

/// The user's stored policy and the rules it resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyView {
    pub user_id: UserId,
    pub tier: TierName,
    pub max_sessions_override: Option<u32>,
    pub effective_max_sessions: Option<u32>,
    pub on_limit: LimitBehaviour,
    pub idle_timeout_secs: Option<u32>,
    pub evicted_session_ids: Vec<SessionId>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn set_user_session_policy(
        &self,
        cmd: SetUserSessionPolicy,
    ) -> Result<PolicyView, SessionError> {
        if !self.policy.has_tier(&cmd.tier) {
            return Err(InvalidInput::UnknownTier(cmd.tier.to_string()).into());
        }
        if cmd.max_sessions == Some(0) {
            return Err(InvalidInput::ZeroMaxSessions.into());
        }
        self.retry_on_conflict(|| self.try_set_policy(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_set_policy(&self, cmd: &SetUserSessionPolicy) -> Result<PolicyView, Retry> {
        let policy = UserPolicy {
            tier: cmd.tier.clone(),
            max_sessions: cmd.max_sessions,
        };
        let (mut ledger, expected_version) = match self.store.load_user(&cmd.user_id).await? {
            Some(stored) => (stored.value, Some(stored.version)),
            None => (UserLedger::new(cmd.user_id.clone(), policy.clone()), None),
        };
        ledger.policy = policy;
        let now = self.clock.now();
        let rules = self.policy.effective(&ledger.policy);
        let mut live = ledger.live_oldest_first(now);
        let mut evicted = limit::excess_over(rules.max_sessions, &live);
        let idle = if evicted.is_empty() {
            Vec::new()
        } else {
            self.idle_in_index(&rules, &live, now).await?
        };
        if !idle.is_empty() {
            live.retain(|(id, _)| idle.iter().all(|s| s.value.id() != *id));
            evicted = limit::excess_over(rules.max_sessions, &live);
        }

        let mut changes = ChangeSet::default();
        changes
            .sessions
            .extend(Self::forget_idle(&mut ledger, idle));
        for id in &evicted {
            let entry = ledger.active.remove(id);
            changes.sessions.push(SessionWrite::Revoke {
                session_id: *id,
                user_id: cmd.user_id.clone(),
                revocation: Revocation {
                    at: now,
                    reason: RevocationReason::TierChanged,
                    by: Actor::Service,
                },
            });
            changes.events.push(
                self.event(EventPayload::SessionEvicted(events::SessionEvicted {
                    session_id: *id,
                    user_id: cmd.user_id.clone(),
                    reason: RevocationReason::TierChanged,
                    device_info: entry.and_then(|e| e.device_info),
                    evicted_by_session_id: None,
                })),
            );
        }
        ledger.prune_expired(now);
        changes.ledger = Some(LedgerWrite::Put {
            ledger,
            expected_version,
        });
        self.store.commit(changes).await?;
        Ok(PolicyView {
            user_id: cmd.user_id.clone(),
            tier: cmd.tier.clone(),
            max_sessions_override: cmd.max_sessions,
            effective_max_sessions: rules.max_sessions,
            on_limit: rules.on_limit,
            idle_timeout_secs: rules.idle_timeout_secs,
            evicted_session_ids: evicted,
        })
    }
}
