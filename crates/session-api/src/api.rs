//! The entry point: one request in, one response out, whatever happens in between.

use std::time::Instant;

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use session_core::Sessions;
use session_core::ports::SessionStore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::caller::{Caller, RequestContext};
use crate::failure_count;
use crate::handlers::{Input, RouteRequest, UserCaller};
use crate::problem::{ApiError, problem_response};
use crate::routes::{self, Access};

/// Longest path plus query accepted; every route of this API fits in a fraction of it.
pub const MAX_URI_BYTES: usize = 2048;

/// The whole HTTP API over one set of use cases. Cheap to clone when the store is.
pub struct Api<S> {
    sessions: Sessions<S>,
}

impl<S: Clone> Clone for Api<S> {
    fn clone(&self) -> Self {
        Self {
            sessions: self.sessions.clone(),
        }
    }
}

impl<S: SessionStore + Clone> Api<S> {
    pub fn new(sessions: Sessions<S>) -> Self {
        Self { sessions }
    }

    pub fn sessions(&self) -> &Sessions<S> {
        &self.sessions
    }

    /// Answers one request. Never panics on any input; every failure is a problem document, and
    /// bad input is always a 4xx. With a deadline in `ctx`, the use cases stop retrying at it and
    /// the request is cut off there (whatever await it is at: every commit is atomic, so what
    /// stands is whole), answered 503 `deadline_exceeded` (docs/0044).
    pub async fn handle(&self, ctx: RequestContext, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let span = tracing::info_span!(
            "request",
            request_id = %ctx.request_id,
            method = %parts.method,
            route = Empty,
            caller = ctx.caller.kind(),
            user_id = Empty,
        );
        if let Caller::User { user_id, .. } = &ctx.caller {
            span.record("user_id", user_id.as_str());
        }
        async {
            let started = Instant::now();
            let outcome = match ctx.deadline {
                None => self.dispatch(&self.sessions, &ctx, &parts, &body).await,
                Some(deadline) => {
                    let sessions = self.sessions.clone().with_deadline(deadline);
                    let dispatch = self.dispatch(&sessions, &ctx, &parts, &body);
                    tokio::time::timeout_at(deadline.instant().into(), dispatch)
                        .await
                        .unwrap_or(Err(ApiError::DeadlineExceeded))
                }
            };
            let response = match outcome {
                Ok(response) => response,
                Err(error) => {
                    log_error(&error);
                    problem_response(&error, parts.uri.path(), &ctx.request_id)
                }
            };
            tracing::info!(
                status = response.status().as_u16(),
                elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "request handled"
            );
            response
        }
        .instrument(span)
        .await
    }

    async fn dispatch(
        &self,
        sessions: &Sessions<S>,
        ctx: &RequestContext,
        parts: &Parts,
        body: &Bytes,
    ) -> Result<Response<Bytes>, ApiError> {
        let path = parts.uri.path();
        if path.len() + parts.uri.query().map_or(0, str::len) > MAX_URI_BYTES {
            return Err(ApiError::UriTooLong {
                limit: MAX_URI_BYTES,
            });
        }
        let matched = routes::resolve(&parts.method, path)?;
        tracing::Span::current().record("route", matched.route.route_key());
        let caller = match matched.route.access {
            Access::User => Some(signed_in(ctx)?),
            Access::Service | Access::Admin => {
                service(ctx)?;
                None
            }
            Access::Public => None,
        };
        let request = RouteRequest {
            caller,
            parameters: matched.parameters,
            input: Input {
                query: parts.uri.query(),
                headers: &parts.headers,
                body,
            },
        };
        routes::dispatch(matched.route.operation_id, sessions, &request).await
    }
}

/// User routes act for a signed-in user; anything else has not authenticated as one.
fn signed_in(ctx: &RequestContext) -> Result<UserCaller, ApiError> {
    match &ctx.caller {
        Caller::User {
            user_id,
            session_id,
        } => Ok(UserCaller {
            user_id: user_id.clone(),
            session_id: *session_id,
        }),
        Caller::Service { .. } | Caller::Anonymous => Err(ApiError::Unauthorized),
    }
}

/// Internal and admin routes are for services; a user's token, however valid, is the wrong
/// credential.
fn service(ctx: &RequestContext) -> Result<(), ApiError> {
    match &ctx.caller {
        Caller::Service { .. } => Ok(()),
        Caller::User { .. } => Err(ApiError::Forbidden),
        Caller::Anonymous => Err(ApiError::Unauthorized),
    }
}

/// Server errors are logged within the request's span (its `request_id`): a 500 is a defect, at
/// error level and counted for an alarm; a 503 passes, a warning.
fn log_error(error: &ApiError) {
    let status = error.status();
    if matches!(error, ApiError::DeadlineExceeded) {
        failure_count::count_deadline_exceeded();
    }
    if status.is_server_error() {
        let cause = error.cause().unwrap_or_default();
        if status.as_u16() == 500 {
            failure_count::count_internal_error();
            tracing::error!(code = error.code(), cause, "request failed");
        } else {
            tracing::warn!(
                code = error.code(),
                cause,
                "request failed; client may retry"
            );
        }
    } else {
        tracing::info!(
            code = error.code(),
            status = status.as_u16(),
            "request rejected"
        );
    }
}
