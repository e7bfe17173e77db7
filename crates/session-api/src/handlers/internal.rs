//! Routes internal services call: the auth service at login, on token refresh and on activity,
//! and admin tooling setting a user's policy.

use bytes::Bytes;
use http::{Response, StatusCode};
use session_core::Sessions;
use session_core::ports::SessionStore;
use session_core::use_cases::ValidateSession;

use crate::body::{EmptyBody, decode_json};
use crate::dto::{
    ActivityRequest, ActivityResponse, CreateSessionRequest, CreatedSessionResponse, Problem,
    ProviderAccessRequest, RefreshTokenRequest, SessionPolicyRequest, SessionPolicyResponse,
    ValidityResponse,
};
use crate::handlers::{RouteRequest, session_id, user_id};
use crate::idempotency;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// Create a session at login.
///
/// A user at the limit has their oldest sessions evicted, or the login refused on tiers that
/// deny.
#[utoipa::path(
    post,
    path = "/internal/sessions",
    tag = "internal",
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]*[A-Za-z0-9][\x21-\x7E]*$", description = "Makes a retried login safe: every request with the same key within 24 hours gets the first successful answer back, and nothing is created or evicted again. Visible ASCII, 1-255 characters (a UUID is a good key). The same key with a different body is a 422."),
    ),
    request_body(content = CreateSessionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Session created (or, with `Idempotent-Replayed: true`, the stored answer to the first request with this Idempotency-Key)", body = CreatedSessionResponse,
            headers(("Idempotent-Replayed" = bool, description = "Present and `true` when this is the stored answer of an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "`validation_failed` (body fields or the Idempotency-Key header), `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`: no policy registered for the user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_limit_exceeded` (deny tiers)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`: the Idempotency-Key was first used with a different request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable or contention; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn create_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let input = &request.input;
    QueryParams::parse(input.query)?.finish()?;
    let key = idempotency::idempotency_key(input.headers)?;
    let request: CreateSessionRequest =
        decode_json(input.headers, input.body, EmptyBody::Rejected)?;
    let command = request.into_command()?;
    let created = match key {
        Some(key) => sessions.create_session_idempotently(command, key).await?,
        None => sessions.create_session(command).await?,
    };
    let replayed = created.replayed;
    let mut response = response::json(StatusCode::CREATED, &CreatedSessionResponse::from(created))?;
    if replayed {
        response.headers_mut().insert(
            idempotency::IDEMPOTENT_REPLAYED,
            idempotency::replayed_value(),
        );
    }
    Ok(response)
}

/// Is the session still valid?
///
/// Asked on every token refresh; one consistent read.
#[utoipa::path(
    get,
    path = "/internal/sessions/{id}/validity",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Active, or inactive with the reason (`revoked`, `expired`, `idle_expired`, `not_found`)", body = ValidityResponse),
        (status = 400, description = "`invalid_session_id`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn session_validity<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (raw_id, input) = (request.parameter("id"), &request.input);
    let id = session_id(raw_id)?;
    QueryParams::parse(input.query)?.finish()?;
    let validity = sessions
        .validate_session(ValidateSession { session_id: id })
        .await?;
    response::json(StatusCode::OK, &ValidityResponse::from(validity))
}

/// Record a request seen on the session.
///
/// Throttled: nothing is written while the last write is recent and neither the IP nor the user
/// agent changed. A written report is checked for suspicious activity (IP change, country change,
/// impossible travel, user-agent change); each signal counts and emits
/// `SuspiciousSessionActivity`, and on tiers configured to revoke, the report that brings the
/// count to the threshold revokes the session (`active: false`). The client's address and user
/// agent come from the body only: the caller is the auth service, not the user.
#[utoipa::path(
    post,
    path = "/internal/sessions/{id}/activity",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = ActivityRequest, content_type = "application/json", description = "May be empty"),
    responses(
        (status = 200, description = "Activity outcome", body = ActivityResponse),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable or contention; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn record_session_activity<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let request: ActivityRequest = request.json_body(EmptyBody::EmptyObject)?;
    let outcome = sessions
        .update_session_activity(request.into_command(id)?)
        .await?;
    response::json(StatusCode::OK, &ActivityResponse::from(outcome))
}

/// Record that the session accessed a financial data provider.
#[utoipa::path(
    post,
    path = "/internal/sessions/{id}/provider-access",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = ProviderAccessRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_inactive`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn record_provider_access<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let request: ProviderAccessRequest = request.json_body(EmptyBody::Rejected)?;
    sessions
        .record_provider_access(request.into_command(id)?)
        .await?;
    Ok(response::no_content())
}

/// Tie a refresh token the auth service issued to the session (superseded).
///
/// Superseded by `POST /internal/sessions/{id}/refresh`, which checks the presented token,
/// rotates and records activity in one call; kept for callers of the earlier API. The token
/// becomes the current link of the session's refresh-token chain (stored hashed), the earlier
/// one its previous link.
#[utoipa::path(
    put,
    path = "/internal/sessions/{id}/refresh-token",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = RefreshTokenRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Linked"),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_inactive`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn link_refresh_token<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let request: RefreshTokenRequest = request.json_body(EmptyBody::Rejected)?;
    sessions
        .link_refresh_token(request.into_command(id)?)
        .await?;
    Ok(response::no_content())
}

/// Register a user or change their tier and limit override.
///
/// A lowered limit is enforced at once: the oldest sessions over it are revoked.
#[utoipa::path(
    put,
    path = "/internal/users/{user_id}/session-policy",
    tag = "internal",
    params(("user_id" = String, Path, description = "The platform's user id (percent-encoded)")),
    request_body(content = SessionPolicyRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The user's policy and the rules it resolves to", body = SessionPolicyResponse),
        (status = 400, description = "`validation_failed` (unknown tier, bad user id), `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable or contention; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn set_session_policy<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let raw_user_id = request.parameter("user_id");
    let request: SessionPolicyRequest = request.json_body(EmptyBody::Rejected)?;
    let view = sessions
        .set_user_session_policy(request.into_command(user_id(raw_user_id))?)
        .await?;
    response::json(StatusCode::OK, &SessionPolicyResponse::from(view))
}
