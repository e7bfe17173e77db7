//! RefreshSession: the auth service's token refresh in one call: is the session active, is this
//! the refresh token it expects, rotate to the next one, record the activity (docs/0015).
//!
//! - The presented token is the current link: rotate. When the request comes from the session's
//!   last address and user agent this is one conditional write and nothing else (one round
//!   trip); otherwise the session that write answered is checked for suspicious activity and
//!   rotated in one commit with the activity's events.
//! - The previous link, within the grace window, asking for the next link already stored: the
//!   answer of the rotation was lost; answered again without rotating.
//! - Any other token: reuse. The session is revoked (`refresh_token_reuse`) with
//!   RefreshTokenReuseDetected and the revocation's events, all in one commit.
//! - An inactive session: `{active: false, reason}`, nothing written.
//!
//! Only hashes of refresh token ids reach the store; the ids themselves are never kept or logged.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::app::{Retry, Sessions};
use crate::domain::session::normalise_user_agent;
use crate::domain::{
    Aal, Actor, RefreshLink, Revocation, RevocationReason, Session, SessionStatus,
};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::{RefreshTokenId, SessionId, TokenHash, UserId};
use crate::ports::{
    ChangeSet, FastRotation, LedgerWrite, RotationAttempt, SessionStore, SessionWrite, Versioned,
};
use crate::use_cases::update_session_activity::ActivityReport;

#[derive(Clone, Debug)]
pub struct RefreshSession {
    pub session_id: SessionId,
    /// The refresh token id the client presented.
    pub refresh_token_id: RefreshTokenId,
    /// The id of the refresh token the auth service is about to issue in its place.
    pub next_refresh_token_id: RefreshTokenId,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// What the auth service learns from a refresh.
#[derive(Clone, Debug, PartialEq)]
pub enum Refreshed {
    /// Rotated (or, `retried`, the stored answer of a rotation whose answer was lost).
    Active(RefreshedSession),
    /// The session is not active (or went inactive through this request's suspicious
    /// activity); nothing was rotated.
    Inactive { status: SessionStatus },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RefreshedSession {
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub idle_expires_at: Option<DateTime<Utc>>,
    pub auth_time: DateTime<Utc>,
    pub aal: Aal,
    pub step_up_required: bool,
    /// This answers the retry of a rotation whose answer was lost; nothing changed.
    pub retried: bool,
}

impl RefreshedSession {
    fn of(session: &Session, retried: bool) -> Self {
        Self {
            user_id: session.user_id().clone(),
            expires_at: session.expires_at(),
            idle_expires_at: session.idle_expires_at(),
            auth_time: session.auth_time(),
            aal: session.aal(),
            step_up_required: session.step_up_required(),
            retried,
        }
    }
}

/// The request, hashed and normalised once for every attempt.
struct Prepared {
    session_id: SessionId,
    presented: TokenHash,
    next: TokenHash,
    report: ActivityReport,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn refresh_session(&self, cmd: RefreshSession) -> Result<Refreshed, SessionError> {
        let prepared = Prepared {
            session_id: cmd.session_id,
            presented: cmd.refresh_token_id.hash(),
            next: cmd.next_refresh_token_id.hash(),
            report: ActivityReport {
                session_id: cmd.session_id,
                ip_address: cmd.ip_address,
                user_agent: normalise_user_agent(cmd.user_agent.as_deref()),
            },
        };
        self.retry_on_conflict(|| self.try_refresh(&prepared))
            .await
            .map_err(SessionError::from)
    }

    async fn try_refresh(&self, p: &Prepared) -> Result<Refreshed, Retry> {
        let attempt = self
            .store
            .rotate_refresh_token(FastRotation {
                session_id: p.session_id,
                presented: p.presented.clone(),
                next: p.next.clone(),
                now: self.clock.now(),
                ip_address: p.report.ip_address,
                user_agent: p.report.user_agent.clone(),
            })
            .await?;
        match attempt {
            RotationAttempt::Rotated(stored) => Ok(Refreshed::Active(RefreshedSession::of(
                &stored.value,
                false,
            ))),
            RotationAttempt::NotApplied(None) => Err(SessionError::SessionNotFound.into()),
            RotationAttempt::NotApplied(Some(stored)) => self.refresh_as_read(stored, p).await,
        }
    }

    /// The one-write rotation did not apply: decide from the session it answered.
    async fn refresh_as_read(
        &self,
        stored: Versioned<Session>,
        p: &Prepared,
    ) -> Result<Refreshed, Retry> {
        let now = self.clock.now();
        let mut session = stored.value;
        let status = session.status(now);
        if status != SessionStatus::Active {
            return Ok(Refreshed::Inactive { status });
        }
        let grace = self.policy.refresh_grace();
        match session.refresh_link(&p.presented, &p.next, now, grace) {
            RefreshLink::Unlinked => Err(SessionError::RefreshTokenNotLinked.into()),
            RefreshLink::RetryOfLostAnswer => {
                Ok(Refreshed::Active(RefreshedSession::of(&session, true)))
            }
            RefreshLink::Reused { previous } => {
                self.revoke_on_reuse(session, stored.version, previous, p, now)
                    .await?;
                Err(SessionError::RefreshTokenReused.into())
            }
            RefreshLink::Current => {
                // Another address or user agent: checked like any activity report, and rotated
                // in the same commit unless the checks revoked the session.
                let recorded = self.apply_activity(&mut session, &p.report, now)?;
                if !recorded.outcome.revoked {
                    session.rotate_refresh_token(p.next.clone(), now)?;
                }
                let answer = if recorded.outcome.revoked {
                    Refreshed::Inactive {
                        status: SessionStatus::Revoked,
                    }
                } else {
                    Refreshed::Active(RefreshedSession::of(&session, false))
                };
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
                Ok(answer)
            }
        }
    }

    /// Revokes the session whose refresh token was replayed, with RefreshTokenReuseDetected and
    /// the revocation's 3-state events, in one commit.
    async fn revoke_on_reuse(
        &self,
        mut session: Session,
        version: u64,
        previous: bool,
        p: &Prepared,
        now: DateTime<Utc>,
    ) -> Result<(), Retry> {
        let reason = RevocationReason::RefreshTokenReuse;
        let detected = self.event(EventPayload::RefreshTokenReuseDetected(
            events::RefreshTokenReuseDetected {
                session_id: session.id(),
                user_id: session.user_id().clone(),
                presented: if previous { "previous" } else { "unknown" }.to_owned(),
                rotated_at: session.refresh_rotated_at(),
                ip_address: p.report.ip_address,
            },
        ));
        session.revoke(Revocation::new(now, reason, Actor::System))?;
        let mut events = vec![detected];
        events.extend(self.system_revocation_events(&session, reason));
        let changes = ChangeSet {
            ledger: Some(LedgerWrite::RemoveActive {
                user_id: session.user_id().clone(),
                session_ids: vec![session.id()],
                mark: None,
                expected_version: None,
            }),
            sessions: vec![SessionWrite::Replace {
                session,
                expected_version: version,
            }],
            events,
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(())
    }
}
