//! What the use cases need from the outside world, shaped by intent.
//!
//! The store is a unit of work: a handler reads what it needs, decides in pure code, and hands the
//! store one [`ChangeSet`] (session writes with their preconditions, the ledger update, the
//! events) that the store commits atomically or rejects with [`CommitError::Conflict`], after
//! which the handler re-reads and retries. Events are committed with the change they describe
//! (a transactional outbox), so an event exists if and only if its change committed.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;
use uuid::Uuid;

use crate::cursor::CursorPosition;
use crate::domain::DeviceType;
pub use crate::domain::geo::Coordinates;
use crate::domain::{AccountStatus, ActiveEntry, Device, Revocation, Session, UserLedger};
use crate::events::{AllSessionsRevocationAttempted, DomainEvent};
use crate::ids::{DeviceId, EventId, IdempotencyKey, SessionId, TokenHash, UserId};

/// A stored value with the version the store will check a conditional write against.
#[derive(Clone, PartialEq, Debug)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// A session write and the condition under which it may happen.
///
/// Every write that creates a session or revokes one also keeps the user's index of unrevoked
/// sessions ([`SessionStore::load_user_with_index`]) in step, in the same commit: an insert adds the
/// session's entry, a revoke (or a replace with a session now revoked) removes it. Stores count
/// those index writes in [`ChangeSet::write_count`].
#[derive(Clone, PartialEq, Debug)]
pub enum SessionWrite {
    /// Create; the id must not exist.
    Insert(Session),
    /// Replace the stored session, which must still be at `expected_version`.
    Replace {
        session: Session,
        expected_version: u64,
    },
    /// Revoke without reading first; the session must exist, belong to `user_id` and be
    /// unrevoked.
    Revoke {
        session_id: SessionId,
        user_id: UserId,
        revocation: Revocation,
    },
    /// Store the session with its personal data cut ([`Session::redact`]); the stored one must
    /// still be at `expected_version`. It leaves [`SessionStore::sessions_due_for_redaction`].
    Redact {
        session: Session,
        expected_version: u64,
    },
}

impl SessionWrite {
    pub fn session_id(&self) -> SessionId {
        match self {
            Self::Insert(session)
            | Self::Replace { session, .. }
            | Self::Redact { session, .. } => session.id(),
            Self::Revoke { session_id, .. } => *session_id,
        }
    }

    /// Whether this write also adds or removes the session's entry in its user's index.
    pub fn touches_index(&self) -> bool {
        match self {
            Self::Insert(_) | Self::Revoke { .. } => true,
            Self::Replace { session, .. } => session.is_revoked(),
            // Only ended sessions are redacted; their entry went with their end.
            Self::Redact { .. } => false,
        }
    }
}

/// A ledger write and its condition. Every ledger write increments the version.
#[derive(Clone, PartialEq, Debug)]
pub enum LedgerWrite {
    /// Store `ledger`; the stored version must be `expected_version` (`None`: must not exist).
    Put {
        ledger: UserLedger,
        expected_version: Option<u64>,
    },
    /// Remove entries from the active index without reading first; the ledger must exist (and,
    /// when `expected_version` is set, be at that version).
    RemoveActive {
        user_id: UserId,
        session_ids: Vec<SessionId>,
        expected_version: Option<u64>,
        /// What a revoke-all records with its first chunk, if anything.
        mark: Option<RevokeAllMark>,
    },
}

/// What a revoke-all records on the ledger with its first chunk: the cutoff of the sessions it
/// revokes (a login older than it is refused from now on), and for a disable the new status.
/// The cutoff only ever moves forward: a write whose cutoff is older than the stored one fails
/// its condition.
#[derive(Clone, PartialEq, Debug)]
pub struct RevokeAllMark {
    pub revoked_before: DateTime<Utc>,
    pub status: Option<AccountStatus>,
}

/// A device record write and its condition (docs/0047). Every write increments the version, so
/// two logins on one device that read the same record cannot both commit.
#[derive(Clone, PartialEq, Debug)]
pub enum DeviceWrite {
    /// Store `device`; the stored version must be `expected_version` (`None`: there must be
    /// none, or only a forgotten one, which the reads do not show: docs/0050). A removal stores
    /// the device forgotten ([`Device::forget`]).
    Put {
        device: Device,
        expected_version: Option<u64>,
    },
}

/// What a login reads in one round trip: the user's ledger and, for a login from a named
/// device, that device's record.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct LoginRead {
    pub ledger: Option<Versioned<UserLedger>>,
    pub device: Option<Versioned<Device>>,
}

/// A record that a one-off piece of work (e.g. handling one incoming event) was done, written
/// with the work itself so a redelivery can be recognised. The commit carrying it fails with
/// [`CommitError::AlreadyProcessed`] when a marker with the same key exists. Stores may forget a
/// marker after `expires_at` (DynamoDB's TTL deletes it, late), never before.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProcessedMarker {
    pub key: String,
    /// After this the marker may be forgotten (DynamoDB deletes it through TTL, late).
    pub expires_at: DateTime<Utc>,
}

/// Longest marker key accepted; keys are built by the service from bounded ids.
pub const MAX_MARKER_KEY_LEN: usize = 256;

/// The first successful answer to a login made with an idempotency key, written in the same
/// commit as the session it created so a retry finds either both or neither. The commit carrying
/// it fails with [`CommitError::AlreadyProcessed`] while a record with the same key is live
/// (`expires_at` after the new record's `created_at`).
#[derive(Clone, PartialEq, Debug)]
pub struct IdempotencyRecord {
    pub key: IdempotencyKey,
    /// Digest of the request the key was first used with; another request with the key is
    /// refused rather than answered with this record.
    pub request_digest: String,
    /// The session as the first answer showed it.
    pub session: Session,
    pub evicted_session_ids: Vec<SessionId>,
    pub created_at: DateTime<Utc>,
    /// After this the key may be used afresh; stores may delete the record (late).
    pub expires_at: DateTime<Utc>,
}

impl IdempotencyRecord {
    /// Whether the record still answers for its key at `now`.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }
}

/// A revoke-all that has committed some of its chunks and not yet its outcome: written with its
/// first chunk, updated with each later one, removed with the last (docs/0046). Whoever holds
/// its current version may go on with it; a runner whose lease ran out is presumed gone, and
/// [`SessionStore::unfinished_revoke_alls`] lets a sweep take over.
#[derive(Clone, PartialEq, Debug)]
pub struct RevokeAllContinuation {
    /// The id of the command's one outcome event: also the record's key.
    pub outcome_id: EventId,
    /// The command, as its Attempted event announced it.
    pub command: AllSessionsRevocationAttempted,
    /// Only sessions created at or before this instant are part of it (the ledger's cutoff
    /// recorded with the first chunk).
    pub cutoff: DateTime<Utc>,
    /// The marker its last chunk writes, for a once-only command.
    pub once: Option<ProcessedMarker>,
    /// Sessions revoked so far, by every runner, as far as their commits were answered.
    pub revoked: Vec<SessionId>,
    /// Sessions whose revocation the runner sent in concurrent commits after this write: some,
    /// all or none of them may be revoked by now. `None` when no such commits are running.
    pub in_flight: Option<InFlight>,
    pub started_at: DateTime<Utc>,
    /// Until then its runner is presumed alive.
    pub lease_until: DateTime<Utc>,
}

/// Revocations a revoke-all's runner sent concurrently, not yet counted in
/// [`RevokeAllContinuation::revoked`]. Which of them landed is read from the sessions: the ones
/// revoked at `revoked_at` for the command's reason and by its actor (docs/0052).
#[derive(Clone, PartialEq, Debug)]
pub struct InFlight {
    /// The time of every revocation these commits carry.
    pub revoked_at: DateTime<Utc>,
    pub session_ids: Vec<SessionId>,
}

/// A write of a [`RevokeAllContinuation`]. Every write increments its version.
#[derive(Clone, PartialEq, Debug)]
pub enum ContinuationWrite {
    /// Store it; the stored version must be `expected_version` (`None`: must not exist).
    Put {
        continuation: Box<RevokeAllContinuation>,
        expected_version: Option<u64>,
    },
    /// Remove it (its command is finished); it must still be at `expected_version`.
    Delete {
        outcome_id: EventId,
        expected_version: u64,
    },
}

/// Everything one command changes, committed all or nothing.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct ChangeSet {
    pub ledger: Option<LedgerWrite>,
    pub sessions: Vec<SessionWrite>,
    pub events: Vec<DomainEvent>,
    pub marker: Option<ProcessedMarker>,
    pub idempotency: Option<IdempotencyRecord>,
    pub devices: Vec<DeviceWrite>,
    pub continuation: Option<ContinuationWrite>,
}

impl ChangeSet {
    /// Events only: used to record a refused or failed command.
    pub fn events(events: Vec<DomainEvent>) -> Self {
        Self {
            events,
            ..Self::default()
        }
    }

    /// Items written, as a store with a per-transaction item limit counts them.
    pub fn write_count(&self) -> usize {
        usize::from(self.ledger.is_some())
            + self.sessions.len()
            + self
                .sessions
                .iter()
                .filter(|write| write.touches_index())
                .count()
            + self.events.len()
            + usize::from(self.marker.is_some())
            + usize::from(self.idempotency.is_some())
            + self.devices.len()
            + usize::from(self.continuation.is_some())
    }
}

/// A store failure that is not a precondition: unreachable, throttled, refused, or returning
/// nonsense. Only [`StoreError::Unavailable`] is transient; the others are defects of the
/// deployment or the code that retrying never fixes (docs/0045).
#[derive(Debug, Error)]
pub enum StoreError {
    /// Transient: the same call may succeed later (throttling, 5xx, timeouts, connection loss).
    #[error("session store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store refused the request for good: access denied, a missing table or index, a
    /// request it calls invalid. A misconfiguration or a bug, not the request's fault.
    #[error("session store refused the request: {0}")]
    Rejected(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored item could not be decoded; a bug or a foreign writer, not the request's fault.
    #[error("session store returned a malformed item: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the same call may succeed later. The rest need an operator.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[derive(Debug, Error)]
pub enum CommitError {
    /// A precondition did not hold: something changed since it was read. Re-read and retry.
    #[error("a concurrent change won; re-read and retry")]
    Conflict,
    /// The change set's [`ProcessedMarker`] exists, or a live [`IdempotencyRecord`] with its
    /// key: this work was already done.
    #[error("already processed")]
    AlreadyProcessed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refresh's rotation of a session's refresh token, tried as one conditional write: the happy
/// path of a refresh, one round trip (docs/0015).
///
/// It applies when the session exists, `presented` is its current link, it is active at `now`,
/// and the request comes from the session's last address and user agent (when the request names
/// them): then nothing about it needs the suspicion checks, which need the session as read. It
/// then rotates to `next` and records the activity ([`Session::refreshed`]), and the store
/// answers the session as written. Otherwise nothing is written and the store answers the session
/// as stored, for the caller to decide from.
#[derive(Clone, PartialEq, Debug)]
pub struct FastRotation {
    pub session_id: SessionId,
    pub presented: TokenHash,
    pub next: TokenHash,
    pub now: DateTime<Utc>,
    pub ip_address: Option<IpAddr>,
    /// Normalised like at login.
    pub user_agent: Option<String>,
}

impl FastRotation {
    /// Whether the write applies to `session` as stored (the conditions above, in domain terms;
    /// stores that cannot evaluate them exactly must err on the side of not applying).
    pub fn applies_to(&self, session: &Session) -> bool {
        session.refresh_token_hash() == Some(&self.presented)
            && session.is_active(self.now)
            && self
                .ip_address
                .is_none_or(|ip| session.last_ip_address() == Some(ip))
            && self
                .user_agent
                .as_deref()
                .is_none_or(|ua| session.current_user_agent() == Some(ua))
    }
}

/// What a [`FastRotation`] did.
#[derive(Clone, PartialEq, Debug)]
pub enum RotationAttempt {
    /// Applied: the session as written.
    Rotated(Versioned<Session>),
    /// Not applied: the session as stored, if there is one.
    NotApplied(Option<Versioned<Session>>),
}

/// One page of a user's sessions, newest first.
#[derive(Clone, PartialEq, Debug)]
pub struct SessionQuery {
    pub user_id: UserId,
    /// Start after this position (exclusive).
    pub after: Option<CursorPosition>,
    pub limit: u32,
    /// When set, only sessions unrevoked and unexpired at this instant.
    pub unexpired_at: Option<DateTime<Utc>>,
}

#[derive(Clone, PartialEq, Debug)]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    /// Where the next page starts, when there may be one.
    pub next: Option<CursorPosition>,
}

/// A user's ledger and index of unrevoked sessions, read together.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct UserWithIndex {
    pub ledger: Option<Versioned<UserLedger>>,
    pub index: Vec<(SessionId, ActiveEntry)>,
}

/// The persistent state: sessions, user ledgers (policy + active index) and the event outbox.
pub trait SessionStore: Send + Sync {
    /// Strongly consistent read of a user's ledger.
    fn load_user(
        &self,
        user_id: &UserId,
    ) -> impl Future<Output = Result<Option<Versioned<UserLedger>>, StoreError>> + Send;

    /// Strongly consistent read of the user's ledger together with the user's index of unrevoked
    /// sessions (what a revoke-all revokes): one entry per session created and not revoked since,
    /// expired ones included until the store forgets them (after their expiry, never before).
    /// The index is kept by the session writes themselves ([`SessionWrite`]), so it is complete
    /// for every tier, unlimited ones included, whose ledger keeps no entries. One read where the
    /// store can (both live in the user's partition on DynamoDB); a very large index may take
    /// several pages, which the ledger's version check at the first write makes safe.
    fn load_user_with_index(
        &self,
        user_id: &UserId,
    ) -> impl Future<Output = Result<UserWithIndex, StoreError>> + Send;

    /// Strongly consistent read of the user's ledger and, when `device_id` is set, the user's
    /// record of that device: one round trip where the store can (docs/0047).
    fn load_login(
        &self,
        user_id: &UserId,
        device_id: Option<&DeviceId>,
    ) -> impl Future<Output = Result<LoginRead, StoreError>> + Send;

    /// Strongly consistent read of one device record of the user. Here and in
    /// [`Self::load_login`] and [`Self::list_devices`] a forgotten device (docs/0050) is not
    /// there.
    fn load_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> impl Future<Output = Result<Option<Versioned<Device>>, StoreError>> + Send;

    /// Every device record of the user (strongly consistent), in device id order.
    fn list_devices(
        &self,
        user_id: &UserId,
    ) -> impl Future<Output = Result<Vec<Versioned<Device>>, StoreError>> + Send;

    /// Strongly consistent read of one session.
    fn load_session(
        &self,
        id: SessionId,
    ) -> impl Future<Output = Result<Option<Versioned<Session>>, StoreError>> + Send;

    /// Strongly consistent read of several sessions at once (at most
    /// [`MAX_SESSIONS_LIMIT`](crate::domain::policy::MAX_SESSIONS_LIMIT) ids), in no particular
    /// order; ids with no session are left out. A login at a limit reads its live sessions so.
    fn load_sessions(
        &self,
        ids: &[SessionId],
    ) -> impl Future<Output = Result<Vec<Versioned<Session>>, StoreError>> + Send;

    /// One page of the user's sessions, newest created first. A page may hold fewer than `limit`
    /// items (filtering) and still have a next page.
    fn list_user_sessions(
        &self,
        query: SessionQuery,
    ) -> impl Future<Output = Result<SessionPage, StoreError>> + Send;

    /// Whether a marker with this key exists (strongly consistent).
    fn has_marker(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The record stored under `key`, live or not yet deleted after its expiry (strongly
    /// consistent).
    fn load_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Option<IdempotencyRecord>, StoreError>> + Send;

    /// Tries a refresh's rotation in one conditional write (see [`FastRotation`]).
    fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> impl Future<Output = Result<RotationAttempt, StoreError>> + Send;

    /// Strongly consistent read of one unfinished revoke-all, by its outcome event's id.
    fn load_revoke_all(
        &self,
        outcome_id: EventId,
    ) -> impl Future<Output = Result<Option<Versioned<RevokeAllContinuation>>, StoreError>> + Send;

    /// Every unfinished revoke-all (strongly consistent): what a sweep may have to resume.
    fn unfinished_revoke_alls(
        &self,
    ) -> impl Future<Output = Result<Vec<Versioned<RevokeAllContinuation>>, StoreError>> + Send;

    /// Up to `limit` sessions whose personal data is due to be cut at `now`
    /// ([`Session::personal_data_until`] at or before it) and not cut yet, in no particular
    /// order. A session leaves this read when its [`SessionWrite::Redact`] commits; an index the
    /// store updates late (DynamoDB's) may answer it once more, at its old version.
    fn sessions_due_for_redaction(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Versioned<Session>>, StoreError>> + Send;

    /// Applies every write of `changes` if all their conditions hold, or none of them.
    fn commit(&self, changes: ChangeSet) -> impl Future<Output = Result<(), CommitError>> + Send;

    /// Most items one commit may hold (a DynamoDB transaction holds 100).
    fn max_writes_per_commit(&self) -> usize;

    /// Waits before retry number `attempt` after a conflict (jittered back-off where contention
    /// is real; nothing where commits are instantaneous).
    fn backoff(&self, attempt: u32) -> impl Future<Output = ()> + Send;
}

/// The source of "now". Tests use a fake one.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The source of new ids (UUID v7). Tests use a deterministic one.
pub trait IdGenerator: Send + Sync {
    fn next_id(&self) -> Uuid;
}

/// An enrichment source failed; the login goes on without the value.
#[derive(Debug, Error)]
#[error("enrichment failed: {0}")]
pub struct EnrichError(pub String);

/// What a user agent says about the device; every part may be unknown.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct DeviceInfo {
    /// Human description ("Chrome on macOS").
    pub description: Option<String>,
    /// Kind of device.
    pub device_type: Option<DeviceType>,
    /// The browser's (or client's) family ("Chrome"), and the operating system's ("Windows"):
    /// with the country, what a login without a device id is recognised by (docs/0049).
    pub browser: Option<String>,
    pub os: Option<String>,
}

impl DeviceInfo {
    /// A description without a device type (test doubles, simple sources).
    pub fn described(description: impl Into<String>) -> Self {
        Self {
            description: Some(description.into()),
            ..Self::default()
        }
    }
}

/// User agent -> what the device is.
pub trait DeviceEnricher: Send + Sync {
    fn describe(&self, user_agent: &str) -> Result<DeviceInfo, EnrichError>;
}

/// Where an address is, as far as the location source knows.
#[derive(Clone, PartialEq, Debug)]
pub struct Location {
    pub city: Option<String>,
    pub country_code: String,
    /// Where the source places the address, when it says; impossible-travel detection needs it.
    pub coordinates: Option<Coordinates>,
}

impl Location {
    /// "Mountain View, US" or "US".
    pub fn display(&self) -> String {
        match &self.city {
            Some(city) => format!("{city}, {}", self.country_code),
            None => self.country_code.clone(),
        }
    }
}

/// IP address -> location.
pub trait LocationEnricher: Send + Sync {
    fn locate(&self, ip: IpAddr) -> Result<Option<Location>, EnrichError>;
}

/// Enrichment switched off: sessions carry no device description or location.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEnrichment;

impl DeviceEnricher for NoEnrichment {
    fn describe(&self, _user_agent: &str) -> Result<DeviceInfo, EnrichError> {
        Ok(DeviceInfo::default())
    }
}

impl LocationEnricher for NoEnrichment {
    fn locate(&self, _ip: IpAddr) -> Result<Option<Location>, EnrichError> {
        Ok(None)
    }
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Random UUID v7s from the system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
