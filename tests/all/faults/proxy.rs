//! A small HTTP/1.1 fault proxy in front of a stand-in. The SDK talks to the proxy; for every
//! request a plan decides whether it is forwarded, answered with a real service error shape
//! (throttling, 500), left without an answer until the client gives up (a timeout), cut off
//! (a connection error), forwarded with its answer then lost, paused for the test (to cancel
//! the command there), or, for `PutEvents`, forwarded without some of its entries, which are
//! answered as failed.
//!
//! Faults are on the wire, so the SDK parses and classifies them exactly as it would real ones.
//! Requests name their case in the `x-fault-case` header (added by [`CaseHeader`] after
//! signing), so concurrent cases share one proxy and one connection pool without interfering.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

/// The header that names a request's case.
pub(crate) const CASE_HEADER: &str = "x-fault-case";

/// Longest request or response head accepted (the SDK's are well under 4 KiB).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long a held request (a timeout fault, a pause) waits for the client at most.
const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// One kind of failure of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Fault {
    /// The service's throttling error (for DynamoDB transactions: cancelled with
    /// `ThrottlingError`, as DynamoDB reports capacity per item).
    Throttled,
    /// HTTP 500 with the service's internal-error shape.
    ServerError,
    /// No answer: the request is held (never forwarded) until the client's attempt timeout.
    Timeout,
    /// The connection is closed after the request arrived, before it was forwarded.
    ConnectionReset,
    /// The request is forwarded and executed, then the connection is closed without its answer.
    ResponseLost,
}

impl Fault {
    pub(crate) const ALL: [Self; 5] = [
        Self::Throttled,
        Self::ServerError,
        Self::Timeout,
        Self::ConnectionReset,
        Self::ResponseLost,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::ServerError => "500",
            Self::Timeout => "timeout",
            Self::ConnectionReset => "connection reset",
            Self::ResponseLost => "response lost",
        }
    }
}

/// What the proxy does with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Forward,
    Fail(Fault),
    /// Tells the test (see [`FaultProxy::arm`]) and waits for it; `forwarded`: the request has
    /// already been executed upstream (its answer is withheld), otherwise it has not been sent.
    Pause {
        forwarded: bool,
    },
    /// A slow store: the request is held this long, then forwarded; if the client gives up
    /// first, it is never sent.
    Delay(Duration),
    /// Answered 400 with this DynamoDB error type (`AccessDeniedException`,
    /// `ValidationException`): a refusal that retrying never fixes. Never forwarded.
    Reject(&'static str),
    /// `PutEvents` only: these entries (by index) are taken out of the request and answered as
    /// failed with this error code; the others are forwarded.
    FailEntries {
        indexes: Vec<usize>,
        code: String,
    },
}

/// A request as the proxy received it.
#[derive(Debug)]
pub(crate) struct Request {
    head: String,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header(&self.head, name)
    }

    /// The operation, from the JSON protocols' `X-Amz-Target` (`DynamoDB_20120810.GetItem`).
    pub(crate) fn operation(&self) -> &str {
        self.header("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("unknown")
    }

    fn service(&self) -> Service {
        match self.header("x-amz-target") {
            Some(target) if target.starts_with("DynamoDB") => Service::DynamoDb,
            _ => Service::Other,
        }
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    DynamoDb,
    /// EventBridge (awsJson1_1, unprefixed error types).
    Other,
}

/// Decides the fate of a case's requests: `(index within the case, request) -> action`.
pub(crate) type Plan = Box<dyn FnMut(usize, &Request) -> Action + Send>;

/// A request held by an [`Action::Pause`]. Sending on `release` lets it go on; dropping it
/// abandons the request (the connection is closed; an unsent request is never sent).
#[derive(Debug)]
pub(crate) struct Paused {
    pub(crate) index: usize,
    pub(crate) operation: String,
    pub(crate) release: oneshot::Sender<()>,
}

/// What happened to one case's requests.
#[derive(Clone, Debug, Default)]
pub(crate) struct CaseLog {
    /// The operation of every request, in arrival order.
    pub(crate) operations: Vec<String>,
    /// Requests (or `PutEvents` entries) failed on purpose.
    pub(crate) injected: u32,
    /// Every request that reached the stand-in.
    pub(crate) forwarded: Vec<Forwarded>,
}

/// A request that reached the stand-in.
#[derive(Clone, Debug)]
pub(crate) struct Forwarded {
    /// The request's place among the case's requests.
    pub(crate) index: usize,
    pub(crate) operation: String,
    /// As sent (after any entries were taken out).
    pub(crate) body: Vec<u8>,
    /// Its answer never reached the client.
    pub(crate) answer_lost: bool,
    /// How long the stand-in took.
    pub(crate) took: Duration,
}

struct CaseState {
    plan: Plan,
    log: CaseLog,
    pauses: Option<mpsc::UnboundedSender<Paused>>,
    /// No more requests of this case reach the stand-in (see [`FaultProxy::settle`]).
    closed: bool,
    in_flight: usize,
}

struct Shared {
    upstream: SocketAddr,
    cases: Mutex<HashMap<String, CaseState>>,
    settled: Notify,
}

impl Shared {
    fn cases(&self) -> std::sync::MutexGuard<'_, HashMap<String, CaseState>> {
        self.cases.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The proxy: listening on a free loopback port until dropped.
pub(crate) struct FaultProxy {
    url: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// A proxy in front of `upstream_url` (`http://host:port`).
    pub(crate) async fn start(upstream_url: &str) -> Self {
        let authority = upstream_url
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let upstream = tokio::net::lookup_host(authority)
            .await
            .expect("stand-in address")
            .next()
            .expect("stand-in address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let shared = Arc::new(Shared {
            upstream,
            cases: Mutex::new(HashMap::new()),
            settled: Notify::new(),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Self {
            url,
            shared,
            accept,
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Gives `case` (the `x-fault-case` value; "" for requests without one) its plan, starting
    /// its request count afresh, and returns where its pauses are reported.
    pub(crate) fn arm(&self, case: &str, plan: Plan) -> mpsc::UnboundedReceiver<Paused> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.shared.cases().insert(
            case.to_owned(),
            CaseState {
                plan,
                log: CaseLog::default(),
                pauses: Some(tx),
                closed: false,
                in_flight: 0,
            },
        );
        rx
    }

    /// What happened to `case` so far.
    pub(crate) fn log(&self, case: &str) -> CaseLog {
        self.shared
            .cases()
            .get(case)
            .map(|state| state.log.clone())
            .unwrap_or_default()
    }

    /// Stops `case`'s requests from reaching the stand-in and waits until those already sent
    /// have been answered, so the stand-in's state no longer changes on the case's behalf.
    pub(crate) async fn settle(&self, case: &str) {
        loop {
            let notified = self.shared.settled.notified();
            {
                let mut cases = self.shared.cases();
                match cases.get_mut(case) {
                    Some(state) => {
                        state.closed = true;
                        if state.in_flight == 0 {
                            return;
                        }
                    }
                    None => return,
                }
            }
            notified.await;
        }
    }
}

/// The stand-in's answer to one request, re-framed with a Content-Length.
struct Response {
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.head.len() + self.body.len() + 32);
        out.extend_from_slice(self.head.as_bytes());
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve(Arc::clone(&shared), stream));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one client connection, request after request (HTTP/1.1 keep-alive).
async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let mut client = BufReader::new(stream);
    loop {
        let Ok(Some(mut request)) = read_request(&mut client).await else {
            return;
        };
        let case = request.header(CASE_HEADER).unwrap_or("").to_owned();
        let operation = request.operation().to_owned();
        let (index, action, pauses) = {
            let mut cases = shared.cases();
            let state = cases.entry(case.clone()).or_insert_with(|| CaseState {
                plan: Box::new(|_, _| Action::Forward),
                log: CaseLog::default(),
                pauses: None,
                closed: false,
                in_flight: 0,
            });
            let index = state.log.operations.len();
            state.log.operations.push(operation.clone());
            let action = (state.plan)(index, &request);
            match &action {
                Action::Fail(_) | Action::Delay(_) | Action::Reject(_) => state.log.injected += 1,
                Action::FailEntries { indexes, .. } => {
                    state.log.injected += u32::try_from(indexes.len()).unwrap_or(u32::MAX);
                }
                Action::Forward | Action::Pause { .. } => {}
            }
            (index, action, state.pauses.clone())
        };
        let answer = match action {
            Action::Forward => forward(&shared, &case, index, &request, false).await,
            Action::Fail(Fault::Throttled) => Some(throttled(&request)),
            Action::Fail(Fault::ServerError) => Some(server_error(&request)),
            Action::Fail(Fault::Timeout) => {
                wait_for_close(&mut client).await;
                return;
            }
            Action::Fail(Fault::ConnectionReset) => return,
            Action::Delay(delay) => {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = wait_for_close(&mut client) => return,
                }
                forward(&shared, &case, index, &request, false).await
            }
            Action::Reject(code) => Some(rejected(&request, code)),
            Action::Fail(Fault::ResponseLost) => {
                let _ = forward(&shared, &case, index, &request, true).await;
                return;
            }
            Action::Pause { forwarded } => {
                let early = if forwarded {
                    let Some(response) = forward(&shared, &case, index, &request, false).await
                    else {
                        return;
                    };
                    Some(response)
                } else {
                    None
                };
                let (release, released) = oneshot::channel();
                let paused = Paused {
                    index,
                    operation,
                    release,
                };
                if pauses.is_none_or(|p| p.send(paused).is_err()) {
                    return;
                }
                tokio::select! {
                    outcome = released => if outcome.is_err() { return },
                    () = wait_for_close(&mut client) => return,
                }
                match early {
                    Some(response) => Some(response),
                    None => forward(&shared, &case, index, &request, false).await,
                }
            }
            Action::FailEntries { indexes, code } => {
                fail_entries(&shared, &case, index, &mut request, &indexes, &code).await
            }
        };
        let Some(response) = answer else { return };
        if client.get_mut().write_all(&response.bytes()).await.is_err() {
            return;
        }
        if header(&response.head, "connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

/// Sends `request` to the stand-in on a fresh connection and reads its answer; `None` if the
/// case is settled (nothing is sent) or the stand-in could not be reached.
async fn forward(
    shared: &Shared,
    case: &str,
    index: usize,
    request: &Request,
    lost: bool,
) -> Option<Response> {
    {
        let mut cases = shared.cases();
        let state = cases.get_mut(case)?;
        if state.closed {
            return None;
        }
        state.in_flight += 1;
    }
    let started = std::time::Instant::now();
    let response = exchange(shared.upstream, request).await;
    {
        let mut cases = shared.cases();
        if let Some(state) = cases.get_mut(case) {
            state.in_flight -= 1;
            state.log.forwarded.push(Forwarded {
                index,
                operation: request.operation().to_owned(),
                body: request.body.clone(),
                answer_lost: lost || response.is_none(),
                took: started.elapsed(),
            });
        }
    }
    shared.settled.notify_waiters();
    response
}

async fn exchange(upstream: SocketAddr, request: &Request) -> Option<Response> {
    let stream = TcpStream::connect(upstream).await.ok()?;
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    let mut bytes = request.head.clone().into_bytes();
    bytes.extend_from_slice(format!("content-length: {}\r\n\r\n", request.body.len()).as_bytes());
    bytes.extend_from_slice(&request.body);
    stream.get_mut().write_all(&bytes).await.ok()?;
    read_response(&mut stream).await.ok()
}

/// A `PutEvents` with the chosen entries taken out and answered as failed, in place.
async fn fail_entries(
    shared: &Shared,
    case: &str,
    index: usize,
    request: &mut Request,
    indexes: &[usize],
    code: &str,
) -> Option<Response> {
    let mut body = request.json();
    let entries = body["Entries"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !indexes.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    let mut answered = if kept.is_empty() {
        Vec::new()
    } else {
        body["Entries"] = Value::Array(kept);
        request.body = serde_json::to_vec(&body).ok()?;
        let response = forward(shared, case, index, request, false).await?;
        if !response.head.contains(" 200 ") {
            return Some(response);
        }
        let answer: Value = serde_json::from_slice(&response.body).ok()?;
        answer["Entries"].as_array().cloned().unwrap_or_default()
    }
    .into_iter();
    let results: Vec<Value> = (0..entries.len())
        .map(|i| {
            if indexes.contains(&i) {
                json!({"ErrorCode": code, "ErrorMessage": "injected entry failure"})
            } else {
                answered.next().unwrap_or(Value::Null)
            }
        })
        .collect();
    let failed = results
        .iter()
        .filter(|r| r.get("ErrorCode").is_some())
        .count();
    let body = json!({"FailedEntryCount": failed, "Entries": results});
    Some(Response {
        head: "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\n".to_owned(),
        body: serde_json::to_vec(&body).ok()?,
    })
}

fn error_response(request: &Request, status: &str, body: Value) -> Response {
    let content_type = match request.service() {
        Service::DynamoDb => "application/x-amz-json-1.0",
        Service::Other => "application/x-amz-json-1.1",
    };
    Response {
        head: format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nx-amzn-requestid: fault-proxy\r\n"
        ),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// DynamoDB's and EventBridge's throttling answers. A DynamoDB transaction over capacity is
/// cancelled with one reason per item, `ThrottlingError` where capacity ran out.
fn throttled(request: &Request) -> Response {
    let body = match (request.service(), request.operation()) {
        (Service::DynamoDb, "TransactWriteItems") => {
            let items = request.json()["TransactItems"]
                .as_array()
                .map_or(1, Vec::len)
                .max(1);
            let reasons: Vec<Value> = (0..items)
                .map(|i| {
                    if i == items - 1 {
                        json!({"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly."})
                    } else {
                        json!({"Code": "None"})
                    }
                })
                .collect();
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]",
                "CancellationReasons": reasons,
            })
        }
        (Service::DynamoDb, _) => json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.",
        }),
        (Service::Other, _) => json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
    };
    error_response(request, "400 Bad Request", body)
}

/// DynamoDB's answer to a request it refuses for good (the error types of its API reference).
fn rejected(request: &Request, code: &str) -> Response {
    let body = json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": format!("injected {code}"),
    });
    error_response(request, "400 Bad Request", body)
}

fn server_error(request: &Request) -> Response {
    let body = match request.service() {
        Service::DynamoDb => json!({
            "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "message": "Internal server error",
        }),
        Service::Other => {
            json!({"__type": "InternalException", "message": "Internal service error"})
        }
    };
    error_response(request, "500 Internal Server Error", body)
}

/// Waits until the client closes its side (or the hold limit passes).
async fn wait_for_close<R: AsyncRead + Unpin>(client: &mut R) {
    let mut buf = [0u8; 512];
    let _ = tokio::time::timeout(HOLD_LIMIT, async {
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// Reads a message head up to its blank line; `None` at a clean end of stream.
async fn read_head<R: AsyncBufReadExt + Unpin>(stream: &mut R) -> std::io::Result<Option<String>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = stream.read_line(&mut line).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        if line == "\r\n" || line == "\n" {
            return Ok(Some(head));
        }
        head.push_str(line.trim_end_matches(['\r', '\n']));
        head.push_str("\r\n");
        if head.len() > MAX_HEAD_BYTES {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
}

/// The head without its framing headers (the body is re-framed with a Content-Length).
fn without_framing(head: &str) -> String {
    head.split("\r\n")
        .filter(|line| {
            let name = line.split(':').next().unwrap_or("").trim();
            !name.eq_ignore_ascii_case("content-length")
                && !name.eq_ignore_ascii_case("transfer-encoding")
        })
        .filter(|line| !line.is_empty())
        .map(|line| format!("{line}\r\n"))
        .collect()
}

async fn read_body<R: AsyncBufReadExt + Unpin>(
    stream: &mut R,
    head: &str,
    to_end: bool,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if header(head, "transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut trailer = String::new();
                    if stream.read_line(&mut trailer).await? == 0 || trailer.trim().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size, 0);
            stream.read_exact(&mut body[start..]).await?;
            let mut crlf = [0u8; 2];
            stream.read_exact(&mut crlf).await?;
        }
    } else if let Some(length) = header(head, "content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        body.resize(length, 0);
        stream.read_exact(&mut body).await?;
    } else if to_end {
        stream.read_to_end(&mut body).await?;
    }
    Ok(body)
}

async fn read_request<R: AsyncBufReadExt + Unpin>(
    stream: &mut R,
) -> std::io::Result<Option<Request>> {
    let Some(head) = read_head(stream).await? else {
        return Ok(None);
    };
    let body = read_body(stream, &head, false).await?;
    Ok(Some(Request {
        head: without_framing(&head),
        body,
    }))
}

async fn read_response<R: AsyncBufReadExt + Unpin>(stream: &mut R) -> std::io::Result<Response> {
    let head = read_head(stream)
        .await?
        .ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let status = head.split(' ').nth(1).unwrap_or("");
    let bodiless = status.starts_with('1') || status == "204" || status == "304";
    let body = if bodiless {
        Vec::new()
    } else {
        read_body(stream, &head, true).await?
    };
    Ok(Response {
        head: without_framing(&head),
        body,
    })
}

/// Names a client's case in every request it sends (after signing, so the signature is the
/// SDK's own). Works for any SDK client: the interceptor interface is shared.
#[derive(Clone, Debug)]
pub(crate) struct CaseHeader(pub(crate) String);

impl Intercept for CaseHeader {
    fn name(&self) -> &'static str {
        "CaseHeader"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert(CASE_HEADER, self.0.clone());
        Ok(())
    }
}
