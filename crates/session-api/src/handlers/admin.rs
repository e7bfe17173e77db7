//! Routes support and security staff call (IAM, the `admin` role; docs/0013): any user's
//! sessions, revoking one or all of them, a bulk revocation for an incident, and the account's
//! status. Every change records who made it (`actor`), why (`reason`) and an optional `note`.

use bytes::Bytes;
use http::{Response, StatusCode};
use session_core::Sessions;
use session_core::ports::SessionStore;
use session_core::use_cases::list_user_sessions::MAX_PAGE_SIZE;
use session_core::use_cases::{
    ListUserSessions, Owner, RevokeAllUserSessions, RevokeSession, RevokeUsersSessions,
    SessionFilter, SetAccountStatus,
};
use session_core::{SessionError, events::RevokeAllTrigger};

use crate::body::EmptyBody;
use crate::dto::{
    AccountStatusRequest, AccountStatusResponse, AccountStatusView, AdminRevocationRequest,
    AdminRevokeAllResponse, AdminSessionListResponse, BulkOutcome, BulkRevocationRequest,
    BulkRevocationResponse, BulkRevocationResult, FieldError, Problem, SessionStateFilter, count,
};
use crate::handlers::{RouteRequest, session_id, user_id_parameter};
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// Every session of any user, with how each ended.
///
/// Newest first, a page at a time, with the account's status.
#[utoipa::path(
    get,
    path = "/admin/users/{user_id}/sessions",
    tag = "admin",
    params(
        ("user_id" = String, Path, description = "The platform's user id (percent-encoded)"),
        ("state" = Option<SessionStateFilter>, Query, description = "`active` (default), `ended` or `all`"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 50)"),
        ("cursor" = Option<String>, Query, max_length = 256, pattern = "^[A-Za-z0-9_-]*$", description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of the user's sessions", body = AdminSessionListResponse),
        (status = 400, description = "`validation_failed`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = ["admin"]))
)]
pub(crate) async fn admin_list_sessions<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let user = user_id_parameter(request.parameter("user_id"))?;
    let mut query = QueryParams::parse(request.input.query)?;
    let mut errors = Vec::new();
    let filter = match query.take("state")? {
        None => SessionFilter::Active,
        Some(text) => SessionStateFilter::parse(&text).map_or_else(
            || {
                errors.push(FieldError::new("state", "must be active, ended or all"));
                SessionFilter::Active
            },
            SessionFilter::from,
        ),
    };
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
    let cursor = query.take("cursor")?.filter(|cursor| !cursor.is_empty());
    query.finish()?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let account = sessions
        .account_sessions(ListUserSessions {
            user_id: user.clone(),
            filter,
            limit,
            cursor,
            current_session_id: None,
        })
        .await?;
    response::json(
        StatusCode::OK,
        &AdminSessionListResponse::new(&user, account),
    )
}

/// Revoke one session of any user.
///
/// Revoking an already revoked session succeeds.
#[utoipa::path(
    delete,
    path = "/admin/sessions/{id}",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    request_body(content = AdminRevocationRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 400, description = "`invalid_session_id`, `validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`session_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = ["admin"]))
)]
pub(crate) async fn admin_revoke_session<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let id = session_id(request.parameter("id"))?;
    let body: AdminRevocationRequest = request.json_body(EmptyBody::Rejected)?;
    let action = body.into_action()?;
    let outcome = sessions
        .revoke_session(RevokeSession {
            session_id: id,
            owner: Owner::Any,
            reason: action.reason,
            by: action.by,
            note: action.note,
        })
        .await;
    match outcome {
        Ok(_) | Err(SessionError::SessionAlreadyRevoked) => Ok(response::no_content()),
        Err(error) => Err(error.into()),
    }
}

/// Revoke every session of a user, the ones in use included.
#[utoipa::path(
    delete,
    path = "/admin/users/{user_id}/sessions",
    tag = "admin",
    params(("user_id" = String, Path, description = "The platform's user id (percent-encoded)")),
    request_body(content = AdminRevocationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Every session of the user is revoked", body = AdminRevokeAllResponse),
        (status = 400, description = "`validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = ["admin"]))
)]
pub(crate) async fn admin_revoke_all_sessions<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let user = user_id_parameter(request.parameter("user_id"))?;
    let body: AdminRevocationRequest = request.json_body(EmptyBody::Rejected)?;
    let action = body.into_action()?;
    let revoked = sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: user,
            reason: action.reason,
            except_session_id: None,
            by: action.by,
            trigger: RevokeAllTrigger::AdminRequest,
            note: action.note,
        })
        .await?;
    response::json(
        StatusCode::OK,
        &AdminRevokeAllResponse {
            revoked_count: count(revoked.session_ids.len()),
            session_ids: revoked.session_ids.iter().map(|id| *id.as_uuid()).collect(),
        },
    )
}

/// Revoke every session of up to 100 users (an incident).
///
/// Each user's outcome is in the answer, in the order of the request; one user's failure does
/// not stop the others.
#[utoipa::path(
    post,
    path = "/admin/revocations",
    tag = "admin",
    request_body(content = BulkRevocationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Every user's outcome", body = BulkRevocationResponse),
        (status = 400, description = "`validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = ["admin"]))
)]
pub(crate) async fn admin_bulk_revoke<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let body: BulkRevocationRequest = request.json_body(EmptyBody::Rejected)?;
    let (user_ids, action) = body.into_parts()?;
    let outcomes = sessions
        .revoke_users_sessions(RevokeUsersSessions {
            user_ids,
            reason: action.reason,
            by: action.by,
            note: action.note,
        })
        .await;
    let results = outcomes
        .into_iter()
        .map(|outcome| {
            let user_id = outcome.user_id.as_str().to_owned();
            match outcome.result {
                Ok(ids) => BulkRevocationResult {
                    user_id,
                    outcome: BulkOutcome::Revoked,
                    revoked_count: Some(count(ids.len())),
                    code: None,
                },
                Err(error) => BulkRevocationResult {
                    user_id,
                    outcome: BulkOutcome::Failed,
                    revoked_count: None,
                    code: Some(ApiError::from(error).code().to_owned()),
                },
            }
        })
        .collect();
    response::json(StatusCode::OK, &BulkRevocationResponse { results })
}

/// Disable an account, or enable it again.
///
/// Disabling revokes every session and refuses logins (`403 account_disabled`) until the account
/// is enabled; enabling never brings an old session back.
#[utoipa::path(
    put,
    path = "/admin/users/{user_id}/status",
    tag = "admin",
    params(("user_id" = String, Path, description = "The platform's user id (percent-encoded)")),
    request_body(content = AccountStatusRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The account's status", body = AccountStatusResponse),
        (status = 400, description = "`validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`account_deleted`: a deleted account cannot be enabled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = ["admin"]))
)]
pub(crate) async fn admin_set_account_status<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let user = user_id_parameter(request.parameter("user_id"))?;
    let body: AccountStatusRequest = request.json_body(EmptyBody::Rejected)?;
    let (status, action) = body.into_parts()?;
    let changed = sessions
        .set_account_status(SetAccountStatus {
            user_id: user.clone(),
            status,
            reason: Some(action.reason),
            by: action.by,
            note: action.note,
            once: None,
        })
        .await?;
    response::json(
        StatusCode::OK,
        &AccountStatusResponse {
            user_id: user.as_str().to_owned(),
            status: AccountStatusView::from(&changed.status),
            revoked_count: count(changed.revoked_session_ids.len()),
        },
    )
}
