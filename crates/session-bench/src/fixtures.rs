//! Populated embedded stores for the CPU benches: production clock and id generator (what a
//! Lambda runs), no enrichment (measured on its own in the enrichment benches).

use std::net::{IpAddr, Ipv4Addr};

use session_core::SessionError;
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_core::ids::{SessionId, TierName, UserId};
use session_core::use_cases::{CreateSession, SetUserSessionPolicy};
use session_memory::MemoryStore;

/// A desktop Chrome user agent, the common case at login (131 bytes).
pub const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The use cases over a fresh embedded store with the default policy.
pub fn sessions() -> Sessions<MemoryStore> {
    Sessions::new(MemoryStore::new(), PolicyConfig::default())
}

/// A valid user id; bench ids are ASCII, so this cannot fail for the names used here.
pub fn user(name: &str) -> Result<UserId, SessionError> {
    UserId::try_from(name.to_owned()).map_err(SessionError::from)
}

fn tier(name: &str) -> Result<TierName, SessionError> {
    TierName::try_from(name.to_owned()).map_err(SessionError::from)
}

/// The `n`th documentation address (198.51.100.0/24, 203.0.113.0/24): distinct, never looked up.
pub fn ip(n: usize) -> IpAddr {
    let host = (n % 250) as u8 + 1;
    if n.is_multiple_of(2) {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, host))
    } else {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, host))
    }
}

/// A login as the auth service sends it: address, user agent, refresh token id.
pub fn login(user_id: &UserId, n: usize) -> CreateSession {
    CreateSession {
        user_id: user_id.clone(),
        ip_address: Some(ip(n)),
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

/// Registers `user` on `tier` and logs in `count` times; returns the session ids, oldest first.
pub async fn user_with_sessions(
    sessions: &Sessions<MemoryStore>,
    user_id: &UserId,
    tier_name: &str,
    count: usize,
) -> Result<Vec<SessionId>, SessionError> {
    sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: user_id.clone(),
            tier: tier(tier_name)?,
            max_sessions: None,
        })
        .await?;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        ids.push(
            sessions
                .create_session(login(user_id, n))
                .await?
                .session
                .id(),
        );
    }
    Ok(ids)
}

/// One user with sessions in a store of their own: the input of one run of a mutating command.
pub struct Fixture {
    pub sessions: Sessions<MemoryStore>,
    pub user_id: UserId,
    pub ids: Vec<SessionId>,
}

impl Fixture {
    /// A fresh store holding one user on `tier_name` with `count` sessions.
    pub async fn new(tier_name: &str, count: usize) -> Result<Self, SessionError> {
        let sessions = sessions();
        let user_id = user("bench-user")?;
        let ids = user_with_sessions(&sessions, &user_id, tier_name, count).await?;
        // The outbox is drained so the measured command is the only one paying for its events.
        sessions.store().take_events();
        Ok(Self {
            sessions,
            user_id,
            ids,
        })
    }
}

/// A store shared by the read benches: `users` users with `per_user` sessions each (pro tier, so
/// nothing is evicted), as a warm Lambda or the local server would hold after a while.
pub struct Population {
    pub sessions: Sessions<MemoryStore>,
    pub users: Vec<(UserId, Vec<SessionId>)>,
}

impl Population {
    pub async fn new(users: usize, per_user: usize) -> Result<Self, SessionError> {
        let sessions = sessions();
        let mut all = Vec::with_capacity(users);
        for u in 0..users {
            let user_id = user(&format!("user-{u:05}"))?;
            let ids = user_with_sessions(&sessions, &user_id, "pro", per_user).await?;
            all.push((user_id, ids));
        }
        sessions.store().take_events();
        Ok(Self {
            sessions,
            users: all,
        })
    }

    /// Every (user, session) pair, user by user.
    pub fn pairs(&self) -> Vec<(UserId, SessionId)> {
        self.users
            .iter()
            .flat_map(|(u, ids)| ids.iter().map(move |id| (u.clone(), *id)))
            .collect()
    }
}
