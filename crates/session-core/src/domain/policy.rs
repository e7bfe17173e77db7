//! Session policy: tiers, limits, limit behaviour, lifetimes, suspicious-activity detection and
//! response. Loaded from JSON and validated once.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::retention::{InvalidRetention, MAX_HISTORY_DAYS, Retention};
use crate::ids::TierName;

/// The largest session limit a tier or a user's override may set: a limited tier's ledger holds
/// an entry per session (about 130 bytes), and every login rewrites it. Above this, a tier is
/// better unlimited, whose ledger holds none (docs/0017-flat-ledger.md).
pub const MAX_SESSIONS_LIMIT: u32 = 100;

/// What a login does when the user is at the limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBehaviour {
    /// Revoke the oldest created active sessions so the new one fits.
    #[default]
    EvictOldest,
    /// Refuse the login.
    Deny,
    /// Refuse the login with the active sessions listed, so the user picks one to end; the
    /// login sent again with `replace_session_id` ends it and signs in, in one commit
    /// (docs/0049).
    Ask,
}

/// Which sessions an evicting tier ends first at the limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvictionOrder {
    /// The oldest created first: the ledger alone decides, no session is read.
    #[default]
    OldestCreated,
    /// The least recently used first (Cognito's and Keycloak's order): the live sessions are
    /// read at the limit for their last activity.
    LeastRecentlyActive,
}

/// What a tier does about suspicious activity on a session.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspiciousResponse {
    /// Count it and emit the event; the session stays usable.
    #[default]
    Record,
    /// Also ask for a step-up once the count reaches `step_up_at_count` (the session is marked
    /// `step_up_required` until the user authenticates again), and revoke once it reaches
    /// `revoke_at_count` when that is set.
    StepUp,
    /// Also revoke the session once its count reaches `revoke_at_count`.
    Revoke,
}

/// Count at which a `revoke` tier revokes when it does not say.
pub const DEFAULT_REVOKE_AT_COUNT: u32 = 3;

/// Count at which a `step_up` tier asks for a step-up when it does not say.
pub const DEFAULT_STEP_UP_AT_COUNT: u32 = 1;

/// A tier's graduated response: `{"response": "record"}`,
/// `{"response": "step_up", "step_up_at_count": 1, "revoke_at_count": 3}` or
/// `{"response": "revoke", "revoke_at_count": 3}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspiciousPolicy {
    #[serde(default)]
    pub response: SuspiciousResponse,
    /// Only with `step_up`; [`DEFAULT_STEP_UP_AT_COUNT`] when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up_at_count: Option<u32>,
    /// With `revoke` ([`DEFAULT_REVOKE_AT_COUNT`] when omitted) or `step_up` (no revocation when
    /// omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_at_count: Option<u32>,
}

impl SuspiciousPolicy {
    /// The count at which a session is revoked; `None` when the tier never revokes.
    pub fn revoke_threshold(&self) -> Option<u32> {
        match self.response {
            SuspiciousResponse::Record => None,
            SuspiciousResponse::StepUp => self.revoke_at_count,
            SuspiciousResponse::Revoke => {
                Some(self.revoke_at_count.unwrap_or(DEFAULT_REVOKE_AT_COUNT))
            }
        }
    }

    /// The count at which a step-up is asked for; `None` when the tier never asks.
    pub fn step_up_threshold(&self) -> Option<u32> {
        match self.response {
            SuspiciousResponse::StepUp => {
                Some(self.step_up_at_count.unwrap_or(DEFAULT_STEP_UP_AT_COUNT))
            }
            SuspiciousResponse::Record | SuspiciousResponse::Revoke => None,
        }
    }
}

/// Which suspicious-activity signals are checked, service-wide; all on unless switched off.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SuspiciousSignals {
    /// The address differs from the session's last one.
    pub ip_change: bool,
    /// The located country differs from the last known one.
    pub country_change: bool,
    /// Reaching the new location from the last one needs more than `impossible_travel_kmh`.
    pub impossible_travel: bool,
    /// The user agent differs from the session's (last) one.
    pub user_agent_change: bool,
}

impl Default for SuspiciousSignals {
    fn default() -> Self {
        Self {
            ip_change: true,
            country_change: true,
            impossible_travel: true,
            user_agent_change: true,
        }
    }
}

/// Which sessions an account event of the auth service revokes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationScope {
    /// Every session created before the change.
    All,
    /// Every one but the session that made the change (when the event names one).
    Others,
    /// None: the event is only recorded.
    None,
}

/// What each credential event of the auth service revokes (docs/0014). Disabling, enabling and
/// deleting an account are not configurable: a disabled or deleted account keeps no session.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountEventsPolicy {
    #[serde(rename = "UserPasswordChangeSucceeded")]
    pub password_changed: RevocationScope,
    #[serde(rename = "PasswordResetConfirmSucceeded")]
    pub password_reset: RevocationScope,
    #[serde(rename = "UserEmailChanged")]
    pub email_changed: RevocationScope,
    #[serde(rename = "UserMfaChanged")]
    pub mfa_changed: RevocationScope,
    #[serde(rename = "UserAccountRecovered")]
    pub account_recovered: RevocationScope,
}

impl Default for AccountEventsPolicy {
    fn default() -> Self {
        Self {
            // The device that changed the password stays signed in; every other one was
            // signed in with the old password.
            password_changed: RevocationScope::Others,
            // A reset means the old password may be known to someone else: nothing survives.
            password_reset: RevocationScope::All,
            // A new address or second factor changes who can recover the account: sessions that
            // may belong to an attacker go, the device that made the change stays.
            email_changed: RevocationScope::Others,
            mfa_changed: RevocationScope::Others,
            // Recovery is the way back in after a takeover.
            account_recovered: RevocationScope::All,
        }
    }
}

/// When a login is announced as a new device sign-in (docs/0047, docs/0049):
/// `{"unseen_days": 90, "on_first_login": false}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeviceSignInPolicy {
    /// A login without a device id is new when its browser family, OS family and country were
    /// not seen together in this many days.
    #[serde(default = "NewDeviceSignInPolicy::default_unseen_days")]
    pub unseen_days: u32,
    /// Whether a user's very first login is announced too.
    #[serde(default)]
    pub on_first_login: bool,
}

/// The window of [`NewDeviceSignInPolicy::unseen_days`] when the configuration does not say.
pub const DEFAULT_UNSEEN_DAYS: u32 = 90;
/// A longer window than the longest session lifetime gains nothing.
const MAX_UNSEEN_DAYS: u32 = 400;

impl NewDeviceSignInPolicy {
    const fn default_unseen_days() -> u32 {
        DEFAULT_UNSEEN_DAYS
    }

    pub fn unseen_window(&self) -> Duration {
        Duration::days(i64::from(self.unseen_days))
    }
}

impl Default for NewDeviceSignInPolicy {
    fn default() -> Self {
        Self {
            unseen_days: DEFAULT_UNSEEN_DAYS,
            on_first_login: false,
        }
    }
}

/// One tier's rules.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPolicy {
    /// Most active sessions at once; `None` is unlimited.
    pub max_sessions: Option<u32>,
    #[serde(default)]
    pub on_limit: LimitBehaviour,
    /// Which sessions `evict_oldest` ends first (`oldest_created` unless set).
    #[serde(default)]
    pub eviction_order: EvictionOrder,
    /// A session unused for this long is no longer active; `None` disables idle expiry.
    #[serde(default)]
    pub idle_timeout_secs: Option<u32>,
    /// What suspicious activity does to a session of this tier (default: record only).
    #[serde(default)]
    pub suspicious: SuspiciousPolicy,
    /// The longest time since the user authenticated that this tier's sensitive routes accept
    /// (the authorizer tells downstream APIs); `None`: no limit.
    #[serde(default)]
    pub max_auth_age_secs: Option<u32>,
}

impl TierPolicy {
    const fn evicting(max_sessions: Option<u32>) -> Self {
        Self {
            max_sessions,
            on_limit: LimitBehaviour::EvictOldest,
            eviction_order: EvictionOrder::OldestCreated,
            idle_timeout_secs: None,
            suspicious: SuspiciousPolicy {
                response: SuspiciousResponse::Record,
                step_up_at_count: None,
                revoke_at_count: None,
            },
            max_auth_age_secs: None,
        }
    }
}

/// A user's stored policy: a tier and an optional override of its limit.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UserPolicy {
    pub tier: TierName,
    pub max_sessions: Option<u32>,
}

/// The rules that apply to one user right now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EffectiveLimit {
    pub max_sessions: Option<u32>,
    pub on_limit: LimitBehaviour,
    pub eviction_order: EvictionOrder,
    pub idle_timeout_secs: Option<u32>,
    /// Suspicious-activity count at which a session is revoked; `None`: never.
    pub suspicious_revoke_at_count: Option<u32>,
    /// Suspicious-activity count at which a step-up is asked for; `None`: never.
    pub suspicious_step_up_at_count: Option<u32>,
    pub max_auth_age_secs: Option<u32>,
}

/// Service-wide policy configuration. Valid by construction: the only ways to get one are
/// [`PolicyConfig::default`] and [`PolicyConfig::from_json`], which checks every rule, and its
/// fields are read through getters, so no invalid policy can reach the use cases.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct PolicyConfig {
    default_tier: TierName,
    tiers: BTreeMap<TierName, TierPolicy>,
    /// Absolute lifetime of a session (matches the refresh token's).
    session_lifetime_secs: u32,
    /// Activity is written at most this often per session unless the IP or user agent changed.
    activity_write_interval_secs: u32,
    /// The signals activity reports are checked for.
    suspicious_signals: SuspiciousSignals,
    /// Travel faster than this between two located reports is impossible travel.
    impossible_travel_kmh: u32,
    /// What the auth service's credential events revoke.
    account_events: AccountEventsPolicy,
    /// When a login is announced as a new device.
    new_device_sign_in: NewDeviceSignInPolicy,
    /// How long after a rotation the previous refresh token may still be presented, with the
    /// same next token, as the retry of a lost answer (docs/0015).
    refresh_grace_secs: u32,
    /// Days an ended session or a forgotten device is kept, counted from its end (docs/0050).
    history_days: u16,
    /// Days an ended session keeps its addresses and raw user agents (docs/0050).
    ip_retention_days: u16,
}

impl PolicyConfig {
    pub fn default_tier(&self) -> &TierName {
        &self.default_tier
    }

    pub fn tiers(&self) -> &BTreeMap<TierName, TierPolicy> {
        &self.tiers
    }

    pub fn session_lifetime_secs(&self) -> u32 {
        self.session_lifetime_secs
    }

    pub fn activity_write_interval_secs(&self) -> u32 {
        self.activity_write_interval_secs
    }

    pub fn suspicious_signals(&self) -> SuspiciousSignals {
        self.suspicious_signals
    }

    pub fn impossible_travel_kmh(&self) -> u32 {
        self.impossible_travel_kmh
    }

    pub fn account_events(&self) -> &AccountEventsPolicy {
        &self.account_events
    }

    pub fn new_device_sign_in(&self) -> NewDeviceSignInPolicy {
        self.new_device_sign_in
    }

    pub fn refresh_grace_secs(&self) -> u32 {
        self.refresh_grace_secs
    }

    pub fn history_days(&self) -> u16 {
        self.history_days
    }

    pub fn ip_retention_days(&self) -> u16 {
        self.ip_retention_days
    }

    /// Both retention periods, as a login copies them onto its session.
    pub fn retention(&self) -> Retention {
        // Checked by `validate`; the default is the only other way to build a config.
        Retention::new(self.history_days, self.ip_retention_days).unwrap_or_default()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("policy JSON is invalid: {0}")]
    Json(String),
    #[error("default tier `{0}` is not defined in `tiers`")]
    UnknownDefaultTier(String),
    #[error("tier `{0}`: max_sessions must be at least 1 (omit it for unlimited)")]
    ZeroLimit(String),
    #[error("tier `{0}`: idle_timeout_secs must be at least activity_write_interval_secs")]
    IdleShorterThanActivityInterval(String),
    #[error("session_lifetime_secs must be between 60 and 34560000 (400 days)")]
    LifetimeOutOfRange,
    #[error("tier `{0}`: suspicious.revoke_at_count must be at least 1")]
    ZeroRevokeCount(String),
    #[error("tier `{0}`: suspicious.revoke_at_count needs suspicious.response `revoke`")]
    RevokeCountWithoutRevoke(String),
    #[error(
        "impossible_travel_kmh must be between {MIN_TRAVEL_KMH} and {MAX_TRAVEL_KMH}; \
         switch the signal off in suspicious_signals instead"
    )]
    TravelSpeedOutOfRange,
    #[error(
        "tier `{0}`: max_sessions must be at most {MAX_SESSIONS_LIMIT} (omit it for unlimited)"
    )]
    LimitTooHigh(String),
    #[error("tier `{0}`: suspicious.step_up_at_count must be at least 1")]
    ZeroStepUpCount(String),
    #[error("tier `{0}`: suspicious.step_up_at_count needs suspicious.response `step_up`")]
    StepUpCountWithoutStepUp(String),
    #[error("tier `{0}`: suspicious.revoke_at_count must be above step_up_at_count")]
    RevokeBeforeStepUp(String),
    #[error("tier `{0}`: eviction_order needs on_limit `evict_oldest`")]
    EvictionOrderWithoutEviction(String),
    #[error("new_device_sign_in.unseen_days must be between 1 and {MAX_UNSEEN_DAYS}")]
    UnseenDaysOutOfRange,
    #[error("refresh_grace_secs must be at most {MAX_REFRESH_GRACE_SECS}")]
    RefreshGraceTooLong,
    #[error("history_days must be between 1 and {MAX_HISTORY_DAYS}")]
    HistoryDaysOutOfRange,
    #[error("ip_retention_days must be at least 1 and at most history_days")]
    IpRetentionOutOfRange,
}

/// The JSON shape of the configuration: every field optional, tiers merged over the defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyOverrides {
    default_tier: Option<TierName>,
    #[serde(default)]
    tiers: BTreeMap<TierName, TierPolicy>,
    session_lifetime_secs: Option<u32>,
    activity_write_interval_secs: Option<u32>,
    suspicious_signals: Option<SuspiciousSignals>,
    impossible_travel_kmh: Option<u32>,
    account_events: Option<AccountEventsPolicy>,
    new_device_sign_in: Option<NewDeviceSignInPolicy>,
    refresh_grace_secs: Option<u32>,
    history_days: Option<u16>,
    ip_retention_days: Option<u16>,
}

const THIRTY_DAYS_SECS: u32 = 30 * 24 * 3600;
/// Long enough for a client's retry of a lost answer, short enough that a stolen previous token
/// is useless almost at once.
pub const DEFAULT_REFRESH_GRACE_SECS: u32 = 30;
/// A grace window longer than this would keep a replaced token usable.
const MAX_REFRESH_GRACE_SECS: u32 = 300;
const MAX_LIFETIME_SECS: u32 = 400 * 24 * 3600;
/// Faster than a passenger jet (about 900 km/h), so a flight between two logins is not flagged.
pub const DEFAULT_IMPOSSIBLE_TRAVEL_KMH: u32 = 1000;
/// Slower and ordinary road travel between cities would count as impossible.
const MIN_TRAVEL_KMH: u32 = 100;
/// Faster than anything carrying people (the ISS does 28,000): the signal could never fire.
const MAX_TRAVEL_KMH: u32 = 40_000;

fn tier(name: &str) -> TierName {
    // The default tier names are valid by construction: lowercase ASCII.
    TierName::try_from(name.to_owned()).unwrap_or_else(|_| unreachable!("static tier name"))
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let tiers = [
            ("pro", None),
            ("premium", Some(10)),
            ("plus", Some(5)),
            ("essential", Some(3)),
            ("basic", Some(2)),
        ]
        .into_iter()
        .map(|(name, max)| (tier(name), TierPolicy::evicting(max)))
        .collect();
        Self {
            default_tier: tier("basic"),
            tiers,
            session_lifetime_secs: THIRTY_DAYS_SECS,
            activity_write_interval_secs: 300,
            suspicious_signals: SuspiciousSignals::default(),
            impossible_travel_kmh: DEFAULT_IMPOSSIBLE_TRAVEL_KMH,
            account_events: AccountEventsPolicy::default(),
            new_device_sign_in: NewDeviceSignInPolicy::default(),
            refresh_grace_secs: DEFAULT_REFRESH_GRACE_SECS,
            history_days: Retention::default().history_days(),
            ip_retention_days: Retention::default().ip_retention_days(),
        }
    }
}

impl PolicyConfig {
    /// Parses configuration JSON; every field is optional and `tiers` entries replace or add to
    /// the default tiers by name.
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let overrides: PolicyOverrides =
            serde_json::from_str(json).map_err(|e| PolicyError::Json(e.to_string()))?;
        let mut config = Self::default();
        config.tiers.extend(overrides.tiers);
        if let Some(default_tier) = overrides.default_tier {
            config.default_tier = default_tier;
        }
        if let Some(secs) = overrides.session_lifetime_secs {
            config.session_lifetime_secs = secs;
        }
        if let Some(secs) = overrides.activity_write_interval_secs {
            config.activity_write_interval_secs = secs;
        }
        if let Some(signals) = overrides.suspicious_signals {
            config.suspicious_signals = signals;
        }
        if let Some(kmh) = overrides.impossible_travel_kmh {
            config.impossible_travel_kmh = kmh;
        }
        if let Some(account_events) = overrides.account_events {
            config.account_events = account_events;
        }
        if let Some(new_device) = overrides.new_device_sign_in {
            config.new_device_sign_in = new_device;
        }
        if let Some(secs) = overrides.refresh_grace_secs {
            config.refresh_grace_secs = secs;
        }
        if let Some(days) = overrides.history_days {
            config.history_days = days;
        }
        if let Some(days) = overrides.ip_retention_days {
            config.ip_retention_days = days;
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        if !self.tiers.contains_key(&self.default_tier) {
            return Err(PolicyError::UnknownDefaultTier(
                self.default_tier.to_string(),
            ));
        }
        if !(60..=MAX_LIFETIME_SECS).contains(&self.session_lifetime_secs) {
            return Err(PolicyError::LifetimeOutOfRange);
        }
        if !(MIN_TRAVEL_KMH..=MAX_TRAVEL_KMH).contains(&self.impossible_travel_kmh) {
            return Err(PolicyError::TravelSpeedOutOfRange);
        }
        if !(1..=MAX_UNSEEN_DAYS).contains(&self.new_device_sign_in.unseen_days) {
            return Err(PolicyError::UnseenDaysOutOfRange);
        }
        if self.refresh_grace_secs > MAX_REFRESH_GRACE_SECS {
            return Err(PolicyError::RefreshGraceTooLong);
        }
        match Retention::new(self.history_days, self.ip_retention_days) {
            Ok(_) => {}
            Err(InvalidRetention::History) => return Err(PolicyError::HistoryDaysOutOfRange),
            Err(InvalidRetention::IpRetention) => return Err(PolicyError::IpRetentionOutOfRange),
        }
        for (name, tier) in &self.tiers {
            let suspicious = &tier.suspicious;
            match (suspicious.response, suspicious.revoke_at_count) {
                (_, Some(0)) => return Err(PolicyError::ZeroRevokeCount(name.to_string())),
                (SuspiciousResponse::Record, Some(_)) => {
                    return Err(PolicyError::RevokeCountWithoutRevoke(name.to_string()));
                }
                _ => {}
            }
            match (suspicious.response, suspicious.step_up_at_count) {
                (_, Some(0)) => return Err(PolicyError::ZeroStepUpCount(name.to_string())),
                (SuspiciousResponse::Record | SuspiciousResponse::Revoke, Some(_)) => {
                    return Err(PolicyError::StepUpCountWithoutStepUp(name.to_string()));
                }
                _ => {}
            }
            if let (Some(step_up), Some(revoke)) = (
                suspicious.step_up_threshold(),
                suspicious.revoke_threshold(),
            ) && revoke <= step_up
            {
                return Err(PolicyError::RevokeBeforeStepUp(name.to_string()));
            }
            if tier.eviction_order != EvictionOrder::OldestCreated
                && tier.on_limit != LimitBehaviour::EvictOldest
            {
                return Err(PolicyError::EvictionOrderWithoutEviction(name.to_string()));
            }
            if tier.max_sessions == Some(0) {
                return Err(PolicyError::ZeroLimit(name.to_string()));
            }
            if tier
                .max_sessions
                .is_some_and(|max| max > MAX_SESSIONS_LIMIT)
            {
                return Err(PolicyError::LimitTooHigh(name.to_string()));
            }
            if tier
                .idle_timeout_secs
                .is_some_and(|idle| idle < self.activity_write_interval_secs)
            {
                return Err(PolicyError::IdleShorterThanActivityInterval(
                    name.to_string(),
                ));
            }
        }
        Ok(())
    }

    pub fn has_tier(&self, tier: &TierName) -> bool {
        self.tiers.contains_key(tier)
    }

    pub fn session_lifetime(&self) -> Duration {
        Duration::seconds(i64::from(self.session_lifetime_secs))
    }

    pub fn refresh_grace(&self) -> Duration {
        Duration::seconds(i64::from(self.refresh_grace_secs))
    }

    pub fn activity_write_interval(&self) -> Duration {
        Duration::seconds(i64::from(self.activity_write_interval_secs))
    }

    /// The policy of a user without a stored record of their own.
    pub fn default_user_policy(&self) -> UserPolicy {
        UserPolicy {
            tier: self.default_tier.clone(),
            max_sessions: None,
        }
    }

    /// The rules for `user`: the override wins over the tier's limit; a tier that is no longer
    /// configured falls back to the default tier.
    pub fn effective(&self, user: &UserPolicy) -> EffectiveLimit {
        let tier = self
            .tiers
            .get(&user.tier)
            .or_else(|| self.tiers.get(&self.default_tier));
        let Some(tier) = tier else {
            return EffectiveLimit {
                max_sessions: user.max_sessions.or(Some(2)),
                on_limit: LimitBehaviour::EvictOldest,
                eviction_order: EvictionOrder::OldestCreated,
                idle_timeout_secs: None,
                suspicious_revoke_at_count: None,
                suspicious_step_up_at_count: None,
                max_auth_age_secs: None,
            };
        };
        EffectiveLimit {
            max_sessions: user.max_sessions.or(tier.max_sessions),
            on_limit: tier.on_limit,
            eviction_order: tier.eviction_order,
            idle_timeout_secs: tier.idle_timeout_secs,
            suspicious_revoke_at_count: tier.suspicious.revoke_threshold(),
            suspicious_step_up_at_count: tier.suspicious.step_up_threshold(),
            max_auth_age_secs: tier.max_auth_age_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn user(tier: &str, max: Option<u32>) -> UserPolicy {
        UserPolicy {
            tier: TierName::from_str(tier).unwrap(),
            max_sessions: max,
        }
    }

    #[test]
    fn default_tiers_have_the_reference_limits() {
        let config = PolicyConfig::default();
        let limits: Vec<Option<u32>> = ["pro", "premium", "plus", "essential", "basic"]
            .iter()
            .map(|t| config.effective(&user(t, None)).max_sessions)
            .collect();
        assert_eq!(limits, [None, Some(10), Some(5), Some(3), Some(2)]);
        assert_eq!(config.default_tier.as_str(), "basic");
        assert_eq!(config.session_lifetime_secs, 30 * 24 * 3600);
    }

    #[test]
    fn override_beats_tier() {
        let config = PolicyConfig::default();
        assert_eq!(
            config.effective(&user("basic", Some(7))).max_sessions,
            Some(7)
        );
        assert_eq!(
            config.effective(&user("pro", Some(1))).max_sessions,
            Some(1)
        );
    }

    #[test]
    fn unknown_stored_tier_falls_back_to_default_tier() {
        let config = PolicyConfig::default();
        assert_eq!(config.effective(&user("gold", None)).max_sessions, Some(2));
    }

    #[test]
    fn json_merges_tiers_over_defaults() {
        let config = PolicyConfig::from_json(
            r#"{"tiers":{"basic":{"max_sessions":4,"on_limit":"deny","idle_timeout_secs":3600}},
                "session_lifetime_secs":86400}"#,
        )
        .unwrap();
        let basic = config.effective(&user("basic", None));
        assert_eq!(basic.max_sessions, Some(4));
        assert_eq!(basic.on_limit, LimitBehaviour::Deny);
        assert_eq!(basic.idle_timeout_secs, Some(3600));
        assert_eq!(config.effective(&user("plus", None)).max_sessions, Some(5));
        assert_eq!(config.session_lifetime_secs, 86400);
    }

    #[test]
    fn tiers_choose_the_eviction_order_and_asking_at_the_limit() {
        let config = PolicyConfig::from_json(
            r#"{"tiers":{"basic":{"max_sessions":2,"eviction_order":"least_recently_active"},
                         "plus":{"max_sessions":5,"on_limit":"ask"}}}"#,
        )
        .unwrap();
        let basic = config.effective(&user("basic", None));
        assert_eq!(basic.on_limit, LimitBehaviour::EvictOldest);
        assert_eq!(basic.eviction_order, EvictionOrder::LeastRecentlyActive);
        let plus = config.effective(&user("plus", None));
        assert_eq!(plus.on_limit, LimitBehaviour::Ask);
        assert_eq!(plus.eviction_order, EvictionOrder::OldestCreated);
    }

    #[test]
    fn invalid_configuration_is_rejected() {
        let cases = [
            (
                r#"{"default_tier":"gold"}"#,
                PolicyError::UnknownDefaultTier("gold".into()),
            ),
            (
                r#"{"tiers":{"x":{"max_sessions":0}}}"#,
                PolicyError::ZeroLimit("x".into()),
            ),
            (
                r#"{"session_lifetime_secs":1}"#,
                PolicyError::LifetimeOutOfRange,
            ),
            (
                r#"{"tiers":{"x":{"max_sessions":1,"idle_timeout_secs":10}}}"#,
                PolicyError::IdleShorterThanActivityInterval("x".into()),
            ),
            (
                r#"{"new_device_sign_in":{"unseen_days":0}}"#,
                PolicyError::UnseenDaysOutOfRange,
            ),
            (
                r#"{"tiers":{"x":{"max_sessions":1,"on_limit":"ask","eviction_order":"least_recently_active"}}}"#,
                PolicyError::EvictionOrderWithoutEviction("x".into()),
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(PolicyConfig::from_json(json), Err(expected), "{json}");
        }
        assert!(matches!(
            PolicyConfig::from_json(r#"{"tierz":{}}"#),
            Err(PolicyError::Json(_))
        ));
        assert!(matches!(
            PolicyConfig::from_json(r#"{"tiers":{"x":{"max_sessions":1,"colour":"red"}}}"#),
            Err(PolicyError::Json(_))
        ));
    }

    #[test]
    fn retention_defaults_to_90_and_30_days_and_is_checked() {
        let config = PolicyConfig::default();
        assert_eq!(
            (config.history_days(), config.ip_retention_days()),
            (90, 30)
        );
        let custom = PolicyConfig::from_json(r#"{"history_days":365,"ip_retention_days":7}"#)
            .expect("valid");
        assert_eq!(custom.retention(), Retention::new(365, 7).expect("valid"));
        let cases = [
            (r#"{"history_days":0}"#, PolicyError::HistoryDaysOutOfRange),
            (
                r#"{"history_days":3651}"#,
                PolicyError::HistoryDaysOutOfRange,
            ),
            (
                r#"{"ip_retention_days":0}"#,
                PolicyError::IpRetentionOutOfRange,
            ),
            (r#"{"history_days":20}"#, PolicyError::IpRetentionOutOfRange),
            (
                r#"{"history_days":60,"ip_retention_days":61}"#,
                PolicyError::IpRetentionOutOfRange,
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(PolicyConfig::from_json(json), Err(expected), "{json}");
        }
        assert!(matches!(
            PolicyConfig::from_json(r#"{"history_days":-1}"#),
            Err(PolicyError::Json(_))
        ));
    }

    #[test]
    fn suspicious_activity_defaults_to_every_signal_and_record_only() {
        let config = PolicyConfig::default();
        assert_eq!(config.suspicious_signals, SuspiciousSignals::default());
        let s = config.suspicious_signals;
        assert!(s.ip_change && s.country_change && s.impossible_travel && s.user_agent_change);
        assert_eq!(config.impossible_travel_kmh, 1000);
        for tier in config.tiers.values() {
            assert_eq!(tier.suspicious.revoke_threshold(), None);
        }
        assert_eq!(
            config
                .effective(&user("basic", None))
                .suspicious_revoke_at_count,
            None
        );
    }

    #[test]
    fn suspicious_response_and_signals_are_read_from_json() {
        let config = PolicyConfig::from_json(
            r#"{"tiers":{
                  "basic":{"max_sessions":2,"suspicious":{"response":"revoke","revoke_at_count":5}},
                  "plus":{"max_sessions":5,"suspicious":{"response":"revoke"}},
                  "pro":{"max_sessions":null,"suspicious":{"response":"record"}}},
                "suspicious_signals":{"ip_change":false},
                "impossible_travel_kmh":900}"#,
        )
        .unwrap();
        let revoke_at = |tier: &str| {
            config
                .effective(&user(tier, None))
                .suspicious_revoke_at_count
        };
        assert_eq!(revoke_at("basic"), Some(5));
        assert_eq!(revoke_at("plus"), Some(DEFAULT_REVOKE_AT_COUNT));
        assert_eq!(revoke_at("pro"), None);
        assert_eq!(revoke_at("premium"), None, "untouched tiers record only");
        let signals = config.suspicious_signals;
        assert!(!signals.ip_change, "switched off");
        assert!(signals.country_change && signals.impossible_travel && signals.user_agent_change);
        assert_eq!(config.impossible_travel_kmh, 900);
    }

    #[test]
    fn invalid_suspicious_configuration_is_rejected() {
        let cases = [
            (
                r#"{"tiers":{"x":{"max_sessions":1,"suspicious":{"response":"revoke","revoke_at_count":0}}}}"#,
                PolicyError::ZeroRevokeCount("x".into()),
            ),
            (
                r#"{"tiers":{"x":{"max_sessions":1,"suspicious":{"revoke_at_count":2}}}}"#,
                PolicyError::RevokeCountWithoutRevoke("x".into()),
            ),
            (
                r#"{"impossible_travel_kmh":0}"#,
                PolicyError::TravelSpeedOutOfRange,
            ),
            (
                r#"{"impossible_travel_kmh":99}"#,
                PolicyError::TravelSpeedOutOfRange,
            ),
            (
                r#"{"impossible_travel_kmh":40001}"#,
                PolicyError::TravelSpeedOutOfRange,
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(PolicyConfig::from_json(json), Err(expected), "{json}");
        }
        for json in [
            r#"{"tiers":{"x":{"max_sessions":1,"suspicious":{"response":"block"}}}}"#,
            r#"{"tiers":{"x":{"max_sessions":1,"suspicious":{"response":"revoke","at":2}}}}"#,
            r#"{"suspicious_signals":{"ip_changes":false}}"#,
            r#"{"suspicious_signals":{"ip_change":"no"}}"#,
        ] {
            assert!(
                matches!(PolicyConfig::from_json(json), Err(PolicyError::Json(_))),
                "{json}"
            );
        }
        assert!(PolicyConfig::from_json(r#"{"impossible_travel_kmh":100}"#).is_ok());
        assert!(PolicyConfig::from_json(r#"{"impossible_travel_kmh":40000}"#).is_ok());
    }
}
