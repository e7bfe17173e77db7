//! The DynamoDB store against the store contract suite, case for case as the embedded store:
//! a fresh table per store, failures injected by an SDK interceptor, the outbox read back from
//! the table.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use session_core::events::DomainEvent;
use session_core::ids::EventId;
use session_dynamodb::DynamoStore;
use session_dynamodb::schema::{self, EVENT_PREFIX, PK, event_attr};
use session_tests::StoreHarness;

use super::support::{FaultInjector, TestStore, standins};

pub struct DynamoHarness {
    config: SdkConfig,
    /// Each store's fault injector, by table.
    faults: Mutex<HashMap<String, FaultInjector>>,
}

impl DynamoHarness {
    /// `None` (and a message) when DynamoDB Local is not running.
    pub async fn connect() -> Option<Self> {
        Some(Self {
            config: standins().await?,
            faults: Mutex::default(),
        })
    }

    fn faults(&self, store: &DynamoStore) -> FaultInjector {
        let faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        faults.get(store.table()).cloned().unwrap()
    }
}

impl StoreHarness for DynamoHarness {
    type Store = DynamoStore;

    async fn fresh_store(&self) -> DynamoStore {
        let t = TestStore::new(&self.config).await;
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(t.store.table().to_owned(), t.faults.clone());
        t.store
    }

    fn fail_next_reads(&self, store: &DynamoStore, n: u32) {
        self.faults(store).fail_next_reads(n);
    }

    fn fail_next_commits(&self, store: &DynamoStore, n: u32) {
        self.faults(store).fail_next_commits(n);
    }

    /// Every outbox item in the table, decoded by the store itself, then deleted so the next call
    /// sees only newer ones; ordered by event id, which the suite's ids make creation order.
    async fn take_events(&self, store: &DynamoStore) -> Vec<DomainEvent> {
        let client = store.client();
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(store.table())
                .consistent_read(true)
                .filter_expression("begins_with(#pk, :events) AND attribute_not_exists(#taken)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#taken", TAKEN)
                .expression_attribute_values(":events", AttributeValue::S(EVENT_PREFIX.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items() {
                let Some(AttributeValue::S(id)) = item.get(event_attr::EVENT_ID) else {
                    panic!("outbox item without an event id: {item:?}");
                };
                ids.push(EventId::from_uuid(id.parse().unwrap()));
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        ids.sort();
        let mut events = Vec::with_capacity(ids.len());
        for id in ids {
            events.push(store.load_event(id).await.unwrap().unwrap());
            // Marked, not deleted: like the relay, taking an event leaves its outbox item in
            // place (until TTL), so a later commit reusing its id still meets it.
            client
                .update_item()
                .table_name(store.table())
                .set_key(Some(schema::event_key(id)))
                .update_expression("SET #taken = :yes")
                .expression_attribute_names("#taken", TAKEN)
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .send()
                .await
                .unwrap();
        }
        events
    }
}

/// Attribute the harness sets on the outbox items it has taken.
const TAKEN: &str = "taken_by_test";

session_tests::store_contract_suite!(DynamoHarness::connect, concurrent_logins = 32, rounds = 3);
