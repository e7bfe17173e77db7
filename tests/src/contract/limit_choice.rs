//! Which session makes way at the limit: the least recently active one on tiers that evict in
//! that order, or the one the user picks on `ask` tiers (docs/0049).

use std::collections::BTreeSet;

use session_core::domain::{Actor, RevocationReason, SessionStatus};
use session_core::error::SessionError;
use session_core::ids::{SessionId, UserId};
use session_core::use_cases::{CreateSession, UpdateSessionActivity};

use crate::contract::concurrency::race;
use crate::events::{detail_types, evicted, limit_exceeded, revocation_attempted, revoked};
use crate::fixture::{FixtureConfig, ip, login_cmd, user};
use crate::{Fixture, StoreHarness};

const TIERS: &str = r#"{"tiers":{
    "recent":{"max_sessions":2,"eviction_order":"least_recently_active"},
    "choose":{"max_sessions":2,"on_limit":"ask"}}}"#;

fn tiers() -> FixtureConfig {
    FixtureConfig::with_policy_json(TIERS)
}

fn replacing(user: &UserId, id: SessionId) -> CreateSession {
    CreateSession {
        replace_session_id: Some(id),
        ..login_cmd(user)
    }
}

/// Records activity on `id` (from a new address, so that it is written at once).
async fn use_session<H: StoreHarness>(fx: &Fixture<'_, H>, id: SessionId, address: &str) {
    fx.sessions
        .update_session_activity(UpdateSessionActivity {
            session_id: id,
            ip_address: Some(ip(address)),
        })
        .await
        .expect("activity recorded");
}

/// Two sessions of an `ask` user, the older one used since the newer one's login: returns
/// (older, newer).
async fn at_an_ask_limit<H: StoreHarness>(fx: &Fixture<'_, H>, who: &UserId) -> [SessionId; 2] {
    fx.register(who, "choose", None).await;
    let ids = fx.login_n(who, 2).await;
    fx.advance_secs(600);
    use_session(fx, ids[0], "198.51.100.20").await;
    fx.advance_secs(60);
    fx.take_events().await;
    [ids[0], ids[1]]
}

/// On a `least_recently_active` tier, a login at the limit evicts the session unused the
/// longest, not the oldest created one (which was used since).
pub async fn least_recently_active_tier_evicts_the_session_unused_longest<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(&h, tiers()).await;
    let alice = user("alice");
    fx.register(&alice, "recent", None).await;
    let ids = fx.login_n(&alice, 2).await;
    let (oldest, newer) = (ids[0], ids[1]);
    fx.advance_secs(600);
    use_session(&fx, oldest, "198.51.100.21").await;
    fx.advance_secs(60);
    fx.take_events().await;

    let login = fx.login(&alice).await;

    assert_eq!(login.evicted_session_ids, [newer]);
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        ["SessionLimitExceeded", "SessionEvicted", "SessionCreated"]
    );
    assert_eq!(evicted(&events)[0].session_id, newer);
    assert_eq!(
        fx.active_ids(&alice).await,
        BTreeSet::from([oldest, login.session.id()])
    );
    assert_eq!(fx.ledger_ids(&alice).await, fx.active_ids(&alice).await);
}

/// An `ask` tier refuses a login at the limit with `session_limit_reached`, listing the active
/// sessions least recently active first, records SessionLimitExceeded, and creates nothing.
pub async fn ask_tier_refuses_at_the_limit_with_the_sessions_to_choose_from<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(&h, tiers()).await;
    let alice = user("alice");
    let [older, newer] = at_an_ask_limit(&fx, &alice).await;

    let outcome = fx.sessions.create_session(login_cmd(&alice)).await;

    let Err(SessionError::SessionLimitReached {
        max_sessions,
        sessions,
    }) = outcome
    else {
        panic!("expected session_limit_reached, got {outcome:?}");
    };
    assert_eq!(max_sessions, 2);
    let listed: Vec<SessionId> = sessions.iter().map(|s| s.id()).collect();
    assert_eq!(listed, [newer, older], "least recently active first");
    assert!(sessions[1].last_activity_at() > sessions[0].last_activity_at());
    let events = fx.take_events().await;
    assert_eq!(detail_types(&events), ["SessionLimitExceeded"]);
    assert_eq!(
        (
            limit_exceeded(&events)[0].current_count,
            limit_exceeded(&events)[0].max_sessions
        ),
        (2, 2)
    );
    assert_eq!(fx.active_ids(&alice).await, BTreeSet::from([older, newer]));
}

/// The login sent again with `replace_session_id` ends that session (replaced_at_limit, by the
/// user) and creates the new one in one commit; the other session stays.
pub async fn a_login_replacing_the_chosen_session_ends_it_and_signs_in<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(&h, tiers()).await;
    let alice = user("alice");
    let [older, newer] = at_an_ask_limit(&fx, &alice).await;

    let login = fx
        .sessions
        .create_session(replacing(&alice, older))
        .await
        .expect("the chosen session makes room");

    assert!(login.evicted_session_ids.is_empty());
    let events = fx.take_events().await;
    assert_eq!(
        detail_types(&events),
        [
            "SessionRevocationAttempted",
            "SessionRevoked",
            "SessionCreated"
        ]
    );
    let ended = revoked(&events)[0];
    assert_eq!(ended.session_id, older);
    assert_eq!(ended.reason, RevocationReason::ReplacedAtLimit);
    assert_eq!(
        ended.by,
        Actor::User {
            user_id: alice.clone()
        }
    );
    assert_eq!(revocation_attempted(&events)[0].session_id, older);
    let stored = fx.stored(older).await.value;
    assert_eq!(
        stored.revocation().map(|r| r.reason),
        Some(RevocationReason::ReplacedAtLimit)
    );
    assert_eq!(
        fx.active_ids(&alice).await,
        BTreeSet::from([newer, login.session.id()])
    );
    assert_eq!(fx.ledger_ids(&alice).await, fx.active_ids(&alice).await);
}

/// A `replace_session_id` that is not one of the user's sessions is session_not_found (another
/// user's looks like none at all); one that already ended is session_inactive. Neither changes
/// anything.
pub async fn replacing_a_session_not_the_users_or_already_ended_is_refused<H: StoreHarness>(h: H) {
    let fx = Fixture::with_config(&h, tiers()).await;
    let alice = user("alice");
    let bob = user("bob");
    fx.register(&bob, "basic", None).await;
    let bobs = fx.login(&bob).await.session.id();
    let [older, newer] = at_an_ask_limit(&fx, &alice).await;
    fx.revoke(newer, &alice, RevocationReason::Logout)
        .await
        .expect("signed out");
    let third = fx.login(&alice).await.session.id();
    fx.take_events().await;

    for (id, what) in [(bobs, "bob's"), (fx.new_session_id(), "unknown")] {
        let outcome = fx.sessions.create_session(replacing(&alice, id)).await;
        assert!(
            matches!(outcome, Err(SessionError::SessionNotFound)),
            "{what}: {outcome:?}"
        );
    }
    let outcome = fx.sessions.create_session(replacing(&alice, newer)).await;
    assert!(
        matches!(
            outcome,
            Err(SessionError::SessionInactive {
                status: SessionStatus::Revoked
            })
        ),
        "{outcome:?}"
    );
    assert!(fx.take_events().await.is_empty(), "nothing committed");
    assert_eq!(fx.active_ids(&alice).await, BTreeSet::from([older, third]));
    assert!(fx.is_active(bobs).await, "bob's session untouched");
}

/// `logins` concurrent logins of an `ask` user at the limit, each replacing one of the two
/// sessions, `rounds` times: each session is replaced at most once, every other login is told
/// the session already ended, and the limit holds.
pub async fn concurrent_replacements_at_an_ask_limit_keep_the_limit<H: StoreHarness>(
    h: H,
    logins: usize,
    rounds: usize,
) {
    for round in 0..rounds {
        let fx = Fixture::with_config(&h, tiers()).await;
        let alice = user("alice");
        let chosen = at_an_ask_limit(&fx, &alice).await;
        let tasks = (0..logins)
            .map(|i| {
                let sessions = fx.sessions.clone();
                let cmd = replacing(&alice, chosen[i % 2]);
                async move { sessions.create_session(cmd).await }
            })
            .collect();
        let mut created = BTreeSet::new();
        for outcome in race(tasks).await {
            match outcome {
                Ok(login) => {
                    created.insert(login.session.id());
                }
                Err(SessionError::SessionInactive {
                    status: SessionStatus::Revoked,
                }) => {}
                Err(e) => panic!("round {round}: unexpected {e:?}"),
            }
        }
        assert_eq!(
            created.len(),
            2,
            "round {round}: one login per chosen session"
        );
        assert_eq!(fx.active_ids(&alice).await, created, "round {round}");
        assert_eq!(fx.ledger_ids(&alice).await, created, "round {round}");
        let events = fx.take_events().await;
        let mut replaced: Vec<SessionId> = revoked(&events).iter().map(|e| e.session_id).collect();
        replaced.sort();
        let mut expected = chosen.to_vec();
        expected.sort();
        assert_eq!(
            replaced, expected,
            "round {round}: each replaced exactly once"
        );
    }
}
