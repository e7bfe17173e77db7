//! The password-change consumer: `UserPasswordChangeSucceeded` revokes every session of the user
//! but the one that changed the password (`password_changed`); `PasswordResetConfirmSucceeded`
//! revokes them all (`password_reset`).
//!
//! Only events from the configured source (and account, when set) with a well-formed detail are
//! acted on; anything else is logged and dropped, since retrying cannot make it valid. Each event
//! takes effect once: its id is recorded with the revocations, so a redelivery changes nothing
//! and emits nothing. Only sessions created up to the event's time are revoked, so a late
//! delivery never signs out a login made with the new password. A store failure is returned as
//! an error, so EventBridge retries (and dead-letters after its retries).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{Duration, Utc};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::Value;
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::{SessionId, UserId};
use session_core::ports::{MAX_MARKER_KEY_LEN, ProcessedMarker, SessionStore};
use session_core::use_cases::{RevokeAllScope, RevokeAllUserSessions};
use session_core::{SessionError, Sessions};

use crate::config::{self, AuthEventsConfig, ProcessEnv};
use crate::{telemetry, wiring};

pub const PASSWORD_CHANGED: &str = "UserPasswordChangeSucceeded";
pub const PASSWORD_RESET: &str = "PasswordResetConfirmSucceeded";

/// How long a handled event's id is remembered; EventBridge retries for at most 24 hours.
const MARKER_RETENTION_DAYS: i64 = 7;

/// What happened to one delivered event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Revoked {
        session_ids: Vec<SessionId>,
    },
    /// The same event was handled before.
    AlreadyHandled,
    /// Not ours to act on (untrusted source or account, unknown type, malformed detail, unknown
    /// user); logged and dropped.
    Dropped {
        why: &'static str,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("could not revoke sessions: {0}")]
pub struct ConsumerError(#[source] SessionError);

/// `session_id` is optional: a reset has none, a change may name the session that made it.
#[derive(Deserialize)]
struct Detail {
    user_id: UserId,
    #[serde(default)]
    session_id: Option<SessionId>,
}

pub struct PasswordChangedConsumer<S> {
    sessions: Sessions<S>,
    trust: AuthEventsConfig,
}

impl<S: SessionStore> PasswordChangedConsumer<S> {
    pub fn new(sessions: Sessions<S>, trust: AuthEventsConfig) -> Self {
        Self { sessions, trust }
    }

    pub async fn handle(&self, event: EventBridgeEvent<Value>) -> Result<Outcome, ConsumerError> {
        let Some(event_id) = event
            .id
            .as_deref()
            .filter(|id| !id.is_empty() && id.len() <= MAX_MARKER_KEY_LEN / 2)
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
        let reason = match event.detail_type.as_str() {
            PASSWORD_CHANGED => RevocationReason::PasswordChanged,
            PASSWORD_RESET => RevocationReason::PasswordReset,
            _ => return Ok(dropped("unknown detail type")),
        };
        let Ok(detail) = serde_json::from_value::<Detail>(event.detail) else {
            return Ok(dropped("malformed detail"));
        };
        let except_session_id = match reason {
            RevocationReason::PasswordChanged => detail.session_id,
            _ => None,
        };
        let cmd = RevokeAllUserSessions {
            user_id: detail.user_id,
            reason,
            except_session_id,
            by: Actor::System,
        };
        let now = Utc::now();
        let scope = RevokeAllScope {
            created_before: Some(event.time.unwrap_or(now)),
            once: Some(ProcessedMarker {
                key: format!("auth-event:{event_id}"),
                expires_at: now + Duration::days(MARKER_RETENTION_DAYS),
            }),
        };
        match self
            .sessions
            .revoke_all_user_sessions_in_scope(cmd, scope)
            .await
        {
            Ok(done) if done.already_processed => Ok(Outcome::AlreadyHandled),
            Ok(done) => Ok(Outcome::Revoked {
                session_ids: done.session_ids,
            }),
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

/// Entry point of the password-changed function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let trust = config::auth_events(&ProcessEnv)
        .map_err(|e| crate::http_function::init_failed(e.into()))?;
    let sdk = wiring::sdk_config().await;
    let sessions =
        wiring::sessions(&sdk, &ProcessEnv).map_err(crate::http_function::init_failed)?;
    let consumer = PasswordChangedConsumer::new(sessions, trust);
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent<Value>>| {
        let consumer = &consumer;
        async move {
            let outcome = consumer.handle(event.payload).await?;
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
