//! An API Gateway HTTP API event, as the Lambda runtime hands it over (any JSON), to the
//! `http::Request<Bytes>` the API serves plus the request context the caller comes from.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{COOKIE, HOST};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use serde::Deserialize;
use serde_json::Value;
use session_api::{ApiError, MAX_URI_BYTES};
use session_core::ids::truncate_text;
use thiserror::Error;

use super::authority;

static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// A decoded event: the request as the API sees it, and API Gateway's context (route key,
/// authorizer output, source address).
#[derive(Debug)]
pub struct HttpEvent {
    pub request: Request<Bytes>,
    pub context: ApiGatewayV2httpRequestContext,
}

/// Why an event is not an HTTP request. Each is the client's (or, for the event's own fields, a
/// misconfigured integration's) fault: a 400, never a 5xx.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("the event is not an API Gateway HTTP API 2.0 request")]
    NotAnHttpEvent,
    #[error("a header name is not a valid HTTP header name")]
    HeaderName,
    #[error("the `{0}` header is not a valid header value")]
    HeaderValue(String),
    #[error("the method is not an HTTP method")]
    Method,
    #[error("the Host header is not a host")]
    Host,
    #[error("the X-Forwarded-Proto header is not http or https")]
    ForwardedProto,
    #[error("requestContext.domainName is not a host")]
    DomainName,
    #[error("rawPath is not an absolute path")]
    Path,
    #[error("rawQueryString is not a query")]
    Query,
    #[error("the path and query are longer than {MAX_URI_BYTES} bytes")]
    UriTooLong,
    #[error("the cookies do not make a Cookie header")]
    Cookies,
    #[error("the body is marked base64 but is not base64")]
    Base64Body,
}

/// Longest header name echoed back in a problem; header names are the client's.
const MAX_ECHOED_NAME_BYTES: usize = 64;

impl From<EventError> for ApiError {
    fn from(error: EventError) -> Self {
        match error {
            EventError::NotAnHttpEvent => Self::field(
                "event",
                "is not an API Gateway HTTP API (payload 2.0) request",
            ),
            EventError::HeaderName => Self::field("headers", "a name is not a valid header name"),
            EventError::HeaderValue(name) => Self::field(name, "is not a valid header value"),
            EventError::Method => Self::field("method", "is not an HTTP method"),
            EventError::Host => Self::field(
                "Host",
                "must be a host name or an IP address, with an optional port",
            ),
            EventError::ForwardedProto => Self::field("X-Forwarded-Proto", "must be http or https"),
            EventError::DomainName => Self::field(
                "requestContext.domainName",
                "must be a host name or an IP address, with an optional port",
            ),
            EventError::Path => Self::field(
                "path",
                "must be an absolute path of URI characters, without `?` or `#`",
            ),
            EventError::Query => Self::field("query", "must be URI characters, without `#`"),
            EventError::UriTooLong => Self::UriTooLong {
                limit: MAX_URI_BYTES,
            },
            EventError::Cookies => Self::field("Cookie", "is not a valid header value"),
            EventError::Base64Body => Self::UnreadableBody,
        }
    }
}

/// Reads one event. Total: every JSON value gives a request or the reason it is not one.
pub fn decode(event: &Value) -> Result<HttpEvent, EventError> {
    let event = match ApiGatewayV2httpRequest::deserialize(event) {
        Ok(event) => event,
        Err(_) => return Err(why_not_an_event(event)),
    };
    let uri = uri(&event)?;
    let body = body(event.body, event.is_base64_encoded)?;
    let mut headers = event.headers;
    // API Gateway moves the Cookie header into `cookies`; the request gets it back as one header.
    if let Some(cookies) = event.cookies.filter(|c| !c.is_empty()) {
        let value = HeaderValue::try_from(cookies.join("; ")).map_err(|_| EventError::Cookies)?;
        headers.insert(COOKIE, value);
    }
    let context = event.request_context;
    let mut request = Request::builder()
        .method(context.http.method.clone())
        .uri(uri)
        .body(body)
        .map_err(|_| EventError::NotAnHttpEvent)?;
    *request.headers_mut() = headers;
    Ok(HttpEvent { request, context })
}

/// `scheme://authority` + `rawPath` + `?rawQueryString`. The scheme is `X-Forwarded-Proto` (API
/// Gateway sets it) or `https`; the authority the `Host` header or else `domainName`. Without
/// either the URI is the path and query alone. The functions are served on the `$default` stage
/// (template.yaml), so `rawPath` carries no stage prefix.
fn uri(event: &ApiGatewayV2httpRequest) -> Result<Uri, EventError> {
    let path = event.raw_path.as_deref().unwrap_or_default();
    let query = event.raw_query_string.as_deref().unwrap_or_default();
    if path.len() + query.len() > MAX_URI_BYTES {
        return Err(EventError::UriTooLong);
    }
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(EventError::Path);
    }
    if query.contains('#') {
        return Err(EventError::Query);
    }
    let path_and_query = if query.is_empty() {
        PathAndQuery::try_from(path).map_err(|_| EventError::Path)?
    } else {
        PathAndQuery::try_from(path).map_err(|_| EventError::Path)?;
        PathAndQuery::try_from(format!("{path}?{query}")).map_err(|_| EventError::Query)?
    };
    let mut uri = Uri::builder();
    if let Some(authority) = authority(event)? {
        uri = uri.scheme(scheme(event)?).authority(authority);
    }
    uri.path_and_query(path_and_query)
        .build()
        .map_err(|_| EventError::Path)
}

fn scheme(event: &ApiGatewayV2httpRequest) -> Result<Scheme, EventError> {
    match event.headers.get(&X_FORWARDED_PROTO) {
        None => Ok(Scheme::HTTPS),
        Some(proto) => match proto.as_bytes() {
            p if p.eq_ignore_ascii_case(b"https") => Ok(Scheme::HTTPS),
            p if p.eq_ignore_ascii_case(b"http") => Ok(Scheme::HTTP),
            _ => Err(EventError::ForwardedProto),
        },
    }
}

/// The `Host` header (RFC 9112 section 3.2: an invalid one is a 400), or else API Gateway's
/// `domainName`. An empty `Host` counts as none (RFC 9110 section 7.2 allows it).
fn authority(event: &ApiGatewayV2httpRequest) -> Result<Option<Authority>, EventError> {
    let host = match event.headers.get(HOST) {
        Some(value) if !value.is_empty() => {
            return checked_authority(value.to_str().ok(), EventError::Host).map(Some);
        }
        _ => event.request_context.domain_name.as_deref(),
    };
    match host {
        None | Some("") => Ok(None),
        Some(name) => checked_authority(Some(name), EventError::DomainName).map(Some),
    }
}

fn checked_authority(text: Option<&str>, error: EventError) -> Result<Authority, EventError> {
    match text {
        Some(text) if authority::is_valid(text) => Authority::try_from(text).map_err(|_| error),
        _ => Err(error),
    }
}

fn body(body: Option<String>, base64: bool) -> Result<Bytes, EventError> {
    match body {
        None => Ok(Bytes::new()),
        Some(text) if base64 => STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(|_| EventError::Base64Body),
        Some(text) => Ok(Bytes::from(text)),
    }
}

/// Names the part of an event that kept it from deserializing: a header, the method, or else the
/// event as a whole. Runs only for refused events. The deserializer's own message is not used: it
/// can quote a header value, and an `Authorization` value is a credential.
fn why_not_an_event(event: &Value) -> EventError {
    if let Some(headers) = event.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
                return EventError::HeaderName;
            };
            let valid = value
                .as_str()
                .is_some_and(|text| HeaderValue::from_str(text).is_ok());
            if !valid {
                return EventError::HeaderValue(truncate_text(
                    header.as_str(),
                    MAX_ECHOED_NAME_BYTES,
                ));
            }
        }
    }
    let method = event.pointer("/requestContext/http/method");
    if let Some(method) = method
        && method
            .as_str()
            .is_none_or(|m| Method::from_bytes(m.as_bytes()).is_err())
    {
        return EventError::Method;
    }
    EventError::NotAnHttpEvent
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The smallest event API Gateway sends for `GET /sessions`, with `edit` applied.
    fn event(edit: impl FnOnce(&mut Value)) -> Value {
        let mut event = json!({
            "version": "2.0",
            "routeKey": "GET /sessions",
            "rawPath": "/sessions",
            "rawQueryString": "active_only=true&limit=5",
            "headers": {
                "host": "abc123.execute-api.eu-west-1.amazonaws.com",
                "x-forwarded-proto": "https",
                "authorization": "Bearer a.b.c"
            },
            "requestContext": {
                "requestId": "req-1",
                "routeKey": "GET /sessions",
                "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                "stage": "$default",
                "http": {"method": "GET", "path": "/sessions", "sourceIp": "203.0.113.7"}
            },
            "isBase64Encoded": false
        });
        edit(&mut event);
        event
    }

    #[test]
    fn a_delivered_event_becomes_the_request_it_stands_for() {
        let decoded = decode(&event(|e| {
            e["requestContext"]["http"]["method"] = json!("DELETE");
            e["cookies"] = json!(["a=1", "b=2"]);
            e["body"] = json!("{\"x\":1}");
        }))
        .unwrap();
        let request = &decoded.request;
        assert_eq!(request.method(), Method::DELETE);
        assert_eq!(
            request.uri().to_string(),
            "https://abc123.execute-api.eu-west-1.amazonaws.com/sessions?active_only=true&limit=5"
        );
        assert_eq!(request.uri().path(), "/sessions");
        assert_eq!(request.uri().query(), Some("active_only=true&limit=5"));
        assert_eq!(request.headers()["authorization"], "Bearer a.b.c");
        assert_eq!(request.headers()[COOKIE], "a=1; b=2");
        assert_eq!(request.body().as_ref(), b"{\"x\":1}");
        assert_eq!(decoded.context.route_key.as_deref(), Some("GET /sessions"));
    }

    #[test]
    fn the_authority_falls_back_to_the_domain_name_and_the_uri_to_the_path() {
        let from_domain = decode(&event(|e| {
            e["headers"].as_object_mut().unwrap().remove("host");
            e["headers"]["x-forwarded-proto"] = json!("HTTP");
            e["rawQueryString"] = json!("");
        }))
        .unwrap();
        assert_eq!(
            from_domain.request.uri().to_string(),
            "http://abc123.execute-api.eu-west-1.amazonaws.com/sessions"
        );
        let bare = decode(&event(|e| {
            e["headers"] = json!({"host": ""});
            e["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("domainName");
        }))
        .unwrap();
        assert_eq!(
            bare.request.uri().to_string(),
            "/sessions?active_only=true&limit=5"
        );
    }

    #[test]
    fn a_base64_body_is_decoded() {
        let decoded = decode(&event(|e| {
            e["body"] = json!("AP8=");
            e["isBase64Encoded"] = json!(true);
        }))
        .unwrap();
        assert_eq!(decoded.request.body().as_ref(), &[0x00, 0xff]);
    }

    /// The inputs that made lambda_http 1.3.2 panic (fuzz/regressions/api_request/), and their
    /// neighbours: each is refused with its reason.
    #[test]
    fn malformed_parts_are_refused_with_their_reason() {
        let long = "/".repeat(MAX_URI_BYTES + 1);
        let cases: Vec<(Value, EventError)> = vec![
            (
                event(|e| e["headers"]["host"] = json!("a%")),
                EventError::Host,
            ),
            (
                event(|e| e["headers"]["host"] = json!("a.example,b.example")),
                EventError::Host,
            ),
            (
                event(|e| e["headers"]["x-forwarded-proto"] = json!("h h")),
                EventError::ForwardedProto,
            ),
            (
                event(|e| e["headers"]["x-forwarded-proto"] = json!("ftp")),
                EventError::ForwardedProto,
            ),
            (
                event(|e| {
                    e["headers"].as_object_mut().unwrap().remove("host");
                    e["requestContext"]["domainName"] = json!("a%");
                }),
                EventError::DomainName,
            ),
            (
                event(|e| e["rawPath"] = json!("sessions")),
                EventError::Path,
            ),
            (event(|e| e["rawPath"] = json!("")), EventError::Path),
            (event(|e| e["rawPath"] = json!("/a b")), EventError::Path),
            (event(|e| e["rawPath"] = json!("/a?b")), EventError::Path),
            (event(|e| e["rawPath"] = json!("/a#b")), EventError::Path),
            (
                event(|e| e["rawQueryString"] = json!("a b")),
                EventError::Query,
            ),
            (
                event(|e| e["rawQueryString"] = json!("a#b")),
                EventError::Query,
            ),
            (
                event(|e| e["rawPath"] = json!(long)),
                EventError::UriTooLong,
            ),
            (
                event(|e| e["cookies"] = json!(["a=\u{1}"])),
                EventError::Cookies,
            ),
            (
                event(|e| {
                    e["body"] = json!("not base64!");
                    e["isBase64Encoded"] = json!(true);
                }),
                EventError::Base64Body,
            ),
            (
                event(|e| e["headers"]["x-note"] = json!("line\nbreak")),
                EventError::HeaderValue("x-note".into()),
            ),
            (
                event(|e| e["headers"]["x-count"] = json!(3)),
                EventError::HeaderValue("x-count".into()),
            ),
            (
                event(|e| e["headers"]["bad name"] = json!("v")),
                EventError::HeaderName,
            ),
            (
                event(|e| e["requestContext"]["http"]["method"] = json!("GE T")),
                EventError::Method,
            ),
            (
                event(|e| {
                    e["requestContext"].as_object_mut().unwrap().remove("http");
                }),
                EventError::NotAnHttpEvent,
            ),
            (json!("not an object"), EventError::NotAnHttpEvent),
            (json!(null), EventError::NotAnHttpEvent),
        ];
        for (event, expected) in cases {
            let refused = decode(&event).expect_err(&event.to_string());
            assert_eq!(refused, expected, "{event}");
            let api_error = ApiError::from(refused);
            assert_eq!(api_error.status().as_u16() / 100, 4, "{event}");
        }
    }

    #[test]
    fn a_refused_header_value_is_named_but_never_quoted() {
        let refused = decode(&event(|e| {
            e["headers"]["authorization"] = json!("Bearer secret-token\u{0}");
        }))
        .unwrap_err();
        let problem = ApiError::from(refused).to_problem("/sessions", "req-1");
        let text = serde_json::to_string(&problem).unwrap();
        assert!(text.contains("authorization"), "{text}");
        assert!(!text.contains("secret-token"), "{text}");
    }
}
