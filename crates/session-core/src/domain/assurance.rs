//! How strongly and how recently the user of a session authenticated: the authenticator
//! assurance level (NIST SP 800-63B) and the methods used (RFC 8176 `amr` values), raised by a
//! step-up.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;

/// Authenticator assurance level: 1 a password (or any one factor), 2 a second factor, 3 a
/// phishing-resistant hardware authenticator.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum Aal {
    #[default]
    Aal1,
    Aal2,
    Aal3,
}

impl Aal {
    pub const fn level(self) -> u8 {
        match self {
            Self::Aal1 => 1,
            Self::Aal2 => 2,
            Self::Aal3 => 3,
        }
    }

    pub fn from_level(level: u64) -> Result<Self, InvalidValue> {
        match level {
            1 => Ok(Self::Aal1),
            2 => Ok(Self::Aal2),
            3 => Ok(Self::Aal3),
            _ => Err(InvalidValue::new("aal", "must be 1, 2 or 3")),
        }
    }
}

impl Serialize for Aal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.level())
    }
}

/// Serialised as its level, so its schema is the integers 1 to 3.
#[cfg(feature = "schemas")]
impl schemars::JsonSchema for Aal {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Aal".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer", "minimum": 1, "maximum": 3 })
    }
}

impl<'de> Deserialize<'de> for Aal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let level = u64::deserialize(deserializer)?;
        Self::from_level(level).map_err(serde::de::Error::custom)
    }
}

/// An authentication method reference (RFC 8176, the IANA registry's values): a closed set, so
/// no free text reaches the session or its events.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "schemas", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Facial biometric.
    Face,
    /// Fingerprint biometric.
    Fpt,
    /// Use of geolocation information for authentication.
    Geo,
    /// Proof-of-possession of a hardware-secured key (e.g. a security key, a passkey on a TPM).
    Hwk,
    /// Iris scan biometric.
    Iris,
    /// Knowledge-based authentication.
    Kba,
    /// Multiple-channel authentication.
    Mca,
    /// Multiple-factor authentication.
    Mfa,
    /// One-time password (TOTP, HOTP).
    Otp,
    /// Personal identification number.
    Pin,
    /// Proof-of-possession of a key.
    Pop,
    /// Password.
    Pwd,
    /// Risk-based authentication.
    Rba,
    /// Retina scan biometric.
    Retina,
    /// Smart card.
    Sc,
    /// Confirmation by text message.
    Sms,
    /// Proof-of-possession of a software-secured key.
    Swk,
    /// Confirmation by telephone call.
    Tel,
    /// User presence test.
    User,
    /// Voice biometric.
    Vbm,
    /// Windows integrated authentication.
    Wia,
}

impl AuthMethod {
    pub const ALL: [Self; 21] = [
        Self::Face,
        Self::Fpt,
        Self::Geo,
        Self::Hwk,
        Self::Iris,
        Self::Kba,
        Self::Mca,
        Self::Mfa,
        Self::Otp,
        Self::Pin,
        Self::Pop,
        Self::Pwd,
        Self::Rba,
        Self::Retina,
        Self::Sc,
        Self::Sms,
        Self::Swk,
        Self::Tel,
        Self::User,
        Self::Vbm,
        Self::Wia,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Face => "face",
            Self::Fpt => "fpt",
            Self::Geo => "geo",
            Self::Hwk => "hwk",
            Self::Iris => "iris",
            Self::Kba => "kba",
            Self::Mca => "mca",
            Self::Mfa => "mfa",
            Self::Otp => "otp",
            Self::Pin => "pin",
            Self::Pop => "pop",
            Self::Pwd => "pwd",
            Self::Rba => "rba",
            Self::Retina => "retina",
            Self::Sc => "sc",
            Self::Sms => "sms",
            Self::Swk => "swk",
            Self::Tel => "tel",
            Self::User => "user",
            Self::Vbm => "vbm",
            Self::Wia => "wia",
        }
    }

    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|method| method.as_str() == text)
            .ok_or(InvalidValue::new(
                "amr",
                "holds a value that is not an RFC 8176 authentication method",
            ))
    }
}

/// The methods a session was authenticated with, without duplicates, in a stable order.
pub type AuthMethods = BTreeSet<AuthMethod>;

/// What a session tells downstream APIs about how its user authenticated (the authorizer's
/// context, the validity and refresh answers).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SessionAssurance {
    pub auth_time: DateTime<Utc>,
    pub aal: Aal,
    pub amr: AuthMethods,
    /// The risk response asks for a step-up before the session is trusted again.
    pub step_up_required: bool,
    /// The tier's longest accepted authentication age for sensitive routes, if it sets one.
    pub max_auth_age_secs: Option<u32>,
    /// The session runs on a device the auth service trusts, until `trusted_until` when set
    /// (docs/0047).
    pub is_trusted: bool,
    pub trusted_until: Option<DateTime<Utc>>,
}

impl SessionAssurance {
    /// Whole seconds since the user authenticated (0 for a clock behind the session's).
    pub fn auth_age_secs(&self, now: DateTime<Utc>) -> u64 {
        u64::try_from((now - self.auth_time).num_seconds()).unwrap_or(0)
    }

    /// Whether the device trust holds at `now` (a platform may skip MFA prompts there).
    pub fn is_trusted_at(&self, now: DateTime<Utc>) -> bool {
        self.is_trusted && self.trusted_until.is_none_or(|until| until > now)
    }

    /// Whether the authentication is recent enough for the tier's sensitive routes (always, for
    /// tiers without a limit).
    pub fn auth_is_fresh(&self, now: DateTime<Utc>) -> bool {
        self.max_auth_age_secs
            .is_none_or(|max| self.auth_age_secs(now) <= u64::from(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_methods_round_trip_and_unknown_ones_are_refused() {
        for aal in [Aal::Aal1, Aal::Aal2, Aal::Aal3] {
            let json = serde_json::to_string(&aal).unwrap();
            assert_eq!(serde_json::from_str::<Aal>(&json).unwrap(), aal);
        }
        assert!(serde_json::from_str::<Aal>("4").is_err());
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(method.as_str()), Ok(method));
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{}\"", method.as_str()));
        }
        assert!(AuthMethod::parse("password").is_err());
        assert!(Aal::Aal3 > Aal::Aal1);
    }
}
