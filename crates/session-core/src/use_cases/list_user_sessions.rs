//! ListUserSessions: a user's devices, newest first, a page at a time.

use chrono::{DateTime, Utc};

use crate::app::Sessions;
use crate::cursor::CursorPosition;
use crate::domain::{AccountStatus, Session, SessionStatus};
use crate::error::{InvalidInput, SessionError};
use crate::ids::{SessionId, UserId};
use crate::ports::{SessionQuery, SessionStore};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 100;

/// Which sessions a listing shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum SessionFilter {
    /// Active now (not revoked, not expired, not idle-expired).
    #[default]
    Active,
    /// Ended: revoked, expired or idle-expired.
    Ended,
    All,
}

impl SessionFilter {
    fn admits(self, status: SessionStatus) -> bool {
        match self {
            Self::Active => status == SessionStatus::Active,
            Self::Ended => status != SessionStatus::Active,
            Self::All => true,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ListUserSessions {
    pub user_id: UserId,
    pub filter: SessionFilter,
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
    /// Trusted at the time of the listing (a device trust may have expired since the login).
    pub is_trusted: bool,
    /// The instant of the listing, which `status` (and how an ended session ended) refer to.
    pub at: DateTime<Utc>,
}

impl ListedSession {
    pub fn at(session: Session, now: DateTime<Utc>, current: Option<SessionId>) -> Self {
        Self {
            status: session.status(now),
            is_trusted: session.is_trusted_at(now),
            is_current: Some(session.id()) == current,
            at: now,
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
                unexpired_at: (query.filter == SessionFilter::Active).then_some(now),
            })
            .await?;
        let sessions: Vec<ListedSession> = page
            .sessions
            .into_iter()
            .map(|s| ListedSession::at(s, now, query.current_session_id))
            .filter(|s| query.filter.admits(s.status))
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

/// A user's sessions as support sees them: the account's status and one page.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountSessions {
    pub status: AccountStatus,
    pub list: SessionList,
}

impl<S: SessionStore> Sessions<S> {
    /// Any user's sessions with their account status (support and security tooling); a user this
    /// service does not know is `user_not_found`.
    pub async fn account_sessions(
        &self,
        query: ListUserSessions,
    ) -> Result<AccountSessions, SessionError> {
        let (ledger, list) = futures_util::future::join(
            self.store.load_user(&query.user_id),
            self.list_user_sessions(query.clone()),
        )
        .await;
        let ledger = ledger?.ok_or(SessionError::UserNotFound)?;
        Ok(AccountSessions {
            status: ledger.value.status,
            list: list?,
        })
    }
}
