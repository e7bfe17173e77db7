//! The commands under test, each with the state it starts from, and the bench that runs them
//! through the HTTP API over DynamoDB Local, behind the fault proxy.
//!
//! A command's *reference* run sets its state up once, then runs the command without faults,
//! pausing after every request to read the table: the states it passes through (its
//! checkpoints) are the only states a faulted or cancelled run of it may leave. Every other run
//! starts from a copy of the reference's starting items, renamed to its own user and ids, with
//! the same clock and the same next id, so it would store exactly the reference's items.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use session_api::{Api, Caller, RequestContext};
use session_core::domain::PolicyConfig;
use session_core::ids::{SessionId, UserId};
use session_core::testkit::FakeClock;
use session_core::{Deadline, Sessions};
use session_dynamodb::{DynamoStore, TableOptions, ensure_table_with};
use session_tests::event_contracts::CheckedStore;
use tokio::task::JoinHandle;

use super::proxy::{Action, CaseHeader, FaultProxy};
use super::state::{self, Canon, Case, Item};
use crate::dynamodb::support::{standins, unique_table};

/// How long the SDK waits for one attempt through the proxy, at least (the timeout fault costs
/// this): far above DynamoDB Local's usual few milliseconds, even on a busy machine.
const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1000);

/// An attempt timeout for runs that inject no timeout: long enough never to fire.
pub(crate) const NO_TIMEOUT: Duration = Duration::from_secs(30);

/// The attempt timeout of a command is this many times its slowest request in the reference
/// run, if that is more (a transaction of 100 items takes DynamoDB Local a few hundred ms).
const TIMEOUT_OVER_SLOWEST: u32 = 8;

/// Tiers besides the defaults (basic 2, essential 3, premium 10, pro unlimited).
const POLICY: &str = r#"{"tiers": {
    "fault-deny": {"max_sessions": 1, "on_limit": "deny"},
    "fault-idle": {"max_sessions": 2, "idle_timeout_secs": 3600},
    "fault-guarded": {"max_sessions": 3, "suspicious": {"response": "revoke", "revoke_at_count": 1}}
}}"#;

/// A request to the API, as the reference case would send it.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    /// The caller's session for user routes; `None`: an internal (service) call.
    pub(crate) session: Option<String>,
    pub(crate) method: &'static str,
    pub(crate) uri: String,
    pub(crate) body: Option<Value>,
}

/// The state a command starts from, as set up for the reference case.
pub(crate) struct Setup {
    pub(crate) user: String,
    pub(crate) sessions: Vec<String>,
}

/// A command and the state it runs in.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    /// Registered with this tier first (if any).
    pub(crate) tier: Option<&'static str>,
    /// Logins before the command, one second apart.
    pub(crate) logins: usize,
    /// Clock advance after the logins.
    pub(crate) then_wait: chrono::Duration,
    pub(crate) call: fn(&Setup) -> Call,
    /// The answer without faults.
    pub(crate) status: u16,
}

/// The revoke-all that takes three transactions (the first chunk holds 48 revocations, the next
/// 49: each is two writes, the session and its index entry, beside the ledger, the events and
/// the continuation), so a cut can fall before, between and after the continuation's update.
pub(crate) const CHUNKED: &str = "revoke all others, 100 sessions in three chunks";

/// `POST /internal/sessions` for `user`, from the same address and user agent every time.
fn login_call(user: &str) -> Call {
    Call {
        session: None,
        method: "POST",
        uri: "/internal/sessions".into(),
        body: Some(login_body(user)),
    }
}

/// `PUT /internal/users/{user}/session-policy` to the basic tier.
fn basic_policy_call(user: &str) -> Call {
    Call {
        session: None,
        method: "PUT",
        uri: format!("/internal/users/{user}/session-policy"),
        body: Some(json!({"tier": "basic"})),
    }
}

fn login_body(user: &str) -> Value {
    json!({"user_id": user, "ip_address": "198.51.100.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"})
}

/// Every state-changing command of the API, in the states that take it down its distinct paths.
pub(crate) fn scenarios() -> Vec<Scenario> {
    let minutes = chrono::Duration::minutes;
    let plain = |name, tier, logins, call, status| Scenario {
        name,
        tier,
        logins,
        then_wait: chrono::Duration::zero(),
        call,
        status,
    };
    vec![
        plain("create", Some("basic"), 1, |s| login_call(&s.user), 201),
        plain(
            "create with an eviction",
            Some("basic"),
            2,
            |s| login_call(&s.user),
            201,
        ),
        plain(
            "create refused at the limit (deny tier)",
            Some("fault-deny"),
            1,
            |s| login_call(&s.user),
            409,
        ),
        Scenario {
            name: "create dropping idle sessions from the index",
            tier: Some("fault-idle"),
            logins: 2,
            then_wait: minutes(120),
            call: |s| login_call(&s.user),
            status: 201,
        },
        plain(
            "revoke one",
            Some("basic"),
            2,
            |s| Call {
                session: Some(s.sessions[1].clone()),
                method: "DELETE",
                uri: format!("/sessions/{}", s.sessions[0]),
                body: None,
            },
            204,
        ),
        plain(
            "revoke current",
            Some("basic"),
            2,
            |s| Call {
                session: Some(s.sessions[1].clone()),
                method: "DELETE",
                uri: "/sessions/current".into(),
                body: None,
            },
            204,
        ),
        plain(
            "revoke all others",
            Some("essential"),
            3,
            |s| Call {
                session: Some(s.sessions[2].clone()),
                method: "DELETE",
                uri: "/sessions".into(),
                body: None,
            },
            200,
        ),
        plain(
            CHUNKED,
            Some("pro"),
            100,
            |s| Call {
                session: Some(s.sessions[99].clone()),
                method: "DELETE",
                uri: "/sessions".into(),
                body: None,
            },
            200,
        ),
        Scenario {
            name: "activity update with an IP change",
            tier: Some("basic"),
            logins: 1,
            then_wait: minutes(10),
            call: |s| Call {
                session: None,
                method: "POST",
                uri: format!("/internal/sessions/{}/activity", s.sessions[0]),
                body: Some(json!({"ip_address": "203.0.113.99"})),
            },
            status: 200,
        },
        Scenario {
            name: "activity update revoking a suspicious session",
            tier: Some("fault-guarded"),
            logins: 1,
            then_wait: minutes(10),
            call: |s| Call {
                session: None,
                method: "POST",
                uri: format!("/internal/sessions/{}/activity", s.sessions[0]),
                body: Some(json!({"ip_address": "203.0.113.99"})),
            },
            status: 200,
        },
        plain(
            "set policy lowering the limit (revokes 2)",
            Some("premium"),
            4,
            |s| basic_policy_call(&s.user),
            200,
        ),
        plain(
            "set policy of a new user",
            None,
            0,
            |s| basic_policy_call(&s.user),
            200,
        ),
        plain(
            "link refresh token",
            Some("basic"),
            1,
            |s| Call {
                session: None,
                method: "PUT",
                uri: format!("/internal/sessions/{}/refresh-token", s.sessions[0]),
                body: Some(json!({"refresh_token_id": "rt-fault-1"})),
            },
            204,
        ),
        plain(
            "record provider access",
            Some("basic"),
            1,
            |s| Call {
                session: None,
                method: "POST",
                uri: format!("/internal/sessions/{}/provider-access", s.sessions[0]),
                body: Some(json!({"provider_name": "plaid"})),
            },
            204,
        ),
    ]
}

/// An answer of the API.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// Checks for a 503 problem document that asks the client to retry, with the code
    /// `store_unavailable`; returns it.
    pub(crate) fn retry_later(&self) -> Result<String, String> {
        self.retry_later_with("store_unavailable")
    }

    /// Checks for a 503 problem document with `expected` as its code that asks the client to
    /// retry.
    pub(crate) fn retry_later_with(&self, expected: &str) -> Result<String, String> {
        let text = String::from_utf8_lossy(&self.body);
        if self.status != StatusCode::SERVICE_UNAVAILABLE {
            return Err(format!("answered {} instead of 503: {text}", self.status));
        }
        let content_type = self.headers.get(header::CONTENT_TYPE);
        if content_type.is_none_or(|v| v.as_bytes() != b"application/problem+json") {
            return Err(format!("503 with content type {content_type:?}"));
        }
        let retry_after = self
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        if retry_after.is_none_or(|secs| secs == 0) {
            return Err(format!(
                "503 without a Retry-After in seconds: {:?}",
                self.headers.get(header::RETRY_AFTER)
            ));
        }
        let problem: Value =
            serde_json::from_slice(&self.body).map_err(|e| format!("problem is not JSON: {e}"))?;
        let code = problem["code"].as_str().unwrap_or_default().to_owned();
        if problem["status"] != 503 || code != expected {
            return Err(format!("unexpected problem: {problem}"));
        }
        if problem["type"] != format!("/problems/{code}") {
            return Err(format!("problem type does not match its code: {problem}"));
        }
        Ok(code)
    }
}

/// A reference run: the starting items, the checkpoints, the requests made.
pub(crate) struct Reference {
    pub(crate) name: &'static str,
    pub(crate) case: Case,
    pub(crate) status: u16,
    pub(crate) call: Call,
    /// The reference's items before the command, written afresh for every other case.
    start: Vec<Item>,
    /// The states after each request (the first: before any); in the reference's names.
    pub(crate) checkpoints: Vec<Canon>,
    /// The operation of each request the command made.
    pub(crate) operations: Vec<String>,
    /// The clock when the command ran, and the ids the setup drew.
    pub(crate) now: DateTime<Utc>,
    ids_drawn: u64,
    /// The SDK's attempt timeout for this command's cases.
    pub(crate) attempt_timeout: Duration,
}

/// One table on DynamoDB Local (no stream, no TTL), the proxy in front of it, and cases.
pub(crate) struct Bench {
    sdk: SdkConfig,
    pub(crate) direct: aws_sdk_dynamodb::Client,
    pub(crate) table: String,
    pub(crate) proxy: FaultProxy,
    policy: PolicyConfig,
    next_case: AtomicU64,
}

impl Bench {
    /// `None` (after saying so) when DynamoDB Local is not running.
    pub(crate) async fn new() -> Option<Arc<Self>> {
        let sdk = standins().await?;
        let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("checked by standins");
        let direct = aws_sdk_dynamodb::Client::new(&sdk);
        let table = unique_table();
        let options = TableOptions {
            stream: false,
            ttl: false,
        };
        ensure_table_with(&direct, &table, options)
            .await
            .expect("table");
        Some(Arc::new(Self {
            sdk,
            direct,
            table,
            proxy: FaultProxy::start(&endpoint).await,
            policy: PolicyConfig::from_json(POLICY).expect("policy"),
            next_case: AtomicU64::new(0),
        }))
    }

    pub(crate) fn case(&self) -> Case {
        Case::new(self.next_case.fetch_add(1, Ordering::SeqCst))
    }

    /// A client whose requests go through the proxy, named as `case`'s, with `attempts` SDK
    /// attempts per request (1: every injected fault reaches the store) in its own retry
    /// partition (so one case's faults never drain another's retry quota).
    pub(crate) fn client(
        &self,
        case: &Case,
        attempts: u32,
        attempt_timeout: Duration,
    ) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
            .endpoint_url(self.proxy.url())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(Duration::from_millis(5)),
            )
            .retry_partition(RetryPartition::new(format!("faults-{}", case.no)))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .interceptor(CaseHeader(case.header()))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    fn api(
        &self,
        client: aws_sdk_dynamodb::Client,
        case: &Case,
        now: DateTime<Utc>,
    ) -> Api<CheckedStore<DynamoStore>> {
        self.api_on_table(client, &self.table, case, now)
    }

    /// The API of `case` over `table` (which may not exist: a misconfigured deployment).
    pub(crate) fn api_on_table(
        &self,
        client: aws_sdk_dynamodb::Client,
        table: &str,
        case: &Case,
        now: DateTime<Utc>,
    ) -> Api<CheckedStore<DynamoStore>> {
        let sessions = Sessions::new(
            CheckedStore::new(DynamoStore::new(client, table)),
            self.policy.clone(),
        )
        .with_clock(Arc::new(FakeClock::new(now)))
        .with_ids(case.ids.clone());
        Api::new(sessions)
    }

    /// The reference run of `scenario`; panics if it does not answer as the scenario says.
    pub(crate) async fn reference(&self, scenario: &Scenario) -> Reference {
        let mut case = self.case();
        let clock = Arc::new(FakeClock::at_epoch());
        let sessions = Sessions::new(
            CheckedStore::new(DynamoStore::new(self.direct.clone(), &self.table)),
            self.policy.clone(),
        )
        .with_clock(clock.clone())
        .with_ids(case.ids.clone());
        let setup_api = Api::new(sessions);
        if let Some(tier) = scenario.tier {
            let call = Call {
                session: None,
                method: "PUT",
                uri: format!("/internal/users/{}/session-policy", case.user),
                body: Some(json!({"tier": tier})),
            };
            let reply = send(&setup_api, &case.user, &call).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: setup", scenario.name);
        }
        let mut sessions = Vec::new();
        for _ in 0..scenario.logins {
            clock.advance(chrono::Duration::seconds(1));
            let call = login_call(&case.user);
            let reply = send(&setup_api, &case.user, &call).await;
            assert_eq!(
                reply.status,
                StatusCode::CREATED,
                "{}: setup",
                scenario.name
            );
            let created: Value = serde_json::from_slice(&reply.body).expect("JSON");
            sessions.push(created["session_id"].as_str().expect("id").to_owned());
        }
        clock.advance(scenario.then_wait);
        let now = session_core::ports::Clock::now(clock.as_ref());
        let ids_drawn = case.ids.drawn();
        // The setup's events are not part of any state compared (nor copied).
        case.events_from = ids_drawn;
        let call = (scenario.call)(&Setup {
            user: case.user.clone(),
            sessions,
        });

        let start = state::read_case(&self.direct, &self.table, &case).await;
        let mut checkpoints = vec![state::canon(&start)];
        let mut pauses = self.proxy.arm(
            &case.header(),
            Box::new(|_, _| Action::Pause { forwarded: true }),
        );
        let api = self.api(self.client(&case, 1, NO_TIMEOUT), &case, now);
        let mut command = spawn_call(api, &case.user, &call);
        let reply = loop {
            tokio::select! {
                Some(paused) = pauses.recv() => {
                    let items = state::read_case(&self.direct, &self.table, &case).await;
                    checkpoints.push(state::canon(&items));
                    let _ = paused.release.send(());
                }
                reply = &mut command => break reply.expect("reference command"),
            }
        };
        assert_eq!(
            reply.status.as_u16(),
            scenario.status,
            "{}: reference run: {}",
            scenario.name,
            String::from_utf8_lossy(&reply.body)
        );
        let items = state::read_case(&self.direct, &self.table, &case).await;
        checkpoints.push(state::canon(&items));
        let log = self.proxy.log(&case.header());
        let slowest = log
            .forwarded
            .iter()
            .map(|f| f.took)
            .max()
            .unwrap_or_default();
        Reference {
            name: scenario.name,
            case,
            status: scenario.status,
            call,
            start,
            checkpoints,
            operations: log.operations,
            now,
            ids_drawn,
            attempt_timeout: MIN_ATTEMPT_TIMEOUT.max(slowest * TIMEOUT_OVER_SLOWEST),
        }
    }

    /// A new case in the reference's starting state, and the API it runs the command through
    /// (`attempts` SDK attempts per request, each given `attempt_timeout`).
    pub(crate) async fn prepare(
        &self,
        reference: &Reference,
        attempts: u32,
        attempt_timeout: Duration,
    ) -> (Case, Api<CheckedStore<DynamoStore>>) {
        let mut case = self.case();
        case.events_from = reference.ids_drawn;
        let rename = reference.case.renamer_to(&case);
        let items = reference
            .start
            .iter()
            .map(|item| rename.item(item))
            .collect();
        state::write_items(&self.direct, &self.table, items).await;
        case.ids.skip_to(reference.ids_drawn);
        let client = self.client(&case, attempts, attempt_timeout);
        let api = self.api(client, &case, reference.now);
        (case, api)
    }

    /// Runs the revoke-all sweep (docs/0046) over the whole table, directly (no faults), with the
    /// clock at `now`, and checks every case of `open` (cases left between the chunks of a
    /// revoke-all) as it leaves them. Run when no case is in flight: the sweep takes whatever
    /// unfinished revoke-all's lease has run out.
    pub(crate) async fn sweep_and_check(
        &self,
        now: DateTime<Utc>,
        open: &[(Arc<Reference>, Case)],
    ) -> Vec<String> {
        let sessions = Sessions::new(
            DynamoStore::new(self.direct.clone(), &self.table),
            self.policy.clone(),
        )
        .with_clock(Arc::new(FakeClock::new(now)));
        let report = sessions.resume_revoke_alls().await.expect("sweep");
        eprintln!("  the sweep: {report:?}");
        let mut failures = Vec::new();
        for (reference, case) in open {
            let state = self.state_of(reference, case).await;
            if let Err(error) = state::check_finished_by_sweep(&state, &reference.checkpoints) {
                failures.push(format!("{} (case {}): {error}", reference.name, case.no));
            }
        }
        failures
    }

    /// `case`'s call (the reference's, renamed).
    pub(crate) fn call_for(&self, reference: &Reference, case: &Case) -> Call {
        let rename = reference.case.renamer_to(case);
        let call = &reference.call;
        Call {
            session: call.session.as_deref().map(|s| rename.text(s)),
            method: call.method,
            uri: rename.text(&call.uri),
            body: call
                .body
                .as_ref()
                .map(|b| serde_json::from_str(&rename.text(&b.to_string())).expect("JSON")),
        }
    }

    /// `case`'s items now, in the reference's names.
    pub(crate) async fn state_of(&self, reference: &Reference, case: &Case) -> Canon {
        let back = case.renamer_to(&reference.case);
        let items: Vec<Item> = state::read_case(&self.direct, &self.table, case)
            .await
            .iter()
            .map(|item| back.item(item))
            .collect();
        state::canon(&items)
    }
}

/// Sends `call` as `user` (user routes) or as a service.
pub(crate) async fn send(api: &Api<CheckedStore<DynamoStore>>, user: &str, call: &Call) -> Reply {
    send_as(api, user, call, "fault-test", None).await
}

/// Like [`send`], with this request id and, if set, a deadline.
pub(crate) async fn send_as(
    api: &Api<CheckedStore<DynamoStore>>,
    user: &str,
    call: &Call,
    request_id: &str,
    deadline: Option<Deadline>,
) -> Reply {
    let caller = match &call.session {
        Some(session) => Caller::User {
            user_id: UserId::from_str(user).expect("user id"),
            session_id: SessionId::from_str(session).expect("session id"),
        },
        None => Caller::Service {
            principal: "fault-tests".into(),
        },
    };
    let mut builder = Request::builder().method(call.method).uri(&call.uri);
    let body = match &call.body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(json.to_string())
        }
        None => Bytes::new(),
    };
    let request = builder.body(body).expect("request");
    let mut ctx = RequestContext::new(caller, request_id);
    if let Some(deadline) = deadline {
        ctx = ctx.with_deadline(deadline);
    }
    let response = api.handle(ctx, request).await;
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Runs `call` on its own task (so a test can cut it off).
pub(crate) fn spawn_call(
    api: Api<CheckedStore<DynamoStore>>,
    user: &str,
    call: &Call,
) -> JoinHandle<Reply> {
    let call = call.clone();
    let user = user.to_owned();
    tokio::spawn(async move { send(&api, &user, &call).await })
}
