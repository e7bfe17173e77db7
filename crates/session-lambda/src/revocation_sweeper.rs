//! The scheduled sweep: finishes the revoke-alls whose runner was cut off between two chunks
//! (docs/0046). EventBridge Scheduler invokes it every minute with a payload it does not read.
//! A store failure fails the invocation (logged); the next minute's sweep tries again.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use session_core::Sessions;
use session_core::error::SessionError;
use session_core::ports::SessionStore;

use crate::config::ProcessEnv;
use crate::{telemetry, wiring};

/// One sweep; answers what it did (counts, for the logs and `scripts/invoke`).
pub async fn handle<S: SessionStore>(sessions: &Sessions<S>) -> Result<Value, SessionError> {
    let report = sessions.resume_revoke_alls().await?;
    tracing::info!(?report, "revoke-all sweep");
    Ok(json!({
        "finished": report.finished.len(),
        "given_up": report.given_up.len(),
        "handed_over": report.handed_over.len(),
        "left": report.left,
    }))
}

/// Entry point of the revocation-sweeper function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (sessions, metrics) = wiring::session_service(&ProcessEnv)
        .await
        .map_err(crate::http_function::init_failed)?;
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| {
        let (sessions, metrics) = (&sessions, &metrics);
        async move {
            let swept = handle(sessions).await;
            metrics.flush();
            swept.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
