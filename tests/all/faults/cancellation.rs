//! Commands cut off mid-way (their task aborted, as when a Lambda times out or a client goes
//! away): at every request boundary, both before the request was sent and after it was executed
//! but before its answer arrived, and at times spread over the command's run. What is stored
//! must be one of the states a run without faults passes through; for a cut at a boundary,
//! exactly the one the cut implies. A revoke-all cut between its chunks leaves its Attempted
//! event without an outcome (counted as "open revoke-all") and its continuation: after every cut
//! has run, the sweep (docs/0046) must finish each one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::commands::{Bench, NO_TIMEOUT, Reference, scenarios, send, spawn_call};
use super::proxy::Action;
use super::state::{self, Case, Outcome};
use session_core::use_cases::REVOKE_ALL_LEASE;

const PARALLEL_CASES: usize = 8;

/// Cuts at given times, per command.
const TIMED_CUTS: u32 = 8;

#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Before request `n` is sent: the state is the one after request `n - 1`.
    Before(usize),
    /// After request `n` was executed, before its answer reached the command.
    After(usize),
    /// After this long.
    At(Duration),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_cut_off_anywhere_leaves_no_partial_state() {
    let Some(bench) = Bench::new().await else {
        return;
    };
    let started = Instant::now();
    let mut work = Vec::new();
    let mut sweep_at = None;
    for scenario in scenarios() {
        let reference = Arc::new(bench.reference(&scenario).await);
        sweep_at = sweep_at.max(Some(
            reference.now + REVOKE_ALL_LEASE + chrono::Duration::seconds(1),
        ));
        // A control run without faults: a copy of the starting state ends exactly as the
        // reference did, and takes about this long.
        let (case, api) = bench.prepare(&reference, 1, NO_TIMEOUT).await;
        let _plan = bench
            .proxy
            .arm(&case.header(), Box::new(|_, _| Action::Forward));
        let timer = Instant::now();
        let reply = send(&api, &case.user, &bench.call_for(&reference, &case)).await;
        let took = timer.elapsed();
        assert_eq!(
            reply.status.as_u16(),
            reference.status,
            "{}",
            reference.name
        );
        let post = bench.state_of(&reference, &case).await;
        assert_eq!(
            Some(&post),
            reference.checkpoints.last(),
            "{}: a control run must store what the reference stored: {}",
            reference.name,
            state::diff(reference.checkpoints.last().expect("post"), &post)
        );
        for n in 0..reference.operations.len() {
            work.push((Arc::clone(&reference), Cut::Before(n)));
            work.push((Arc::clone(&reference), Cut::After(n)));
        }
        // Cuts in time, spread over one and a half times the control run's duration (the
        // cases run several at once, so commands take longer than the control run did).
        for i in 0..TIMED_CUTS {
            let at = took * (3 * i) / (2 * TIMED_CUTS) + Duration::from_micros(u64::from(53 * i));
            work.push((Arc::clone(&reference), Cut::At(at)));
        }
    }

    let cuts = work.len();
    let permits = Arc::new(Semaphore::new(PARALLEL_CASES));
    let mut tasks = JoinSet::new();
    for (reference, cut) in work {
        let bench = Arc::clone(&bench);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore");
            let result = cut_case(&bench, &reference, cut).await;
            (format!("{}: {cut:?}", reference.name), reference, result)
        });
    }
    let mut failures = Vec::new();
    let mut outcomes: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut open = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (what, reference, result) = joined.expect("case task");
        match result {
            Ok((outcome, case)) => {
                *outcomes.entry(outcome).or_default() += 1;
                if outcome == Outcome::OpenRevokeAll {
                    open.push((reference, case));
                }
            }
            Err(error) => failures.push(format!("{what}: {error}")),
        }
    }
    // Every cut has run: the sweep finishes the revoke-alls left open.
    let unfinished = bench
        .sweep_and_check(sweep_at.expect("scenarios"), &open)
        .await;
    eprintln!(
        "cancellations: {cuts}, partial states: {} (unchanged {}, committed {}, between chunks \
         {}, open revoke-all {}, without an outcome after the sweep {}); {:.1}s",
        failures.len(),
        outcomes.get(&Outcome::Unchanged).unwrap_or(&0),
        outcomes.get(&Outcome::Committed).unwrap_or(&0),
        outcomes.get(&Outcome::BetweenChunks).unwrap_or(&0),
        outcomes.get(&Outcome::OpenRevokeAll).unwrap_or(&0),
        unfinished.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        failures.is_empty(),
        "{} of {cuts} cuts left a partial state:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        unfinished.is_empty(),
        "{} revoke-alls cut off are not finished by the sweep:\n{}",
        unfinished.len(),
        unfinished.join("\n")
    );
}

async fn cut_case(
    bench: &Bench,
    reference: &Reference,
    cut: Cut,
) -> Result<(Outcome, Case), String> {
    let (case, api) = bench.prepare(reference, 1, NO_TIMEOUT).await;
    let pause_at = match cut {
        Cut::Before(n) => Some((n, false)),
        Cut::After(n) => Some((n, true)),
        Cut::At(_) => None,
    };
    let mut pauses = bench.proxy.arm(
        &case.header(),
        Box::new(move |i, _| match pause_at {
            Some((n, forwarded)) if i == n => Action::Pause { forwarded },
            _ => Action::Forward,
        }),
    );
    let call = bench.call_for(reference, &case);
    let command = spawn_call(api, &case.user, &call);
    let expected = match cut {
        Cut::Before(n) | Cut::After(n) => {
            let paused = tokio::time::timeout(Duration::from_secs(30), pauses.recv())
                .await
                .map_err(|_| "the command never reached the cut".to_owned())?
                .ok_or("no pause")?;
            if paused.index != n || paused.operation != reference.operations[n] {
                return Err(format!(
                    "paused at {} ({}) instead of {n}",
                    paused.index, paused.operation
                ));
            }
            command.abort();
            let _ = command.await;
            drop(paused);
            Some(match cut {
                Cut::After(n) => n + 1,
                _ => n,
            })
        }
        Cut::At(after) => {
            tokio::time::sleep(after).await;
            command.abort();
            let _ = command.await;
            None
        }
    };
    bench.proxy.settle(&case.header()).await;
    let state = bench.state_of(reference, &case).await;
    let outcome = state::classify(&state, &reference.checkpoints)?;
    if let Some(index) = expected
        && state != reference.checkpoints[index]
    {
        return Err(format!(
            "expected the state after {index} requests: {}",
            state::diff(&reference.checkpoints[index], &state)
        ));
    }
    Ok((outcome, case))
}
