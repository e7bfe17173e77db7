//! CreateSession: a login creates a session, evicting sessions when the user is at the limit
//! (or refusing, for a `deny` or `ask` tier: at_limit.rs), replacing its device's session
//! (device.rs). The limit holds under any concurrency because the
//! ledger write is conditioned on the version read.
//!
//! A login made with an idempotency key is answered once: the key's record is committed with the
//! session, and a retry within [`IDEMPOTENCY_WINDOW_SECS`] gets the first answer back without
//! creating or evicting anything (docs/0011).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

mod at_limit;
mod device;

use at_limit::Placement;
use device::DeviceChanges;

use crate::app::{Retry, Sessions};
use crate::domain::session::{NewSession, normalise_user_agent};
use crate::domain::{
    Aal, ActiveEntry, Actor, AuthMethods, Revocation, RevocationReason, Session, UserLedger,
};
use crate::error::{InvalidInput, SessionError};
use crate::events::{self, EventPayload};
use crate::ids::{DeviceId, DeviceName, IdempotencyKey, RefreshTokenId, SessionId, UserId};
use crate::ports::{
    ChangeSet, DeviceInfo, IdempotencyRecord, LedgerWrite, Location, LoginRead, SessionStore,
    SessionWrite, Versioned,
};

/// How long a login's idempotency key answers with its first result.
pub const IDEMPOTENCY_WINDOW_SECS: i64 = 24 * 60 * 60;

#[derive(Clone, Debug)]
pub struct CreateSession {
    pub user_id: UserId,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Defaults to now + the configured lifetime; must lie within it.
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh_token_id: Option<RefreshTokenId>,
    /// How the user authenticated for this login: when (`None`: now), at which assurance level,
    /// with which methods.
    pub auth_time: Option<DateTime<Utc>>,
    pub aal: Aal,
    pub amr: AuthMethods,
    /// The device the client says it logs in from (docs/0047); `None` changes nothing.
    pub device: Option<LoginDevice>,
    /// The user's own active session this login replaces, chosen when an `ask` tier refused
    /// the login at the limit (docs/0049); ended in the login's commit.
    pub replace_session_id: Option<SessionId>,
}

/// The client's id of the device a login comes from, and the name it gives it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LoginDevice {
    pub id: DeviceId,
    pub name: Option<DeviceName>,
}

impl CreateSession {
    /// What identifies this request among others sent with the same idempotency key: every
    /// field as sent, hashed so the record holds no copy of the user agent or address.
    fn digest(&self) -> String {
        let mut canonical = serde_json::json!([
            self.user_id.as_str(),
            self.ip_address.map(|ip| ip.to_string()),
            self.user_agent,
            self.expires_at.map(|at| at.timestamp_micros()),
            self.refresh_token_id.as_ref().map(RefreshTokenId::as_str),
            self.auth_time.map(|at| at.timestamp_micros()),
            self.aal.level(),
            self.amr.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ]);
        // Appended only when sent, so a login without a device keeps the digest it had before.
        if let (Some(device), Some(fields)) = (&self.device, canonical.as_array_mut()) {
            fields.push(device.id.as_str().into());
            fields.push(device.name.as_ref().map(DeviceName::as_str).into());
        }
        if let (Some(id), Some(fields)) = (self.replace_session_id, canonical.as_array_mut()) {
            fields.push(serde_json::json!({ "replace_session_id": id.to_string() }));
        }
        format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[derive(Clone, Debug)]
pub struct CreatedSession {
    pub session: Session,
    pub evicted_session_ids: Vec<SessionId>,
    /// This is the stored answer to an earlier request with the same idempotency key; nothing
    /// was created or evicted this time.
    pub replayed: bool,
}

/// The idempotency key of a login and the digest of the request it came with.
struct Once {
    key: IdempotencyKey,
    digest: String,
}

impl Once {
    /// The first answer, if `record` is still live and was made for this same request.
    fn answer(
        &self,
        record: Option<IdempotencyRecord>,
        now: DateTime<Utc>,
    ) -> Result<Option<CreatedSession>, SessionError> {
        match record {
            Some(record) if record.is_live_at(now) => {
                if record.request_digest != self.digest {
                    return Err(SessionError::IdempotencyKeyReused);
                }
                Ok(Some(CreatedSession {
                    session: record.session,
                    evicted_session_ids: record.evicted_session_ids,
                    replayed: true,
                }))
            }
            _ => Ok(None),
        }
    }
}

/// The parts of a login that do not change between retries.
struct Prepared {
    id: SessionId,
    once: Option<Once>,
    cmd: CreateSession,
    user_agent: Option<String>,
    device: DeviceInfo,
    location: Option<Location>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl<S: SessionStore> Sessions<S> {
    pub async fn create_session(&self, cmd: CreateSession) -> Result<CreatedSession, SessionError> {
        self.create(cmd, None).await
    }

    /// Like [`Self::create_session`], answering every retry with the same `key` within
    /// [`IDEMPOTENCY_WINDOW_SECS`] with the first result. The key used with another request is
    /// [`SessionError::IdempotencyKeyReused`].
    pub async fn create_session_idempotently(
        &self,
        cmd: CreateSession,
        key: IdempotencyKey,
    ) -> Result<CreatedSession, SessionError> {
        self.create(cmd, Some(key)).await
    }

    async fn create(
        &self,
        cmd: CreateSession,
        key: Option<IdempotencyKey>,
    ) -> Result<CreatedSession, SessionError> {
        let now = self.clock.now();
        let once = key.map(|key| Once {
            digest: cmd.digest(),
            key,
        });
        let expires_at = match self.expiry_for(now, cmd.expires_at) {
            Ok(at) => at,
            // A retry may arrive after the expiry it asks for has passed; the first answer stands.
            Err(invalid) => match &once {
                Some(once) => {
                    let record = self.store.load_idempotency(&once.key).await?;
                    return once.answer(record, now)?.ok_or(invalid.into());
                }
                None => return Err(invalid.into()),
            },
        };
        let user_agent = normalise_user_agent(cmd.user_agent.as_deref());
        let prepared = Prepared {
            id: self.new_session_id(),
            once,
            device: user_agent
                .as_deref()
                .map(|ua| self.describe_device(ua))
                .unwrap_or_default(),
            location: cmd.ip_address.and_then(|ip| self.locate(ip)),
            user_agent,
            now,
            expires_at,
            cmd,
        };
        self.retry_on_conflict(|| self.try_create(&prepared))
            .await
            .map_err(SessionError::from)
    }

    fn expiry_for(
        &self,
        now: DateTime<Utc>,
        requested: Option<DateTime<Utc>>,
    ) -> Result<DateTime<Utc>, InvalidInput> {
        let latest = now + self.policy.session_lifetime();
        match requested {
            None => Ok(latest),
            Some(at) if at <= now => Err(InvalidInput::ExpiryInPast),
            Some(at) if at > latest => Err(InvalidInput::ExpiryBeyondLifetime {
                max_secs: self.policy.session_lifetime_secs(),
            }),
            Some(at) => Ok(at),
        }
    }

    /// Fail-open: a broken enricher costs the description, never the login (nor an activity
    /// report).
    pub(crate) fn describe_device(&self, user_agent: &str) -> DeviceInfo {
        self.device.describe(user_agent).unwrap_or_else(|error| {
            tracing::warn!(%error, "device enrichment failed; continuing without it");
            DeviceInfo::default()
        })
    }

    /// Fail-open like [`Self::describe_device`].
    pub(crate) fn locate(&self, ip: IpAddr) -> Option<Location> {
        self.location.locate(ip).unwrap_or_else(|error| {
            tracing::warn!(%error, "location enrichment failed; continuing without it");
            None
        })
    }

    /// The user's ledger (with the device's record, for a login from a named device) and, for a
    /// keyed login, the key's record, read together.
    async fn load_for_login(
        &self,
        p: &Prepared,
    ) -> Result<(LoginRead, Option<IdempotencyRecord>), Retry> {
        let device_id = p.cmd.device.as_ref().map(|d| &d.id);
        let Some(once) = &p.once else {
            return Ok((
                self.store.load_login(&p.cmd.user_id, device_id).await?,
                None,
            ));
        };
        let (read, record) = futures_util::future::join(
            self.store.load_login(&p.cmd.user_id, device_id),
            self.store.load_idempotency(&once.key),
        )
        .await;
        Ok((read?, record?))
    }

    async fn try_create(&self, p: &Prepared) -> Result<CreatedSession, Retry> {
        let (LoginRead { ledger, device }, record) = self.load_for_login(p).await?;
        // A commit with a key that another request committed first ends in a conflict, and the
        // retry lands here with the winner's record.
        if let Some(once) = &p.once
            && let Some(first) = once.answer(record, p.now)?
        {
            return Ok(first);
        }
        let Some(Versioned {
            value: mut ledger,
            version,
        }) = ledger
        else {
            return Err(SessionError::UserNotFound.into());
        };
        if !ledger.status.allows_logins() {
            return Err(SessionError::AccountDisabled.into());
        }
        // A revoke-all committed since this login began: the login authenticated before the
        // sign-out and must not outlive it (docs/0013).
        if ledger.revoked_before.is_some_and(|cutoff| p.now < cutoff) {
            return Err(SessionError::LoginSuperseded.into());
        }
        let rules = self.policy.effective(&ledger.policy);
        let replaced = match &device {
            Some(stored) => {
                self.session_to_replace(&stored.value, &ledger, &rules, p.now)
                    .await?
            }
            None => None,
        };
        let chosen = match p.cmd.replace_session_id {
            // The device's own session is replaced anyway.
            Some(id) if replaced.as_ref().is_some_and(|(r, _)| *r == id) => None,
            Some(id) => Some(
                self.session_chosen_to_replace(id, &ledger.user_id, p.now)
                    .await?,
            ),
            None => None,
        };
        // The device's own session, and the one the user chose, make way before the limit is
        // counted.
        let making_way: Vec<SessionId> = replaced
            .iter()
            .map(|(id, _)| *id)
            .chain(chosen.as_ref().map(Session::id))
            .collect();
        let Placement {
            live_count,
            evicted,
            idle,
        } = self.place_login(p, &ledger, &rules, &making_way).await?;

        let session = Session::new(NewSession {
            id: p.id,
            user_id: p.cmd.user_id.clone(),
            device_info: p.device.description.clone(),
            device_type: p.device.device_type,
            user_agent: p.user_agent.clone(),
            ip_address: p.cmd.ip_address,
            location: p.location.as_ref().map(Location::display),
            // The login is the first sighting: the baseline of country and travel checks.
            country_code: p.location.as_ref().map(|l| l.country_code.clone()),
            coordinates: p.location.as_ref().and_then(|l| l.coordinates),
            now: p.now,
            expires_at: p.expires_at,
            idle_timeout_secs: rules.idle_timeout_secs,
            // Copied like the idle timeout (docs/0009): an activity report must not read the
            // ledger.
            suspicious_revoke_at_count: rules.suspicious_revoke_at_count,
            suspicious_step_up_at_count: rules.suspicious_step_up_at_count,
            max_auth_age_secs: rules.max_auth_age_secs,
            refresh_token_id: p.cmd.refresh_token_id.clone(),
            auth_time: p.cmd.auth_time,
            aal: p.cmd.aal,
            amr: p.cmd.amr.clone(),
        })
        .kept_for(self.policy.retention());
        let (session, device_changes) = match &p.cmd.device {
            Some(login_device) => {
                self.device_changes(login_device, device, &ledger, session, replaced, p.now)
            }
            None => (session, DeviceChanges::default()),
        };
        for (id, _) in &device_changes.replaced {
            ledger.active.remove(id);
        }
        if let Some(chosen) = &chosen {
            ledger.active.remove(&chosen.id());
        }
        let new_device = self.is_new_device(&mut ledger, p, device_changes.is_new);
        let idle_checks = Self::forget_idle(&mut ledger, idle);
        let mut ended: Vec<Replaced> = device_changes
            .replaced
            .iter()
            .map(|(id, device_info)| Replaced {
                id: *id,
                device_info: device_info.clone(),
                reason: RevocationReason::ReplacedByNewLogin,
                by: Actor::System,
            })
            .collect();
        ended.extend(chosen.map(|chosen| Replaced {
            id: chosen.id(),
            device_info: chosen.device_info().map(str::to_owned),
            reason: RevocationReason::ReplacedAtLimit,
            by: Actor::User {
                user_id: chosen.user_id().clone(),
            },
        }));
        let mut changes = self.login_changes(
            ledger,
            version,
            &session,
            Room {
                evicted: &evicted,
                live_count,
                max_sessions: rules.max_sessions,
                replaced: ended,
            },
        );
        changes.sessions.extend(idle_checks);
        changes.devices.extend(device_changes.write);
        if new_device {
            changes.events.push(self.new_device_sign_in(&session));
        }
        changes.idempotency = p.once.as_ref().map(|once| IdempotencyRecord {
            key: once.key.clone(),
            request_digest: once.digest.clone(),
            session: session.clone(),
            evicted_session_ids: evicted.clone(),
            created_at: p.now,
            expires_at: p.now + Duration::seconds(IDEMPOTENCY_WINDOW_SECS),
        });
        self.store.commit(changes).await?;
        Ok(CreatedSession {
            session,
            evicted_session_ids: evicted,
            replayed: false,
        })
    }

    /// Adds the revocation of each session this login replaces, with its events.
    fn add_replacements(&self, changes: &mut ChangeSet, session: &Session, ended: Vec<Replaced>) {
        let user_id = session.user_id();
        for Replaced {
            id,
            device_info,
            reason,
            by,
        } in ended
        {
            changes.sessions.push(SessionWrite::Revoke {
                session_id: id,
                user_id: user_id.clone(),
                revocation: Revocation::new(session.created_at(), reason, by.clone()),
            });
            changes
                .events
                .push(self.event(EventPayload::SessionRevocationAttempted(
                    events::SessionRevocationAttempted {
                        session_id: id,
                        user_id: user_id.clone(),
                        reason,
                        by: by.clone(),
                    },
                )));
            changes.events.push(
                self.event(EventPayload::SessionRevoked(events::SessionRevoked {
                    session_id: id,
                    user_id: user_id.clone(),
                    reason,
                    device_info,
                    revoked_by_user: by.user_id().cloned(),
                    by,
                    note: None,
                })),
            );
        }
    }

    /// The ledger update, the new session, the evictions, the replaced sessions and the events,
    /// in the order consumers see them: SessionLimitExceeded, SessionEvicted...,
    /// SessionRevocationAttempted and SessionRevoked per replaced session, SessionCreated.
    fn login_changes(
        &self,
        mut ledger: UserLedger,
        version: u64,
        session: &Session,
        room: Room<'_>,
    ) -> ChangeSet {
        let Room {
            evicted,
            live_count,
            max_sessions,
            replaced,
        } = room;
        let mut changes = ChangeSet::default();
        if !evicted.is_empty() {
            changes
                .events
                .push(self.event(EventPayload::SessionLimitExceeded(
                    events::SessionLimitExceeded {
                        user_id: session.user_id().clone(),
                        current_count: u32::try_from(live_count).unwrap_or(u32::MAX),
                        max_sessions: max_sessions.unwrap_or(u32::MAX),
                        evicted_session_ids: evicted.to_vec(),
                    },
                )));
        }
        for id in evicted {
            let entry = ledger.active.remove(id);
            changes.sessions.push(SessionWrite::Revoke {
                session_id: *id,
                user_id: session.user_id().clone(),
                revocation: Revocation {
                    at: session.created_at(),
                    reason: RevocationReason::SessionLimitExceeded,
                    by: Actor::System,
                    note: None,
                },
            });
            changes.events.push(
                self.event(EventPayload::SessionEvicted(events::SessionEvicted {
                    session_id: *id,
                    user_id: session.user_id().clone(),
                    reason: RevocationReason::SessionLimitExceeded,
                    device_info: entry.and_then(|e| e.device_info),
                    evicted_by_session_id: Some(session.id()),
                })),
            );
        }
        ledger.prune_expired(session.created_at());
        // Only a limited tier's ledger keeps its sessions, bounded by the limit, so that a
        // login's cost does not grow with an unlimited user's sessions (the store's user index
        // lists them all for a revoke-all).
        if max_sessions.is_some() {
            ledger
                .active
                .insert(session.id(), ActiveEntry::from(session));
        } else {
            ledger.active.clear();
        }
        self.add_replacements(&mut changes, session, replaced);
        changes.sessions.push(SessionWrite::Insert(session.clone()));
        changes.events.push(self.event(EventPayload::SessionCreated(
            events::SessionCreated::from(session),
        )));
        changes.ledger = Some(LedgerWrite::Put {
            ledger,
            expected_version: Some(version),
        });
        changes
    }
}

/// How a login makes room: the sessions it evicts (of `live_count` counted against
/// `max_sessions`) and the ones it replaces.
struct Room<'a> {
    evicted: &'a [SessionId],
    live_count: usize,
    max_sessions: Option<u32>,
    replaced: Vec<Replaced>,
}

/// A session a login ends, and why.
struct Replaced {
    id: SessionId,
    device_info: Option<String>,
    reason: RevocationReason,
    by: Actor,
}
