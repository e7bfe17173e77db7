//! The state the payloads under `events/` refer to: alice (basic tier) signed in on a laptop and
//! a phone, bob on one device, carol unknown; ids as in `scripts/gen-events.py` (the token secret
//! and the trusted auth account are in `events/env.json`). Written into the embedded store for the in-process test and into a
//! DynamoDB Local table for the run under AWS's RIE (`invoke.rs`), through the store's own commit.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use session_core::Sessions;
use session_core::domain::session::NewSession;
use session_core::domain::{ActiveEntry, Device, PolicyConfig, Session, SessionStatus, UserLedger};
use session_core::ids::{DeviceId, DeviceName, RefreshTokenId, SessionId, UserId};
use session_core::ports::{ChangeSet, DeviceWrite, LedgerWrite, SessionStore, SessionWrite};
use session_core::testkit::{FakeClock, SequentialIds};
use session_memory::MemoryStore;
use session_tests::event_contracts::CheckedStore;

pub const ALICE_LAPTOP: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000001";
pub const ALICE_PHONE: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000002";
pub const BOB_DEVICE: &str = "0193a1b2-c3d4-7e5f-8a6b-000000000003";
/// The install id alice's phone signed in with.
pub const ALICE_PHONE_DEVICE: &str = "alice-phone-0001";

/// Every session the state holds.
pub const SEEDED_SESSIONS: [&str; 3] = [ALICE_LAPTOP, ALICE_PHONE, BOB_DEVICE];

/// An hour before the payloads' own time (2026-11-22T16:00Z), so the password events, dated
/// then, cover every seeded session.
pub fn seeded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap()
}

/// Writes the state into `store`. The sessions expire when the payloads' token does (2100), so
/// functions on the wall clock find them active too.
pub async fn seed(store: &impl SessionStore) {
    let start = seeded_at();
    let expires_at = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
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
                expires_at,
                idle_timeout_secs: None,
                // The laptop's chain starts at `rt_laptop_1` (events/refresh-session).
                refresh_token_id: (n == 0).then(|| {
                    RefreshTokenId::from_str(&format!("rt_{}_1", device_name(user, n))).unwrap()
                }),
                device_type: None,
                country_code: None,
                coordinates: None,
                suspicious_revoke_at_count: None,
                suspicious_step_up_at_count: None,
                max_auth_age_secs: None,
                auth_time: None,
                aal: Default::default(),
                amr: Default::default(),
            });
            // Alice's phone signed in with its install id (events/*-device payloads).
            let session = if (user, n) == ("alice", 1) {
                let device_id = DeviceId::from_str(ALICE_PHONE_DEVICE).unwrap();
                let name = DeviceName::from_str("Alice's phone").ok();
                let session = session.on_device(device_id.clone(), name.clone(), None);
                changes.devices.push(DeviceWrite::Put {
                    device: Device::first_seen_with(device_id, name, &session),
                    expected_version: None,
                });
                session
            } else {
                session
            };
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
}

/// The short name of a seeded user's `n`th device, as the payloads' refresh token ids use it.
fn device_name(user: &str, n: usize) -> &'static str {
    match (user, n) {
        ("alice", 0) => "laptop",
        ("alice", _) => "phone",
        _ => "device",
    }
}

/// The status of the seeded session `id` in `store` at `now`.
pub async fn status_in(store: &impl SessionStore, id: &str, now: DateTime<Utc>) -> SessionStatus {
    let stored = store
        .load_session(SessionId::from_str(id).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("seeded session {id} is gone"));
    stored.value.status(now)
}

/// The state in the embedded store, and the use cases over it on a fake clock.
pub struct Seeded {
    pub store: MemoryStore,
    /// The use cases over `store`; every event they commit is checked against its contract.
    pub sessions: Sessions<CheckedStore<MemoryStore>>,
}

impl Seeded {
    pub async fn new() -> Self {
        let store = MemoryStore::new();
        let sessions = Sessions::new(CheckedStore::new(store.clone()), PolicyConfig::default())
            .with_clock(Arc::new(FakeClock::new(seeded_at())))
            .with_ids(Arc::new(SequentialIds::default()));
        seed(&store).await;
        Self { store, sessions }
    }

    pub async fn status(&self, id: &str) -> SessionStatus {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 16, 30, 0).unwrap();
        status_in(&self.store, id, now).await
    }
}
