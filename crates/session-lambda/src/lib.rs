// The Lambda runtime wraps each handler future in several layers of generic adapters, and the
// compiler needs more than the default depth to lay those futures out.
#![recursion_limit = "256"]

//! Composition root for the Lambda functions. Everything a function needs is built once at init
//! (configuration, AWS clients, the use cases) and each `functions/*` binary binds one entry point:
//! an HTTP route ([`http_function`]), the [`authorizer`], the [`account_events`] consumer, the
//! [`event_relay`], the [`revocation_sweeper`] or the [`retention_sweeper`].

pub mod account_events;
pub mod apigw;
pub mod authorizer;
pub mod aws_http;
pub mod config;
pub mod event_relay;
pub mod http_function;
mod init_error;
pub mod invocation_deadline;
pub mod metrics;
pub mod request_context;
pub mod retention_sweeper;
pub mod revocation_sweeper;
mod scheduled;
pub mod telemetry;
pub mod wiring;

pub use init_error::InitError;

/// The error every entry point returns (the Lambda runtime's).
pub type Error = lambda_runtime::Error;

/// A function's whole life: init, then the runtime's loop. Boxed so the runtime's deeply nested
/// future types stay inside this crate instead of being laid out again in every binary.
pub type EntryPoint = std::pin::Pin<Box<dyn Future<Output = Result<(), Error>>>>;
