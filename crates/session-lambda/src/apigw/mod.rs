//! API Gateway HTTP API (payload format 2.0) events to `http` requests and back, in our own code
//! so that no event API Gateway can deliver makes a function panic or fail: what cannot be read
//! as an HTTP request is a 400 problem document (docs/0032).

mod authority;
mod request;
mod response;

pub use request::{EventError, HttpEvent, decode};
pub use response::encode;
