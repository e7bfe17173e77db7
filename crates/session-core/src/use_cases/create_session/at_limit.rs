//! A login at the user's limit: which sessions count, which are evicted (oldest created or least
//! recently active first), and the `ask` tier's refusal and the user's choice (docs/0049).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Prepared;
use crate::app::{Retry, Sessions};
use crate::domain::limit::{self, LimitDecision};
use crate::domain::{ActiveEntry, EffectiveLimit, Session, SessionStatus, UserLedger};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::{SessionId, UserId};
use crate::ports::{ChangeSet, SessionStore, Versioned};

/// How a login fits under the user's limit.
pub(super) struct Placement {
    /// Live sessions counted against the limit, before this login.
    pub(super) live_count: usize,
    /// Sessions the login evicts, in eviction order.
    pub(super) evicted: Vec<SessionId>,
    /// Sessions found idle at the limit: they leave the ledger with this login.
    pub(super) idle: Vec<Versioned<Session>>,
}

impl<S: SessionStore> Sessions<S> {
    /// Decides how the login fits next to the user's live sessions, `making_way` left out (the
    /// device's own session, the one the user chose). The live sessions are read (one batch)
    /// only when the decision depends on them: idle ones free a slot, an activity order, an
    /// `ask` tier's list (docs/0049). A refusal commits its SessionLimitExceeded and is the
    /// error.
    pub(super) async fn place_login(
        &self,
        p: &Prepared,
        ledger: &UserLedger,
        rules: &EffectiveLimit,
        making_way: &[SessionId],
    ) -> Result<Placement, Retry> {
        let mut live = ledger.live_oldest_first(p.now);
        live.retain(|(id, _)| !making_way.contains(id));
        let mut decision = limit::decide(rules, &live, 1);
        let mut idle = Vec::new();
        if decision.needs_sessions(rules) {
            let ids: Vec<SessionId> = live.iter().map(|(id, _)| *id).collect();
            let sessions = self.store.load_sessions(&ids).await?;
            let last_active: BTreeMap<SessionId, DateTime<Utc>> = sessions
                .iter()
                .map(|s| (s.value.id(), s.value.last_activity_at()))
                .collect();
            idle = Self::idle_among(&sessions, p.now);
            live.retain(|(id, _)| idle.iter().all(|s| s.value.id() != *id));
            limit::sort_for_eviction(rules.eviction_order, &mut live, |id| {
                last_active.get(&id).copied()
            });
            decision = limit::decide(rules, &live, 1);
            if let LimitDecision::Ask { current, max } = decision {
                return Err(self
                    .refuse_at_limit(p, current, max, &live, sessions)
                    .await?
                    .into());
            }
        }
        let evicted = match decision {
            LimitDecision::Fits => Vec::new(),
            LimitDecision::Evict(ids) => ids,
            LimitDecision::Deny { current, max } | LimitDecision::Ask { current, max } => {
                self.record_refusal(p, current, max).await?;
                return Err(SessionError::SessionLimitExceeded { max_sessions: max }.into());
            }
        };
        Ok(Placement {
            live_count: live.len(),
            evicted,
            idle,
        })
    }

    /// The session named by `replace_session_id`: the user's, and active (404 otherwise, so
    /// another user's ids cannot be probed; 409 when it already ended).
    pub(super) async fn session_chosen_to_replace(
        &self,
        id: SessionId,
        user_id: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Session, Retry> {
        let session = self
            .store
            .load_session(id)
            .await?
            .map(|stored| stored.value)
            .filter(|session| session.user_id() == user_id)
            .ok_or(SessionError::SessionNotFound)?;
        match session.status(now) {
            SessionStatus::Active => Ok(session),
            status => Err(SessionError::SessionInactive { status }.into()),
        }
    }

    /// Commits the SessionLimitExceeded of a refused login (nothing evicted).
    pub(super) async fn record_refusal(
        &self,
        p: &Prepared,
        current: u32,
        max: u32,
    ) -> Result<(), Retry> {
        let refused = self.event(EventPayload::SessionLimitExceeded(
            events::SessionLimitExceeded {
                user_id: p.cmd.user_id.clone(),
                current_count: current,
                max_sessions: max,
                evicted_session_ids: Vec::new(),
            },
        ));
        self.store.commit(ChangeSet::events(vec![refused])).await?;
        Ok(())
    }

    /// An `ask` tier's refusal: the event, and the live sessions to choose from, least
    /// recently active first.
    pub(super) async fn refuse_at_limit(
        &self,
        p: &Prepared,
        current: u32,
        max: u32,
        live: &[(SessionId, &ActiveEntry)],
        sessions: Vec<Versioned<Session>>,
    ) -> Result<SessionError, Retry> {
        self.record_refusal(p, current, max).await?;
        let mut by_id: BTreeMap<SessionId, Session> = sessions
            .into_iter()
            .map(|stored| (stored.value.id(), stored.value))
            .collect();
        let mut choices: Vec<Session> =
            live.iter().filter_map(|(id, _)| by_id.remove(id)).collect();
        choices.sort_by_key(|s| (s.last_activity_at(), s.created_at(), s.id()));
        Ok(SessionError::SessionLimitReached {
            max_sessions: max,
            sessions: choices,
        })
    }
}
