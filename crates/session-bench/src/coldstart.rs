//! Cold start: a minimal local Lambda Runtime API (`/2018-06-01/runtime/invocation/next`,
//! `/invocation/{id}/response`, `/invocation/{id}/error`, `/init/error`) that starts a function
//! binary as a fresh process per run, the way a Lambda sandbox does, and measures
//!
//! - init: spawn -> the function's first `GET .../invocation/next` (everything `main` does before
//!   it can take an event, process start included);
//! - first invocation: event handed out -> response (or error) posted;
//! - peak RSS: VmHWM of the process once it has answered, read from /proc before it is killed;
//! - a second, warm invocation of the same event in the same process: the first invocation minus
//!   this one is what the cold path itself costs (connections, lazy initialisation).
//!
//! The floor is `hello-lambda` (a `lambda_runtime` echo function) built in the same run; functions
//! and floor are measured interleaved, run by run, so machine noise hits them alike.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, mpsc};

use crate::stats::{median, p90};
use crate::{BoxError, procfs};

/// What the Runtime API saw a function do.
#[derive(Debug)]
enum Report {
    /// The first `next` of the process; the event was handed out at `handed`.
    Next {
        at: Instant,
        handed: Instant,
    },
    Response {
        at: Instant,
        body: String,
    },
    Error {
        at: Instant,
        body: String,
    },
    InitError {
        body: String,
    },
}

/// An event a `next` call hands out (two per process: cold, then warm).
struct Pending {
    request_id: String,
    body: String,
}

struct Shared {
    pending: Mutex<VecDeque<Pending>>,
    reports: mpsc::UnboundedSender<Report>,
    /// Wakes nothing: a second `next` waits until the process is killed.
    never: Notify,
}

impl Shared {
    fn report(&self, report: Report) {
        // The receiver lives as long as the benchmark; a send error means it is shutting down.
        let _ = self.reports.send(report);
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let at = Instant::now();
    let pending = shared
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front();
    let Some(event) = pending else {
        // The function finished its invocations and asks for more: it stays parked here until
        // the benchmark kills it, as an idle sandbox would be frozen.
        shared.never.notified().await;
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    for (name, value) in [
        ("lambda-runtime-aws-request-id", event.request_id.clone()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let handed = Instant::now();
    shared.report(Report::Next { at, handed });
    (StatusCode::OK, headers, event.body).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    shared.report(Report::Response {
        at: Instant::now(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::ACCEPTED
}

/// Why an answer is not the work the benchmark meant to time: an HTTP function's 5xx (a store it
/// could not reach answers fast and would time nothing real) or a relay's failed records.
fn failed_answer(body: &str) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_str(body).ok()?;
    let status = answer.get("statusCode").and_then(serde_json::Value::as_u64);
    let failed_records = answer
        .get("batchItemFailures")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|failures| !failures.is_empty());
    (status.is_some_and(|s| s >= 500) || failed_records).then(|| format!("it answered {body}"))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    shared.report(Report::Error {
        at: Instant::now(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    shared.report(Report::InitError {
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::ACCEPTED
}

/// The local Runtime API, serving one function process at a time.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    reports: mpsc::UnboundedReceiver<Report>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> Result<Self, BoxError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            pending: Mutex::new(VecDeque::new()),
            reports: tx,
            never: Notify::new(),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("session-bench: the runtime API stopped: {error}");
            }
        });
        Ok(Self {
            addr,
            shared,
            reports: rx,
            server,
        })
    }

    /// Starts `function` as a fresh process, hands it `event` twice (cold, then warm), and
    /// measures it.
    pub async fn run_once(&mut self, function: &Function, run: usize) -> Result<Sample, BoxError> {
        while self.reports.try_recv().is_ok() {}
        {
            let mut pending = self
                .shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            pending.clear();
            for n in 0..2 {
                pending.push_back(Pending {
                    request_id: format!("bench-{}-{run}-{n}", function.name),
                    body: function.event.clone(),
                });
            }
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&function.log)?;
        let mut command = tokio::process::Command::new(&function.binary);
        command
            .env_clear()
            .envs(&function.env)
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", function.binary.display()))?;
        let pid = child.id().ok_or("the function exited at once")?;
        let timeout = Duration::from_secs(30);
        let mut nexts: Vec<(Instant, Instant)> = Vec::new();
        let mut responses: Vec<Instant> = Vec::new();
        let mut peak_rss = None;
        let outcome = loop {
            let report = tokio::time::timeout(timeout, self.reports.recv()).await;
            match report {
                Ok(Some(Report::Next { at, handed })) => nexts.push((at, handed)),
                Ok(Some(Report::Response { at, body })) => {
                    if let Some(failure) = failed_answer(&body) {
                        break Err(failure);
                    }
                    responses.push(at);
                    if responses.len() == 1 {
                        // Peak memory through init and the first invocation.
                        peak_rss = procfs::peak_rss_kib(pid).ok();
                    }
                    if responses.len() == 2 {
                        break Ok(());
                    }
                }
                Ok(Some(Report::Error { at, body })) => {
                    break Err(format!(
                        "the invocation failed after {:?}: {body}",
                        at.duration_since(spawned)
                    ));
                }
                Ok(Some(Report::InitError { body })) => break Err(format!("init failed: {body}")),
                Ok(None) => break Err("the runtime API stopped".to_owned()),
                Err(_) => break Err(format!("no response within {timeout:?}")),
            }
        };
        // The benchmark's own child, by its handle.
        let _ = child.kill().await;
        outcome.map_err(|e| format!("{}: {e} (log: {})", function.name, function.log.display()))?;
        let (Some(&(first_next, first_handed)), Some(&(_, warm_handed))) =
            (nexts.first(), nexts.get(1))
        else {
            return Err("a response came before its `next`".into());
        };
        Ok(Sample {
            init: first_next.duration_since(spawned),
            first_invocation: responses[0].duration_since(first_handed),
            warm_invocation: responses[1].duration_since(warm_handed),
            peak_rss_kib: peak_rss,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A function binary, its environment and the event of its first invocation.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub binary: PathBuf,
    pub env: HashMap<String, String>,
    pub event: String,
    pub log: PathBuf,
}

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub init: Duration,
    pub first_invocation: Duration,
    pub warm_invocation: Duration,
    pub peak_rss_kib: Option<u64>,
}

/// All samples of one function.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub samples: Vec<Sample>,
    pub failures: Vec<String>,
}

impl Series {
    fn ms(&self, f: impl Fn(&Sample) -> Duration) -> Vec<f64> {
        self.samples
            .iter()
            .map(|s| f(s).as_secs_f64() * 1e3)
            .collect()
    }

    pub fn init_p50(&self) -> f64 {
        median(&mut self.ms(|s| s.init))
    }

    pub fn init_p90(&self) -> f64 {
        p90(&mut self.ms(|s| s.init))
    }

    pub fn first_p50(&self) -> f64 {
        median(&mut self.ms(|s| s.first_invocation))
    }

    pub fn first_p90(&self) -> f64 {
        p90(&mut self.ms(|s| s.first_invocation))
    }

    pub fn warm_p50(&self) -> f64 {
        median(&mut self.ms(|s| s.warm_invocation))
    }

    pub fn rss_p50_mib(&self) -> f64 {
        let mut v: Vec<f64> = self
            .samples
            .iter()
            .filter_map(|s| s.peak_rss_kib)
            .map(|k| k as f64 / 1024.0)
            .collect();
        median(&mut v)
    }

    pub fn rss_max_mib(&self) -> f64 {
        self.samples
            .iter()
            .filter_map(|s| s.peak_rss_kib)
            .max()
            .map_or(0.0, |k| k as f64 / 1024.0)
    }
}

/// Runs every function `runs` times, interleaved (run 1 of each, then run 2 of each, ...), after
/// one unmeasured run each that warms the page cache.
pub async fn measure(functions: &[Function], runs: usize) -> Result<Vec<Series>, BoxError> {
    let mut api = RuntimeApi::start().await?;
    let mut series: Vec<Series> = functions
        .iter()
        .map(|f| Series {
            name: f.name.clone(),
            samples: Vec::new(),
            failures: Vec::new(),
        })
        .collect();
    for f in functions {
        // A function that cannot even start once is a setup problem: stop and say why.
        api.run_once(f, 0).await?;
    }
    for run in 1..=runs {
        for (f, s) in functions.iter().zip(series.iter_mut()) {
            match api.run_once(f, run).await {
                Ok(sample) => s.samples.push(sample),
                Err(e) => s.failures.push(e.to_string()),
            }
        }
    }
    Ok(series)
}

/// The cold-start table; the first series is the floor.
pub fn table(series: &[Series]) -> String {
    let Some(floor) = series.first() else {
        return String::new();
    };
    let floor_init = floor.init_p50();
    let mut out = String::from(
        "| function | runs | init p50 | init p90 | init / floor | init - floor | target (<= 2x or <= +10 ms) | first invocation p50 | first invocation p90 | warm invocation p50 | peak RSS p50 (max) |\n\
         |---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n",
    );
    for s in series {
        let init = s.init_p50();
        let ratio = init / floor_init;
        let delta = init - floor_init;
        let verdict = if s.name == floor.name {
            "floor".to_owned()
        } else if s.samples.is_empty() {
            "FAILED".to_owned()
        } else if ratio <= 2.0 || delta <= 10.0 {
            "met".to_owned()
        } else {
            "MISSED".to_owned()
        };
        out.push_str(&format!(
            "| {}{} | {} | {:.2} ms | {:.2} ms | {:.2}x | {:+.2} ms | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} MiB ({:.1}) |\n",
            s.name,
            if s.failures.is_empty() { String::new() } else { format!(" ({} failed)", s.failures.len()) },
            s.samples.len(),
            init,
            s.init_p90(),
            ratio,
            delta,
            verdict,
            s.first_p50(),
            s.first_p90(),
            s.warm_p50(),
            s.rss_p50_mib(),
            s.rss_max_mib(),
        ));
    }
    out
}

/// The series whose names start with `prefix`, against the one named `base`, on what a first
/// invocation costs beyond the base's in the same run (e.g. enrichment on create-session's first
/// login). Besides the difference of the medians: the median of the run-by-run differences (runs
/// are interleaved, so run k of both happened moments apart under the same machine load) and the
/// difference of the minimums (the cost with the least interference). Empty when `base` was not
/// measured.
pub fn versus(series: &[Series], prefix: &str, base: &str) -> String {
    let Some(b) = series
        .iter()
        .find(|s| s.name == base && !s.samples.is_empty())
    else {
        return String::new();
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let first_min = |s: &Series| {
        s.samples
            .iter()
            .map(|x| ms(x.first_invocation))
            .fold(f64::INFINITY, f64::min)
    };
    let mut out = format!(
        "| {prefix}* | first invocation p50 (min) | - {base}: p50 | run-by-run p50 | min | warm invocation p50 | peak RSS p50 (max) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n"
    );
    for s in series
        .iter()
        .filter(|s| s.name.starts_with(prefix) && !s.samples.is_empty())
    {
        // Samples of failed runs are missing, so pair runs by position only when none failed.
        let paired = if s.samples.len() == b.samples.len() {
            let mut d: Vec<f64> = s
                .samples
                .iter()
                .zip(&b.samples)
                .map(|(x, y)| ms(x.first_invocation) - ms(y.first_invocation))
                .collect();
            format!("{:+.2} ms", median(&mut d))
        } else {
            "n/a (failed runs)".to_owned()
        };
        out.push_str(&format!(
            "| {} | {:.2} ms ({:.2}) | {:+.2} ms | {paired} | {:+.2} ms | {:.2} ms | {:.1} MiB ({:.1}) |\n",
            s.name,
            s.first_p50(),
            first_min(s),
            s.first_p50() - b.first_p50(),
            first_min(s) - first_min(b),
            s.warm_p50(),
            s.rss_p50_mib(),
            s.rss_max_mib(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::failed_answer;

    #[test]
    fn server_errors_and_failed_records_are_not_measured() {
        assert!(failed_answer(r#"{"statusCode":503,"body":"{}"}"#).is_some());
        assert!(failed_answer(r#"{"batchItemFailures":[{"itemIdentifier":"1"}]}"#).is_some());
        assert!(failed_answer(r#"{"statusCode":404,"body":"{}"}"#).is_none());
        assert!(failed_answer(r#"{"batchItemFailures":[]}"#).is_none());
        assert!(failed_answer(r#"{"isAuthorized":true}"#).is_none());
    }
}
