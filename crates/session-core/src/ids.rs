//! Identifiers and small validated values that cross the service boundary.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use uuid::Uuid;

/// A value that failed validation at the boundary; the field name says which.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {problem}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub problem: &'static str,
}

impl InvalidValue {
    pub const fn new(field: &'static str, problem: &'static str) -> Self {
        Self { field, problem }
    }
}

/// Identifier of one session: a UUID v7, so ids sort by creation time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(Uuid);

impl SessionId {
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl FromStr for SessionId {
    type Err = InvalidValue;

    /// Only the canonical hyphenated form (36 characters): braced, URN and simple forms would let
    /// one session be named by several strings in paths, logs and keys.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidValue::new("session_id", "must be a UUID (8-4-4-4-12 hex digits)");
        if s.len() != 36 {
            return Err(invalid());
        }
        Uuid::try_parse(s).map(Self).map_err(|_| invalid())
    }
}

/// Both ids as the events and the API write them: canonical, lower-case UUIDs.
#[cfg(feature = "schemas")]
fn uuid_schema() -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    })
}

#[cfg(feature = "schemas")]
impl schemars::JsonSchema for SessionId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SessionId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        uuid_schema()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.0)
    }
}

/// Identifier of one domain event (UUID v7); consumers deduplicate on it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

impl EventId {
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

#[cfg(feature = "schemas")]
impl schemars::JsonSchema for EventId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        uuid_schema()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Defines a string newtype whose every instance passed `validate`, so the rest of the code never
/// sees unbounded or control-character text from a request.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, max = $max:expr, allowed = $allowed:expr
     $(, schema_pattern = $pattern:literal)?) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                if value.is_empty() {
                    return Err(InvalidValue::new($field, "must not be empty"));
                }
                if value.len() > Self::MAX_LEN {
                    return Err(InvalidValue::new($field, concat!("must be at most ", stringify!($max), " bytes")));
                }
                let allowed: fn(char) -> bool = $allowed;
                if !value.chars().all(allowed) {
                    return Err(InvalidValue::new($field, "contains characters that are not allowed"));
                }
                // Punctuation alone (`.`, `..`) would read as a path segment to any proxy.
                if !value.chars().any(|c| c.is_ascii_alphanumeric()) {
                    return Err(InvalidValue::new($field, "must contain a letter or digit"));
                }
                Ok(Self(value))
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Bounded like `try_from`; `schema_pattern` says the same of the allowed characters
        /// (ASCII only, so `maxLength`, which counts characters, is the byte bound).
        #[cfg(feature = "schemas")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                #[allow(unused_mut)]
                let mut schema = schemars::json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": $max,
                });
                $(schema.insert("pattern".into(), $pattern.into());)?
                schema
            }
        }
    };
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '|' | '+')
}

fn is_provider_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

bounded_text!(
    /// The platform's user id (a JWT `sub`): opaque, but bounded and free of whitespace and
    /// control characters so it is safe in keys and logs.
    UserId, field = "user_id", max = 128, allowed = is_identifier_char,
    schema_pattern = "^[A-Za-z0-9._:@|+-]*[A-Za-z0-9][A-Za-z0-9._:@|+-]*$"
);

bounded_text!(
    /// Identifier of the refresh token the auth service issued for a session.
    RefreshTokenId, field = "refresh_token_id", max = 256, allowed = is_identifier_char,
    schema_pattern = "^[A-Za-z0-9._:@|+-]*[A-Za-z0-9][A-Za-z0-9._:@|+-]*$"
);

bounded_text!(
    /// Name of a financial data provider accessed through a session (e.g. `plaid`).
    ProviderName, field = "provider_name", max = 64, allowed = is_provider_char,
    schema_pattern = "^[a-z0-9._-]*[a-z0-9][a-z0-9._-]*$"
);

bounded_text!(
    /// Name of a policy tier (e.g. `basic`, `pro`).
    TierName, field = "tier", max = 32, allowed = is_provider_char,
    schema_pattern = "^[a-z0-9._-]*[a-z0-9][a-z0-9._-]*$"
);

bounded_text!(
    /// A client's name for one logical login, so a retried request is answered once
    /// (`Idempotency-Key`). Visible ASCII: UUIDs, ULIDs and hex or base64 tokens all fit.
    IdempotencyKey, field = "idempotency_key", max = 255, allowed = is_idempotency_key_char,
    schema_pattern = "^[!-~]*[A-Za-z0-9][!-~]*$"
);

fn is_idempotency_key_char(c: char) -> bool {
    c.is_ascii_graphic()
}

bounded_text!(
    /// Who acted, as support and security tooling names them (`support:jane`,
    /// `incident-2026-17`): recorded on revocations and in their events.
    ActorName, field = "actor", max = 128, allowed = is_identifier_char,
    schema_pattern = "^[A-Za-z0-9._:@|+-]*[A-Za-z0-9][A-Za-z0-9._:@|+-]*$"
);

bounded_text!(
    /// The id of an event of the auth service's bus that caused a change (EventBridge's `id`).
    AuthEventId, field = "id", max = 128, allowed = is_idempotency_key_char,
    schema_pattern = "^[!-~]*[A-Za-z0-9][!-~]*$"
);

impl RefreshTokenId {
    /// What the store keeps of the id: its SHA-256, so a leaked table holds no usable token id.
    pub fn hash(&self) -> TokenHash {
        TokenHash(format!("{:x}", Sha256::digest(self.0.as_bytes())))
    }
}

/// The SHA-256 of a refresh token id, in lowercase hex (64 characters): what sessions store
/// and compare instead of the id itself.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TokenHash {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let is_hash = value.len() == 64
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if is_hash {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new(
                "refresh_token_hash",
                "must be 64 lowercase hex digits",
            ))
        }
    }
}

impl FromStr for TokenHash {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<TokenHash> for String {
    fn from(value: TokenHash) -> Self {
        value.0
    }
}

/// A free-text remark on an administrative action ("customer called, phone stolen"): bounded,
/// without control characters, never empty. Kept on the revocation and in its events.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    pub const MAX_LEN: usize = 500;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Note {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.trim().is_empty() {
            return Err(InvalidValue::new("note", "must not be blank"));
        }
        // Characters, as JSON Schema's `maxLength` counts them, so the document and the check agree.
        if value.chars().count() > Self::MAX_LEN {
            return Err(InvalidValue::new("note", "must be at most 500 characters"));
        }
        if value.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "note",
                "must not contain control characters",
            ));
        }
        Ok(Self(value))
    }
}

/// Free text: not blank, no control characters, at most 500 characters.
#[cfg(feature = "schemas")]
impl schemars::JsonSchema for Note {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Note".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": Self::MAX_LEN,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
        })
    }
}

impl FromStr for Note {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<Note> for String {
    fn from(value: Note) -> Self {
        value.0
    }
}

/// The client's own name for a device (an app install id, a long-lived device cookie): opaque,
/// 8-128 characters of `[A-Za-z0-9._:-]`, so it is safe in keys, paths and logs, and long enough
/// not to be guessed from a handful of tries.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

#[cfg(feature = "schemas")]
impl schemars::JsonSchema for DeviceId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DeviceId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 8,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._:-]+$",
        })
    }
}

impl DeviceId {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceId {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&value.len()) {
            return Err(InvalidValue::new(
                "device_id",
                "must be 8 to 128 characters long",
            ));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
        if !value.chars().all(allowed) {
            return Err(InvalidValue::new(
                "device_id",
                "may contain only letters, digits and . _ : -",
            ));
        }
        Ok(Self(value))
    }
}

impl FromStr for DeviceId {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<DeviceId> for String {
    fn from(value: DeviceId) -> Self {
        value.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the user or the client calls a device ("Jane's iPhone"): 1-64 characters, not blank,
/// without control characters.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceName(String);

#[cfg(feature = "schemas")]
impl schemars::JsonSchema for DeviceName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DeviceName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
        })
    }
}

impl DeviceName {
    pub const MAX_LEN: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceName {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.trim().is_empty() {
            return Err(InvalidValue::new("device_name", "must not be blank"));
        }
        // Characters, as JSON Schema's `maxLength` counts them.
        if value.chars().count() > Self::MAX_LEN {
            return Err(InvalidValue::new(
                "device_name",
                "must be at most 64 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "device_name",
                "must not contain control characters",
            ));
        }
        Ok(Self(value))
    }
}

impl FromStr for DeviceName {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<DeviceName> for String {
    fn from(value: DeviceName) -> Self {
        value.0
    }
}

/// Keeps at most `max` bytes of `text`, cut at a character boundary, without control characters.
/// User agents are attacker-controlled and only ever stored truncated.
pub fn truncate_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_rejects_empty_long_and_control_text() {
        assert!(UserId::from_str("").is_err());
        assert!(UserId::from_str(&"a".repeat(129)).is_err());
        assert!(UserId::from_str("alice\n").is_err());
        assert!(UserId::from_str("auth0|5f7c8ec7c33c6c004bbafe82").is_ok());
    }

    #[test]
    fn session_id_parses_only_canonical_uuids() {
        assert!(SessionId::from_str("not-a-uuid").is_err());
        assert!(SessionId::from_str("01932c07-2d3e-7b4c-8d5e-6f7a8b9c0d1e").is_ok());
        for other_form in [
            "{01932c07-2d3e-7b4c-8d5e-6f7a8b9c0d1e}",
            "urn:uuid:01932c07-2d3e-7b4c-8d5e-6f7a8b9c0d1e",
            "01932c072d3e7b4c8d5e6f7a8b9c0d1e",
        ] {
            assert!(SessionId::from_str(other_form).is_err(), "{other_form}");
        }
    }

    #[test]
    fn identifiers_need_a_letter_or_digit() {
        for dots in [".", "..", "-", "@|"] {
            assert!(UserId::from_str(dots).is_err(), "{dots}");
        }
        assert!(UserId::from_str("a.b").is_ok());
    }

    #[test]
    fn notes_are_bounded_free_text_without_controls() {
        assert!(Note::from_str("Kunde rief an: Handy gestohlen. 电话").is_ok());
        for bad in ["", "   ", "line\nbreak", "tab\there"] {
            assert!(Note::from_str(bad).is_err(), "{bad:?}");
        }
        assert!(Note::from_str(&"x".repeat(500)).is_ok());
        assert!(Note::from_str(&"x".repeat(501)).is_err());
    }

    #[test]
    fn refresh_token_ids_hash_to_64_hex_digits() {
        let hash = RefreshTokenId::from_str("rt_123").unwrap().hash();
        assert_eq!(hash.as_str().len(), 64);
        assert_eq!(
            TokenHash::try_from(hash.as_str().to_owned()),
            Ok(hash.clone())
        );
        assert_ne!(RefreshTokenId::from_str("rt_124").unwrap().hash(), hash);
        assert!(TokenHash::try_from("rt_123".to_owned()).is_err());
        assert!(TokenHash::try_from("A".repeat(64)).is_err());
    }

    #[test]
    fn actor_names_are_identifiers() {
        assert!(ActorName::from_str("support:jane@example.com").is_ok());
        assert!(ActorName::from_str("jane doe").is_err());
        assert!(ActorName::from_str(&"a".repeat(129)).is_err());
    }

    #[test]
    fn device_ids_are_8_to_128_key_safe_characters() {
        assert!(DeviceId::from_str("install:7f3a9c2e-1b").is_ok());
        assert!(DeviceId::from_str(&"a".repeat(128)).is_ok());
        for bad in ["short", "", "has space1", "slash/inside", "uni\u{e9}code1"] {
            assert!(DeviceId::from_str(bad).is_err(), "{bad:?}");
        }
        assert!(DeviceId::from_str(&"a".repeat(129)).is_err());
    }

    #[test]
    fn device_names_are_short_free_text() {
        assert!(DeviceName::from_str("Janes iPhone \u{1f4f1}").is_ok());
        assert!(DeviceName::from_str(&"x".repeat(64)).is_ok());
        for bad in ["", "  ", "tab\there"] {
            assert!(DeviceName::from_str(bad).is_err(), "{bad:?}");
        }
        assert!(DeviceName::from_str(&"x".repeat(65)).is_err());
    }

    #[test]
    fn truncate_text_cuts_at_char_boundary_and_strips_controls() {
        assert_eq!(truncate_text("ab\u{e9}cd", 3), "ab");
        assert_eq!(truncate_text("a\tb", 10), "a b");
        assert_eq!(truncate_text(&"x".repeat(1000), 512).len(), 512);
    }
}
