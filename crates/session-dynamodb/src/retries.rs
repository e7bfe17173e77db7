//! The SDK's own retries, made visible: the client retries throttled, failed and timed-out
//! attempts by itself (standard retry mode), so a command never sees them; this interceptor
//! reports each attempt that follows a failed one, with the cause of that failure.

use std::fmt;
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// Calls `on_retry(cause)` for every attempt the SDK makes after a failed one; `cause` is
/// `throttled`, `server_error`, `timeout`, `dispatch` or `other`. Add it to the client with
/// `.interceptor(...)`.
#[derive(Clone)]
pub struct RetryObserver {
    on_retry: Arc<dyn Fn(&'static str) + Send + Sync>,
}

impl RetryObserver {
    pub fn new(on_retry: impl Fn(&'static str) + Send + Sync + 'static) -> Self {
        Self {
            on_retry: Arc::new(on_retry),
        }
    }
}

impl fmt::Debug for RetryObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryObserver")
    }
}

/// The cause of the operation's last failed attempt, kept between its attempts.
#[derive(Clone, Debug)]
struct FailedAttempt(&'static str);

impl Storable for FailedAttempt {
    type Storer = StoreReplace<Self>;
}

impl Intercept for RetryObserver {
    fn name(&self) -> &'static str {
        "RetryObserver"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(FailedAttempt(cause)) = cfg.load::<FailedAttempt>() {
            (self.on_retry)(cause);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let cause = match context.output_or_error() {
            Some(Err(error)) if error.is_timeout_error() => Some("timeout"),
            Some(Err(error)) if error.is_connector_error() => Some("dispatch"),
            Some(Err(_)) => Some(match context.response().map(|r| r.status().as_u16()) {
                Some(500..=599) => "server_error",
                // The standard retry mode tries a 4xx again only for throttling (and transient
                // codes, which DynamoDB also sends when overloaded).
                Some(400..=499) => "throttled",
                _ => "other",
            }),
            _ => None,
        };
        match cause {
            Some(cause) => {
                cfg.interceptor_state().store_put(FailedAttempt(cause));
            }
            None => {
                cfg.interceptor_state().unset::<FailedAttempt>();
            }
        }
        Ok(())
    }
}
