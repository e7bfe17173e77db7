//! Who is calling, as established by the transport before the API sees the request.

use std::fmt;

use session_core::Deadline;
use session_core::ids::{SessionId, UserId};

/// The identity a transport established: a bearer token checked by an authorizer (user), an
/// IAM-signed request (service), or nothing.
#[derive(Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in user, acting through one of their sessions.
    User {
        user_id: UserId,
        session_id: SessionId,
    },
    /// An internal service (the auth service, an admin tool), identified by its principal.
    Service {
        principal: String,
    },
    Anonymous,
}

impl Caller {
    /// Short label for logs; ids only, never credentials.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User { .. } => "user",
            Self::Service { .. } => "service",
            Self::Anonymous => "anonymous",
        }
    }
}

// Hand-written so that a principal (an IAM ARN carries the account id) never lands in a log by
// accident through `{:?}`.
impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User {
                user_id,
                session_id,
            } => f
                .debug_struct("User")
                .field("user_id", user_id)
                .field("session_id", session_id)
                .finish(),
            Self::Service { .. } => f.write_str("Service"),
            Self::Anonymous => f.write_str("Anonymous"),
        }
    }
}

/// Everything about a request that is not in the HTTP message itself.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub caller: Caller,
    /// Correlates logs and problem documents (`trace_id`); the transport's own request id.
    pub request_id: String,
    /// When the transport stops waiting for the answer (the Lambda invocation's remaining time
    /// minus a margin, the local server's budget). Past it the API answers 503
    /// `deadline_exceeded`; `None`: no bound (tests, benchmarks).
    pub deadline: Option<Deadline>,
}

impl RequestContext {
    pub fn new(caller: Caller, request_id: impl Into<String>) -> Self {
        Self {
            caller,
            request_id: request_id.into(),
            deadline: None,
        }
    }

    pub fn with_deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }
}
