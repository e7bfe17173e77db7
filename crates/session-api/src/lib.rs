//! The HTTP API of the session service, independent of any transport: an
//! `http::Request<Bytes>` goes in, an `http::Response<Bytes>` comes out. The Lambda functions and
//! the local server only translate their own request type, decide who the caller is, and call
//! [`Api::handle`].
//!
//! Bad input always ends as a 4xx RFC 9457 problem (`application/problem+json`) with a stable
//! `code`; a store that refused a request or returned a corrupt item is a 500 (counted, see
//! [`failure_count`]); an unavailable store, lost races or a passed deadline a 503.

mod api;
pub mod auth;
mod body;
mod caller;
pub mod dto;
pub mod failure_count;
mod handlers;
pub mod idempotency;
pub mod openapi;
mod percent;
mod problem;
mod query;
mod response;
mod routes;

pub use api::{Api, MAX_URI_BYTES};
pub use auth::{
    AuthConfigError, AuthError, Authenticator, ClientSighting, IssueError, JwtConfig, TokenClaims,
    TokenIssuer, TokenRejection, TokenVerifier, VerificationKey, authorization_header,
    bearer_token,
};
pub use body::MAX_BODY_BYTES;
pub use caller::{Caller, RequestContext};
pub use dto::{FieldError, Problem};
pub use problem::{ApiError, PROBLEM_CONTENT_TYPE, problem_response};
pub use routes::{Access, Route, route_access, route_for_function, routes};
