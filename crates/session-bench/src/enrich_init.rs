//! The first login's lazy work: the device parser compiles its uap-core rules on first use, so
//! the first login of a fresh function process pays for it (the rest of a cold start does not).
//! Measured in fresh processes: this binary runs itself once per sample.

use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use session_enrich::DeviceParser;

use crate::stats::median;
use crate::{BoxError, fixtures, procfs};

/// One fresh process's figures.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Sample {
    /// Compiling the rules (`DeviceParser::warm_up`), first call in the process.
    pub compile_ms: f64,
    /// One parse once compiled.
    pub parse_us: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

/// Measures this process (call first thing in a fresh process).
pub fn child() -> Result<Sample, BoxError> {
    let pid = std::process::id();
    let rss_before_kib = procfs::peak_rss_kib(pid)?;
    let parser = DeviceParser::new();
    let started = Instant::now();
    if !parser.warm_up() {
        return Err("the device parser's rules did not load".into());
    }
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let parsed = parser.parse(fixtures::USER_AGENT);
    let parse_us = started.elapsed().as_secs_f64() * 1e6;
    std::hint::black_box(parsed);
    Ok(Sample {
        compile_ms,
        parse_us,
        rss_before_kib,
        rss_after_kib: procfs::peak_rss_kib(pid)?,
    })
}

/// Runs `runs` fresh child processes of this binary and summarises them as a markdown table.
pub fn measure(runs: usize) -> Result<String, BoxError> {
    let exe = std::env::current_exe()?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let output = Command::new(&exe)
            .args(["enrich-init", "--child"])
            .output()?;
        if !output.status.success() {
            return Err(format!(
                "enrich-init child failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        samples.push(serde_json::from_slice::<Sample>(&output.stdout)?);
    }
    let mut compile: Vec<f64> = samples.iter().map(|s| s.compile_ms).collect();
    let mut parse: Vec<f64> = samples.iter().map(|s| s.parse_us).collect();
    let mut grown: Vec<f64> = samples
        .iter()
        .map(|s| s.rss_after_kib.saturating_sub(s.rss_before_kib) as f64 / 1024.0)
        .collect();
    Ok(format!(
        "| fresh processes | compile the uap-core rules (first use), p50 | one parse afterwards, p50 | peak RSS added |\n\
         |---:|---:|---:|---:|\n\
         | {runs} | {:.1} ms | {:.1} us | {:.1} MiB |\n",
        median(&mut compile),
        median(&mut parse),
        median(&mut grown),
    ))
}
