//! The session entity: one device of one user, with a derived status.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::DeviceType;
use crate::domain::assurance::{Aal, AuthMethods, SessionAssurance};
use crate::domain::geo::{Coordinates, Fix};
use crate::domain::retention::{Retention, truncate_ip};
use crate::error::SessionError;
use crate::ids::{
    ActorName, AuthEventId, DeviceId, DeviceName, InvalidValue, Note, ProviderName, RefreshTokenId,
    SessionId, TokenHash, UserId, truncate_text,
};

/// Longest user agent kept, in bytes; longer ones are cut before parsing and storage.
pub const MAX_USER_AGENT_BYTES: usize = 512;

/// A user agent as it is compared and stored: cut to [`MAX_USER_AGENT_BYTES`] (control
/// characters blanked); `None` when blank, which says nothing about the device.
pub fn normalise_user_agent(user_agent: Option<&str>) -> Option<String> {
    user_agent
        .map(|ua| truncate_text(ua, MAX_USER_AGENT_BYTES))
        .filter(|ua| !ua.trim().is_empty())
}

/// Most distinct providers remembered per session; the list is append-only and bounded.
pub const MAX_PROVIDERS_PER_SESSION: usize = 64;

/// Why a session was revoked: a closed set, so audit data never holds free text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Logout,
    Manual,
    LogoutAll,
    PasswordChanged,
    PasswordReset,
    SessionLimitExceeded,
    SuspiciousActivity,
    AdminAction,
    TierChanged,
    /// Support or security ended the session because of a (suspected) compromise.
    SecurityConcern,
    AccountDisabled,
    AccountDeleted,
    EmailChanged,
    MfaChanged,
    AccountRecovered,
    /// A refresh token was presented again after it was rotated: a stolen token is in use.
    RefreshTokenReuse,
    /// A new login on the same device took its place (docs/0047).
    ReplacedByNewLogin,
    /// The user removed the device the session ran on (docs/0047).
    DeviceRemoved,
    /// At the session limit the user chose this session to end for a new login (docs/0049).
    ReplacedAtLimit,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 19] = [
        Self::Logout,
        Self::Manual,
        Self::LogoutAll,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::SessionLimitExceeded,
        Self::SuspiciousActivity,
        Self::AdminAction,
        Self::TierChanged,
        Self::SecurityConcern,
        Self::AccountDisabled,
        Self::AccountDeleted,
        Self::EmailChanged,
        Self::MfaChanged,
        Self::AccountRecovered,
        Self::RefreshTokenReuse,
        Self::ReplacedByNewLogin,
        Self::DeviceRemoved,
        Self::ReplacedAtLimit,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Manual => "manual",
            Self::LogoutAll => "logout_all",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::SessionLimitExceeded => "session_limit_exceeded",
            Self::SuspiciousActivity => "suspicious_activity",
            Self::AdminAction => "admin_action",
            Self::TierChanged => "tier_changed",
            Self::SecurityConcern => "security_concern",
            Self::AccountDisabled => "account_disabled",
            Self::AccountDeleted => "account_deleted",
            Self::EmailChanged => "email_changed",
            Self::MfaChanged => "mfa_changed",
            Self::AccountRecovered => "account_recovered",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::ReplacedByNewLogin => "replaced_by_new_login",
            Self::DeviceRemoved => "device_removed",
            Self::ReplacedAtLimit => "replaced_at_limit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Who caused a change: the session's user, support or security staff, an event of the auth
/// service, or the service itself (limits, risk rules, policy changes). In JSON (events, API) it
/// is `{"kind": "user" | "admin" | "auth_event" | "system", "id": <text or null>}`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(into = "ActorJson", try_from = "ActorJson")]
pub enum Actor {
    User { user_id: UserId },
    Admin { actor: ActorName },
    AuthEvent { event_id: AuthEventId },
    System,
}

impl Actor {
    /// `user`, `admin`, `auth_event` or `system`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::User { .. } => "user",
            Self::Admin { .. } => "admin",
            Self::AuthEvent { .. } => "auth_event",
            Self::System => "system",
        }
    }

    /// The user, the admin's name or the auth event's id; none for the system.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::User { user_id } => Some(user_id.as_str()),
            Self::Admin { actor } => Some(actor.as_str()),
            Self::AuthEvent { event_id } => Some(event_id.as_str()),
            Self::System => None,
        }
    }

    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Self::User { user_id } => Some(user_id),
            Self::Admin { .. } | Self::AuthEvent { .. } | Self::System => None,
        }
    }
}

/// The JSON shape of an [`Actor`], one alternative per kind.
#[cfg(feature = "schemas")]
impl schemars::JsonSchema for Actor {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Actor".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let kind = |kind: &str, id: schemars::Schema| {
            schemars::json_schema!({
                "type": "object",
                "properties": { "kind": { "const": kind }, "id": id },
                "required": ["kind", "id"],
                "additionalProperties": false,
            })
        };
        schemars::json_schema!({
            "description": "Who caused the change: the session's user, support or security staff (admin), an event of the auth service (its EventBridge id), or the service itself (system, no id).",
            "oneOf": [
                kind("user", generator.subschema_for::<UserId>()),
                kind("admin", generator.subschema_for::<ActorName>()),
                kind("auth_event", generator.subschema_for::<AuthEventId>()),
                kind("system", schemars::json_schema!({ "type": "null" })),
            ],
        })
    }
}

/// The JSON shape of an [`Actor`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorJson {
    kind: String,
    id: Option<String>,
}

impl From<Actor> for ActorJson {
    fn from(actor: Actor) -> Self {
        Self {
            kind: actor.kind().to_owned(),
            id: actor.id().map(str::to_owned),
        }
    }
}

impl TryFrom<ActorJson> for Actor {
    type Error = InvalidValue;

    fn try_from(json: ActorJson) -> Result<Self, Self::Error> {
        let id = || {
            json.id
                .clone()
                .ok_or(InvalidValue::new("by", "needs an id"))
        };
        match json.kind.as_str() {
            "user" => Ok(Self::User {
                user_id: UserId::try_from(id()?)?,
            }),
            "admin" => Ok(Self::Admin {
                actor: ActorName::try_from(id()?)?,
            }),
            "auth_event" => Ok(Self::AuthEvent {
                event_id: AuthEventId::try_from(id()?)?,
            }),
            "system" if json.id.is_none() => Ok(Self::System),
            _ => Err(InvalidValue::new("by", "is not a known kind of actor")),
        }
    }
}

/// The final word on a session: once set it never goes away.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub reason: RevocationReason,
    pub by: Actor,
    /// What the admin who revoked it wrote down, if anything.
    #[serde(default)]
    pub note: Option<Note>,
}

impl Revocation {
    /// A revocation without a note.
    pub fn new(at: DateTime<Utc>, reason: RevocationReason, by: Actor) -> Self {
        Self {
            at,
            reason,
            by,
            note: None,
        }
    }
}

/// Derived state of a session at a given instant; never stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Revoked,
    Expired,
    IdleExpired,
}

impl SessionStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::IdleExpired => "idle_expired",
        }
    }
}

/// How an ended session ended, as the user's history shows it (docs/0049).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndState {
    /// The user signed out of it.
    Logout,
    /// Revoked for another reason (see the revocation's reason and actor).
    Revoked,
    /// Ended by a newer login at the session limit.
    Evicted,
    /// Reached its absolute expiry.
    Expired,
    /// Unused for longer than its idle timeout.
    IdleExpired,
}

impl EndState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::Evicted => "evicted",
            Self::Expired => "expired",
            Self::IdleExpired => "idle_expired",
        }
    }
}

/// When and how a session ended; the revocation, when it was revoked.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct SessionEnd<'a> {
    pub state: EndState,
    pub at: DateTime<Utc>,
    pub revocation: Option<&'a Revocation>,
}

/// A session as stored: every field, as an adapter reads it from or writes it to a store. The
/// only way from a record to a [`Session`] is [`Session::restore`]; the only way back is
/// [`Session::to_record`].
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub device_info: Option<String>,
    pub user_agent: Option<String>,
    pub ip_address: Option<IpAddr>,
    pub location: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub idle_timeout_secs: Option<u32>,
    pub revocation: Option<Revocation>,
    pub is_trusted: bool,
    /// The current link of the refresh-token chain: the SHA-256 of the refresh token id the
    /// auth service issued last (never the id itself).
    pub refresh_token_hash: Option<TokenHash>,
    /// The link before it: presented again within the grace window with the same next id, it
    /// is the retry of a lost answer; otherwise a reuse (docs/0015).
    pub previous_refresh_token_hash: Option<TokenHash>,
    /// When the current link became current.
    pub refresh_rotated_at: Option<DateTime<Utc>>,
    /// When the user last authenticated on this session (login or step-up).
    pub auth_time: DateTime<Utc>,
    #[serde(default)]
    pub aal: Aal,
    #[serde(default)]
    pub amr: AuthMethods,
    /// The risk response asks for a step-up before the session may be trusted again.
    #[serde(default)]
    pub step_up_required: bool,
    pub last_ip_address: Option<IpAddr>,
    pub suspicious_activity_count: u32,
    pub last_provider_accessed: Option<ProviderName>,
    pub last_provider_sync_at: Option<DateTime<Utc>>,
    pub providers_accessed: Vec<ProviderName>,
    // The fields below came with suspicious-activity detection; `serde(default)` (and optional
    // attributes in the DynamoDB codec) keep sessions stored before them readable.
    #[serde(default)]
    pub device_type: Option<DeviceType>,
    #[serde(default)]
    pub last_user_agent: Option<String>,
    #[serde(default)]
    pub last_country_code: Option<String>,
    #[serde(default)]
    pub last_fix: Option<Fix>,
    #[serde(default)]
    pub suspicious_revoke_at_count: Option<u32>,
    /// The tier's suspicious-activity step-up threshold when the session was created.
    #[serde(default)]
    pub suspicious_step_up_at_count: Option<u32>,
    /// The tier's longest accepted authentication age for sensitive routes, when it sets one.
    #[serde(default)]
    pub max_auth_age_secs: Option<u32>,
    // The fields below came with devices (docs/0047).
    /// The client's id of the device the login came from, when it sent one.
    #[serde(default)]
    pub device_id: Option<DeviceId>,
    #[serde(default)]
    pub device_name: Option<DeviceName>,
    /// Until when the device's trust covers this session (`is_trusted` with an expiry).
    #[serde(default)]
    pub trusted_until: Option<DateTime<Utc>>,
    // The fields below came with retention (docs/0050).
    /// The policy's retention periods at the login; sessions stored before have the defaults.
    #[serde(default)]
    pub retention: Retention,
    /// When the addresses were cut and the raw user agents dropped ([`Session::redact`]).
    #[serde(default)]
    pub redacted_at: Option<DateTime<Utc>>,
}

/// One device of one user. Its fields are private: a session starts at a login
/// ([`Session::new`]) or is restored from what a store kept ([`Session::restore`]), and changes
/// only through its transitions, none of which can undo a revocation.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(from = "SessionRecord", into = "SessionRecord")]
pub struct Session {
    record: SessionRecord,
}

/// Where a presented refresh token id stands in a session's chain (docs/0015).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RefreshLink {
    /// The current link: rotate.
    Current,
    /// The previous link, within the grace window, asking for the next link already stored:
    /// the answer to the rotation was lost; answer it again without rotating.
    RetryOfLostAnswer,
    /// An old link (`previous`: the one just before, outside the grace window or with another
    /// next id) or one never issued: a stolen token is being replayed.
    Reused { previous: bool },
    /// The session has no refresh token yet.
    Unlinked,
}

/// What recording activity changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ActivityChange {
    pub ip_changed: bool,
}

/// The facts a new session starts from.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub device_info: Option<String>,
    /// What the device is, when known.
    pub device_type: Option<DeviceType>,
    pub user_agent: Option<String>,
    pub ip_address: Option<IpAddr>,
    /// Display text of where the login came from ("Mountain View, US").
    pub location: Option<String>,
    /// The login's country and coordinates: the baseline of the first country and travel checks.
    pub country_code: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The tier's idle timeout, kept on the session so that a validation needs the session
    /// alone (one read).
    pub idle_timeout_secs: Option<u32>,
    /// The tier's suspicious-activity revoke threshold (`None`: record only), kept on the session
    /// like the idle timeout so that an activity report needs the session alone (one read).
    pub suspicious_revoke_at_count: Option<u32>,
    /// Likewise the count at which the tier asks for a step-up (`None`: never).
    pub suspicious_step_up_at_count: Option<u32>,
    /// The tier's longest accepted authentication age, copied likewise.
    pub max_auth_age_secs: Option<u32>,
    /// The first link of the refresh-token chain.
    pub refresh_token_id: Option<RefreshTokenId>,
    /// When the user authenticated; `None`: at `now`.
    pub auth_time: Option<DateTime<Utc>>,
    pub aal: Aal,
    pub amr: AuthMethods,
}

impl NewSession {
    /// A login with nothing known but who, when and until when; the other facts are `None`.
    pub fn at(
        id: SessionId,
        user_id: UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            user_id,
            device_info: None,
            device_type: None,
            user_agent: None,
            ip_address: None,
            location: None,
            country_code: None,
            coordinates: None,
            now,
            expires_at,
            idle_timeout_secs: None,
            suspicious_revoke_at_count: None,
            suspicious_step_up_at_count: None,
            max_auth_age_secs: None,
            refresh_token_id: None,
            auth_time: None,
            aal: Aal::Aal1,
            amr: AuthMethods::new(),
        }
    }
}

impl From<SessionRecord> for Session {
    fn from(record: SessionRecord) -> Self {
        Self::restore(record)
    }
}

impl From<Session> for SessionRecord {
    fn from(session: Session) -> Self {
        session.record
    }
}

impl Session {
    /// A session starting at a login: active, last seen now from the login's address, nothing
    /// counted yet.
    pub fn new(new: NewSession) -> Self {
        Self {
            record: SessionRecord {
                id: new.id,
                user_id: new.user_id,
                device_info: new.device_info,
                user_agent: new.user_agent,
                ip_address: new.ip_address,
                location: new.location,
                created_at: new.now,
                last_activity_at: new.now,
                expires_at: new.expires_at,
                idle_timeout_secs: new.idle_timeout_secs,
                revocation: None,
                is_trusted: false,
                refresh_rotated_at: new.refresh_token_id.as_ref().map(|_| new.now),
                refresh_token_hash: new.refresh_token_id.as_ref().map(RefreshTokenId::hash),
                previous_refresh_token_hash: None,
                auth_time: new.auth_time.unwrap_or(new.now),
                aal: new.aal,
                amr: new.amr,
                step_up_required: false,
                last_ip_address: new.ip_address,
                suspicious_activity_count: 0,
                last_provider_accessed: None,
                last_provider_sync_at: None,
                providers_accessed: Vec::new(),
                device_type: new.device_type,
                last_user_agent: None,
                last_country_code: new.country_code,
                last_fix: new.coordinates.map(|coordinates| Fix {
                    coordinates,
                    at: new.now,
                }),
                suspicious_revoke_at_count: new.suspicious_revoke_at_count,
                suspicious_step_up_at_count: new.suspicious_step_up_at_count,
                max_auth_age_secs: new.max_auth_age_secs,
                device_id: None,
                device_name: None,
                trusted_until: None,
                retention: Retention::default(),
                redacted_at: None,
            },
        }
    }

    /// The new session is kept for the policy's `retention` after it ends (docs/0050). Only
    /// for a session not yet stored.
    pub fn kept_for(mut self, retention: Retention) -> Self {
        self.record.retention = retention;
        self
    }

    pub fn retention(&self) -> Retention {
        self.record.retention
    }

    /// When the session ended or will end unless revoked first: its revocation, or its absolute
    /// expiry (the idle expiry is not known when the session is written; the absolute expiry
    /// bounds it).
    pub fn ended_at(&self) -> DateTime<Utc> {
        self.record
            .revocation
            .as_ref()
            .map_or(self.record.expires_at, |revocation| revocation.at)
    }

    /// Until when the session is kept at all; a store may delete it after.
    pub fn history_until(&self) -> DateTime<Utc> {
        self.ended_at() + self.record.retention.history()
    }

    /// Until when the session keeps its addresses and raw user agents; [`Self::redact`] cuts
    /// them after.
    pub fn personal_data_until(&self) -> DateTime<Utc> {
        self.ended_at() + self.record.retention.ip_retention()
    }

    /// Whether [`Self::redact`] has cut the session's personal data.
    pub fn is_redacted(&self) -> bool {
        self.record.redacted_at.is_some()
    }

    /// Once `personal_data_until` has passed: cuts every address to its network (IPv4 /24, IPv6
    /// /48), drops the raw user agents and the last located coordinates, and keeps the rest (the
    /// parsed device, the location, the times, the revocation). Returns whether anything
    /// changed: false before its time, and when already done.
    pub fn redact(&mut self, now: DateTime<Utc>) -> bool {
        if self.is_redacted() || now < self.personal_data_until() {
            return false;
        }
        let record = &mut self.record;
        record.ip_address = record.ip_address.map(truncate_ip);
        record.last_ip_address = record.last_ip_address.map(truncate_ip);
        record.user_agent = None;
        record.last_user_agent = None;
        record.last_fix = None;
        record.redacted_at = Some(now);
        true
    }

    /// The new session runs on this device, trusted until `trusted_until` when the device's
    /// trust holds at the login (docs/0047). Only for a session not yet stored.
    pub fn on_device(
        mut self,
        device_id: DeviceId,
        device_name: Option<DeviceName>,
        trusted_until: Option<DateTime<Utc>>,
    ) -> Self {
        self.record.device_id = Some(device_id);
        self.record.device_name = device_name;
        self.record.is_trusted = trusted_until.is_some();
        self.record.trusted_until = trusted_until;
        self
    }

    /// The device trust now covers this session until `until`. False when nothing changed
    /// (already so, or revoked: a revoked session gains nothing).
    pub fn trust_until(&mut self, until: DateTime<Utc>) -> bool {
        if self.is_revoked() || (self.record.is_trusted && self.record.trusted_until == Some(until))
        {
            return false;
        }
        self.record.is_trusted = true;
        self.record.trusted_until = Some(until);
        true
    }

    pub fn device_id(&self) -> Option<&DeviceId> {
        self.record.device_id.as_ref()
    }

    pub fn device_name(&self) -> Option<&DeviceName> {
        self.record.device_name.as_ref()
    }

    /// Until when the device trust covers the session, if it does.
    pub fn trusted_until(&self) -> Option<DateTime<Utc>> {
        self.record.trusted_until
    }

    /// Whether the session is trusted at `now`: marked so, and its device's trust (when it has
    /// an expiry) not yet expired.
    pub fn is_trusted_at(&self, now: DateTime<Utc>) -> bool {
        self.record.is_trusted && self.record.trusted_until.is_none_or(|until| until > now)
    }

    /// A session as a store kept it.
    pub fn restore(record: SessionRecord) -> Self {
        Self { record }
    }

    /// What a store keeps of this session.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// What a store keeps of this session, owned.
    pub fn to_record(&self) -> SessionRecord {
        self.record.clone()
    }

    pub fn id(&self) -> SessionId {
        self.record.id
    }

    pub fn user_id(&self) -> &UserId {
        &self.record.user_id
    }

    /// Human description of the device ("Chrome on Mac OS X").
    pub fn device_info(&self) -> Option<&str> {
        self.record.device_info.as_deref()
    }

    /// What the login's user agent runs on ("desktop", "mobile", "tablet", "bot", "other").
    pub fn device_type(&self) -> Option<DeviceType> {
        self.record.device_type
    }

    /// The login's user agent, truncated.
    pub fn user_agent(&self) -> Option<&str> {
        self.record.user_agent.as_deref()
    }

    /// The login's address.
    pub fn ip_address(&self) -> Option<IpAddr> {
        self.record.ip_address
    }

    pub fn location(&self) -> Option<&str> {
        self.record.location.as_deref()
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }

    pub fn last_activity_at(&self) -> DateTime<Utc> {
        self.record.last_activity_at
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.record.expires_at
    }

    pub fn idle_timeout_secs(&self) -> Option<u32> {
        self.record.idle_timeout_secs
    }

    pub fn revocation(&self) -> Option<&Revocation> {
        self.record.revocation.as_ref()
    }

    pub fn is_trusted(&self) -> bool {
        self.record.is_trusted
    }

    /// The current link of the refresh-token chain (a hash).
    pub fn refresh_token_hash(&self) -> Option<&TokenHash> {
        self.record.refresh_token_hash.as_ref()
    }

    pub fn previous_refresh_token_hash(&self) -> Option<&TokenHash> {
        self.record.previous_refresh_token_hash.as_ref()
    }

    pub fn refresh_rotated_at(&self) -> Option<DateTime<Utc>> {
        self.record.refresh_rotated_at
    }

    /// When the user last authenticated on this session (login or step-up).
    pub fn auth_time(&self) -> DateTime<Utc> {
        self.record.auth_time
    }

    pub fn aal(&self) -> Aal {
        self.record.aal
    }

    pub fn amr(&self) -> &AuthMethods {
        &self.record.amr
    }

    pub fn step_up_required(&self) -> bool {
        self.record.step_up_required
    }

    pub fn suspicious_step_up_at_count(&self) -> Option<u32> {
        self.record.suspicious_step_up_at_count
    }

    pub fn max_auth_age_secs(&self) -> Option<u32> {
        self.record.max_auth_age_secs
    }

    /// How its user authenticated, as downstream APIs are told.
    pub fn assurance(&self) -> SessionAssurance {
        SessionAssurance {
            auth_time: self.record.auth_time,
            aal: self.record.aal,
            amr: self.record.amr.clone(),
            step_up_required: self.record.step_up_required,
            max_auth_age_secs: self.record.max_auth_age_secs,
            is_trusted: self.record.is_trusted,
            trusted_until: self.record.trusted_until,
        }
    }

    /// When the session goes idle without further activity, on tiers with an idle timeout.
    pub fn idle_expires_at(&self) -> Option<DateTime<Utc>> {
        self.idle_deadline()
    }

    /// The address of the latest recorded activity (the login's until then).
    pub fn last_ip_address(&self) -> Option<IpAddr> {
        self.record.last_ip_address
    }

    pub fn suspicious_activity_count(&self) -> u32 {
        self.record.suspicious_activity_count
    }

    pub fn last_provider_accessed(&self) -> Option<&ProviderName> {
        self.record.last_provider_accessed.as_ref()
    }

    pub fn last_provider_sync_at(&self) -> Option<DateTime<Utc>> {
        self.record.last_provider_sync_at
    }

    /// Every provider accessed, in first-access order, without duplicates.
    pub fn providers_accessed(&self) -> &[ProviderName] {
        &self.record.providers_accessed
    }

    /// The user agent of the latest recorded activity, only while it differs from the login's.
    pub fn last_user_agent(&self) -> Option<&str> {
        self.record.last_user_agent.as_deref()
    }

    /// Country of the latest located request: the baseline of the next country check.
    pub fn last_country_code(&self) -> Option<&str> {
        self.record.last_country_code.as_deref()
    }

    /// Coordinates of the latest located request with coordinates, and when it was made: the
    /// baseline of the next impossible-travel check.
    pub fn last_fix(&self) -> Option<Fix> {
        self.record.last_fix
    }

    /// The suspicious-activity count at which this session is revoked; `None`: record only.
    pub fn suspicious_revoke_at_count(&self) -> Option<u32> {
        self.record.suspicious_revoke_at_count
    }

    pub fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        if self.record.revocation.is_some() {
            SessionStatus::Revoked
        } else if now >= self.record.expires_at {
            SessionStatus::Expired
        } else if self.idle_deadline().is_some_and(|deadline| now >= deadline) {
            SessionStatus::IdleExpired
        } else {
            SessionStatus::Active
        }
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.status(now) == SessionStatus::Active
    }

    /// How the session ended as of `now`; `None` while it is active.
    pub fn end(&self, now: DateTime<Utc>) -> Option<SessionEnd<'_>> {
        if let Some(revocation) = &self.record.revocation {
            let state = match revocation.reason {
                RevocationReason::Logout => EndState::Logout,
                RevocationReason::SessionLimitExceeded => EndState::Evicted,
                _ => EndState::Revoked,
            };
            return Some(SessionEnd {
                state,
                at: revocation.at,
                revocation: Some(revocation),
            });
        }
        let (state, at) = match self.status(now) {
            SessionStatus::Expired => (EndState::Expired, self.record.expires_at),
            SessionStatus::IdleExpired => (EndState::IdleExpired, self.idle_deadline()?),
            SessionStatus::Active | SessionStatus::Revoked => return None,
        };
        Some(SessionEnd {
            state,
            at,
            revocation: None,
        })
    }

    pub fn is_revoked(&self) -> bool {
        self.record.revocation.is_some()
    }

    fn idle_deadline(&self) -> Option<DateTime<Utc>> {
        self.record
            .idle_timeout_secs
            .map(|secs| self.record.last_activity_at + Duration::seconds(i64::from(secs)))
    }

    /// Revokes the session. Expired sessions can be revoked; revoked ones cannot, so the first
    /// revocation's time, reason and actor are never overwritten.
    pub fn revoke(&mut self, revocation: Revocation) -> Result<(), SessionError> {
        if self.record.revocation.is_some() {
            return Err(SessionError::SessionAlreadyRevoked);
        }
        self.record.revocation = Some(revocation);
        Ok(())
    }

    /// Records a request seen on this session, from `ip` when known.
    pub fn record_activity(&mut self, now: DateTime<Utc>, ip: Option<IpAddr>) -> ActivityChange {
        let record = &mut self.record;
        record.last_activity_at = record.last_activity_at.max(now);
        let ip_changed = match ip {
            Some(ip) if record.last_ip_address != Some(ip) => {
                record.last_ip_address = Some(ip);
                true
            }
            _ => false,
        };
        ActivityChange { ip_changed }
    }

    /// The user agent the next report is compared with: the latest recorded one, else the
    /// login's.
    pub fn current_user_agent(&self) -> Option<&str> {
        self.record
            .last_user_agent
            .as_deref()
            .or(self.record.user_agent.as_deref())
    }

    /// Remembers the user agent of a recorded report; returns whether it differs from the
    /// current one (an unknown current one counts as no change: there is nothing to differ from).
    pub fn record_user_agent(&mut self, user_agent: &str) -> bool {
        let changed = self.current_user_agent().is_some_and(|ua| ua != user_agent);
        self.record.last_user_agent =
            (self.record.user_agent.as_deref() != Some(user_agent)).then(|| user_agent.to_owned());
        changed
    }

    /// Remembers where a located request came from: its country, and its coordinates with the
    /// time when known. Unknown parts keep the previous values, the last known ones.
    pub fn record_location(
        &mut self,
        country_code: Option<&str>,
        coordinates: Option<Coordinates>,
        at: DateTime<Utc>,
    ) {
        if let Some(cc) = country_code {
            self.record.last_country_code = Some(cc.to_owned());
        }
        if let Some(coordinates) = coordinates {
            self.record.last_fix = Some(Fix { coordinates, at });
        }
    }

    /// Records an access to a data provider: last one and time, plus the ordered set of all.
    pub fn record_provider_access(&mut self, now: DateTime<Utc>, provider: ProviderName) {
        let record = &mut self.record;
        if !record.providers_accessed.contains(&provider)
            && record.providers_accessed.len() < MAX_PROVIDERS_PER_SESSION
        {
            record.providers_accessed.push(provider.clone());
        }
        record.last_provider_accessed = Some(provider);
        record.last_provider_sync_at = Some(now);
    }

    /// Counts one more anomaly on this session and returns the new count.
    pub fn record_suspicious_activity(&mut self) -> u32 {
        let count = self.record.suspicious_activity_count.saturating_add(1);
        self.record.suspicious_activity_count = count;
        count
    }

    /// Marks the device trusted; returns whether anything changed.
    pub fn mark_trusted(&mut self) -> bool {
        !std::mem::replace(&mut self.record.is_trusted, true)
    }

    /// Makes `next` the current link of the refresh-token chain, the current one its previous.
    /// A revoked session's chain is over.
    pub fn rotate_refresh_token(
        &mut self,
        next: TokenHash,
        now: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        if self.is_revoked() {
            return Err(SessionError::SessionInactive {
                status: SessionStatus::Revoked,
            });
        }
        self.record.previous_refresh_token_hash = self.record.refresh_token_hash.take();
        self.record.refresh_token_hash = Some(next);
        self.record.refresh_rotated_at = Some(now);
        Ok(())
    }

    /// A refresh's happy path: rotate to `next` and record the request as activity (from the
    /// session's last address). What a store's one-write rotation must do
    /// (`ports::FastRotation`).
    pub fn refreshed(&mut self, next: TokenHash, now: DateTime<Utc>) -> Result<(), SessionError> {
        self.rotate_refresh_token(next, now)?;
        self.record_activity(now, None);
        Ok(())
    }

    /// Which link of the chain a presented refresh token id is, asking to rotate to `next`.
    pub fn refresh_link(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> RefreshLink {
        let record = &self.record;
        match &record.refresh_token_hash {
            None => RefreshLink::Unlinked,
            Some(current) if current == presented => RefreshLink::Current,
            Some(current) => {
                let is_previous = record.previous_refresh_token_hash.as_ref() == Some(presented);
                let within_grace = record
                    .refresh_rotated_at
                    .is_some_and(|at| now - at <= grace);
                if is_previous && within_grace && current == next {
                    RefreshLink::RetryOfLostAnswer
                } else {
                    RefreshLink::Reused {
                        previous: is_previous,
                    }
                }
            }
        }
    }

    /// The user authenticated again: the level and methods rise (never fall), the
    /// authentication time is now, and a pending step-up is satisfied.
    pub fn step_up(
        &mut self,
        aal: Aal,
        amr: &AuthMethods,
        now: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        let status = self.status(now);
        if status != SessionStatus::Active {
            return Err(SessionError::SessionInactive { status });
        }
        let record = &mut self.record;
        record.aal = record.aal.max(aal);
        record.amr.extend(amr.iter().copied());
        record.auth_time = now;
        record.step_up_required = false;
        Ok(())
    }

    /// The risk response asks for a step-up; returns whether it was not asked already.
    pub fn require_step_up(&mut self) -> bool {
        !std::mem::replace(&mut self.record.step_up_required, true)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
    }

    fn session(idle: Option<u32>) -> Session {
        Session::new(NewSession {
            id: SessionId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_str("alice").unwrap(),
            device_info: Some("Chrome on macOS".into()),
            user_agent: None,
            ip_address: "203.0.113.7".parse().ok(),
            location: None,
            now: t0(),
            expires_at: t0() + Duration::days(30),
            idle_timeout_secs: idle,
            refresh_token_id: None,
            device_type: None,
            country_code: None,
            coordinates: None,
            suspicious_revoke_at_count: None,
            suspicious_step_up_at_count: None,
            max_auth_age_secs: None,
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
        })
    }

    fn revocation(reason: RevocationReason) -> Revocation {
        Revocation {
            at: t0(),
            reason,
            by: Actor::System,
            note: None,
        }
    }

    #[test]
    fn a_session_ends_by_sign_out_eviction_revocation_expiry_or_idleness() {
        let states = |reason| {
            let mut s = session(None);
            s.revoke(revocation(reason)).unwrap();
            s.end(t0())
                .map(|end| (end.state, end.at, end.revocation.map(|r| r.reason)))
        };
        assert_eq!(
            states(RevocationReason::Logout),
            Some((EndState::Logout, t0(), Some(RevocationReason::Logout)))
        );
        assert_eq!(
            states(RevocationReason::SessionLimitExceeded),
            Some((
                EndState::Evicted,
                t0(),
                Some(RevocationReason::SessionLimitExceeded)
            ))
        );
        assert_eq!(
            states(RevocationReason::PasswordChanged),
            Some((
                EndState::Revoked,
                t0(),
                Some(RevocationReason::PasswordChanged)
            ))
        );
        let live = session(None);
        assert!(live.end(t0()).is_none());
        let expiry = t0() + Duration::days(30);
        let expired = live.end(expiry).map(|end| (end.state, end.at));
        assert_eq!(expired, Some((EndState::Expired, expiry)));
        let quiet = session(Some(600));
        let idle = quiet
            .end(t0() + Duration::hours(1))
            .map(|end| (end.state, end.at));
        assert_eq!(
            idle,
            Some((EndState::IdleExpired, t0() + Duration::seconds(600)))
        );
    }

    #[test]
    fn new_session_is_active() {
        let s = session(None);
        assert_eq!(s.status(t0()), SessionStatus::Active);
        assert_eq!(s.last_ip_address(), s.ip_address());
        assert_eq!(s.suspicious_activity_count(), 0);
        assert!(!s.is_trusted());
    }

    #[test]
    fn revoked_session_is_inactive_and_keeps_reason() {
        let mut s = session(None);
        s.revoke(revocation(RevocationReason::Logout)).unwrap();
        assert_eq!(s.status(t0()), SessionStatus::Revoked);
        let r = s.revocation().map(|r| (r.at, r.reason));
        assert_eq!(r, Some((t0(), RevocationReason::Logout)));
    }

    #[test]
    fn revoking_twice_is_refused_and_keeps_first_reason() {
        let mut s = session(None);
        s.revoke(revocation(RevocationReason::Logout)).unwrap();
        let second = s.revoke(revocation(RevocationReason::AdminAction));
        assert!(matches!(second, Err(SessionError::SessionAlreadyRevoked)));
        assert_eq!(
            s.revocation().map(|r| r.reason),
            Some(RevocationReason::Logout)
        );
    }

    #[test]
    fn expired_session_is_inactive_and_can_still_be_revoked() {
        let mut s = session(None);
        let later = t0() + Duration::days(30);
        assert_eq!(s.status(later), SessionStatus::Expired);
        assert!(s.revoke(revocation(RevocationReason::Manual)).is_ok());
        assert_eq!(s.status(later), SessionStatus::Revoked);
    }

    #[test]
    fn idle_timeout_expires_a_quiet_session_and_activity_extends_it() {
        let mut s = session(Some(600));
        assert_eq!(
            s.status(t0() + Duration::seconds(599)),
            SessionStatus::Active
        );
        assert_eq!(
            s.status(t0() + Duration::seconds(600)),
            SessionStatus::IdleExpired
        );
        s.record_activity(t0() + Duration::seconds(500), None);
        assert_eq!(
            s.status(t0() + Duration::seconds(1000)),
            SessionStatus::Active
        );
    }

    #[test]
    fn activity_updates_timestamp_and_tracks_ip_change() {
        let mut s = session(None);
        let later = t0() + Duration::minutes(5);
        let same = s.record_activity(later, "203.0.113.7".parse().ok());
        assert!(!same.ip_changed);
        assert_eq!(s.last_activity_at(), later);
        let moved = s.record_activity(later, "198.51.100.1".parse().ok());
        assert!(moved.ip_changed);
        assert_eq!(s.last_ip_address(), "198.51.100.1".parse().ok());
        assert_eq!(
            s.ip_address(),
            "203.0.113.7".parse().ok(),
            "login IP is kept"
        );
    }

    #[test]
    fn provider_access_keeps_order_without_duplicates() {
        let mut s = session(None);
        for name in ["plaid", "yodlee", "plaid", "mx"] {
            s.record_provider_access(t0(), ProviderName::from_str(name).unwrap());
        }
        let names: Vec<&str> = s
            .providers_accessed()
            .iter()
            .map(ProviderName::as_str)
            .collect();
        assert_eq!(names, ["plaid", "yodlee", "mx"]);
        assert_eq!(
            s.last_provider_accessed().map(ProviderName::as_str),
            Some("mx")
        );
        assert_eq!(s.last_provider_sync_at(), Some(t0()));
    }

    #[test]
    fn suspicious_counter_accumulates() {
        let mut s = session(None);
        assert_eq!(s.record_suspicious_activity(), 1);
        assert_eq!(s.record_suspicious_activity(), 2);
        assert_eq!(s.suspicious_activity_count(), 2);
    }

    #[test]
    fn user_agent_changes_are_tracked_against_the_latest_one() {
        let mut record = session(None).to_record();
        record.user_agent = Some("UA-1".into());
        let mut s = Session::restore(record);
        assert!(!s.record_user_agent("UA-1"));
        assert_eq!(
            s.last_user_agent(),
            None,
            "same as the login's: not stored twice"
        );
        assert!(s.record_user_agent("UA-2"));
        assert_eq!(s.current_user_agent(), Some("UA-2"));
        assert!(!s.record_user_agent("UA-2"), "compared with the latest");
        assert!(s.record_user_agent("UA-1"));
        assert_eq!(s.last_user_agent(), None);
        assert_eq!(s.user_agent(), Some("UA-1"), "the login's is kept");

        let mut unknown = session(None);
        assert!(!unknown.record_user_agent("UA-9"), "nothing to differ from");
        assert_eq!(unknown.current_user_agent(), Some("UA-9"));
    }

    #[test]
    fn location_keeps_the_last_known_parts() {
        let mut s = session(None);
        let paris = Coordinates::new(48.85, 2.35);
        s.record_location(Some("FR"), paris, t0());
        s.record_location(None, None, t0() + Duration::hours(1));
        assert_eq!(s.last_country_code(), Some("FR"));
        assert_eq!(s.last_fix().map(|f| f.at), Some(t0()));
        s.record_location(Some("DE"), None, t0() + Duration::hours(2));
        assert_eq!(s.last_country_code(), Some("DE"));
        assert_eq!(s.last_fix().map(|f| f.coordinates), paris);
    }

    #[test]
    fn sessions_stored_before_detection_fields_still_decode() {
        let current = session(Some(60));
        let mut value = serde_json::to_value(&current).unwrap();
        let fields = value.as_object_mut().unwrap();
        for name in [
            "device_type",
            "last_user_agent",
            "last_country_code",
            "last_fix",
            "suspicious_revoke_at_count",
        ] {
            assert!(fields.remove(name).is_some(), "{name}");
        }
        let old: Session = serde_json::from_value(value).unwrap();
        assert_eq!(old, current, "absent fields decode to their defaults");
    }

    #[test]
    fn personal_data_is_cut_after_the_retention_from_the_end() {
        let mut record = session(None).to_record();
        record.user_agent = Some("UA-1".into());
        record.last_user_agent = Some("UA-2".into());
        record.last_ip_address = "2001:db8:aa:bb::1".parse().ok();
        record.last_fix = Some(Fix {
            coordinates: Coordinates::new(48.85, 2.35).unwrap(),
            at: t0(),
        });
        let mut s = Session::restore(record).kept_for(Retention::new(90, 30).unwrap());
        let expiry = t0() + Duration::days(30);
        assert_eq!(s.ended_at(), expiry, "never revoked: the absolute expiry");
        assert_eq!(s.history_until(), expiry + Duration::days(90));
        assert_eq!(s.personal_data_until(), expiry + Duration::days(30));
        assert!(!s.redact(s.personal_data_until() - Duration::seconds(1)));
        assert_eq!(s.user_agent(), Some("UA-1"), "not before its time");

        let revoked_at = t0() + Duration::days(2);
        s.revoke(Revocation::new(
            revoked_at,
            RevocationReason::Logout,
            Actor::System,
        ))
        .unwrap();
        assert_eq!(s.personal_data_until(), revoked_at + Duration::days(30));
        let due = revoked_at + Duration::days(30);
        assert!(s.redact(due));
        assert_eq!(s.ip_address(), "203.0.113.0".parse().ok());
        assert_eq!(s.last_ip_address(), "2001:db8:aa::".parse().ok());
        assert_eq!((s.user_agent(), s.last_user_agent()), (None, None));
        assert_eq!(s.last_fix(), None);
        assert_eq!(s.device_info(), Some("Chrome on macOS"));
        assert_eq!(s.revocation().map(|r| r.at), Some(revoked_at));
        let once = s.clone();
        assert!(!s.redact(due + Duration::days(1)), "idempotent");
        assert_eq!(s, once);
    }

    #[test]
    fn trust_flag_is_idempotent() {
        let mut s = session(None);
        assert!(s.mark_trusted());
        assert!(!s.mark_trusted());
        assert!(s.is_trusted());
    }

    #[test]
    fn revocation_reasons_round_trip_and_unknown_is_rejected() {
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(reason.as_str()), Some(reason));
            let json = serde_json::to_string(&reason).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
        }
        assert_eq!(RevocationReason::parse("because"), None);
    }
}
