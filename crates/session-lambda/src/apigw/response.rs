//! The API's `http::Response<Bytes>` to the response API Gateway expects from an HTTP API
//! integration (payload 2.0): `Set-Cookie` values in `cookies`, every other header as one value
//! (API Gateway has no multi-value headers in this format, so repeated ones are joined with
//! commas, RFC 9110 section 5.3), and a body that is text or base64.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use bytes::Bytes;
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue, Response};

pub fn encode(response: Response<Bytes>) -> ApiGatewayV2httpResponse {
    let (parts, bytes) = response.into_parts();
    let mut encoded = ApiGatewayV2httpResponse::default();
    encoded.status_code = i64::from(parts.status.as_u16());
    encoded.cookies = parts
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    encoded.headers = single_valued(&parts.headers);
    (encoded.body, encoded.is_base64_encoded) = if bytes.is_empty() {
        (None, false)
    } else {
        match String::from_utf8(bytes.into()) {
            Ok(text) => (Some(Body::Text(text)), false),
            Err(binary) => (Some(Body::Binary(binary.into_bytes())), true),
        }
    };
    encoded
}

/// One value per name, `Set-Cookie` left out. Values are made UTF-8 (the event is JSON): the
/// API only writes ASCII, so the lossy conversion never changes one of ours.
fn single_valued(headers: &HeaderMap) -> HeaderMap {
    let mut single = HeaderMap::with_capacity(headers.keys_len());
    for name in headers.keys() {
        if name == SET_COOKIE {
            continue;
        }
        let joined = headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()))
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(value) = HeaderValue::try_from(joined) {
            single.insert(name.clone(), value);
        }
    }
    single
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use serde_json::{Value, json};

    use super::*;

    fn response(headers: &[(&str, &str)], body: &[u8]) -> Response<Bytes> {
        let mut response = Response::new(Bytes::copy_from_slice(body));
        *response.status_mut() = StatusCode::CREATED;
        for (name, value) in headers {
            response.headers_mut().append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        response
    }

    fn as_json(encoded: &ApiGatewayV2httpResponse) -> Value {
        serde_json::to_value(encoded).unwrap()
    }

    #[test]
    fn a_json_response_is_text_with_its_headers() {
        let encoded = encode(response(
            &[("content-type", "application/json")],
            br#"{"ok":true}"#,
        ));
        let json = as_json(&encoded);
        assert_eq!(json["statusCode"], 201);
        assert_eq!(json["headers"], json!({"content-type": "application/json"}));
        assert_eq!(json["body"], r#"{"ok":true}"#);
        assert_eq!(json["isBase64Encoded"], false);
        assert_eq!(json["cookies"], json!([]));
    }

    #[test]
    fn repeated_headers_are_joined_and_cookies_move_to_cookies() {
        let encoded = encode(response(
            &[
                ("vary", "accept"),
                ("vary", "authorization"),
                ("set-cookie", "a=1; Secure"),
                ("set-cookie", "b=2"),
            ],
            b"",
        ));
        let json = as_json(&encoded);
        assert_eq!(json["headers"], json!({"vary": "accept, authorization"}));
        assert_eq!(json["cookies"], json!(["a=1; Secure", "b=2"]));
        assert!(json.get("body").is_none(), "{json}");
    }

    #[test]
    fn a_body_that_is_not_utf8_is_sent_as_base64() {
        let json = as_json(&encode(response(&[], &[0xff, 0x00])));
        assert_eq!(json["body"], "/wA=");
        assert_eq!(json["isBase64Encoded"], true);
    }
}
