//! Every way a request can fail, and its RFC 9457 problem document. The `code` of each variant is
//! part of the API contract: clients branch on it, so it never changes once published.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use session_core::domain::SessionStatus;
use session_core::error::InvalidInput;
use session_core::ports::StoreError;
use session_core::{SessionError, ids::truncate_text};
use thiserror::Error;

use crate::dto::{FieldError, Problem, SessionChoice};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Longest `instance` echoed back; request paths are attacker-controlled.
const MAX_INSTANCE_BYTES: usize = 256;

/// The `Display` text of each variant is the problem's `detail`: written for the client, it never
/// carries internal causes (those stay in `cause()` for the logs).
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body does not have the expected shape: {0}")]
    InvalidBody(String),
    #[error("the request body could not be read")]
    UnreadableBody,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the session id in the path is not a UUID")]
    InvalidSessionId,
    #[error("the cursor is not one this service issued")]
    InvalidCursor,
    #[error("reason must be one of: {allowed}")]
    InvalidReason { allowed: &'static str },
    #[error("the request URI is longer than {limit} bytes")]
    UriTooLong { limit: usize },
    #[error("no route matches this path")]
    RouteNotFound,
    #[error("this route does not accept the method; allowed: {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("this route needs credentials")]
    Unauthorized,
    #[error("{detail}")]
    InvalidToken { detail: String },
    #[error("the caller may not use this route")]
    Forbidden,
    #[error("the user is not known to the session service")]
    UserNotFound,
    #[error("session not found")]
    SessionNotFound,
    #[error("device not found")]
    DeviceNotFound,
    #[error("the session is already revoked")]
    SessionAlreadyRevoked,
    #[error("the user already has the maximum of {max_sessions} active session(s)")]
    SessionLimitExceeded { max_sessions: u32 },
    #[error(
        "the user already has the maximum of {max_sessions} active session(s); send the login again with one of them as replace_session_id"
    )]
    SessionLimitReached {
        max_sessions: u32,
        sessions: Vec<SessionChoice>,
    },
    #[error("the session is {}", status.as_str())]
    SessionInactive { status: SessionStatus },
    #[error("the account is disabled; no session can be created until it is enabled again")]
    AccountDisabled,
    #[error("the account was deleted and cannot be enabled again")]
    AccountDeleted,
    #[error(
        "the user's sessions were revoked while this login was in progress; authenticate again"
    )]
    LoginSuperseded,
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    #[error("the session has no refresh token to rotate; link one first")]
    RefreshTokenNotLinked,
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("too many concurrent changes to the same data; retry shortly")]
    Contention,
    #[error("the request could not be completed in time; retry shortly")]
    DeadlineExceeded,
    #[error("the session store is temporarily unavailable; retry shortly")]
    StoreUnavailable { cause: String },
    #[error("the request could not be completed")]
    Internal { cause: String },
}

impl ApiError {
    /// One field problem, the common case of [`ApiError::Validation`].
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_)
            | Self::MalformedJson(_)
            | Self::InvalidBody(_)
            | Self::UnreadableBody
            | Self::InvalidSessionId
            | Self::InvalidCursor
            | Self::InvalidReason { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::RouteNotFound
            | Self::UserNotFound
            | Self::SessionNotFound
            | Self::DeviceNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized | Self::InvalidToken { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::AccountDisabled => StatusCode::FORBIDDEN,
            Self::SessionAlreadyRevoked
            | Self::SessionLimitExceeded { .. }
            | Self::SessionLimitReached { .. }
            | Self::SessionInactive { .. }
            | Self::AccountDeleted
            | Self::LoginSuperseded
            | Self::RefreshTokenReused
            | Self::RefreshTokenNotLinked => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Contention | Self::DeadlineExceeded | Self::StoreUnavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidBody(_) => "invalid_body",
            Self::UnreadableBody => "unreadable_body",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidSessionId => "invalid_session_id",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidReason { .. } => "invalid_reason",
            Self::UriTooLong { .. } => "uri_too_long",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::InvalidToken { .. } => "invalid_token",
            Self::Forbidden => "forbidden",
            Self::UserNotFound => "user_not_found",
            Self::SessionNotFound => "session_not_found",
            Self::DeviceNotFound => "device_not_found",
            Self::SessionAlreadyRevoked => "session_already_revoked",
            Self::SessionLimitExceeded { .. } => "session_limit_exceeded",
            Self::SessionLimitReached { .. } => "session_limit_reached",
            Self::SessionInactive { .. } => "session_inactive",
            Self::AccountDisabled => "account_disabled",
            Self::AccountDeleted => "account_deleted",
            Self::LoginSuperseded => "login_superseded",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::RefreshTokenNotLinked => "refresh_token_not_linked",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Contention => "contention",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::StoreUnavailable { .. } => "store_unavailable",
            Self::Internal { .. } => "internal_error",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::Validation(_) => "Validation failed",
            Self::MalformedJson(_) => "Malformed JSON",
            Self::InvalidBody(_) => "Invalid request body",
            Self::UnreadableBody => "Unreadable request body",
            Self::PayloadTooLarge { .. } => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::InvalidSessionId => "Invalid session id",
            Self::InvalidCursor => "Invalid cursor",
            Self::InvalidReason { .. } => "Invalid revocation reason",
            Self::UriTooLong { .. } => "URI too long",
            Self::RouteNotFound => "Route not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Unauthorized => "Unauthorized",
            Self::InvalidToken { .. } => "Invalid token",
            Self::Forbidden => "Forbidden",
            Self::UserNotFound => "User not found",
            Self::SessionNotFound => "Session not found",
            Self::DeviceNotFound => "Device not found",
            Self::SessionAlreadyRevoked => "Session already revoked",
            Self::SessionLimitExceeded { .. } => "Session limit exceeded",
            Self::SessionLimitReached { .. } => "Session limit reached",
            Self::SessionInactive { .. } => "Session inactive",
            Self::AccountDisabled => "Account disabled",
            Self::AccountDeleted => "Account deleted",
            Self::LoginSuperseded => "Login superseded",
            Self::RefreshTokenReused => "Refresh token reused",
            Self::RefreshTokenNotLinked => "No refresh token linked",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::Contention => "Too many concurrent changes",
            Self::DeadlineExceeded => "Deadline exceeded",
            Self::StoreUnavailable { .. } => "Service unavailable",
            Self::Internal { .. } => "Internal error",
        }
    }

    /// What went wrong inside, for the logs only.
    pub fn cause(&self) -> Option<&str> {
        match self {
            Self::StoreUnavailable { cause } | Self::Internal { cause } => Some(cause),
            _ => None,
        }
    }

    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::Validation(errors) => Some(errors.clone()),
            _ => None,
        }
    }

    /// The RFC 9457 document for this error.
    pub fn to_problem(&self, instance: &str, trace_id: &str) -> Problem {
        let code = self.code();
        Problem {
            problem_type: format!("/problems/{code}"),
            title: self.title().to_owned(),
            status: self.status().as_u16(),
            detail: self.to_string(),
            instance: truncate_text(instance, MAX_INSTANCE_BYTES),
            code: code.to_owned(),
            trace_id: trace_id.to_owned(),
            errors: self.field_errors(),
            max_sessions: match self {
                Self::SessionLimitExceeded { max_sessions }
                | Self::SessionLimitReached { max_sessions, .. } => Some(*max_sessions),
                _ => None,
            },
            sessions: match self {
                Self::SessionLimitReached { sessions, .. } => Some(sessions.clone()),
                _ => None,
            },
        }
    }
}

/// Renders `error` as an `application/problem+json` response with the headers its status calls
/// for (`Allow`, `Retry-After`, `WWW-Authenticate`).
pub fn problem_response(error: &ApiError, instance: &str, trace_id: &str) -> Response<Bytes> {
    let problem = error.to_problem(instance, trace_id);
    // Serialising a struct of strings and numbers cannot fail; the fallback only keeps this
    // function total.
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| {
        br#"{"type":"/problems/internal_error","title":"Internal error","status":500,"code":"internal_error"}"#
            .to_vec()
    });
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match error {
        ApiError::MethodNotAllowed { allow } => {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        ApiError::Contention | ApiError::DeadlineExceeded | ApiError::StoreUnavailable { .. } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        ApiError::Unauthorized => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="sessions""#),
            );
        }
        ApiError::InvalidToken { .. } => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="sessions", error="invalid_token""#),
            );
        }
        _ => {}
    }
    response
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::UserNotFound => Self::UserNotFound,
            // Not-owner answers exactly like not-found, so ids of other users' sessions cannot be
            // probed.
            SessionError::SessionNotFound | SessionError::NotSessionOwner => Self::SessionNotFound,
            SessionError::SessionAlreadyRevoked => Self::SessionAlreadyRevoked,
            SessionError::DeviceNotFound => Self::DeviceNotFound,
            SessionError::SessionLimitExceeded { max_sessions } => {
                Self::SessionLimitExceeded { max_sessions }
            }
            SessionError::SessionLimitReached {
                max_sessions,
                sessions,
            } => Self::SessionLimitReached {
                max_sessions,
                sessions: sessions.iter().map(SessionChoice::from).collect(),
            },
            SessionError::SessionInactive { status } => Self::SessionInactive { status },
            SessionError::Invalid(invalid) => invalid.into(),
            SessionError::AccountDisabled => Self::AccountDisabled,
            SessionError::AccountDeleted => Self::AccountDeleted,
            SessionError::LoginSuperseded => Self::LoginSuperseded,
            SessionError::RefreshTokenReused => Self::RefreshTokenReused,
            SessionError::RefreshTokenNotLinked => Self::RefreshTokenNotLinked,
            SessionError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            SessionError::Contention => Self::Contention,
            SessionError::DeadlineExceeded => Self::DeadlineExceeded,
            SessionError::Store(StoreError::Unavailable(source)) => Self::StoreUnavailable {
                cause: source.to_string(),
            },
            SessionError::Store(StoreError::Rejected(source)) => Self::Internal {
                cause: format!("store refused the request: {source}"),
            },
            SessionError::Store(StoreError::Corrupt(what)) => Self::Internal {
                cause: format!("corrupt store item: {what}"),
            },
        }
    }
}

impl From<InvalidInput> for ApiError {
    fn from(invalid: InvalidInput) -> Self {
        match invalid {
            InvalidInput::Value(value) => Self::field(value.field, value.problem),
            InvalidInput::ExpiryInPast => Self::field("expires_at", "must be in the future"),
            InvalidInput::ExpiryBeyondLifetime { max_secs } => Self::field(
                "expires_at",
                format!("must be within the session lifetime of {max_secs} seconds"),
            ),
            InvalidInput::UnknownTier(tier) => {
                Self::field("tier", format!("unknown tier `{tier}`"))
            }
            InvalidInput::ZeroMaxSessions => Self::field("max_sessions", "must be at least 1"),
            InvalidInput::MaxSessionsTooHigh { max } => {
                Self::field("max_sessions", format!("must be at most {max}"))
            }
            InvalidInput::InvalidCursor => Self::InvalidCursor,
            InvalidInput::TrustExpiry { .. } => Self::field(
                "trusted_until",
                "must be in the future and at most 90 days ahead",
            ),
            InvalidInput::PageLimit { max } => {
                Self::field("limit", format!("must be between 1 and {max}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_type_is_derived_from_its_code() {
        let error = ApiError::SessionNotFound;
        let problem = error.to_problem("/sessions/x", "req-1");
        assert_eq!(problem.problem_type, "/problems/session_not_found");
        assert_eq!(problem.code, "session_not_found");
        assert_eq!(problem.status, 404);
        assert_eq!(problem.trace_id, "req-1");
        assert_eq!(problem.instance, "/sessions/x");
        assert!(problem.errors.is_none());
    }

    #[test]
    fn not_owner_is_indistinguishable_from_not_found() {
        let not_found = ApiError::from(SessionError::SessionNotFound).to_problem("/p", "t");
        let not_owner = ApiError::from(SessionError::NotSessionOwner).to_problem("/p", "t");
        assert_eq!(not_found, not_owner);
    }

    #[test]
    fn corrupt_store_items_are_500_without_leaking_the_cause() {
        let error = ApiError::from(SessionError::Store(StoreError::Corrupt(
            "secret detail".into(),
        )));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = problem_response(&error, "/p", "t").into_body();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("secret detail"), "{text}");
        assert!(error.cause().is_some_and(|c| c.contains("secret detail")));
    }

    #[test]
    fn refused_store_requests_are_500_internal_error_without_leaking_the_cause() {
        let refused = std::io::Error::other("AccessDeniedException: arn:aws:iam::123:role/x");
        let error = ApiError::from(SessionError::Store(StoreError::Rejected(Box::new(refused))));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code(), "internal_error");
        let response = problem_response(&error, "/p", "t");
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
        let text = String::from_utf8_lossy(response.body());
        assert!(!text.contains("AccessDenied"), "{text}");
        assert!(error.cause().is_some_and(|c| c.contains("AccessDenied")));
    }

    #[test]
    fn unavailable_store_contention_and_a_passed_deadline_ask_to_retry() {
        for error in [
            ApiError::from(SessionError::DeadlineExceeded),
            ApiError::Contention,
            ApiError::StoreUnavailable {
                cause: "timeout".into(),
            },
        ] {
            let response = problem_response(&error, "/p", "t");
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        }
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let response = problem_response(
            &ApiError::MethodNotAllowed {
                allow: "GET, DELETE",
            },
            "/p",
            "t",
        );
        assert_eq!(response.headers()[header::ALLOW], "GET, DELETE");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
    }

    #[test]
    fn long_instances_are_truncated() {
        let problem = ApiError::RouteNotFound.to_problem(&"/x".repeat(1000), "t");
        assert!(problem.instance.len() <= MAX_INSTANCE_BYTES);
    }
}
