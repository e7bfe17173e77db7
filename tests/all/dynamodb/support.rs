//! What every DynamoDB test needs: the stand-in's SDK config (or a visible skip), a store over
//! a fresh table, and the interceptors that count requests and inject failures.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use session_dynamodb::{DynamoStore, TableOptions, ensure_table_with};
use uuid::Uuid;

const REQUIRE_STANDINS: &str = "SESSION_TESTS_REQUIRE_STANDINS";

/// The SDK config for the stand-ins from the standard environment, or `None` (after saying so)
/// when DynamoDB Local is not running. Under `scripts/test` a missing stand-in fails the test.
pub async fn standins() -> Option<SdkConfig> {
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_none() {
        assert!(
            std::env::var(REQUIRE_STANDINS).as_deref() != Ok("1"),
            "AWS_ENDPOINT_URL_DYNAMODB is not set although {REQUIRE_STANDINS}=1: start DynamoDB \
             Local first (scripts/test does; so does scripts/standins for a shell)"
        );
        announce_skip();
        return None;
    }
    Some(aws_config::defaults(BehaviorVersion::latest()).load().await)
}

/// Says once per test binary that the DynamoDB tests are skipped. Written to the process's
/// stderr directly: the test harness captures `eprintln!` of passing tests, which would hide it.
fn announce_skip() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let line = "skipped: DynamoDB Local not running (run scripts/test); the dynamodb:: tests \
                    pass without checking anything\n";
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
}

/// A table name no other test uses.
pub fn unique_table() -> String {
    format!("sessions-test-{}", Uuid::now_v7().simple())
}

/// Requests sent, per DynamoDB operation, counted at the moment each attempt goes on the wire;
/// and the sequential round trips among them: a request sent while none is waiting for its
/// answer starts one, requests sent while others wait share it.
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u32>>>,
    waiting: Arc<AtomicUsize>,
    sequential: Arc<AtomicU32>,
}

impl RequestCounter {
    /// The counts since the last call, and starts counting afresh.
    pub fn take(&self) -> BTreeMap<String, u32> {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The sequential round trips since the last call, and starts counting afresh.
    pub fn take_sequential(&self) -> u32 {
        self.sequential.swap(0, Ordering::SeqCst)
    }
}

/// The operation of a DynamoDB request: its JSON protocol names it in `X-Amz-Target`
/// (`DynamoDB_20120810.GetItem`).
fn operation(context_request: &aws_sdk_dynamodb::config::http::HttpRequest) -> String {
    context_request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned()
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(context.request());
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(op)
            .or_default() += 1;
        if self.waiting.fetch_add(1, Ordering::SeqCst) == 0 {
            self.sequential.fetch_add(1, Ordering::SeqCst);
        }
        cfg.interceptor_state().store_put(Waiting(true));
        Ok(())
    }

    /// Runs after every attempt, answered or not; only one that was sent stops waiting.
    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Waiting>().is_some_and(|waiting| waiting.0) {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            cfg.interceptor_state().store_put(Waiting(false));
        }
        Ok(())
    }
}

/// Whether the request's current attempt was sent and is counted as waiting for its answer.
#[derive(Clone, Debug)]
struct Waiting(bool);

impl Storable for Waiting {
    type Storer = StoreReplace<Self>;
}

/// Fails the next N reads (GetItem, Query) or commits (TransactWriteItems) before they are sent,
/// so a failed commit provably wrote nothing. The SDK does not retry an interceptor's error, so
/// the failure reaches the store as it would after the SDK gave up on a run of 500s.
#[derive(Clone, Debug, Default)]
pub struct FaultInjector {
    reads: Arc<AtomicU32>,
    commits: Arc<AtomicU32>,
}

impl FaultInjector {
    pub fn fail_next_reads(&self, n: u32) {
        self.reads.store(n, Ordering::SeqCst);
    }

    pub fn fail_next_commits(&self, n: u32) {
        self.commits.store(n, Ordering::SeqCst);
    }
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// What an injected failure looks like to the store: an error where a response should be.
#[derive(Debug)]
struct InjectedFailure(String);

impl std::fmt::Display for InjectedFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "injected failure of {}: 500 Internal Server Error",
            self.0
        )
    }
}

impl std::error::Error for InjectedFailure {}

impl Intercept for FaultInjector {
    fn name(&self) -> &'static str {
        "FaultInjector"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(context.request());
        let fail = match op.as_str() {
            "GetItem" | "BatchGetItem" | "Query" | "Scan" => take(&self.reads),
            "TransactWriteItems" => take(&self.commits),
            _ => false,
        };
        if fail {
            return Err(Box::new(InjectedFailure(op)));
        }
        Ok(())
    }
}

/// A store over a fresh table, with its request counter and fault injector.
pub struct TestStore {
    pub store: DynamoStore,
    pub requests: RequestCounter,
    pub faults: FaultInjector,
}

impl TestStore {
    /// Creates the table (uncounted) and returns a store over it. The table has no TTL: the
    /// tests' clocks stand in the past, and DynamoDB Local deletes expired items by the wall
    /// clock. Nor a stream: nothing relays from it, and DynamoDB Local serves a table with a
    /// stream several times slower. (Both are covered by the table and end-to-end tests.)
    pub async fn new(config: &SdkConfig) -> Self {
        let requests = RequestCounter::default();
        let faults = FaultInjector::default();
        let client_config = aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(faults.clone())
            .interceptor(requests.clone())
            .build();
        let client = Client::from_conf(client_config);
        let table = unique_table();
        let options = TableOptions {
            stream: false,
            ttl: false,
        };
        ensure_table_with(&client, &table, options).await.unwrap();
        requests.take();
        Self {
            store: DynamoStore::new(client, table),
            requests,
            faults,
        }
    }

    pub fn client(&self) -> &Client {
        self.store.client()
    }
}

/// A store over a fresh table on the stand-in, or `None` when the test is skipped.
pub async fn test_store() -> Option<TestStore> {
    let config = standins().await?;
    Some(TestStore::new(&config).await)
}
