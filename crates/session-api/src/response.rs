//! Successful responses.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use crate::problem::ApiError;

pub(crate) fn json<T: Serialize>(
    status: StatusCode,
    body: &T,
) -> Result<Response<Bytes>, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|error| ApiError::Internal {
        cause: format!("could not serialise the response: {error}"),
    })?;
    Ok(with_body(status, "application/json", Bytes::from(bytes)))
}

pub(crate) fn no_content() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Session lists and validity answers must never be served from a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
