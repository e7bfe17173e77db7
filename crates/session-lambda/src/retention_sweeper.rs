//! The scheduled retention sweep (docs/0050): cuts the addresses and raw user agents of the
//! sessions that ended `ip_retention_days` ago. EventBridge invokes it every hour with a payload
//! it does not read. A store failure fails the invocation (logged); the next sweep goes on where
//! this one stopped, since a redacted session leaves the redaction index.

use serde_json::{Value, json};
use session_core::Sessions;
use session_core::error::SessionError;
use session_core::ports::SessionStore;
use session_core::use_cases::RedactPersonalData;

/// One sweep; answers what it did (counts, for the logs and `scripts/invoke`).
pub async fn handle<S: SessionStore>(sessions: &Sessions<S>) -> Result<Value, SessionError> {
    let report = sessions
        .redact_personal_data(RedactPersonalData::default())
        .await?;
    tracing::info!(
        redacted = report.redacted.len(),
        conflicts = report.conflicts,
        "retention sweep"
    );
    Ok(json!({
        "redacted": report.redacted.len(),
        "conflicts": report.conflicts,
    }))
}

/// Entry point of the retention-sweeper function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(crate::scheduled::run_sweeps(|sessions| {
        Box::pin(handle(sessions))
    }))
}
