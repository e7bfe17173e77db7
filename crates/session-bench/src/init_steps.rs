//! Where a function's init goes: the steps `session_lambda` runs before its first `next`, timed
//! one by one inside fresh processes that have a Lambda function's environment. The cold-start
//! table (`coldstart`) says how long init takes from outside; this says which step takes it.
//!
//! The child runs the same calls, in the same order and on the same single-threaded runtime, as
//! an HTTP function's entry point (`session_lambda::http_function`), plus the EventBridge client
//! the event relay adds. Everything before `main` (exec, dynamic loading) is not in these steps:
//! it is the part of init the cold-start table's floor shares.

use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use session_lambda::config::ProcessEnv;
use session_lambda::{telemetry, wiring};

use crate::BoxError;
use crate::functions::lambda_env;
use crate::stats::{median, p90};

/// One step of one fresh process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub micros: f64,
}

/// Steps named so are not init (and not in its sum): work the first request does.
const FIRST_REQUEST: &str = "(first request)";

/// Runs the init steps in this process (call in a fresh process) and returns their times.
pub fn child() -> Result<Vec<Step>, BoxError> {
    let mut steps = Vec::new();
    let mut timed = |name: &str, started: Instant| {
        steps.push(Step {
            name: name.to_owned(),
            micros: started.elapsed().as_secs_f64() * 1e6,
        });
    };
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    timed("tokio runtime (current thread)", started);

    let started = Instant::now();
    telemetry::init();
    timed("telemetry::init (JSON logs)", started);

    let started = Instant::now();
    let sdk = runtime.block_on(wiring::sdk_config(&ProcessEnv))?;
    timed("wiring::sdk_config", started);

    let started = Instant::now();
    let metrics = wiring::metrics(&ProcessEnv)?;
    timed("wiring::metrics (EMF namespace)", started);

    let started = Instant::now();
    let sessions = wiring::sessions(&sdk, &ProcessEnv, &metrics)?;
    timed("wiring::sessions (DynamoDB client, use cases)", started);

    let started = Instant::now();
    let api = session_api::Api::new(sessions);
    timed("Api::new", started);
    std::hint::black_box(&api);

    let started = Instant::now();
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    timed("EventBridge client (event-relay)", started);
    std::hint::black_box(&events);

    // Not init: what the first TLS handshake on AWS adds, the crypto library seeding its random
    // generator (aws-lc, with its CPU jitter entropy source as built) on first use.
    let started = Instant::now();
    let mut seed = [0u8; 32];
    aws_lc_rs::rand::fill(&mut seed).map_err(|_| "aws-lc gave no random bytes")?;
    timed(
        &format!("{FIRST_REQUEST} aws-lc's first random bytes"),
        started,
    );
    Ok(steps)
}

/// Runs `runs` fresh children with a Lambda function's environment plus `extra_env`, and
/// summarises each step (median and 90th percentile) as a markdown table.
pub fn measure(runs: usize, extra_env: &[(String, String)]) -> Result<String, BoxError> {
    let exe = std::env::current_exe()?;
    let mut env = lambda_env("init-steps");
    // Nothing is called: any table name does.
    env.insert("SESSIONS_TABLE".into(), "init-steps".into());
    env.extend(extra_env.iter().cloned());
    let mut by_step: Vec<(String, Vec<f64>)> = Vec::new();
    for _ in 0..runs {
        let output = Command::new(&exe)
            .args(["init-steps", "--child"])
            .env_clear()
            .envs(&env)
            .output()?;
        if !output.status.success() {
            return Err(format!(
                "init-steps child failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        for step in serde_json::from_slice::<Vec<Step>>(&output.stdout)? {
            match by_step.iter_mut().find(|(name, _)| *name == step.name) {
                Some((_, values)) => values.push(step.micros),
                None => by_step.push((step.name, vec![step.micros])),
            }
        }
    }
    Ok(table(runs, &mut by_step))
}

fn table(runs: usize, by_step: &mut [(String, Vec<f64>)]) -> String {
    let mut out = format!(
        "| step ({runs} fresh processes) | p50 | p90 |\n\
         |---|---:|---:|\n"
    );
    let mut total = 0.0;
    for (name, values) in by_step.iter_mut() {
        let p50 = median(values);
        if !name.starts_with(FIRST_REQUEST) {
            total += p50;
        }
        out.push_str(&format!(
            "| {name} | {:.2} ms | {:.2} ms |\n",
            p50 / 1e3,
            p90(values) / 1e3
        ));
    }
    out.push_str(&format!(
        "| init: sum of the medians | {:.2} ms | |\n",
        total / 1e3
    ));
    out
}
