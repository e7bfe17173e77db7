//! The route table: one declaration per route, from which everything else is derived.
//!
//! A route is its handler's `#[utoipa::path]` annotation (method, path, security, the OpenAPI
//! operation, whose id is the handler's name) plus one line in [`route_table!`] below naming the
//! Lambda function that serves it. From these come: request dispatch ([`resolve`] and
//! `dispatch`), the OpenAPI document's paths (`RoutePaths`), each function's binding
//! ([`route_for_function`]: a function binary serves the route of its own crate name), who may
//! call a path ([`route_access`], derived from the operation's security) and the template test.
//! Adding a route is one annotated handler and one line here.

use std::sync::LazyLock;

use http::Method;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;

use crate::openapi::{ADMIN_ROLE, BEARER_SCHEME, SIGV4_SCHEME};
use crate::problem::ApiError;

/// Declares the routes: `"function-name" => module::handler`, or `local => module::handler` for a
/// route no Lambda function serves. Generates the OpenAPI paths of every handler, the list of
/// (function, operation id) pairs, and `dispatch`, which calls the handler of an operation id.
macro_rules! route_table {
    ($($function:tt => $module:ident :: $handler:ident),+ $(,)?) => {
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($(crate::handlers::$module::$handler),+))]
        pub(crate) struct RoutePaths;

        /// (Lambda function, OpenAPI operation id = handler name), one per route.
        const DECLARED: &[(Option<&str>, &str)] =
            &[$((function_name!($function), stringify!($handler))),+];

        /// Runs the handler of `operation` (an id from [`DECLARED`]).
        pub(crate) async fn dispatch<S: session_core::ports::SessionStore>(
            operation: &str,
            sessions: &session_core::Sessions<S>,
            request: &crate::handlers::RouteRequest<'_>,
        ) -> Result<http::Response<bytes::Bytes>, ApiError> {
            match operation {
                $(stringify!($handler) => crate::handlers::$module::$handler(sessions, request).await,)+
                _ => Err(ApiError::RouteNotFound),
            }
        }
    };
}

/// The Lambda function of a [`route_table!`] line.
macro_rules! function_name {
    (local) => {
        None
    };
    ($function:literal) => {
        Some($function)
    };
}

route_table! {
    "list-sessions" => user::list_sessions,
    "revoke-all-sessions" => user::revoke_other_sessions,
    "logout-current" => user::revoke_current_session,
    "get-session" => user::get_session,
    "revoke-session" => user::revoke_session,
    "create-session" => internal::create_session,
    "validate-session" => internal::session_validity,
    "update-session-activity" => internal::record_session_activity,
    "record-provider-access" => internal::record_provider_access,
    "link-refresh-token" => internal::link_refresh_token,
    "refresh-session" => refresh::refresh_session,
    "step-up-session" => refresh::step_up_session,
    "set-session-policy" => internal::set_session_policy,
    "admin-list-sessions" => admin::admin_list_sessions,
    "admin-revoke-session" => admin::admin_revoke_session,
    "admin-revoke-all-sessions" => admin::admin_revoke_all_sessions,
    "admin-bulk-revoke" => admin::admin_bulk_revoke,
    "admin-set-account-status" => admin::admin_set_account_status,
    local => docs::openapi_document,
}

/// Who may call a route. Deployments enforce it at the edge (JWT authorizer for user routes, IAM
/// for service and admin routes, each granted by its own policy statement); the API checks the
/// resulting [`crate::Caller`] again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    /// A signed-in user (bearer JWT on an active session).
    User,
    /// An internal service such as the auth service (IAM / SigV4).
    Service,
    /// Support and security staff tooling (IAM / SigV4, the `admin` role): any user's sessions.
    Admin,
}

/// One segment of a path template.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// One route: an operation of the API and the function that serves it on Lambda.
#[derive(Clone, Debug)]
pub struct Route {
    /// The Lambda function (its crate and binary name) that serves this route; `None` for the
    /// routes only the local server serves.
    pub function: Option<&'static str>,
    /// The OpenAPI operation id, which is also the handler's name.
    pub operation_id: &'static str,
    pub method: Method,
    /// The path template, e.g. `/sessions/{id}`.
    pub path: String,
    pub access: Access,
    segments: Vec<Segment>,
    /// API Gateway's route key and the route's name in logs: `"GET /sessions/{id}"`.
    key: String,
}

impl Route {
    /// API Gateway's route key, e.g. `"GET /sessions/{id}"`; safe to log (no caller text).
    pub fn route_key(&self) -> &str {
        &self.key
    }

    /// The path parameters of `path` if it matches this route's template (any method), raw
    /// (still percent-encoded); `None` when it does not match.
    fn parameters<'a>(&'static self, path: &[&'a str]) -> Option<Parameters<'a>> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut parameters = Vec::new();
        for (segment, text) in self.segments.iter().zip(path) {
            match segment {
                Segment::Literal(literal) if literal == text => {}
                Segment::Parameter(name) if !text.is_empty() => {
                    parameters.push((name.as_str(), *text));
                }
                _ => return None,
            }
        }
        Some(parameters)
    }

    /// How many literal segments lead before the first parameter: a path matching several
    /// templates (`/sessions/current`, `/sessions/{id}`) belongs to the most literal one.
    fn specificity(&self) -> Vec<bool> {
        self.segments
            .iter()
            .map(|segment| matches!(segment, Segment::Literal(_)))
            .collect()
    }
}

/// A route matched for a request, with its raw path parameters.
#[derive(Clone, Debug)]
pub(crate) struct Matched<'a> {
    pub(crate) route: &'static Route,
    pub(crate) parameters: Parameters<'a>,
}

/// The route table, built once from the OpenAPI annotations.
struct Table {
    routes: Vec<Route>,
    /// The `Allow` header value of each distinct path template, in [`Table::routes`] order.
    allow: Vec<(String, String)>,
}

static TABLE: LazyLock<Table> = LazyLock::new(build_table);

fn build_table() -> Table {
    let document = RoutePaths::openapi();
    let mut routes = Vec::new();
    for (path, item) in &document.paths.paths {
        let operations = [
            (Method::GET, item.get.as_ref()),
            (Method::PUT, item.put.as_ref()),
            (Method::POST, item.post.as_ref()),
            (Method::DELETE, item.delete.as_ref()),
            (Method::PATCH, item.patch.as_ref()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let Some(&(function, operation_id)) = DECLARED
                .iter()
                .find(|(_, id)| Some(*id) == operation.operation_id.as_deref())
            else {
                // Unreachable: every operation comes from a declared handler, whose name is its
                // id (tested below).
                continue;
            };
            routes.push(Route {
                function,
                operation_id,
                key: format!("{method} {path}"),
                access: access_of(operation),
                segments: segments(path),
                path: path.clone(),
                method,
            });
        }
    }
    let mut allow: Vec<(String, String)> = Vec::new();
    for route in &routes {
        match allow.iter_mut().find(|(path, _)| *path == route.path) {
            Some((_, methods)) => {
                methods.push_str(", ");
                methods.push_str(route.method.as_str());
            }
            None => allow.push((route.path.clone(), route.method.to_string())),
        }
    }
    Table { routes, allow }
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_start_matches('/')
        .split('/')
        .map(|segment| {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) => Segment::Parameter(name.to_owned()),
                None => Segment::Literal(segment.to_owned()),
            }
        })
        .collect()
}

/// Who may call an operation, from its security requirement: the bearer scheme is a user, SigV4
/// a service, SigV4 with the `admin` role the admin tooling, none the public.
fn access_of(operation: &Operation) -> Access {
    let requirements = serde_json::to_value(&operation.security).unwrap_or_default();
    let schemes: Vec<(String, Vec<String>)> = requirements
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_object)
        .flat_map(|requirement| {
            requirement.iter().map(|(scheme, roles)| {
                let roles = roles
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|role| role.as_str().map(str::to_owned))
                    .collect();
                (scheme.clone(), roles)
            })
        })
        .collect();
    if schemes.iter().any(|(scheme, _)| scheme == BEARER_SCHEME) {
        Access::User
    } else if let Some((_, roles)) = schemes.iter().find(|(scheme, _)| scheme == SIGV4_SCHEME) {
        if roles.iter().any(|role| role == ADMIN_ROLE) {
            Access::Admin
        } else {
            Access::Service
        }
    } else {
        Access::Public
    }
}

/// Every route of the API.
pub fn routes() -> &'static [Route] {
    &TABLE.routes
}

/// The route a Lambda function serves, by the function's (crate) name.
pub fn route_for_function(function: &str) -> Option<&'static Route> {
    routes()
        .iter()
        .find(|route| route.function == Some(function))
}

/// Raw (percent-encoded) path parameters by name.
type Parameters<'a> = Vec<(&'static str, &'a str)>;

/// The path template that matches `path` best (the most literal one), with its parameters.
fn matching(path: &str) -> Option<(&'static str, Parameters<'_>)> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut best: Option<(&'static Route, Parameters<'_>)> = None;
    for route in routes() {
        let Some(parameters) = route.parameters(&segments) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(b, _)| route.specificity() > b.specificity())
        {
            best = Some((route, parameters));
        }
    }
    best.map(|(route, parameters)| (route.path.as_str(), parameters))
}

/// The route for `method` and `path`, or `route_not_found` / `method_not_allowed`.
pub(crate) fn resolve<'a>(method: &Method, path: &'a str) -> Result<Matched<'a>, ApiError> {
    let (template, parameters) = matching(path).ok_or(ApiError::RouteNotFound)?;
    let route = routes()
        .iter()
        .find(|route| route.path == template && route.method == *method);
    match route {
        Some(route) => Ok(Matched { route, parameters }),
        None => {
            let allow = TABLE
                .allow
                .iter()
                .find(|(path, _)| path == template)
                .map_or("", |(_, methods)| methods.as_str());
            Err(ApiError::MethodNotAllowed { allow })
        }
    }
}

/// Who may call `path` (any method), or `None` when no route serves it. Transports use this to
/// decide which credentials to check before calling [`crate::Api::handle`], as API Gateway does
/// per route.
pub fn route_access(path: &str) -> Option<Access> {
    let (template, _) = matching(path)?;
    routes()
        .iter()
        .find(|route| route.path == template)
        .map(|route| route.access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_handler_is_one_route_named_after_it() {
        for (function, operation_id) in DECLARED {
            let found: Vec<&Route> = routes()
                .iter()
                .filter(|r| r.operation_id == *operation_id)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{operation_id}: its operation id must be its name"
            );
            assert_eq!(found[0].function, *function);
        }
        assert_eq!(routes().len(), DECLARED.len());
        let functions: Vec<&str> = routes().iter().filter_map(|r| r.function).collect();
        let distinct: std::collections::BTreeSet<&str> = functions.iter().copied().collect();
        assert_eq!(functions.len(), distinct.len(), "one function per route");
    }

    #[test]
    fn current_is_a_route_not_a_session_id() {
        let matched = resolve(&Method::DELETE, "/sessions/current").unwrap();
        assert_eq!(matched.route.operation_id, "revoke_current_session");
        assert!(matched.parameters.is_empty());
        assert_eq!(route_access("/sessions/current"), Some(Access::User));
        assert!(matches!(
            resolve(&Method::GET, "/sessions/current"),
            Err(ApiError::MethodNotAllowed { allow: "DELETE" })
        ));
    }

    #[test]
    fn path_parameters_are_captured_raw() {
        let matched = resolve(&Method::PUT, "/internal/users/auth0%7Cx/session-policy").unwrap();
        assert_eq!(matched.route.operation_id, "set_session_policy");
        assert_eq!(matched.parameters, vec![("user_id", "auth0%7Cx")]);
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
    fn access_follows_the_operation_security() {
        assert_eq!(route_access("/sessions"), Some(Access::User));
        assert_eq!(route_access("/internal/sessions"), Some(Access::Service));
        assert_eq!(route_access("/openapi.json"), Some(Access::Public));
        assert_eq!(route_access("/nope"), None);
    }

    #[test]
    fn a_function_serves_the_route_of_its_name() {
        let route = route_for_function("create-session").unwrap();
        assert_eq!(route.route_key(), "POST /internal/sessions");
        assert!(route_for_function("no-such-function").is_none());
    }
}
