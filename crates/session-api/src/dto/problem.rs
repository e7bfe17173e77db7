//! The RFC 9457 problem document every error response carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::Session;
use utoipa::ToSchema;
use uuid::Uuid;

/// One invalid input field of a `validation_failed` problem.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The body field, or the path, query or header parameter, at fault.
    #[schema(example = "user_id")]
    pub field: String,
    #[schema(example = "must not be empty")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem (`application/problem+json`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    #[schema(example = "/problems/session_not_found")]
    pub problem_type: String,
    #[schema(example = "Session not found")]
    pub title: String,
    #[schema(example = 404)]
    pub status: u16,
    pub detail: String,
    /// The request path.
    #[schema(example = "/sessions/0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b")]
    pub instance: String,
    /// Stable machine-readable code; clients branch on this, never on `title` or `detail`.
    #[schema(example = "session_not_found")]
    pub code: String,
    /// The request id, to correlate with the service's logs.
    pub trace_id: String,
    /// Field problems, present on `validation_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The limit, present on `session_limit_exceeded` and `session_limit_reached`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<u32>,
    /// The active sessions to choose from, least recently active first: present on
    /// `session_limit_reached`; send the login again with one's `id` as `replace_session_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<SessionChoice>>,
}

/// An active session a user may end to make room for a login (docs/0049).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionChoice {
    pub id: Uuid,
    #[schema(example = "Chrome on Mac OS X")]
    pub device_info: Option<String>,
    /// The device's name as given at its login; omitted when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[schema(example = "Berlin, DE")]
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
}

impl From<&Session> for SessionChoice {
    fn from(session: &Session) -> Self {
        Self {
            id: *session.id().as_uuid(),
            device_info: session.device_info().map(str::to_owned),
            device_name: session.device_name().map(|name| name.as_str().to_owned()),
            location: session.location().map(str::to_owned),
            created_at: session.created_at(),
            last_activity_at: session.last_activity_at(),
        }
    }
}
