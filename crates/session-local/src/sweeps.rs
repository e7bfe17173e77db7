//! The two scheduled sweeps of the deployment, run in the background of the local server so that
//! it behaves like AWS: unfinished revoke-alls resumed every minute (docs/0046, the
//! revocation-sweeper function) and personal data past `ip_retention_days` cut every hour
//! (docs/0050, the retention-sweeper function). A sweep that fails is logged and tried again at
//! its next tick.

use std::time::Duration;

use session_core::Sessions;
use session_core::ports::SessionStore;
use session_core::use_cases::RedactPersonalData;
use tokio::task::JoinHandle;

/// How often each sweep runs: the template's schedules.
pub const REVOKE_ALL_SWEEP_EVERY: Duration = Duration::from_secs(60);
pub const RETENTION_SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// The sweeps' background task; stops them when dropped.
pub struct Sweeps(JoinHandle<()>);

impl Drop for Sweeps {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts both sweeps over `sessions` (each ticks once at once, then at its interval).
pub fn start<S: SessionStore + Clone + Send + Sync + 'static>(sessions: Sessions<S>) -> Sweeps {
    Sweeps(tokio::spawn(async move {
        let mut revoke_alls = tokio::time::interval(REVOKE_ALL_SWEEP_EVERY);
        let mut retention = tokio::time::interval(RETENTION_SWEEP_EVERY);
        loop {
            tokio::select! {
                _ = revoke_alls.tick() => resume_revoke_alls(&sessions).await,
                _ = retention.tick() => redact_personal_data(&sessions).await,
            }
        }
    }))
}

/// One revoke-all sweep, logged.
pub async fn resume_revoke_alls<S: SessionStore>(sessions: &Sessions<S>) {
    match sessions.resume_revoke_alls().await {
        Ok(report) => tracing::debug!(?report, "revoke-all sweep"),
        Err(error) => tracing::warn!(%error, "revoke-all sweep failed; next minute again"),
    }
}

/// One retention sweep, logged.
pub async fn redact_personal_data<S: SessionStore>(sessions: &Sessions<S>) {
    match sessions
        .redact_personal_data(RedactPersonalData::default())
        .await
    {
        Ok(report) => tracing::info!(
            redacted = report.redacted.len(),
            conflicts = report.conflicts,
            "retention sweep"
        ),
        Err(error) => tracing::warn!(%error, "retention sweep failed; next hour again"),
    }
}
