//! The HTTP API Lambda authorizer (payload 2.0, simple responses): the bearer token must verify
//! and its session must be active right now (one consistent read), so a revoked session is
//! refused on the very next request. Results must not be cached by API Gateway (TTL 0).
//! With `AUTHORIZER_RECORDS_ACTIVITY=true` the request is also recorded as activity on the
//! session from that read (a write only when not throttled; docs/0012).

use std::net::IpAddr;

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use chrono::{DateTime, SecondsFormat, Utc};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Map, Value};
use session_api::{AuthError, Authenticator, Caller, ClientSighting, TokenVerifier};
use session_core::domain::SessionAssurance;
use session_core::ports::SessionStore;
use session_core::{Deadline, SessionError};

use crate::config::{self, ProcessEnv};
use crate::invocation_deadline;
use crate::metrics::{Metric, Metrics};
use crate::request_context::{
    CONTEXT_AAL, CONTEXT_AUTH_AGE_SECS, CONTEXT_AUTH_TIME, CONTEXT_FRESH_AUTH, CONTEXT_IS_TRUSTED,
    CONTEXT_MAX_AUTH_AGE_SECS, CONTEXT_SESSION_ID, CONTEXT_STEP_UP_REQUIRED, CONTEXT_USER_ID,
};
use crate::{InitError, telemetry, wiring};

pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Map<String, Value>>;

/// The store could not be asked; the request is neither allowed nor cached as denied.
#[derive(Debug, thiserror::Error)]
#[error("session check failed: {0}")]
pub struct AuthorizerFailure(#[source] AuthError);

impl From<AuthorizerFailure> for lambda_runtime::Diagnostic {
    fn from(failure: AuthorizerFailure) -> Self {
        Self {
            error_type: "SessionCheckFailed".into(),
            error_message: failure.to_string(),
        }
    }
}

pub struct Authorizer<S> {
    authenticator: Authenticator<S>,
    records_activity: bool,
    metrics: Metrics,
}

impl<S: SessionStore> Authorizer<S> {
    pub fn new(authenticator: Authenticator<S>) -> Self {
        Self {
            authenticator,
            records_activity: false,
            metrics: Metrics::off(),
        }
    }

    /// Counts every decision: `AuthorizerAllowed`, and `AuthorizerDenied` by reason.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Records every allowed request as activity on its session, from the same read: address
    /// and user agent as API Gateway saw them, throttled, checked for suspicious signals; a
    /// request that brings the session to its revocation threshold is denied (docs/0012).
    pub fn recording_activity(mut self, records: bool) -> Self {
        self.records_activity = records;
        self
    }

    /// Allows only an active session of the token's subject; any client-side problem is a deny.
    /// A store failure is an error (API Gateway answers 5xx), never an allow.
    pub async fn authorize(
        &self,
        request: &ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<AuthorizerResponse, AuthorizerFailure> {
        self.decide(&self.authenticator, request).await
    }

    async fn decide(
        &self,
        authenticator: &Authenticator<S>,
        request: &ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<AuthorizerResponse, AuthorizerFailure> {
        let header = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let client = self.records_activity.then(|| ClientSighting {
            ip_address: request
                .request_context
                .http
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok()),
            user_agent: request
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        let outcome = authenticator
            .authenticate_with_assurance(header, client)
            .await;
        match outcome {
            Ok((
                Caller::User {
                    user_id,
                    session_id,
                },
                assurance,
            )) => {
                let mut context = Map::new();
                context.insert(CONTEXT_USER_ID.into(), Value::String(user_id.to_string()));
                context.insert(
                    CONTEXT_SESSION_ID.into(),
                    Value::String(session_id.to_string()),
                );
                self.metrics.count(Metric::AuthorizerAllowed, None);
                add_assurance(&mut context, &assurance, Utc::now());
                Ok(response(true, context))
            }
            Ok(_) => {
                self.metrics
                    .count(Metric::AuthorizerDenied, Some("not_a_user"));
                Ok(response(false, Map::new()))
            }
            Err(error) if error.is_unauthenticated() => {
                tracing::info!(reason = error.to_string(), "denied");
                self.metrics
                    .count(Metric::AuthorizerDenied, Some(deny_reason(&error)));
                Ok(response(false, Map::new()))
            }
            Err(error) => Err(AuthorizerFailure(error)),
        }
    }
}

impl<S: SessionStore + Clone> Authorizer<S> {
    /// Like [`Self::authorize`], but answering by `deadline` (docs/0044): the session check's
    /// conflict retries stop there, and a check still waiting on the store is cut off. Running
    /// out of time is a failure like the store's (API Gateway answers 5xx), never an allow; a
    /// write cut off was one atomic commit, done or not.
    pub async fn authorize_within(
        &self,
        request: &ApiGatewayV2CustomAuthorizerV2Request,
        deadline: Option<Deadline>,
    ) -> Result<AuthorizerResponse, AuthorizerFailure> {
        let Some(deadline) = deadline else {
            return self.authorize(request).await;
        };
        let bounded = self.authenticator.with_deadline(deadline);
        let check = self.decide(&bounded, request);
        match tokio::time::timeout_at(deadline.instant().into(), check).await {
            Ok(decision) => decision,
            Err(_) => {
                tracing::warn!("the session check did not finish before the deadline");
                Err(AuthorizerFailure(AuthError::SessionCheck(
                    SessionError::DeadlineExceeded,
                )))
            }
        }
    }
}

/// Why a request was denied, from a closed set: the session's state when the token was good
/// but its session is not active (`revoked`, `expired`, `idle_expired`, `not_found`, ...),
/// otherwise what was wrong with the credential (`missing_token`, `invalid_token`, ...).
fn deny_reason(error: &AuthError) -> &'static str {
    match error {
        AuthError::SessionInactive { reason } => reason,
        other => other.kind(),
    }
}

/// How the user authenticated, for downstream APIs: `auth_time` (RFC 3339), `aal` (1-3),
/// `auth_age_secs`, `step_up_required`, and on tiers that set one, `max_auth_age_secs` and
/// whether the authentication is still `fresh_auth` enough for their sensitive routes.
fn add_assurance(
    context: &mut Map<String, Value>,
    assurance: &SessionAssurance,
    now: DateTime<Utc>,
) {
    context.insert(
        CONTEXT_AUTH_TIME.into(),
        Value::String(
            assurance
                .auth_time
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    );
    context.insert(CONTEXT_AAL.into(), Value::from(assurance.aal.level()));
    context.insert(
        CONTEXT_AUTH_AGE_SECS.into(),
        Value::from(assurance.auth_age_secs(now)),
    );
    context.insert(
        CONTEXT_STEP_UP_REQUIRED.into(),
        Value::Bool(assurance.step_up_required),
    );
    context.insert(
        CONTEXT_IS_TRUSTED.into(),
        Value::Bool(assurance.is_trusted_at(now)),
    );
    if let Some(max) = assurance.max_auth_age_secs {
        context.insert(CONTEXT_MAX_AUTH_AGE_SECS.into(), Value::from(max));
        context.insert(
            CONTEXT_FRESH_AUTH.into(),
            Value::Bool(assurance.auth_is_fresh(now)),
        );
    }
}

fn response(is_authorized: bool, context: Map<String, Value>) -> AuthorizerResponse {
    let mut response = AuthorizerResponse::default();
    response.is_authorized = is_authorized;
    response.context = context;
    response
}

/// Entry point of the authorizer function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let jwt = config::jwt(&ProcessEnv).map_err(|e| crate::http_function::init_failed(e.into()))?;
    let verifier = TokenVerifier::new(jwt)
        .map_err(|e| crate::http_function::init_failed(InitError::Jwt(e)))?;
    let (sessions, metrics) = wiring::session_service(&ProcessEnv)
        .await
        .map_err(crate::http_function::init_failed)?;
    let records_activity = config::authorizer_records_activity(&ProcessEnv)
        .map_err(|e| crate::http_function::init_failed(e.into()))?;
    let margin = config::request_deadline_margin(&ProcessEnv)
        .map_err(|e| crate::http_function::init_failed(e.into()))?;
    let authorizer = Authorizer::new(Authenticator::new(verifier, sessions))
        .recording_activity(records_activity)
        .with_metrics(metrics.clone());
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let (authorizer, metrics) = (&authorizer, &metrics);
            async move {
                let deadline = invocation_deadline::request_deadline(
                    event.context.deadline,
                    margin,
                    std::time::SystemTime::now(),
                );
                let decision = authorizer.authorize_within(&event.payload, deadline).await;
                metrics.flush();
                decision
            }
        },
    ))
    .await
}
