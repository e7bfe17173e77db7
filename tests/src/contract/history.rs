//! The user's history of ended sessions: every way a session ends, as a listing shows it
//! (docs/0049).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use session_core::domain::{Actor, EndState, RevocationReason};
use session_core::ids::{ActorName, SessionId, UserId};
use session_core::use_cases::{
    CreateSession, ListUserSessions, Owner, RevokeSession, SessionFilter,
};

use crate::fixture::{FixtureConfig, login_cmd, user};
use crate::{Fixture, StoreHarness};

/// How one ended session reads in the history: its end state, when, the reason and who.
type Ended = (
    EndState,
    DateTime<Utc>,
    Option<RevocationReason>,
    Option<Actor>,
);

async fn history<H: StoreHarness>(
    fx: &Fixture<'_, H>,
    user: &UserId,
) -> BTreeMap<SessionId, Ended> {
    let page = fx
        .sessions
        .list_user_sessions(ListUserSessions {
            user_id: user.clone(),
            filter: SessionFilter::Ended,
            limit: Some(100),
            cursor: None,
            current_session_id: None,
        })
        .await
        .expect("listing answers");
    assert!(page.next_cursor.is_none());
    page.sessions
        .iter()
        .map(|listed| {
            let end = listed
                .session
                .end(listed.at)
                .expect("an ended session has an end");
            (
                listed.session.id(),
                (
                    end.state,
                    end.at,
                    end.revocation.map(|r| r.reason),
                    end.revocation.map(|r| r.by.clone()),
                ),
            )
        })
        .collect()
}

/// One user's sessions ended in each way (signed out, revoked by support, evicted at the limit,
/// expired, idle) are all in the ended listing, each with its end state, its time and, for a
/// revocation, the reason and who; the active listing holds none of them.
pub async fn the_history_lists_every_end_state_with_reason_and_actor<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(
        &h,
        FixtureConfig::with_policy_json(
            r#"{"tiers":{"history":{"max_sessions":3,"idle_timeout_secs":3600}}}"#,
        ),
    )
    .await;
    let alice = user("alice");
    fx.register(&alice, "history", None).await;
    let t0 = fx.now();
    let short = fx
        .sessions
        .create_session(CreateSession {
            expires_at: Some(t0 + Duration::minutes(30)),
            ..login_cmd(&alice)
        })
        .await
        .expect("login")
        .session
        .id();
    fx.advance(Duration::minutes(1));
    let signed_out = fx.login(&alice).await.session.id();
    fx.advance(Duration::minutes(1));
    let revoked = fx.login(&alice).await.session.id();
    fx.advance(Duration::minutes(1));
    let revoked_at = fx.now();
    fx.revoke(signed_out, &alice, RevocationReason::Logout)
        .await
        .expect("signed out");
    let support = Actor::Admin {
        actor: ActorName::from_str("support:jane").expect("valid actor"),
    };
    fx.sessions
        .revoke_session(RevokeSession {
            session_id: revoked,
            owner: Owner::Any,
            reason: RevocationReason::SecurityConcern,
            by: support.clone(),
            note: None,
        })
        .await
        .expect("revoked by support");

    fx.advance(Duration::minutes(28));
    let mut later = Vec::new();
    for _ in 0..3 {
        fx.advance(Duration::minutes(1));
        later.push((fx.now(), fx.login(&alice).await.session.id()));
    }
    fx.advance(Duration::minutes(1));
    let evicting = fx.login(&alice).await;
    let evicted = later[0].1;
    assert_eq!(evicting.evicted_session_ids, [evicted]);
    let evicted_at = fx.now();
    fx.advance(Duration::hours(2));

    let ended = history(&fx, &alice).await;
    let idle = |(login_at, _): &(DateTime<Utc>, SessionId)| {
        (
            EndState::IdleExpired,
            *login_at + Duration::hours(1),
            None,
            None,
        )
    };
    let user_actor = Actor::User {
        user_id: alice.clone(),
    };
    let expected = BTreeMap::from([
        (
            short,
            (EndState::Expired, t0 + Duration::minutes(30), None, None),
        ),
        (
            signed_out,
            (
                EndState::Logout,
                revoked_at,
                Some(RevocationReason::Logout),
                Some(user_actor),
            ),
        ),
        (
            revoked,
            (
                EndState::Revoked,
                revoked_at,
                Some(RevocationReason::SecurityConcern),
                Some(support),
            ),
        ),
        (
            evicted,
            (
                EndState::Evicted,
                evicted_at,
                Some(RevocationReason::SessionLimitExceeded),
                Some(Actor::System),
            ),
        ),
        (later[1].1, idle(&later[1])),
        (later[2].1, idle(&later[2])),
        (
            evicting.session.id(),
            (
                EndState::IdleExpired,
                evicted_at + Duration::hours(1),
                None,
                None,
            ),
        ),
    ]);
    assert_eq!(ended, expected);
    assert!(fx.active_ids(&alice).await.is_empty());
}
