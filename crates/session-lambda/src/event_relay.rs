//! The table-stream consumer: outbox inserts -> EventBridge. Records it could not deliver are
//! reported as batch item failures, so Lambda retries them (and, after the mapping's retries,
//! sends them to the dead-letter queue) instead of dropping them. Lambda retries such a batch
//! from its first failed record, later records included; the process remembers what it
//! delivered lately ([`Remembering`]), so those are not published again.

use std::collections::HashMap;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{LambdaEvent, service_fn};
use session_core::ports::StoreError;
use session_eventbridge::{
    EventBridgePublisher, EventPublisher, OutboxRecord, PublisherConfig, REMEMBERED_EVENTS,
    Remembering, relay,
};

use crate::config::{self, ProcessEnv};
use crate::{telemetry, wiring};

/// The outbox records among a stream batch. Other items (sessions, ledgers) and modifications
/// are not events; the event source mapping filters them out, and they are skipped here too.
pub fn outbox_records(event: &Event) -> Vec<OutboxRecord<StoreError>> {
    event.records.iter().filter_map(outbox_record).collect()
}

fn outbox_record(record: &EventRecord) -> Option<OutboxRecord<StoreError>> {
    if record.event_name != "INSERT" {
        return None;
    }
    let keys = to_sdk(&record.change.keys);
    if !session_dynamodb::outbox::is_outbox_key(&keys) {
        return None;
    }
    let item_identifier = record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone());
    let event = session_dynamodb::outbox::decode(&to_sdk(&record.change.new_image));
    Some(OutboxRecord {
        item_identifier,
        event,
    })
}

fn to_sdk(item: &serde_dynamo::Item) -> HashMap<String, AttributeValue> {
    let item: HashMap<String, serde_dynamo::AttributeValue> = item.clone().into();
    item.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// Relays one stream batch and names the records to retry.
pub async fn handle<P: EventPublisher>(publisher: &P, event: &Event) -> DynamoDbEventResponse {
    let failed = relay(publisher, outbox_records(event)).await;
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(id);
            failure
        })
        .collect();
    response
}

/// Entry point of the event-relay function.
pub fn serve() -> crate::EntryPoint {
    Box::pin(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let bus = config::bus(&ProcessEnv).map_err(|e| crate::http_function::init_failed(e.into()))?;
    let sdk = wiring::sdk_config(&ProcessEnv)
        .await
        .map_err(crate::http_function::init_failed)?;
    let publisher = Remembering::new(
        EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            PublisherConfig::new(bus.bus_name, bus.source),
        ),
        REMEMBERED_EVENTS,
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
        let publisher = &publisher;
        async move { Ok::<_, std::convert::Infallible>(handle(publisher, &event.payload).await) }
    }))
    .await
}
