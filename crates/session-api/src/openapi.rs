//! The OpenAPI 3.1 document, generated from the DTO types and the handlers' `#[utoipa::path]`
//! annotations so it cannot drift from the code.

use std::sync::OnceLock;

use bytes::Bytes;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, OpenApi as OpenApiDocument};
use utoipa::{Modify, OpenApi};

use crate::dto::{
    ActivityRequest, ActivityResponse, CreateSessionRequest, CreatedSessionResponse, FieldError,
    LimitBehaviourView, Problem, ProviderAccessRequest, RefreshTokenRequest, RevokeAllResponse,
    SessionListResponse, SessionPolicyRequest, SessionPolicyResponse, SessionStatusView,
    SessionView, ValidityResponse,
};
use crate::handlers::{docs, internal, user};

/// Name of the security scheme of user routes.
pub const BEARER_SCHEME: &str = "bearer";
/// Name of the security scheme of internal routes.
pub const SIGV4_SCHEME: &str = "sigv4";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Session service",
        description = "Multi-device session management: users list and revoke their sessions; \
                       internal services create, validate and update them. Errors are RFC 9457 \
                       problem documents (`application/problem+json`) with a stable `code`."
    ),
    paths(
        user::list_sessions,
        user::revoke_other_sessions,
        user::revoke_current_session,
        user::get_session,
        user::revoke_session,
        internal::create_session,
        internal::session_validity,
        internal::record_activity,
        internal::record_provider_access,
        internal::link_refresh_token,
        internal::set_session_policy,
        docs::openapi_document,
    ),
    components(schemas(
        Problem,
        FieldError,
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
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "sessions", description = "A signed-in user's own sessions (bearer JWT)"),
        (name = "internal", description = "Internal services (IAM / SigV4 signed requests)"),
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

/// The document as a value, e.g. to write it to a file at build time.
pub fn document() -> OpenApiDocument {
    ApiDoc::openapi()
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
