//! The DynamoDB side of the measurements: a client pointed at the stand-in (DynamoDB Local, via
//! the standard `AWS_ENDPOINT_URL_DYNAMODB`) with an interceptor that records every request on
//! the wire and asks DynamoDB for the capacity each one consumed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{ConfigBag, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_get_items::{
    TransactGetItemsInput, TransactGetItemsOutput,
};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError as SmithyError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_dynamodb::DynamoStore;

use crate::{BoxError, capacity};

/// One request sent to DynamoDB (one attempt: a retry is another round trip).
#[derive(Clone, Debug)]
pub struct Call {
    pub operation: String,
    /// Time from transmit to deserialised response.
    pub elapsed: Duration,
    /// Capacity units DynamoDB reported (table + indexes); `None` when it reported none (e.g. a
    /// cancelled transaction).
    pub capacity: Option<Capacity>,
    /// Items a write transaction puts or updates.
    pub writes: Vec<Write>,
    /// Size of every item a read returned, in bytes.
    pub read_sizes: Vec<usize>,
}

/// One item written by a transaction.
#[derive(Clone, Debug)]
pub struct Write {
    /// "SESSION", "USER", "EVENT", "MARKER": the key's prefix.
    pub kind: String,
    pub update: bool,
    /// The put item's size; for an update, the size the item had when last seen by this
    /// recorder (put or read), which DynamoDB bills when it is the larger image.
    pub bytes: Option<usize>,
    /// The write adds, moves or removes the item's keys-only `gsi2` entry (docs/0050): a put
    /// whose `gsi2sk` differs from the last one seen, or an update of a session (a revocation
    /// moves the due time).
    pub moves_gsi2: bool,
}

/// Capacity units of one request, split by what consumed them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
    /// Of `write`, the part the indexes (gsi1, gsi2) consumed.
    pub index_write: f64,
}

impl Capacity {
    fn add(&mut self, other: Capacity) {
        self.read += other.read;
        self.write += other.write;
        self.index_write += other.index_write;
    }
}

#[derive(Default)]
struct Log {
    calls: Vec<Call>,
    /// Requests waiting for their answer, and the sequential round trips so far: a request
    /// transmitted while none waits starts one; requests sent together (a revoke-all's
    /// concurrent commits, docs/0052) share it.
    waiting: usize,
    sequential: usize,
    /// Last known size of every item seen (by `pk`), to size updates.
    sizes: HashMap<String, usize>,
    /// Last known redaction-index sort key of every session put (by `pk`), to tell which
    /// writes move its keys-only `gsi2` entry.
    due: HashMap<String, Option<String>>,
}

fn pk(key: Option<&AttributeValue>) -> String {
    match key {
        Some(AttributeValue::S(pk)) => pk.clone(),
        _ => "?".to_owned(),
    }
}

/// "SESSION", "USER", "EVENT", "MARKER": the kind of item a key names.
fn kind(pk: &str) -> String {
    pk.split('#').next().unwrap_or("?").to_owned()
}

fn transact_writes(
    input: &TransactWriteItemsInput,
    sizes: &mut HashMap<String, usize>,
    due: &mut HashMap<String, Option<String>>,
) -> Vec<Write> {
    let mut writes = Vec::new();
    for item in input.transact_items() {
        if let Some(put) = item.put() {
            let key = pk(put.item().get("pk"));
            let bytes = capacity::item_size(put.item());
            let before = sizes.insert(key.clone(), bytes).unwrap_or(0);
            let due_now = match put.item().get("gsi2sk") {
                Some(AttributeValue::N(n)) => Some(n.clone()),
                _ => None,
            };
            let due_before = due.insert(key.clone(), due_now.clone()).flatten();
            writes.push(Write {
                kind: kind(&key),
                update: false,
                bytes: Some(bytes.max(before)),
                moves_gsi2: due_now != due_before,
            });
        } else if let Some(update) = item.update() {
            let key = pk(update.key().get("pk"));
            let kind = kind(&key);
            writes.push(Write {
                moves_gsi2: kind == "SESSION",
                kind,
                update: true,
                bytes: sizes.get(&key).copied(),
            });
        }
    }
    writes
}

fn remember(sizes: &mut HashMap<String, usize>, item: &HashMap<String, AttributeValue>) -> usize {
    let bytes = capacity::item_size(item);
    sizes.insert(pk(item.get("pk")), bytes);
    bytes
}

/// Records every DynamoDB request of the client it is installed on. Cheap to clone; clones share
/// the log.
#[derive(Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Log>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl Recorder {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The calls recorded since the last `take`, oldest first.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut self.log().calls)
    }

    /// The sequential round trips since the last call (see `Log::sequential`).
    pub fn take_sequential(&self) -> usize {
        std::mem::take(&mut self.log().sequential)
    }
}

/// What the recorder learns of one request before it is sent, kept in the request's own config
/// bag: several requests can be on the wire at once.
#[derive(Clone, Debug)]
struct Pending {
    operation: String,
    started: Instant,
    writes: Vec<Write>,
}

impl Storable for Pending {
    type Storer = StoreReplace<Self>;
}

/// The writes of a transaction, seen when it is serialised.
#[derive(Clone, Debug)]
struct PendingWrites(Vec<Write>);

impl Storable for PendingWrites {
    type Storer = StoreReplace<Self>;
}

/// Whether the request is a write (its capacity is write capacity).
fn is_write(operation: &str) -> bool {
    matches!(
        operation,
        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem"
    )
}

fn units(c: &ConsumedCapacity, write: bool) -> Capacity {
    let total = c.capacity_units().unwrap_or(0.0);
    let index: f64 = c
        .global_secondary_indexes()
        .map(|m| m.values().filter_map(|i| i.capacity_units()).sum())
        .unwrap_or(0.0);
    if write {
        Capacity {
            read: 0.0,
            write: total,
            index_write: index,
        }
    } else {
        Capacity {
            read: total,
            write: 0.0,
            index_write: 0.0,
        }
    }
}

fn sum(list: &[ConsumedCapacity], write: bool) -> Option<Capacity> {
    if list.is_empty() {
        return None;
    }
    let mut total = Capacity::default();
    for c in list {
        total.add(units(c, write));
    }
    Some(total)
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "session-bench call recorder"
    }

    /// Asks for the consumed capacity, per table and index, on every operation that reports it.
    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), SmithyError> {
        let want = Some(ReturnConsumedCapacity::Indexes);
        let input = context.input_mut();
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = want;
            let mut log = self.log();
            let log = &mut *log;
            let writes = transact_writes(i, &mut log.sizes, &mut log.due);
            cfg.interceptor_state().store_put(PendingWrites(writes));
        } else if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<TransactGetItemsInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<BatchWriteItemInput>() {
            i.return_consumed_capacity = want;
        }
        Ok(())
    }

    /// One transmitted attempt = one round trip.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), SmithyError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_owned(), |m| m.name().to_owned());
        let writes = cfg
            .load::<PendingWrites>()
            .map(|pending| pending.0.clone())
            .unwrap_or_default();
        cfg.interceptor_state().store_put(Pending {
            operation,
            started: Instant::now(),
            writes,
        });
        let mut log = self.log();
        if log.waiting == 0 {
            log.sequential += 1;
        }
        log.waiting += 1;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), SmithyError> {
        let Some(Pending {
            operation,
            started,
            writes,
        }) = cfg.load::<Pending>().cloned()
        else {
            return Ok(());
        };
        let mut log = self.log();
        log.waiting = log.waiting.saturating_sub(1);
        let write = is_write(&operation);
        let mut read_sizes = Vec::new();
        if let Ok(output) = context.output_or_error() {
            if let Some(item) = output
                .downcast_ref::<GetItemOutput>()
                .and_then(|o| o.item())
            {
                read_sizes.push(remember(&mut log.sizes, item));
            } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                for item in o.items() {
                    read_sizes.push(remember(&mut log.sizes, item));
                }
            } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                for item in o.responses().into_iter().flat_map(|t| t.values()).flatten() {
                    read_sizes.push(remember(&mut log.sizes, item));
                }
            }
        }
        let capacity = match context.output_or_error() {
            Ok(output) => {
                if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                    o.consumed_capacity().map(|c| units(c, write))
                } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                    o.consumed_capacity().map(|c| units(c, write))
                } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                    sum(o.consumed_capacity(), write)
                } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
                    o.consumed_capacity().map(|c| units(c, write))
                } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                    o.consumed_capacity().map(|c| units(c, write))
                } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
                    o.consumed_capacity().map(|c| units(c, write))
                } else if let Some(o) = output.downcast_ref::<TransactGetItemsOutput>() {
                    sum(o.consumed_capacity(), write)
                } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                    sum(o.consumed_capacity(), write)
                } else if let Some(o) = output.downcast_ref::<BatchWriteItemOutput>() {
                    sum(o.consumed_capacity(), write)
                } else {
                    None
                }
            }
            Err(_) => None,
        };
        log.calls.push(Call {
            operation,
            elapsed: started.elapsed(),
            capacity,
            writes,
            read_sizes,
        });
        Ok(())
    }
}

/// The stand-in's endpoint, or an error saying how to get one.
pub fn endpoint() -> Result<String, BoxError> {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").map_err(|_| {
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run through scripts/bench, or \
         `source scripts/lib/standins.sh && standins_start` first"
            .into()
    })
}

/// A DynamoDB client from the standard environment, with `recorder` installed.
pub async fn client(recorder: &Recorder) -> Result<Client, BoxError> {
    endpoint()?;
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(recorder.clone())
        .build();
    Ok(Client::from_conf(config))
}

/// A fresh table with the service's schema, and the use cases over it.
pub async fn sessions(client: &Client, table: &str) -> Result<Sessions<DynamoStore>, BoxError> {
    session_dynamodb::ensure_table(client, table).await?;
    // The default tiers, and two that choose at the limit (docs/0049).
    let policy = PolicyConfig::from_json(
        r#"{"tiers":{"recent":{"max_sessions":2,"eviction_order":"least_recently_active"},
                     "choose":{"max_sessions":2,"on_limit":"ask"}}}"#,
    )?;
    Ok(Sessions::new(
        DynamoStore::new(client.clone(), table),
        policy,
    ))
}

/// A table name no earlier run used (DynamoDB Local keeps tables until it stops).
pub fn fresh_table(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// Totals of a list of calls.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub round_trips: usize,
    /// "GetItem x1, TransactWriteItems x1", in first-seen order.
    pub breakdown: String,
    pub capacity: Capacity,
    /// Calls for which DynamoDB reported no capacity.
    pub unreported: usize,
    /// Capacity by the documented rules, from the sizes of the items read and written.
    pub derived: Capacity,
}

/// Capacity of `call` by DynamoDB's documented rules: consistent GetItem 1 RRU per 4 KB, and per
/// item of a consistent BatchGetItem; Query (on gsi1, eventually consistent) 0.5 RRU per 4 KB of
/// all items returned; transactional writes 2 WRU per KB per item, plus the gsi1 copy of a
/// session item and, when a write moves it, the session's keys-only gsi2 entry (under 1 KB). An
/// update whose item size is unknown counts as 1 KB.
/// A keys-only gsi2 entry: the table's key, the index's key and DynamoDB's 100-byte overhead.
const GSI2_ENTRY_BYTES: usize = 250;

pub fn derived(call: &Call) -> Capacity {
    let mut c = Capacity::default();
    match call.operation.as_str() {
        "GetItem" => {
            c.read = call
                .read_sizes
                .first()
                .map_or(1.0, |b| capacity::consistent_read_units(*b))
        }
        "BatchGetItem" => {
            c.read = call
                .read_sizes
                .iter()
                .map(|b| capacity::consistent_read_units(*b))
                .sum();
        }
        "Query" => {
            let total: usize = call.read_sizes.iter().sum();
            c.read = 0.5 * total.div_ceil(4096).max(1) as f64;
        }
        "TransactWriteItems" => {
            for w in &call.writes {
                let units = capacity::transactional_write_units(w.bytes.unwrap_or(1024));
                c.write += units;
                if w.kind == "SESSION" {
                    c.write += units;
                    c.index_write += units;
                }
                if w.moves_gsi2 {
                    let entry = capacity::transactional_write_units(GSI2_ENTRY_BYTES);
                    c.write += entry;
                    c.index_write += entry;
                }
            }
        }
        _ => {}
    }
    c
}

pub fn totals(calls: &[Call]) -> Totals {
    let mut order: Vec<(String, usize)> = Vec::new();
    let mut capacity = Capacity::default();
    let mut unreported = 0;
    let mut derived_total = Capacity::default();
    for call in calls {
        derived_total.add(derived(call));
        match order.iter_mut().find(|(op, _)| *op == call.operation) {
            Some((_, n)) => *n += 1,
            None => order.push((call.operation.clone(), 1)),
        }
        match call.capacity {
            Some(c) => capacity.add(c),
            None => unreported += 1,
        }
    }
    Totals {
        round_trips: calls.len(),
        breakdown: order
            .iter()
            .map(|(op, n)| format!("{op} x{n}"))
            .collect::<Vec<_>>()
            .join(", "),
        capacity,
        unreported,
        derived: derived_total,
    }
}
