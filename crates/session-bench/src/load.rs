//! Throughput of `session-local` (embedded store): a closed-loop load generator over raw
//! HTTP/1.1 keep-alive connections on loopback. Each connection sends one request, reads the whole
//! response, and sends the next; requests are prebuilt so the client spends its time in the
//! socket calls. Bounded by a request count and a duration.
//!
//! The server is the release `session-local` binary, spawned as its own process, so its CPU time
//! can be read from /proc and set against the requests it served.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use session_core::ids::{SessionId, UserId};
use session_local::JwtSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::stats::{Summary, fmt_us};
use crate::{BoxError, fixtures, procfs};

/// Longest response head accepted; ours are a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Status and (when asked for) body of one response.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub body_len: usize,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Result<Self, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        // Requests are written whole; Nagle would only add delay.
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8 * 1024),
        })
    }

    /// Sends `request` (a complete HTTP/1.1 message) and reads the response. The body is copied
    /// out only when `keep_body`, so the measuring loop does not allocate for it.
    pub async fn send(&mut self, request: &[u8], keep_body: bool) -> Result<Reply, BoxError> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((status, head, len)) = parse_head(&self.buf)? {
                while self.buf.len() < head + len {
                    self.fill().await?;
                }
                let body = if keep_body {
                    self.buf[head..head + len].to_vec()
                } else {
                    Vec::new()
                };
                self.buf.drain(..head + len);
                return Ok(Reply {
                    status,
                    body,
                    body_len: len,
                });
            }
            if self.buf.len() > MAX_HEAD {
                return Err("response head too large".into());
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), BoxError> {
        let mut chunk = [0u8; 8 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// (status, head length, body length) once the head is complete.
fn parse_head(buf: &[u8]) -> Result<Option<(u16, usize, usize)>, BoxError> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(buf)? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    let status = response.code.unwrap_or(0);
    let mut length = None;
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(std::str::from_utf8(h.value)?.trim().parse::<usize>()?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("chunked responses are not supported by this client".into());
        }
    }
    let length = match (length, status) {
        (Some(n), _) => n,
        (None, 204 | 304) => 0,
        (None, _) => return Err(format!("status {status} without content-length").into()),
    };
    Ok(Some((status, head, length)))
}

/// A complete request message.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        out.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// The spawned server; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl Server {
    /// Starts `binary` on a free loopback port with `RUST_LOG=rust_log`, waits until it accepts
    /// connections. Its logs (stderr) and events (a file) are discarded: only their cost counts.
    pub async fn start(
        binary: &PathBuf,
        rust_log: &str,
        scratch: &PathBuf,
    ) -> Result<Self, BoxError> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        std::fs::create_dir_all(scratch)?;
        let events = scratch.join("session-local-events.jsonl");
        let child = Command::new(binary)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--events-file")
            .arg(&events)
            .env("RUST_LOG", rust_log)
            .env_remove("SESSION_LOCAL_JWT_SECRET")
            .env_remove("SESSION_POLICY_JSON")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).await.is_err() {
            if Instant::now() > deadline {
                return Err(
                    format!("{} did not listen on {addr} within 30 s", binary.display()).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self { child, addr, pid })
    }

    pub async fn stop(mut self) {
        // Ending the benchmark's own child; an error means it is already gone.
        let _ = self.child.kill().await;
    }
}

/// A port the kernel just handed out; the server binds it right after.
pub fn free_port() -> Result<u16, BoxError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Users, sessions and tokens created on the server before measuring.
pub struct Seeded {
    pub sessions: Vec<(UserId, SessionId, String)>,
    pub per_user: usize,
}

/// Registers `users` pro-tier users with `per_user` sessions each, through the API.
pub async fn seed(addr: SocketAddr, users: usize, per_user: usize) -> Result<Seeded, BoxError> {
    let mut conn = Conn::open(addr).await?;
    let secret = JwtSecret::dev_default();
    let mut sessions = Vec::with_capacity(users * per_user);
    for u in 0..users {
        let user_id = fixtures::user(&format!("load-user-{u:05}"))?;
        let reply = conn
            .send(
                &request(
                    "PUT",
                    &format!("/internal/users/{user_id}/session-policy"),
                    &[],
                    r#"{"tier":"pro"}"#,
                ),
                true,
            )
            .await?;
        if reply.status != 200 {
            return Err(format!("seeding: set policy answered {}", reply.status).into());
        }
        for n in 0..per_user {
            let body = serde_json::json!({
                "user_id": user_id.as_str(),
                "ip_address": fixtures::ip(n).to_string(),
                "user_agent": fixtures::USER_AGENT,
            })
            .to_string();
            let reply = conn
                .send(&request("POST", "/internal/sessions", &[], &body), true)
                .await?;
            if reply.status != 201 {
                return Err(format!("seeding: create answered {}", reply.status).into());
            }
            let created: serde_json::Value = serde_json::from_slice(&reply.body)?;
            let id: SessionId = created["session_id"]
                .as_str()
                .ok_or("seeding: no session_id in the create response")?
                .parse()?;
            let token =
                session_local::token::mint(&secret, &user_id, id, Duration::from_secs(3600))?;
            sessions.push((user_id.clone(), id, token));
        }
    }
    Ok(Seeded { sessions, per_user })
}

/// What one route is loaded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /internal/sessions/{id}/validity` (internal, no token).
    Validate,
    /// `GET /sessions/{id}` with the owner's bearer token (JWT check + session check + read).
    Get,
    /// `GET /sessions` with a bearer token: one page of the user's sessions.
    List,
}

impl Route {
    pub fn label(self) -> &'static str {
        match self {
            Self::Validate => "validate `GET /internal/sessions/{id}/validity`",
            Self::Get => "get `GET /sessions/{id}` (bearer)",
            Self::List => "list `GET /sessions` (bearer)",
        }
    }

    fn requests(self, seeded: &Seeded) -> Vec<Vec<u8>> {
        let bearer = |token: &str| format!("Bearer {token}");
        match self {
            Self::Validate => seeded
                .sessions
                .iter()
                .map(|(_, id, _)| {
                    request("GET", &format!("/internal/sessions/{id}/validity"), &[], "")
                })
                .collect(),
            Self::Get => seeded
                .sessions
                .iter()
                .map(|(_, id, token)| {
                    request(
                        "GET",
                        &format!("/sessions/{id}"),
                        &[("authorization", &bearer(token))],
                        "",
                    )
                })
                .collect(),
            Self::List => seeded
                .sessions
                .iter()
                .step_by(seeded.per_user.max(1))
                .map(|(_, _, token)| {
                    request(
                        "GET",
                        "/sessions?active_only=true",
                        &[("authorization", &bearer(token))],
                        "",
                    )
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub max_requests: u64,
}

/// The outcome of loading one route.
#[derive(Clone, Debug)]
pub struct RouteResult {
    pub route: Route,
    pub connections: usize,
    pub requests: u64,
    pub non_2xx: u64,
    pub elapsed: Duration,
    pub latency: Summary,
    pub server_cpu: Duration,
    pub client_cpu: Duration,
    pub mean_body_bytes: f64,
}

impl RouteResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Server CPU per request, in microseconds: the figure least disturbed by a noisy machine.
    pub fn server_cpu_us(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }

    pub fn client_cpu_us(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }
}

/// Loads `route` on `server` with `settings.connections` connections: a warm-up, then the
/// measured phase, which ends at `duration` or `max_requests`, whichever comes first.
pub async fn run_route(
    server: &Server,
    seeded: &Seeded,
    route: Route,
    settings: &Settings,
) -> Result<RouteResult, BoxError> {
    let requests = Arc::new(route.requests(seeded));
    let mut conns = Vec::with_capacity(settings.connections);
    for _ in 0..settings.connections {
        conns.push(Conn::open(server.addr).await?);
    }
    let (conns, _, _) = phase(conns, &requests, settings.warmup, u64::MAX, false).await?;

    let server_before = procfs::cpu_time(server.pid)?;
    let client_before = procfs::own_cpu_time()?;
    let started = Instant::now();
    let (_, mut latencies, stats) = phase(
        conns,
        &requests,
        settings.duration,
        settings.max_requests,
        true,
    )
    .await?;
    let elapsed = started.elapsed();
    let server_cpu = procfs::cpu_time(server.pid)?.saturating_sub(server_before);
    let client_cpu = procfs::own_cpu_time()?.saturating_sub(client_before);
    Ok(RouteResult {
        route,
        connections: settings.connections,
        requests: latencies.len() as u64,
        non_2xx: stats.non_2xx,
        elapsed,
        latency: Summary::of(&mut latencies),
        server_cpu,
        client_cpu,
        mean_body_bytes: stats.body_bytes as f64 / stats.count.max(1) as f64,
    })
}

#[derive(Default)]
struct PhaseStats {
    non_2xx: u64,
    body_bytes: u64,
    count: u64,
}

/// Runs every connection in its own task until `length` passes or `max` requests were sent.
async fn phase(
    conns: Vec<Conn>,
    requests: &Arc<Vec<Vec<u8>>>,
    length: Duration,
    max: u64,
    record: bool,
) -> Result<(Vec<Conn>, Vec<Duration>, PhaseStats), BoxError> {
    let deadline = Instant::now() + length;
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(conns.len());
    for (k, mut conn) in conns.into_iter().enumerate() {
        let requests = Arc::clone(requests);
        let sent = Arc::clone(&sent);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut stats = PhaseStats::default();
            // Connections start at different requests so they do not walk the ids in step.
            let mut i = k * 7919;
            while Instant::now() < deadline && sent.fetch_add(1, Ordering::Relaxed) < max {
                let message = &requests[i % requests.len()];
                i += 1;
                let start = Instant::now();
                let reply = conn.send(message, false).await?;
                if record {
                    latencies.push(start.elapsed());
                }
                if !(200..300).contains(&reply.status) {
                    stats.non_2xx += 1;
                }
                stats.body_bytes += reply.body_len as u64;
                stats.count += 1;
            }
            Ok::<_, BoxError>((conn, latencies, stats))
        }));
    }
    let mut conns = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::new();
    let mut total = PhaseStats::default();
    for task in tasks {
        let (conn, l, s) = task.await??;
        conns.push(conn);
        latencies.extend(l);
        total.non_2xx += s.non_2xx;
        total.body_bytes += s.body_bytes;
        total.count += s.count;
    }
    Ok((conns, latencies, total))
}

/// A markdown table of results.
pub fn table(results: &[(String, RouteResult)]) -> String {
    let mut out = String::from(
        "| route | log level | conns | requests | non-2xx | req/s | p50 | p90 | p99 | max | server CPU/req | client CPU/req | body |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (log, r) in results {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.1} us | {:.1} us | {:.0} B |\n",
            r.route.label(),
            log,
            r.connections,
            r.requests,
            r.non_2xx,
            r.rps(),
            fmt_us(r.latency.p50_us),
            fmt_us(r.latency.p90_us),
            fmt_us(r.latency.p99_us),
            fmt_us(r.latency.max_us),
            r.server_cpu_us(),
            r.client_cpu_us(),
            r.mean_body_bytes,
        ));
    }
    out
}
