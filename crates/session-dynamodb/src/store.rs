//! The store handle: a DynamoDB client and a table name, cheap to clone and share.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use session_core::domain::{Device, Session, UserLedger};
use session_core::events::DomainEvent;
use session_core::ids::{DeviceId, EventId, IdempotencyKey, SessionId, UserId};
use session_core::ports::{
    ChangeSet, CommitError, FastRotation, IdempotencyRecord, LoginRead, RevokeAllContinuation,
    RotationAttempt, SessionPage, SessionQuery, SessionStore, StoreError, UserWithIndex, Versioned,
};

use crate::backoff;
use crate::codec::{self, Item};
use crate::commit::{self, MAX_TRANSACTION_ITEMS};
use crate::devices;
use crate::error::{FailureKind, store_error, store_error_as};
use crate::partition;
use crate::rotation;
use crate::schema::session_attr::{EXPIRES_AT, REVOCATION};
use crate::schema::{self, GSI1, GSI1_PK, GSI2, GSI2_PK, GSI2_SK, PK, SK};

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
}

impl DynamoStore {
    /// The sessions under `keys` (missing ones left out), read consistently in batches.
    async fn sessions_at(
        &self,
        keys: Vec<schema::Key>,
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        crate::batch_get::batch_get(&self.client, &self.table, keys)
            .await?
            .iter()
            .map(codec::decode_session)
            .collect()
    }

    /// A store over `table`, which must have this crate's schema (see [`crate::ensure_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: Arc::from(table.into()),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Strongly consistent read of one outbox event. The relay reads events from the table's
    /// stream; this serves tests and diagnosis.
    pub async fn load_event(&self, id: EventId) -> Result<Option<DomainEvent>, StoreError> {
        self.get(schema::event_key(id))
            .await?
            .map(|item| codec::decode_event(&item))
            .transpose()
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", e))?;
        Ok(output.item)
    }
}

impl SessionStore for DynamoStore {
    async fn load_user(
        &self,
        user_id: &UserId,
    ) -> Result<Option<Versioned<UserLedger>>, StoreError> {
        self.get(schema::ledger_key(user_id))
            .await?
            .map(|item| codec::decode_ledger(&item))
            .transpose()
    }

    async fn load_user_with_index(&self, user_id: &UserId) -> Result<UserWithIndex, StoreError> {
        // The ledger (`LEDGER`) and the index entries (`ACTIVE#…`) share the user's partition:
        // one Query reads both.
        let mut read = UserWithIndex::default();
        let items =
            partition::query_partition(&self.client, &self.table, schema::ledger_pk(user_id), None)
                .await?;
        for item in &items {
            match item.get(SK) {
                Some(AttributeValue::S(sk)) if sk == schema::LEDGER_SK => {
                    read.ledger = Some(codec::decode_ledger(item)?);
                }
                Some(AttributeValue::S(sk)) if sk.starts_with(schema::INDEX_SK_PREFIX) => {
                    read.index.push(codec::decode_index_entry(item)?);
                }
                // Nothing else lives in a user's partition today; a future kind is not ours.
                _ => {}
            }
        }
        Ok(read)
    }

    async fn load_login(
        &self,
        user_id: &UserId,
        device_id: Option<&DeviceId>,
    ) -> Result<LoginRead, StoreError> {
        match device_id {
            // Without a device, the ledger alone: one GetItem, as before devices.
            None => Ok(LoginRead {
                ledger: self.load_user(user_id).await?,
                device: None,
            }),
            Some(_) => devices::load_login(&self.client, &self.table, user_id, device_id).await,
        }
    }

    async fn load_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> Result<Option<Versioned<Device>>, StoreError> {
        let device = self
            .get(schema::device_key(user_id, device_id))
            .await?
            .map(|item| codec::decode_device(&item))
            .transpose()?;
        // Kept for the history only (docs/0050).
        Ok(device.filter(|d| !d.value.is_forgotten()))
    }

    async fn list_devices(&self, user_id: &UserId) -> Result<Vec<Versioned<Device>>, StoreError> {
        devices::list_devices(&self.client, &self.table, user_id).await
    }

    async fn load_session(&self, id: SessionId) -> Result<Option<Versioned<Session>>, StoreError> {
        self.get(schema::session_key(id))
            .await?
            .map(|item| codec::decode_session(&item))
            .transpose()
    }

    async fn load_sessions(
        &self,
        ids: &[SessionId],
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        let keys = ids.iter().map(|id| schema::session_key(*id)).collect();
        self.sessions_at(keys).await
    }

    async fn list_user_sessions(&self, query: SessionQuery) -> Result<SessionPage, StoreError> {
        // A page of 2^31 items is "everything"; the port's limit is a u32, DynamoDB's an i32.
        let limit = i32::try_from(query.limit).unwrap_or(i32::MAX);
        if limit == 0 {
            // DynamoDB refuses Limit=0; an empty page with no next one is what it would mean.
            return Ok(SessionPage {
                sessions: Vec::new(),
                next: None,
            });
        }
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(GSI1)
            .key_condition_expression("#gpk = :user")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_values(
                ":user",
                AttributeValue::S(schema::gsi1_pk(&query.user_id)),
            )
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(
                query
                    .after
                    .as_ref()
                    .map(|position| schema::gsi1_position(&query.user_id, position)),
            );
        // Like the embedded store: `limit` items are examined, the filter may drop some, and the
        // page ends where examination stopped (LastEvaluatedKey).
        if let Some(now) = query.unexpired_at {
            request = request
                .filter_expression("attribute_not_exists(#rev) AND #exp > :now")
                .expression_attribute_names("#rev", REVOCATION)
                .expression_attribute_names("#exp", EXPIRES_AT)
                .expression_attribute_values(":now", AttributeValue::S(schema::format_time(now)));
        }
        let output = request.send().await.map_err(|e| store_error("Query", e))?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .map(|key| {
                schema::parse_gsi1_position(key).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "Query on {GSI1} returned a LastEvaluatedKey without a valid gsi1sk"
                    ))
                })
            })
            .transpose()?;
        let sessions = output
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| codec::decode_session(item).map(|s| s.value))
            .collect::<Result<_, _>>()?;
        Ok(SessionPage { sessions, next })
    }

    async fn rotate_refresh_token(
        &self,
        rotation: FastRotation,
    ) -> Result<RotationAttempt, StoreError> {
        rotation::rotate(&self.client, &self.table, &rotation).await
    }

    async fn has_marker(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.get(schema::marker_key(key)).await?.is_some())
    }

    async fn load_idempotency(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(schema::idempotency_item_key(key))
            .await?
            .map(|item| codec::decode_idempotency(&item))
            .transpose()
    }

    async fn load_revoke_all(
        &self,
        outcome_id: EventId,
    ) -> Result<Option<Versioned<RevokeAllContinuation>>, StoreError> {
        self.get(schema::continuation_key(outcome_id))
            .await?
            .map(|item| codec::decode_continuation(&item))
            .transpose()
    }

    async fn unfinished_revoke_alls(
        &self,
    ) -> Result<Vec<Versioned<RevokeAllContinuation>>, StoreError> {
        let pk = schema::CONTINUATION_PK.to_owned();
        partition::query_partition(&self.client, &self.table, pk, None)
            .await?
            .iter()
            .map(codec::decode_continuation)
            .collect()
    }

    async fn sessions_due_for_redaction(
        &self,
        now: chrono::DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Versioned<Session>>, StoreError> {
        // Each shard of the sparse redaction index, its due end first; a redacted session has
        // left it, so every sweep starts from the beginning (docs/0050). The index is read
        // eventually consistently: the port allows a session answered once more.
        let mut due = Vec::new();
        let mut left = limit;
        for partition in schema::gsi2_partitions() {
            let mut start = None;
            while left > 0 {
                let page = self
                    .client
                    .query()
                    .table_name(self.table.as_ref())
                    .index_name(GSI2)
                    .key_condition_expression("#pk = :shard AND #due <= :now")
                    .expression_attribute_names("#pk", GSI2_PK)
                    .expression_attribute_names("#due", GSI2_SK)
                    .expression_attribute_values(":shard", AttributeValue::S(partition.clone()))
                    .expression_attribute_values(
                        ":now",
                        AttributeValue::N(now.timestamp().to_string()),
                    )
                    .limit(i32::try_from(left).unwrap_or(i32::MAX))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| store_error("Query", e))?;
                for entry in page.items() {
                    // A keys-only index answers the table's key with its own.
                    let (Some(pk), Some(sk)) = (entry.get(PK), entry.get(SK)) else {
                        return Err(StoreError::Corrupt(format!(
                            "a {GSI2} entry without the table's key"
                        )));
                    };
                    due.push(schema::Key::from([
                        (PK.to_owned(), pk.clone()),
                        (SK.to_owned(), sk.clone()),
                    ]));
                    left = left.saturating_sub(1);
                }
                match page.last_evaluated_key {
                    Some(key) if !key.is_empty() => start = Some(key),
                    _ => break,
                }
            }
        }
        // The sessions themselves, read consistently: the index holds only their keys.
        self.sessions_at(due).await
    }

    async fn commit(&self, changes: ChangeSet) -> Result<(), CommitError> {
        if changes.write_count() == 0 {
            return Ok(());
        }
        let once_items = commit::once_items(&changes);
        let items = commit::transaction_items(&self.table, changes, Utc::now())?;
        let mut attempt = 1;
        loop {
            // The SDK fills in a ClientRequestToken, so its own retries of this request (after a
            // timeout, say) are idempotent instead of failing their own conditions.
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                // A transaction cancelled for capacity carries no retryable error code, so the
                // SDK gives up at once; nothing was applied, and it is tried again here.
                Err(error)
                    if attempt < THROTTLED_COMMIT_ATTEMPTS && cancelled_for_capacity(&error) =>
                {
                    tokio::time::sleep(backoff::delay(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(commit_error(error, once_items)),
            }
        }
    }

    fn max_writes_per_commit(&self) -> usize {
        MAX_TRANSACTION_ITEMS
    }

    async fn backoff(&self, attempt: u32) {
        tokio::time::sleep(backoff::delay(attempt)).await;
    }
}

/// Cancellation reasons that mean "a precondition did not hold, re-read and retry".
const CONFLICT_REASONS: [&str; 2] = ["ConditionalCheckFailed", "TransactionConflict"];
/// Cancellation reasons that mean "over capacity, back off".
const THROTTLED_REASONS: [&str; 2] = ["ThrottlingError", "ProvisionedThroughputExceeded"];

/// How many times a commit is sent while DynamoDB cancels it for capacity (the SDK's own retry
/// budget for throttling is 3 attempts too).
const THROTTLED_COMMIT_ATTEMPTS: u32 = 3;

/// The cancellation reasons of a cancelled transaction (none for any other error).
fn cancellation_codes(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<&str> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .filter_map(|reason| reason.code())
            .collect(),
        _ => Vec::new(),
    }
}

/// Cancelled for capacity only: no condition failed, so trying again can succeed.
fn cancelled_for_capacity(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    let codes = cancellation_codes(error);
    codes.iter().any(|code| THROTTLED_REASONS.contains(code))
        && !codes.iter().any(|code| CONFLICT_REASONS.contains(code))
}

/// `once_items`: how many items at the transaction's head are its marker and idempotency record.
fn commit_error(
    error: SdkError<TransactWriteItemsError, HttpResponse>,
    once_items: usize,
) -> CommitError {
    let reasons = match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            cancelled.cancellation_reasons()
        }
        _ => &[],
    };
    if reasons
        .iter()
        .take(once_items)
        .any(|r| r.code() == Some("ConditionalCheckFailed"))
    {
        return CommitError::AlreadyProcessed;
    }
    let conflict = reasons
        .iter()
        .filter_map(|reason| reason.code())
        .any(|code| CONFLICT_REASONS.contains(&code));
    if conflict {
        return CommitError::Conflict;
    }
    // A transaction cancelled for capacity says so per item, not in its error code.
    let throttled = reasons
        .iter()
        .filter_map(|reason| reason.code())
        .any(|code| THROTTLED_REASONS.contains(&code));
    if throttled {
        CommitError::Store(store_error_as(
            "TransactWriteItems",
            FailureKind::Throttled,
            error,
        ))
    } else {
        CommitError::Store(store_error("TransactWriteItems", error))
    }
}
