//! Bodies of the refresh and step-up routes, called by the auth service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::Session;
use session_core::ids::{RefreshTokenId, SessionId};
use session_core::use_cases::{RefreshSession, Refreshed, StepUpSession};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::fields::{self, FieldErrors};
use crate::dto::json_object::object_body;
use crate::problem::ApiError;

/// A token refresh: the refresh token the client presented and the one the auth service is about
/// to issue in its place.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct RefreshRequest {
    /// The refresh token id the client presented.
    #[schema(schema_with = crate::dto::schema::refresh_token_id)]
    pub refresh_token_id: String,
    /// The id of the refresh token about to be issued; a retry of a lost answer sends the same.
    #[schema(schema_with = crate::dto::schema::refresh_token_id)]
    pub next_refresh_token_id: String,
    #[schema(schema_with = crate::dto::schema::reported_ip_address)]
    pub ip_address: Option<String>,
    /// The client's user agent; truncated to 512 bytes like at login.
    pub user_agent: Option<String>,
}

object_body!(RefreshRequest);

impl RefreshRequest {
    pub(crate) fn into_command(self, session_id: SessionId) -> Result<RefreshSession, ApiError> {
        let mut errors = FieldErrors::default();
        let presented = errors.check(RefreshTokenId::try_from(self.refresh_token_id));
        let next = errors.check(
            RefreshTokenId::try_from(self.next_refresh_token_id).map_err(|mut invalid| {
                invalid.field = "next_refresh_token_id";
                invalid
            }),
        );
        let ip_address = errors.check(fields::ip_address("ip_address", self.ip_address));
        match (presented, next, ip_address) {
            (Some(presented), Some(next), Some(ip_address)) if errors.is_empty() => {
                Ok(RefreshSession {
                    session_id,
                    refresh_token_id: presented,
                    next_refresh_token_id: next,
                    ip_address,
                    user_agent: self.user_agent,
                })
            }
            _ => Err(errors.into_error()),
        }
    }
}

/// The session after a refresh. Active: `{active: true, user_id, expires_at, idle_expires_at,
/// auth_time, aal, step_up_required}`; otherwise `{active: false, reason}` with reason
/// `revoked`, `expired` or `idle_expired` (nothing rotated).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct RefreshResponse {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When the session goes idle without further activity (tiers with an idle timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3)]
    pub aal: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "revoked")]
    pub reason: Option<String>,
}

impl From<Refreshed> for RefreshResponse {
    fn from(refreshed: Refreshed) -> Self {
        match refreshed {
            Refreshed::Active(session) => Self {
                active: true,
                user_id: Some(session.user_id.into()),
                expires_at: Some(session.expires_at),
                idle_expires_at: session.idle_expires_at,
                auth_time: Some(session.auth_time),
                aal: Some(session.aal.level()),
                step_up_required: Some(session.step_up_required),
                reason: None,
            },
            Refreshed::Inactive { status } => Self {
                active: false,
                user_id: None,
                expires_at: None,
                idle_expires_at: None,
                auth_time: None,
                aal: None,
                step_up_required: None,
                reason: Some(status.as_str().to_owned()),
            },
        }
    }
}

/// The user authenticated again on this session.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct StepUpRequest {
    /// The assurance level reached (1-3); the session's never goes down.
    #[serde(default, deserialize_with = "fields::optional_whole_u32")]
    #[schema(value_type = u32, required = true, minimum = 1, maximum = 3)]
    pub aal: Option<u32>,
    /// The methods used for this step-up (RFC 8176), added to the session's.
    #[schema(schema_with = crate::dto::schema::amr)]
    pub amr: Option<Vec<String>>,
}

object_body!(StepUpRequest);

impl StepUpRequest {
    pub(crate) fn into_command(self, session_id: SessionId) -> Result<StepUpSession, ApiError> {
        let mut errors = FieldErrors::default();
        let aal = match self.aal {
            None => {
                errors.check::<()>(Err(session_core::ids::InvalidValue::new(
                    "aal",
                    "is required",
                )));
                None
            }
            level => errors.check(fields::aal(level)),
        };
        let amr = errors.check(fields::amr(self.amr));
        match (aal, amr) {
            (Some(aal), Some(amr)) if errors.is_empty() => Ok(StepUpSession {
                session_id,
                aal,
                amr,
            }),
            _ => Err(errors.into_error()),
        }
    }
}

/// The session's assurance after a step-up.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct StepUpResponse {
    pub session_id: Uuid,
    #[schema(minimum = 1, maximum = 3)]
    pub aal: u8,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub step_up_required: bool,
}

impl From<Session> for StepUpResponse {
    fn from(session: Session) -> Self {
        Self {
            session_id: *session.id().as_uuid(),
            aal: session.aal().level(),
            amr: session
                .amr()
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            auth_time: session.auth_time(),
            step_up_required: session.step_up_required(),
        }
    }
}
