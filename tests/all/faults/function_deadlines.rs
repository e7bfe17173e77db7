//! The functions outside the HTTP API answer by their invocation's deadline too (docs/0044).
//! The authorizer, with activity recording on: a session check whose write keeps losing its race
//! stops retrying at the deadline, and one whose write the store holds is cut off there; either
//! way the answer is a failure (API Gateway answers 5xx), never an allow, and it comes in time.
//! The account-events consumer: a password reset whose revoke-all keeps losing, or is held,
//! ends at the deadline with `deadline_exceeded` (EventBridge then retries the event).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use session_api::Authenticator;
use session_core::app::DEFAULT_MAX_ATTEMPTS;
use session_core::domain::PolicyConfig;
use session_core::{Deadline, SessionError, Sessions};
use session_lambda::account_events::AccountEventsConsumer;
use session_lambda::authorizer::{Authorizer, AuthorizerFailure};
use session_lambda::config::AuthEventsConfig;
use session_tests::fixture::{login_cmd, user};

use super::contention::LosingStore;
use crate::e2e::support::{issuer, verifier};

const BUDGET: Duration = Duration::from_millis(300);
/// How late after the deadline the answer may come: one back-off and a busy machine.
const SLACK: Duration = Duration::from_millis(250);

/// A request bearing a fresh token of a session of `store`'s user, from an address the login did
/// not use, so that recording it as activity is a write.
async fn request_of_a_session(store: &LosingStore) -> ApiGatewayV2CustomAuthorizerV2Request {
    let alice = user("contended");
    let logins = Sessions::new(store.inner.clone(), PolicyConfig::default());
    let session = logins
        .create_session(login_cmd(&alice))
        .await
        .unwrap()
        .session
        .id();
    let token = issuer()
        .issue(&alice, session, Duration::from_secs(300))
        .unwrap();
    let mut request = ApiGatewayV2CustomAuthorizerV2Request::default();
    request.request_context.http.source_ip = Some("198.51.100.99".to_owned());
    request.headers.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    request
}

/// The session error at the root of an authorizer failure.
fn cause(failure: &AuthorizerFailure) -> Option<&SessionError> {
    let mut error: &dyn std::error::Error = failure;
    while let Some(source) = error.source() {
        error = source;
    }
    error.downcast_ref::<SessionError>()
}

fn authorizer(store: &LosingStore) -> Authorizer<LosingStore> {
    let sessions = Sessions::new(store.clone(), PolicyConfig::default());
    Authorizer::new(Authenticator::new(verifier(), sessions)).recording_activity(true)
}

/// Asks `store`'s authorizer with a deadline [`BUDGET`] away: the answer must be a failure
/// caused by the deadline, by the deadline and a little slack. Returns how long it took.
async fn fails_at_the_deadline(store: &LosingStore) -> Duration {
    let request = request_of_a_session(store).await;

    let started = Instant::now();
    let answer = authorizer(store)
        .authorize_within(&request, Some(Deadline::after(BUDGET)))
        .await;
    let took = started.elapsed();

    let failure = answer.expect_err("a failure, never an allow or a deny");
    assert_eq!(
        cause(&failure).map(SessionError::code),
        Some("deadline_exceeded"),
        "{failure}: the deadline, not the retry budget, ended it"
    );
    assert!(took >= BUDGET, "ended before the deadline: {took:?}");
    assert!(took <= BUDGET + SLACK, "answered late: {took:?}");
    took
}

#[tokio::test]
async fn an_authorizer_whose_activity_write_keeps_losing_fails_at_its_deadline() {
    let store = LosingStore::with_user(&user("contended")).await;

    let took = fails_at_the_deadline(&store).await;

    let commits = store.commits.load(Ordering::SeqCst);
    assert!(
        commits > 1 && commits < DEFAULT_MAX_ATTEMPTS,
        "{commits} commits: retried until the deadline"
    );
    eprintln!("authorizer, losing store: {commits} commits, answered in {took:?}");
}

#[tokio::test]
async fn an_authorizer_whose_activity_write_is_held_is_cut_off_at_its_deadline() {
    let store = LosingStore::with_user(&user("contended"))
        .await
        .hanging(Duration::from_secs(10));

    fails_at_the_deadline(&store).await;

    assert_eq!(store.commits.load(Ordering::SeqCst), 1, "one held write");
}

/// A password reset of the store's user, from the trusted source.
fn password_reset() -> EventBridgeEvent {
    serde_json::from_value(serde_json::json!({
        "version": "0", "id": uuid::Uuid::now_v7().to_string(),
        "detail-type": "PasswordResetConfirmSucceeded", "source": "auth",
        "account": "123456789012", "time": chrono::Utc::now().to_rfc3339(),
        "region": "us-east-1", "resources": [], "detail": {"user_id": "contended"}
    }))
    .unwrap()
}

fn consumer(store: &LosingStore) -> AccountEventsConsumer<LosingStore> {
    AccountEventsConsumer::new(
        Sessions::new(store.clone(), PolicyConfig::default()),
        AuthEventsConfig {
            source: "auth".into(),
            account: None,
        },
    )
}

#[tokio::test]
async fn an_account_event_whose_revoke_all_cannot_commit_ends_at_its_deadline() {
    for hang in [Duration::ZERO, Duration::from_secs(10)] {
        let store = LosingStore::with_user(&user("contended"))
            .await
            .hanging(hang);
        request_of_a_session(&store).await;

        let started = Instant::now();
        let outcome = consumer(&store)
            .handle_within(password_reset(), Some(Deadline::after(BUDGET)))
            .await;
        let took = started.elapsed();

        let error = outcome.expect_err("the event is not handled");
        assert_eq!(error.code(), "deadline_exceeded", "held {hang:?}: {error}");
        assert!(
            took >= BUDGET,
            "held {hang:?}: ended before the deadline: {took:?}"
        );
        assert!(
            took <= BUDGET + SLACK,
            "held {hang:?}: ended late: {took:?}"
        );
    }
}
