//! Bearer authentication: only a well-signed, unexpired token for the right issuer and audience,
//! naming an active session of its subject, makes a signed-in caller. Everything else is a 401
//! problem (and a store failure a 503, not a 401).

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use session_api::{ApiError, AuthError, Caller, TokenRejection, problem_response};

use super::support::{Harness, Login, SECRET};
use super::tokens::{claims, edit, sign, sign_with_header};
use crate::logs::LogCapture;

/// Authenticates `header`, checks the failure is the `expected` one, and that the API renders it
/// as a 401 problem with `code` and a `WWW-Authenticate` challenge.
async fn assert_401(
    h: &Harness,
    header: Option<&str>,
    code: &str,
    expected: impl Fn(&AuthError) -> bool,
) {
    let error = h
        .authenticator
        .authenticate(header)
        .await
        .expect_err("authentication must fail");
    assert!(
        expected(&error),
        "unexpected failure {error:?} for {header:?}"
    );
    assert!(error.is_unauthenticated());
    let response = problem_response(&ApiError::from(error), "/sessions", "req-auth");
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        response
            .headers()
            .contains_key(http::header::WWW_AUTHENTICATE)
    );
    let problem: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], 401);
}

#[tokio::test]
async fn a_valid_token_on_an_active_session_makes_a_signed_in_caller() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let header = format!("Bearer {}", h.token(&login));
    let caller = h.authenticator.authenticate(Some(&header)).await.unwrap();
    assert_eq!(caller, login.caller());
}

#[tokio::test]
async fn the_sid_claim_names_the_session_too() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let token = sign(
        &edit(
            edit(claims(&login), "session_id", None),
            "sid",
            Some(json!(login.session_id.to_string())),
        ),
        SECRET,
    );
    let caller = h
        .authenticator
        .authenticate(Some(&format!("Bearer {token}")))
        .await
        .unwrap();
    assert_eq!(caller, login.caller());
}

#[tokio::test]
async fn a_missing_header_is_401_unauthorized() {
    let h = Harness::new();
    assert_401(&h, None, "unauthorized", |e| {
        matches!(e, AuthError::MissingToken)
    })
    .await;
}

#[tokio::test]
async fn a_header_that_is_not_a_bearer_token_is_401() {
    let h = Harness::new();
    for header in ["Basic YWxpY2U6cHc=", "Bearer", "Token abc", ""] {
        assert_401(&h, Some(header), "invalid_token", |e| {
            matches!(e, AuthError::MalformedHeader)
        })
        .await;
    }
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let issued = Utc::now() - chrono::Duration::hours(2);
    let token = h
        .issuer
        .issue_at(
            &login.user_id,
            login.session_id,
            issued,
            Duration::from_secs(3600),
        )
        .unwrap();
    assert_401(&h, Some(&format!("Bearer {token}")), "invalid_token", |e| {
        matches!(e, AuthError::InvalidToken(TokenRejection::Expired))
    })
    .await;
}

#[tokio::test]
async fn a_token_with_a_bad_signature_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let forged = sign(&claims(&login), b"some-other-secret-that-is-32-bytes-long");
    assert_401(
        &h,
        Some(&format!("Bearer {forged}")),
        "invalid_token",
        |e| matches!(e, AuthError::InvalidToken(TokenRejection::BadSignature)),
    )
    .await;

    // A valid token whose payload was swapped for another user's.
    let genuine = h.token(&login);
    let bob = sign(&edit(claims(&login), "sub", Some(json!("bob"))), SECRET);
    let mut parts: Vec<&str> = genuine.split('.').collect();
    parts[1] = bob.split('.').nth(1).unwrap();
    let tampered = parts.join(".");
    assert_401(
        &h,
        Some(&format!("Bearer {tampered}")),
        "invalid_token",
        |e| matches!(e, AuthError::InvalidToken(TokenRejection::BadSignature)),
    )
    .await;
}

#[tokio::test]
async fn a_token_for_another_issuer_or_audience_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let wrong_iss = sign(
        &edit(claims(&login), "iss", Some(json!("https://evil.test"))),
        SECRET,
    );
    assert_401(
        &h,
        Some(&format!("Bearer {wrong_iss}")),
        "invalid_token",
        |e| matches!(e, AuthError::InvalidToken(TokenRejection::WrongIssuer)),
    )
    .await;

    let wrong_aud = sign(&edit(claims(&login), "aud", Some(json!("billing"))), SECRET);
    assert_401(
        &h,
        Some(&format!("Bearer {wrong_aud}")),
        "invalid_token",
        |e| matches!(e, AuthError::InvalidToken(TokenRejection::WrongAudience)),
    )
    .await;

    let no_aud = sign(&edit(claims(&login), "aud", None), SECRET);
    assert_401(
        &h,
        Some(&format!("Bearer {no_aud}")),
        "invalid_token",
        |e| matches!(e, AuthError::InvalidToken(TokenRejection::MissingClaim(_))),
    )
    .await;
}

/// RFC 7515 section 4.1.11: a `crit` header names extensions the recipient must understand; this
/// service understands none, so a well-signed token with any `crit` is refused.
#[tokio::test]
async fn a_token_whose_header_lists_critical_extensions_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    for crit in [vec!["exp".to_owned()], vec!["b64".to_owned()], Vec::new()] {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.crit = Some(crit);
        let token = sign_with_header(&claims(&login), header, SECRET);
        assert_401(&h, Some(&format!("Bearer {token}")), "invalid_token", |e| {
            matches!(e, AuthError::InvalidToken(TokenRejection::CriticalHeader))
        })
        .await;
    }
}

/// RFC 7519 section 4.1.1: `iss` is one string. An array that contains the right issuer was
/// accepted before (the JWT library checks membership).
#[tokio::test]
async fn an_issuer_given_as_an_array_is_401_even_when_it_holds_the_issuer() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let issuer = claims(&login)["iss"].clone();
    for iss in [json!([issuer]), json!([issuer, "https://evil.test"])] {
        let token = sign(&edit(claims(&login), "iss", Some(iss)), SECRET);
        assert_401(&h, Some(&format!("Bearer {token}")), "invalid_token", |e| {
            matches!(
                e,
                AuthError::InvalidToken(TokenRejection::InvalidClaim("iss"))
            )
        })
        .await;
    }
}

/// RFC 7519 section 4.1.2: `sub` is one string; the user id is never picked out of an array.
#[tokio::test]
async fn a_subject_given_as_an_array_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let user = login.user_id.as_str().to_owned();
    for sub in [json!([user]), json!([user, "bob"]), json!({"sub": user})] {
        let token = sign(&edit(claims(&login), "sub", Some(sub)), SECRET);
        assert_401(&h, Some(&format!("Bearer {token}")), "invalid_token", |e| {
            matches!(
                e,
                AuthError::InvalidToken(
                    TokenRejection::Malformed
                        | TokenRejection::InvalidClaim("sub")
                        | TokenRejection::MissingClaim(_)
                )
            )
        })
        .await;
    }
}

#[tokio::test]
async fn a_token_without_a_session_claim_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let token = sign(&edit(claims(&login), "session_id", None), SECRET);
    assert_401(&h, Some(&format!("Bearer {token}")), "invalid_token", |e| {
        matches!(
            e,
            AuthError::InvalidToken(TokenRejection::MissingSessionClaim)
        )
    })
    .await;
}

#[tokio::test]
async fn a_token_for_a_revoked_session_is_401_on_the_next_request() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let header = format!("Bearer {}", h.token(&login));
    assert!(h.authenticator.authenticate(Some(&header)).await.is_ok());
    h.user(&login, "DELETE", "/sessions/current")
        .await
        .no_content();
    assert_401(&h, Some(&header), "invalid_token", |e| {
        matches!(e, AuthError::SessionInactive { reason: "revoked" })
    })
    .await;
}

#[tokio::test]
async fn a_token_for_an_expired_or_unknown_session_is_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let header = format!("Bearer {}", h.token(&login));
    h.clock.advance(chrono::Duration::days(31));
    assert_401(&h, Some(&header), "invalid_token", |e| {
        matches!(e, AuthError::SessionInactive { reason: "expired" })
    })
    .await;

    let ghost = Login {
        user_id: login.user_id.clone(),
        session_id: "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b".parse().unwrap(),
    };
    assert_401(
        &h,
        Some(&format!("Bearer {}", h.token(&ghost))),
        "invalid_token",
        |e| {
            matches!(
                e,
                AuthError::SessionInactive {
                    reason: "not_found"
                }
            )
        },
    )
    .await;
}

#[tokio::test]
async fn a_token_naming_another_users_session_is_401() {
    let h = Harness::new();
    let alice = h.login("alice").await;
    let bob = Login {
        user_id: "bob".parse().unwrap(),
        session_id: alice.session_id,
    };
    assert_401(
        &h,
        Some(&format!("Bearer {}", h.token(&bob))),
        "invalid_token",
        |e| matches!(e, AuthError::SessionOwnerMismatch),
    )
    .await;
}

#[tokio::test]
async fn a_store_failure_while_checking_the_session_is_503_not_401() {
    let h = Harness::new();
    let login = h.login("alice").await;
    let header = format!("Bearer {}", h.token(&login));
    h.store.faults().fail_next_reads(1);
    let error = h
        .authenticator
        .authenticate(Some(&header))
        .await
        .unwrap_err();
    assert!(!error.is_unauthenticated());
    let api_error = ApiError::from(error);
    assert_eq!(
        (api_error.status().as_u16(), api_error.code()),
        (503, "store_unavailable")
    );
    assert_eq!(
        h.authenticator.authenticate(Some(&header)).await.unwrap(),
        Caller::User {
            user_id: login.user_id,
            session_id: login.session_id,
        }
    );
}

/// Every way a bearer token can fail is logged with its reason, and no part of the token that
/// carries claims or signature ever reaches the log (threat 7 in docs/security.md).
#[tokio::test]
async fn failed_authentications_log_the_reason_but_never_the_token() {
    let (logs, _default) = LogCapture::install();
    let h = Harness::new();
    let login = h.login("alice").await;
    let revoked = h.token(&login);
    h.user(&login, "DELETE", "/sessions/current")
        .await
        .no_content();
    let tokens = [
        revoked,
        sign(&claims(&login), b"some-other-secret-that-is-32-bytes-long"),
        sign(
            &edit(claims(&login), "iss", Some(json!("https://evil.test"))),
            SECRET,
        ),
        sign(&edit(claims(&login), "exp", Some(json!(1))), SECRET),
        sign(&edit(claims(&login), "session_id", None), SECRET),
    ];
    for token in &tokens {
        for header in [
            format!("Bearer {token}"),
            format!("Bearer {token} trailing"),
        ] {
            assert!(h.authenticator.authenticate(Some(&header)).await.is_err());
        }
        let request = http::Request::builder()
            .uri("/sessions")
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(bytes::Bytes::new())
            .unwrap();
        h.send(session_api::Caller::Anonymous, request).await;
    }

    let text = logs.text();
    let failures = text.matches("bearer authentication failed").count();
    assert_eq!(failures, 2 * tokens.len(), "each failure is logged: {text}");
    for token in &tokens {
        for part in token.split('.').skip(1) {
            assert!(
                !text.contains(part),
                "a token part reached the logs: {part}"
            );
        }
    }
}
