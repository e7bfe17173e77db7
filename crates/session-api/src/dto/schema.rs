//! OpenAPI schemas of fields whose rules the derive cannot read off the Rust type: the bounded
//! identifiers of `session_core::ids` (length, characters, at least one letter or digit) and IP
//! addresses (JSON Schema has one format per address family, none for "either").
//!
//! Stating these rules lets a client (or a fuzzer) tell a valid value from one the service refuses
//! with `validation_failed`; they mirror `bounded_text!` in `session_core::ids`.

use session_core::domain::AuthMethod;
use session_core::ids::{ActorName, Note, ProviderName, RefreshTokenId, TierName, UserId};
use session_core::use_cases::revoke_users_sessions::MAX_USERS_PER_BULK_REVOCATION;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

/// `is_identifier_char` of session-core (user ids, refresh token ids), with at least one letter or
/// digit.
pub const IDENTIFIER_PATTERN: &str = "^[A-Za-z0-9._:@|+-]*[A-Za-z0-9][A-Za-z0-9._:@|+-]*$";

/// `is_provider_char` of session-core (provider and tier names), with at least one letter or digit.
pub const NAME_PATTERN: &str = "^[a-z0-9._-]*[a-z0-9][a-z0-9._-]*$";

/// A non-empty ASCII string of at most `max_len` characters (bytes) matching `pattern`.
fn bounded_text(pattern: &str, max_len: usize, description: &str, example: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max_len))
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
        .into()
}

/// The platform's user id (a JWT `sub`).
pub fn user_id() -> Schema {
    bounded_text(
        IDENTIFIER_PATTERN,
        UserId::MAX_LEN,
        "The platform's user id (the JWT `sub`): letters, digits and `._:@|+-`, with at least \
         one letter or digit.",
        "auth0|5f7c8ec7c33c6c004bbafe82",
    )
}

pub fn refresh_token_id() -> Schema {
    bounded_text(
        IDENTIFIER_PATTERN,
        RefreshTokenId::MAX_LEN,
        "Id of the refresh token the auth service issued: letters, digits and `._:@|+-`, with at \
         least one letter or digit.",
        "rt_123",
    )
}

pub fn provider_name() -> Schema {
    bounded_text(
        NAME_PATTERN,
        ProviderName::MAX_LEN,
        "Lowercase provider name: lowercase letters, digits and `._-`.",
        "plaid",
    )
}

pub fn tier() -> Schema {
    bounded_text(
        NAME_PATTERN,
        TierName::MAX_LEN,
        "A tier of the service's policy (by default `basic`, `essential`, `plus`, `premium`, \
         `pro`; deployments may configure others). An unknown tier is `validation_failed`.",
        "premium",
    )
}

/// An IPv4 or IPv6 address, or `null`.
fn nullable_ip_address(description: &str, example: &str) -> Schema {
    let family = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    OneOfBuilder::new()
        .item(family(KnownFormat::Ipv4))
        .item(family(KnownFormat::Ipv6))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(description))
        .examples([example])
        .into()
}

/// `SessionView.ip_address`.
pub fn session_ip_address() -> Schema {
    nullable_ip_address("Address the session was created from.", "203.0.113.7")
}

/// `CreateSessionRequest.ip_address`.
pub fn login_ip_address() -> Schema {
    nullable_ip_address(
        "The client's address as the auth service saw it.",
        "203.0.113.7",
    )
}

/// `CreateSessionRequest.refresh_token_id`: a refresh token id, or `null` for none.
pub fn nullable_refresh_token_id() -> Schema {
    OneOfBuilder::new()
        .item(refresh_token_id())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// `ActivityRequest.ip_address`.
pub fn reported_ip_address() -> Schema {
    nullable_ip_address(
        "The client's address; checked against the session's last one (and its location).",
        "198.51.100.4",
    )
}

/// Authentication methods: RFC 8176 values.
pub fn amr() -> Schema {
    let methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    OneOfBuilder::new()
        .item(
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(methods)),
                )
                .max_items(Some(AuthMethod::ALL.len()))
                .description(Some(
                    "Authentication methods used (RFC 8176): e.g. `pwd`, `otp`, `hwk`, `face`.",
                )),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// Who is acting, as support tooling names them.
pub fn actor() -> Schema {
    bounded_text(
        IDENTIFIER_PATTERN,
        ActorName::MAX_LEN,
        "Who is acting (recorded on the revocations and in their events): letters, digits and \
         `._:@|+-`, with at least one letter or digit.",
        "support:jane",
    )
}

/// An optional free-text remark.
pub fn note() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(Note::MAX_LEN))
                // Not blank, no control characters.
                // Spelled with `\x` ranges (the Cc category) rather than `\p{Cc}`, which
                // JSON Schema's ECMA-262 regexes and Python's `re` (schemathesis) lack.
                .pattern(Some(
                    r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$",
                ))
                .description(Some(
                    "A remark kept with the revocation: up to 500 characters, no control characters.",
                ))
                .examples(["customer reported a stolen phone"]),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// `BulkRevocationRequest.user_ids`.
pub fn user_ids() -> Schema {
    ArrayBuilder::new()
        .items(utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(
            user_id().into(),
        )))
        .min_items(Some(1))
        .max_items(Some(MAX_USERS_PER_BULK_REVOCATION))
        .unique_items(true)
        .description(Some("1 to 100 distinct user ids."))
        .into()
}

/// `AccountStatusRequest.status`: what an admin may set.
pub fn settable_status() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["disabled", "active"]))
        .into()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn to_json(schema: Schema) -> Value {
        serde_json::to_value(schema).unwrap()
    }

    #[test]
    fn identifiers_carry_the_limits_of_session_core() {
        let user = to_json(user_id());
        assert_eq!(user["maxLength"], json!(UserId::MAX_LEN));
        assert_eq!(user["minLength"], json!(1));
        assert_eq!(user["pattern"], IDENTIFIER_PATTERN);
        assert_eq!(to_json(tier())["maxLength"], json!(TierName::MAX_LEN));
        assert_eq!(
            to_json(provider_name())["maxLength"],
            json!(ProviderName::MAX_LEN)
        );
        assert_eq!(
            to_json(refresh_token_id())["maxLength"],
            json!(RefreshTokenId::MAX_LEN)
        );
    }

    #[test]
    fn the_examples_are_valid_values() {
        for (schema, parse) in [
            (
                user_id(),
                (|s: &str| UserId::try_from(s.to_owned()).is_ok()) as fn(&str) -> bool,
            ),
            (refresh_token_id(), |s| {
                RefreshTokenId::try_from(s.to_owned()).is_ok()
            }),
            (provider_name(), |s| {
                ProviderName::try_from(s.to_owned()).is_ok()
            }),
            (tier(), |s| TierName::try_from(s.to_owned()).is_ok()),
        ] {
            let schema = to_json(schema);
            let example = schema["examples"][0].as_str().unwrap();
            assert!(parse(example), "{example}");
        }
    }

    #[test]
    fn ip_addresses_are_either_family_or_null() {
        let schema = to_json(session_ip_address());
        let formats: Vec<&Value> = schema["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item.get("format").unwrap_or(&item["type"]))
            .collect();
        assert_eq!(formats, [&json!("ipv4"), &json!("ipv6"), &json!("null")]);
    }
}
