//! The auth service's token refresh and step-up (docs/0015).

use bytes::Bytes;
use http::{Response, StatusCode};
use session_core::Sessions;
use session_core::ports::SessionStore;

use crate::body::EmptyBody;
use crate::dto::{Problem, RefreshRequest, RefreshResponse, StepUpRequest, StepUpResponse};
use crate::handlers::{RouteRequest, session_id};
use crate::problem::ApiError;
use crate::response;

/// Refresh: check the presented refresh token, rotate to the next one, record the activity.
///
/// One call for the auth service's token refresh. The presented token must be the session's
/// current one: it is rotated to `next_refresh_token_id` (one conditional write). The previous
/// token, within the grace window and with the same next token, is the retry of a lost answer and
/// gets the same answer without rotating. Any other token is a reuse: the session is revoked at
/// once (`refresh_token_reuse`) and the answer is 409 `refresh_token_reused`. Refresh token ids are
/// stored hashed and never logged.
#[utoipa::path(
    post,
    path = "/internal/sessions/{id}/refresh",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = RefreshRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Rotated (or the retry of a lost answer), or inactive with the reason", body = RefreshResponse),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`refresh_token_reused`: the session was revoked; `refresh_token_not_linked`: the session has no refresh token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn refresh_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let body: RefreshRequest = request.json_body(EmptyBody::Rejected)?;
    let refreshed = sessions.refresh_session(body.into_command(id)?).await?;
    response::json(StatusCode::OK, &RefreshResponse::from(refreshed))
}

/// Step-up: the user authenticated again on this session.
///
/// Raises the session's assurance level and methods (never lowers them), sets its
/// authentication time to now and clears a pending `step_up_required`.
#[utoipa::path(
    post,
    path = "/internal/sessions/{id}/step-up",
    tag = "internal",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = StepUpRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The session's assurance", body = StepUpResponse),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_inactive`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn step_up_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let body: StepUpRequest = request.json_body(EmptyBody::Rejected)?;
    let session = sessions.step_up_session(body.into_command(id)?).await?;
    response::json(StatusCode::OK, &StepUpResponse::from(session))
}
