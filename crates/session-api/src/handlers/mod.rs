//! One module per route group. Handlers take already-authorised callers and raw request parts,
//! validate the input, run one use case and shape its outcome.

pub(crate) mod admin;
pub(crate) mod devices;
pub(crate) mod docs;
pub(crate) mod internal;
pub(crate) mod refresh;
pub(crate) mod user;

use http::HeaderMap;
use serde::de::DeserializeOwned;
use session_core::ids::{InvalidValue, SessionId, UserId};

use crate::body::{EmptyBody, decode_json};
use crate::percent;
use crate::problem::ApiError;
use crate::query::QueryParams;

/// The parts of a request a handler may read besides its path parameters.
pub(crate) struct Input<'a> {
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// A request as a handler sees it: the caller already checked against the route's access, the
/// raw path parameters of its template, and the rest of the request.
pub(crate) struct RouteRequest<'a> {
    /// The signed-in user, on user routes.
    pub(crate) caller: Option<UserCaller>,
    pub(crate) parameters: Vec<(&'static str, &'a str)>,
    pub(crate) input: Input<'a>,
}

impl RouteRequest<'_> {
    /// The user a user route acts for.
    pub(crate) fn user(&self) -> Result<&UserCaller, ApiError> {
        self.caller.as_ref().ok_or(ApiError::Unauthorized)
    }

    /// The JSON body of a route that takes no query parameters; a query parameter is refused
    /// before the body is read.
    pub(crate) fn json_body<T: DeserializeOwned>(&self, empty: EmptyBody) -> Result<T, ApiError> {
        QueryParams::parse(self.input.query)?.finish()?;
        decode_json(self.input.headers, self.input.body, empty)
    }

    /// A path parameter of the route's template, raw (percent-encoded); empty when the template
    /// has none of that name, which no handler asks for.
    pub(crate) fn parameter(&self, name: &str) -> &str {
        self.parameters
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, value)| value)
    }
}

/// The signed-in user a user route acts for.
#[derive(Clone, Debug)]
pub(crate) struct UserCaller {
    pub(crate) user_id: UserId,
    pub(crate) session_id: SessionId,
}

/// A session id path parameter.
pub(crate) fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    percent::decode(raw, false)
        .and_then(|text| text.parse().ok())
        .ok_or(ApiError::InvalidSessionId)
}

/// A user id path parameter; the error names the field like a body field would.
pub(crate) fn user_id(raw: &str) -> Result<UserId, InvalidValue> {
    let text = percent::decode(raw, false).ok_or(InvalidValue::new(
        "user_id",
        "is not valid percent-encoded UTF-8",
    ))?;
    UserId::try_from(text)
}

/// A user id path parameter, its problem a field error like a body field's.
pub(crate) fn user_id_parameter(raw: &str) -> Result<UserId, ApiError> {
    user_id(raw).map_err(|invalid| ApiError::field(invalid.field, invalid.problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_must_be_uuids() {
        assert!(session_id("0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b").is_ok());
        for bad in [
            "current",
            "123",
            "%FF",
            "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9",
        ] {
            assert!(
                matches!(session_id(bad), Err(ApiError::InvalidSessionId)),
                "{bad}"
            );
        }
    }

    #[test]
    fn user_ids_are_percent_decoded_then_validated() {
        assert_eq!(
            user_id("auth0%7Cabc").map(String::from).as_deref(),
            Ok("auth0|abc")
        );
        assert!(user_id("a%20b").is_err());
        assert!(user_id("%FF").is_err());
    }
}
