//! The RFC 9457 problem document every error response carries.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
}
