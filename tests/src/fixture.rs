//! The world a contract case runs in: a fresh store, the service over it with a fake clock and
//! sequential ids, and shortcuts for the steps most cases share.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use session_core::Sessions;
use session_core::domain::session::NewSession;
use session_core::domain::{
    Actor, DeviceType, PolicyConfig, RevocationReason, Session, UserLedger,
};
use session_core::error::SessionError;
use session_core::events::{DomainEvent, EventPayload, SessionActivityUpdated};
use session_core::ids::{EventId, SessionId, TierName, UserId};
use session_core::ports::{
    ChangeSet, Coordinates, DeviceEnricher, DeviceInfo, EnrichError, IdGenerator, Location,
    LocationEnricher, SessionStore, Versioned,
};
use session_core::testkit::{FakeClock, SequentialIds};
use session_core::use_cases::{
    CreateSession, CreatedSession, ListUserSessions, ListedSession, PolicyView, RevokeSession,
    SetUserSessionPolicy, ValidateSession, Validity,
};

use crate::StoreHarness;
use crate::event_contracts::CheckedStore;

/// The address every fixture login comes from.
pub const LOGIN_IP: &str = "203.0.113.10";
/// The user agent every fixture login sends.
pub const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
/// What the fixture's device enricher says about every user agent.
pub const DEVICE: &str = "Chrome on Mac OS X";
/// The device type the fixture's device enricher gives every user agent.
pub const DEVICE_TYPE: DeviceType = DeviceType::Desktop;
/// What the fixture's location enricher says about every address, as stored.
pub const LOCATION: &str = "Mountain View, US";

/// Where the fixture's location enricher places every address.
pub fn mountain_view() -> Coordinates {
    Coordinates::new(37.386, -122.0838).expect("valid coordinates")
}

/// A user id from a literal; panics on an invalid one (a bug in the case).
pub fn user(name: &str) -> UserId {
    UserId::from_str(name).expect("valid user id")
}

pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("valid IP address")
}

/// A login from [`LOGIN_IP`] with [`USER_AGENT`], default expiry, no refresh token.
pub fn login_cmd(user: &UserId) -> CreateSession {
    CreateSession {
        user_id: user.clone(),
        ip_address: Some(ip(LOGIN_IP)),
        user_agent: Some(USER_AGENT.to_owned()),
        expires_at: None,
        refresh_token_id: None,
        auth_time: None,
        aal: Default::default(),
        amr: Default::default(),
        device: None,
        replace_session_id: None,
    }
}

/// Registers `user` on `tier` (or changes their policy) through the admin use case; panics if
/// the store refuses.
pub async fn register<S: SessionStore>(
    sessions: &Sessions<S>,
    user: &UserId,
    tier: &str,
    max_sessions: Option<u32>,
) -> PolicyView {
    sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: user.clone(),
            tier: TierName::from_str(tier).expect("valid tier name"),
            max_sessions,
        })
        .await
        .expect("policy stored")
}

/// Enrichers that answer like the fixed test doubles and remember what they were asked.
#[derive(Debug, Default)]
pub struct RecordingEnricher {
    user_agents: Mutex<Vec<String>>,
    addresses: Mutex<Vec<IpAddr>>,
}

impl RecordingEnricher {
    pub fn user_agents(&self) -> Vec<String> {
        self.user_agents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn addresses(&self) -> Vec<IpAddr> {
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl DeviceEnricher for RecordingEnricher {
    fn describe(&self, user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        self.user_agents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(user_agent.to_owned());
        Ok(DeviceInfo {
            description: Some(DEVICE.to_owned()),
            device_type: Some(DEVICE_TYPE),
        })
    }
}

impl LocationEnricher for RecordingEnricher {
    fn locate(&self, ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ip);
        Ok(Some(Location {
            city: Some("Mountain View".to_owned()),
            country_code: "US".to_owned(),
            coordinates: Some(mountain_view()),
        }))
    }
}

/// How the service under test is configured.
#[derive(Clone)]
pub struct FixtureConfig {
    pub policy: PolicyConfig,
    pub device: Arc<dyn DeviceEnricher>,
    pub location: Arc<dyn LocationEnricher>,
}

impl Default for FixtureConfig {
    fn default() -> Self {
        let enricher = Arc::new(RecordingEnricher::default());
        Self {
            policy: PolicyConfig::default(),
            device: enricher.clone(),
            location: enricher,
        }
    }
}

impl FixtureConfig {
    /// The default configuration with tiers merged from `json` (see `PolicyConfig::from_json`).
    pub fn with_policy_json(json: &str) -> Self {
        Self {
            policy: PolicyConfig::from_json(json).expect("valid policy JSON"),
            ..Self::default()
        }
    }
}

pub struct Fixture<'h, H: StoreHarness> {
    harness: &'h H,
    pub store: H::Store,
    /// The service over `store`; every event it commits is checked against its contract.
    pub sessions: Sessions<CheckedStore<H::Store>>,
    pub clock: Arc<FakeClock>,
    ids: Arc<SequentialIds>,
}

impl<'h, H: StoreHarness> Fixture<'h, H> {
    /// Default policy (the reference tiers) and enrichers that always answer [`DEVICE`] and
    /// [`LOCATION`].
    pub async fn new(harness: &'h H) -> Self {
        Self::with_config(harness, FixtureConfig::default()).await
    }

    pub async fn with_config(harness: &'h H, config: FixtureConfig) -> Self {
        let store = harness.fresh_store().await;
        let clock = Arc::new(FakeClock::at_epoch());
        let ids = Arc::new(SequentialIds::default());
        let sessions = Self::service(store.clone(), &clock, &ids, config);
        Self {
            harness,
            store,
            sessions,
            clock,
            ids,
        }
    }

    fn service(
        store: H::Store,
        clock: &Arc<FakeClock>,
        ids: &Arc<SequentialIds>,
        config: FixtureConfig,
    ) -> Sessions<CheckedStore<H::Store>> {
        Sessions::new(CheckedStore::new(store), config.policy)
            .with_clock(clock.clone())
            .with_ids(ids.clone())
            .with_device_enricher(config.device)
            .with_location_enricher(config.location)
    }

    /// Another instance of the service over the same store, clock and ids, configured
    /// differently: what a redeploy with a changed configuration looks like to stored data.
    pub fn redeployed(&self, config: FixtureConfig) -> Sessions<CheckedStore<H::Store>> {
        Self::service(self.store.clone(), &self.clock, &self.ids, config)
    }

    pub fn now(&self) -> DateTime<Utc> {
        session_core::ports::Clock::now(&*self.clock)
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
    }

    /// A session id no session has yet.
    pub fn new_session_id(&self) -> SessionId {
        SessionId::from_uuid(self.ids.next_id())
    }

    pub fn fail_next_reads(&self, n: u32) {
        self.harness.fail_next_reads(&self.store, n);
    }

    pub fn fail_next_commits(&self, n: u32) {
        self.harness.fail_next_commits(&self.store, n);
    }

    /// The events committed since the last call, in commit order.
    pub async fn take_events(&self) -> Vec<DomainEvent> {
        self.harness.take_events(&self.store).await
    }

    /// Registers `user` (or changes their policy) through the admin use case.
    pub async fn register(
        &self,
        user: &UserId,
        tier: &str,
        max_sessions: Option<u32>,
    ) -> PolicyView {
        register(&self.sessions, user, tier, max_sessions).await
    }

    /// Logs `user` in now; panics if the login fails.
    pub async fn login(&self, user: &UserId) -> CreatedSession {
        self.sessions
            .create_session(login_cmd(user))
            .await
            .unwrap_or_else(|e| panic!("login of {user} failed: {e}"))
    }

    /// Logs `user` in `n` times, one minute apart (the clock moves before each login), and
    /// returns the new sessions' ids, oldest first.
    pub async fn login_n(&self, user: &UserId, n: usize) -> Vec<SessionId> {
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            self.advance(Duration::minutes(1));
            ids.push(self.login(user).await.session.id());
        }
        ids
    }

    pub async fn revoke(
        &self,
        session_id: SessionId,
        user: &UserId,
        reason: RevocationReason,
    ) -> Result<Session, SessionError> {
        self.sessions
            .revoke_session(RevokeSession {
                session_id,
                owner: session_core::use_cases::Owner::User(user.clone()),
                reason,
                by: Actor::User {
                    user_id: user.clone(),
                },
                note: None,
            })
            .await
    }

    /// The stored session, read straight from the store; panics if it does not exist.
    pub async fn stored(&self, id: SessionId) -> Versioned<Session> {
        self.store
            .load_session(id)
            .await
            .expect("store readable")
            .unwrap_or_else(|| panic!("session {id} is stored"))
    }

    pub async fn ledger(&self, user: &UserId) -> Versioned<UserLedger> {
        self.store
            .load_user(user)
            .await
            .expect("store readable")
            .unwrap_or_else(|| panic!("ledger of {user} is stored"))
    }

    pub async fn validity(&self, id: SessionId) -> Validity {
        self.sessions
            .validate_session(ValidateSession { session_id: id })
            .await
            .expect("validation answers")
    }

    pub async fn is_active(&self, id: SessionId) -> bool {
        self.validity(id).await.is_active()
    }

    /// Every session the list use case returns for `user`, following cursors page by page.
    pub async fn list_all(
        &self,
        user: &UserId,
        active_only: bool,
        page_size: u32,
        current: Option<SessionId>,
    ) -> Vec<ListedSession> {
        let mut all = Vec::new();
        let mut cursor = None;
        // A store that never ends the listing would hang the suite; no case lists this many.
        for _ in 0..1000 {
            let page = self
                .sessions
                .list_user_sessions(ListUserSessions {
                    user_id: user.clone(),
                    filter: if active_only {
                        session_core::use_cases::SessionFilter::Active
                    } else {
                        session_core::use_cases::SessionFilter::All
                    },
                    limit: Some(page_size),
                    cursor: cursor.take(),
                    current_session_id: current,
                })
                .await
                .expect("listing answers");
            assert!(
                page.sessions.len() <= usize::try_from(page_size).unwrap_or(usize::MAX),
                "a page holds at most the requested number of sessions"
            );
            all.extend(page.sessions);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return all,
            }
        }
        panic!("listing the sessions of {user} did not end");
    }

    /// Ids of `user`'s active sessions, as the list use case reports them.
    pub async fn active_ids(&self, user: &UserId) -> BTreeSet<SessionId> {
        self.list_all(user, true, 100, None)
            .await
            .into_iter()
            .map(|s| s.session.id())
            .collect()
    }

    /// Ids in the user's ledger index (the sessions the limit is counted over).
    pub async fn ledger_ids(&self, user: &UserId) -> BTreeSet<SessionId> {
        self.ledger(user)
            .await
            .value
            .active
            .keys()
            .copied()
            .collect()
    }

    /// A session as a login now would create it, not yet stored; for store-level cases.
    pub fn unsaved_session(&self, user: &UserId) -> Session {
        let now = self.now();
        Session::new(NewSession {
            id: self.new_session_id(),
            user_id: user.clone(),
            device_info: Some(DEVICE.to_owned()),
            user_agent: Some(USER_AGENT.to_owned()),
            ip_address: Some(ip(LOGIN_IP)),
            location: Some(LOCATION.to_owned()),
            now,
            expires_at: now + Duration::days(30),
            idle_timeout_secs: None,
            refresh_token_id: None,
            device_type: None,
            country_code: None,
            coordinates: None,
            suspicious_revoke_at_count: None,
            suspicious_step_up_at_count: None,
            max_auth_age_secs: None,
            auth_time: None,
            aal: Default::default(),
            amr: Default::default(),
        })
    }

    /// An event about `user` that no use case produced; for store-level cases.
    pub fn marker_event(&self, user: &UserId) -> DomainEvent {
        DomainEvent {
            event_id: EventId::from_uuid(self.ids.next_id()),
            occurred_at: self.now(),
            payload: EventPayload::SessionActivityUpdated(SessionActivityUpdated {
                session_id: self.new_session_id(),
                user_id: user.clone(),
                ip_address: None,
                ip_changed: false,
            }),
        }
    }

    /// Commits `changes` straight to the store; panics if the commit fails.
    pub async fn commit_ok(&self, changes: ChangeSet) {
        self.store.commit(changes).await.expect("commit succeeds");
    }
}

/// `session` with its stored fields changed by `edit`: sessions in states no transition leads to
/// directly, as a store could hold them.
pub fn edited(
    session: &session_core::domain::Session,
    edit: impl FnOnce(&mut session_core::domain::SessionRecord),
) -> session_core::domain::Session {
    let mut record = session.to_record();
    edit(&mut record);
    session_core::domain::Session::restore(record)
}
