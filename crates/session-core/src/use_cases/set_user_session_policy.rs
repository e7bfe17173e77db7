//! SetUserSessionPolicy (admin): registers a user or changes their tier / limit override. A
//! lowered limit is enforced at once: the oldest sessions over it are revoked (`tier_changed`).

use chrono::{DateTime, Utc};

use crate::app::{Retry, Sessions};
use crate::domain::limit;
use crate::domain::policy::MAX_SESSIONS_LIMIT;
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

/// How one attempt of a policy change ended.
enum Step {
    Done(PolicyView),
    /// Evicted these for the lowered limit, in a commit of their own; the change goes on.
    Evicted(Vec<SessionId>),
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
        match cmd.max_sessions {
            Some(0) => return Err(InvalidInput::ZeroMaxSessions.into()),
            Some(max) if max > MAX_SESSIONS_LIMIT => {
                return Err(InvalidInput::MaxSessionsTooHigh {
                    max: MAX_SESSIONS_LIMIT,
                }
                .into());
            }
            _ => {}
        }
        // A lowered limit may have more sessions to evict than one commit holds (an unlimited
        // user moved to a limited tier): those go a chunk at a time, each its own commit, until
        // the rest fits with the new policy.
        let mut evicted_earlier = Vec::new();
        let mut conflicts = 0;
        loop {
            match self.try_set_policy(&cmd).await {
                Ok(Step::Done(mut view)) => {
                    evicted_earlier.append(&mut view.evicted_session_ids);
                    view.evicted_session_ids = evicted_earlier;
                    return Ok(view);
                }
                Ok(Step::Evicted(mut ids)) => evicted_earlier.append(&mut ids),
                Err(Retry::Conflict) => {
                    conflicts += 1;
                    if conflicts >= self.max_attempts {
                        return Err(SessionError::Contention);
                    }
                    self.backoff_before_retry(conflicts).await?;
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    async fn try_set_policy(&self, cmd: &SetUserSessionPolicy) -> Result<Step, Retry> {
        let policy = UserPolicy {
            tier: cmd.tier.clone(),
            max_sessions: cmd.max_sessions,
        };
        let (mut ledger, expected_version) = match self.store.load_user(&cmd.user_id).await? {
            Some(stored) => (stored.value, Some(stored.version)),
            None => (UserLedger::new(cmd.user_id.clone(), policy.clone()), None),
        };
        let was_limited = self.policy.effective(&ledger.policy).max_sessions.is_some();
        ledger.policy = policy;
        let now = self.clock.now();
        let rules = self.policy.effective(&ledger.policy);
        match (was_limited, rules.max_sessions.is_some()) {
            // An unlimited tier's ledger keeps no sessions: a limited one needs them all, from
            // the user's index.
            (false, true) if expected_version.is_some() => {
                ledger.active = self
                    .store
                    .load_user_with_index(&cmd.user_id)
                    .await?
                    .index
                    .into_iter()
                    .collect();
            }
            (_, false) => ledger.active.clear(),
            _ => {}
        }
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

        // A revocation is three items (the session, its index entry, its event).
        let per_commit = self.store.max_writes_per_commit().saturating_sub(2) / 3;
        if evicted.len() > per_commit.max(1) {
            let chunk: Vec<SessionId> = evicted.into_iter().take(per_commit.max(1)).collect();
            let mut changes = ChangeSet {
                ledger: Some(LedgerWrite::RemoveActive {
                    user_id: cmd.user_id.clone(),
                    session_ids: chunk.clone(),
                    mark: None,
                    expected_version: None,
                }),
                ..ChangeSet::default()
            };
            for id in &chunk {
                self.evict(&mut changes, &mut ledger, &cmd.user_id, *id, now);
            }
            self.store.commit(changes).await?;
            return Ok(Step::Evicted(chunk));
        }

        let mut changes = ChangeSet::default();
        changes
            .sessions
            .extend(Self::forget_idle(&mut ledger, idle));
        for id in &evicted {
            self.evict(&mut changes, &mut ledger, &cmd.user_id, *id, now);
        }
        ledger.prune_expired(now);
        changes.ledger = Some(LedgerWrite::Put {
            ledger,
            expected_version,
        });
        self.store.commit(changes).await?;
        Ok(Step::Done(PolicyView {
            user_id: cmd.user_id.clone(),
            tier: cmd.tier.clone(),
            max_sessions_override: cmd.max_sessions,
            effective_max_sessions: rules.max_sessions,
            on_limit: rules.on_limit,
            idle_timeout_secs: rules.idle_timeout_secs,
            evicted_session_ids: evicted,
        }))
    }

    /// Revokes `id` for the lowered limit (`tier_changed`), with its SessionEvicted event.
    fn evict(
        &self,
        changes: &mut ChangeSet,
        ledger: &mut UserLedger,
        user_id: &UserId,
        id: SessionId,
        now: DateTime<Utc>,
    ) {
        let entry = ledger.active.remove(&id);
        changes.sessions.push(SessionWrite::Revoke {
            session_id: id,
            user_id: user_id.clone(),
            revocation: Revocation::new(now, RevocationReason::TierChanged, Actor::System),
        });
        changes.events.push(
            self.event(EventPayload::SessionEvicted(events::SessionEvicted {
                session_id: id,
                user_id: user_id.clone(),
                reason: RevocationReason::TierChanged,
                device_info: entry.and_then(|e| e.device_info),
                evicted_by_session_id: None,
            })),
        );
    }
}
