//! The DynamoDB side of the measurements: a client pointed at the stand-in (DynamoDB Local, via
//! the standard `AWS_ENDPOINT_URL_DYNAMODB`) with an interceptor that records every request on
//! the wire and asks DynamoDB for the capacity each one consumed.

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
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError as SmithyError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_dynamodb::DynamoStore;

use crate::BoxError;

/// One request sent to DynamoDB (one attempt: a retry is another round trip).
#[derive(Clone, Debug)]
pub struct Call {
    pub operation: String,
    /// Time from transmit to deserialised response.
    pub elapsed: Duration,
    /// Capacity units DynamoDB reported (table + indexes); `None` when it reported none (e.g. a
    /// cancelled transaction).
    pub capacity: Option<Capacity>,
}

/// Capacity units of one request, split by what consumed them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
    /// Of `write`, the part the gsi1 index consumed.
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
    in_flight: Option<(String, Instant)>,
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
        _cfg: &mut ConfigBag,
    ) -> Result<(), SmithyError> {
        let want = Some(ReturnConsumedCapacity::Indexes);
        let input = context.input_mut();
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = want;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = want;
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
        self.log().in_flight = Some((operation, Instant::now()));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), SmithyError> {
        let mut log = self.log();
        let Some((operation, started)) = log.in_flight.take() else {
            return Ok(());
        };
        let write = is_write(&operation);
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
    Ok(Sessions::new(
        DynamoStore::new(client.clone(), table),
        PolicyConfig::default(),
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
}

pub fn totals(calls: &[Call]) -> Totals {
    let mut order: Vec<(String, usize)> = Vec::new();
    let mut capacity = Capacity::default();
    let mut unreported = 0;
    for call in calls {
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
    }
}
