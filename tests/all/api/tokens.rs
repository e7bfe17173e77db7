//! Crafting tokens the issuer would not mint: the claims of a login, signed with any secret,
//! with any claim changed or removed.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

use super::support::{AUDIENCE, ISSUER, Login};

/// The claims the issuer puts in a token for `login`, valid for 10 minutes.
pub fn claims(login: &Login) -> Value {
    let now = get_current_timestamp();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": login.user_id.as_str(),
        "session_id": login.session_id.to_string(),
        "iat": now,
        "exp": now + 600,
    })
}

/// `claims` as an HS256 token signed with `secret`.
pub fn sign(claims: &Value, secret: &[u8]) -> String {
    sign_with_header(claims, Header::new(Algorithm::HS256), secret)
}

/// `claims` signed with `secret` under `header` (an HS256 header with extra parameters).
pub fn sign_with_header(claims: &Value, header: Header, secret: &[u8]) -> String {
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// `claims` with `key` set to `value`, or removed when `value` is `None`.
pub fn edit(mut claims: Value, key: &str, value: Option<Value>) -> Value {
    let object = claims.as_object_mut().unwrap();
    match value {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    claims
}
