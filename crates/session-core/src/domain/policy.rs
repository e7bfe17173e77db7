//! Session policy: tiers, limits, limit behaviour, lifetimes. Loaded from JSON and validated once.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::TierName;

/// What a login does when the user is at the limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBehaviour {
    /// Revoke the oldest created active sessions so the new one fits.
    #[default]
    EvictOldest,
    /// Refuse the login.
    Deny,
}

/// One tier's rules.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPolicy {
    /// Most active sessions at once; `None` is unlimited.
    pub max_sessions: Option<u32>,
    #[serde(default)]
    pub on_limit: LimitBehaviour,
    /// A session unused for this long is no longer active; `None` disables idle expiry.
    #[serde(default)]
    pub idle_timeout_secs: Option<u32>,
}

impl TierPolicy {
    const fn evicting(max_sessions: Option<u32>) -> Self {
        Self {
            max_sessions,
            on_limit: LimitBehaviour::EvictOldest,
            idle_timeout_secs: None,
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
    pub idle_timeout_secs: Option<u32>,
}

/// Service-wide policy configuration.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    pub default_tier: TierName,
    pub tiers: BTreeMap<TierName, TierPolicy>,
    /// Absolute lifetime of a session (matches the refresh token's).
    pub session_lifetime_secs: u32,
    /// Activity is written at most this often per session unless the IP changed.
    pub activity_write_interval_secs: u32,
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
}

const THIRTY_DAYS_SECS: u32 = 30 * 24 * 3600;
const MAX_LIFETIME_SECS: u32 = 400 * 24 * 3600;

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
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        if !self.tiers.contains_key(&self.default_tier) {
            return Err(PolicyError::UnknownDefaultTier(
                self.default_tier.to_string(),
            ));
        }
        if !(60..=MAX_LIFETIME_SECS).contains(&self.session_lifetime_secs) {
            return Err(PolicyError::LifetimeOutOfRange);
        }
        for (name, tier) in &self.tiers {
            if tier.max_sessions == Some(0) {
                return Err(PolicyError::ZeroLimit(name.to_string()));
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
        let (tier_max, on_limit, idle) = tier
            .map_or((Some(2), LimitBehaviour::EvictOldest, None), |t| {
                (t.max_sessions, t.on_limit, t.idle_timeout_secs)
            });
        EffectiveLimit {
            max_sessions: user.max_sessions.or(tier_max),
            on_limit,
            idle_timeout_secs: idle,
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
}
