//! RevokeUsersSessions: an incident response's bulk revocation: every session of each listed user,
//! a few users at a time. Each user's revoke-all is its own command with its own 3-state events;
//! one user's failure does not stop the others.

use crate::app::Sessions;
use crate::domain::{Actor, RevocationReason};
use crate::error::SessionError;
use crate::events::RevokeAllTrigger;
use crate::ids::{Note, SessionId, UserId};
use crate::ports::SessionStore;
use crate::use_cases::RevokeAllUserSessions;

/// Most users one bulk revocation may name.
pub const MAX_USERS_PER_BULK_REVOCATION: usize = 100;

/// How many users' revocations run at once: enough to finish 100 users well within an API
/// Gateway timeout, few enough not to throttle the table.
const CONCURRENT_USERS: usize = 8;

#[derive(Clone, Debug)]
pub struct RevokeUsersSessions {
    /// Distinct users, at most [`MAX_USERS_PER_BULK_REVOCATION`].
    pub user_ids: Vec<UserId>,
    pub reason: RevocationReason,
    pub by: Actor,
    pub note: Option<Note>,
}

/// What happened for one user of a bulk revocation.
#[derive(Debug)]
pub struct UserRevocationOutcome {
    pub user_id: UserId,
    pub result: Result<Vec<SessionId>, SessionError>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn revoke_users_sessions(
        &self,
        cmd: RevokeUsersSessions,
    ) -> Vec<UserRevocationOutcome> {
        let mut outcomes = Vec::with_capacity(cmd.user_ids.len());
        for group in cmd.user_ids.chunks(CONCURRENT_USERS) {
            let runs = group.iter().map(|user_id| async {
                let result = self
                    .revoke_all_user_sessions(RevokeAllUserSessions {
                        user_id: user_id.clone(),
                        reason: cmd.reason,
                        except_session_id: None,
                        by: cmd.by.clone(),
                        trigger: RevokeAllTrigger::AdminRequest,
                        note: cmd.note.clone(),
                    })
                    .await
                    .map(|done| done.session_ids);
                UserRevocationOutcome {
                    user_id: user_id.clone(),
                    result,
                }
            });
            outcomes.extend(futures_util::future::join_all(runs).await);
        }
        outcomes
    }
}
