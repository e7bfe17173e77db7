//! Bodies of the internal routes, called by the auth service and admin tools.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use session_core::domain::LimitBehaviour;
use session_core::ids::{InvalidValue, ProviderName, RefreshTokenId, SessionId, TierName, UserId};
use session_core::use_cases::{
    ActivityOutcome, ActivityReport, CreateSession, CreatedSession, LinkRefreshTokenToSession,
    PolicyView, RecordProviderAccess, SetUserSessionPolicy, UpdateSessionActivity, Validity,
};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::fields::{self, FieldErrors};
use crate::dto::json_object::object_body;
use crate::problem::ApiError;

/// A login: create a session for the user.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct CreateSessionRequest {
    #[schema(schema_with = crate::dto::schema::user_id)]
    pub user_id: String,
    #[schema(schema_with = crate::dto::schema::login_ip_address)]
    pub ip_address: Option<String>,
    /// The client's user agent; stored truncated to 512 bytes.
    pub user_agent: Option<String>,
    /// RFC 3339; defaults to now + the session lifetime and may not exceed it.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The first link of the session's refresh-token chain (stored hashed).
    #[schema(schema_with = crate::dto::schema::nullable_refresh_token_id)]
    pub refresh_token_id: Option<String>,
    /// When the user authenticated (RFC 3339); defaults to now.
    #[schema(format = DateTime)]
    pub auth_time: Option<String>,
    /// Authenticator assurance level: 1 password, 2 a second factor, 3 phishing resistant
    /// (default 1).
    #[serde(default, deserialize_with = "fields::optional_whole_u32")]
    #[schema(minimum = 1, maximum = 3)]
    pub aal: Option<u32>,
    /// Authentication methods used (RFC 8176 values such as `pwd`, `otp`, `hwk`).
    #[schema(schema_with = crate::dto::schema::amr)]
    pub amr: Option<Vec<String>>,
    /// The client's id of the device (docs/0047): a new login on it ends its previous session,
    /// and a device never seen before is announced (`NewDeviceSignIn`).
    #[schema(schema_with = crate::dto::schema::nullable_device_id)]
    pub device_id: Option<String>,
    /// What the client calls the device; needs `device_id`.
    #[schema(schema_with = crate::dto::schema::nullable_device_name)]
    pub device_name: Option<String>,
    /// One of the user's active sessions for this login to end, chosen after an `ask` tier
    /// answered `session_limit_reached` (docs/0049): 404 if it is not the user's, 409 if it
    /// already ended.
    #[schema(format = Uuid)]
    pub replace_session_id: Option<String>,
}

object_body!(CreateSessionRequest);

impl CreateSessionRequest {
    pub(crate) fn into_command(self) -> Result<CreateSession, ApiError> {
        let mut errors = FieldErrors::default();
        let user_id = errors.check(UserId::try_from(self.user_id));
        let ip_address = errors.check(fields::ip_address("ip_address", self.ip_address));
        let expires_at = errors.check(fields::timestamp("expires_at", self.expires_at));
        let refresh_token_id =
            errors.check(fields::optional::<RefreshTokenId>(self.refresh_token_id));
        let auth_time = errors.check(fields::timestamp("auth_time", self.auth_time));
        let aal = errors.check(fields::aal(self.aal));
        let amr = errors.check(fields::amr(self.amr));
        let device = errors.check(fields::login_device(self.device_id, self.device_name));
        let replace_session_id = errors.check(fields::session_id(
            "replace_session_id",
            self.replace_session_id,
        ));
        match (
            user_id,
            ip_address,
            expires_at,
            refresh_token_id,
            auth_time,
            aal,
            amr,
            device,
            replace_session_id,
        ) {
            (
                Some(user_id),
                Some(ip_address),
                Some(expires_at),
                Some(refresh_token_id),
                Some(auth_time),
                Some(aal),
                Some(amr),
                Some(device),
                Some(replace_session_id),
            ) if errors.is_empty() => Ok(CreateSession {
                user_id,
                ip_address,
                user_agent: self.user_agent,
                expires_at,
                refresh_token_id,
                auth_time,
                aal,
                amr,
                device,
                replace_session_id,
            }),
            _ => Err(errors.into_error()),
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedSessionResponse {
    pub session_id: Uuid,
    pub device_info: Option<String>,
    pub location: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Sessions revoked to make room for this one (tiers that evict at the limit).
    pub evicted_session_ids: Vec<Uuid>,
    /// The login's device, when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The login's device is trusted (docs/0047).
    #[serde(default)]
    pub is_trusted: bool,
}

impl From<CreatedSession> for CreatedSessionResponse {
    fn from(created: CreatedSession) -> Self {
        Self {
            session_id: *created.session.id().as_uuid(),
            device_info: created.session.device_info().map(str::to_owned),
            location: created.session.location().map(str::to_owned),
            expires_at: created.session.expires_at(),
            evicted_session_ids: uuids(&created.evicted_session_ids),
            device_id: created.session.device_id().map(|d| d.as_str().to_owned()),
            is_trusted: created.session.is_trusted(),
        }
    }
}

/// Whether a session may still be used. Active: `{active: true, user_id, expires_at}`;
/// otherwise `{active: false, reason}` with reason `revoked`, `expired`, `idle_expired` or
/// `not_found`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidityResponse {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When the user last authenticated on this session (login or step-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<DateTime<Utc>>,
    /// Authenticator assurance level (1-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3)]
    pub aal: Option<u8>,
    /// The risk response asks for a step-up before the session is trusted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "revoked")]
    pub reason: Option<String>,
}

impl From<Validity> for ValidityResponse {
    fn from(validity: Validity) -> Self {
        let reason = validity.reason().map(str::to_owned);
        match validity {
            Validity::Active {
                user_id,
                expires_at,
                assurance,
            } => Self {
                active: true,
                user_id: Some(user_id.into()),
                expires_at: Some(expires_at),
                auth_time: Some(assurance.auth_time),
                aal: Some(assurance.aal.level()),
                step_up_required: Some(assurance.step_up_required),
                reason: None,
            },
            Validity::Inactive { .. } => Self {
                active: false,
                user_id: None,
                expires_at: None,
                auth_time: None,
                aal: None,
                step_up_required: None,
                reason,
            },
        }
    }
}

/// A request seen on the session; an empty body is the same as `{}`.
///
/// Both fields describe the end user's request as the auth service saw it. Neither is taken from
/// the transport: the caller of this route is the auth service, so its own address would say
/// nothing about the user.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct ActivityRequest {
    #[schema(schema_with = crate::dto::schema::reported_ip_address)]
    pub ip_address: Option<String>,
    /// The client's user agent; truncated to 512 bytes like at login, then checked against the
    /// session's.
    pub user_agent: Option<String>,
}

object_body!(ActivityRequest);

impl ActivityRequest {
    pub(crate) fn into_command(self, session_id: SessionId) -> Result<ActivityReport, ApiError> {
        let ip_address = fields::ip_address("ip_address", self.ip_address)
            .map_err(|e| ApiError::field(e.field, e.problem))?;
        Ok(UpdateSessionActivity {
            session_id,
            ip_address,
        }
        .with_user_agent(self.user_agent))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivityResponse {
    /// The request came from another address than the previous one.
    pub ip_changed: bool,
    /// Signals counted on the session so far (IP, country, impossible travel, user agent).
    pub suspicious_activity_count: u32,
    /// Whether the session is active after this report: activity on an inactive session is not
    /// recorded, and on tiers that revoke, the report that reaches the threshold revokes it.
    pub active: bool,
}

impl From<ActivityOutcome> for ActivityResponse {
    fn from(outcome: ActivityOutcome) -> Self {
        Self {
            ip_changed: outcome.ip_changed,
            suspicious_activity_count: outcome.suspicious_activity_count,
            active: outcome.active,
        }
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct ProviderAccessRequest {
    #[schema(schema_with = crate::dto::schema::provider_name)]
    pub provider_name: String,
}

object_body!(ProviderAccessRequest);

impl ProviderAccessRequest {
    pub(crate) fn into_command(
        self,
        session_id: SessionId,
    ) -> Result<RecordProviderAccess, ApiError> {
        let provider_name = ProviderName::try_from(self.provider_name)
            .map_err(|e| ApiError::field(e.field, e.problem))?;
        Ok(RecordProviderAccess {
            session_id,
            provider_name,
        })
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct RefreshTokenRequest {
    #[schema(schema_with = crate::dto::schema::refresh_token_id)]
    pub refresh_token_id: String,
}

object_body!(RefreshTokenRequest);

impl RefreshTokenRequest {
    pub(crate) fn into_command(
        self,
        session_id: SessionId,
    ) -> Result<LinkRefreshTokenToSession, ApiError> {
        let refresh_token_id = RefreshTokenId::try_from(self.refresh_token_id)
            .map_err(|e| ApiError::field(e.field, e.problem))?;
        Ok(LinkRefreshTokenToSession {
            session_id,
            refresh_token_id,
        })
    }
}

/// A user's tier and optional limit override (a full replacement: omit `max_sessions` to clear
/// the override).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct SessionPolicyRequest {
    #[schema(schema_with = crate::dto::schema::tier)]
    pub tier: String,
    /// Overrides the tier's limit; 1 to 100.
    #[serde(default, deserialize_with = "fields::optional_whole_u32")]
    #[schema(format = Int64, minimum = 1, maximum = 100)]
    pub max_sessions: Option<u32>,
}

object_body!(SessionPolicyRequest);

impl SessionPolicyRequest {
    /// `user_id` is the path parameter, validated together with the body so that one response
    /// reports every problem.
    pub(crate) fn into_command(
        self,
        user_id: Result<UserId, InvalidValue>,
    ) -> Result<SetUserSessionPolicy, ApiError> {
        let mut errors = FieldErrors::default();
        let user_id = errors.check(user_id);
        let tier = errors.check(TierName::try_from(self.tier));
        match (user_id, tier) {
            (Some(user_id), Some(tier)) if errors.is_empty() => Ok(SetUserSessionPolicy {
                user_id,
                tier,
                max_sessions: self.max_sessions,
            }),
            _ => Err(errors.into_error()),
        }
    }
}

/// How a login at the limit is handled.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitBehaviourView {
    /// The oldest sessions are revoked so the new one fits.
    EvictOldest,
    /// The login is refused with `session_limit_exceeded`.
    Deny,
    /// The login is refused with `session_limit_reached` and the sessions to choose from.
    Ask,
}

impl From<LimitBehaviour> for LimitBehaviourView {
    fn from(behaviour: LimitBehaviour) -> Self {
        match behaviour {
            LimitBehaviour::EvictOldest => Self::EvictOldest,
            LimitBehaviour::Deny => Self::Deny,
            LimitBehaviour::Ask => Self::Ask,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionPolicyResponse {
    pub user_id: String,
    pub tier: String,
    /// The per-user override, if any.
    #[schema(format = Int64, minimum = 1, maximum = 4294967295_i64)]
    pub max_sessions: Option<u32>,
    /// The limit that applies; `null` is unlimited.
    #[schema(format = Int64, minimum = 1, maximum = 4294967295_i64)]
    pub effective_max_sessions: Option<u32>,
    pub on_limit: LimitBehaviourView,
    /// A session unused this long is no longer active; `null`: no idle timeout.
    #[schema(format = Int64, minimum = 0, maximum = 4294967295_i64)]
    pub idle_timeout_secs: Option<u32>,
    /// Sessions revoked at once because the new limit is lower than the active count.
    pub evicted_session_ids: Vec<Uuid>,
}

impl From<PolicyView> for SessionPolicyResponse {
    fn from(view: PolicyView) -> Self {
        Self {
            user_id: view.user_id.into(),
            tier: view.tier.into(),
            max_sessions: view.max_sessions_override,
            effective_max_sessions: view.effective_max_sessions,
            on_limit: view.on_limit.into(),
            idle_timeout_secs: view.idle_timeout_secs,
            evicted_session_ids: uuids(&view.evicted_session_ids),
        }
    }
}

fn uuids(ids: &[SessionId]) -> Vec<Uuid> {
    ids.iter().map(|id| *id.as_uuid()).collect()
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn parse(json: &str) -> Result<ActivityReport, String> {
        let request: ActivityRequest = serde_json::from_str(json).map_err(|e| e.to_string())?;
        request
            .into_command(SessionId::from_uuid(Uuid::now_v7()))
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn activity_takes_an_address_and_a_user_agent_and_nothing_else() {
        let report = parse(r#"{"ip_address": "198.51.100.4", "user_agent": "Mozilla/5.0"}"#);
        let report = report.unwrap();
        assert_eq!(report.ip_address, "198.51.100.4".parse().ok());
        assert_eq!(report.user_agent.as_deref(), Some("Mozilla/5.0"));
        let empty = parse("{}").unwrap();
        assert_eq!((empty.ip_address, empty.user_agent), (None, None));
        assert!(parse(r#"{"source_ip": "198.51.100.4"}"#).is_err());
        assert_eq!(
            parse(r#"{"ip_address": "nope"}"#).err().as_deref(),
            Some("validation_failed")
        );
    }

    /// serde's derive would also read a struct from an array of its fields in order; bodies are
    /// objects only.
    #[test]
    fn request_bodies_are_json_objects_only() {
        let array_login: Result<CreateSessionRequest, _> =
            serde_json::from_str(r#"["alice", "203.0.113.7", null, null, null]"#);
        assert!(array_login.is_err());
        let login: Result<CreateSessionRequest, _> =
            serde_json::from_str(r#"{"user_id": "alice"}"#);
        assert!(login.is_ok());
        let array_activity: Result<ActivityRequest, _> = serde_json::from_str("[null, null]");
        assert!(array_activity.is_err());
        let array_policy: Result<SessionPolicyRequest, _> = serde_json::from_str(r#"["pro"]"#);
        assert!(array_policy.is_err());
    }
}
