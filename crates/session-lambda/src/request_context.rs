//! API Gateway (HTTP API, payload 2.0) request context -> who is calling.
//!
//! User routes sit behind our Lambda authorizer, which passes `{user_id, session_id}` in its
//! context; internal routes use IAM authorisation, which puts the signer's identity in
//! `authorizer.iam`. API Gateway sets these fields; a client cannot.

use aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use serde_json::Value;
use session_api::{Caller, RequestContext};

/// Context keys our authorizer sets.
pub const CONTEXT_USER_ID: &str = "user_id";
pub const CONTEXT_SESSION_ID: &str = "session_id";
/// How the user authenticated, passed on to downstream APIs (the routes of this API ignore them).
pub const CONTEXT_AUTH_TIME: &str = "auth_time";
pub const CONTEXT_AAL: &str = "aal";
pub const CONTEXT_AUTH_AGE_SECS: &str = "auth_age_secs";
pub const CONTEXT_STEP_UP_REQUIRED: &str = "step_up_required";
pub const CONTEXT_MAX_AUTH_AGE_SECS: &str = "max_auth_age_secs";
pub const CONTEXT_FRESH_AUTH: &str = "fresh_auth";
/// The session's device is trusted (docs/0047): the platform may skip MFA prompts there.
pub const CONTEXT_IS_TRUSTED: &str = "is_trusted";

pub fn caller(context: &ApiGatewayV2httpRequestContext) -> Caller {
    let Some(authorizer) = &context.authorizer else {
        return Caller::Anonymous;
    };
    let text = |key: &str| match authorizer.fields.get(key) {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    if let (Some(user_id), Some(session_id)) = (text(CONTEXT_USER_ID), text(CONTEXT_SESSION_ID)) {
        return match (user_id.parse(), session_id.parse()) {
            (Ok(user_id), Ok(session_id)) => Caller::User {
                user_id,
                session_id,
            },
            // Only our authorizer writes this context; garbage here means misconfiguration.
            _ => Caller::Anonymous,
        };
    }
    if let Some(iam) = &authorizer.iam
        && let Some(principal) = iam.user_arn.as_ref().or(iam.caller_id.as_ref())
    {
        return Caller::Service {
            principal: principal.clone(),
        };
    }
    Caller::Anonymous
}

/// The API's view of the request: caller and API Gateway's request id.
pub fn request_context(
    context: &ApiGatewayV2httpRequestContext,
    fallback_request_id: &str,
) -> RequestContext {
    let request_id = context.request_id.as_deref().unwrap_or(fallback_request_id);
    RequestContext::new(caller(context), request_id)
}
