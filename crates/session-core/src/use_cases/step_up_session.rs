//! StepUpSession: the user authenticated again on this session (a second factor before a
//! payment, or after the risk response asked for it): the assurance level and methods rise, the
//! authentication time is now, and a pending `step_up_required` is cleared.

use crate::app::{Retry, Sessions};
use crate::domain::{Aal, AuthMethods, Session};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::SessionId;
use crate::ports::{ChangeSet, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct StepUpSession {
    pub session_id: SessionId,
    pub aal: Aal,
    pub amr: AuthMethods,
}

impl<S: SessionStore> Sessions<S> {
    /// The session as stepped up; `session_inactive` for a session that is not active.
    pub async fn step_up_session(&self, cmd: StepUpSession) -> Result<Session, SessionError> {
        self.retry_on_conflict(|| self.try_step_up(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_step_up(&self, cmd: &StepUpSession) -> Result<Session, Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let mut session = stored.value;
        let was_required = session.step_up_required();
        session.step_up(cmd.aal, &cmd.amr, self.clock.now())?;
        let stepped_up = self.event(EventPayload::SessionSteppedUp(events::SessionSteppedUp {
            session_id: session.id(),
            user_id: session.user_id().clone(),
            aal: session.aal(),
            amr: session.amr().clone(),
            cleared_step_up_required: was_required,
        }));
        let changes = ChangeSet {
            sessions: vec![SessionWrite::Replace {
                session: session.clone(),
                expected_version: stored.version,
            }],
            events: vec![stepped_up],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(session)
    }
}
