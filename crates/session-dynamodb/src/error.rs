//! DynamoDB failures as store errors, classified (docs/0045): what may pass (throttling, 5xx,
//! timeouts, a lost connection) becomes `StoreError::Unavailable`, what never will (access
//! denied, a missing table or index, a request DynamoDB calls invalid, a request that could not
//! be built) `StoreError::Rejected`. The SDK error stays the source, for the logs.

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use session_core::ports::StoreError;
use thiserror::Error;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What kind of failure a request met; [`FailureKind::is_transient`] decides whether the store
/// reports it as unavailable or rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling or capacity exceeded: back off and retry.
    Throttled,
    /// A 5xx from DynamoDB.
    ServerError,
    Timeout,
    /// The request never got an answer (connection refused or lost, DNS, TLS).
    Dispatch,
    /// A 4xx that passes on its own (see `PASSING_CLIENT_CODES`).
    Passing(String),
    /// The response could not be read (cut short, or an error without a parseable body).
    Client,
    /// The SDK could not build or sign the request (no region, no credentials): a
    /// configuration problem, not transient.
    Construction,
    /// DynamoDB refused the request (validation, missing table, access denied): a
    /// configuration or code problem, not transient.
    Rejected(String),
}

impl FailureKind {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Construction | Self::Rejected(_))
    }

    /// A stable label for metrics (`StoreErrors` by class): never the error code's text.
    pub const fn class(&self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::ServerError => "server_error",
            Self::Timeout => "timeout",
            Self::Dispatch => "dispatch",
            Self::Passing(_) => "passing",
            Self::Client => "client",
            Self::Construction => "construction",
            Self::Rejected(_) => "rejected",
        }
    }
}

/// The class of a store failure of this adapter, for metrics: a [`FailureKind`]'s class,
/// `invalid_change_set`, `corrupt`, or `unavailable` / `rejected` for a failure it did not
/// classify further.
pub fn error_class(error: &StoreError) -> &'static str {
    match error {
        StoreError::Corrupt(_) => "corrupt",
        StoreError::Unavailable(source) | StoreError::Rejected(source) => {
            if let Some(failed) = source.downcast_ref::<RequestFailed>() {
                failed.kind.class()
            } else if source.downcast_ref::<InvalidChangeSet>().is_some() {
                "invalid_change_set"
            } else if error.is_transient() {
                "unavailable"
            } else {
                "rejected"
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
            Self::Client => f.write_str("response unusable"),
            Self::Construction => f.write_str("request could not be built"),
            Self::Passing(code) => write!(f, "refused for now ({code})"),
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

/// 4xx codes that pass on their own: an item busy in another transaction, a client request
/// token DynamoDB is still working on, credentials the SDK renews.
const PASSING_CLIENT_CODES: [&str; 4] = [
    "TransactionConflictException",
    "TransactionInProgressException",
    "ExpiredTokenException",
    "RequestTimeout",
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
            } else if PASSING_CLIENT_CODES.contains(&code) {
                FailureKind::Passing(code.to_owned())
            } else {
                FailureKind::Rejected(code.to_owned())
            }
        }
        SdkError::ConstructionFailure(_) => FailureKind::Construction,
        // A 5xx with an unparseable body lands here too; it is "unusable" either way.
        _ => FailureKind::Client,
    }
}

/// Any SDK error of `operation` as a store error of its kind.
pub(crate) fn store_error<E>(
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = classify(&error);
    store_error_as(operation, kind, error)
}

/// Like [`store_error`], when the caller knows better what kind of failure it was.
pub(crate) fn store_error_as<E>(
    operation: &'static str,
    kind: FailureKind,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let transient = kind.is_transient();
    let failed = Box::new(RequestFailed {
        operation,
        kind,
        source: Box::new(error),
    });
    if transient {
        StoreError::Unavailable(failed)
    } else {
        StoreError::Rejected(failed)
    }
}

/// A change set the store cannot express is a bug in the use case that built it.
impl From<InvalidChangeSet> for StoreError {
    fn from(error: InvalidChangeSet) -> Self {
        Self::Rejected(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::{ErrorMetadata, SdkError};
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// A service error with `code`, as DynamoDB would answer it with `status`.
    fn answered(status: u16, code: &str) -> SdkError<GetItemError, HttpResponse> {
        let error = GetItemError::generic(ErrorMetadata::builder().code(code).build());
        let status = status.try_into().expect("status code");
        SdkError::service_error(error, HttpResponse::new(status, SdkBody::empty()))
    }

    #[test]
    fn refusals_retrying_never_fixes_are_rejected() {
        for code in [
            "AccessDeniedException",
            "ResourceNotFoundException",
            "ValidationException",
            "UnrecognizedClientException",
            "TransactionCanceledException",
        ] {
            let error = store_error("GetItem", answered(400, code));
            assert!(matches!(error, StoreError::Rejected(_)), "{code}: {error}");
            assert!(error.to_string().contains(code), "{error}");
        }
    }

    #[test]
    fn throttling_server_errors_and_passing_refusals_are_transient() {
        for (status, code) in [
            (400, "ThrottlingException"),
            (400, "ProvisionedThroughputExceededException"),
            (500, "InternalServerError"),
            (503, "ServiceUnavailable"),
            (400, "TransactionConflictException"),
            (400, "TransactionInProgressException"),
            (400, "ExpiredTokenException"),
        ] {
            let error = store_error("GetItem", answered(status, code));
            assert!(
                matches!(error, StoreError::Unavailable(_)),
                "{code}: {error}"
            );
        }
    }

    #[test]
    fn timeouts_are_transient_and_requests_that_cannot_be_built_are_not() {
        let timeout: SdkError<GetItemError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(store_error("GetItem", timeout).is_transient());
        let construction: SdkError<GetItemError, HttpResponse> =
            SdkError::construction_failure("no region");
        assert!(!store_error("GetItem", construction).is_transient());
    }

    #[test]
    fn a_change_set_too_large_for_a_transaction_is_a_defect() {
        let error = StoreError::from(InvalidChangeSet::TooManyWrites {
            writes: 101,
            max: 100,
        });
        assert!(!error.is_transient());
    }

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
            (FailureKind::Construction, "construction"),
            (
                FailureKind::Passing("TransactionConflictException".into()),
                "passing",
            ),
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
