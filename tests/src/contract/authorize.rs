//! AuthorizeRequest through the store: the authorizer's check of a user request, recording the
//! request as activity from the same read (docs/0012).

use session_core::domain::{RevocationReason, SessionStatus};
use session_core::ids::SessionId;
use session_core::use_cases::{ActivityReport, Authorization, AuthorizeRequest, DenialReason};

use crate::contract::suspicious::{LONDON_IP, NEIGHBOUR_IP, REVOKING_BASIC, logged_in};
use crate::events::detail_types;
use crate::fixture::{LOGIN_IP, USER_AGENT, ip, user};
use crate::{Fixture, StoreHarness};

async fn authorize<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user_name: &str,
    session_id: SessionId,
    from: &str,
) -> Authorization {
    fx.sessions
        .authorize_request(AuthorizeRequest {
            user_id: user(user_name),
            report: ActivityReport {
                session_id,
                ip_address: Some(ip(from)),
                user_agent: Some(USER_AGENT.to_owned()),
            },
        })
        .await
        .expect("the check is answered")
}

fn recorded(authorization: &Authorization) -> bool {
    matches!(authorization, Authorization::Allowed { outcome, .. } if outcome.recorded)
}

/// An allowed request counts as activity: written when the address changed or the interval
/// passed, not for a busy session within the interval.
pub async fn an_allowed_request_is_recorded_as_throttled_activity<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    fx.advance_secs(5);

    let same_place = authorize(&fx, "alice", id, LOGIN_IP).await;
    assert!(
        matches!(same_place, Authorization::Allowed { .. }) && !recorded(&same_place),
        "within the interval from the login's address: allowed, not written ({same_place:?})"
    );
    assert!(fx.take_events().await.is_empty());

    let moved = authorize(&fx, "alice", id, NEIGHBOUR_IP).await;
    assert!(recorded(&moved), "a new address is written at once");
    assert_eq!(
        detail_types(&fx.take_events().await),
        ["SessionActivityUpdated", "SuspiciousSessionActivity"]
    );
    let stored = fx.stored(id).await.value;
    assert_eq!(stored.last_ip_address(), Some(ip(NEIGHBOUR_IP)));
    assert_eq!(
        stored.last_activity_at(),
        fx.now(),
        "the idle timer restarts"
    );
}

/// Another user's token, a missing session or an inactive one: denied with the reason, and
/// nothing is written.
pub async fn denied_requests_are_not_recorded<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    let before = fx.stored(id).await;

    assert_eq!(
        authorize(&fx, "mallory", id, LONDON_IP).await,
        Authorization::Denied(DenialReason::NotOwner)
    );
    assert_eq!(
        authorize(&fx, "alice", fx.new_session_id(), LONDON_IP).await,
        Authorization::Denied(DenialReason::NotFound)
    );
    assert_eq!(
        fx.stored(id).await,
        before,
        "a refused request writes nothing"
    );

    fx.revoke(id, &user("alice"), RevocationReason::Logout)
        .await
        .expect("revoked");
    let revoked = fx.stored(id).await;
    fx.take_events().await;
    assert_eq!(
        authorize(&fx, "alice", id, LONDON_IP).await,
        Authorization::Denied(DenialReason::Inactive(SessionStatus::Revoked))
    );
    assert_eq!(fx.stored(id).await, revoked);
    assert!(fx.take_events().await.is_empty());
}

/// The request that brings the session to its revocation threshold is itself denied.
pub async fn the_request_that_reaches_the_threshold_is_denied<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, REVOKING_BASIC).await;
    for from in [NEIGHBOUR_IP, LOGIN_IP] {
        fx.advance_secs(5);
        assert!(recorded(&authorize(&fx, "alice", id, from).await));
    }
    fx.advance_secs(5);

    let third = authorize(&fx, "alice", id, NEIGHBOUR_IP).await;

    assert_eq!(
        third,
        Authorization::Denied(DenialReason::Inactive(SessionStatus::Revoked))
    );
    assert!(!fx.is_active(id).await, "revoked in the same commit");
}

/// A store that cannot take the activity write costs the record, not the request: the session
/// was read active, so the request is allowed and nothing is half-written.
pub async fn a_failed_activity_write_still_allows_the_request<H: StoreHarness>(h: H) {
    let (fx, id) = logged_in(&h, "{}").await;
    let before = fx.stored(id).await;
    fx.advance_secs(5);
    fx.fail_next_commits(1);

    let allowed = authorize(&fx, "alice", id, NEIGHBOUR_IP).await;

    assert!(
        matches!(allowed, Authorization::Allowed { outcome, .. } if !outcome.recorded),
        "{allowed:?}"
    );
    assert_eq!(fx.stored(id).await, before);
    assert!(fx.take_events().await.is_empty());
}
