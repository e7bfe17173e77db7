//! What a user sees of their own sessions. User agent, revocation details and provider fields
//! stay internal: the device description is enough to recognise a device.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::{Actor, RevocationReason, Session, SessionStatus};
use session_core::use_cases::{ListedSession, SessionFilter, SessionList};
use utoipa::ToSchema;

use crate::dto::ActorView;
use uuid::Uuid;

/// Derived state of a session when the response was made.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatusView {
    Active,
    Revoked,
    Expired,
    IdleExpired,
}

impl From<SessionStatus> for SessionStatusView {
    fn from(status: SessionStatus) -> Self {
        match status {
            SessionStatus::Active => Self::Active,
            SessionStatus::Revoked => Self::Revoked,
            SessionStatus::Expired => Self::Expired,
            SessionStatus::IdleExpired => Self::IdleExpired,
        }
    }
}

/// Which sessions a listing shows (`state`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStateFilter {
    Active,
    Ended,
    All,
}

impl SessionStateFilter {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "ended" => Some(Self::Ended),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

impl From<SessionStateFilter> for SessionFilter {
    fn from(state: SessionStateFilter) -> Self {
        match state {
            SessionStateFilter::Active => Self::Active,
            SessionStateFilter::Ended => Self::Ended,
            SessionStateFilter::All => Self::All,
        }
    }
}

/// Why a user signs one of their sessions out (`DELETE /sessions/{id}?reason=`); the other
/// revocation reasons are the system's.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserRevocationReason {
    Manual,
    Logout,
    SuspiciousActivity,
}

impl UserRevocationReason {
    pub const ALL: [Self; 3] = [Self::Manual, Self::Logout, Self::SuspiciousActivity];
}

impl From<UserRevocationReason> for RevocationReason {
    fn from(reason: UserRevocationReason) -> Self {
        match reason {
            UserRevocationReason::Manual => Self::Manual,
            UserRevocationReason::Logout => Self::Logout,
            UserRevocationReason::SuspiciousActivity => Self::SuspiciousActivity,
        }
    }
}

/// One device the user is (or was) signed in on.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    /// "Chrome on Mac OS X", when the user agent was recognised.
    #[schema(example = "Chrome on Mac OS X")]
    pub device_info: Option<String>,
    /// `desktop`, `mobile`, `tablet`, `bot` or `other`; omitted when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "desktop")]
    pub device_type: Option<String>,
    #[schema(schema_with = crate::dto::schema::session_ip_address)]
    pub ip_address: Option<IpAddr>,
    #[schema(example = "Mountain View, US")]
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The client's id of the device the login came from (docs/0047); omitted when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "install-7f3a9c2e")]
    pub device_id: Option<String>,
    /// The device's name as given at the login; omitted when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Jane's phone")]
    pub device_name: Option<String>,
    /// The session runs on a device the auth service trusts (a second factor on it), and
    /// that trust has not expired.
    #[serde(default)]
    pub is_trusted: bool,
    /// Whether this is the session the request was made with.
    pub is_current: bool,
    pub is_revoked: bool,
    pub status: SessionStatusView,
    /// How the session ended; omitted while it is active (docs/0049).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<SessionEndView>,
}

/// How a session ended, for the user's history (`GET /sessions?state=ended`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionEndView {
    /// `logout` (the user signed out), `revoked`, `evicted` (a newer login at the limit),
    /// `expired` or `idle_expired`.
    #[schema(example = "revoked")]
    pub state: String,
    pub at: DateTime<Utc>,
    /// The revocation reason, for a revoked, signed-out or evicted session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "password_changed")]
    pub reason: Option<String>,
    /// Who revoked it: `kind` is `user`, `admin`, `auth_event` or `system`; `id` only when the
    /// user did (staff names and event ids stay internal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActorView>,
}

impl SessionEndView {
    fn of(session: &Session, at: DateTime<Utc>) -> Option<Self> {
        let end = session.end(at)?;
        Some(Self {
            state: end.state.as_str().to_owned(),
            at: end.at,
            reason: end.revocation.map(|r| r.reason.as_str().to_owned()),
            by: end.revocation.map(|r| ActorView {
                kind: r.by.kind().to_owned(),
                id: match &r.by {
                    Actor::User { user_id } => Some(user_id.as_str().to_owned()),
                    _ => None,
                },
            }),
        })
    }
}

impl From<ListedSession> for SessionView {
    fn from(listed: ListedSession) -> Self {
        let ended = SessionEndView::of(&listed.session, listed.at);
        let session = listed.session;
        Self {
            ended,
            id: *session.id().as_uuid(),
            is_revoked: session.is_revoked(),
            device_info: session.device_info().map(str::to_owned),
            device_type: session.device_type().map(|kind| kind.as_str().to_owned()),
            ip_address: session.ip_address(),
            location: session.location().map(str::to_owned),
            created_at: session.created_at(),
            last_activity_at: session.last_activity_at(),
            expires_at: session.expires_at(),
            device_id: session.device_id().map(|d| d.as_str().to_owned()),
            device_name: session.device_name().map(|d| d.as_str().to_owned()),
            is_trusted: listed.is_trusted,
            is_current: listed.is_current,
            status: listed.status.into(),
        }
    }
}

/// One page of the user's sessions, newest first.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionListResponse {
    pub sessions: Vec<SessionView>,
    /// Sessions in this page.
    pub total_count: u32,
    /// Active sessions in this page.
    pub active_count: u32,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<SessionList> for SessionListResponse {
    fn from(list: SessionList) -> Self {
        Self {
            sessions: list.sessions.into_iter().map(SessionView::from).collect(),
            total_count: list.total_count,
            active_count: list.active_count,
            next_cursor: list.next_cursor,
        }
    }
}

/// Result of signing out everywhere else.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct RevokeAllResponse {
    #[schema(example = 2)]
    pub revoked_count: u32,
    #[schema(example = "2 session(s) revoked successfully")]
    pub message: String,
}

impl RevokeAllResponse {
    pub fn new(revoked_count: u32) -> Self {
        Self {
            revoked_count,
            message: format!("{revoked_count} session(s) revoked successfully"),
        }
    }
}
