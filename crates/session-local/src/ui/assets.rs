//! The pages' files, compiled into the binary so `cargo run -p session-local` serves them from
//! any working directory.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, header};
use session_api::{ApiError, problem_response};

use crate::server::request_id;

/// One file served under `/ui/`.
pub(crate) struct Asset {
    pub path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub(crate) const ASSETS: &[Asset] = &[
    Asset {
        path: "/ui/devices",
        content_type: HTML,
        body: include_str!("../../ui/devices.html"),
    },
    Asset {
        path: "/ui/console",
        content_type: HTML,
        body: include_str!("../../ui/console.html"),
    },
    Asset {
        path: "/ui/session-devices.js",
        content_type: JS,
        body: include_str!("../../ui/session-devices.js"),
    },
    Asset {
        path: "/ui/devices-host.js",
        content_type: JS,
        body: include_str!("../../ui/devices-host.js"),
    },
    Asset {
        path: "/ui/console.js",
        content_type: JS,
        body: include_str!("../../ui/console.js"),
    },
    Asset {
        path: "/ui/pages.css",
        content_type: CSS,
        body: include_str!("../../ui/pages.css"),
    },
];

/// Scripts and styles only from this origin, no inline code, no framing: the component keeps
/// its styles in a constructed stylesheet, which this policy allows.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

impl Asset {
    pub(crate) fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        // A developer editing the files and rebuilding sees the new version on reload.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if self.content_type == HTML {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
        }
        response
    }
}

/// The answer to any method but GET (and HEAD, which axum serves from GET) on a file.
pub(crate) async fn only_get(request: Request) -> Response {
    let error = ApiError::MethodNotAllowed { allow: "GET" };
    problem_response(&error, request.uri().path(), &request_id()).map(Body::from)
}
