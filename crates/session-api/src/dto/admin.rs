//! Bodies of the admin routes, called by support and security tooling (IAM, the `admin` role).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::{AccountStatus, Actor, Revocation, RevocationReason};
use session_core::ids::{ActorName, InvalidValue, Note, UserId};
use session_core::use_cases::revoke_users_sessions::MAX_USERS_PER_BULK_REVOCATION;
use session_core::use_cases::{AccountSessions, ListedSession, RequestedStatus};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::SessionStatusView;
use crate::dto::fields::{self, FieldErrors};
use crate::dto::json_object::object_body;
use crate::problem::ApiError;

/// Why support or security revokes sessions.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminRevocationReason {
    /// A request of the user or an operational need.
    AdminAction,
    /// A (suspected) compromise.
    SecurityConcern,
}

impl AdminRevocationReason {
    fn parse(text: &str) -> Result<RevocationReason, InvalidValue> {
        match text {
            "admin_action" => Ok(RevocationReason::AdminAction),
            "security_concern" => Ok(RevocationReason::SecurityConcern),
            _ => Err(InvalidValue::new(
                "reason",
                "must be admin_action or security_concern",
            )),
        }
    }
}

/// Who does it, why, and an optional remark: what every admin action records.
pub(crate) struct AdminAction {
    pub(crate) reason: RevocationReason,
    pub(crate) by: Actor,
    pub(crate) note: Option<Note>,
}

fn admin_action(
    errors: &mut FieldErrors,
    reason: &str,
    actor: String,
    note: Option<String>,
) -> Option<AdminAction> {
    let reason = errors.check(AdminRevocationReason::parse(reason));
    let actor = errors.check(ActorName::try_from(actor));
    let note = errors.check(fields::optional::<Note>(note));
    Some(AdminAction {
        reason: reason?,
        by: Actor::Admin { actor: actor? },
        note: note?,
    })
}

/// Revoke one session, or every session of a user.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct AdminRevocationRequest {
    #[schema(value_type = AdminRevocationReason)]
    pub reason: String,
    #[schema(schema_with = crate::dto::schema::actor)]
    pub actor: String,
    #[schema(schema_with = crate::dto::schema::note)]
    pub note: Option<String>,
}

object_body!(AdminRevocationRequest);

impl AdminRevocationRequest {
    pub(crate) fn into_action(self) -> Result<AdminAction, ApiError> {
        let mut errors = FieldErrors::default();
        match admin_action(&mut errors, &self.reason, self.actor, self.note) {
            Some(action) if errors.is_empty() => Ok(action),
            _ => Err(errors.into_error()),
        }
    }
}

/// Revoke every session of several users (an incident).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct BulkRevocationRequest {
    /// 1 to 100 distinct user ids.
    #[schema(schema_with = crate::dto::schema::user_ids)]
    pub user_ids: Vec<String>,
    #[schema(value_type = AdminRevocationReason)]
    pub reason: String,
    #[schema(schema_with = crate::dto::schema::actor)]
    pub actor: String,
    #[schema(schema_with = crate::dto::schema::note)]
    pub note: Option<String>,
}

object_body!(BulkRevocationRequest);

impl BulkRevocationRequest {
    pub(crate) fn into_parts(self) -> Result<(Vec<UserId>, AdminAction), ApiError> {
        let mut errors = FieldErrors::default();
        let count = self.user_ids.len();
        if !(1..=MAX_USERS_PER_BULK_REVOCATION).contains(&count) {
            errors.check::<()>(Err(InvalidValue::new(
                "user_ids",
                "must list 1 to 100 users",
            )));
        }
        let mut user_ids: Vec<UserId> = Vec::with_capacity(count);
        for text in self.user_ids {
            if let Some(user_id) = errors.check(UserId::try_from(text)) {
                if user_ids.contains(&user_id) {
                    errors.check::<()>(Err(InvalidValue::new(
                        "user_ids",
                        "must not list a user twice",
                    )));
                } else {
                    user_ids.push(user_id);
                }
            }
        }
        match admin_action(&mut errors, &self.reason, self.actor, self.note) {
            Some(action) if errors.is_empty() => Ok((user_ids, action)),
            _ => Err(errors.into_error()),
        }
    }
}

/// The status an admin sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatusView {
    Active,
    Disabled,
    /// Deleted by the auth service (an account-lifecycle event); never settable here.
    Deleted,
}

impl From<&AccountStatus> for AccountStatusView {
    fn from(status: &AccountStatus) -> Self {
        match status {
            AccountStatus::Active => Self::Active,
            AccountStatus::Disabled { .. } => Self::Disabled,
            AccountStatus::Deleted { .. } => Self::Deleted,
        }
    }
}

/// Disable an account (every session revoked, logins refused) or enable it again.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct AccountStatusRequest {
    /// `disabled` or `active`.
    #[schema(schema_with = crate::dto::schema::settable_status)]
    pub status: String,
    #[schema(value_type = AdminRevocationReason)]
    pub reason: String,
    #[schema(schema_with = crate::dto::schema::actor)]
    pub actor: String,
    #[schema(schema_with = crate::dto::schema::note)]
    pub note: Option<String>,
}

object_body!(AccountStatusRequest);

impl AccountStatusRequest {
    pub(crate) fn into_parts(self) -> Result<(RequestedStatus, AdminAction), ApiError> {
        let mut errors = FieldErrors::default();
        let status = errors.check(match self.status.as_str() {
            "disabled" => Ok(RequestedStatus::Disabled),
            "active" => Ok(RequestedStatus::Active),
            _ => Err(InvalidValue::new("status", "must be disabled or active")),
        });
        let action = admin_action(&mut errors, &self.reason, self.actor, self.note);
        match (status, action) {
            (Some(status), Some(action)) if errors.is_empty() => Ok((status, action)),
            _ => Err(errors.into_error()),
        }
    }
}

/// Who acted: `{kind, id}`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    /// `user`, `admin`, `auth_event` or `system`.
    #[schema(example = "admin")]
    pub kind: String,
    /// The user id, the admin's name or the auth event's id; `null` for the system.
    #[schema(example = "support:jane")]
    pub id: Option<String>,
}

impl From<&Actor> for ActorView {
    fn from(actor: &Actor) -> Self {
        Self {
            kind: actor.kind().to_owned(),
            id: actor.id().map(str::to_owned),
        }
    }
}

/// How a session was revoked.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct RevocationView {
    pub at: DateTime<Utc>,
    /// A revocation reason (`logout`, `manual`, `admin_action`, `security_concern`, ...).
    #[schema(example = "security_concern")]
    pub reason: String,
    pub by: ActorView,
    pub note: Option<String>,
}

impl From<&Revocation> for RevocationView {
    fn from(revocation: &Revocation) -> Self {
        Self {
            at: revocation.at,
            reason: revocation.reason.as_str().to_owned(),
            by: ActorView::from(&revocation.by),
            note: revocation.note.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

/// A session as support sees it: whose, where from, its state and how it ended.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminSessionView {
    pub id: Uuid,
    #[schema(example = "alice")]
    pub user_id: String,
    pub device_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[schema(schema_with = crate::dto::schema::session_ip_address)]
    pub ip_address: Option<IpAddr>,
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: SessionStatusView,
    pub revocation: Option<RevocationView>,
}

impl From<ListedSession> for AdminSessionView {
    fn from(listed: ListedSession) -> Self {
        let session = listed.session;
        Self {
            id: *session.id().as_uuid(),
            user_id: session.user_id().as_str().to_owned(),
            device_info: session.device_info().map(str::to_owned),
            device_type: session.device_type().map(|kind| kind.as_str().to_owned()),
            ip_address: session.ip_address(),
            location: session.location().map(str::to_owned),
            created_at: session.created_at(),
            last_activity_at: session.last_activity_at(),
            expires_at: session.expires_at(),
            state: listed.status.into(),
            revocation: session.revocation().map(RevocationView::from),
        }
    }
}

/// One page of a user's sessions, newest first, with the account's status.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminSessionListResponse {
    pub user_id: String,
    pub status: AccountStatusView,
    pub sessions: Vec<AdminSessionView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl AdminSessionListResponse {
    pub(crate) fn new(user_id: &UserId, account: AccountSessions) -> Self {
        Self {
            user_id: user_id.as_str().to_owned(),
            status: AccountStatusView::from(&account.status),
            sessions: account
                .list
                .sessions
                .into_iter()
                .map(AdminSessionView::from)
                .collect(),
            next_cursor: account.list.next_cursor,
        }
    }
}

/// The sessions an admin revoke-all ended.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminRevokeAllResponse {
    pub revoked_count: u32,
    pub session_ids: Vec<Uuid>,
}

/// How one user of a bulk revocation fared.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Revoked,
    Failed,
}

#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkRevocationResult {
    pub user_id: String,
    pub outcome: BulkOutcome,
    /// Sessions revoked, when `revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_count: Option<u32>,
    /// The problem code, when `failed` (`user_not_found`, `store_unavailable`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Every user's outcome, in the order of the request.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkRevocationResponse {
    pub results: Vec<BulkRevocationResult>,
}

#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountStatusResponse {
    pub user_id: String,
    pub status: AccountStatusView,
    /// Sessions a disable revoked (0 for an enable).
    pub revoked_count: u32,
}

pub(crate) fn count(ids: usize) -> u32 {
    u32::try_from(ids).unwrap_or(u32::MAX)
}
