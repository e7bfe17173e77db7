//! UpdateSessionActivity: the auth service reports a request on a session.
//!
//! - Throttled: nothing is written while the last write is younger than the configured interval
//!   and neither the IP nor the user agent changed, so a busy session does not write on every
//!   request.
//! - Checked for suspicious activity (IP, country, impossible travel, user agent; see
//!   [`crate::domain::suspicion`]): each signal counts and emits SuspiciousSessionActivity.
//! - Graduated response: on a tier that revokes, the report that brings the count to the
//!   threshold revokes the session in the same commit (docs/0009).

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::app::{Retry, Sessions};
use crate::domain::session::normalise_user_agent;
use crate::domain::suspicion::{self, Sighting, Signal};
use crate::domain::{Actor, Revocation, RevocationReason, Session};
use crate::error::SessionError;
use crate::events::{self, DomainEvent, EventPayload};
use crate::ids::SessionId;
use crate::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite, Versioned};

/// A request seen on a session, by address. Callers that also know the user agent add it with
/// [`UpdateSessionActivity::with_user_agent`]; this shape stays for those that do not.
#[derive(Clone, Debug)]
pub struct UpdateSessionActivity {
    pub session_id: SessionId,
    pub ip_address: Option<IpAddr>,
}

impl UpdateSessionActivity {
    pub fn with_user_agent(self, user_agent: Option<String>) -> ActivityReport {
        ActivityReport {
            session_id: self.session_id,
            ip_address: self.ip_address,
            user_agent,
        }
    }
}

/// A request seen on a session: what [`Sessions::update_session_activity`] runs on.
#[derive(Clone, Debug)]
pub struct ActivityReport {
    pub session_id: SessionId,
    pub ip_address: Option<IpAddr>,
    /// Truncated like at login before it is compared or stored.
    pub user_agent: Option<String>,
}

impl From<UpdateSessionActivity> for ActivityReport {
    fn from(cmd: UpdateSessionActivity) -> Self {
        cmd.with_user_agent(None)
    }
}

/// What recording one report decided, to commit with the session.
pub(crate) struct RecordedActivity {
    pub(crate) events: Vec<DomainEvent>,
    pub(crate) ledger: Option<LedgerWrite>,
    pub(crate) outcome: ActivityOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityOutcome {
    pub ip_changed: bool,
    pub suspicious_activity_count: u32,
    /// Whether the session is active after this report.
    pub active: bool,
    /// Whether this call wrote anything (false when throttled or inactive).
    pub recorded: bool,
    /// Whether this report revoked the session (suspicious activity reached the threshold).
    pub revoked: bool,
    /// Whether the session asks for a step-up after this report.
    pub step_up_required: bool,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn update_session_activity(
        &self,
        cmd: impl Into<ActivityReport>,
    ) -> Result<ActivityOutcome, SessionError> {
        let mut report = cmd.into();
        report.user_agent = normalise_user_agent(report.user_agent.as_deref());
        self.retry_on_conflict(|| self.try_update_activity(&report))
            .await
            .map_err(SessionError::from)
    }

    async fn try_update_activity(&self, report: &ActivityReport) -> Result<ActivityOutcome, Retry> {
        let Some(stored) = self.store.load_session(report.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        self.record_activity_on(stored, report).await
    }

    /// Records `report` on `stored` (the session as just read), throttled and checked for
    /// suspicious activity; a conflict means the session changed since the read. `report`'s user
    /// agent must already be normalised.
    pub(crate) async fn record_activity_on(
        &self,
        stored: Versioned<Session>,
        report: &ActivityReport,
    ) -> Result<ActivityOutcome, Retry> {
        let now = self.clock.now();
        let mut session = stored.value;
        let unchanged = ActivityOutcome {
            step_up_required: session.step_up_required(),
            ip_changed: false,
            suspicious_activity_count: session.suspicious_activity_count(),
            active: session.is_active(now),
            recorded: false,
            revoked: false,
        };
        if !unchanged.active {
            return Ok(unchanged);
        }
        if self.is_throttled(&session, report, now) {
            return Ok(unchanged);
        }
        let recorded = self.apply_activity(&mut session, report, now)?;
        let changes = ChangeSet {
            ledger: recorded.ledger,
            sessions: vec![SessionWrite::Replace {
                session,
                expected_version: stored.version,
            }],
            events: recorded.events,
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(recorded.outcome)
    }

    /// Whether `report` is skipped: the last write is recent and neither the address nor the
    /// user agent changed.
    fn is_throttled(&self, session: &Session, report: &ActivityReport, now: DateTime<Utc>) -> bool {
        let ip_differs = report
            .ip_address
            .is_some_and(|ip| session.last_ip_address() != Some(ip));
        let ua_differs = report
            .user_agent
            .as_deref()
            .is_some_and(|ua| session.current_user_agent() != Some(ua));
        let interval_elapsed =
            now - session.last_activity_at() >= self.policy.activity_write_interval();
        !ip_differs && !ua_differs && !interval_elapsed
    }

    /// Records `report` on `session` (active, as read) in place: activity, address, user agent,
    /// location, suspicious-activity signals and the tier's graduated response (step-up, then
    /// revocation). Answers what to commit with the session. `report`'s user agent must already
    /// be normalised.
    pub(crate) fn apply_activity(
        &self,
        session: &mut Session,
        report: &ActivityReport,
        now: DateTime<Utc>,
    ) -> Result<RecordedActivity, SessionError> {
        let user_agent = report.user_agent.as_deref();
        let ua_differs = user_agent.is_some_and(|ua| session.current_user_agent() != Some(ua));

        // Looked up only for reports that are written, so throttled ones cost one read.
        let location = report.ip_address.and_then(|ip| self.locate(ip));
        let device_info = self.new_device_description(session, user_agent, ua_differs);
        let signals = suspicion::detect(
            session,
            &Sighting {
                at: now,
                ip: report.ip_address,
                user_agent,
                country_code: location.as_ref().map(|l| l.country_code.as_str()),
                coordinates: location.as_ref().and_then(|l| l.coordinates),
                device_info: device_info.as_deref(),
            },
            self.policy.suspicious_signals(),
            self.policy.impossible_travel_kmh(),
        );

        let change = session.record_activity(now, report.ip_address);
        if let Some(ua) = user_agent {
            session.record_user_agent(ua);
        }
        if let Some(location) = &location {
            session.record_location(Some(&location.country_code), location.coordinates, now);
        }
        let mut events = vec![self.event(EventPayload::SessionActivityUpdated(
            events::SessionActivityUpdated {
                session_id: session.id(),
                user_id: session.user_id().clone(),
                ip_address: report.ip_address,
                ip_changed: change.ip_changed,
            },
        ))];
        events.extend(self.suspicious_events(session, &signals));
        let reached = |threshold: Option<u32>| {
            threshold.is_some_and(|at| session.suspicious_activity_count() >= at)
        };
        let revoked = !signals.is_empty() && reached(session.suspicious_revoke_at_count());
        let ledger = if revoked {
            session.revoke(Revocation {
                at: now,
                reason: RevocationReason::SuspiciousActivity,
                by: Actor::System,
                note: None,
            })?;
            events.extend(
                self.system_revocation_events(session, RevocationReason::SuspiciousActivity),
            );
            // Unconditional, like revoke-one: the index only ever loses a revoked session.
            Some(LedgerWrite::RemoveActive {
                user_id: session.user_id().clone(),
                session_ids: vec![session.id()],
                mark: None,
                expected_version: None,
            })
        } else {
            if !signals.is_empty()
                && reached(session.suspicious_step_up_at_count())
                && session.require_step_up()
            {
                events.push(self.event(EventPayload::SessionStepUpRequired(
                    events::SessionStepUpRequired {
                        session_id: session.id(),
                        user_id: session.user_id().clone(),
                        suspicious_count: session.suspicious_activity_count(),
                    },
                )));
            }
            None
        };
        Ok(RecordedActivity {
            events,
            ledger,
            outcome: ActivityOutcome {
                ip_changed: change.ip_changed,
                suspicious_activity_count: session.suspicious_activity_count(),
                active: !revoked,
                recorded: true,
                revoked,
                step_up_required: session.step_up_required(),
            },
        })
    }

    /// The description of a user agent that is about to raise a user-agent signal, for its
    /// event; not computed otherwise (parsing is the costliest step of a report).
    fn new_device_description(
        &self,
        session: &Session,
        user_agent: Option<&str>,
        differs: bool,
    ) -> Option<String> {
        let raises = differs
            && self.policy.suspicious_signals().user_agent_change
            && session.current_user_agent().is_some();
        user_agent
            .filter(|_| raises)
            .and_then(|ua| self.describe_device(ua).description)
    }

    /// One SuspiciousSessionActivity per signal, each counted on the session first so the event
    /// carries the count it brought the session to.
    fn suspicious_events(&self, session: &mut Session, signals: &[Signal]) -> Vec<DomainEvent> {
        signals
            .iter()
            .map(|signal| {
                let count = session.record_suspicious_activity();
                self.event(EventPayload::SuspiciousSessionActivity(
                    events::SuspiciousSessionActivity {
                        session_id: session.id(),
                        user_id: session.user_id().clone(),
                        activity_type: signal.name().to_owned(),
                        details: signal.details(),
                        suspicious_count: count,
                    },
                ))
            })
            .collect()
    }
}
