//! AuthorizeRequest: the authorizer's check of one user request, with the request recorded as
//! activity on the same read (docs/0012). The session must exist, be active and belong to the
//! token's subject; the request then counts as activity (throttled, checked for suspicious
//! signals), and a report that reaches the revocation threshold denies this very request.

use crate::app::{Retry, Sessions};
use crate::domain::session::normalise_user_agent;
use crate::domain::{SessionAssurance, SessionStatus};
use crate::error::SessionError;
use crate::ids::UserId;
use crate::ports::SessionStore;
use crate::use_cases::{ActivityOutcome, ActivityReport};

#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    /// The token's subject.
    pub user_id: UserId,
    /// The token's session and what the request showed of the client.
    pub report: ActivityReport,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// Active and the subject's; `outcome.recorded` says whether the request was written as
    /// activity.
    Allowed {
        outcome: ActivityOutcome,
        assurance: SessionAssurance,
    },
    Denied(DenialReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialReason {
    NotFound,
    /// Revoked, expired or idle-expired before this request, or revoked by it.
    Inactive(SessionStatus),
    /// The session belongs to another user than the token's subject.
    NotOwner,
}

impl DenialReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Inactive(status) => status.as_str(),
            Self::NotOwner => "not_owner",
        }
    }
}

impl<S: SessionStore> Sessions<S> {
    pub async fn authorize_request(
        &self,
        cmd: AuthorizeRequest,
    ) -> Result<Authorization, SessionError> {
        let mut report = cmd.report;
        report.user_agent = normalise_user_agent(report.user_agent.as_deref());
        self.retry_on_conflict(|| self.try_authorize(&cmd.user_id, &report))
            .await
            .map_err(SessionError::from)
    }

    async fn try_authorize(
        &self,
        user_id: &UserId,
        report: &ActivityReport,
    ) -> Result<Authorization, Retry> {
        let Some(stored) = self.store.load_session(report.session_id).await? else {
            return Ok(Authorization::Denied(DenialReason::NotFound));
        };
        match stored.value.status(self.clock.now()) {
            SessionStatus::Active => {}
            status => return Ok(Authorization::Denied(DenialReason::Inactive(status))),
        }
        if *stored.value.user_id() != *user_id {
            return Ok(Authorization::Denied(DenialReason::NotOwner));
        }
        let assurance = stored.value.assurance();
        let unrecorded = ActivityOutcome {
            step_up_required: stored.value.step_up_required(),
            ip_changed: false,
            suspicious_activity_count: stored.value.suspicious_activity_count(),
            active: true,
            recorded: false,
            revoked: false,
        };
        match self.record_activity_on(stored, report).await {
            Ok(outcome) if outcome.revoked => Ok(Authorization::Denied(DenialReason::Inactive(
                SessionStatus::Revoked,
            ))),
            // This very report may have asked for a step-up.
            Ok(outcome) => Ok(Authorization::Allowed {
                assurance: SessionAssurance {
                    step_up_required: outcome.step_up_required,
                    ..assurance
                },
                outcome,
            }),
            // The session was read active: a store that cannot take the activity write costs
            // the record, not the user's request.
            Err(Retry::Failed(SessionError::Store(error))) => {
                if error.is_transient() {
                    tracing::warn!(%error, "could not record the request as activity; allowing it");
                } else {
                    tracing::error!(%error, "the store refused the activity write; allowing it");
                }
                Ok(Authorization::Allowed {
                    outcome: unrecorded,
                    assurance,
                })
            }
            Err(Retry::Failed(SessionError::DeadlineExceeded)) => {
                tracing::warn!("no time left to record the request as activity; allowing it");
                Ok(Authorization::Allowed {
                    outcome: unrecorded,
                    assurance,
                })
            }
            Err(other) => Err(other),
        }
    }
}
