//! The state the payloads under `events/` refer to: alice (basic tier) signed in on a laptop and
//! a phone, bob on one device, carol unknown; ids and the token secret as in
//! `scripts/gen-events.py`.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use session_core::Sessions;
use session_core::domain::session::NewSession;
use session_core::domain::{ActiveEntry, PolicyConfig, Session, SessionStatus, UserLedger};
use session_core::ids::{SessionId, UserId};
use session_core::ports::{ChangeSet, LedgerWrite, SessionStore, SessionWrite};
use session_core::testkit::{FakeClock, SequentialIds};
use session_memory::MemoryStore;

pub const ALICE_LAPTOP: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000001";
pub const ALICE_PHONE: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000002";
pub const BOB_DEVICE: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000003";
pub const FIXTURE_SECRET: &[u8] = b"events-fixture-secret-for-tests-only-0123456789";
pub const FIXTURE_ISSUER: &str = "https://auth.example.com";
pub const FIXTURE_AUDIENCE: &str = "sessions";

pub struct Seeded {
    pub store: MemoryStore,
    pub sessions: Sessions<MemoryStore>,
}

impl Seeded {
    pub async fn new() -> Self {
        // An hour before the payloads' own time (2026-11-22T16:00Z), so the password events,
        // dated then, cover every seeded session.
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap();
        let store = MemoryStore::new();
        let sessions = Sessions::new(store.clone(), PolicyConfig::default())
            .with_clock(Arc::new(FakeClock::new(start)))
            .with_ids(Arc::new(SequentialIds::default()));
        let policy = PolicyConfig::default().default_user_policy();
        for (user, devices) in [
            ("alice", &[ALICE_LAPTOP, ALICE_PHONE][..]),
            ("bob", &[BOB_DEVICE][..]),
        ] {
            let user_id = UserId::from_str(user).unwrap();
            let mut ledger = UserLedger::new(user_id.clone(), policy.clone());
            let mut changes = ChangeSet::default();
            for (n, id) in devices.iter().enumerate() {
                let at = start + Duration::minutes(i64::try_from(n).unwrap());
                let session = Session::new(NewSession {
                    id: SessionId::from_str(id).unwrap(),
                    user_id: user_id.clone(),
                    device_info: Some(
                        if n == 0 {
                            "Chrome on macOS"
                        } else {
                            "Safari on iOS"
                        }
                        .into(),
                    ),
                    user_agent: None,
                    ip_address: "203.0.113.7".parse().ok(),
                    location: None,
                    now: at,
                    expires_at: at + Duration::days(30),
                    idle_timeout_secs: None,
                    refresh_token_id: None,
                    device_type: None,
                    country_code: None,
                    coordinates: None,
                    suspicious_revoke_at_count: None,
                });
                ledger
                    .active
                    .insert(session.id(), ActiveEntry::from(&session));
                changes.sessions.push(SessionWrite::Insert(session));
            }
            changes.ledger = Some(LedgerWrite::Put {
                ledger,
                expected_version: None,
            });
            store.commit(changes).await.unwrap();
        }
        Self { store, sessions }
    }

    pub async fn status(&self, id: &str) -> SessionStatus {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 16, 30, 0).unwrap();
        let stored = self
            .store
            .load_session(SessionId::from_str(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        stored.value.status(now)
    }
}
