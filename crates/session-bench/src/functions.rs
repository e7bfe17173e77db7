//! The functions the cold-start benchmark starts: their environment (as Lambda sets it, plus the
//! stand-in endpoints) and a first event that does real work against a seeded table.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use session_api::TokenIssuer;
use session_core::ids::{SessionId, TierName, UserId};
use session_core::use_cases::SetUserSessionPolicy;

use crate::coldstart::Function;
use crate::ddb::{self, Recorder};
use crate::{BoxError, fixtures, peer};

const JWT_SECRET: &str = "bench-secret-that-is-at-least-32-bytes-long";
const JWT_ISSUER: &str = "https://auth.example.com";
const JWT_AUDIENCE: &str = "sessions";

/// The functions this benchmark knows how to invoke, the floor first.
pub const KNOWN: [&str; 16] = [
    "hello-lambda",
    "validate-session",
    "create-session",
    "authorizer",
    "event-relay",
    "get-session",
    "list-sessions",
    "revoke-session",
    "revoke-all-sessions",
    "logout-current",
    "update-session-activity",
    "record-provider-access",
    "link-refresh-token",
    "set-session-policy",
    "password-changed",
    peer::GET_PRODUCT,
];

/// A session id no session has: for the user routes whose success would revoke the seeded
/// session the other functions' runs use (their runs measure the 404 path).
const ABSENT_SESSION: &str = "0193a1b2-c3d4-7e5f-8a6b-00000000dead";

/// An HTTP event on a user route, as the authorizer lets it through for `session` of `seed`'s
/// user.
fn user_event(
    route_key: &str,
    method: &str,
    path: &str,
    seed: &Seed,
    session: &str,
) -> serde_json::Value {
    let mut event = http_event(route_key, method, path, None);
    event["requestContext"]["authorizer"] = json!({
        "lambda": {"user_id": seed.user.as_str(), "session_id": session}
    });
    event
}

/// What the seeded table holds.
pub struct Seed {
    pub table: String,
    pub user: UserId,
    pub session: SessionId,
    /// The peer's products table (`peer`).
    pub products: String,
}

/// A fresh table with one pro-tier user and one session, and the peer's products table.
pub async fn seed() -> Result<Seed, BoxError> {
    let recorder = Recorder::default();
    let client = ddb::client(&recorder).await?;
    let table = ddb::fresh_table("bench-cold");
    let sessions = ddb::sessions(&client, &table).await?;
    let user = fixtures::user("cold-start-user")?;
    sessions
        .set_user_session_policy(SetUserSessionPolicy {
            user_id: user.clone(),
            tier: TierName::try_from("pro".to_owned())?,
            max_sessions: None,
        })
        .await?;
    let session = sessions
        .create_session(fixtures::login(&user, 0))
        .await?
        .session
        .id();
    let products = peer::seed_products(&client).await?;
    Ok(Seed {
        table,
        user,
        session,
        products,
    })
}

/// The variables the Lambda service sets for a function, plus the stand-in endpoints and test
/// credentials from this process's environment.
pub fn lambda_env(name: &str) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]bench"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
        ("_HANDLER", "bootstrap"),
        ("TZ", ":UTC"),
        ("LANG", "en_US.UTF-8"),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
        ("AWS_SESSION_TOKEN", "bench"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert(
        "AWS_LAMBDA_LOG_GROUP_NAME".into(),
        format!("/aws/lambda/{name}"),
    );
    for key in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    ] {
        if let Ok(value) = std::env::var(key) {
            env.insert(key.into(), value);
        }
    }
    env
}

fn http_event(
    route_key: &str,
    method: &str,
    path: &str,
    body: Option<String>,
) -> serde_json::Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-type": "application/json",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "auth-service/1.0",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLEKEY000000",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLEROLE00000:auth-service",
                    "principalOrgId": null,
                    "userArn": "arn:aws:sts::123456789012:assumed-role/auth-service/auth-service",
                    "userId": "AROAEXAMPLEROLE00000:auth-service"
                }
            },
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "auth-service/1.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000u64
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

/// Variants of create-session that isolate what enrichment costs the first login, run beside
/// `create-session` itself (a user agent, and the location database when one is given):
/// `create-session:plain` (no user agent, no database), `create-session:ua` (user agent only),
/// `create-session:geo` (database only).
pub const CREATE_SESSION_VARIANTS: [&str; 3] = ["plain", "ua", "geo"];

/// A public, long-stable address the location database knows (RIPE NCC, Amsterdam).
const LOGIN_ADDRESS: &str = "193.0.6.139";

/// The function `name` (binary in `bin_dir`; `binary:variant` for the variants above) with its
/// environment and first event. `geoip_db`: the city database a login locates its address in.
pub fn function(
    name: &str,
    bin_dir: &Path,
    log_dir: &Path,
    seed: &Seed,
    geoip_db: Option<&Path>,
) -> Result<Function, BoxError> {
    let (binary, variant) = name.split_once(':').unwrap_or((name, ""));
    if !variant.is_empty()
        && (binary != "create-session" || !CREATE_SESSION_VARIANTS.contains(&variant))
    {
        return Err(format!(
            "no variant `{name}`; create-session has {}",
            CREATE_SESSION_VARIANTS
                .map(|v| format!("create-session:{v}"))
                .join(", ")
        )
        .into());
    }
    let mut env = lambda_env(binary);
    let event = match binary {
        "hello-lambda" => json!({"hello": "world"}),
        peer::GET_PRODUCT => peer::get_product(&mut env, &seed.products),
        "validate-session" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            let path = format!("/internal/sessions/{}/validity", seed.session);
            http_event("GET /internal/sessions/{id}/validity", "GET", &path, None)
        }
        "create-session" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            let with_agent = matches!(variant, "" | "ua");
            if matches!(variant, "" | "geo") {
                match geoip_db {
                    Some(path) => {
                        env.insert("GEOIP_DB_PATH".into(), path.display().to_string());
                    }
                    None if variant == "geo" => {
                        return Err(format!("{name} needs a location database (--geoip-db)").into());
                    }
                    None => {}
                }
            }
            let mut body = json!({
                "user_id": seed.user.as_str(),
                "ip_address": LOGIN_ADDRESS,
                "refresh_token_id": "rt_01JD5X8Y9Z",
            });
            if with_agent {
                body["user_agent"] = json!(fixtures::USER_AGENT);
            }
            let body = body.to_string();
            http_event(
                "POST /internal/sessions",
                "POST",
                "/internal/sessions",
                Some(body),
            )
        }
        "authorizer" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            env.insert("JWT_ALGORITHM".into(), "HS256".into());
            env.insert("JWT_SECRET".into(), JWT_SECRET.into());
            env.insert("JWT_ISSUER".into(), JWT_ISSUER.into());
            env.insert("JWT_AUDIENCE".into(), JWT_AUDIENCE.into());
            let issuer = TokenIssuer::hs256(JWT_SECRET.as_bytes(), JWT_ISSUER, JWT_AUDIENCE)?;
            // Long enough for every run of the benchmark.
            let token = issuer.issue(&seed.user, seed.session, Duration::from_secs(24 * 3600))?;
            let bearer = format!("Bearer {token}");
            json!({
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/sessions",
                "identitySource": [bearer],
                "routeKey": "GET /sessions",
                "rawPath": "/sessions",
                "rawQueryString": "",
                "headers": {
                    "host": "abc123.execute-api.us-east-1.amazonaws.com",
                    "user-agent": fixtures::USER_AGENT,
                    "authorization": bearer
                },
                "requestContext": {
                    "accountId": "123456789012",
                    "apiId": "abc123",
                    "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                    "domainPrefix": "abc123",
                    "http": {
                        "method": "GET",
                        "path": "/sessions",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "203.0.113.7",
                        "userAgent": fixtures::USER_AGENT
                    },
                    "requestId": "JKJaXmPLvHcESHA=",
                    "routeKey": "GET /sessions",
                    "stage": "$default",
                    "time": "01/Jan/2026:00:00:00 +0000",
                    "timeEpoch": 1767225600000u64
                }
            })
        }
        "event-relay" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            // moto creates the account's `default` bus on first use.
            env.insert("EVENT_BUS_NAME".into(), "default".into());
            let event_id = "0193a1b2-c3d4-7e5f-8a6b-0000000000e1";
            let detail = json!({
                "event_id": event_id,
                "occurred_at": "2026-01-01T00:00:00.000000Z",
                "session_id": seed.session.to_string(),
                "user_id": seed.user.as_str(),
                "reason": "manual",
                "device_info": "Chrome on Mac OS X",
                "revoked_by_user": seed.user.as_str(),
                "by": {"kind": "user", "id": seed.user.as_str()},
                "note": null
            })
            .to_string();
            json!({"Records": [{
                "eventID": "c4ca4238a0b923820dcc509a6f75849b",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1767225600,
                    "Keys": {"pk": {"S": format!("EVENT#{event_id}")}, "sk": {"S": "EVENT"}},
                    "NewImage": {
                        "pk": {"S": format!("EVENT#{event_id}")},
                        "sk": {"S": "EVENT"},
                        "event_id": {"S": event_id},
                        "detail_type": {"S": "SessionRevoked"},
                        "detail": {"S": detail},
                        "occurred_at": {"S": "2026-01-01T00:00:00.000000000Z"},
                        "user_id": {"S": seed.user.as_str()},
                        "ttl": {"N": "1767312000"}
                    },
                    "SequenceNumber": "111000000000000000000001",
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_IMAGE"
                },
                "eventSourceARN": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-01-01T00:00:00.000", seed.table)
            }]})
        }
        "get-session"
        | "list-sessions"
        | "revoke-session"
        | "revoke-all-sessions"
        | "logout-current" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            let own = seed.session.to_string();
            match name {
                "get-session" => user_event(
                    "GET /sessions/{id}",
                    "GET",
                    &format!("/sessions/{own}"),
                    seed,
                    &own,
                ),
                "list-sessions" => user_event("GET /sessions", "GET", "/sessions", seed, &own),
                // Signs out the user's other sessions: the create-session runs' logins.
                "revoke-all-sessions" => {
                    user_event("DELETE /sessions", "DELETE", "/sessions", seed, &own)
                }
                "revoke-session" => user_event(
                    "DELETE /sessions/{id}",
                    "DELETE",
                    &format!("/sessions/{ABSENT_SESSION}"),
                    seed,
                    &own,
                ),
                _ => user_event(
                    "DELETE /sessions/current",
                    "DELETE",
                    "/sessions/current",
                    seed,
                    ABSENT_SESSION,
                ),
            }
        }
        "update-session-activity" | "record-provider-access" | "link-refresh-token" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            let (route, method, suffix, body) = match name {
                "update-session-activity" => (
                    "POST /internal/sessions/{id}/activity",
                    "POST",
                    "activity",
                    json!({"ip_address": "198.51.100.99", "user_agent": fixtures::USER_AGENT}),
                ),
                "record-provider-access" => (
                    "POST /internal/sessions/{id}/provider-access",
                    "POST",
                    "provider-access",
                    json!({"provider_name": "plaid"}),
                ),
                _ => (
                    "PUT /internal/sessions/{id}/refresh-token",
                    "PUT",
                    "refresh-token",
                    json!({"refresh_token_id": "rt_cold_start"}),
                ),
            };
            let path = format!("/internal/sessions/{}/{suffix}", seed.session);
            http_event(route, method, &path, Some(body.to_string()))
        }
        "set-session-policy" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            http_event(
                "PUT /internal/users/{user_id}/session-policy",
                "PUT",
                "/internal/users/cold-start-other-user/session-policy",
                Some(json!({"tier": "plus"}).to_string()),
            )
        }
        // A password reset for a user the service never saw: the marker read, the ledger read
        // and the failure record, without revoking the seeded session.
        "password-changed" => {
            env.insert("SESSIONS_TABLE".into(), seed.table.clone());
            json!({
                "version": "0",
                "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
                "detail-type": "PasswordResetConfirmSucceeded",
                "source": "auth",
                "account": "123456789012",
                "time": "2026-01-01T00:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": {"user_id": "cold-start-unknown-user"}
            })
        }
        other => {
            return Err(format!(
                "no first event for `{other}`; known functions: {}",
                KNOWN.join(", ")
            )
            .into());
        }
    };
    Ok(Function {
        name: name.to_owned(),
        binary: bin_dir.join(binary),
        env,
        event: event.to_string(),
        log: log_dir.join(format!("{name}.log")),
    })
}
