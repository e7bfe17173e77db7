//! The start of a scheduled function (the revoke-all and retention sweeps): the service built
//! once, then every scheduled invocation, whose payload nothing reads, answered with what the
//! sweep did. A store failure fails the invocation (logged); the next one tries again.

use std::future::Future;
use std::pin::Pin;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use session_core::Sessions;
use session_core::error::SessionError;

use crate::config::ProcessEnv;
use crate::wiring::{self, Store};
use crate::{http_function, telemetry};

/// What one sweep answers: its report, or why it failed.
pub type SweepOutcome<'a> = Pin<Box<dyn Future<Output = Result<Value, SessionError>> + Send + 'a>>;

/// Runs `sweep` on every scheduled invocation, flushing the metrics after each.
pub(crate) async fn run_sweeps(
    sweep: for<'a> fn(&'a Sessions<Store>) -> SweepOutcome<'a>,
) -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (sessions, metrics) = wiring::session_service(&ProcessEnv)
        .await
        .map_err(http_function::init_failed)?;
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| {
        let (sessions, metrics) = (&sessions, &metrics);
        async move {
            let swept = sweep(sessions).await;
            metrics.flush();
            swept.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
