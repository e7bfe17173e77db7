//! UpdateSessionActivity: the auth service reports a request on a session. Writes are throttled:
//! nothing is written while the last write is younger than the configured interval and the IP
//! did not change, so a busy session does not write on every request.

use std::net::IpAddr;

use crate::app::{Retry, Sessions};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::SessionId;
use crate::ports::{ChangeSet, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct UpdateSessionActivity {
    pub session_id: SessionId,
    pub ip_address: Option<IpAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityOutcome {
    pub ip_changed: bool,
    pub suspicious_activity_count: u32,
    pub active: bool,
    /// Whether this call wrote anything (false when throttled or inactive).
    pub recorded: bool,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn update_session_activity(
        &self,
        cmd: UpdateSessionActivity,
    ) -> Result<ActivityOutcome, SessionError> {
        self.retry_on_conflict(|| self.try_update_activity(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_update_activity(
        &self,
        cmd: &UpdateSessionActivity,
    ) -> Result<ActivityOutcome, Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let now = self.clock.now();
        let mut session = stored.value;
        let unchanged = ActivityOutcome {
            ip_changed: false,
            suspicious_activity_count: session.suspicious_activity_count,
            active: session.is_active(now),
            recorded: false,
        };
        if !unchanged.active {
            return Ok(unchanged);
        }
        let ip_differs = cmd
            .ip_address
            .is_some_and(|ip| session.last_ip_address != Some(ip));
        let interval_elapsed =
            now - session.last_activity_at >= self.policy.activity_write_interval();
        if !ip_differs && !interval_elapsed {
            return Ok(unchanged);
        }
        let change = session.record_activity(now, cmd.ip_address);
        let event = self.event(EventPayload::SessionActivityUpdated(
            events::SessionActivityUpdated {
                session_id: session.id,
                user_id: session.user_id.clone(),
                ip_address: cmd.ip_address,
                ip_changed: change.ip_changed,
            },
        ));
        let outcome = ActivityOutcome {
            ip_changed: change.ip_changed,
            suspicious_activity_count: session.suspicious_activity_count,
            active: true,
            recorded: true,
        };
        let changes = ChangeSet {
            sessions: vec![SessionWrite::Replace {
                session,
                expected_version: stored.version,
            }],
            events: vec![event],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(outcome)
    }
}
