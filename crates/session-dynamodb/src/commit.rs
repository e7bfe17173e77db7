//! A change set as one TransactWriteItems request: every write carries the condition the port
//! promises, so DynamoDB applies all of them or none.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use session_core::domain::{AccountStatus, ActiveEntry, Retention, Revocation};
use session_core::ids::{SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, ContinuationWrite, DeviceWrite, LedgerWrite, RevokeAllMark,
    SessionWrite,
};

use crate::codec::{self, Item, attr};
use crate::error::InvalidChangeSet;
use crate::schema::ledger_attr::{ACTIVE, REVOKED_BEFORE, STATUS};
use crate::schema::session_attr::{HISTORY_SECS, IP_RETENTION_SECS, REVOCATION, USER_ID};
use crate::schema::{self, GSI2_PK, GSI2_SK, Key, PK, TTL, VERSION};

/// Most items in one TransactWriteItems request.
pub(crate) const MAX_TRANSACTION_ITEMS: usize = 100;

/// How many items at the head of the transaction say "this work was done already" when their
/// condition fails: the processed marker and the idempotency record.
pub(crate) fn once_items(changes: &ChangeSet) -> usize {
    usize::from(changes.marker.is_some()) + usize::from(changes.idempotency.is_some())
}

/// Builds the request items for `changes`. `written_at` dates the outbox items' retention.
pub(crate) fn transaction_items(
    table: &str,
    changes: ChangeSet,
    written_at: DateTime<Utc>,
) -> Result<Vec<TransactWriteItem>, CommitError> {
    let writes = changes.write_count();
    if writes > MAX_TRANSACTION_ITEMS {
        let too_many = InvalidChangeSet::TooManyWrites {
            writes,
            max: MAX_TRANSACTION_ITEMS,
        };
        return Err(CommitError::Store(too_many.into()));
    }
    // DynamoDB rejects a transaction touching one item twice as invalid; the port (like the
    // embedded store) calls it a failed condition.
    let mut touched = BTreeSet::new();
    if !changes
        .sessions
        .iter()
        .all(|w| touched.insert(w.session_id()))
    {
        return Err(CommitError::Conflict);
    }
    let b = Builder { table };
    let mut items = Vec::with_capacity(writes);
    // First (see `once_items`), so the cancellation reasons at their indexes tell "already
    // processed" from a conflict.
    if let Some(marker) = &changes.marker {
        let item = codec::encode_marker(marker);
        items.push(b.put(
            item,
            "attribute_not_exists(#pk)",
            names(&[("#pk", PK)]),
            None,
        )?);
    }
    if let Some(record) = &changes.idempotency {
        let item = codec::encode_idempotency(record);
        // An expired record TTL has not deleted yet no longer holds the key.
        items.push(b.put(
            item,
            "attribute_not_exists(#pk) OR #exp <= :now",
            names(&[("#pk", PK), ("#exp", codec::EXPIRES_AT_MICROS)]),
            Some(values(vec![(
                ":now",
                attr::number(record.created_at.timestamp_micros()),
            )])),
        )?);
    }
    if let Some(ledger) = changes.ledger {
        items.push(b.ledger(ledger)?);
    }
    if let Some(continuation) = changes.continuation {
        items.push(b.continuation(continuation)?);
    }
    for write in changes.sessions {
        if write.touches_index() {
            items.push(b.index_entry(&write)?);
        }
        items.push(b.session(write)?);
    }
    for write in changes.devices {
        items.push(b.device(write)?);
    }
    for event in &changes.events {
        let item = codec::encode_event(event, written_at);
        items.push(b.put(
            item,
            "attribute_not_exists(#pk)",
            names(&[("#pk", PK)]),
            None,
        )?);
    }
    Ok(items)
}

struct Builder<'a> {
    table: &'a str,
}

type Names = HashMap<String, String>;
type Values = HashMap<String, AttributeValue>;

fn names(pairs: &[(&str, &str)]) -> Names {
    pairs
        .iter()
        .map(|(placeholder, name)| ((*placeholder).to_owned(), (*name).to_owned()))
        .collect()
}

fn values(pairs: Vec<(&str, AttributeValue)>) -> Values {
    pairs
        .into_iter()
        .map(|(placeholder, value)| (placeholder.to_owned(), value))
        .collect()
}

fn build_error(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_dynamodb::error::BuildError) -> CommitError {
    move |source| {
        CommitError::Store(
            InvalidChangeSet::Build {
                operation,
                source: Box::new(source),
            }
            .into(),
        )
    }
}

impl Builder<'_> {
    /// The user-index side of a session write (ports::SessionWrite): an insert puts the
    /// session's entry, a revocation deletes it. Unconditional: the session write beside it
    /// carries the condition.
    fn index_entry(&self, write: &SessionWrite) -> Result<TransactWriteItem, CommitError> {
        let (user_id, id) = match write {
            SessionWrite::Insert(session) => {
                let item = codec::encode_index_entry(
                    session.user_id(),
                    session.id(),
                    &ActiveEntry::from(session),
                );
                let put = Put::builder()
                    .table_name(self.table)
                    .set_item(Some(item))
                    .build()
                    .map_err(build_error("Put"))?;
                return Ok(TransactWriteItem::builder().put(put).build());
            }
            SessionWrite::Revoke {
                session_id,
                user_id,
                ..
            } => (user_id.clone(), *session_id),
            SessionWrite::Replace { session, .. } | SessionWrite::Redact { session, .. } => {
                (session.user_id().clone(), session.id())
            }
        };
        let delete = Delete::builder()
            .table_name(self.table)
            .set_key(Some(schema::index_entry_key(&user_id, id)))
            .build()
            .map_err(build_error("Delete"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A revoke-all's continuation, written under its version (ports::ContinuationWrite).
    fn continuation(&self, write: ContinuationWrite) -> Result<TransactWriteItem, CommitError> {
        match write {
            ContinuationWrite::Put {
                continuation,
                expected_version,
            } => self.put_versioned(expected_version, |version| {
                codec::encode_continuation(&continuation, version)
            }),
            ContinuationWrite::Delete {
                outcome_id,
                expected_version,
            } => self.delete_versioned(schema::continuation_key(outcome_id), expected_version),
        }
    }

    fn session(&self, write: SessionWrite) -> Result<TransactWriteItem, CommitError> {
        match write {
            SessionWrite::Insert(session) => self.put(
                codec::encode_session(&session, 1),
                "attribute_not_exists(#pk)",
                names(&[("#pk", PK)]),
                None,
            ),
            // A redaction is a whole new image too: the cut fields and the redaction index keys
            // are left out of it (codec::encode_session).
            SessionWrite::Replace {
                session,
                expected_version,
            }
            | SessionWrite::Redact {
                session,
                expected_version,
            } => self.put(
                codec::encode_session(&session, expected_version.saturating_add(1)),
                "#ver = :expected",
                names(&[("#ver", VERSION)]),
                Some(values(vec![(":expected", attr::number(expected_version))])),
            ),
            SessionWrite::Revoke {
                session_id,
                user_id,
                revocation,
            } => self.revoke(session_id, &user_id, &revocation),
        }
    }

    /// Revokes without reading: the condition carries what a read would have checked. The
    /// revocation is the session's end, so its `ttl` and its place in the redaction index move
    /// to the revocation plus the session's own periods (docs/0050), added to the revocation
    /// time by DynamoDB; items written before retention have the default periods.
    fn revoke(
        &self,
        id: SessionId,
        user_id: &UserId,
        revocation: &Revocation,
    ) -> Result<TransactWriteItem, CommitError> {
        let update = Update::builder()
            .table_name(self.table)
            .set_key(Some(schema::session_key(id)))
            .update_expression(
                "SET #rev = :rev, #ver = #ver + :one, \
                 #ttl = :end + if_not_exists(#hs, :default_hs), \
                 #rpk = :rpk, #rsk = :end + if_not_exists(#ips, :default_ips)",
            )
            .condition_expression(
                "attribute_exists(#pk) AND #uid = :uid AND attribute_not_exists(#rev)",
            )
            .set_expression_attribute_names(Some(names(&[
                ("#pk", PK),
                ("#uid", USER_ID),
                ("#rev", REVOCATION),
                ("#ver", VERSION),
                ("#ttl", TTL),
                ("#hs", HISTORY_SECS),
                ("#ips", IP_RETENTION_SECS),
                ("#rpk", GSI2_PK),
                ("#rsk", GSI2_SK),
            ])))
            .set_expression_attribute_values(Some(values(vec![
                (":rev", codec::encode_revocation(revocation)),
                (":end", attr::number(schema::ttl_value(revocation.at))),
                (
                    ":default_hs",
                    attr::number(Retention::default().history().num_seconds()),
                ),
                (
                    ":default_ips",
                    attr::number(Retention::default().ip_retention().num_seconds()),
                ),
                (":rpk", attr::string(schema::gsi2_pk(id))),
                (":uid", attr::string(user_id.as_str())),
                (":one", attr::number(1)),
            ])))
            .build()
            .map_err(build_error("Update"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A device record write, conditioned on the version read (docs/0047).
    fn device(&self, write: DeviceWrite) -> Result<TransactWriteItem, CommitError> {
        match write {
            DeviceWrite::Put {
                device,
                expected_version: Some(expected),
            } => self.put_versioned(Some(expected), |version| {
                codec::encode_device(&device, version)
            }),
            // A forgotten record counts as none: the reads hide it (docs/0050).
            DeviceWrite::Put {
                device,
                expected_version: None,
            } => self.put(
                codec::encode_device(&device, 1),
                "attribute_not_exists(#pk) OR attribute_exists(#forgotten)",
                names(&[("#pk", PK), ("#forgotten", codec::FORGOTTEN_AT)]),
                None,
            ),
        }
    }

    fn ledger(&self, write: LedgerWrite) -> Result<TransactWriteItem, CommitError> {
        match write {
            LedgerWrite::Put {
                ledger,
                expected_version: Some(expected),
            } => self.put(
                codec::encode_ledger(&ledger, expected.saturating_add(1)),
                "#ver = :expected",
                names(&[("#ver", VERSION)]),
                Some(values(vec![(":expected", attr::number(expected))])),
            ),
            LedgerWrite::Put {
                ledger,
                expected_version: None,
            } => self.put(
                codec::encode_ledger(&ledger, 1),
                "attribute_not_exists(#pk)",
                names(&[("#pk", PK)]),
                None,
            ),
            LedgerWrite::RemoveActive {
                user_id,
                session_ids,
                mark,
                expected_version,
            } => self.remove_active(&user_id, &session_ids, mark.as_ref(), expected_version),
        }
    }

    /// Removes index entries without reading the ledger, and records a revoke-all's mark.
    /// Session ids are map keys reached through placeholders (they contain `-`, which a document
    /// path cannot spell).
    fn remove_active(
        &self,
        user_id: &UserId,
        ids: &[SessionId],
        mark: Option<&RevokeAllMark>,
        expected_version: Option<u64>,
    ) -> Result<TransactWriteItem, CommitError> {
        // The same path twice in one REMOVE is an error ("overlapping paths").
        let ids: BTreeSet<&SessionId> = ids.iter().collect();
        let mut expression_names = names(&[("#pk", PK), ("#ver", VERSION)]);
        let mut expression_values = values(vec![(":one", attr::number(1))]);
        let mut expression = "SET #ver = #ver + :one".to_owned();
        let mut condition = "attribute_exists(#pk)".to_owned();
        if let Some(expected) = expected_version {
            expression_values.insert(":expected".to_owned(), attr::number(expected));
            condition.push_str(" AND #ver = :expected");
        }
        if let Some(mark) = mark {
            // The cutoff only moves forward: an older one fails the condition (a conflict).
            expression_names.insert("#rb".to_owned(), REVOKED_BEFORE.to_owned());
            expression_values.insert(":rb".to_owned(), attr::time(mark.revoked_before));
            expression.push_str(", #rb = :rb");
            condition.push_str(" AND (attribute_not_exists(#rb) OR #rb <= :rb)");
            if let Some(status) = mark.status.as_ref().and_then(codec::encode_status) {
                expression_names.insert("#st".to_owned(), STATUS.to_owned());
                expression_values.insert(":st".to_owned(), status);
                expression.push_str(", #st = :st");
            }
            // A deleted account's ledger goes after the audit retention (codec::encode_ledger).
            if let Some(AccountStatus::Deleted { since }) = &mark.status {
                expression_names.insert("#ttl".to_owned(), TTL.to_owned());
                let ttl = schema::ttl_value(*since + schema::ACCOUNT_RETENTION);
                expression_values.insert(":ttl".to_owned(), attr::number(ttl));
                expression.push_str(", #ttl = :ttl");
            }
        }
        // DynamoDB refuses expression names that the expression does not use.
        if !ids.is_empty() {
            expression_names.insert("#active".to_owned(), ACTIVE.to_owned());
            let paths: Vec<String> = ids
                .into_iter()
                .enumerate()
                .map(|(n, id)| {
                    expression_names.insert(format!("#s{n}"), id.to_string());
                    format!("#active.#s{n}")
                })
                .collect();
            expression.push_str(" REMOVE ");
            expression.push_str(&paths.join(", "));
        }
        let update = Update::builder()
            .table_name(self.table)
            .set_key(Some(schema::ledger_key(user_id)))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(expression_names))
            .set_expression_attribute_values(Some(expression_values))
            .build()
            .map_err(build_error("Update"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Puts the item `encode` makes for its next version: conditioned on the stored version being
    /// `expected`, or (`None`) on there being none.
    fn put_versioned(
        &self,
        expected: Option<u64>,
        encode: impl FnOnce(u64) -> Item,
    ) -> Result<TransactWriteItem, CommitError> {
        match expected {
            Some(expected) => self.put(
                encode(expected.saturating_add(1)),
                "#ver = :expected",
                names(&[("#ver", VERSION)]),
                Some(values(vec![(":expected", attr::number(expected))])),
            ),
            None => self.put(
                encode(1),
                "attribute_not_exists(#pk)",
                names(&[("#pk", PK)]),
                None,
            ),
        }
    }

    /// Deletes the item at `key` if its stored version is `expected`.
    fn delete_versioned(&self, key: Key, expected: u64) -> Result<TransactWriteItem, CommitError> {
        let delete = Delete::builder()
            .table_name(self.table)
            .set_key(Some(key))
            .condition_expression("#ver = :expected")
            .set_expression_attribute_names(Some(names(&[("#ver", VERSION)])))
            .set_expression_attribute_values(Some(values(vec![(
                ":expected",
                attr::number(expected),
            )])))
            .build()
            .map_err(build_error("Delete"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn put(
        &self,
        item: Item,
        condition: &str,
        names: Names,
        values: Option<Values>,
    ) -> Result<TransactWriteItem, CommitError> {
        let put = Put::builder()
            .table_name(self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(values)
            .build()
            .map_err(build_error("Put"))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
