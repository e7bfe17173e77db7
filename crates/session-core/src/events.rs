//! Domain events: what happened, for audit, notifications and other services.
//!
//! On the wire an event is its detail type (`detail_type()`) plus a flat JSON object holding
//! `event_id`, `occurred_at` and the payload's fields (`to_detail()`); `from_detail` reverses it.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::domain::DeviceType;
use crate::domain::{Aal, Actor, AuthMethods, RevocationReason, Session};
use crate::ids::{DeviceId, DeviceName, EventId, Note, ProviderName, SessionId, UserId};

#[derive(Clone, PartialEq, Debug)]
pub struct DomainEvent {
    pub event_id: EventId,
    pub occurred_at: DateTime<Utc>,
    pub payload: EventPayload,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(tag = "detail_type", content = "detail")]
pub enum EventPayload {
    SessionCreated(SessionCreated),
    SessionEvicted(SessionEvicted),
    SessionLimitExceeded(SessionLimitExceeded),
    SessionRevocationAttempted(SessionRevocationAttempted),
    SessionRevoked(SessionRevoked),
    SessionRevocationFailed(SessionRevocationFailed),
    AllSessionsRevocationAttempted(AllSessionsRevocationAttempted),
    AllSessionsRevoked(AllSessionsRevoked),
    AllSessionsRevocationFailed(AllSessionsRevocationFailed),
    SessionActivityUpdated(SessionActivityUpdated),
    SessionProviderAccess(SessionProviderAccess),
    SuspiciousSessionActivity(SuspiciousSessionActivity),
    UserSessionsBlocked(UserSessionsBlocked),
    UserSessionsUnblocked(UserSessionsUnblocked),
    RefreshTokenReuseDetected(RefreshTokenReuseDetected),
    SessionStepUpRequired(SessionStepUpRequired),
    SessionSteppedUp(SessionSteppedUp),
    NewDeviceSignIn(NewDeviceSignIn),
}

/// What started a revoke-all.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevokeAllTrigger {
    /// The user signed out everywhere (else).
    UserRequest,
    /// Support or security revoked the user's sessions.
    AdminRequest,
    /// The account was disabled or deleted.
    AccountStatus,
    /// An event of the auth service (a credential or account change).
    AuthEvent,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionCreated {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub device_info: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub location: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl From<&Session> for SessionCreated {
    /// The announcement of `session`, as its login created it.
    fn from(session: &Session) -> Self {
        Self {
            session_id: session.id(),
            user_id: session.user_id().clone(),
            device_info: session.device_info().map(str::to_owned),
            ip_address: session.ip_address(),
            location: session.location().map(str::to_owned),
            user_agent: session.user_agent().map(str::to_owned),
            expires_at: session.expires_at(),
        }
    }
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionEvicted {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub device_info: Option<String>,
    /// The login that caused the eviction; none when a lowered limit did.
    pub evicted_by_session_id: Option<SessionId>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionLimitExceeded {
    pub user_id: UserId,
    pub current_count: u32,
    pub max_sessions: u32,
    pub evicted_session_ids: Vec<SessionId>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionRevocationAttempted {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub by: Actor,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionRevoked {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub device_info: Option<String>,
    /// The user who revoked it, when a user did (not a service or the system).
    pub revoked_by_user: Option<UserId>,
    pub by: Actor,
    pub note: Option<Note>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionRevocationFailed {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub by: Actor,
    /// The stable error code of the failure (e.g. `session_not_found`, `store_unavailable`).
    pub failure_reason: String,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AllSessionsRevocationAttempted {
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub except_session_id: Option<SessionId>,
    pub by: Actor,
    pub trigger: RevokeAllTrigger,
    pub note: Option<Note>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AllSessionsRevoked {
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub session_count: u32,
    pub session_ids: Vec<SessionId>,
    pub except_session_id: Option<SessionId>,
    pub by: Actor,
    pub trigger: RevokeAllTrigger,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AllSessionsRevocationFailed {
    pub user_id: UserId,
    pub reason: RevocationReason,
    pub by: Actor,
    pub trigger: RevokeAllTrigger,
    pub failure_reason: String,
    /// Sessions revoked before the failure; a retry revokes the rest.
    pub revoked_so_far: Vec<SessionId>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionActivityUpdated {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub ip_address: Option<IpAddr>,
    pub ip_changed: bool,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionProviderAccess {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub provider_name: ProviderName,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SuspiciousSessionActivity {
    pub session_id: SessionId,
    pub user_id: UserId,
    #[cfg_attr(
        feature = "schemas",
        schemars(extend("enum" = ["ip_change", "country_change", "impossible_travel", "user_agent_change"]))
    )]
    pub activity_type: String,
    #[cfg_attr(feature = "schemas", schemars(with = "Map<String, Value>"))]
    pub details: Value,
    pub suspicious_count: u32,
}

/// The account was disabled or deleted: every session is revoked (AllSessionsRevoked follows)
/// and logins are refused until it is enabled again.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UserSessionsBlocked {
    pub user_id: UserId,
    /// `disabled` or `deleted`.
    #[cfg_attr(feature = "schemas", schemars(extend("enum" = ["disabled", "deleted"])))]
    pub status: String,
    pub reason: RevocationReason,
    pub by: Actor,
    pub note: Option<Note>,
}

/// A disabled account was enabled: logins are allowed again; no old session comes back.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UserSessionsUnblocked {
    pub user_id: UserId,
    /// The admin's reason; none when the auth service enabled the account.
    pub reason: Option<RevocationReason>,
    pub by: Actor,
    pub note: Option<Note>,
}

/// A refresh token was presented after it had been rotated (or one never issued for the
/// session): a stolen token is in use. The session is revoked in the same commit
/// (`refresh_token_reuse`).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenReuseDetected {
    pub session_id: SessionId,
    pub user_id: UserId,
    /// `previous`: the link just before the current one (outside the grace window, or asking
    /// for another next token); `unknown`: none the session has seen recently.
    #[cfg_attr(feature = "schemas", schemars(extend("enum" = ["previous", "unknown"])))]
    pub presented: String,
    /// When the current link was issued.
    pub rotated_at: Option<DateTime<Utc>>,
    pub ip_address: Option<IpAddr>,
}

/// The tier's risk response asks the user of this session to authenticate again before it is
/// trusted: refresh, validity and the authorizer say `step_up_required` until a step-up.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionStepUpRequired {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub suspicious_count: u32,
}

/// The user authenticated again on this session: the assurance it now has.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionSteppedUp {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub aal: Aal,
    pub amr: AuthMethods,
    /// Whether this step-up satisfied a pending `step_up_required`.
    pub cleared_step_up_required: bool,
}

/// A device never seen for this user signed in (not on the user's very first login): what a
/// "new sign-in to your account" notice needs (docs/0047).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDeviceSignIn {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// The client's device id; `None` for a login without one, recognised as new by its
    /// browser, OS and country (docs/0049).
    pub device_id: Option<DeviceId>,
    pub device_name: Option<DeviceName>,
    /// What the user agent said ("Chrome on Windows").
    pub platform: Option<String>,
    pub device_type: Option<DeviceType>,
    pub location: Option<String>,
    pub signed_in_at: DateTime<Utc>,
}

#[derive(Debug, Error)]
pub enum EventDecodeError {
    #[error("event detail is not a JSON object")]
    NotAnObject,
    #[error("event detail lacks a valid `{0}`")]
    MissingEnvelopeField(&'static str),
    #[error("event detail does not match `{detail_type}`: {source}")]
    Payload {
        detail_type: String,
        #[source]
        source: serde_json::Error,
    },
}

impl EventPayload {
    /// The EventBridge `DetailType`: the event's name.
    pub const fn detail_type(&self) -> &'static str {
        match self {
            Self::SessionCreated(_) => "SessionCreated",
            Self::SessionEvicted(_) => "SessionEvicted",
            Self::SessionLimitExceeded(_) => "SessionLimitExceeded",
            Self::SessionRevocationAttempted(_) => "SessionRevocationAttempted",
            Self::SessionRevoked(_) => "SessionRevoked",
            Self::SessionRevocationFailed(_) => "SessionRevocationFailed",
            Self::AllSessionsRevocationAttempted(_) => "AllSessionsRevocationAttempted",
            Self::AllSessionsRevoked(_) => "AllSessionsRevoked",
            Self::AllSessionsRevocationFailed(_) => "AllSessionsRevocationFailed",
            Self::SessionActivityUpdated(_) => "SessionActivityUpdated",
            Self::SessionProviderAccess(_) => "SessionProviderAccess",
            Self::SuspiciousSessionActivity(_) => "SuspiciousSessionActivity",
            Self::UserSessionsBlocked(_) => "UserSessionsBlocked",
            Self::UserSessionsUnblocked(_) => "UserSessionsUnblocked",
            Self::RefreshTokenReuseDetected(_) => "RefreshTokenReuseDetected",
            Self::SessionStepUpRequired(_) => "SessionStepUpRequired",
            Self::SessionSteppedUp(_) => "SessionSteppedUp",
            Self::NewDeviceSignIn(_) => "NewDeviceSignIn",
        }
    }

    /// The user the event is about; every event has one.
    pub fn user_id(&self) -> &UserId {
        match self {
            Self::SessionCreated(e) => &e.user_id,
            Self::SessionEvicted(e) => &e.user_id,
            Self::SessionLimitExceeded(e) => &e.user_id,
            Self::SessionRevocationAttempted(e) => &e.user_id,
            Self::SessionRevoked(e) => &e.user_id,
            Self::SessionRevocationFailed(e) => &e.user_id,
            Self::AllSessionsRevocationAttempted(e) => &e.user_id,
            Self::AllSessionsRevoked(e) => &e.user_id,
            Self::AllSessionsRevocationFailed(e) => &e.user_id,
            Self::SessionActivityUpdated(e) => &e.user_id,
            Self::SessionProviderAccess(e) => &e.user_id,
            Self::SuspiciousSessionActivity(e) => &e.user_id,
            Self::UserSessionsBlocked(e) => &e.user_id,
            Self::UserSessionsUnblocked(e) => &e.user_id,
            Self::RefreshTokenReuseDetected(e) => &e.user_id,
            Self::SessionStepUpRequired(e) => &e.user_id,
            Self::SessionSteppedUp(e) => &e.user_id,
            Self::NewDeviceSignIn(e) => &e.user_id,
        }
    }
}

impl DomainEvent {
    pub const fn detail_type(&self) -> &'static str {
        self.payload.detail_type()
    }

    /// The flat JSON detail: envelope fields first, then the payload's fields.
    pub fn to_detail(&self) -> Value {
        let mut detail = Map::new();
        detail.insert("event_id".into(), Value::String(self.event_id.to_string()));
        detail.insert(
            "occurred_at".into(),
            Value::String(
                self.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        );
        // Serialising these plain structs cannot fail: every field is a string, number, bool,
        // list or map with string keys.
        if let Ok(Value::Object(tagged)) = serde_json::to_value(&self.payload)
            && let Some(Value::Object(fields)) = tagged.get("detail")
        {
            detail.extend(fields.clone());
        }
        Value::Object(detail)
    }

    /// Rebuilds an event from its detail type and flat JSON detail.
    pub fn from_detail(detail_type: &str, detail: Value) -> Result<Self, EventDecodeError> {
        let Value::Object(mut fields) = detail else {
            return Err(EventDecodeError::NotAnObject);
        };
        let event_id = fields
            .remove("event_id")
            .and_then(|v| serde_json::from_value::<EventId>(v).ok())
            .ok_or(EventDecodeError::MissingEnvelopeField("event_id"))?;
        let occurred_at = fields
            .remove("occurred_at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v).ok())
            .ok_or(EventDecodeError::MissingEnvelopeField("occurred_at"))?;
        let mut tagged = Map::new();
        tagged.insert("detail_type".into(), Value::String(detail_type.to_owned()));
        tagged.insert("detail".into(), Value::Object(fields));
        let payload = serde_json::from_value(Value::Object(tagged)).map_err(|source| {
            EventDecodeError::Payload {
                detail_type: detail_type.to_owned(),
                source,
            }
        })?;
        Ok(Self {
            event_id,
            occurred_at,
            payload,
        })
    }

    /// One JSON line: `{"detail_type": ..., "detail": {...}}`, as the local server prints it.
    pub fn to_json_line(&self) -> String {
        let line = serde_json::json!({
            "detail_type": self.detail_type(),
            "detail": self.to_detail(),
        });
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::ids::{ActorName, AuthEventId};

    fn admin() -> Actor {
        Actor::Admin {
            actor: ActorName::from_str("support:jane").unwrap(),
        }
    }

    fn sample_events() -> Vec<EventPayload> {
        let sid = SessionId::from_uuid(Uuid::now_v7());
        let uid = UserId::from_str("alice").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        let reason = RevocationReason::Manual;
        vec![
            EventPayload::SessionCreated(SessionCreated {
                session_id: sid,
                user_id: uid.clone(),
                device_info: Some("Chrome on macOS".into()),
                ip_address: "203.0.113.9".parse().ok(),
                location: Some("Mountain View, US".into()),
                user_agent: Some("Mozilla/5.0".into()),
                expires_at: at,
            }),
            EventPayload::SessionEvicted(SessionEvicted {
                session_id: sid,
                user_id: uid.clone(),
                reason: RevocationReason::SessionLimitExceeded,
                device_info: None,
                evicted_by_session_id: Some(sid),
            }),
            EventPayload::SessionLimitExceeded(SessionLimitExceeded {
                user_id: uid.clone(),
                current_count: 2,
                max_sessions: 2,
                evicted_session_ids: vec![sid],
            }),
            EventPayload::SessionRevocationAttempted(SessionRevocationAttempted {
                session_id: sid,
                user_id: uid.clone(),
                reason,
                by: Actor::System,
            }),
            EventPayload::SessionRevoked(SessionRevoked {
                session_id: sid,
                user_id: uid.clone(),
                reason,
                device_info: None,
                revoked_by_user: Some(uid.clone()),
                by: Actor::User {
                    user_id: uid.clone(),
                },
                note: None,
            }),
            EventPayload::SessionRevocationFailed(SessionRevocationFailed {
                session_id: sid,
                user_id: uid.clone(),
                reason,
                by: admin(),
                failure_reason: "session_not_found".into(),
            }),
            EventPayload::AllSessionsRevocationAttempted(AllSessionsRevocationAttempted {
                user_id: uid.clone(),
                reason,
                except_session_id: None,
                by: admin(),
                trigger: RevokeAllTrigger::AdminRequest,
                note: Some(Note::from_str("phone stolen").unwrap()),
            }),
            EventPayload::AllSessionsRevoked(AllSessionsRevoked {
                user_id: uid.clone(),
                reason,
                session_count: 1,
                session_ids: vec![sid],
                except_session_id: Some(sid),
                by: Actor::AuthEvent {
                    event_id: AuthEventId::from_str("0b1e8a7c-5e0a-4d2b-9f43-7f1c2d3e4f50")
                        .unwrap(),
                },
                trigger: RevokeAllTrigger::AuthEvent,
            }),
            EventPayload::AllSessionsRevocationFailed(AllSessionsRevocationFailed {
                user_id: uid.clone(),
                reason,
                by: Actor::System,
                trigger: RevokeAllTrigger::AccountStatus,
                failure_reason: "store_unavailable".into(),
                revoked_so_far: vec![],
            }),
            EventPayload::SessionActivityUpdated(SessionActivityUpdated {
                session_id: sid,
                user_id: uid.clone(),
                ip_address: None,
                ip_changed: false,
            }),
            EventPayload::SessionProviderAccess(SessionProviderAccess {
                session_id: sid,
                user_id: uid.clone(),
                provider_name: ProviderName::from_str("plaid").unwrap(),
            }),
            EventPayload::SuspiciousSessionActivity(SuspiciousSessionActivity {
                session_id: sid,
                user_id: uid.clone(),
                activity_type: "ip_change".into(),
                details: serde_json::json!({"from": "203.0.113.9"}),
                suspicious_count: 1,
            }),
            EventPayload::UserSessionsBlocked(UserSessionsBlocked {
                user_id: uid.clone(),
                status: "disabled".into(),
                reason: RevocationReason::SecurityConcern,
                by: admin(),
                note: None,
            }),
            EventPayload::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
                session_id: sid,
                user_id: uid.clone(),
                presented: "previous".into(),
                rotated_at: Some(at),
                ip_address: "198.51.100.7".parse().ok(),
            }),
            EventPayload::SessionStepUpRequired(SessionStepUpRequired {
                session_id: sid,
                user_id: uid.clone(),
                suspicious_count: 1,
            }),
            EventPayload::SessionSteppedUp(SessionSteppedUp {
                session_id: sid,
                user_id: uid.clone(),
                aal: Aal::Aal2,
                amr: [
                    crate::domain::AuthMethod::Pwd,
                    crate::domain::AuthMethod::Otp,
                ]
                .into_iter()
                .collect(),
                cleared_step_up_required: true,
            }),
            EventPayload::NewDeviceSignIn(NewDeviceSignIn {
                user_id: uid.clone(),
                session_id: sid,
                device_id: Some(DeviceId::from_str("install-0001").unwrap()),
                device_name: Some(DeviceName::from_str("Jane's phone").unwrap()),
                platform: Some("Chrome on Windows".into()),
                device_type: Some(DeviceType::Desktop),
                location: Some("Berlin, DE".into()),
                signed_in_at: at,
            }),
            EventPayload::UserSessionsUnblocked(UserSessionsUnblocked {
                user_id: uid,
                reason: None,
                by: admin(),
                note: Some(Note::from_str("verified by phone").unwrap()),
            }),
        ]
    }

    #[test]
    fn every_event_round_trips_through_its_flat_detail() {
        let payloads = sample_events();
        assert_eq!(payloads.len(), 18, "every event is covered");
        for payload in payloads {
            let event = DomainEvent {
                event_id: EventId::from_uuid(Uuid::now_v7()),
                occurred_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
                payload,
            };
            let detail = event.to_detail();
            assert!(detail.get("event_id").is_some_and(Value::is_string));
            assert!(detail.get("occurred_at").is_some_and(Value::is_string));
            assert!(detail.get("user_id").is_some_and(Value::is_string));
            assert!(detail.get("detail").is_none(), "detail is flat");
            let back = DomainEvent::from_detail(event.detail_type(), detail).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn detail_with_wrong_fields_or_type_is_rejected() {
        let event = DomainEvent {
            event_id: EventId::from_uuid(Uuid::now_v7()),
            occurred_at: Utc::now(),
            payload: sample_events().remove(0),
        };
        let detail = event.to_detail();
        assert!(DomainEvent::from_detail("SessionRevoked", detail.clone()).is_err());
        assert!(DomainEvent::from_detail("NoSuchEvent", detail).is_err());
        assert!(DomainEvent::from_detail("SessionCreated", Value::Null).is_err());
    }
}
