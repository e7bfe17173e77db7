//! RemoveDevice: the user removes one of their devices: its live session is revoked
//! (`device_removed`, with its events) and the record forgotten, with its trust, in one commit
//! (docs/0047). The forgotten record is kept for the history retention (docs/0050), out of
//! every read.

use crate::app::{Retry, Sessions};
use crate::domain::{Actor, Revocation, RevocationReason};
use crate::error::SessionError;
use crate::events::{self, EventPayload};
use crate::ids::{DeviceId, SessionId, UserId};
use crate::ports::{ChangeSet, DeviceWrite, LedgerWrite, SessionStore, SessionWrite};

#[derive(Clone, Debug)]
pub struct RemoveDevice {
    pub user_id: UserId,
    pub device_id: DeviceId,
}

impl<S: SessionStore> Sessions<S> {
    /// The session it revoked, if the device had a live one. Another user's device is
    /// `DeviceNotFound`.
    pub async fn remove_device(
        &self,
        cmd: RemoveDevice,
    ) -> Result<Option<SessionId>, SessionError> {
        self.retry_on_conflict(|| self.try_remove_device(&cmd))
            .await
            .map_err(SessionError::from)
    }

    async fn try_remove_device(&self, cmd: &RemoveDevice) -> Result<Option<SessionId>, Retry> {
        let now = self.clock.now();
        let Some(stored) = self.store.load_device(&cmd.user_id, &cmd.device_id).await? else {
            return Err(SessionError::DeviceNotFound.into());
        };
        let mut forgotten = stored.value.clone();
        forgotten.forget(now);
        let mut changes = ChangeSet {
            devices: vec![DeviceWrite::Put {
                device: forgotten,
                expected_version: Some(stored.version),
            }],
            ..ChangeSet::default()
        };
        let mut revoked = None;
        if let Some(id) = stored.value.unexpired_session(now)
            && let Some(session) = self.store.load_session(id).await?
            && session.value.user_id() == &cmd.user_id
            && !session.value.is_revoked()
        {
            let by = Actor::User {
                user_id: cmd.user_id.clone(),
            };
            let mut ended = session.value;
            ended.revoke(Revocation::new(
                now,
                RevocationReason::DeviceRemoved,
                by.clone(),
            ))?;
            changes.ledger = Some(LedgerWrite::RemoveActive {
                user_id: cmd.user_id.clone(),
                session_ids: vec![id],
                mark: None,
                expected_version: None,
            });
            changes
                .events
                .push(self.event(EventPayload::SessionRevocationAttempted(
                    events::SessionRevocationAttempted {
                        session_id: id,
                        user_id: cmd.user_id.clone(),
                        reason: RevocationReason::DeviceRemoved,
                        by: by.clone(),
                    },
                )));
            changes.events.push(
                self.event(EventPayload::SessionRevoked(events::SessionRevoked {
                    session_id: id,
                    user_id: cmd.user_id.clone(),
                    reason: RevocationReason::DeviceRemoved,
                    device_info: ended.device_info().map(str::to_owned),
                    revoked_by_user: Some(cmd.user_id.clone()),
                    by,
                    note: None,
                })),
            );
            changes.sessions.push(SessionWrite::Replace {
                session: ended,
                expected_version: session.version,
            });
            revoked = Some(id);
        }
        self.store.commit(changes).await?;
        Ok(revoked)
    }
}
