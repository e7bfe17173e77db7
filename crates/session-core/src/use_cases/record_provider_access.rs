//! RecordProviderAccess: a session used a financial data provider.

use crate::app::{Retry, Sessions};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::{ProviderName, SessionId};
use crate::ports::{ChangeSet, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct RecordProviderAccess {
    pub session_id: SessionId,
    pub provider_name: ProviderName,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn record_provider_access(
        &self,
        cmd: RecordProviderAccess,
    ) -> Result<(), SessionError> {
        self.retry_on_conflict(|| self.try_record_provider_access(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_record_provider_access(&self, cmd: &RecordProviderAccess) -> Result<(), Retry> {
        let Some(stored) = self.store.load_session(cmd.session_id).await? else {
            return Err(SessionError::SessionNotFound.into());
        };
        let now = self.clock.now();
        let mut session = stored.value;
        let status = session.status(now);
        if status != crate::domain::SessionStatus::Active {
            return Err(SessionError::SessionInactive { status }.into());
        }
        session.record_provider_access(now, cmd.provider_name.clone());
        let event = self.event(EventPayload::SessionProviderAccess(
            events::SessionProviderAccess {
                session_id: session.id(),
                user_id: session.user_id().clone(),
                provider_name: cmd.provider_name.clone(),
            },
        ));
        let changes = ChangeSet {
            sessions: vec![SessionWrite::Replace {
                session,
                expected_version: stored.version,
            }],
            events: vec![event],
            ..ChangeSet::default()
        };
        self.store.commit(changes).await?;
        Ok(())
    }
}
