use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_core::ids::TierName;
use session_core::use_cases::{CreateSession, SetUserSessionPolicy};

use super::sample::user;
use super::support::test_store;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scratch_race() {
    let Some(t) = test_store().await else { return };
    let sessions = Sessions::new(t.store.clone(), PolicyConfig::default());
    let alice = user("alice");
    sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: alice.clone(),
            tier: TierName::from_str("essential").unwrap(),
            max_sessions: None,
        })
        .await
        .unwrap();
    t.requests.take();
    let started = Instant::now();
    let sessions = Arc::new(sessions);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let s = sessions.clone();
            let cmd = CreateSession {
                user_id: alice.clone(),
                ip_address: None,
                user_agent: None,
                expires_at: None,
                refresh_token_id: None,
            };
            tokio::spawn(async move {
                let t0 = Instant::now();
                let r = s.create_session(cmd).await;
                (t0.elapsed(), r.is_ok())
            })
        })
        .collect();
    for task in tasks {
        let (d, ok) = task.await.unwrap();
        eprint!("{}:{} ", d.as_millis(), ok);
    }
    eprintln!(
        "\nelapsed {:?} requests {:?}",
        started.elapsed(),
        t.requests.take()
    );
}
