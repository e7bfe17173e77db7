//! The user ledger: a user's policy and the index of their possibly-active sessions. Every
//! change to the set of active sessions goes through it, so limit checks are atomic.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::policy::UserPolicy;
use crate::domain::session::{Actor, Session};
use crate::domain::sighting::Sightings;
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

/// Whether the user may have sessions. A disabled or deleted account has none: disabling revokes
/// them all, and logins are refused until the account is enabled again (docs/0013).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AccountStatus {
    #[default]
    Active,
    Disabled {
        since: DateTime<Utc>,
        by: Actor,
    },
    /// Deleted by the auth service: blocked for good; the user's session data is erased after
    /// the audit retention.
    Deleted {
        since: DateTime<Utc>,
    },
}

impl AccountStatus {
    /// Whether logins are allowed.
    pub fn allows_logins(&self) -> bool {
        matches!(self, Self::Active)
    }

    /// `active`, `disabled` or `deleted`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled { .. } => "disabled",
            Self::Deleted { .. } => "deleted",
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
    #[serde(default)]
    pub status: AccountStatus,
    /// Every session created at or before this instant was revoked by a revoke-all (the latest
    /// one's cutoff). A login that started before it and commits after it is refused: it would
    /// survive a sign-out it raced (docs/0013).
    #[serde(default)]
    pub revoked_before: Option<DateTime<Utc>>,
    /// The user's first login since this field exists (docs/0047): a new device is news only
    /// to a user who signed in before.
    #[serde(default)]
    pub first_login_at: Option<DateTime<Utc>>,
    /// The browser, OS and country combinations of the user's logins (docs/0049); `None` until
    /// the first login that records them, so that a ledger from before knows it has no history
    /// rather than treating every combination as new.
    #[serde(default)]
    pub sightings: Option<Sightings>,
}

impl UserLedger {
    pub fn new(user_id: UserId, policy: UserPolicy) -> Self {
        Self {
            user_id,
            policy,
            active: BTreeMap::new(),
            status: AccountStatus::Active,
            revoked_before: None,
            first_login_at: None,
            sightings: None,
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
