//! The route table: which path and method reach which handler, and who may call it.

use http::Method;

use crate::problem::ApiError;

/// Who may call a route. Deployments enforce it at the edge (JWT authorizer for user routes, IAM
/// for service routes); the API checks the resulting [`crate::Caller`] again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    /// A signed-in user (bearer JWT on an active session).
    User,
    /// An internal service (IAM / SigV4).
    Service,
}

/// A matched route; path parameters are still raw (percent-encoded) text, decoded and validated
/// by the handler once the caller is known to be allowed in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Route<'a> {
    ListSessions,
    RevokeAllSessions,
    RevokeCurrentSession,
    GetSession(&'a str),
    RevokeSession(&'a str),
    CreateSession,
    SessionValidity(&'a str),
    SessionActivity(&'a str),
    RecordProviderAccess(&'a str),
    LinkRefreshToken(&'a str),
    SetSessionPolicy(&'a str),
    OpenApi,
}

impl Route<'_> {
    /// The route's template, safe to log (no caller-supplied text).
    pub(crate) fn template(&self) -> &'static str {
        match self {
            Self::ListSessions => "GET /sessions",
            Self::RevokeAllSessions => "DELETE /sessions",
            Self::RevokeCurrentSession => "DELETE /sessions/current",
            Self::GetSession(_) => "GET /sessions/{id}",
            Self::RevokeSession(_) => "DELETE /sessions/{id}",
            Self::CreateSession => "POST /internal/sessions",
            Self::SessionValidity(_) => "GET /internal/sessions/{id}/validity",
            Self::SessionActivity(_) => "POST /internal/sessions/{id}/activity",
            Self::RecordProviderAccess(_) => "POST /internal/sessions/{id}/provider-access",
            Self::LinkRefreshToken(_) => "PUT /internal/sessions/{id}/refresh-token",
            Self::SetSessionPolicy(_) => "PUT /internal/users/{user_id}/session-policy",
            Self::OpenApi => "GET /openapi.json",
        }
    }
}

/// A path the API serves, whatever the method.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Resource<'a> {
    Sessions,
    CurrentSession,
    Session(&'a str),
    InternalSessions,
    Validity(&'a str),
    Activity(&'a str),
    ProviderAccess(&'a str),
    RefreshToken(&'a str),
    SessionPolicy(&'a str),
    OpenApi,
}

impl<'a> Resource<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let resource = match segments.as_slice() {
            ["sessions"] => Self::Sessions,
            // Matched before `{id}`: "current" is a name, never a session id.
            ["sessions", "current"] => Self::CurrentSession,
            ["sessions", id] => Self::Session(id),
            ["internal", "sessions"] => Self::InternalSessions,
            ["internal", "sessions", id, "validity"] => Self::Validity(id),
            ["internal", "sessions", id, "activity"] => Self::Activity(id),
            ["internal", "sessions", id, "provider-access"] => Self::ProviderAccess(id),
            ["internal", "sessions", id, "refresh-token"] => Self::RefreshToken(id),
            ["internal", "users", user_id, "session-policy"] => Self::SessionPolicy(user_id),
            ["openapi.json"] => Self::OpenApi,
            _ => return None,
        };
        let empty_parameter = matches!(
            resource,
            Self::Session("")
                | Self::Validity("")
                | Self::Activity("")
                | Self::ProviderAccess("")
                | Self::RefreshToken("")
                | Self::SessionPolicy("")
        );
        (!empty_parameter).then_some(resource)
    }

    fn access(self) -> Access {
        match self {
            Self::Sessions | Self::CurrentSession | Self::Session(_) => Access::User,
            Self::InternalSessions
            | Self::Validity(_)
            | Self::Activity(_)
            | Self::ProviderAccess(_)
            | Self::RefreshToken(_)
            | Self::SessionPolicy(_) => Access::Service,
            Self::OpenApi => Access::Public,
        }
    }

    /// The `Allow` header value for this path.
    fn allow(self) -> &'static str {
        match self {
            Self::Sessions | Self::Session(_) => "GET, DELETE",
            Self::CurrentSession => "DELETE",
            Self::InternalSessions | Self::Activity(_) | Self::ProviderAccess(_) => "POST",
            Self::Validity(_) | Self::OpenApi => "GET",
            Self::RefreshToken(_) | Self::SessionPolicy(_) => "PUT",
        }
    }

    fn route(self, method: &Method) -> Option<Route<'a>> {
        let route = match (self, method.as_str()) {
            (Self::Sessions, "GET") => Route::ListSessions,
            (Self::Sessions, "DELETE") => Route::RevokeAllSessions,
            (Self::CurrentSession, "DELETE") => Route::RevokeCurrentSession,
            (Self::Session(id), "GET") => Route::GetSession(id),
            (Self::Session(id), "DELETE") => Route::RevokeSession(id),
            (Self::InternalSessions, "POST") => Route::CreateSession,
            (Self::Validity(id), "GET") => Route::SessionValidity(id),
            (Self::Activity(id), "POST") => Route::SessionActivity(id),
            (Self::ProviderAccess(id), "POST") => Route::RecordProviderAccess(id),
            (Self::RefreshToken(id), "PUT") => Route::LinkRefreshToken(id),
            (Self::SessionPolicy(user_id), "PUT") => Route::SetSessionPolicy(user_id),
            (Self::OpenApi, "GET") => Route::OpenApi,
            _ => return None,
        };
        Some(route)
    }
}

/// The route for `method` and `path`, or `route_not_found` / `method_not_allowed`.
pub(crate) fn resolve<'a>(method: &Method, path: &'a str) -> Result<Route<'a>, ApiError> {
    let resource = Resource::parse(path).ok_or(ApiError::RouteNotFound)?;
    resource.route(method).ok_or(ApiError::MethodNotAllowed {
        allow: resource.allow(),
    })
}

/// Who may call `path` (any method), or `None` when no route serves it. Transports use this to
/// decide which credentials to check before calling [`crate::Api::handle`], as API Gateway does
/// per route.
pub fn route_access(path: &str) -> Option<Access> {
    Resource::parse(path).map(Resource::access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_is_a_route_not_a_session_id() {
        let route = resolve(&Method::DELETE, "/sessions/current").unwrap();
        assert_eq!(route, Route::RevokeCurrentSession);
        assert_eq!(route_access("/sessions/current"), Some(Access::User));
        assert!(matches!(
            resolve(&Method::GET, "/sessions/current"),
            Err(ApiError::MethodNotAllowed { allow: "DELETE" })
        ));
    }

    #[test]
    fn path_parameters_are_captured_raw() {
        let route = resolve(&Method::PUT, "/internal/users/auth0%7Cx/session-policy").unwrap();
        assert_eq!(route, Route::SetSessionPolicy("auth0%7Cx"));
    }

    #[test]
    fn unknown_paths_and_empty_parameters_are_not_found() {
        for path in [
            "",
            "/",
            "/sessions/",
            "/session",
            "/sessions/a/b",
            "/internal/sessions//validity",
            "sessions",
        ] {
            assert!(
                matches!(resolve(&Method::GET, path), Err(ApiError::RouteNotFound)),
                "{path}"
            );
        }
    }

    #[test]
    fn wrong_methods_list_the_allowed_ones() {
        assert!(matches!(
            resolve(&Method::PATCH, "/sessions"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, DELETE"
            })
        ));
        assert!(matches!(
            resolve(&Method::GET, "/internal/sessions"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        ));
    }

    #[test]
    fn access_follows_the_path_prefix() {
        assert_eq!(route_access("/sessions"), Some(Access::User));
        assert_eq!(route_access("/internal/sessions"), Some(Access::Service));
        assert_eq!(route_access("/openapi.json"), Some(Access::Public));
        assert_eq!(route_access("/nope"), None);
    }
}
