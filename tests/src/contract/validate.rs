//! ValidateSession through the store: active, revoked, expired, idle-expired, missing.

use chrono::Duration;
use session_core::domain::{RevocationReason, SessionStatus};
use session_core::use_cases::{CreateSession, UpdateSessionActivity, Validity};

use crate::fixture::{FixtureConfig, LOGIN_IP, ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

/// An active session validates as active, with its owner and expiry.
pub async fn validate_active_session_reports_owner_and_expiry<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let session = fx.login(&alice).await.session;

    let validity = fx.validity(session.id()).await;

    assert_eq!(
        validity,
        Validity::Active {
            user_id: alice,
            expires_at: session.expires_at(),
            assurance: session.assurance(),
        }
    );
}

/// A revoked session is inactive with reason revoked, on the very next validation.
pub async fn validate_revoked_session_is_inactive_revoked<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let id = fx.login(&alice).await.session.id();
    assert!(fx.is_active(id).await);

    fx.revoke(id, &alice, RevocationReason::Logout)
        .await
        .expect("revoked");
    let validity = fx.validity(id).await;

    assert_eq!(
        validity,
        Validity::Inactive {
            status: Some(SessionStatus::Revoked),
            user_id: Some(alice)
        }
    );
    assert_eq!(validity.reason(), Some("revoked"));
}

/// A session is inactive with reason expired from its expires_at on, though never revoked.
pub async fn validate_expired_session_is_inactive_expired<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;
    let alice = user("alice");
    fx.register(&alice, "basic", None).await;
    let expires_at = fx.now() + Duration::minutes(10);
    let id = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(expires_at),
            ..login_cmd(&alice)
        })
        .await
        .expect("login")
        .session
        .id();

    fx.clock.set(expires_at);
    let validity = fx.validity(id).await;

    assert_eq!(validity.reason(), Some("expired"));
    assert_eq!(
        validity,
        Validity::Inactive {
            status: Some(SessionStatus::Expired),
            user_id: Some(alice)
        }
    );
}

/// With a tier idle timeout, a session unused for that long is inactive (idle_expired), while
/// recorded activity keeps another one alive past the same instant.
pub async fn validate_idle_session_is_inactive_idle_expired<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"idle":{"max_sessions":5,"idle_timeout_secs":600}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "idle", None).await;
    let quiet = fx.login(&alice).await.session.id();
    let busy = fx.login(&alice).await.session.id();

    fx.advance_secs(300);
    let outcome = fx
        .sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: busy,
            ip_address: Some(ip(LOGIN_IP)),
        })
        .await
        .expect("activity");
    assert!(outcome.recorded);
    fx.advance_secs(299);
    assert!(
        fx.is_active(quiet).await,
        "one second before the idle deadline"
    );
    fx.advance_secs(1);

    let validity = fx.validity(quiet).await;
    assert_eq!(validity.reason(), Some("idle_expired"));
    assert_eq!(
        validity,
        Validity::Inactive {
            status: Some(SessionStatus::IdleExpired),
            user_id: Some(alice)
        }
    );
    assert!(fx.is_active(busy).await, "activity moved its idle deadline");
}

/// A session id that was never stored is inactive with reason not_found.
pub async fn validate_missing_session_is_not_found<H: StoreHarness>(h: H) {
    let fx = Fixture::new(&h).await;

    let validity = fx.validity(fx.new_session_id()).await;

    assert_eq!(
        validity,
        Validity::Inactive {
            status: None,
            user_id: None
        }
    );
    assert_eq!(validity.reason(), Some("not_found"));
}
