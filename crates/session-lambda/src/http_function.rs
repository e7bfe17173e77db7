//! One HTTP route as one Lambda function: API Gateway's event in, the API's response out.

use std::convert::Infallible;

use bytes::Bytes;
use lambda_http::request::RequestContext as LambdaRequestContext;
use lambda_http::{Body, Request, Response, service_fn};
use session_api::{Api, ApiError, RequestContext, problem_response};
use session_core::ports::SessionStore;

use crate::config::ProcessEnv;
use crate::{InitError, request_context, telemetry, wiring};

/// An HTTP function bound to one route (`"GET /sessions/{id}"`, API Gateway's route key).
pub struct HttpFunction<S> {
    route_key: &'static str,
    api: Api<S>,
}

impl<S: SessionStore> HttpFunction<S> {
    pub fn new(route_key: &'static str, api: Api<S>) -> Self {
        Self { route_key, api }
    }

    /// Handles one API Gateway request. Never fails: every outcome is an HTTP response.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, Infallible> {
        let (mut parts, body) = request.into_parts();
        let lambda_request_id = parts
            .extensions
            .get::<lambda_runtime::Context>()
            .map(|c| c.request_id.clone())
            .unwrap_or_default();
        let context = match parts.extensions.remove::<LambdaRequestContext>() {
            Some(LambdaRequestContext::ApiGatewayV2(context)) => context,
            _ => Default::default(),
        };
        let ctx = request_context::request_context(&context, &lambda_request_id);
        // API Gateway routes exactly one route key here; anything else is a deployment mistake
        // and gets the same answer as an unknown route, not another route's behaviour.
        if context.route_key.as_deref() != Some(self.route_key) {
            tracing::warn!(expected = self.route_key, got = ?context.route_key, "request for another route");
            return Ok(into_lambda(problem_response(
                &ApiError::RouteNotFound,
                parts.uri.path(),
                &ctx.request_id,
            )));
        }
        let request = http::Request::from_parts(parts, Bytes::copy_from_slice(body.as_ref()));
        Ok(into_lambda(self.handle_api(ctx, request).await))
    }

    async fn handle_api(
        &self,
        ctx: RequestContext,
        request: http::Request<Bytes>,
    ) -> http::Response<Bytes> {
        self.api.handle(ctx, request).await
    }
}

fn into_lambda(response: http::Response<Bytes>) -> Response<Body> {
    let (parts, bytes) = response.into_parts();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}

/// Entry point of an HTTP function: builds everything once, then serves the route the route table
/// assigns to `function` (the function crate's name).
pub fn serve(function: &'static str) -> crate::EntryPoint {
    Box::pin(serve_route(function))
}

async fn serve_route(function: &'static str) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let route_key = session_api::route_for_function(function)
        .map(session_api::Route::route_key)
        .ok_or_else(|| init_failed(InitError::NoRoute { function }))?;
    let sdk = wiring::sdk_config().await;
    let sessions = wiring::sessions(&sdk, &ProcessEnv).map_err(init_failed)?;
    let function = HttpFunction::new(route_key, Api::new(sessions));
    lambda_http::run(service_fn(|request| function.handle(request))).await
}

pub(crate) fn init_failed(error: InitError) -> lambda_http::Error {
    tracing::error!(%error, "init failed");
    Box::new(error)
}
