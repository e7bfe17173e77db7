//! The tables and the all-or-nothing application of a change set.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use session_core::domain::{ActiveEntry, Device, Session, UserLedger};
use session_core::events::DomainEvent;
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, ContinuationWrite, DeviceWrite, FastRotation, IdempotencyRecord, LedgerWrite,
    RevokeAllContinuation, RotationAttempt, SessionWrite, Versioned,
};

/// A write's condition did not hold (internal to `check`).
struct ConditionFailed;

#[derive(Default)]
pub(crate) struct State {
    pub sessions: HashMap<SessionId, Versioned<Session>>,
    /// The user index (DynamoDB's gsi1): (created_at, id) per user, iterated newest first.
    pub by_user: HashMap<UserId, BTreeSet<(DateTime<Utc>, SessionId)>>,
    pub ledgers: HashMap<UserId, Versioned<UserLedger>>,
    /// Each user's unrevoked sessions (DynamoDB: the `ACTIVE#` items of the user's partition),
    /// kept by the session writes.
    pub index: HashMap<UserId, BTreeMap<SessionId, ActiveEntry>>,
    pub outbox: VecDeque<DomainEvent>,
    /// Processed markers. Kept forever: a store may forget them after their expiry, and this
    /// one never needs to.
    pub markers: BTreeSet<String>,
    /// Idempotency records, kept past their expiry like DynamoDB's late TTL.
    pub idempotency: HashMap<IdempotencyKey, IdempotencyRecord>,
    /// Every event id ever committed: like DynamoDB's outbox items, an id is written once,
    /// also after the relay took the event.
    pub event_ids: HashSet<EventId>,
    /// Device records (DynamoDB: the `DEVICE#` items of the user's partition), by user then id.
    pub devices: BTreeMap<(UserId, DeviceId), Versioned<Device>>,
    /// Unfinished revoke-alls by outcome event id (ports::RevokeAllContinuation).
    pub continuations: BTreeMap<EventId, Versioned<RevokeAllContinuation>>,
}

/// Why a change set was refused.
pub(crate) enum Refused {
    /// A write's condition did not hold.
    ConditionFailed,
    /// The change set's marker already exists.
    AlreadyProcessed,
}

impl State {
    /// Checks every condition first and writes only if all hold, like a DynamoDB transaction.
    pub fn apply(&mut self, changes: ChangeSet) -> Result<(), Refused> {
        if let Some(marker) = &changes.marker
            && self.markers.contains(&marker.key)
        {
            return Err(Refused::AlreadyProcessed);
        }
        if let Some(record) = &changes.idempotency
            && self
                .idempotency
                .get(&record.key)
                .is_some_and(|stored| stored.is_live_at(record.created_at))
        {
            return Err(Refused::AlreadyProcessed);
        }
        self.check(&changes)
            .map_err(|ConditionFailed| Refused::ConditionFailed)?;
        self.event_ids
            .extend(changes.events.iter().map(|event| event.event_id));
        if let Some(marker) = changes.marker {
            self.markers.insert(marker.key);
        }
        if let Some(record) = changes.idempotency {
            self.idempotency.insert(record.key.clone(), record);
        }
        if let Some(ledger) = changes.ledger {
            self.write_ledger(ledger);
        }
        if let Some(write) = changes.continuation {
            self.write_continuation(write);
        }
        for write in changes.sessions {
            self.write_session(write);
        }
        for write in changes.devices {
            self.write_device(write);
        }
        self.outbox.extend(changes.events);
        Ok(())
    }

    /// What a session write does to its user's index (ports::SessionWrite).
    fn write_index(&mut self, write: &SessionWrite) {
        match write {
            SessionWrite::Insert(session) => {
                self.index
                    .entry(session.user_id().clone())
                    .or_default()
                    .insert(session.id(), ActiveEntry::from(session));
            }
            SessionWrite::Revoke {
                session_id,
                user_id,
                ..
            } => {
                if let Some(entries) = self.index.get_mut(user_id) {
                    entries.remove(session_id);
                }
            }
            SessionWrite::Replace { session, .. } if session.is_revoked() => {
                if let Some(entries) = self.index.get_mut(session.user_id()) {
                    entries.remove(&session.id());
                }
            }
            SessionWrite::Replace { .. } | SessionWrite::Redact { .. } => {}
        }
    }

    /// The one-write rotation of a refresh: applied when its conditions hold, like DynamoDB's
    /// conditional update, else the session as stored.
    pub fn rotate_refresh_token(&mut self, rotation: &FastRotation) -> RotationAttempt {
        let Some(stored) = self.sessions.get_mut(&rotation.session_id) else {
            return RotationAttempt::NotApplied(None);
        };
        if !rotation.applies_to(&stored.value) {
            return RotationAttempt::NotApplied(Some(stored.clone()));
        }
        let mut session = stored.value.clone();
        match session.refreshed(rotation.next.clone(), rotation.now) {
            Ok(()) => {
                stored.value = session;
                stored.version += 1;
                RotationAttempt::Rotated(stored.clone())
            }
            Err(_) => RotationAttempt::NotApplied(Some(stored.clone())),
        }
    }

    fn check(&self, changes: &ChangeSet) -> Result<(), ConditionFailed> {
        let mut new_events = HashSet::new();
        for event in &changes.events {
            if self.event_ids.contains(&event.event_id) || !new_events.insert(event.event_id) {
                return Err(ConditionFailed);
            }
        }
        let mut touched = BTreeSet::new();
        for write in &changes.sessions {
            // One transaction may touch an item once, as in DynamoDB.
            if !touched.insert(write.session_id()) {
                return Err(ConditionFailed);
            }
            let stored = self.sessions.get(&write.session_id());
            let holds = match write {
                SessionWrite::Insert(_) => stored.is_none(),
                SessionWrite::Replace {
                    expected_version, ..
                }
                | SessionWrite::Redact {
                    expected_version, ..
                } => stored.is_some_and(|s| s.version == *expected_version),
                SessionWrite::Revoke { user_id, .. } => {
                    stored.is_some_and(|s| *s.value.user_id() == *user_id && !s.value.is_revoked())
                }
            };
            if !holds {
                return Err(ConditionFailed);
            }
        }
        let mut devices_touched = BTreeSet::new();
        for write in &changes.devices {
            let DeviceWrite::Put {
                device,
                expected_version,
            } = write;
            let key = (device.user_id.clone(), device.device_id.clone());
            let stored = self.devices.get(&key);
            // A forgotten record counts as none: a login from it records it afresh (docs/0050).
            let holds = match expected_version {
                Some(expected) => stored.is_some_and(|d| d.version == *expected),
                None => stored.is_none_or(|d| d.value.is_forgotten()),
            };
            if !devices_touched.insert(key) || !holds {
                return Err(ConditionFailed);
            }
        }
        let holds = match &changes.ledger {
            None => true,
            Some(LedgerWrite::Put {
                ledger,
                expected_version,
            }) => self.ledgers.get(&ledger.user_id).map(|l| l.version) == *expected_version,
            // A revoke-all's cutoff only moves forward (ports::RevokeAllMark).
            Some(LedgerWrite::RemoveActive {
                user_id,
                mark,
                expected_version,
                ..
            }) => self.ledgers.get(user_id).is_some_and(|stored| {
                expected_version.is_none_or(|v| v == stored.version)
                    && mark.as_ref().is_none_or(|mark| {
                        stored
                            .value
                            .revoked_before
                            .is_none_or(|stored| stored <= mark.revoked_before)
                    })
            }),
        };
        let stored_version = |id: &EventId| self.continuations.get(id).map(|c| c.version);
        let continuation_holds = match &changes.continuation {
            None => true,
            Some(ContinuationWrite::Put {
                continuation,
                expected_version,
            }) => stored_version(&continuation.outcome_id) == *expected_version,
            Some(ContinuationWrite::Delete {
                outcome_id,
                expected_version,
            }) => stored_version(outcome_id) == Some(*expected_version),
        };
        if holds && continuation_holds {
            Ok(())
        } else {
            Err(ConditionFailed)
        }
    }

    fn write_continuation(&mut self, write: ContinuationWrite) {
        match write {
            ContinuationWrite::Put {
                continuation,
                expected_version,
            } => {
                let version = expected_version.unwrap_or(0) + 1;
                self.continuations.insert(
                    continuation.outcome_id,
                    Versioned {
                        value: *continuation,
                        version,
                    },
                );
            }
            ContinuationWrite::Delete { outcome_id, .. } => {
                self.continuations.remove(&outcome_id);
            }
        }
    }

    fn write_ledger(&mut self, write: LedgerWrite) {
        match write {
            LedgerWrite::Put {
                ledger,
                expected_version,
            } => {
                let version = expected_version.unwrap_or(0) + 1;
                self.ledgers.insert(
                    ledger.user_id.clone(),
                    Versioned {
                        value: ledger,
                        version,
                    },
                );
            }
            LedgerWrite::RemoveActive {
                user_id,
                session_ids,
                mark,
                ..
            } => {
                if let Some(stored) = self.ledgers.get_mut(&user_id) {
                    for id in &session_ids {
                        stored.value.active.remove(id);
                    }
                    if let Some(mark) = mark {
                        stored.value.revoked_before = Some(mark.revoked_before);
                        if let Some(status) = mark.status {
                            stored.value.status = status;
                        }
                    }
                    stored.version += 1;
                }
            }
        }
    }

    fn write_device(&mut self, write: DeviceWrite) {
        let DeviceWrite::Put {
            device,
            expected_version,
        } = write;
        let key = (device.user_id.clone(), device.device_id.clone());
        let version = expected_version.unwrap_or(0) + 1;
        self.devices.insert(
            key,
            Versioned {
                value: device,
                version,
            },
        );
    }

    /// What DynamoDB's redaction index holds (docs/0050): sessions not yet cut whose time has
    /// come, soonest first.
    pub fn due_for_redaction(&self, now: DateTime<Utc>, limit: usize) -> Vec<Versioned<Session>> {
        let mut due: Vec<&Versioned<Session>> = self
            .sessions
            .values()
            .filter(|s| !s.value.is_redacted() && s.value.personal_data_until() <= now)
            .collect();
        due.sort_by_key(|s| (s.value.personal_data_until(), s.value.id()));
        due.into_iter().take(limit).cloned().collect()
    }

    fn write_session(&mut self, write: SessionWrite) {
        self.write_index(&write);
        match write {
            SessionWrite::Insert(session) => {
                self.by_user
                    .entry(session.user_id().clone())
                    .or_default()
                    .insert((session.created_at(), session.id()));
                self.sessions.insert(
                    session.id(),
                    Versioned {
                        value: session,
                        version: 1,
                    },
                );
            }
            SessionWrite::Replace { session, .. } | SessionWrite::Redact { session, .. } => {
                if let Some(stored) = self.sessions.get_mut(&session.id()) {
                    stored.value = session;
                    stored.version += 1;
                }
            }
            SessionWrite::Revoke {
                session_id,
                revocation,
                ..
            } => {
                // `check` made sure the session is unrevoked, so the revocation takes.
                if let Some(stored) = self.sessions.get_mut(&session_id)
                    && stored.value.revoke(revocation).is_ok()
                {
                    stored.version += 1;
                }
            }
        }
    }
}
