//! Routes a signed-in user calls about their own sessions. Another user's session is answered
//! exactly like a missing one, so session ids cannot be probed.

use bytes::Bytes;
use http::{Response, StatusCode};
use session_core::domain::RevocationReason;
use session_core::ports::SessionStore;
use session_core::use_cases::list_user_sessions::MAX_PAGE_SIZE;
use session_core::use_cases::{
    GetSession, ListUserSessions, RevokeAllUserSessions, RevokeSession, SessionFilter,
};
use session_core::{SessionError, Sessions};

use crate::dto::{
    FieldError, Problem, RevokeAllResponse, SessionListResponse, SessionStateFilter, SessionView,
    UserRevocationReason,
};
use crate::handlers::{RouteRequest, UserCaller, session_id};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// The reasons a user may give for revoking one of their sessions (the others are for the
/// system), as listed in the `invalid_reason` problem.
const USER_REVOCATION_REASONS_TEXT: &str = "manual, logout, suspicious_activity";

/// List the caller's sessions, newest first.
///
/// `total_count` and `active_count` count the sessions of the returned page.
#[utoipa::path(
    get,
    path = "/sessions",
    tag = "sessions",
    params(
        ("active_only" = Option<bool>, Query, description = "Only sessions active now (default true); `false` lists every session. Superseded by `state`"),
        ("state" = Option<SessionStateFilter>, Query, description = "`active` (default), `ended` (revoked, expired or idle-expired) or `all`; decides when `active_only` is also given"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"),
        ("cursor" = Option<String>, Query, max_length = 256, pattern = "^[A-Za-z0-9_-]*$", description = "`next_cursor` of the previous page (opaque; empty is the first page). Any other value is `invalid_cursor`"),
    ),
    responses(
        (status = 200, description = "One page of sessions", body = SessionListResponse),
        (status = 400, description = "Invalid query (`validation_failed`, `invalid_cursor`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_sessions<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    let mut query = QueryParams::parse(input.query)?;
    let mut errors = Vec::new();
    let active_only = match query.take("active_only")?.as_deref() {
        None => None,
        Some("true") => Some(SessionFilter::Active),
        Some("false") => Some(SessionFilter::All),
        Some(_) => {
            errors.push(FieldError::new("active_only", "must be true or false"));
            None
        }
    };
    let state = match query.take("state")? {
        None => None,
        Some(text) => match SessionStateFilter::parse(&text) {
            Some(state) => Some(state.into()),
            None => {
                errors.push(FieldError::new("state", "must be active, ended or all"));
                None
            }
        },
    };
    // `state` supersedes `active_only`: a client migrating to it may still send the old flag (a
    // shared query builder, say), so when both come the newer one decides rather than a 400.
    let filter = state.or(active_only).unwrap_or_default();
    let limit = match query.take("limit")? {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => Some(limit),
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be an integer between 1 and {MAX_PAGE_SIZE}"),
                ));
                None
            }
        },
    };
    // An empty cursor is what clients send when they echo a missing `next_cursor`: first page.
    let cursor = query.take("cursor")?.filter(|cursor| !cursor.is_empty());
    query.finish()?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let list = sessions
        .list_user_sessions(ListUserSessions {
            user_id: caller.user_id.clone(),
            filter,
            limit,
            cursor,
            current_session_id: Some(caller.session_id),
        })
        .await?;
    response::json(StatusCode::OK, &SessionListResponse::from(list))
}

/// One of the caller's sessions, whatever its status.
#[utoipa::path(
    get,
    path = "/sessions/{id}",
    tag = "sessions",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "The session", body = SessionView),
        (status = 400, description = "`invalid_session_id`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`: missing or not the caller's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    let raw_id = request.parameter("id");
    let id = session_id(raw_id)?;
    QueryParams::parse(input.query)?.finish()?;
    let listed = sessions
        .get_session(GetSession {
            session_id: id,
            user_id: caller.user_id.clone(),
            current_session_id: Some(caller.session_id),
        })
        .await?;
    response::json(StatusCode::OK, &SessionView::from(listed))
}

/// Sign one of the caller's devices out.
///
/// Revoking an already revoked session succeeds.
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    tag = "sessions",
    params(
        ("id" = uuid::Uuid, Path, description = "Session id"),
        ("reason" = inline(Option<UserRevocationReason>), Query, description = "`manual` (default), `logout` or `suspicious_activity`"),
    ),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 400, description = "`invalid_session_id`, `invalid_reason`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`: missing or not the caller's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn revoke_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    let raw_id = request.parameter("id");
    let id = session_id(raw_id)?;
    let mut query = QueryParams::parse(input.query)?;
    let reason = match query.take("reason")? {
        None => RevocationReason::Manual,
        Some(text) => RevocationReason::parse(&text)
            .filter(|reason| {
                UserRevocationReason::ALL
                    .into_iter()
                    .any(|allowed| RevocationReason::from(allowed) == *reason)
            })
            .ok_or(ApiError::InvalidReason {
                allowed: USER_REVOCATION_REASONS_TEXT,
            })?,
    };
    query.finish()?;
    revoke_own(sessions, caller, id, reason).await
}

/// Sign the device making the request out (logout).
#[utoipa::path(
    delete,
    path = "/sessions/current",
    tag = "sessions",
    responses(
        (status = 204, description = "The caller's session is revoked"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn revoke_current_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    QueryParams::parse(input.query)?.finish()?;
    revoke_own(
        sessions,
        caller,
        caller.session_id,
        RevocationReason::Logout,
    )
    .await
}

async fn revoke_own<S: SessionStore>(
    sessions: &Sessions<S>,
    caller: &UserCaller,
    id: session_core::ids::SessionId,
    reason: RevocationReason,
) -> Result<Response<Bytes>, ApiError> {
    let outcome = sessions
        .revoke_session(RevokeSession::by_user(id, caller.user_id.clone(), reason))
        .await;
    match outcome {
        // Revocation is idempotent for the client: the session ends up revoked either way.
        Ok(_) | Err(SessionError::SessionAlreadyRevoked) => Ok(response::no_content()),
        Err(error) => Err(error.into()),
    }
}

/// Sign out everywhere else (or everywhere).
///
/// Revokes every session of the caller except the one making the request; with
/// `include_current=true`, that one too, in the same command.
#[utoipa::path(
    delete,
    path = "/sessions",
    tag = "sessions",
    params(
        ("include_current" = Option<bool>, Query, description = "Also sign out the session making the request (default false)"),
    ),
    responses(
        (status = 200, description = "Other sessions revoked", body = RevokeAllResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable or contention; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn revoke_other_sessions<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    let mut query = QueryParams::parse(input.query)?;
    let include_current = match query.take("include_current")?.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::field("include_current", "must be true or false"));
        }
    };
    query.finish()?;
    let except = (!include_current).then_some(caller.session_id);
    let revoked = sessions
        .revoke_all_user_sessions(RevokeAllUserSessions::by_user(
            caller.user_id.clone(),
            except,
        ))
        .await?;
    let count = u32::try_from(revoked.session_ids.len()).unwrap_or(u32::MAX);
    response::json(StatusCode::OK, &RevokeAllResponse::new(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_reasons_are_the_accepted_ones() {
        let documented: Vec<String> = UserRevocationReason::ALL
            .into_iter()
            .map(|reason| {
                let name = serde_json::to_value(reason).unwrap();
                let name = name.as_str().unwrap().to_owned();
                assert_eq!(
                    RevocationReason::parse(&name),
                    Some(RevocationReason::from(reason)),
                    "{name}"
                );
                name
            })
            .collect();
        assert_eq!(documented.join(", "), USER_REVOCATION_REASONS_TEXT);
    }
}
