//! CreateSession through the store: enrichment, unknown users, what is stored.

use std::str::FromStr;
use std::sync::Arc;

use chrono::Duration;
use session_core::error::{InvalidInput, SessionError};
use session_core::ids::RefreshTokenId;
use session_core::ports::SessionStore;
use session_core::testkit::BrokenEnricher;
use session_core::use_cases::CreateSession;

use crate::events::{created, detail_types};
use crate::fixture::{
    DEVICE, DEVICE_TYPE, FixtureConfig, LOCATION, LOGIN_IP, RecordingEnricher, USER_AGENT, ip,
    login_cmd, mountain_view, user,
};
use crate::{Fixture, StoreHarness};

/// The enrichers see the login's user agent and address; their answers are stored on the
/// session and carried by SessionCreated.
pub async fn create_enriches_device_and_location_and_stores_them<H: StoreHarness>(h: H) {
    let enricher = Arc::new(RecordingEnricher::default());
    let config = FixtureConfig {
        device: enricher.clone(),
        location: enricher.clone(),
        ..FixtureConfig::default()
    };
    let fx = Fixture::with_config(&h, config).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;

    let created_session = fx.login(&alice).await.session;

    assert_eq!(
        enricher.user_agents(),
        [USER_AGENT],
        "device enricher called with the UA"
    );
    assert_eq!(
        enricher.addresses(),
        [ip(LOGIN_IP)],
        "location enricher called with the IP"
    );
    assert_eq!(created_session.device_info(), Some(DEVICE));
    assert_eq!(created_session.location(), Some(LOCATION));
    let stored = fx.stored(created_session.id()).await.value;
    assert_eq!(
        stored.device_info(),
        Some(DEVICE),
        "device description stored"
    );
    assert_eq!(stored.location(), Some(LOCATION), "location stored");
    assert_eq!(
        stored.device_type(),
        Some(DEVICE_TYPE),
        "device type stored"
    );
    assert_eq!(
        stored.last_country_code(),
        Some("US"),
        "the login is the first sighting"
    );
    assert_eq!(
        stored.last_fix().map(|f| (f.coordinates, f.at)),
        Some((mountain_view(), created_session.created_at())),
        "coordinates and time of the login kept for travel checks"
    );

    let events = fx.take_events().await;
    let created_events = created(&events);
    assert_eq!(created_events.len(), 1);
    let event = created_events[0];
    assert_eq!(event.session_id, created_session.id());
    assert_eq!(event.user_id, alice);
    assert_eq!(event.device_info.as_deref(), Some(DEVICE));
    assert_eq!(event.location.as_deref(), Some(LOCATION));
    assert_eq!(event.ip_address, Some(ip(LOGIN_IP)));
    assert_eq!(event.user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(event.expires_at, stored.expires_at());
}

/// Enrichers that fail cost the description and the location, never the login.
pub async fn create_is_fail_open_when_enrichment_breaks<H: StoreHarness>(h: H) {
    let config = FixtureConfig {
        device: Arc::new(BrokenEnricher),
        location: Arc::new(BrokenEnricher),
        ..FixtureConfig::default()
    };
    let fx = Fixture::with_config(&h, config).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;

    let outcome = fx.sessions.create_session(login_cmd(&alice)).await;

    let session = outcome
        .expect("login succeeds despite broken enrichers")
        .session;
    let stored = fx.stored(session.id()).await.value;
    assert_eq!(stored.device_info(), None);
    assert_eq!(stored.location(), None);
    assert_eq!(stored.device_type(), None);
    assert_eq!(
        (stored.last_country_code(), stored.last_fix()),
        (None, None)
    );
    assert_eq!(
        stored.user_agent(),
        Some(USER_AGENT),
        "the raw facts are still kept"
    );
    assert!(fx.is_active(session.id()).await);
    assert_eq!(detail_types(&fx.take_events().await), ["SessionCreated"]);
}

/// A login for a user without a ledger fails with user_not_found and leaves no trace: no
/// session, no ledger, no event.
pub async fn create_for_an_unknown_user_fails_with_user_not_found_and_writes_nothing<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let ghost = user("ghost");

    let outcome = fx.sessions.create_session(login_cmd(&ghost)).await;

    assert!(
        matches!(outcome, Err(SessionError::UserNotFound)),
        "{outcome:?}"
    );
    assert!(
        fx.take_events().await.is_empty(),
        "no event for an unknown user"
    );
    assert!(
        fx.store
            .load_user(&ghost)
            .await
            .expect("readable")
            .is_none(),
        "no ledger created"
    );
    assert!(
        fx.list_all(&ghost, false, 100, None).await.is_empty(),
        "no session stored"
    );
}

/// The requested expiry and refresh token are stored; an oversized user agent is stored cut to
/// the bound; the session stops validating at the requested expiry.
pub async fn create_stores_requested_expiry_refresh_token_and_truncated_user_agent<
    H: StoreHarness,
>(
    h: H,
) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let expires_at = fx.now() + Duration::hours(1);
    let long_agent = format!("Mozilla/5.0 {}", "x".repeat(2_000));

    let session = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(expires_at),
            refresh_token_id: Some(RefreshTokenId::from_str("rt-42").expect("valid")),
            user_agent: Some(long_agent.clone()),
            ..login_cmd(&alice)
        })
        .await
        .expect("login")
        .session;

    let stored = fx.stored(session.id()).await.value;
    assert_eq!(stored.expires_at(), expires_at);
    let first_link = RefreshTokenId::from_str("rt-42").expect("valid").hash();
    assert_eq!(
        stored.refresh_token_hash(),
        Some(&first_link),
        "the first link of the chain, hashed"
    );
    assert_eq!(stored.refresh_rotated_at(), Some(stored.created_at()));
    let agent = stored.user_agent().expect("user agent stored");
    assert_eq!(
        agent.len(),
        session_core::domain::session::MAX_USER_AGENT_BYTES
    );
    assert!(
        long_agent.starts_with(agent),
        "the stored user agent is a prefix of the sent one"
    );
    fx.advance(Duration::minutes(59));
    assert!(fx.is_active(session.id()).await);
    fx.advance(Duration::minutes(1));
    assert!(
        !fx.is_active(session.id()).await,
        "expired at the requested expiry"
    );
}

/// An expiry in the past or beyond the lifetime is refused before anything is written.
pub async fn create_with_an_invalid_expiry_is_refused_and_writes_nothing<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    fx.take_events().await;
    let lifetime = fx.sessions.policy().session_lifetime();

    for (expires_at, expected) in [
        (fx.now(), InvalidInput::ExpiryInPast),
        (
            fx.now() + lifetime + Duration::seconds(1),
            InvalidInput::ExpiryBeyondLifetime {
                max_secs: fx.sessions.policy().session_lifetime_secs(),
            },
        ),
    ] {
        let outcome = fx
            .sessions
            .create_session(CreateSession {
                expires_at: Some(expires_at),
                ..login_cmd(&alice)
            })
            .await;
        assert!(
            matches!(&outcome, Err(SessionError::Invalid(e)) if *e == expected),
            "{outcome:?}"
        );
    }
    assert!(fx.take_events().await.is_empty());
    assert!(fx.list_all(&alice, false, 100, None).await.is_empty());
    assert!(fx.ledger_ids(&alice).await.is_empty());
}
