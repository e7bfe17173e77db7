//! The user ledger: a user's policy and the index of their possibly-active sessions. Every
//! change to the set of active sessions goes through it, so limit checks are atomic.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::policy::UserPolicy;
use crate::domain::session::Session;
use crate::ids::{SessionId, UserId};

/// What the ledger remembers of one unrevoked session: enough to pick eviction victims and to
/// describe them in events without reading them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ActiveEntry {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub device_info: Option<String>,
}

impl From<&Session> for ActiveEntry {
    fn from(session: &Session) -> Self {
        Self {
            created_at: session.created_at(),
            expires_at: session.expires_at(),
            device_info: session.device_info().map(str::to_owned),
        }
    }
}

/// Invariant: every active session of the user is in `active` (the index may also hold sessions
/// that went idle, until they are evicted or revoked), so counting the index never undercounts.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UserLedger {
    pub user_id: UserId,
    pub policy: UserPolicy,
    pub active: BTreeMap<SessionId, ActiveEntry>,
}

impl UserLedger {
    pub fn new(user_id: UserId, policy: UserPolicy) -> Self {
        Self {
            user_id,
            policy,
            active: BTreeMap::new(),
        }
    }

    /// Drops entries past their absolute expiry: they can never become active again.
    pub fn prune_expired(&mut self, now: DateTime<Utc>) {
        self.active.retain(|_, entry| entry.expires_at > now);
    }

    /// Unexpired entries, oldest created first (ties broken by id, which is time-ordered).
    pub fn live_oldest_first(&self, now: DateTime<Utc>) -> Vec<(SessionId, &ActiveEntry)> {
        let mut live: Vec<(SessionId, &ActiveEntry)> = self
            .active
            .iter()
            .filter(|(_, entry)| entry.expires_at > now)
            .map(|(id, entry)| (*id, entry))
            .collect();
        live.sort_by_key(|(id, entry)| (entry.created_at, *id));
        live
    }
}
