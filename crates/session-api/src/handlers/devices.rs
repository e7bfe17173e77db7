//! The device routes (docs/0047): the user's own devices, and the auth service's trust.

use bytes::Bytes;
use http::{Response, StatusCode};
use session_core::Sessions;
use session_core::ids::{DeviceId, InvalidValue};
use session_core::ports::SessionStore;
use session_core::use_cases::{ListDevices, RemoveDevice};

use crate::body::EmptyBody;
use crate::dto::{
    DeviceListResponse, Problem, RenameDeviceRequest, RenamedDeviceResponse, TrustDeviceRequest,
    TrustedDeviceResponse,
};
use crate::handlers::{RouteRequest, user_id};
use crate::percent;
use crate::problem::ApiError;
use crate::query::QueryParams;
use crate::response;

/// A device id path parameter.
fn device_id(raw: &str) -> Result<DeviceId, InvalidValue> {
    let text = percent::decode(raw, false).ok_or(InvalidValue::new(
        "device_id",
        "is not valid percent-encoded UTF-8",
    ))?;
    DeviceId::try_from(text)
}

/// The caller's devices, each with its active session (the caller's marked) and trust.
#[utoipa::path(
    get,
    path = "/devices",
    tag = "devices",
    responses(
        (status = 200, description = "The caller's devices, most recently seen first", body = DeviceListResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_devices<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    QueryParams::parse(input.query)?.finish()?;
    let devices = sessions
        .list_devices(ListDevices {
            user_id: caller.user_id.clone(),
            current_session: Some(caller.session_id),
        })
        .await?;
    response::json(StatusCode::OK, &DeviceListResponse::from(devices))
}

/// Rename one of the caller's devices.
#[utoipa::path(
    patch,
    path = "/devices/{id}",
    tag = "devices",
    params(("id" = String, Path, description = "Device id")),
    request_body(content = RenameDeviceRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Renamed", body = RenamedDeviceResponse),
        (status = 400, description = "`validation_failed`, `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`device_not_found`: unknown or not the caller's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn rename_device<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let caller = request.user()?;
    let device = device_id(request.parameter("id"));
    let body: RenameDeviceRequest = request.json_body(EmptyBody::Rejected)?;
    let renamed = sessions
        .rename_device(body.into_command(caller.user_id.clone(), device)?)
        .await?;
    response::json(StatusCode::OK, &RenamedDeviceResponse::from(renamed))
}

/// Remove one of the caller's devices: its session is signed out (`device_removed`) and the
/// device forgotten, its trust with it.
#[utoipa::path(
    delete,
    path = "/devices/{id}",
    tag = "devices",
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "`validation_failed`: not a device id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`device_not_found`: unknown or not the caller's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn remove_device<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, input) = (request.user()?, &request.input);
    let device = device_id(request.parameter("id"))
        .map_err(|invalid| ApiError::field(invalid.field, invalid.problem))?;
    QueryParams::parse(input.query)?.finish()?;
    sessions
        .remove_device(RemoveDevice {
            user_id: caller.user_id.clone(),
            device_id: device,
        })
        .await?;
    Ok(response::no_content())
}

/// Trust a user's device until an expiry, after a second factor on it: its sessions show
/// `is_trusted` and the authorizer passes it on. Ends at the expiry, a revoke-all of the user
/// (a password or MFA change, an admin) or the device's removal.
#[utoipa::path(
    put,
    path = "/internal/users/{user_id}/devices/{device_id}/trust",
    tag = "internal",
    params(
        ("user_id" = String, Path, description = "The platform's user id (percent-encoded)"),
        ("device_id" = String, Path, description = "Device id"),
    ),
    request_body(content = TrustDeviceRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Trusted", body = TrustedDeviceResponse),
        (status = 400, description = "`validation_failed` (expiry past or over 90 days ahead, bad ids), `malformed_json`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`device_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Store unavailable or contention; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("sigv4" = []))
)]
pub(crate) async fn trust_device<S: SessionStore>(
    sessions: &Sessions<S>,
    request: &RouteRequest<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let user = user_id(request.parameter("user_id"));
    let device = device_id(request.parameter("device_id"));
    let body: TrustDeviceRequest = request.json_body(EmptyBody::Rejected)?;
    let device = sessions
        .trust_device(body.into_command(user, device)?)
        .await?;
    match TrustedDeviceResponse::of(&device) {
        Some(trusted) => response::json(StatusCode::OK, &trusted),
        // Unreachable: the use case answers the device as trusted.
        None => Err(ApiError::DeviceNotFound),
    }
}
