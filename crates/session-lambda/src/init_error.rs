//! Why a function could not start. Init fails loudly, naming the cause; Lambda reports it as an
//! init error and never routes a request to a half-built function.

use thiserror::Error;

use crate::config::ConfigError;

#[derive(Debug, Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("no route of the API is served by a function named `{function}`")]
    NoRoute { function: &'static str },
    #[error("JWT verification is misconfigured: {0}")]
    Jwt(#[from] session_api::AuthConfigError),
    #[error("the HTTP client for AWS cannot be built: {0}")]
    HttpClient(#[from] aws_smithy_http_client::HttpClientError),
}
