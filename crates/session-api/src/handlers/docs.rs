//! The OpenAPI document, served as JSON.

use bytes::Bytes;
use http::{Response, StatusCode};

use session_core::Sessions;
use session_core::ports::SessionStore;

use crate::handlers::RouteRequest;
use crate::openapi;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
    security(())
)]
pub(crate) async fn openapi_document<S: SessionStore>(
    _sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    QueryParams::parse(request.input.query)?.finish()?;
    let json = openapi::json().map_err(|error| ApiError::Internal {
        cause: format!("could not serialise the OpenAPI document: {error}"),
    })?;
    Ok(response::with_body(
        StatusCode::OK,
        "application/json",
        json,
    ))
}
