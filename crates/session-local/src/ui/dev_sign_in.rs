//! The development sign-in of `/ui/devices`: `POST /ui/dev/token {user_id, session_id}` answers
//! a bearer token for that session, the HTTP twin of `session-local token`. The host page first
//! logs the user in through the documented `POST /internal/sessions`, then asks here for the
//! token an auth service would have issued (docs/0039).
//!
//! Served only while the server listens on a loopback address, and only to requests whose
//! `Host` names a loopback address, so a web page elsewhere cannot mint tokens through a
//! rebound DNS name.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use session_api::{ApiError, FieldError, problem_response};
use session_core::ids::{SessionId, UserId};

use crate::config::JwtSecret;
use crate::server::{collect_body, request_id};
use crate::token;

pub(crate) const PATH: &str = "/ui/dev/token";

/// How long a development token lives; the host page signs in again after it.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// What the route needs: the secret the server verifies tokens with.
#[derive(Clone)]
pub(crate) struct DevSignIn {
    secret: JwtSecret,
}

impl DevSignIn {
    /// The development sign-in for a server listening on `listen`, or `None` (off) when that is
    /// not a loopback address: beyond this machine, minting tokens for anyone is not offered.
    pub(crate) fn for_listen_address(listen: IpAddr, secret: JwtSecret) -> Option<Self> {
        listen.is_loopback().then_some(Self { secret })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    user_id: String,
    session_id: String,
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
    token_type: &'static str,
    expires_in: u64,
}

pub(crate) async fn mint_token(State(sign_in): State<DevSignIn>, request: Request) -> Response {
    let trace_id = request_id();
    let (parts, body) = request.into_parts();
    match answer(&sign_in, &parts.headers, body).await {
        Ok(response) => response,
        Err(error) => problem_response(&error, parts.uri.path(), &trace_id).map(Body::from),
    }
}

async fn answer(
    sign_in: &DevSignIn,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if !host_is_loopback(headers) {
        return Err(ApiError::Forbidden);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = collect_body(headers, body).await?;
    let request: TokenRequest = serde_json::from_slice(&body).map_err(|error| {
        if error.is_data() {
            ApiError::InvalidBody(error.to_string())
        } else {
            ApiError::MalformedJson(error.to_string())
        }
    })?;
    let user = UserId::from_str(&request.user_id);
    let session = SessionId::from_str(&request.session_id);
    let (user, session) = match (user, session) {
        (Ok(user), Ok(session)) => (user, session),
        (user, session) => {
            let errors = [user.err(), session.err()]
                .into_iter()
                .flatten()
                .map(|invalid| FieldError::new(invalid.field, invalid.problem))
                .collect();
            return Err(ApiError::Validation(errors));
        }
    };
    let token = token::mint(&sign_in.secret, &user, session, TOKEN_TTL).map_err(|error| {
        ApiError::Internal {
            cause: error.to_string(),
        }
    })?;
    let body = serde_json::to_vec(&TokenResponse {
        token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL.as_secs(),
    })
    .map_err(|error| ApiError::Internal {
        cause: error.to_string(),
    })?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Whether the request's `Host` is `localhost` or a loopback address (with any port).
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        // [::1]:3000
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The answer to any method but POST.
pub(crate) async fn only_post(request: Request) -> Response {
    let error = ApiError::MethodNotAllowed { allow: "POST" };
    problem_response(&error, request.uri().path(), &request_id()).map(Body::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_loopback_hosts_may_ask_for_a_token() {
        for allowed in [
            "127.0.0.1:3000",
            "127.0.0.1",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "127.1.2.3:80",
        ] {
            assert!(host_is_loopback(&host(allowed)), "{allowed}");
        }
        for refused in [
            "evil.example:3000",
            "localhost.evil.example",
            "10.0.0.1:3000",
            "[::2]:3000",
            "",
        ] {
            assert!(!host_is_loopback(&host(refused)), "{refused}");
        }
        assert!(!host_is_loopback(&HeaderMap::new()), "no Host header");
    }

    #[test]
    fn the_sign_in_is_off_beyond_loopback() {
        let secret = JwtSecret::dev_default();
        assert!(
            DevSignIn::for_listen_address("127.0.0.1".parse().unwrap(), secret.clone()).is_some()
        );
        assert!(DevSignIn::for_listen_address("::1".parse().unwrap(), secret.clone()).is_some());
        assert!(
            DevSignIn::for_listen_address("0.0.0.0".parse().unwrap(), secret.clone()).is_none()
        );
        assert!(DevSignIn::for_listen_address("192.0.2.1".parse().unwrap(), secret).is_none());
    }
}
