//! Round trips per command through `Sessions` over the DynamoDB store, counted on the wire by
//! an SDK interceptor (the targets are in BENCHMARKS.md).

use session_tests::event_contracts::CheckedStore;
use session_tests::fixture::{login_cmd, register};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::Duration;
use session_core::domain::{Actor, PolicyConfig, RevocationReason};
use session_core::ids::{DeviceId, IdempotencyKey, ProviderName, RefreshTokenId, UserId};
use session_core::ports::{ChangeSet, SessionStore, SessionWrite};
use session_core::testkit::FakeClock;
use session_core::use_cases::{
    CreateSession, GetSession, LinkRefreshTokenToSession, ListUserSessions, LoginDevice,
    RecordProviderAccess, RevokeAllUserSessions, RevokeSession, UpdateSessionActivity,
    ValidateSession,
};
use session_core::{SessionError, Sessions};
use session_dynamodb::DynamoStore;

use super::sample::user;
use super::support::{TestStore, test_store};

fn counts(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
    pairs.iter().map(|(op, n)| ((*op).to_owned(), *n)).collect()
}

fn total(counts: &BTreeMap<String, u32>) -> u32 {
    counts.values().sum()
}

/// The use cases over the counted table, on a fake clock at the epoch.
fn on_fake_clock(t: &TestStore, policy: PolicyConfig) -> (Sessions<DynamoStore>, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::at_epoch());
    let sessions = Sessions::new(t.store.clone(), policy).with_clock(clock.clone());
    (sessions, clock)
}

/// A login from the address and user agent the later activity and refresh reports repeat, so
/// that those are not changes (and not written).
fn login_here(user: &UserId) -> CreateSession {
    CreateSession {
        ip_address: "203.0.113.7".parse().ok(),
        user_agent: Some("Mozilla/5.0".into()),
        ..login_cmd(user)
    }
}

#[tokio::test]
async fn commands_and_queries_take_the_designed_number_of_round_trips() {
    let Some(t) = test_store().await else { return };
    let clock = Arc::new(FakeClock::at_epoch());
    let sessions = Sessions::new(CheckedStore::new(t.store.clone()), PolicyConfig::default())
        .with_clock(clock.clone());
    let alice = user("alice");
    register(&sessions, &alice, "basic", None).await;
    t.requests.take();

    let login = || login_here(&alice);
    let mut created = Vec::new();
    // The third login is over the basic tier's limit of 2 and evicts in the same transaction.
    for n in 0..3 {
        clock.advance(Duration::seconds(1));
        let outcome = sessions.create_session(login()).await.unwrap();
        assert_eq!(outcome.evicted_session_ids.len(), usize::from(n == 2));
        let trips = t.requests.take();
        eprintln!("create #{n}: {trips:?}");
        assert_eq!(
            trips,
            counts(&[("GetItem", 1), ("TransactWriteItems", 1)]),
            "create #{n}"
        );
        created.push(outcome.session);
    }
    let newest = created[2].id();

    let validity = sessions
        .validate_session(ValidateSession { session_id: newest })
        .await
        .unwrap();
    assert!(validity.is_active());
    assert_eq!(t.requests.take(), counts(&[("GetItem", 1)]), "validate");

    let get = GetSession {
        session_id: newest,
        user_id: alice.clone(),
        current_session_id: Some(newest),
    };
    assert!(sessions.get_session(get).await.unwrap().is_current);
    assert_eq!(t.requests.take(), counts(&[("GetItem", 1)]), "get");

    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = sessions
            .list_user_sessions(ListUserSessions {
                user_id: alice.clone(),
                filter: session_core::use_cases::SessionFilter::All,
                limit: Some(2),
                cursor: cursor.take(),
                current_session_id: None,
            })
            .await
            .unwrap();
        pages += 1;
        assert_eq!(
            t.requests.take(),
            counts(&[("Query", 1)]),
            "list page {pages}"
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2, "3 sessions in pages of 2");

    let activity = || UpdateSessionActivity {
        session_id: newest,
        ip_address: "203.0.113.7".parse().ok(),
    };
    let throttled = sessions.update_session_activity(activity()).await.unwrap();
    assert!(!throttled.recorded);
    assert_eq!(
        t.requests.take(),
        counts(&[("GetItem", 1)]),
        "activity (throttled)"
    );

    clock.advance(Duration::minutes(10));
    let recorded = sessions.update_session_activity(activity()).await.unwrap();
    assert!(recorded.recorded);
    let trips = t.requests.take();
    eprintln!("activity (recorded): {trips:?}");
    assert_eq!(
        trips,
        counts(&[("GetItem", 1), ("TransactWriteItems", 1)]),
        "activity (recorded)"
    );

    let provider = RecordProviderAccess {
        session_id: newest,
        provider_name: ProviderName::from_str("plaid").unwrap(),
    };
    sessions.record_provider_access(provider).await.unwrap();
    let trips = t.requests.take();
    eprintln!("provider access: {trips:?}");
    assert!(total(&trips) <= 2, "provider access: {trips:?}");

    let link = LinkRefreshTokenToSession {
        session_id: newest,
        refresh_token_id: RefreshTokenId::from_str("rt-9").unwrap(),
    };
    sessions.link_refresh_token(link).await.unwrap();
    let trips = t.requests.take();
    eprintln!("link refresh token: {trips:?}");
    assert!(total(&trips) <= 2, "link refresh token: {trips:?}");

    let revoke = RevokeSession {
        session_id: created[1].id(),
        owner: session_core::use_cases::Owner::User(alice.clone()),
        reason: RevocationReason::Logout,
        by: Actor::User {
            user_id: alice.clone(),
        },
        note: None,
    };
    sessions.revoke_session(revoke).await.unwrap();
    let trips = t.requests.take();
    eprintln!("revoke one: {trips:?}");
    assert!(total(&trips) <= 2, "revoke one: {trips:?}");

    let revoke_all = RevokeAllUserSessions {
        user_id: alice.clone(),
        reason: RevocationReason::PasswordChanged,
        except_session_id: None,
        by: Actor::System,
        note: None,
        trigger: session_core::events::RevokeAllTrigger::UserRequest,
    };
    sessions.revoke_all_user_sessions(revoke_all).await.unwrap();
    let trips = t.requests.take();
    eprintln!("revoke all (1 session): {trips:?}");
    assert!(total(&trips) <= 2, "revoke all: {trips:?}");
}

/// A keyed login reads the ledger and the key's record (together) and commits once; its replay
/// only reads.
#[tokio::test]
async fn a_keyed_login_adds_one_read_and_its_replay_writes_nothing() {
    let Some(t) = test_store().await else { return };
    let sessions = Sessions::new(CheckedStore::new(t.store.clone()), PolicyConfig::default());
    let alice = user("alice");
    register(&sessions, &alice, "basic", None).await;
    t.requests.take();
    let login = login_here(&alice);
    let key = IdempotencyKey::from_str("login-7f3a").unwrap();

    let first = sessions
        .create_session_idempotently(login.clone(), key.clone())
        .await
        .unwrap();
    assert_eq!(
        t.requests.take(),
        counts(&[("GetItem", 2), ("TransactWriteItems", 1)]),
        "keyed login"
    );
    let replay = sessions
        .create_session_idempotently(login, key)
        .await
        .unwrap();
    assert!(replay.replayed && replay.session.id() == first.session.id());
    assert_eq!(t.requests.take(), counts(&[("GetItem", 2)]), "replay");
}

/// A login from a named device reads the ledger and the device record in one BatchGetItem and
/// commits once (docs/0047), on its first login there and on a re-login that replaces the
/// device's session (a limited tier's ledger knows the session is live).
#[tokio::test]
async fn a_login_from_a_device_stays_two_round_trips() {
    let Some(t) = test_store().await else { return };
    let (sessions, clock) = on_fake_clock(&t, PolicyConfig::default());
    let alice = user("alice");
    register(&sessions, &alice, "basic", None).await;
    t.requests.take();
    let login = || CreateSession {
        device: Some(LoginDevice {
            id: DeviceId::from_str("install-0001").unwrap(),
            name: None,
        }),
        ..login_here(&alice)
    };
    let first = sessions.create_session(login()).await.unwrap();
    assert_eq!(
        t.requests.take(),
        counts(&[("BatchGetItem", 1), ("TransactWriteItems", 1)]),
        "first login on the device"
    );
    clock.advance(Duration::seconds(1));
    let again = sessions.create_session(login()).await.unwrap();
    assert_ne!(again.session.id(), first.session.id());
    assert_eq!(
        t.requests.take(),
        counts(&[("BatchGetItem", 1), ("TransactWriteItems", 1)]),
        "re-login replacing the device's session"
    );
}

/// At the limit, the tiers that choose by activity or let the user choose read the live
/// sessions in one BatchGetItem (docs/0049): a least-recently-active eviction is 3 round trips,
/// an `ask` refusal 2 reads and the refusal's event, and the retry that replaces the chosen
/// session reads it (GetItem) before the one transaction. Below the limit nothing is added.
#[tokio::test]
async fn choosing_at_the_limit_adds_one_read() {
    let Some(t) = test_store().await else { return };
    let policy = PolicyConfig::from_json(
        r#"{"tiers":{"recent":{"max_sessions":2,"eviction_order":"least_recently_active"},
                     "choose":{"max_sessions":2,"on_limit":"ask"}}}"#,
    )
    .unwrap();
    let (sessions, clock) = on_fake_clock(&t, policy);
    let (alice, bob) = (user("alice"), user("bob"));
    register(&sessions, &alice, "recent", None).await;
    register(&sessions, &bob, "choose", None).await;
    for who in [&alice, &bob] {
        for _ in 0..2 {
            sessions.create_session(login_here(who)).await.unwrap();
            clock.advance(Duration::seconds(1));
        }
    }
    t.requests.take();
    sessions.create_session(login_here(&alice)).await.unwrap();
    assert_eq!(
        t.requests.take(),
        counts(&[
            ("GetItem", 1),
            ("BatchGetItem", 1),
            ("TransactWriteItems", 1)
        ]),
        "least recently active eviction"
    );
    let refused = sessions.create_session(login_here(&bob)).await;
    let Err(SessionError::SessionLimitReached {
        sessions: listed, ..
    }) = refused
    else {
        panic!("expected session_limit_reached, got {refused:?}");
    };
    let refusal = t.requests.take();
    assert_eq!(total(&refusal), 3, "{refusal:?}");
    assert_eq!(refusal.get("BatchGetItem"), Some(&1), "{refusal:?}");
    sessions
        .create_session(CreateSession {
            replace_session_id: Some(listed[0].id()),
            ..login_here(&bob)
        })
        .await
        .unwrap();
    assert_eq!(
        t.requests.take(),
        counts(&[("GetItem", 2), ("TransactWriteItems", 1)]),
        "the retry replacing the chosen session"
    );
}

/// The auth service's refresh: rotating the current token from the same client is one
/// conditional UpdateItem and nothing else; the retry of a lost answer is that one request
/// (which fails its condition and answers the stored session); a reuse adds the revoking
/// transaction.
#[tokio::test]
async fn a_refresh_is_one_round_trip_and_a_reuse_two() {
    use session_core::use_cases::{RefreshSession, Refreshed};

    let Some(t) = test_store().await else { return };
    let (sessions, clock) = on_fake_clock(&t, PolicyConfig::default());
    let alice = user("alice");
    register(&sessions, &alice, "basic", None).await;
    let token = |id: &str| RefreshTokenId::from_str(id).unwrap();
    let id = sessions
        .create_session(CreateSession {
            refresh_token_id: Some(token("rt-1")),
            ..login_here(&alice)
        })
        .await
        .unwrap()
        .session
        .id();
    let refresh = |presented: &str, next: &str| RefreshSession {
        session_id: id,
        refresh_token_id: token(presented),
        next_refresh_token_id: token(next),
        ip_address: "203.0.113.7".parse().ok(),
        user_agent: Some("Mozilla/5.0".into()),
    };
    t.requests.take();
    clock.advance(Duration::seconds(600));

    let rotated = sessions
        .refresh_session(refresh("rt-1", "rt-2"))
        .await
        .unwrap();
    assert!(
        matches!(rotated, Refreshed::Active(ref s) if !s.retried),
        "{rotated:?}"
    );
    let trips = t.requests.take();
    eprintln!("refresh: {trips:?}");
    assert_eq!(trips, counts(&[("UpdateItem", 1)]), "refresh");

    let retried = sessions
        .refresh_session(refresh("rt-1", "rt-2"))
        .await
        .unwrap();
    assert!(
        matches!(retried, Refreshed::Active(ref s) if s.retried),
        "{retried:?}"
    );
    let trips = t.requests.take();
    eprintln!("retry of a lost answer: {trips:?}");
    assert_eq!(trips, counts(&[("UpdateItem", 1)]), "retry");

    let reused = sessions.refresh_session(refresh("rt-0", "rt-9")).await;
    assert!(reused.is_err(), "{reused:?}");
    let trips = t.requests.take();
    eprintln!("reuse: {trips:?}");
    assert_eq!(
        trips,
        counts(&[("UpdateItem", 1), ("TransactWriteItems", 1)]),
        "reuse"
    );
}

/// Revoking 1,000 sessions (an unlimited tier) takes at most 15 sequential round trips
/// (BENCHMARKS.md §1): one Query of the user's ledger and index, then waves of a lead commit and
/// its followers sent at once (docs/0052), then the last commit with the outcome. The sessions
/// are put straight into the table, 50 per commit, as logins would have left them.
#[tokio::test]
async fn a_revoke_all_of_a_thousand_sessions_takes_at_most_fifteen_sequential_round_trips() {
    let Some(t) = test_store().await else { return };
    let (sessions, _clock) = on_fake_clock(&t, PolicyConfig::default());
    let alice = user("alice");
    register(&sessions, &alice, "pro", None).await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let batch: Vec<_> = (0..50)
            .map(|_| super::sample::session(&alice, super::sample::t0()))
            .collect();
        ids.extend(batch.iter().map(|s| s.id()));
        let writes = batch.into_iter().map(SessionWrite::Insert).collect();
        let changes = ChangeSet {
            sessions: writes,
            ..ChangeSet::default()
        };
        t.store.commit(changes).await.unwrap();
    }
    t.requests.take();
    t.requests.take_sequential();

    let revoked = sessions
        .revoke_all_user_sessions(RevokeAllUserSessions::by_user(alice.clone(), None))
        .await
        .unwrap();

    let trips = t.requests.take();
    let sequential = t.requests.take_sequential();
    eprintln!("revoke all (1,000 sessions): {sequential} sequential of {trips:?}");
    let mut revoked_ids = revoked.session_ids;
    revoked_ids.sort();
    ids.sort();
    assert_eq!(revoked_ids, ids, "every session revoked, each once");
    assert_eq!(trips.get("TransactWriteItems"), Some(&21), "{trips:?}");
    assert!(
        sequential <= 15,
        "{sequential} sequential round trips: {trips:?}"
    );
    let left = t.store.load_user_with_index(&alice).await.unwrap();
    assert!(left.index.is_empty(), "the user's index is empty");
}
