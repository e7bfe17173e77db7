//! Request and response bodies: the JSON contract of the API and the source of the OpenAPI
//! schemas. Request bodies reject unknown fields and take text as text, so a bad value becomes a
//! field error naming the field rather than a parser message.

mod admin;
mod devices;
mod fields;
mod internal;
mod json_object;
mod problem;
mod refresh;
pub(crate) mod schema;
mod sessions;

pub(crate) use admin::count;
pub use admin::{
    AccountStatusRequest, AccountStatusResponse, AccountStatusView, ActorView,
    AdminRevocationReason, AdminRevocationRequest, AdminRevokeAllResponse,
    AdminSessionListResponse, AdminSessionView, BulkOutcome, BulkRevocationRequest,
    BulkRevocationResponse, BulkRevocationResult, RevocationView,
};
pub use devices::{
    DeviceListResponse, DeviceView, RenameDeviceRequest, RenamedDeviceResponse, TrustDeviceRequest,
    TrustedDeviceResponse,
};
pub use internal::{
    ActivityRequest, ActivityResponse, CreateSessionRequest, CreatedSessionResponse,
    LimitBehaviourView, ProviderAccessRequest, RefreshTokenRequest, SessionPolicyRequest,
    SessionPolicyResponse, ValidityResponse,
};
pub use problem::{FieldError, Problem, SessionChoice};
pub use refresh::{RefreshRequest, RefreshResponse, StepUpRequest, StepUpResponse};
pub use sessions::{
    RevokeAllResponse, SessionListResponse, SessionStateFilter, SessionStatusView, SessionView,
    UserRevocationReason,
};
