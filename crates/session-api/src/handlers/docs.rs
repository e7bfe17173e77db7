//! The OpenAPI document, served as JSON.

use bytes::Bytes;
use http::{Response, StatusCode};

use crate::handlers::Input;
use crate::openapi;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi_document",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
    security(())
)]
pub(crate) fn openapi_document(input: &Input<'_>) -> Result<Response<Bytes>, ApiError> {
    QueryParams::parse(input.query)?.finish()?;
    let json = openapi::json().map_err(|error| ApiError::Internal {
        cause: format!("could not serialise the OpenAPI document: {error}"),
    })?;
    Ok(response::with_body(
        StatusCode::OK,
        "application/json",
        json,
    ))
}
