//! CreateSession: a login creates a session, evicting the oldest ones when the user is at the
//! limit (or refusing, for a `deny` tier). The limit holds under any concurrency because the
//! ledger write is conditioned on the version read.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::app::{Retry, Sessions};
use crate::domain::limit::{self, LimitDecision};
use crate::domain::session::{NewSession, normalise_user_agent};
use crate::domain::{ActiveEntry, Actor, Revocation, RevocationReason, Session, UserLedger};
use crate::error::{InvalidInput, SessionError};
use crate::events::{self, EventPayload};
use crate::ids::{RefreshTokenId, SessionId, UserId};
use crate::ports::{
    ChangeSet, DeviceInfo, LedgerWrite, Location, SessionStore, SessionWrite, Versioned,
};

#[derive(Clone, Debug)]
pub struct CreateSession {
    pub user_id: UserId,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Defaults to now + the configured lifetime; must lie within it.
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh_token_id: Option<RefreshTokenId>,
}

#[derive(Clone, Debug)]
pub struct CreatedSession {
    pub session: Session,
    pub evicted_session_ids: Vec<SessionId>,
}

/// The parts of a login that do not change between retries.
struct Prepared {
    id: SessionId,
    cmd: CreateSession,
    user_agent: Option<String>,
    device: DeviceInfo,
    location: Option<Location>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn create_session(&self, cmd: CreateSession) -> Result<CreatedSession, SessionError> {
        let now = self.clock.now();
        let expires_at = self.expiry_for(now, cmd.expires_at)?;
        let user_agent = normalise_user_agent(cmd.user_agent.as_deref());
        let prepared = Prepared {
            id: self.new_session_id(),
            device: user_agent
                .as_deref()
                .map(|ua| self.describe_device(ua))
                .unwrap_or_default(),
            location: cmd.ip_address.and_then(|ip| self.locate(ip)),
            user_agent,
            now,
            expires_at,
            cmd,
        };
        self.retry_on_conflict(|| self.try_create(&prepared))
            .await
            .map_err(SessionError::from)
    }

    fn expiry_for(
        &self,
        now: DateTime<Utc>,
        requested: Option<DateTime<Utc>>,
    ) -> Result<DateTime<Utc>, InvalidInput> {
        let latest = now + self.policy.session_lifetime();
        match requested {
            None => Ok(latest),
            Some(at) if at <= now => Err(InvalidInput::ExpiryInPast),
            Some(at) if at > latest => Err(InvalidInput::ExpiryBeyondLifetime {
                max_secs: self.policy.session_lifetime_secs,
            }),
            Some(at) => Ok(at),
        }
    }

    /// Fail-open: a broken enricher costs the description, never the login (nor an activity
    /// report).
    pub(crate) fn describe_device(&self, user_agent: &str) -> DeviceInfo {
        self.device.describe(user_agent).unwrap_or_else(|error| {
            tracing::warn!(%error, "device enrichment failed; continuing without it");
            DeviceInfo::default()
        })
    }

    /// Fail-open like [`Self::describe_device`].
    pub(crate) fn locate(&self, ip: IpAddr) -> Option<Location> {
        self.location.locate(ip).unwrap_or_else(|error| {
            tracing::warn!(%error, "location enrichment failed; continuing without it");
            None
        })
    }

    async fn try_create(&self, p: &Prepared) -> Result<CreatedSession, Retry> {
        let Some(Versioned {
            value: mut ledger,
            version,
        }) = self.store.load_user(&p.cmd.user_id).await?
        else {
            return Err(SessionError::UserNotFound.into());
        };
        let rules = self.policy.effective(&ledger.policy);
        let mut live = ledger.live_oldest_first(p.now);
        let mut decision = limit::decide(&rules, &live, 1);
        let idle = if decision == LimitDecision::Fits {
            Vec::new()
        } else {
            self.idle_in_index(&rules, &live, p.now).await?
        };
        if !idle.is_empty() {
            live.retain(|(id, _)| idle.iter().all(|s| s.value.id != *id));
            decision = limit::decide(&rules, &live, 1);
        }
        let live_count = live.len();
        let evicted = match decision {
            LimitDecision::Fits => Vec::new(),
            LimitDecision::Evict(ids) => ids,
            LimitDecision::Deny { current, max } => {
                let refused = self.event(EventPayload::SessionLimitExceeded(
                    events::SessionLimitExceeded {
                        user_id: p.cmd.user_id.clone(),
                        current_count: current,
                        max_sessions: max,
                        evicted_session_ids: Vec::new(),
                    },
                ));
                self.store.commit(ChangeSet::events(vec![refused])).await?;
                return Err(SessionError::SessionLimitExceeded { max_sessions: max }.into());
            }
        };

        let mut session = Session::new(NewSession {
            id: p.id,
            user_id: p.cmd.user_id.clone(),
            device_info: p.device.description.clone(),
            user_agent: p.user_agent.clone(),
            ip_address: p.cmd.ip_address,
            location: p.location.as_ref().map(Location::display),
            now: p.now,
            expires_at: p.expires_at,
            idle_timeout_secs: rules.idle_timeout_secs,
            refresh_token_id: p.cmd.refresh_token_id.clone(),
        });
        session.device_type = p.device.device_type.clone();
        // The login is the first sighting: the baseline of country and travel checks.
        if let Some(location) = &p.location {
            session.record_location(Some(&location.country_code), location.coordinates, p.now);
        }
        // Copied like the idle timeout (docs/0009): an activity report must not read the ledger.
        session.suspicious_revoke_at_count = rules.suspicious_revoke_at_count;
        let idle_checks = Self::forget_idle(&mut ledger, idle);
        let mut changes = self.login_changes(
            ledger,
            version,
            &session,
            &evicted,
            live_count,
            rules.max_sessions,
        );
        changes.sessions.extend(idle_checks);
        self.store.commit(changes).await?;
        Ok(CreatedSession {
            session,
            evicted_session_ids: evicted,
        })
    }

    /// The ledger update, the new session, the evictions and the events, in the order consumers
    /// see them: SessionLimitExceeded, SessionEvicted..., SessionCreated.
    fn login_changes(
        &self,
        mut ledger: UserLedger,
        version: u64,
        session: &Session,
        evicted: &[SessionId],
        live_count: usize,
        max_sessions: Option<u32>,
    ) -> ChangeSet {
        let mut changes = ChangeSet::default();
        if !evicted.is_empty() {
            changes
                .events
                .push(self.event(EventPayload::SessionLimitExceeded(
                    events::SessionLimitExceeded {
                        user_id: session.user_id.clone(),
                        current_count: u32::try_from(live_count).unwrap_or(u32::MAX),
                        max_sessions: max_sessions.unwrap_or(u32::MAX),
                        evicted_session_ids: evicted.to_vec(),
                    },
                )));
        }
        for id in evicted {
            let entry = ledger.active.remove(id);
            changes.sessions.push(SessionWrite::Revoke {
                session_id: *id,
                user_id: session.user_id.clone(),
                revocation: Revocation {
                    at: session.created_at,
                    reason: RevocationReason::SessionLimitExceeded,
                    by: Actor::System,
                },
            });
            changes.events.push(
                self.event(EventPayload::SessionEvicted(events::SessionEvicted {
                    session_id: *id,
                    user_id: session.user_id.clone(),
                    reason: RevocationReason::SessionLimitExceeded,
                    device_info: entry.and_then(|e| e.device_info),
                    evicted_by_session_id: Some(session.id),
                })),
            );
        }
        ledger.prune_expired(session.created_at);
        ledger.active.insert(session.id, ActiveEntry::from(session));
        changes.sessions.push(SessionWrite::Insert(session.clone()));
        changes.events.push(
            self.event(EventPayload::SessionCreated(events::SessionCreated {
                session_id: session.id,
                user_id: session.user_id.clone(),
                device_info: session.device_info.clone(),
                ip_address: session.ip_address,
                location: session.location.clone(),
                user_agent: session.user_agent.clone(),
                expires_at: session.expires_at,
            })),
        );
        changes.ledger = Some(LedgerWrite::Put {
            ledger,
            expected_version: Some(version),
        });
        changes
    }
}
