//! The local server runs the deployment's scheduled sweeps in the background
//! (crates/session-local/src/sweeps.rs): started, the retention sweep runs at once and cuts the
//! personal data of a session whose `ip_retention_days` have passed since it ended.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use session_core::Sessions;
use session_core::domain::{Actor, PolicyConfig, RevocationReason};
use session_core::ports::SessionStore;
use session_core::testkit::FakeClock;
use session_core::use_cases::{CreateSession, Owner, RevokeSession};
use session_memory::MemoryStore;
use session_tests::fixture::{ip, login_cmd, register, user};

#[tokio::test]
async fn the_sweeps_cut_the_personal_data_that_is_due() {
    let clock = Arc::new(FakeClock::at_epoch());
    let store = MemoryStore::new();
    let sessions = Sessions::new(store.clone(), PolicyConfig::default()).with_clock(clock.clone());
    let alice = user("alice");
    register(&sessions, &alice, "basic", None).await;
    let login = |from: &str| CreateSession {
        ip_address: Some(ip(from)),
        ..login_cmd(&alice)
    };
    let ended = sessions.create_session(login("203.0.113.7")).await.unwrap();
    let ended = ended.session.id();
    sessions
        .revoke_session(RevokeSession {
            session_id: ended,
            owner: Owner::User(alice.clone()),
            reason: RevocationReason::Logout,
            by: Actor::User {
                user_id: alice.clone(),
            },
            note: None,
        })
        .await
        .unwrap();
    clock.advance(Duration::days(31));
    let live = sessions
        .create_session(login("198.51.100.7"))
        .await
        .unwrap();
    let live = live.session.id();

    let sweeps = session_local::sweeps::start(sessions.clone());
    let mut cut = None;
    for _ in 0..500 {
        let stored = store.load_session(ended).await.unwrap().unwrap().value;
        if stored.is_redacted() {
            cut = Some(stored);
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    drop(sweeps);
    let cut = cut.expect("the retention sweep ran within 5 s of the start");
    assert_eq!(cut.ip_address(), Some(ip("203.0.113.0")));
    assert_eq!(cut.user_agent(), None);
    let untouched = store.load_session(live).await.unwrap().unwrap().value;
    assert!(!untouched.is_redacted());
    assert_eq!(untouched.ip_address(), Some(ip("198.51.100.7")));
}
