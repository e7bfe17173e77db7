//! EventBridge faults under the outbox relay: commands commit events (DynamoDB Local with its
//! stream), the stream's records go to the real relay handler in batches as Lambda's event
//! source mapping would hand them over, and the relay publishes through the fault proxy to
//! moto's EventBridge, whose rule feeds an SQS queue. Three runs over the same records:
//!
//! - the bus down (500s, connection resets, throttling, a timeout, lost answers) for the first
//!   invocations, then back: the stream's retries carry the events through;
//! - the bus down for longer than the stream retries: every batch goes to the on-failure
//!   destination (an SQS queue here, with Lambda's record format), and once the bus is back the
//!   operator's redrive (docs/deploy.md) replays them through the relay;
//! - the bus up but failing single entries of `PutEvents` (taken out of the request by the
//!   proxy and answered as failed): some heal within the publisher's retries, some need the
//!   stream's, one fails until the bus recovers and is redriven.
//!
//! Each run ends with every committed event on the queue: lost = 0. Duplicates are counted and
//! each one explained: the bus accepted an entry whose answer was lost, or a record the relay had
//! delivered was handed to it again (by a stream retry, which restarts at the first failed
//! record, or by the redrive).
//!
//! Lambda's stream semantics, from `template.yaml` (`EventRelayFunction`'s `Outbox` source):
//! batches of `BatchSize` filtered records; `ReportBatchItemFailures`, so a batch with item
//! failures is retried from its first failed record; after `MaximumRetryAttempts` retries the
//! batch's coordinates go to `DestinationConfig.OnFailure` and the mapping moves on. The SDK
//! client makes one attempt per call (the publisher's own per-entry retries are under test),
//! and the publisher's back-off is shortened to milliseconds.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::timeout::TimeoutConfig;
use serde_json::{Value, json};
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::UserId;
use session_core::use_cases::{CreateSession, RevokeAllUserSessions, RevokeSession};
use session_eventbridge::{
    EventBridgePublisher, EventPublisher, PublisherConfig, REMEMBERED_EVENTS, Remembering,
};
use session_lambda::event_relay::{handle, outbox_records};
use session_tests::fixture::register;

use super::proxy::{Action, CaseHeader, Fault, FaultProxy, Plan, Request};
use crate::e2e::support::{
    SOURCE, bus_with_queue, read_stream, receive, sessions_on_fresh_table, standins, unique,
};

/// Users whose commands make the events (12 each).
const USERS: usize = 9;

/// The relay's event source mapping, as `template.yaml` configures it.
struct Mapping {
    batch_size: usize,
    max_retries: u32,
}

impl Mapping {
    fn from_template() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let text = std::fs::read_to_string(path).expect("template.yaml");
        let template: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        let source = &template["Resources"]["EventRelayFunction"]["Properties"]["Events"]["Outbox"];
        assert_eq!(source["Type"].as_str(), Some("DynamoDB"));
        let p = &source["Properties"];
        let types: Vec<&str> = p["FunctionResponseTypes"]
            .as_sequence()
            .expect("FunctionResponseTypes")
            .iter()
            .filter_map(serde_yaml::Value::as_str)
            .collect();
        assert_eq!(types, ["ReportBatchItemFailures"], "emulated semantics");
        assert!(
            !p["DestinationConfig"]["OnFailure"]["Destination"].is_null(),
            "an on-failure destination, which the emulation stands in for"
        );
        Self {
            batch_size: usize::try_from(p["BatchSize"].as_u64().expect("BatchSize"))
                .expect("batch size"),
            max_retries: u32::try_from(p["MaximumRetryAttempts"].as_u64().expect("retries"))
                .expect("retries"),
        }
    }
}

/// What a run of the emulated event source mapping did.
#[derive(Default)]
struct Drain {
    invocations: u32,
    /// Invocations that retried part of a batch.
    retries: u32,
    /// Batches (ranges of record indexes) given up on and sent to the on-failure destination.
    dead_lettered: Vec<std::ops::Range<usize>>,
    /// Per event id: how many invocations the relay reported it delivered in.
    acknowledged: HashMap<String, u32>,
}

/// Hands `records[range]` to the relay as Lambda would: batch after batch, each retried from
/// its first failed record until it succeeds or runs out of retries. `after` runs after every
/// invocation (the test's clock, so to speak).
async fn drain<P: EventPublisher>(
    publisher: &P,
    records: &[EventRecord],
    event_ids: &[String],
    range: std::ops::Range<usize>,
    mapping: &Mapping,
    run: &mut Drain,
    after: &dyn Fn(u32),
) {
    let mut next = range.start;
    while next < range.end {
        let end = (next + mapping.batch_size).min(range.end);
        let mut start = next;
        let mut retries = 0;
        loop {
            let mut batch = Event::default();
            batch.records = records[start..end].to_vec();
            let response = handle(publisher, &batch).await;
            run.invocations += 1;
            after(run.invocations);
            let failed: Vec<usize> = response
                .batch_item_failures
                .iter()
                .map(|f| {
                    let id = f.item_identifier.as_deref().unwrap_or_default();
                    (start..end)
                        .find(|&i| records[i].change.sequence_number.as_deref() == Some(id))
                        .unwrap_or_else(|| panic!("relay reported {id}, not in its batch"))
                })
                .collect();
            for (i, id) in event_ids.iter().enumerate().take(end).skip(start) {
                if !failed.contains(&i) {
                    *run.acknowledged.entry(id.clone()).or_default() += 1;
                }
            }
            let Some(&first) = failed.iter().min() else {
                break;
            };
            if retries == mapping.max_retries {
                run.dead_lettered.push(first..end);
                break;
            }
            retries += 1;
            run.retries += 1;
            start = first;
        }
        next = end;
    }
}

/// The on-failure record Lambda sends for a stream batch it gave up on.
fn on_failure_record(
    records: &[EventRecord],
    range: &std::ops::Range<usize>,
    retries: u32,
) -> Value {
    json!({
        "requestContext": {
            "requestId": unique("request"),
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:event-relay",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": retries + 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": null},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-emulated",
            "startSequenceNumber": records[range.start].change.sequence_number,
            "endSequenceNumber": records[range.end - 1].change.sequence_number,
            "batchSize": range.len(),
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/sessions/stream/emulated",
        },
    })
}

/// The commands: per user, four logins on the basic tier (two evictions), a revocation and a
/// sign-out everywhere; their events, in commit order, are what the stream carries.
async fn commit_events(sdk: &SdkConfig) -> (Vec<EventRecord>, Vec<String>) {
    let (sessions, table) = sessions_on_fresh_table(sdk).await;
    let mut users = tokio::task::JoinSet::new();
    for n in 0..USERS {
        let sessions = sessions.clone();
        users.spawn(async move {
            let user = UserId::from_str(&format!("relay-user-{n}")).unwrap();
            register(&sessions, &user, "basic", None).await;
            let mut last = None;
            for _ in 0..4 {
                let login = CreateSession {
                    user_id: user.clone(),
                    ip_address: "203.0.113.7".parse().ok(),
                    user_agent: None,
                    expires_at: None,
                    refresh_token_id: None,
                    auth_time: None,
                    aal: Default::default(),
                    amr: Default::default(),
                    device: None,
                    replace_session_id: None,
                };
                last = Some(sessions.create_session(login).await.unwrap().session.id());
            }
            let by = Actor::User {
                user_id: user.clone(),
            };
            sessions
                .revoke_session(RevokeSession {
                    session_id: last.unwrap(),
                    owner: session_core::use_cases::Owner::User(user.clone()),
                    reason: RevocationReason::Manual,
                    by: by.clone(),
                    note: None,
                })
                .await
                .unwrap();
            sessions
                .revoke_all_user_sessions(RevokeAllUserSessions {
                    user_id: user,
                    reason: RevocationReason::LogoutAll,
                    except_session_id: None,
                    by,
                    note: None,
                    trigger: session_core::events::RevokeAllTrigger::UserRequest,
                })
                .await
                .unwrap();
        });
    }
    while let Some(done) = users.join_next().await {
        done.unwrap();
    }
    // What the mapping's filter lets through: outbox inserts.
    let records: Vec<EventRecord> = read_stream(sdk, &table)
        .await
        .records
        .into_iter()
        .filter(|record| {
            let mut one = Event::default();
            one.records = vec![record.clone()];
            !outbox_records(&one).is_empty()
        })
        .collect();
    let mut all = Event::default();
    all.records = records.clone();
    let ids = outbox_records(&all)
        .into_iter()
        .map(|r| r.event.unwrap().event_id.to_string())
        .collect();
    (records, ids)
}

/// The event ids of the entries of a `PutEvents` body.
fn entry_ids(body: &Value) -> Vec<String> {
    body["Entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    let detail: Value =
                        serde_json::from_str(entry["Detail"].as_str().unwrap_or("{}"))
                            .unwrap_or(Value::Null);
                    detail["event_id"].as_str().unwrap_or_default().to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A publisher through the proxy, named as `case`'s, whose SDK client makes one attempt per
/// call (retrying is the publisher's and the stream's job here), with millisecond back-off.
fn eventbridge_publisher(
    sdk: &SdkConfig,
    proxy: &FaultProxy,
    case: &str,
    bus: &str,
) -> EventBridgePublisher {
    let client_config = aws_sdk_eventbridge::config::Builder::from(sdk)
        .endpoint_url(proxy.url())
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(1))
                .build(),
        )
        .interceptor(CaseHeader(case.to_owned()))
        .build();
    let mut config = PublisherConfig::new(bus, SOURCE);
    config.base_delay = Duration::from_millis(2);
    config.max_delay = Duration::from_millis(20);
    EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::from_conf(client_config),
        config,
    )
}

/// One run: a bus and queue of its own, a proxy case of its own, a plan, and when the bus
/// counts as recovered.
struct Run {
    name: &'static str,
    plan: Plan,
    /// Called after every invocation with the count so far.
    after: Box<dyn Fn(u32) + Send + Sync>,
    /// Ends the faults (before the redrive).
    recover: Box<dyn Fn() + Send + Sync>,
}

/// Figures of one run.
struct Figures {
    committed: usize,
    delivered: usize,
    lost: usize,
    duplicates: u32,
    from_lost_answers: u32,
    from_stream_retries: u32,
    from_redrive: u32,
    invocations: u32,
    retries: u32,
    dead_lettered: usize,
    faults: u32,
}

async fn relay_run(
    sdk: &SdkConfig,
    proxy: &FaultProxy,
    records: &[EventRecord],
    event_ids: &[String],
    run: Run,
) -> Figures {
    let mapping = Mapping::from_template();
    let (bus, queue_url) = bus_with_queue(sdk).await;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = sqs
        .create_queue()
        .queue_name(unique("relay-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let case = format!("eventbridge-{}", run.name);
    let _pauses = proxy.arm(&case, run.plan);
    // As the relay function wires it: remembering what it delivered (a warm environment).
    let publisher = Remembering::new(
        eventbridge_publisher(sdk, proxy, &case, &bus),
        REMEMBERED_EVENTS,
    );

    let mut drained = Drain::default();
    drain(
        &publisher,
        records,
        event_ids,
        0..records.len(),
        &mapping,
        &mut drained,
        run.after.as_ref(),
    )
    .await;
    // The on-failure destination receives what the mapping gave up on.
    for range in &drained.dead_lettered {
        let record = on_failure_record(records, range, mapping.max_retries);
        sqs.send_message()
            .queue_url(&dlq_url)
            .message_body(record.to_string())
            .send()
            .await
            .unwrap();
    }
    let dead_lettered = drained.dead_lettered.len();

    // The bus recovers; the operator redrives the dead letters through the relay, in an
    // environment of its own (which remembers nothing of the stream's invocations).
    (run.recover)();
    let drain_requests = proxy.log(&case).operations.len();
    let publisher = Remembering::new(
        eventbridge_publisher(sdk, proxy, &case, &bus),
        REMEMBERED_EVENTS,
    );
    loop {
        let messages = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            let info = &body["DDBStreamBatchInfo"];
            let position = |key: &str| {
                let sequence = info[key].as_str().unwrap();
                records
                    .iter()
                    .position(|r| r.change.sequence_number.as_deref() == Some(sequence))
                    .unwrap()
            };
            let range = position("startSequenceNumber")..position("endSequenceNumber") + 1;
            drained.dead_lettered.clear();
            drain(
                &publisher,
                records,
                event_ids,
                range,
                &mapping,
                &mut drained,
                &|_| {},
            )
            .await;
            assert!(
                drained.dead_lettered.is_empty(),
                "{}: the redrive after recovery must deliver",
                run.name
            );
            sqs.delete_message()
                .queue_url(&dlq_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }

    let log = proxy.log(&case);
    // Per event: entries that reached the bus with their answer back during the stream's
    // invocations and during the redrive, and entries whose answer was lost.
    let mut in_drain: HashMap<String, u32> = HashMap::new();
    let mut in_redrive: HashMap<String, u32> = HashMap::new();
    let mut lost_answers: HashMap<String, u32> = HashMap::new();
    let mut reached: HashMap<String, u32> = HashMap::new();
    let mut seen_requests = 0;
    for forwarded in &log.forwarded {
        if forwarded.operation != "PutEvents" {
            continue;
        }
        seen_requests += 1;
        let body: Value = serde_json::from_slice(&forwarded.body).unwrap_or(Value::Null);
        for id in entry_ids(&body) {
            *reached.entry(id.clone()).or_default() += 1;
            let tally = if forwarded.answer_lost {
                &mut lost_answers
            } else if forwarded.index < drain_requests {
                &mut in_drain
            } else {
                &mut in_redrive
            };
            *tally.entry(id).or_default() += 1;
        }
    }
    assert!(seen_requests > 0, "{}: nothing reached the bus", run.name);
    let expected: usize = reached.values().map(|&n| n as usize).sum();
    let received = receive(sdk, &queue_url, expected).await;
    let mut arrived: BTreeMap<String, u32> = BTreeMap::new();
    for message in &received {
        assert_eq!(message["source"], SOURCE);
        let id = message["detail"]["event_id"].as_str().unwrap().to_owned();
        *arrived.entry(id).or_default() += 1;
    }

    let mut figures = Figures {
        committed: event_ids.len(),
        delivered: 0,
        lost: 0,
        duplicates: 0,
        from_lost_answers: 0,
        from_stream_retries: 0,
        from_redrive: 0,
        invocations: drained.invocations,
        retries: drained.retries,
        dead_lettered,
        faults: log.injected,
    };
    for id in event_ids {
        let got = arrived.get(id).copied().unwrap_or(0);
        if got == 0 {
            figures.lost += 1;
            continue;
        }
        figures.delivered += 1;
        // The bus delivers exactly what reached it.
        assert_eq!(
            got,
            reached.get(id).copied().unwrap_or(0),
            "{}: event {id} arrived {got} times",
            run.name
        );
        // Every extra arrival has a cause: an answer lost after the bus took the entry, the
        // stream handing a delivered record over again, or the redrive of a dead-lettered range
        // holding delivered records.
        let lost_answer = lost_answers.get(id).copied().unwrap_or(0);
        let drain = in_drain.get(id).copied().unwrap_or(0);
        let redrive = in_redrive.get(id).copied().unwrap_or(0);
        assert_eq!(got, lost_answer + drain + redrive);
        let answered = drain + redrive;
        assert!(
            answered >= 1,
            "{}: event {id} was never acknowledged",
            run.name
        );
        let stream = drain.saturating_sub(1);
        figures.duplicates += got - 1;
        figures.from_lost_answers += lost_answer;
        figures.from_stream_retries += stream;
        figures.from_redrive += answered - 1 - stream;
    }
    assert!(
        arrived.keys().all(|id| event_ids.contains(id)),
        "{}: nothing but committed events arrives",
        run.name
    );
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_event_reaches_the_bus_once_it_recovers() {
    let Some(sdk) = standins().await else { return };
    let started = Instant::now();
    let (records, event_ids) = commit_events(&sdk).await;
    let mapping = Mapping::from_template();
    assert!(
        records.len() > mapping.batch_size,
        "more than one batch: {} records",
        records.len()
    );
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("checked by standins");
    let proxy = FaultProxy::start(&endpoint).await;

    // 1. Down for the first three invocations (the first batch's try and two retries).
    let down = Arc::new(AtomicBool::new(true));
    let short_outage = Run {
        name: "bus down for three invocations",
        plan: {
            let down = Arc::clone(&down);
            Box::new(move |i, request: &Request| {
                if request.operation() != "PutEvents" || !down.load(Ordering::SeqCst) {
                    return Action::Forward;
                }
                Action::Fail(match i {
                    0 => Fault::Timeout,
                    1 | 2 => Fault::ResponseLost,
                    _ => [Fault::ServerError, Fault::ConnectionReset, Fault::Throttled][i % 3],
                })
            })
        },
        after: {
            let down = Arc::clone(&down);
            Box::new(move |invocations| {
                if invocations == 3 {
                    down.store(false, Ordering::SeqCst);
                }
            })
        },
        recover: Box::new(|| {}),
    };

    // 2. Down until the mapping gave up on every batch; back for the redrive.
    let down_long = Arc::new(AtomicBool::new(true));
    let long_outage = Run {
        name: "bus down past the stream's retries",
        plan: {
            let down = Arc::clone(&down_long);
            Box::new(move |i, request: &Request| {
                if request.operation() != "PutEvents" || !down.load(Ordering::SeqCst) {
                    return Action::Forward;
                }
                Action::Fail([Fault::ServerError, Fault::ConnectionReset, Fault::Throttled][i % 3])
            })
        },
        after: Box::new(|_| {}),
        recover: {
            let down = Arc::clone(&down_long);
            Box::new(move || down.store(false, Ordering::SeqCst))
        },
    };

    // 3. Single entries failing: every 10th twice (the publisher's retries heal it), every
    // 15th six times (a stream retry is needed), one until the bus recovers (redriven).
    let budgets: Arc<Mutex<HashMap<String, u32>>> = Arc::new(Mutex::new(
        event_ids
            .iter()
            .enumerate()
            .filter_map(|(k, id)| {
                let budget = match k {
                    50 => u32::MAX,
                    k if k % 15 == 4 => 6,
                    k if k % 10 == 1 => 2,
                    _ => return None,
                };
                Some((id.clone(), budget))
            })
            .collect(),
    ));
    let calls = Arc::new(AtomicU32::new(0));
    let partial = Run {
        name: "single entries failing",
        plan: {
            let budgets = Arc::clone(&budgets);
            Box::new(move |_, request: &Request| {
                if request.operation() != "PutEvents" {
                    return Action::Forward;
                }
                let mut budgets = budgets.lock().unwrap_or_else(PoisonError::into_inner);
                let indexes: Vec<usize> = entry_ids(&request.json())
                    .iter()
                    .enumerate()
                    .filter_map(|(j, id)| {
                        let left = budgets.get_mut(id)?;
                        if *left == 0 {
                            return None;
                        }
                        *left = left.saturating_sub(1);
                        Some(j)
                    })
                    .collect();
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if indexes.is_empty() {
                    Action::Forward
                } else {
                    let code = ["InternalFailure", "ThrottlingException"][(n % 2) as usize];
                    Action::FailEntries {
                        indexes,
                        code: code.to_owned(),
                    }
                }
            })
        },
        after: Box::new(|_| {}),
        recover: {
            let budgets = Arc::clone(&budgets);
            Box::new(move || {
                budgets
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear()
            })
        },
    };

    let (a, b, c) = tokio::join!(
        relay_run(&sdk, &proxy, &records, &event_ids, short_outage),
        relay_run(&sdk, &proxy, &records, &event_ids, long_outage),
        relay_run(&sdk, &proxy, &records, &event_ids, partial),
    );
    let mut lost = 0;
    for (name, f) in [
        ("bus down for three invocations", &a),
        ("bus down past the stream's retries", &b),
        ("single entries failing", &c),
    ] {
        lost += f.lost;
        eprintln!(
            "  {name}: events committed {}, delivered {}, lost {}, duplicated {} (lost answers \
             {}, stream retries {}, redrive {}); faults injected {}, invocations {}, batch \
             retries {}, batches dead-lettered and redriven {}",
            f.committed,
            f.delivered,
            f.lost,
            f.duplicates,
            f.from_lost_answers,
            f.from_stream_retries,
            f.from_redrive,
            f.faults,
            f.invocations,
            f.retries,
            f.dead_lettered
        );
    }
    eprintln!(
        "eventbridge faults: events committed {} x 3 runs, lost {lost}, duplicated {}; {:.1}s",
        event_ids.len(),
        a.duplicates + b.duplicates + c.duplicates,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(lost, 0, "every committed event reaches the bus");
    for f in [&a, &b, &c] {
        assert_eq!(
            f.from_stream_retries, 0,
            "a batch handed over again does not publish its delivered records again"
        );
    }
    assert!(
        b.dead_lettered > 0,
        "the long outage outlasts the stream's retries"
    );
    assert!(
        c.dead_lettered > 0,
        "the poisoned entry outlasts the stream's retries"
    );
}
