//! A store slower than a request's deadline (docs/0044): for a few commands and each request on
//! their path, that request is held by the proxy far past the deadline (as a DynamoDB brown-out
//! would); the API answers 503 `deadline_exceeded` with a `Retry-After` within the budget, and
//! the table holds exactly the state before the held request (the client gave up, so the proxy
//! never sends it): nothing is half-written. A deadline that passed before the command started
//! sends no request at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use session_api::Api;
use session_core::Deadline;
use session_dynamodb::DynamoStore;
use session_tests::event_contracts::CheckedStore;
use tokio::task::JoinSet;

use super::commands::{Bench, NO_TIMEOUT, Reference, scenarios, send_as};
use super::proxy::Action;

/// The request's budget.
const BUDGET: Duration = Duration::from_millis(400);
/// How long the slow request is held: far past the budget.
const HELD: Duration = Duration::from_secs(5);
/// How late after the budget the answer may come (a busy machine's scheduling).
const SLACK: Duration = Duration::from_millis(400);

/// Commands with reads and writes, one commit or several.
const COMMANDS: [&str; 3] = ["create with an eviction", "revoke one", "revoke all others"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_slower_than_the_deadline_gives_503_in_time_and_no_partial_state() {
    let Some(bench) = Bench::new().await else {
        return;
    };
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for scenario in scenarios()
        .into_iter()
        .filter(|s| COMMANDS.contains(&s.name))
    {
        let reference = Arc::new(bench.reference(&scenario).await);
        for position in 0..reference.operations.len() {
            let bench = Arc::clone(&bench);
            let reference = Arc::clone(&reference);
            tasks.spawn(async move {
                let result = held_case(&bench, &reference, position).await;
                (reference.name, position, result)
            });
        }
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut slowest = Duration::ZERO;
    while let Some(joined) = tasks.join_next().await {
        let (name, position, result) = joined.expect("case task");
        cases += 1;
        match result {
            Ok(took) => slowest = slowest.max(took),
            Err(error) => failures.push(format!("{name}, request {position} held: {error}")),
        }
    }
    eprintln!(
        "slow store: {cases} cases, budget {BUDGET:?}, slowest answer {slowest:?}, {} failed, \
         total {:.1}s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(cases >= COMMANDS.len(), "every command ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `reference`'s command with its request `position` held; the time to the answer.
async fn held_case(
    bench: &Bench,
    reference: &Reference,
    position: usize,
) -> Result<Duration, String> {
    let (case, api) = bench.prepare(reference, 1, NO_TIMEOUT).await;
    let _pauses = bench.proxy.arm(
        &case.header(),
        Box::new(move |i, _| {
            if i == position {
                Action::Delay(HELD)
            } else {
                Action::Forward
            }
        }),
    );
    let call = bench.call_for(reference, &case);
    let timer = Instant::now();
    let reply = send_as(
        &api,
        &case.user,
        &call,
        "deadline-test",
        Some(Deadline::after(BUDGET)),
    )
    .await;
    let took = timer.elapsed();
    bench.proxy.settle(&case.header()).await;
    reply.retry_later_with("deadline_exceeded")?;
    if took > BUDGET + SLACK {
        return Err(format!("answered after {took:?}, budget {BUDGET:?}"));
    }
    let log = bench.proxy.log(&case.header());
    if log.injected != 1 {
        return Err(format!(
            "the held request was not reached: {:?}",
            log.operations
        ));
    }
    if log.forwarded.iter().any(|f| f.index >= position) {
        return Err(format!(
            "a request at or after the held one reached the store: {:?}",
            log.forwarded.iter().map(|f| f.index).collect::<Vec<_>>()
        ));
    }
    let state = bench.state_of(reference, &case).await;
    if state != reference.checkpoints[position] {
        return Err(format!(
            "the table is not in the state before request {position}: {state:#?}"
        ));
    }
    Ok(took)
}

/// A deadline already passed when the command starts: 503 at once, and no request is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passed_deadline_sends_nothing_to_the_store() {
    let Some(bench) = Bench::new().await else {
        return;
    };
    let scenario = scenarios()
        .into_iter()
        .find(|s| s.name == "create")
        .expect("scenario");
    let reference = bench.reference(&scenario).await;
    let (case, api): (_, Api<CheckedStore<DynamoStore>>) =
        bench.prepare(&reference, 1, NO_TIMEOUT).await;
    let call = bench.call_for(&reference, &case);
    let reply = send_as(
        &api,
        &case.user,
        &call,
        "deadline-passed",
        Some(Deadline::after(Duration::ZERO)),
    )
    .await;
    reply.retry_later_with("deadline_exceeded").unwrap();
    bench.proxy.settle(&case.header()).await;
    assert_eq!(
        bench.proxy.log(&case.header()).operations,
        Vec::<String>::new()
    );
    assert_eq!(
        bench.state_of(&reference, &case).await,
        reference.checkpoints[0]
    );
}
