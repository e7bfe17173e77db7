//! Revocation takes effect on the next request: after a revoke of any kind (one, all, eviction,
//! password change) the very next authorizer call for that session is denied, against
//! DynamoDB Local.

use session_tests::fixture::register;
use std::str::FromStr;
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use http::HeaderValue;
use session_api::Authenticator;
use session_core::Sessions;
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::{SessionId, UserId};
use session_core::ports::SessionStore;
use session_core::use_cases::{CreateSession, RevokeAllUserSessions, RevokeSession};
use session_dynamodb::DynamoStore;
use session_lambda::account_events::{AccountEventsConsumer, Outcome};
use session_lambda::authorizer::Authorizer;
use session_lambda::config::AuthEventsConfig;
use session_tests::event_contracts::CheckedStore;

use super::support::{Check, issuer, sessions_on_fresh_table, standins, verifier};

async fn login(sessions: &Sessions<CheckedStore<DynamoStore>>, user: &UserId) -> SessionId {
    let cmd = CreateSession {
        user_id: user.clone(),
        ip_address: None,
        user_agent: None,
        expires_at: None,
        refresh_token_id: None,
        auth_time: None,
        aal: Default::default(),
        amr: Default::default(),
        device: None,
        replace_session_id: None,
    };
    sessions.create_session(cmd).await.unwrap().session.id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_authorizer_call_after_any_revocation_is_denied() {
    let Some(sdk) = standins().await else { return };
    let (sessions, _table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();
    register(&sessions, &alice, "basic", None).await;
    let check = Check::new(&sessions, &alice);
    let laptop = login(&sessions, &alice).await;
    let phone = login(&sessions, &alice).await;
    assert!(check.allows(laptop).await && check.allows(phone).await);

    // Revoke one.
    let by = Actor::User {
        user_id: alice.clone(),
    };
    sessions
        .revoke_session(RevokeSession {
            session_id: phone,
            owner: session_core::use_cases::Owner::User(alice.clone()),
            reason: RevocationReason::Manual,
            by: by.clone(),
            note: None,
        })
        .await
        .unwrap();
    assert!(
        !check.allows(phone).await,
        "revoked: denied on the next call"
    );
    assert!(check.allows(laptop).await);

    // Eviction: two more logins on a limit of 2 evict the laptop.
    let tablet = login(&sessions, &alice).await;
    let desktop = login(&sessions, &alice).await;
    assert!(
        !check.allows(laptop).await,
        "evicted: denied on the next call"
    );
    assert!(check.allows(tablet).await && check.allows(desktop).await);

    // Revoke all but the current one.
    sessions
        .revoke_all_user_sessions(RevokeAllUserSessions {
            user_id: alice.clone(),
            reason: RevocationReason::LogoutAll,
            except_session_id: Some(desktop),
            by,
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        })
        .await
        .unwrap();
    assert!(
        !check.allows(tablet).await,
        "signed out everywhere else: denied on the next call"
    );
    assert!(check.allows(desktop).await);

    // A password reset from the auth service's events.
    let consumer = AccountEventsConsumer::new(
        sessions.clone(),
        AuthEventsConfig {
            source: "auth".into(),
            account: None,
        },
    );
    let event: EventBridgeEvent = serde_json::from_value(serde_json::json!({
        "version": "0", "id": uuid::Uuid::now_v7().to_string(), "detail-type": "PasswordResetConfirmSucceeded",
        "source": "auth", "account": "123456789012", "time": chrono::Utc::now().to_rfc3339(),
        "region": "us-east-1", "resources": [], "detail": {"user_id": "alice"}
    }))
    .unwrap();
    let outcome = consumer.handle(event.clone()).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Revoked {
            session_ids: vec![desktop]
        }
    );
    assert!(
        !check.allows(desktop).await,
        "password reset: denied on the next call"
    );
    assert_eq!(
        consumer.handle(event).await.unwrap(),
        Outcome::AlreadyHandled,
        "redelivery is a no-op"
    );
}

/// With activity recording on, an allowed call from a new address is written to its session
/// (address, idle timer, SessionActivityUpdated in the outbox); with it off, the authorizer
/// only reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_records_requests_as_activity_only_when_switched_on() {
    let Some(sdk) = standins().await else { return };
    let (sessions, _table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();
    register(&sessions, &alice, "basic", None).await;
    let session = login(&sessions, &alice).await;
    let token = issuer()
        .issue(&alice, session, Duration::from_secs(300))
        .unwrap();
    let request = |from: &str| {
        let mut request: ApiGatewayV2CustomAuthorizerV2Request =
            serde_json::from_value(serde_json::json!({
                "type": "REQUEST", "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/sessions",
                "routeKey": "GET /sessions", "rawPath": "/sessions", "rawQueryString": "",
                "headers": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
                "requestContext": {"http": {"method": "GET", "path": "/sessions", "protocol": "HTTP/1.1",
                    "sourceIp": from, "userAgent": "Mozilla/5.0"}, "timeEpoch": 0}
            }))
            .unwrap();
        request.headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        request
    };
    let authorizer = |records: bool| {
        Authorizer::new(Authenticator::new(verifier(), sessions.clone()))
            .recording_activity(records)
    };
    let stored_ip = || async {
        sessions
            .store()
            .load_session(session)
            .await
            .unwrap()
            .unwrap()
            .value
            .last_ip_address()
    };

    let read_only = authorizer(false);
    assert!(
        read_only
            .authorize(&request("198.51.100.7"))
            .await
            .unwrap()
            .is_authorized
    );
    assert_eq!(stored_ip().await, None, "recording off: nothing written");

    let recording = authorizer(true);
    assert!(
        recording
            .authorize(&request("198.51.100.7"))
            .await
            .unwrap()
            .is_authorized
    );
    assert_eq!(
        stored_ip().await,
        Some("198.51.100.7".parse().unwrap()),
        "recording on: the request's address is the session's last"
    );
}

/// Sends an admin request through the HTTP function that serves `function`, as API Gateway would
/// deliver it after IAM authorisation of support's role; answers the status and body.
async fn admin_call(
    sessions: &Sessions<super::support::E2eStore>,
    function: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (i64, serde_json::Value) {
    super::support::call_through_iam(sessions, function, "support", method, path, &body).await
}

/// Support ends a compromised user's sessions through the admin functions on DynamoDB Local:
/// the very next authorizer call for each of them is denied; disabling keeps the user out
/// (logins refused) until the account is enabled, which brings no session back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_admin_revoke_all_the_next_authorizer_call_of_every_session_is_denied() {
    let Some(sdk) = standins().await else { return };
    let (sessions, _table) = sessions_on_fresh_table(&sdk).await;
    let alice = UserId::from_str("alice").unwrap();
    register(&sessions, &alice, "premium", None).await;
    let check = Check::new(&sessions, &alice);
    let mut devices = Vec::new();
    for _ in 0..4 {
        devices.push(login(&sessions, &alice).await);
    }
    for device in &devices {
        assert!(check.allows(*device).await);
    }

    let (status, body) = admin_call(
        &sessions,
        "admin-revoke-all-sessions",
        "DELETE",
        "/admin/users/alice/sessions",
        serde_json::json!({"reason": "security_concern", "actor": "security:oncall", "note": "credential stuffing"}),
    )
    .await;
    assert_eq!(
        (status, body["revoked_count"].as_u64()),
        (200, Some(4)),
        "{body}"
    );
    for device in &devices {
        assert!(
            !check.allows(*device).await,
            "revoked by an admin: denied on the next call"
        );
    }

    let fresh = login(&sessions, &alice).await;
    assert!(check.allows(fresh).await);
    let (status, body) = admin_call(
        &sessions,
        "admin-set-account-status",
        "PUT",
        "/admin/users/alice/status",
        serde_json::json!({"status": "disabled", "reason": "security_concern", "actor": "security:oncall"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("disabled")),
        "{body}"
    );
    assert!(
        !check.allows(fresh).await,
        "disabled: denied on the next call"
    );
    let refused = sessions
        .create_session(CreateSession {
            user_id: alice.clone(),
            ip_address: None,
            user_agent: None,
            expires_at: None,
            refresh_token_id: None,
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
            device: None,
            replace_session_id: None,
        })
        .await;
    assert!(
        matches!(refused, Err(session_core::SessionError::AccountDisabled)),
        "{refused:?}"
    );

    let (status, _) = admin_call(
        &sessions,
        "admin-set-account-status",
        "PUT",
        "/admin/users/alice/status",
        serde_json::json!({"status": "active", "reason": "admin_action", "actor": "support:jane"}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!check.allows(fresh).await, "enabling revives no session");
    let after = login(&sessions, &alice).await;
    assert!(check.allows(after).await);
}
