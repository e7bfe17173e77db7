//! From an `Authorization` header to a signed-in [`Caller`]: the token must verify, and the
//! session it names must be active and belong to the token's subject. This is the check that
//! makes revocation immediate (the reference service only checked the JWT).

use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderMap, header};
use session_core::domain::SessionAssurance;
use session_core::ports::SessionStore;
use session_core::use_cases::{
    ActivityReport, Authorization, AuthorizeRequest, DenialReason, ValidateSession, Validity,
};
use session_core::{Deadline, SessionError, Sessions};
use thiserror::Error;

use crate::auth::verifier::{TokenRejection, TokenVerifier};
use crate::caller::Caller;
use crate::problem::ApiError;

/// Why a request is not authenticated as a user. Everything but `SessionCheck` is the client's
/// problem (401); `SessionCheck` is the store failing, which is not the client's fault.
#[derive(Debug, Error)]
pub enum AuthError {
    #[error("no bearer token was presented")]
    MissingToken,
    #[error("the Authorization header is not `Bearer <token>`")]
    MalformedHeader,
    /// Which of two credentials counts would be an accident of the transport: a proxy in front
    /// may have checked the other one.
    #[error("more than one Authorization header was sent")]
    DuplicateHeader,
    #[error(transparent)]
    InvalidToken(#[from] TokenRejection),
    #[error("the token's session is no longer active ({reason})")]
    SessionInactive { reason: &'static str },
    /// Answered like an invalid token: the detail must not confirm whose session it is.
    #[error("the token is not valid")]
    SessionOwnerMismatch,
    #[error("could not check the session")]
    SessionCheck(#[source] SessionError),
}

impl AuthError {
    /// Whether the client should be told 401 (as opposed to the service failing).
    pub fn is_unauthenticated(&self) -> bool {
        !matches!(self, Self::SessionCheck(_))
    }

    /// Stable label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::MalformedHeader => "malformed_header",
            Self::DuplicateHeader => "duplicate_header",
            Self::InvalidToken(_) => "invalid_token",
            Self::SessionInactive { .. } => "session_inactive",
            Self::SessionOwnerMismatch => "session_owner_mismatch",
            Self::SessionCheck(_) => "session_check_failed",
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::MissingToken => Self::Unauthorized,
            AuthError::SessionCheck(source) => source.into(),
            other => Self::InvalidToken {
                detail: other.to_string(),
            },
        }
    }
}

/// The `Authorization` header as text; a header that is not visible ASCII is malformed, and
/// more than one is refused. (API Gateway joins repeated headers with a comma, which
/// [`bearer_token`] refuses as malformed.)
pub fn authorization_header(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::DuplicateHeader);
    }
    first
        .map(|value| value.to_str().map_err(|_| AuthError::MalformedHeader))
        .transpose()
}

/// The token of a `Bearer <token>` header value (scheme case-insensitive, RFC 7235).
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MalformedHeader)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AuthError::MalformedHeader);
    }
    Ok(token)
}

/// Logs a failed authentication: the reason only, as a token is a credential and never logged.
fn logged<T>(outcome: Result<T, AuthError>) -> Result<T, AuthError> {
    if let Err(error) = &outcome {
        tracing::info!(kind = error.kind(), reason = %error, "bearer authentication failed");
    }
    outcome
}

/// What a request showed of its client: recorded as activity by
/// [`Authenticator::authenticate_with_assurance`].
#[derive(Clone, Debug, Default)]
pub struct ClientSighting {
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Verifies bearer tokens and the sessions they name. Built once; cheap to clone.
pub struct Authenticator<S> {
    verifier: Arc<TokenVerifier>,
    sessions: Sessions<S>,
}

impl<S: Clone> Clone for Authenticator<S> {
    fn clone(&self) -> Self {
        Self {
            verifier: Arc::clone(&self.verifier),
            sessions: self.sessions.clone(),
        }
    }
}

impl<S: SessionStore + Clone> Authenticator<S> {
    /// The same authenticator, its session checks bound by `deadline`: their conflict retries
    /// stop there (`deadline_exceeded`), as a request's do in the API (docs/0044).
    pub fn with_deadline(&self, deadline: Deadline) -> Self {
        Self {
            verifier: Arc::clone(&self.verifier),
            sessions: self.sessions.clone().with_deadline(deadline),
        }
    }
}

impl<S: SessionStore> Authenticator<S> {
    pub fn new(verifier: TokenVerifier, sessions: Sessions<S>) -> Self {
        Self {
            verifier: Arc::new(verifier),
            sessions,
        }
    }

    /// Authenticates an `Authorization` header value (`None` when the header is absent).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        logged(self.authenticate_token(authorization).await).map(|(caller, _)| caller)
    }

    /// Like [`Self::authenticate`], with how the session's user authenticated (the
    /// authorizer's context for downstream APIs); with `client`, also records the request as
    /// activity on the session, from the same read (the authorizer's activity tracking,
    /// docs/0012).
    pub async fn authenticate_with_assurance(
        &self,
        authorization: Option<&str>,
        client: Option<ClientSighting>,
    ) -> Result<(Caller, SessionAssurance), AuthError> {
        logged(match client {
            Some(client) => self.authenticate_recording(authorization, client).await,
            None => self.authenticate_token(authorization).await,
        })
    }

    async fn authenticate_recording(
        &self,
        authorization: Option<&str>,
        client: ClientSighting,
    ) -> Result<(Caller, SessionAssurance), AuthError> {
        let claims = self.verifier.verify(bearer_token(authorization)?)?;
        let request = AuthorizeRequest {
            user_id: claims.user_id.clone(),
            report: ActivityReport {
                session_id: claims.session_id,
                ip_address: client.ip_address,
                user_agent: client.user_agent,
            },
        };
        match self
            .sessions
            .authorize_request(request)
            .await
            .map_err(AuthError::SessionCheck)?
        {
            Authorization::Allowed { assurance, .. } => Ok((
                Caller::User {
                    user_id: claims.user_id,
                    session_id: claims.session_id,
                },
                assurance,
            )),
            Authorization::Denied(DenialReason::NotOwner) => Err(AuthError::SessionOwnerMismatch),
            Authorization::Denied(reason) => Err(AuthError::SessionInactive {
                reason: reason.as_str(),
            }),
        }
    }

    async fn authenticate_token(
        &self,
        authorization: Option<&str>,
    ) -> Result<(Caller, SessionAssurance), AuthError> {
        let claims = self.verifier.verify(bearer_token(authorization)?)?;
        let validity = self
            .sessions
            .validate_session(ValidateSession {
                session_id: claims.session_id,
            })
            .await
            .map_err(AuthError::SessionCheck)?;
        match validity {
            Validity::Active {
                user_id, assurance, ..
            } if user_id == claims.user_id => Ok((
                Caller::User {
                    user_id,
                    session_id: claims.session_id,
                },
                assurance,
            )),
            Validity::Active { .. } => Err(AuthError::SessionOwnerMismatch),
            inactive @ Validity::Inactive { .. } => Err(AuthError::SessionInactive {
                reason: inactive.reason().unwrap_or("inactive"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens_are_extracted_from_well_formed_headers_only() {
        assert_eq!(
            bearer_token(Some("Bearer abc.def.ghi")).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(bearer_token(Some("bearer  abc")).unwrap(), "abc");
        assert!(matches!(bearer_token(None), Err(AuthError::MissingToken)));
        for bad in ["", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "abc"] {
            assert!(
                matches!(bearer_token(Some(bad)), Err(AuthError::MalformedHeader)),
                "{bad}"
            );
        }
    }

    #[test]
    fn non_ascii_authorization_headers_are_malformed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        );
        assert!(matches!(
            authorization_header(&headers),
            Err(AuthError::MalformedHeader)
        ));
        assert!(matches!(authorization_header(&HeaderMap::new()), Ok(None)));
    }

    #[test]
    fn two_authorization_headers_are_refused_even_when_they_agree() {
        let mut headers = HeaderMap::new();
        for value in ["Bearer a.b.c", "Bearer a.b.c"] {
            headers.append(header::AUTHORIZATION, HeaderValue::from_static(value));
        }
        assert!(matches!(
            authorization_header(&headers),
            Err(AuthError::DuplicateHeader)
        ));
        assert!(matches!(
            bearer_token(Some("Bearer a.b.c, Bearer d.e.f")),
            Err(AuthError::MalformedHeader)
        ));
    }

    #[test]
    fn auth_failures_map_to_401_problems_and_store_failures_do_not() {
        assert_eq!(
            ApiError::from(AuthError::MissingToken).code(),
            "unauthorized"
        );
        let expired = ApiError::from(AuthError::InvalidToken(TokenRejection::Expired));
        assert_eq!(
            (expired.code(), expired.status().as_u16()),
            ("invalid_token", 401)
        );
        let inactive = ApiError::from(AuthError::SessionInactive { reason: "revoked" });
        assert_eq!(inactive.status().as_u16(), 401);
        let store = ApiError::from(AuthError::SessionCheck(SessionError::Contention));
        assert_eq!(store.status().as_u16(), 503);
    }
}
