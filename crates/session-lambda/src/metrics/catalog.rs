//! Every metric the functions emit: its name, unit and the one dimension it is broken down by.

/// A CloudWatch unit, as EMF names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Metric {
    /// A login created a session (`SessionCreated`).
    LoginsCreated,
    /// A login was refused at the session limit (`SessionLimitExceeded`, none evicted).
    LoginsDenied,
    /// A login fitted by evicting older sessions (`SessionLimitExceeded` with evictions).
    LoginsEvicting,
    /// Sessions evicted, by a login or a lowered limit (`SessionEvicted`).
    SessionsEvicted,
    /// Sessions revoked, by reason (`SessionRevoked`, `AllSessionsRevoked` counting its
    /// sessions, `SessionEvicted`).
    Revocations,
    /// Revocations that failed (`SessionRevocationFailed`, `AllSessionsRevocationFailed`).
    RevocationsFailed,
    /// Suspicious activity, by signal (`SuspiciousSessionActivity`).
    SuspiciousActivity,
    /// A replayed refresh token was detected (`RefreshTokenReuseDetected`).
    RefreshReuseDetected,
    /// The authorizer allowed a request.
    AuthorizerAllowed,
    /// The authorizer denied a request, by reason.
    AuthorizerDenied,
    /// Time spent describing a device or locating an address, by enricher.
    EnrichmentTime,
    /// Store requests tried again, by cause: a lost race (`conflict`) or a failed attempt the
    /// SDK retried (`throttled`, `server_error`, `timeout`, `dispatch`).
    StoreRetries,
    /// Store failures that reached a command, by class.
    StoreErrors,
}

impl Metric {
    pub const ALL: [Metric; 13] = [
        Self::LoginsCreated,
        Self::LoginsDenied,
        Self::LoginsEvicting,
        Self::SessionsEvicted,
        Self::Revocations,
        Self::RevocationsFailed,
        Self::SuspiciousActivity,
        Self::RefreshReuseDetected,
        Self::AuthorizerAllowed,
        Self::AuthorizerDenied,
        Self::EnrichmentTime,
        Self::StoreRetries,
        Self::StoreErrors,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::LoginsCreated => "LoginsCreated",
            Self::LoginsDenied => "LoginsDenied",
            Self::LoginsEvicting => "LoginsEvicting",
            Self::SessionsEvicted => "SessionsEvicted",
            Self::Revocations => "Revocations",
            Self::RevocationsFailed => "RevocationsFailed",
            Self::SuspiciousActivity => "SuspiciousActivity",
            Self::RefreshReuseDetected => "RefreshReuseDetected",
            Self::AuthorizerAllowed => "AuthorizerAllowed",
            Self::AuthorizerDenied => "AuthorizerDenied",
            Self::EnrichmentTime => "EnrichmentTime",
            Self::StoreRetries => "StoreRetries",
            Self::StoreErrors => "StoreErrors",
        }
    }

    pub const fn unit(self) -> Unit {
        match self {
            Self::EnrichmentTime => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The dimension the metric is broken down by, if any.
    pub const fn dimension(self) -> Option<&'static str> {
        match self {
            Self::Revocations | Self::AuthorizerDenied => Some("Reason"),
            Self::SuspiciousActivity => Some("Signal"),
            Self::EnrichmentTime => Some("Enricher"),
            Self::StoreRetries => Some("Cause"),
            Self::StoreErrors => Some("ErrorClass"),
            _ => None,
        }
    }
}
