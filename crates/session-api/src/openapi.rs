//! The OpenAPI 3.1 document, generated from the DTO types and the handlers' `#[utoipa::path]`
//! annotations so it cannot drift from the code.

use std::sync::OnceLock;

use bytes::Bytes;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, Content, OpenApi as OpenApiDocument, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::dto::{
    AccountStatusView, ActivityRequest, ActivityResponse, AdminRevocationReason,
    CreateSessionRequest, CreatedSessionResponse, FieldError, LimitBehaviourView, Problem,
    ProviderAccessRequest, RefreshTokenRequest, RevokeAllResponse, SessionChoice,
    SessionListResponse, SessionPolicyRequest, SessionPolicyResponse, SessionStateFilter,
    SessionStatusView, SessionView, ValidityResponse, schema,
};
use crate::problem::PROBLEM_CONTENT_TYPE;
use crate::routes::RoutePaths;

/// Name of the security scheme of user routes.
pub const BEARER_SCHEME: &str = "bearer";
/// Name of the security scheme of internal routes.
pub const SIGV4_SCHEME: &str = "sigv4";
/// The role (OpenAPI 3.1 allows role names on any scheme) that marks an IAM route as one for
/// support and security staff, granted separately from the internal routes.
pub const ADMIN_ROLE: &str = "admin";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Session service",
        description = "Multi-device session management: users list and revoke their sessions; \
                       internal services create, validate and update them. Errors are RFC 9457 \
                       problem documents (`application/problem+json`) with a stable `code`."
    ),
    components(schemas(
        Problem,
        FieldError,
        SessionChoice,
        SessionView,
        SessionStatusView,
        SessionListResponse,
        RevokeAllResponse,
        CreateSessionRequest,
        CreatedSessionResponse,
        ValidityResponse,
        ActivityRequest,
        ActivityResponse,
        ProviderAccessRequest,
        RefreshTokenRequest,
        SessionPolicyRequest,
        SessionPolicyResponse,
        LimitBehaviourView,
        SessionStateFilter,
        AdminRevocationReason,
        AccountStatusView,
    )),
    tags(
        (name = "sessions", description = "A signed-in user's own sessions (bearer JWT)"),
        (name = "devices", description = "A signed-in user's own devices (bearer JWT)"),
        (name = "internal", description = "Internal services (IAM / SigV4 signed requests)"),
        (name = "admin", description = "Support and security staff tooling (IAM / SigV4 signed requests, the `admin` role): any user's sessions"),
        (name = "meta", description = "About the API itself"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "JWT with `sub` = user id and `session_id` (or `sid`) = session id; the \
                         session must be active.",
                    ))
                    .build(),
            ),
        );
        let mut sigv4 = ApiKeyValue::with_description(
            "Authorization",
            "AWS Signature Version 4 (IAM): the caller signs the request with its role's \
             credentials; API Gateway checks the signature and the `execute-api:Invoke` permission.",
        );
        sigv4.extensions = Some(Extensions::from_iter([(
            "x-amazon-apigateway-authtype",
            "awsSigv4",
        )]));
        components.add_security_scheme(SIGV4_SCHEME, SecurityScheme::ApiKey(ApiKey::Header(sigv4)));
    }
}

/// What the annotations of the internal handlers cannot say: an optional body, and a path
/// parameter validated like a body field.
struct InternalRouteDetails;

impl Modify for InternalRouteDetails {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        for (_, _, operation) in operations_mut(openapi) {
            // An absent or empty body is the same as `{}`.
            if operation.operation_id.as_deref() == Some("record_session_activity")
                && let Some(body) = operation.request_body.as_mut()
            {
                body.required = Some(Required::False);
            }
            // A `user_id` path segment (internal and admin routes) is the percent-encoded user
            // id, and a device's (`/devices/{id}`, `.../devices/{device_id}/...`) a device id,
            // validated like body fields.
            let is_device_route = operation.tags.iter().flatten().any(|tag| tag == "devices");
            for parameter in operation.parameters.iter_mut().flatten() {
                if parameter.parameter_in != ParameterIn::Path {
                    continue;
                }
                match parameter.name.as_str() {
                    "user_id" => parameter.schema = Some(schema::user_id().into()),
                    "device_id" => parameter.schema = Some(schema::device_id().into()),
                    "id" if is_device_route => {
                        parameter.schema = Some(schema::device_id().into());
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Responses the shared request pipeline gives on any route, added where an annotation does not
/// list them, and the headers every response carries (`response.rs`, `problem.rs`): so that no
/// route's document can forget them.
struct ResponsesOfEveryRoute;

impl Modify for ResponsesOfEveryRoute {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        for (_, _, operation) in operations_mut(openapi) {
            let is_user_route = requires(operation, BEARER_SCHEME);
            let is_public = !is_user_route && !requires(operation, SIGV4_SCHEME);
            let takes_body = operation.request_body.is_some();
            let mut add = |status: &str, description: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(problem_response(description)));
            };
            // Every route takes a fixed set of query parameters and refuses any other.
            add(
                "400",
                "`validation_failed`: an unknown or repeated query parameter",
            );
            add(
                "414",
                "`uri_too_long`: the path and query exceed 2048 bytes",
            );
            if takes_body {
                add("413", "`payload_too_large`: a body over 16 KiB");
                add("415", "`unsupported_media_type`: a body that is not JSON");
            }
            if is_user_route {
                add(
                    "401",
                    "Missing or invalid token, or its session is no longer active",
                );
            }
            // Every route but the document reads the store (user routes to check the token's
            // session, too).
            if !is_public {
                add("503", "Store unavailable or contention; retry");
            }
            for (status, response) in &mut operation.responses.responses {
                let RefOr::T(response) = response else {
                    continue;
                };
                response
                    .headers
                    .entry("Cache-Control".to_owned())
                    .or_insert_with(cache_control_header);
                match status.as_str() {
                    "401" => {
                        response
                            .headers
                            .entry("WWW-Authenticate".to_owned())
                            .or_insert_with(www_authenticate_header);
                    }
                    "503" => {
                        response
                            .headers
                            .entry("Retry-After".to_owned())
                            .or_insert_with(retry_after_header);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Every operation of the document, with its path and method.
fn operations_mut(
    openapi: &mut OpenApiDocument,
) -> impl Iterator<Item = (&str, &'static str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("get", item.get.as_mut()),
            ("put", item.put.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("patch", item.patch.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| operation.map(|op| (path.as_str(), method, op)))
    })
}

fn requires(operation: &Operation, scheme: &str) -> bool {
    serde_json::to_value(&operation.security)
        .ok()
        .and_then(|security| security.as_array().cloned())
        .is_some_and(|requirements| {
            requirements
                .iter()
                .any(|requirement| requirement.get(scheme).is_some())
        })
}

fn problem_response(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_CONTENT_TYPE.to_owned(),
        Content::new(Some(utoipa::openapi::Ref::from_schema_name("Problem"))),
    );
    response
}

fn string_header(description: &str, schema: ObjectBuilder) -> Header {
    HeaderBuilder::new()
        .schema(schema.schema_type(Type::String))
        .description(Some(description))
        .build()
}

fn cache_control_header() -> Header {
    string_header(
        "Always `no-store`: sessions and validity answers must never come from a shared cache.",
        ObjectBuilder::new().enum_values(Some(["no-store"])),
    )
}

fn www_authenticate_header() -> Header {
    string_header(
        "`Bearer realm=\"sessions\"`, with `error=\"invalid_token\"` when a token was presented.",
        ObjectBuilder::new().pattern(Some("^Bearer realm=\"sessions\"")),
    )
}

fn retry_after_header() -> Header {
    string_header(
        "Seconds to wait before retrying.",
        ObjectBuilder::new().pattern(Some("^[0-9]+$")),
    )
}

/// The document as a value, e.g. to write it to a file at build time: the routes' paths
/// (crate::routes) with the shared components, security schemes and responses.
pub fn document() -> OpenApiDocument {
    let mut document = ApiDoc::openapi();
    document.merge(RoutePaths::openapi());
    for modifier in [
        &SecuritySchemes as &dyn Modify,
        &InternalRouteDetails,
        &ResponsesOfEveryRoute,
    ] {
        modifier.modify(&mut document);
    }
    document
}

/// The document serialised once and shared by every request.
pub(crate) fn json() -> Result<Bytes, String> {
    static JSON: OnceLock<Result<Bytes, String>> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_json::to_vec(&document())
            .map(Bytes::from)
            .map_err(|error| error.to_string())
    })
    .clone()
}
