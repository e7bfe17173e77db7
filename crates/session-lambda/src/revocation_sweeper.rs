//! The scheduled sweep: finishes the revoke-alls whose runner was cut off between two chunks
//! (docs/0046). EventBridge Scheduler invokes it every minute with a payload it does not read.
//! A store failure fails the invocation (logged); the next minute's sweep tries again.

use serde_json::{Value, json};
use session_core::Sessions;
use session_core::error::SessionError;
use session_core::ports::SessionStore;

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
    Box::pin(crate::scheduled::run_sweeps(|sessions| {
        Box::pin(handle(sessions))
    }))
}
