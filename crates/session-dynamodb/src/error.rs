//! DynamoDB failures as store errors. Every SDK error becomes `StoreError::Unavailable` with the
//! SDK error kept as the source (for logs), classified so the message says what went wrong.

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use session_core::ports::StoreError;
use thiserror::Error;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What kind of failure a request met; all are reported as "unavailable", the kind is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling or capacity exceeded: back off and retry.
    Throttled,
    /// A 5xx from DynamoDB.
    ServerError,
    Timeout,
    /// The request never got an answer (connection refused or lost, DNS, TLS).
    Dispatch,
    /// The request could not be built, or the response could not be read.
    Client,
    /// DynamoDB refused the request (validation, missing table, access denied): a
    /// configuration or code problem, not transient.
    Rejected(String),
}

impl FailureKind {
    /// A stable label for metrics (`StoreErrors` by class): never the error code's text.
    pub const fn class(&self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::ServerError => "server_error",
            Self::Timeout => "timeout",
            Self::Dispatch => "dispatch",
            Self::Client => "client",
            Self::Rejected(_) => "rejected",
        }
    }
}

/// The class of a store failure of this adapter, for metrics: a [`FailureKind`]'s class,
/// `invalid_change_set`, `corrupt`, or `unavailable` for a failure it did not classify.
pub fn error_class(error: &StoreError) -> &'static str {
    match error {
        StoreError::Corrupt(_) => "corrupt",
        StoreError::Unavailable(source) => {
            if let Some(failed) = source.downcast_ref::<RequestFailed>() {
                failed.kind.class()
            } else if source.downcast_ref::<InvalidChangeSet>().is_some() {
                "invalid_change_set"
            } else {
                "unavailable"
            }
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Throttled => f.write_str("throttled"),
            Self::ServerError => f.write_str("server error"),
            Self::Timeout => f.write_str("timed out"),
            Self::Dispatch => f.write_str("could not reach DynamoDB"),
            Self::Client => f.write_str("request or response unusable"),
            Self::Rejected(code) => write!(f, "rejected ({code})"),
        }
    }
}

#[derive(Debug, Error)]
#[error("DynamoDB {operation} failed: {kind}")]
pub struct RequestFailed {
    pub operation: &'static str,
    pub kind: FailureKind,
    #[source]
    pub source: BoxError,
}

/// A failure detected before any request was sent.
#[derive(Debug, Error)]
pub enum InvalidChangeSet {
    #[error("a change set holds {writes} writes; one DynamoDB transaction holds at most {max}")]
    TooManyWrites { writes: usize, max: usize },
    #[error("could not build the {operation} request: {source}")]
    Build {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

pub(crate) fn classify<E>(error: &SdkError<E, HttpResponse>) -> FailureKind
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::TimeoutError(_) => FailureKind::Timeout,
        SdkError::DispatchFailure(_) => FailureKind::Dispatch,
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("unknown");
            if THROTTLING_CODES.contains(&code) {
                FailureKind::Throttled
            } else if context.raw().status().is_server_error() {
                FailureKind::ServerError
            } else {
                FailureKind::Rejected(code.to_owned())
            }
        }
        // A 5xx with an unparseable body lands here too; it is "unusable" either way.
        _ => FailureKind::Client,
    }
}

/// Any SDK error of `operation` as an unavailable store.
pub(crate) fn unavailable<E>(
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = classify(&error);
    unavailable_as(operation, kind, error)
}

/// Like [`unavailable`], when the caller knows better what kind of failure it was.
pub(crate) fn unavailable_as<E>(
    operation: &'static str,
    kind: FailureKind,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::Unavailable(Box::new(RequestFailed {
        operation,
        kind,
        source: Box::new(error),
    }))
}

impl From<InvalidChangeSet> for StoreError {
    fn from(error: InvalidChangeSet) -> Self {
        Self::Unavailable(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(kind: FailureKind) -> StoreError {
        StoreError::Unavailable(Box::new(RequestFailed {
            operation: "GetItem",
            kind,
            source: Box::new(std::io::Error::other("no answer")),
        }))
    }

    #[test]
    fn every_failure_has_a_stable_class() {
        for (kind, class) in [
            (FailureKind::Throttled, "throttled"),
            (FailureKind::ServerError, "server_error"),
            (FailureKind::Timeout, "timeout"),
            (FailureKind::Dispatch, "dispatch"),
            (FailureKind::Client, "client"),
            (
                FailureKind::Rejected("ValidationException".into()),
                "rejected",
            ),
        ] {
            assert_eq!(error_class(&failed(kind)), class);
        }
        let too_big = StoreError::from(InvalidChangeSet::TooManyWrites {
            writes: 101,
            max: 100,
        });
        assert_eq!(error_class(&too_big), "invalid_change_set");
        assert_eq!(error_class(&StoreError::Corrupt("x".into())), "corrupt");
        let foreign = StoreError::Unavailable(Box::new(std::io::Error::other("elsewhere")));
        assert_eq!(error_class(&foreign), "unavailable");
    }

    #[test]
    fn a_class_never_carries_the_error_code() {
        let rejected = failed(FailureKind::Rejected("ResourceNotFoundException".into()));
        assert_eq!(error_class(&rejected), "rejected");
    }
}
