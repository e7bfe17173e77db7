//! The account-events consumer: the auth service's credential and account-lifecycle events end
//! the sessions they make untrustworthy.
//!
//! | detail type | effect (reason) |
//! |---|---|
//! | `UserPasswordChangeSucceeded` | policy, default `others` (`password_changed`) |
//! | `PasswordResetConfirmSucceeded` | policy, default `all` (`password_reset`) |
//! | `UserEmailChanged` | policy, default `others` (`email_changed`) |
//! | `UserMfaChanged` | policy, default `others` (`mfa_changed`) |
//! | `UserAccountRecovered` | policy, default `all` (`account_recovered`) |
//! | `UserAccountDisabled` | every session, logins refused (`account_disabled`) |
//! | `UserAccountEnabled` | logins allowed again; no session comes back |
//! | `UserAccountDeleted` | every session, logins refused for good, data erased after the audit retention (`account_deleted`) |
//!
//! `others` spares the session the detail names in `session_id` (the one that made the change).
//! A credential event revokes the sessions created before the change
//! (`domain::change_time`: the detail's `occurred_at` when it carries one, otherwise the end of
//! the envelope's whole-second `time`; docs/0014).
//!
//! Only events from the configured source (and account, when set) with a well-formed detail are
//! acted on; anything else is logged and dropped, since retrying cannot make it valid. Each event
//! takes effect once: its id is recorded with the change, so a redelivery changes nothing and
//! emits nothing. A store failure is returned as an error, so EventBridge retries (and
//! dead-letters after its retries).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Duration, Utc};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::Value;
use session_core::domain::change_time::credential_change_cutoff;
use session_core::domain::{Actor, RevocationReason, RevocationScope};
use session_core::events::RevokeAllTrigger;
use session_core::ids::{AuthEventId, SessionId, UserId};
use session_core::ports::{MAX_MARKER_KEY_LEN, ProcessedMarker, SessionStore};
use session_core::use_cases::{
    RequestedStatus, RevokeAllScope, RevokeAllUserSessions, SetAccountStatus,
};
use session_core::{Deadline, SessionError, Sessions};

use crate::config::{self, AuthEventsConfig, ProcessEnv};
use crate::{invocation_deadline, telemetry, wiring};

pub const PASSWORD_CHANGED: &str = "UserPasswordChangeSucceeded";
pub const PASSWORD_RESET: &str = "PasswordResetConfirmSucceeded";
pub const EMAIL_CHANGED: &str = "UserEmailChanged";
pub const MFA_CHANGED: &str = "UserMfaChanged";
pub const ACCOUNT_RECOVERED: &str = "UserAccountRecovered";
pub const ACCOUNT_DISABLED: &str = "UserAccountDisabled";
pub const ACCOUNT_ENABLED: &str = "UserAccountEnabled";
pub const ACCOUNT_DELETED: &str = "UserAccountDeleted";

/// Every detail type this consumer acts on (the template's rule matches exactly these).
pub const DETAIL_TYPES: [&str; 8] = [
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    EMAIL_CHANGED,
    MFA_CHANGED,
    ACCOUNT_RECOVERED,
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    ACCOUNT_DELETED,
];

/// How long a handled event's id is remembered; EventBridge retries for at most 24 hours.
const MARKER_RETENTION_DAYS: i64 = 7;

/// What happened to one delivered event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Revoked {
        session_ids: Vec<SessionId>,
    },
    /// The account's status changed (disabled, enabled or deleted), revoking these sessions.
    StatusChanged {
        status: &'static str,
        session_ids: Vec<SessionId>,
    },
    /// The policy says this event revokes nothing.
    NothingToDo,
    /// The same event was handled before.
    AlreadyHandled,
    /// Not ours to act on (untrusted source or account, unknown type, malformed detail, unknown
    /// user); logged and dropped.
    Dropped {
        why: &'static str,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("could not handle the account event: {0}")]
pub struct ConsumerError(#[source] SessionError);

impl ConsumerError {
    /// The stable code of what went wrong (`store_unavailable`, `deadline_exceeded`, ...).
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// `session_id` names the session that made the change (spared by `others`); `occurred_at`,
/// when the auth service sends it, is the precise time of the change.
#[derive(Deserialize)]
struct Detail {
    user_id: UserId,
    #[serde(default)]
    session_id: Option<SessionId>,
    #[serde(default)]
    occurred_at: Option<DateTime<Utc>>,
}

/// What an event type does.
enum Effect {
    Revoke(RevocationReason, RevocationScope),
    SetStatus(RequestedStatus, RevocationReason),
}

pub struct AccountEventsConsumer<S> {
    sessions: Sessions<S>,
    trust: AuthEventsConfig,
}

impl<S: SessionStore + Clone> AccountEventsConsumer<S> {
    /// Like [`Self::handle`], but ending by `deadline` (docs/0044): retries stop there and a
    /// handling still waiting on the store is cut off, with `deadline_exceeded`. The event is
    /// then retried by EventBridge; what committed stands (each commit is atomic, and a
    /// revoke-all past its first chunk is finished by the sweep, docs/0046).
    pub async fn handle_within(
        &self,
        event: EventBridgeEvent<Value>,
        deadline: Option<Deadline>,
    ) -> Result<Outcome, ConsumerError> {
        let Some(deadline) = deadline else {
            return self.handle(event).await;
        };
        let bounded = Self {
            sessions: self.sessions.clone().with_deadline(deadline),
            trust: self.trust.clone(),
        };
        match tokio::time::timeout_at(deadline.instant().into(), bounded.handle(event)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ConsumerError(SessionError::DeadlineExceeded)),
        }
    }
}

impl<S: SessionStore> AccountEventsConsumer<S> {
    pub fn new(sessions: Sessions<S>, trust: AuthEventsConfig) -> Self {
        Self { sessions, trust }
    }

    fn effect(&self, detail_type: &str) -> Option<Effect> {
        let policy = self.sessions.policy().account_events();
        let revoke = |reason, scope| Some(Effect::Revoke(reason, scope));
        match detail_type {
            PASSWORD_CHANGED => revoke(RevocationReason::PasswordChanged, policy.password_changed),
            PASSWORD_RESET => revoke(RevocationReason::PasswordReset, policy.password_reset),
            EMAIL_CHANGED => revoke(RevocationReason::EmailChanged, policy.email_changed),
            MFA_CHANGED => revoke(RevocationReason::MfaChanged, policy.mfa_changed),
            ACCOUNT_RECOVERED => {
                revoke(RevocationReason::AccountRecovered, policy.account_recovered)
            }
            ACCOUNT_DISABLED => Some(Effect::SetStatus(
                RequestedStatus::Disabled,
                RevocationReason::AccountDisabled,
            )),
            ACCOUNT_ENABLED => Some(Effect::SetStatus(
                RequestedStatus::Active,
                RevocationReason::AccountDisabled,
            )),
            ACCOUNT_DELETED => Some(Effect::SetStatus(
                RequestedStatus::Deleted,
                RevocationReason::AccountDeleted,
            )),
            _ => None,
        }
    }

    pub async fn handle(&self, event: EventBridgeEvent<Value>) -> Result<Outcome, ConsumerError> {
        let Some(event_id) = event
            .id
            .as_deref()
            .filter(|id| id.len() <= MAX_MARKER_KEY_LEN / 2)
            .and_then(|id| AuthEventId::try_from(id.to_owned()).ok())
        else {
            return Ok(dropped("event has no usable id"));
        };
        if event.source != self.trust.source {
            return Ok(dropped("untrusted source"));
        }
        if let Some(account) = &self.trust.account
            && event.account.as_deref() != Some(account.as_str())
        {
            return Ok(dropped("untrusted account"));
        }
        let Some(effect) = self.effect(&event.detail_type) else {
            return Ok(dropped("unknown detail type"));
        };
        let Ok(detail) = serde_json::from_value::<Detail>(event.detail) else {
            return Ok(dropped("malformed detail"));
        };
        let now = Utc::now();
        let once = Some(ProcessedMarker {
            key: format!("auth-event:{event_id}"),
            expires_at: now + Duration::days(MARKER_RETENTION_DAYS),
        });
        let by = Actor::AuthEvent { event_id };
        let outcome = match effect {
            Effect::Revoke(_, RevocationScope::None) => return Ok(Outcome::NothingToDo),
            Effect::Revoke(reason, scope) => {
                let cmd = RevokeAllUserSessions {
                    user_id: detail.user_id,
                    reason,
                    except_session_id: match scope {
                        RevocationScope::Others => detail.session_id,
                        RevocationScope::All | RevocationScope::None => None,
                    },
                    by,
                    trigger: RevokeAllTrigger::AuthEvent,
                    note: None,
                };
                let scope = RevokeAllScope {
                    created_before: Some(credential_change_cutoff(
                        detail.occurred_at,
                        event.time,
                        now,
                    )),
                    once,
                    status: None,
                };
                self.sessions
                    .revoke_all_user_sessions_in_scope(cmd, scope)
                    .await
                    .map(|done| match done.already_processed {
                        true => Outcome::AlreadyHandled,
                        false => Outcome::Revoked {
                            session_ids: done.session_ids,
                        },
                    })
            }
            Effect::SetStatus(status, reason) => self
                .sessions
                .set_account_status(SetAccountStatus {
                    user_id: detail.user_id,
                    status,
                    reason: (status != RequestedStatus::Active).then_some(reason),
                    by,
                    note: None,
                    once,
                })
                .await
                .map(|changed| match changed.already_processed {
                    true => Outcome::AlreadyHandled,
                    false => Outcome::StatusChanged {
                        status: changed.status.as_str(),
                        session_ids: changed.revoked_session_ids,
                    },
                }),
        };
        match outcome {
            Ok(outcome) => Ok(outcome),
            // A user this service never saw has no sessions to revoke.
            Err(SessionError::UserNotFound) => Ok(dropped("unknown user")),
            Err(error) => Err(ConsumerError(error)),
        }
    }
}

fn dropped(why: &'static str) -> Outcome {
    tracing::warn!(why, "auth event dropped");
    Outcome::Dropped { why }
}

/// Entry point of the account-events function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let trust = config::auth_events(&ProcessEnv)
        .map_err(|e| crate::http_function::init_failed(e.into()))?;
    let (sessions, metrics) = wiring::session_service(&ProcessEnv)
        .await
        .map_err(crate::http_function::init_failed)?;
    let margin = config::request_deadline_margin(&ProcessEnv)
        .map_err(|e| crate::http_function::init_failed(e.into()))?;
    let consumer = AccountEventsConsumer::new(sessions, trust);
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent<Value>>| {
        let (consumer, metrics) = (&consumer, &metrics);
        async move {
            let deadline = invocation_deadline::request_deadline(
                event.context.deadline,
                margin,
                std::time::SystemTime::now(),
            );
            let outcome = consumer.handle_within(event.payload, deadline).await;
            metrics.flush();
            let outcome = outcome?;
            tracing::info!(?outcome, "auth event handled");
            Ok::<(), ConsumerError>(())
        }
    }))
    .await
}

impl From<ConsumerError> for lambda_runtime::Diagnostic {
    fn from(error: ConsumerError) -> Self {
        Self {
            error_type: "SessionStoreUnavailable".into(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detail_type_has_an_effect() {
        let consumer = AccountEventsConsumer::new(
            Sessions::new(
                session_memory::MemoryStore::new(),
                session_core::domain::PolicyConfig::default(),
            ),
            AuthEventsConfig {
                source: "auth".into(),
                account: None,
            },
        );
        for detail_type in DETAIL_TYPES {
            assert!(consumer.effect(detail_type).is_some(), "{detail_type}");
        }
        assert!(consumer.effect("UserLoggedIn").is_none());
    }
}
