//! AWS calls on the request path, per command, counted on the wire by the [`Recorder`]
//! interceptor against DynamoDB Local, with the capacity DynamoDB reports for each, next to the
//! target and the reference service's count.
//!
//! Each command runs `reps` times, each on a user of its own set up beforehand (setup calls are
//! not counted). Counts are deterministic; times are medians and only describe the stand-in.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use session_api::{Authenticator, JwtConfig, TokenIssuer, TokenVerifier, VerificationKey};
use session_core::SessionError;
use session_core::Sessions;
use session_core::domain::{Aal, AuthMethod};
use session_core::domain::{Actor, RevocationReason};
use session_core::ids::{DeviceId, ProviderName, RefreshTokenId, SessionId, TierName, UserId};
use session_core::ports::ProcessedMarker;
use session_core::use_cases::{
    CreateSession, GetSession, LinkRefreshTokenToSession, ListUserSessions, LoginDevice,
    RecordProviderAccess, RefreshSession, RevokeAllScope, RevokeAllUserSessions, RevokeSession,
    SetUserSessionPolicy, StepUpSession, UpdateSessionActivity, ValidateSession,
};
use session_dynamodb::DynamoStore;

use crate::capacity::{self, PRICES_CURRENT, PRICES_PRE_NOV_2024};
use crate::ddb::{self, Call, Capacity, Recorder, Totals};
use crate::stats::median;
use crate::{BoxError, fixtures};

/// One command's measured calls.
#[derive(Clone, Debug)]
pub struct Row {
    pub command: &'static str,
    pub totals: Totals,
    /// Whether every repetition made the same calls.
    pub stable: bool,
    pub median_ms: f64,
    pub target: &'static str,
    pub reference: &'static str,
    /// Outbox events the command wrote (each becomes one EventBridge entry).
    pub events: usize,
    /// Items written by the first repetition.
    pub writes: Vec<ddb::Write>,
}

/// Runs `action` with the recorder cleared first; returns what it sent and how long it took.
async fn counted<T, E, F>(
    recorder: &Recorder,
    action: F,
) -> Result<(T, Vec<Call>, Duration), BoxError>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    recorder.take();
    let started = Instant::now();
    let value = action.await.map_err(Into::into)?;
    let elapsed = started.elapsed();
    Ok((value, recorder.take(), elapsed))
}

struct Runs {
    calls: Vec<Vec<Call>>,
    times: Vec<f64>,
}

impl Runs {
    fn new() -> Self {
        Self {
            calls: Vec::new(),
            times: Vec::new(),
        }
    }

    fn push(&mut self, calls: Vec<Call>, elapsed: Duration) {
        self.calls.push(calls);
        self.times.push(elapsed.as_secs_f64() * 1e3);
    }

    fn row(mut self, command: &'static str, target: &'static str, reference: &'static str) -> Row {
        let shape = |calls: &Vec<Call>| {
            calls
                .iter()
                .map(|c| c.operation.clone())
                .collect::<Vec<_>>()
        };
        let stable = self.calls.windows(2).all(|w| shape(&w[0]) == shape(&w[1]));
        // Capacity: the median repetition's (they agree unless sizes differ).
        let mut per_run: Vec<Totals> = self.calls.iter().map(|c| ddb::totals(c)).collect();
        per_run.sort_by(|a, b| {
            (a.capacity.write + a.capacity.read).total_cmp(&(b.capacity.write + b.capacity.read))
        });
        let totals = per_run.get(per_run.len() / 2).cloned().unwrap_or_default();
        let writes = self
            .calls
            .first()
            .map(|calls| {
                calls
                    .iter()
                    .flat_map(|c| c.writes.clone())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let events = writes
            .iter()
            .filter(|w| w.kind == "EVENT" && !w.update)
            .count();
        Row {
            command,
            totals,
            stable,
            median_ms: median(&mut self.times),
            target,
            reference,
            events,
            writes,
        }
    }
}

fn tier(name: &str) -> Result<TierName, BoxError> {
    Ok(TierName::try_from(name.to_owned())?)
}

async fn user_with(
    sessions: &Sessions<DynamoStore>,
    name: &str,
    tier_name: &str,
    count: usize,
) -> Result<(UserId, Vec<SessionId>), BoxError> {
    let user_id = fixtures::user(&format!("{name}-{}", uuid::Uuid::now_v7().simple()))?;
    sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: user_id.clone(),
            tier: tier(tier_name)?,
            max_sessions: None,
        })
        .await?;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        ids.push(
            sessions
                .create_session(fixtures::login(&user_id, n))
                .await?
                .session
                .id(),
        );
    }
    Ok((user_id, ids))
}

/// Counts the calls of every command, `reps` times each, on a fresh table.
pub async fn run(reps: usize) -> Result<Vec<Row>, BoxError> {
    let recorder = Recorder::default();
    let client = ddb::client(&recorder).await?;
    let table = ddb::fresh_table("bench-trips");
    let s = ddb::sessions(&client, &table).await?;
    let r = &recorder;
    let mut rows = Vec::new();

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "create", "basic", 1).await?;
        let (_, calls, t) = counted(r, s.create_session(fixtures::login(&user, 9))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "CreateSession (under the limit)",
        "2",
        "5: load user, count active, insert, cache set, user index add",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "evict", "basic", 2).await?;
        let (_, calls, t) = counted(r, s.create_session(fixtures::login(&user, 9))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "CreateSession (at the limit: evicts 1)",
        "2",
        "7: + select oldest, update it (evicts one only; races)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "device", "basic", 0).await?;
        let phone = DeviceId::try_from("install-0001".to_owned())?;
        let on_phone = |n| CreateSession {
            device: Some(LoginDevice {
                id: phone.clone(),
                name: None,
            }),
            ..fixtures::login(&user, n)
        };
        s.create_session(on_phone(0)).await?;
        let (_, calls, t) = counted(r, s.create_session(on_phone(1))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "CreateSession (from a device: replaces its session)",
        "2",
        "n/a: no device identity",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "recent", "recent", 2).await?;
        let (_, calls, t) = counted(r, s.create_session(fixtures::login(&user, 9))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "CreateSession (at the limit, least recently active: evicts 1)",
        "3",
        "n/a: oldest created only",
    ));

    let mut refusals = Runs::new();
    let mut replacements = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "choose", "choose", 2).await?;
        let refused = async {
            match s.create_session(fixtures::login(&user, 9)).await {
                Err(SessionError::SessionLimitReached { .. }) => Ok(()),
                other => Err(format!("expected session_limit_reached, got {other:?}")),
            }
        };
        let (_, calls, t) = counted(r, refused).await?;
        refusals.push(calls, t);
        let replacing = CreateSession {
            replace_session_id: ids.first().copied(),
            ..fixtures::login(&user, 9)
        };
        let (_, calls, t) = counted(r, s.create_session(replacing)).await?;
        replacements.push(calls, t);
    }
    rows.push(refusals.row(
        "CreateSession (ask tier at the limit: refused with the sessions)",
        "3",
        "n/a",
    ));
    rows.push(replacements.row(
        "CreateSession (ask: replacing the chosen session)",
        "3",
        "n/a",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps.min(3) {
        let (user, _) = user_with(&s, "create-pro100", "pro", 100).await?;
        let (_, calls, t) = counted(r, s.create_session(fixtures::login(&user, 9))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "CreateSession (pro user with 100 active sessions)",
        "2",
        "n/a: tiers never loaded, everyone is limited to 2 (its bug 4)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "validate", "basic", 1).await?;
        let (_, calls, t) = counted(
            r,
            s.validate_session(ValidateSession { session_id: ids[0] }),
        )
        .await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "ValidateSession (token refresh)",
        "1",
        "0: never checked (its bug 1); a session read is 1 (cache hit) to 3 (miss: get, select, set)",
    ));

    let secret = b"bench-secret-that-is-at-least-32-bytes-long";
    let issuer = TokenIssuer::hs256(secret, "https://auth.example.com", "sessions")?;
    let verifier = TokenVerifier::new(JwtConfig::new(
        VerificationKey::Hs256Secret(secret.to_vec()),
        "https://auth.example.com",
        "sessions",
    ))?;
    let authenticator = Authenticator::new(verifier, s.clone());
    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "authorize", "basic", 1).await?;
        let header = format!(
            "Bearer {}",
            issuer.issue(&user, ids[0], Duration::from_secs(600))?
        );
        let (_, calls, t) = counted(r, authenticator.authenticate(Some(&header))).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "Authorizer (JWT + session active), every user request",
        "1",
        "0: JWT only (revocation not enforced, its bug 1)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "get", "basic", 1).await?;
        let query = GetSession {
            session_id: ids[0],
            user_id: user.clone(),
            current_session_id: Some(ids[0]),
        };
        let (_, calls, t) = counted(r, s.get_session(query)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "GetSession",
        "1",
        "1 (cache hit) to 3 (miss: get, select, set)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "list", "pro", 10).await?;
        let query = ListUserSessions {
            user_id: user.clone(),
            filter: session_core::use_cases::SessionFilter::Active,
            limit: None,
            cursor: None,
            current_session_id: Some(ids[0]),
        };
        let (list, calls, t) = counted(r, s.list_user_sessions(query)).await?;
        if list.sessions.len() != 10 {
            return Err(format!("list returned {} sessions, not 10", list.sessions.len()).into());
        }
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "ListUserSessions (one page: 10 sessions)",
        "1 per page",
        "1-2: select by user (or index members + multi-get)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "revoke", "basic", 2).await?;
        let cmd = RevokeSession {
            session_id: ids[1],
            owner: session_core::use_cases::Owner::User(user.clone()),
            reason: RevocationReason::Manual,
            by: Actor::User {
                user_id: user.clone(),
            },
            note: None,
        };
        let (_, calls, t) = counted(r, s.revoke_session(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "RevokeSession",
        "1",
        "4-5: get (cache, or cache + select), update, cache invalidate, index remove",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, ids) = user_with(&s, "revoke-all", "pro", 6).await?;
        let cmd = RevokeAllUserSessions {
            user_id: user.clone(),
            reason: RevocationReason::LogoutAll,
            except_session_id: Some(ids[0]),
            by: Actor::User {
                user_id: user.clone(),
            },
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        };
        let (_, calls, t) = counted(r, s.revoke_all_user_sessions(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "RevokeAll (5 other sessions: DELETE /sessions)",
        "1 read + 1 per 49 sessions",
        "1 + 2n = 11: select, then per session update + cache invalidate",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "password", "pro", 3).await?;
        let cmd = RevokeAllUserSessions {
            user_id: user.clone(),
            reason: RevocationReason::PasswordChanged,
            except_session_id: None,
            by: Actor::System,
            note: None,
            trigger: session_core::events::RevokeAllTrigger::UserRequest,
        };
        let scope = RevokeAllScope {
            created_before: Some(Utc::now()),
            once: Some(ProcessedMarker {
                key: format!("bench:{}", uuid::Uuid::now_v7()),
                expires_at: Utc::now() + chrono::Duration::days(1),
            }),
            status: None,
        };
        let (_, calls, t) = counted(r, s.revoke_all_user_sessions_in_scope(cmd, scope)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "Password changed (revoke all 3, once per event)",
        "1 marker read + revoke-all",
        "0: not done (its bug 2)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "activity-quiet", "basic", 1).await?;
        let cmd = UpdateSessionActivity {
            session_id: ids[0],
            ip_address: Some(fixtures::ip(0)),
        };
        let (outcome, calls, t) = counted(r, s.update_session_activity(cmd)).await?;
        if outcome.recorded {
            return Err("throttled activity wrote".into());
        }
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "UpdateSessionActivity (throttled: no write)",
        "<= 1",
        "n/a: a type only (its bug 10)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "activity", "basic", 1).await?;
        let cmd = UpdateSessionActivity {
            session_id: ids[0],
            ip_address: Some(fixtures::ip(101)),
        };
        let (_, calls, t) = counted(r, s.update_session_activity(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "UpdateSessionActivity (new IP: writes)",
        "<= 1",
        "n/a: a type only (its bug 10)",
    ));

    let plaid = ProviderName::try_from("plaid".to_owned())?;
    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "provider", "basic", 1).await?;
        let cmd = RecordProviderAccess {
            session_id: ids[0],
            provider_name: plaid.clone(),
        };
        let (_, calls, t) = counted(r, s.record_provider_access(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row("RecordProviderAccess", "1", "n/a: a type only (its bug 10)"));

    let token = RefreshTokenId::try_from("rt_01JD5X8Y9Z".to_owned())?;
    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "link", "basic", 1).await?;
        let cmd = LinkRefreshTokenToSession {
            session_id: ids[0],
            refresh_token_id: token.clone(),
        };
        let (_, calls, t) = counted(r, s.link_refresh_token(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "LinkRefreshTokenToSession",
        "1",
        "n/a: a type only (its bug 10)",
    ));

    // The refresh chain (docs/0015): a session whose current link is `rt_1`, set up uncounted.
    let refresh = |id: SessionId, presented: &str, next: &str| -> Result<_, BoxError> {
        Ok(RefreshSession {
            session_id: id,
            refresh_token_id: RefreshTokenId::try_from(presented.to_owned())?,
            next_refresh_token_id: RefreshTokenId::try_from(next.to_owned())?,
            ip_address: None,
            user_agent: None,
        })
    };
    let linked = |name: &'static str| {
        let s = &s;
        async move {
            let (_, ids) = user_with(s, name, "basic", 1).await?;
            s.link_refresh_token(LinkRefreshTokenToSession {
                session_id: ids[0],
                refresh_token_id: RefreshTokenId::try_from("rt_1".to_owned())?,
            })
            .await?;
            Ok::<SessionId, BoxError>(ids[0])
        }
    };
    let (mut rotate, mut retry, mut reuse) = (Runs::new(), Runs::new(), Runs::new());
    for _ in 0..reps {
        let id = linked("refresh").await?;
        let (_, calls, t) = counted(r, s.refresh_session(refresh(id, "rt_1", "rt_2")?)).await?;
        rotate.push(calls, t);
        let (_, calls, t) = counted(r, s.refresh_session(refresh(id, "rt_1", "rt_2")?)).await?;
        retry.push(calls, t);
        // A reuse answers an error (409): counted by hand.
        let cmd = refresh(id, "rt_0", "rt_9")?;
        r.take();
        let started = Instant::now();
        let reused = s.refresh_session(cmd).await;
        let elapsed = started.elapsed();
        if !matches!(reused, Err(SessionError::RefreshTokenReused)) {
            return Err(format!("a replayed refresh token was not refused: {reused:?}").into());
        }
        reuse.push(r.take(), elapsed);
    }
    rows.push(rotate.row(
        "RefreshSession (rotate, same client)",
        "1",
        "n/a: refresh tokens never checked (its bug 1)",
    ));
    rows.push(retry.row("RefreshSession (retry of a lost answer)", "1", "n/a"));
    rows.push(reuse.row("RefreshSession (reuse: revokes the session)", "2", "n/a"));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (_, ids) = user_with(&s, "step-up", "basic", 1).await?;
        let cmd = StepUpSession {
            session_id: ids[0],
            aal: Aal::Aal2,
            amr: [AuthMethod::Otp].into_iter().collect(),
        };
        let (_, calls, t) = counted(r, s.step_up_session(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row("StepUpSession", "2", "n/a"));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let user_id = fixtures::user(&format!("policy-new-{}", uuid::Uuid::now_v7().simple()))?;
        let cmd = SetUserSessionPolicy {
            user_id,
            tier: tier("premium")?,
            max_sessions: None,
        };
        let (_, calls, t) = counted(r, s.set_user_session_policy(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "SetUserSessionPolicy (register a user)",
        "2",
        "n/a: policy never loaded (its bug 4)",
    ));

    let mut runs = Runs::new();
    for _ in 0..reps {
        let (user, _) = user_with(&s, "policy-down", "plus", 3).await?;
        let cmd = SetUserSessionPolicy {
            user_id: user,
            tier: tier("basic")?,
            max_sessions: None,
        };
        let (_, calls, t) = counted(r, s.set_user_session_policy(cmd)).await?;
        runs.push(calls, t);
    }
    rows.push(runs.row(
        "SetUserSessionPolicy (plus -> basic, 3 sessions: evicts 1)",
        "2",
        "n/a: policy never loaded (its bug 4)",
    ));
    Ok(rows)
}

/// The round-trip table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| command | AWS calls on the request path (measured) | round trips | target | reference service (derived, see counting rules) | RRU reported / rules | WRU reported / rules | median on DynamoDB Local |\n\
         |---|---|---:|---|---|---:|---:|---:|\n",
    );
    for r in rows {
        let c = r.totals.capacity;
        let d = r.totals.derived;
        let unreported = if r.totals.unreported > 0 {
            format!(" ({} call(s) reported no capacity)", r.totals.unreported)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {}{} | {} | {} | {} | {} / {} | {} / {}{} | {:.1} ms |\n",
            r.command,
            r.totals.breakdown,
            if r.stable {
                ""
            } else {
                " (varied between runs)"
            },
            r.totals.round_trips,
            r.target,
            r.reference,
            fmt_units(c.read),
            fmt_units(d.read),
            fmt_units(c.write),
            fmt_units(d.write),
            unreported,
            r.median_ms,
        ));
    }
    out
}

fn fmt_units(units: f64) -> String {
    if units.fract() == 0.0 {
        format!("{units:.0}")
    } else {
        format!("{units:.1}")
    }
}

/// Cost per million of the commands that dominate the bill, from the units DynamoDB Local
/// reported and from the documented rules.
pub fn cost_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| per million ... | RRU / WRU reported | RRU / WRU by the rules | $ at $1.25/$0.25, reported | $ at $1.25/$0.25, rules | $ at $0.625/$0.125, rules | + EventBridge ($1/M events) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let pick = |name: &str| rows.iter().find(|r| r.command.starts_with(name));
    let lines: [(&str, &str); 7] = [
        ("logins (under the limit)", "CreateSession (under"),
        ("logins (at the limit, 1 eviction)", "CreateSession (at"),
        (
            "logins (pro user, 100 active sessions)",
            "CreateSession (pro",
        ),
        ("validations (token refresh)", "ValidateSession"),
        ("authorized user requests (authorizer only)", "Authorizer"),
        (
            "activity reports (throttled)",
            "UpdateSessionActivity (throttled",
        ),
        ("activity reports (written)", "UpdateSessionActivity (new"),
    ];
    for (label, name) in lines {
        let Some(r) = pick(name) else { continue };
        let c: Capacity = r.totals.capacity;
        let d: Capacity = r.totals.derived;
        out.push_str(&format!(
            "| {label} | {} / {} | {} / {} | ${:.2} | ${:.2} | ${:.2} | ${:.2} |\n",
            fmt_units(c.read),
            fmt_units(c.write),
            fmt_units(d.read),
            fmt_units(d.write),
            capacity::cost_per_million(c, &PRICES_PRE_NOV_2024),
            capacity::cost_per_million(d, &PRICES_PRE_NOV_2024),
            capacity::cost_per_million(d, &PRICES_CURRENT),
            r.events as f64 * capacity::EVENTBRIDGE_PER_MILLION,
        ));
    }
    out
}

/// What each write transaction puts and updates, with the capacity the documented rules give
/// next to what DynamoDB Local reported.
pub fn writes_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| command | items in the transaction (size) | WRU by the documented rules (of which indexes) | WRU DynamoDB Local reported (of which indexes) |\n\
         |---|---|---:|---:|\n",
    );
    for r in rows.iter().filter(|r| !r.writes.is_empty()) {
        let items: Vec<String> = r
            .writes
            .iter()
            .map(|w| {
                let verb = if w.update { "update" } else { "put" };
                match w.bytes {
                    Some(bytes) => format!("{verb} {} {bytes} B", w.kind),
                    None => format!("{verb} {} (size unknown)", w.kind),
                }
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} ({}) | {} ({}) |\n",
            r.command,
            items.join(", "),
            fmt_units(r.totals.derived.write),
            fmt_units(r.totals.derived.index_write),
            fmt_units(r.totals.capacity.write),
            fmt_units(r.totals.capacity.index_write),
        ));
    }
    out
}
