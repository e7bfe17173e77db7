//! Idempotent logins through the store: a retried keyed login gets the first answer back and
//! changes nothing; a reused key with another request is refused; the key lives 24 hours.

use std::str::FromStr;

use chrono::Duration;
use session_core::error::SessionError;
use session_core::ids::IdempotencyKey;
use session_core::use_cases::create_session::IDEMPOTENCY_WINDOW_SECS;
use session_core::use_cases::{CreateSession, CreatedSession};

use crate::contract::concurrency::race;
use crate::events::detail_types;
use crate::fixture::{login_cmd, user};
use crate::{Fixture, StoreHarness};

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::from_str(text).expect("valid idempotency key")
}

async fn keyed_login<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    cmd: CreateSession,
    key_text: &str,
) -> Result<CreatedSession, SessionError> {
    fx.sessions
        .create_session_idempotently(cmd, key(key_text))
        .await
}

/// The retry answers with the first session and evicted ids, marked replayed, and writes
/// nothing: no new session, no eviction, no event, the ledger at the same version.
pub async fn a_retried_keyed_login_returns_the_first_answer_and_changes_nothing<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let earlier = fx.login_n(&alice, 2).await;
    fx.take_events().await;

    fx.advance_secs(60);
    let first = keyed_login(&fx, login_cmd(&alice), "login-1")
        .await
        .expect("first keyed login");
    assert!(!first.replayed);
    assert_eq!(
        first.evicted_session_ids,
        [earlier[0]],
        "at the limit: evicts"
    );
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["SessionLimitExceeded", "SessionEvicted", "SessionCreated"]
    );
    let ledger_before = fx.ledger(&alice).await;
    let active_before = fx.active_ids(&alice).await;

    fx.advance_secs(5);
    let retry = keyed_login(&fx, login_cmd(&alice), "login-1")
        .await
        .expect("retried keyed login");

    assert!(retry.replayed, "the retry is the stored answer");
    assert_eq!(retry.session, first.session, "same session, as first shown");
    assert_eq!(retry.evicted_session_ids, first.evicted_session_ids);
    assert!(fx.take_events().await.is_empty(), "a replay emits nothing");
    assert_eq!(fx.ledger(&alice).await, ledger_before, "ledger untouched");
    assert_eq!(
        fx.active_ids(&alice).await,
        active_before,
        "no further login, no further eviction"
    );
}

/// The same key with a different request is `IdempotencyKeyReused`, and nothing is written.
pub async fn a_key_reused_with_another_request_is_refused_and_changes_nothing<H: StoreHarness>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&alice, "basic", None).await;
    fx.register(&bob, "basic", None).await;
    keyed_login(&fx, login_cmd(&alice), "shared-key")
        .await
        .expect("first keyed login");
    fx.take_events().await;
    let alice_before = fx.active_ids(&alice).await;

    let mut other_agent = login_cmd(&alice);
    other_agent.user_agent = Some("curl/8.0".into());
    for (what, cmd) in [
        ("another user", login_cmd(&bob)),
        ("another body", other_agent),
    ] {
        let refused = keyed_login(&fx, cmd, "shared-key").await;
        assert!(
            matches!(refused, Err(SessionError::IdempotencyKeyReused)),
            "{what}: {refused:?}"
        );
    }
    assert!(fx.take_events().await.is_empty());
    assert_eq!(fx.active_ids(&alice).await, alice_before);
    assert!(fx.active_ids(&bob).await.is_empty(), "bob got no session");
}

/// Within the window the key answers with the first result; after it the key is free and a
/// login with it creates a new session.
pub async fn a_key_answers_for_its_window_then_starts_afresh<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let first = keyed_login(&fx, login_cmd(&alice), "daily")
        .await
        .expect("first keyed login");

    fx.advance_secs(IDEMPOTENCY_WINDOW_SECS - 1);
    let late_retry = keyed_login(&fx, login_cmd(&alice), "daily")
        .await
        .expect("retry inside the window");
    assert!(late_retry.replayed);
    assert_eq!(late_retry.session.id(), first.session.id());

    fx.advance_secs(1);
    let fresh = keyed_login(&fx, login_cmd(&alice), "daily")
        .await
        .expect("login after the window");
    assert!(!fresh.replayed, "the key expired with its window");
    assert_ne!(fresh.session.id(), first.session.id());
    assert!(fx.is_active(fresh.session.id()).await);
}

/// A retry that arrives after the expiry the first request asked for still gets the first
/// answer, not a validation error about the past expiry.
pub async fn a_retry_after_the_requested_expiry_still_replays<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let mut cmd = login_cmd(&alice);
    cmd.expires_at = Some(fx.now() + Duration::minutes(30));
    let first = keyed_login(&fx, cmd.clone(), "short")
        .await
        .expect("first keyed login");

    fx.advance(Duration::hours(1));
    let retry = keyed_login(&fx, cmd, "short")
        .await
        .expect("the retry replays");
    assert!(retry.replayed);
    assert_eq!(retry.session.id(), first.session.id());
}

/// A keyed login whose commit fails leaves no record behind: the retry logs in for real.
pub async fn a_failed_keyed_login_leaves_no_record<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    fx.fail_next_commits(1);
    let failed = keyed_login(&fx, login_cmd(&alice), "flaky").await;
    assert!(matches!(failed, Err(SessionError::Store(_))), "{failed:?}");
    assert!(fx.active_ids(&alice).await.is_empty());

    let retry = keyed_login(&fx, login_cmd(&alice), "flaky")
        .await
        .expect("retry after the failure");
    assert!(!retry.replayed, "nothing was stored by the failed attempt");
    assert_eq!(fx.active_ids(&alice).await.len(), 1);
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
}

/// Many copies of one keyed login racing: exactly one session is created, one answer is the
/// original and every other is its replay.
pub async fn racing_copies_of_a_keyed_login_create_one_session<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "pro", None).await;
    let tasks = (0..16)
        .map(|_| {
            let sessions = fx.sessions.clone();
            let cmd = login_cmd(&alice);
            async move {
                sessions
                    .create_session_idempotently(cmd, key("raced"))
                    .await
            }
        })
        .collect();
    let answers: Vec<CreatedSession> = race(tasks)
        .await
        .into_iter()
        .map(|answer| answer.expect("every copy is answered"))
        .collect();

    let originals = answers.iter().filter(|a| !a.replayed).count();
    assert_eq!(originals, 1, "exactly one copy created the session");
    let id = answers[0].session.id();
    assert!(
        answers.iter().all(|a| a.session.id() == id),
        "one session id"
    );
    assert_eq!(fx.active_ids(&alice).await.len(), 1);
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
}
