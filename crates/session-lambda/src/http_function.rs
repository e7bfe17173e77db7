//! One HTTP route as one Lambda function: API Gateway's event in, the API's response out.

use std::time::{Duration, SystemTime};

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use bytes::Bytes;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use session_api::{Api, ApiError, problem_response};
use session_core::Deadline;
use session_core::ports::SessionStore;

use crate::config::ProcessEnv;
use crate::{InitError, apigw, config, invocation_deadline, request_context, telemetry, wiring};

/// An HTTP function bound to one route (`"GET /sessions/{id}"`, API Gateway's route key).
pub struct HttpFunction<S> {
    route_key: &'static str,
    api: Api<S>,
}

impl<S: SessionStore + Clone> HttpFunction<S> {
    pub fn new(route_key: &'static str, api: Api<S>) -> Self {
        Self { route_key, api }
    }

    /// Handles one API Gateway event, whatever its JSON. Never fails: every outcome is the
    /// response API Gateway expects, and an event that is not a valid HTTP request is a 400.
    pub async fn handle(&self, event: Value, lambda_request_id: &str) -> ApiGatewayV2httpResponse {
        self.handle_until(event, lambda_request_id, None).await
    }

    /// Like [`HttpFunction::handle`], answering 503 `deadline_exceeded` if `deadline` passes
    /// first (see `invocation_deadline`).
    pub async fn handle_until(
        &self,
        event: Value,
        lambda_request_id: &str,
        deadline: Option<Deadline>,
    ) -> ApiGatewayV2httpResponse {
        apigw::encode(self.respond(&event, lambda_request_id, deadline).await)
    }

    async fn respond(
        &self,
        event: &Value,
        lambda_request_id: &str,
        deadline: Option<Deadline>,
    ) -> http::Response<Bytes> {
        let decoded = match apigw::decode(event) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::info!(reason = %error, "event refused");
                // Whatever of the path and request id can be read, for the problem document.
                let text = |pointer: &str| event.pointer(pointer).and_then(Value::as_str);
                return problem_response(
                    &ApiError::from(error),
                    text("/rawPath").unwrap_or_default(),
                    text("/requestContext/requestId").unwrap_or(lambda_request_id),
                );
            }
        };
        let context = decoded.context;
        let mut ctx = request_context::request_context(&context, lambda_request_id);
        if let Some(deadline) = deadline {
            ctx = ctx.with_deadline(deadline);
        }
        // API Gateway routes exactly one route key here; anything else is a deployment mistake
        // and gets the same answer as an unknown route, not another route's behaviour.
        if context.route_key.as_deref() != Some(self.route_key) {
            tracing::warn!(expected = self.route_key, got = ?context.route_key, "request for another route");
            return problem_response(
                &ApiError::RouteNotFound,
                decoded.request.uri().path(),
                &ctx.request_id,
            );
        }
        self.api.handle(ctx, decoded.request).await
    }
}

/// Entry point of an HTTP function: builds everything once, then serves the route the route table
/// assigns to `function` (the function crate's name).
pub fn serve(function: &'static str) -> crate::EntryPoint {
    Box::pin(serve_route(function))
}

async fn serve_route(function: &'static str) -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let route_key = session_api::route_for_function(function)
        .map(session_api::Route::route_key)
        .ok_or_else(|| init_failed(InitError::NoRoute { function }))?;
    let (sessions, metrics) = wiring::session_service(&ProcessEnv)
        .await
        .map_err(init_failed)?;
    let margin: Duration =
        config::request_deadline_margin(&ProcessEnv).map_err(|e| init_failed(e.into()))?;
    let function = HttpFunction::new(route_key, Api::new(sessions));
    // The event is taken as any JSON, so that what is not a valid request is answered with a
    // 400 instead of failing the invocation (API Gateway would turn that into a bare 500).
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (function, metrics) = (&function, &metrics);
        async move {
            let response = function
                .handle_until(
                    event.payload,
                    &event.context.request_id,
                    invocation_deadline::request_deadline(
                        event.context.deadline,
                        margin,
                        SystemTime::now(),
                    ),
                )
                .await;
            metrics.flush();
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
}

pub(crate) fn init_failed(error: InitError) -> lambda_runtime::Error {
    tracing::error!(%error, "init failed");
    Box::new(error)
}
