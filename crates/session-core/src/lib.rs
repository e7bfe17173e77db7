//! Session service core: domain entities and policies, domain events, the use cases (commands
//! and queries) and the ports they need. Knows nothing of AWS, HTTP or a particular runtime.

pub mod app;
pub mod cursor;
pub mod deadline;
pub mod domain;
pub mod error;
pub mod events;
pub mod forward;
pub mod ids;
pub mod ports;
pub mod use_cases;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use app::Sessions;
pub use deadline::Deadline;
pub use error::{InvalidInput, SessionError};
