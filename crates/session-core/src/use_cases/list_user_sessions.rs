//! ListUserSessions: a user's devices, newest first, a page at a time.

use chrono::{DateTime, Utc};

use crate::app::Sessions;
use crate::cursor::CursorPosition;
use crate::domain::{Session, SessionStatus};
use crate::error::{InvalidInput, SessionError};
use crate::ids::{SessionId, UserId};
use crate::ports::{SessionQuery, SessionStore};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Clone, Debug)]
pub struct ListUserSessions {
    pub user_id: UserId,
    /// Only sessions active now (not revoked, not expired, not idle-expired).
    pub active_only: bool,
    pub limit: Option<u32>,
    /// An opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub current_session_id: Option<SessionId>,
}

/// A session as seen at one instant by one caller.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedSession {
    pub session: Session,
    pub status: SessionStatus,
    pub is_current: bool,
}

impl ListedSession {
    pub fn at(session: Session, now: DateTime<Utc>, current: Option<SessionId>) -> Self {
        Self {
            status: session.status(now),
            is_current: Some(session.id()) == current,
            session,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionList {
    pub sessions: Vec<ListedSession>,
    /// Sessions in this page.
    pub total_count: u32,
    /// Active sessions in this page.
    pub active_count: u32,
    pub next_cursor: Option<String>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn list_user_sessions(
        &self,
        query: ListUserSessions,
    ) -> Result<SessionList, SessionError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(InvalidInput::PageLimit { max: MAX_PAGE_SIZE }.into());
        }
        let after = match query.cursor.as_deref() {
            None => None,
            Some(text) => Some(CursorPosition::decode(text).ok_or(InvalidInput::InvalidCursor)?),
        };
        let now = self.clock.now();
        let page = self
            .store
            .list_user_sessions(SessionQuery {
                user_id: query.user_id,
                after,
                limit,
                unexpired_at: query.active_only.then_some(now),
            })
            .await?;
        let sessions: Vec<ListedSession> = page
            .sessions
            .into_iter()
            .map(|s| ListedSession::at(s, now, query.current_session_id))
            .filter(|s| !query.active_only || s.status == SessionStatus::Active)
            .collect();
        let active_count = sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Active)
            .count();
        Ok(SessionList {
            total_count: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
            active_count: u32::try_from(active_count).unwrap_or(u32::MAX),
            sessions,
            next_cursor: page.next.map(|p| p.encode()),
        })
    }
}
