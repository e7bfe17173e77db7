//! Shared by the criterion benches: the quick configuration and a batched runner for commands
//! that change the store.
// A measurement tool: a runtime that cannot start is a reason to stop, loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tokio::runtime::Runtime;

/// Short warm-up and measurement so the whole suite runs in minutes; command-line flags
/// (`--warm-up-time`, `--measurement-time`, `--sample-size`) still override these.
pub fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .noise_threshold(0.05)
}

/// The runtime a Lambda function uses: one thread.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime")
}

/// Inputs prepared per chunk, outside the timed region.
const CHUNK: u64 = 512;

/// Times `routine` on a fresh input from `setup` per iteration; building the inputs and dropping
/// inputs and outputs happen outside the timed region (criterion's async `iter_batched_ref`
/// drops inputs inside it).
pub fn batched<I, O>(
    b: &mut criterion::Bencher<'_>,
    rt: &Runtime,
    setup: impl AsyncFn() -> I,
    routine: impl AsyncFn(&mut I) -> O,
) {
    b.iter_custom(|iters| {
        rt.block_on(async {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = (iters - done).min(CHUNK);
                let mut inputs = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    inputs.push(setup().await);
                }
                let mut outputs = Vec::with_capacity(n as usize);
                let start = Instant::now();
                for input in &mut inputs {
                    outputs.push(black_box(routine(input).await));
                }
                total += start.elapsed();
                drop(outputs);
                drop(inputs);
                done += n;
            }
            total
        })
    });
}
