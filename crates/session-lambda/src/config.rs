//! Configuration from environment variables, parsed once at init. A missing or invalid variable
//! fails init with a message naming it, so a misconfigured function never serves a request.

use std::path::PathBuf;
use std::time::Duration;

use session_api::{JwtConfig, VerificationKey};
use session_core::domain::PolicyConfig;
use thiserror::Error;

pub const SESSIONS_TABLE: &str = "SESSIONS_TABLE";
pub const SESSION_POLICY_JSON: &str = "SESSION_POLICY_JSON";
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
pub const EVENT_SOURCE: &str = "EVENT_SOURCE";
pub const AUTH_EVENT_SOURCE: &str = "AUTH_EVENT_SOURCE";
pub const AUTH_EVENT_ACCOUNT: &str = "AUTH_EVENT_ACCOUNT";
pub const JWT_ALGORITHM: &str = "JWT_ALGORITHM";
pub const JWT_SECRET: &str = "JWT_SECRET";
pub const JWT_PUBLIC_KEY_PEM: &str = "JWT_PUBLIC_KEY_PEM";
pub const JWT_ISSUER: &str = "JWT_ISSUER";
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
pub const JWT_LEEWAY_SECS: &str = "JWT_LEEWAY_SECS";
pub const GEOIP_DB_PATH: &str = "GEOIP_DB_PATH";
pub const AUTHORIZER_RECORDS_ACTIVITY: &str = "AUTHORIZER_RECORDS_ACTIVITY";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const SDK_ATTEMPT_TIMEOUT_MS: &str = "SDK_ATTEMPT_TIMEOUT_MS";
pub const SDK_OPERATION_TIMEOUT_MS: &str = "SDK_OPERATION_TIMEOUT_MS";
pub const REQUEST_DEADLINE_MARGIN_MS: &str = "REQUEST_DEADLINE_MARGIN_MS";

/// One attempt of one AWS request: DynamoDB answers in milliseconds, a 100-item transaction in
/// tens; an attempt still waiting after this is lost, and the SDK's retry may get through.
pub const DEFAULT_SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// One AWS request, retries included: below the shortest function timeout (the authorizer's
/// 5 s), so a brown-out ends in an answer, not in a killed invocation.
pub const DEFAULT_SDK_OPERATION_TIMEOUT: Duration = Duration::from_millis(4000);
/// Time kept back from the invocation's deadline to answer (docs/0044).
pub const DEFAULT_REQUEST_DEADLINE_MARGIN: Duration = Duration::from_millis(300);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where variables come from: the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A set, non-blank variable.
fn optional(env: &impl Env, name: &'static str) -> Option<String> {
    env.get(name).filter(|v| !v.trim().is_empty())
}

fn required(env: &impl Env, name: &'static str) -> Result<String, ConfigError> {
    optional(env, name).ok_or(ConfigError::Missing(name))
}

fn invalid(name: &'static str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_string(),
    }
}

/// The sessions table.
pub fn sessions_table(env: &impl Env) -> Result<String, ConfigError> {
    required(env, SESSIONS_TABLE)
}

/// The session policy: `SESSION_POLICY_JSON` when set, the defaults otherwise.
pub fn policy(env: &impl Env) -> Result<PolicyConfig, ConfigError> {
    match optional(env, SESSION_POLICY_JSON) {
        None => Ok(PolicyConfig::default()),
        Some(json) => PolicyConfig::from_json(&json).map_err(|e| invalid(SESSION_POLICY_JSON, e)),
    }
}

/// Where and as whom events are published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusConfig {
    pub bus_name: String,
    pub source: String,
}

pub fn bus(env: &impl Env) -> Result<BusConfig, ConfigError> {
    Ok(BusConfig {
        bus_name: required(env, EVENT_BUS_NAME)?,
        source: optional(env, EVENT_SOURCE).unwrap_or_else(|| "sessions".to_owned()),
    })
}

/// Which auth events the password-change consumer trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthEventsConfig {
    pub source: String,
    /// When set, events from any other account are dropped.
    pub account: Option<String>,
}

pub fn auth_events(env: &impl Env) -> Result<AuthEventsConfig, ConfigError> {
    let account = optional(env, AUTH_EVENT_ACCOUNT);
    if let Some(account) = &account
        && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid(
            AUTH_EVENT_ACCOUNT,
            "must be a 12-digit AWS account id",
        ));
    }
    Ok(AuthEventsConfig {
        source: optional(env, AUTH_EVENT_SOURCE).unwrap_or_else(|| "auth".to_owned()),
        account,
    })
}

/// How bearer tokens are verified: `JWT_ALGORITHM` (HS256, RS256 or ES256) with `JWT_SECRET` or
/// `JWT_PUBLIC_KEY_PEM`, plus `JWT_ISSUER`, `JWT_AUDIENCE` and optional `JWT_LEEWAY_SECS`.
pub fn jwt(env: &impl Env) -> Result<JwtConfig, ConfigError> {
    let algorithm = required(env, JWT_ALGORITHM)?;
    let key = match algorithm.as_str() {
        "HS256" => VerificationKey::Hs256Secret(required(env, JWT_SECRET)?.into_bytes()),
        "RS256" => VerificationKey::Rs256PublicPem(required(env, JWT_PUBLIC_KEY_PEM)?),
        "ES256" => VerificationKey::Es256PublicPem(required(env, JWT_PUBLIC_KEY_PEM)?),
        _ => return Err(invalid(JWT_ALGORITHM, "must be HS256, RS256 or ES256")),
    };
    let mut config = JwtConfig::new(
        key,
        required(env, JWT_ISSUER)?,
        required(env, JWT_AUDIENCE)?,
    );
    if let Some(leeway) = optional(env, JWT_LEEWAY_SECS) {
        let secs: u64 = leeway
            .parse()
            .map_err(|_| invalid(JWT_LEEWAY_SECS, "must be a whole number of seconds"))?;
        if secs > session_api::auth::MAX_LEEWAY_SECS {
            return Err(invalid(
                JWT_LEEWAY_SECS,
                format!("must be at most {}", session_api::auth::MAX_LEEWAY_SECS),
            ));
        }
        config = config.with_leeway_secs(secs);
    }
    Ok(config)
}

/// Whether the authorizer records every allowed request as activity on its session (docs/0012):
/// `true` or `false`, default `false`.
pub fn authorizer_records_activity(env: &impl Env) -> Result<bool, ConfigError> {
    match optional(env, AUTHORIZER_RECORDS_ACTIVITY).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(invalid(
            AUTHORIZER_RECORDS_ACTIVITY,
            "must be `true` or `false`",
        )),
    }
}

/// The CloudWatch namespace of the functions' metrics (default `SessionService`): at most 255
/// visible ASCII characters, not under `AWS/` (reserved for AWS's own).
pub fn metrics_namespace(env: &impl Env) -> Result<String, ConfigError> {
    let Some(namespace) = optional(env, METRICS_NAMESPACE) else {
        return Ok(crate::metrics::DEFAULT_NAMESPACE.to_owned());
    };
    if namespace.len() > 255 || !namespace.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(invalid(
            METRICS_NAMESPACE,
            "must be at most 255 visible ASCII characters",
        ));
    }
    if namespace.starts_with("AWS/") {
        return Err(invalid(METRICS_NAMESPACE, "must not start with `AWS/`"));
    }
    Ok(namespace)
}

/// A duration in whole milliseconds, `default` when unset; zero is refused (it would fail
/// every request).
fn millis(env: &impl Env, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let Some(text) = optional(env, name) else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(0) | Err(_) => Err(invalid(
            name,
            "must be a positive whole number of milliseconds",
        )),
        Ok(ms) => Ok(Duration::from_millis(ms)),
    }
}

/// How long the AWS SDK waits for its requests (DynamoDB, EventBridge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdkTimeouts {
    /// One attempt (`SDK_ATTEMPT_TIMEOUT_MS`).
    pub attempt: Duration,
    /// One request, its retries included (`SDK_OPERATION_TIMEOUT_MS`).
    pub operation: Duration,
}

pub fn sdk_timeouts(env: &impl Env) -> Result<SdkTimeouts, ConfigError> {
    let timeouts = SdkTimeouts {
        attempt: millis(env, SDK_ATTEMPT_TIMEOUT_MS, DEFAULT_SDK_ATTEMPT_TIMEOUT)?,
        operation: millis(env, SDK_OPERATION_TIMEOUT_MS, DEFAULT_SDK_OPERATION_TIMEOUT)?,
    };
    if timeouts.attempt > timeouts.operation {
        return Err(invalid(
            SDK_ATTEMPT_TIMEOUT_MS,
            format!("must not exceed {SDK_OPERATION_TIMEOUT_MS}"),
        ));
    }
    Ok(timeouts)
}

/// What an HTTP function keeps back from the invocation's deadline to answer
/// (`REQUEST_DEADLINE_MARGIN_MS`).
pub fn request_deadline_margin(env: &impl Env) -> Result<Duration, ConfigError> {
    millis(
        env,
        REQUEST_DEADLINE_MARGIN_MS,
        DEFAULT_REQUEST_DEADLINE_MARGIN,
    )
}

/// The location database, when one is deployed (e.g. from a Lambda layer under /opt).
pub fn geoip_db_path(env: &impl Env) -> Option<PathBuf> {
    optional(env, GEOIP_DB_PATH).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Env {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn missing_required_variable_is_named() {
        assert_eq!(
            sessions_table(&env(&[])),
            Err(ConfigError::Missing(SESSIONS_TABLE))
        );
        assert_eq!(
            sessions_table(&env(&[(SESSIONS_TABLE, "  ")])),
            Err(ConfigError::Missing(SESSIONS_TABLE))
        );
        assert_eq!(bus(&env(&[])), Err(ConfigError::Missing(EVENT_BUS_NAME)));
    }

    #[test]
    fn metrics_namespace_defaults_and_refuses_what_cloudwatch_would() {
        assert_eq!(metrics_namespace(&env(&[])).unwrap(), "SessionService");
        assert_eq!(
            metrics_namespace(&env(&[(METRICS_NAMESPACE, "Acme/Sessions")])).unwrap(),
            "Acme/Sessions"
        );
        for bad in ["AWS/Lambda", "tab\there", "é"] {
            assert!(
                matches!(
                    metrics_namespace(&env(&[(METRICS_NAMESPACE, bad)])),
                    Err(ConfigError::Invalid {
                        name: METRICS_NAMESPACE,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn timeouts_default_and_parse_milliseconds() {
        let defaults = sdk_timeouts(&env(&[])).unwrap();
        assert_eq!(defaults.attempt, DEFAULT_SDK_ATTEMPT_TIMEOUT);
        assert_eq!(defaults.operation, DEFAULT_SDK_OPERATION_TIMEOUT);
        let set = sdk_timeouts(&env(&[
            (SDK_ATTEMPT_TIMEOUT_MS, "250"),
            (SDK_OPERATION_TIMEOUT_MS, "900"),
        ]))
        .unwrap();
        assert_eq!(set.attempt, Duration::from_millis(250));
        assert_eq!(set.operation, Duration::from_millis(900));
        assert_eq!(
            request_deadline_margin(&env(&[(REQUEST_DEADLINE_MARGIN_MS, "100")])).unwrap(),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn zero_negative_or_inconsistent_timeouts_are_refused() {
        for (name, value) in [
            (SDK_ATTEMPT_TIMEOUT_MS, "0"),
            (SDK_OPERATION_TIMEOUT_MS, "-5"),
            (SDK_ATTEMPT_TIMEOUT_MS, "1.5"),
            (SDK_ATTEMPT_TIMEOUT_MS, "9000"),
        ] {
            assert!(
                matches!(
                    sdk_timeouts(&env(&[(name, value)])),
                    Err(ConfigError::Invalid { .. })
                ),
                "{name}={value}"
            );
        }
        assert!(request_deadline_margin(&env(&[(REQUEST_DEADLINE_MARGIN_MS, "x")])).is_err());
    }

    #[test]
    fn event_source_defaults_to_sessions() {
        let config = bus(&env(&[(EVENT_BUS_NAME, "b")])).unwrap();
        assert_eq!(config.source, "sessions");
    }

    #[test]
    fn invalid_policy_json_is_reported_with_its_variable() {
        let err = policy(&env(&[(
            SESSION_POLICY_JSON,
            "{\"default_tier\":\"gold\"}",
        )]))
        .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: SESSION_POLICY_JSON,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains(SESSION_POLICY_JSON));
        assert_eq!(policy(&env(&[])), Ok(PolicyConfig::default()));
    }

    #[test]
    fn jwt_configuration_needs_algorithm_key_issuer_and_audience() {
        assert_eq!(
            jwt(&env(&[])).unwrap_err(),
            ConfigError::Missing(JWT_ALGORITHM)
        );
        assert_eq!(
            jwt(&env(&[(JWT_ALGORITHM, "HS256")])).unwrap_err(),
            ConfigError::Missing(JWT_SECRET)
        );
        assert_eq!(
            jwt(&env(&[(JWT_ALGORITHM, "RS256")])).unwrap_err(),
            ConfigError::Missing(JWT_PUBLIC_KEY_PEM)
        );
        assert!(matches!(
            jwt(&env(&[(JWT_ALGORITHM, "none")])),
            Err(ConfigError::Invalid {
                name: JWT_ALGORITHM,
                ..
            })
        ));
        let base = [
            (JWT_ALGORITHM, "HS256"),
            (JWT_SECRET, "s"),
            (JWT_ISSUER, "auth"),
            (JWT_AUDIENCE, "sessions"),
        ];
        let config = jwt(&env(&base)).unwrap();
        assert_eq!(
            (config.issuer.as_str(), config.audience.as_str()),
            ("auth", "sessions")
        );
        let mut too_lenient = base.to_vec();
        too_lenient.push((JWT_LEEWAY_SECS, "3600"));
        assert!(matches!(
            jwt(&env(&too_lenient)),
            Err(ConfigError::Invalid {
                name: JWT_LEEWAY_SECS,
                ..
            })
        ));
    }

    #[test]
    fn authorizer_activity_recording_is_off_unless_switched_on() {
        assert_eq!(authorizer_records_activity(&env(&[])).ok(), Some(false));
        let on = env(&[(AUTHORIZER_RECORDS_ACTIVITY, "true")]);
        assert_eq!(authorizer_records_activity(&on).ok(), Some(true));
        let bad = env(&[(AUTHORIZER_RECORDS_ACTIVITY, "yes")]);
        let error = authorizer_records_activity(&bad)
            .err()
            .map(|e| e.to_string());
        assert!(
            error.is_some_and(|e| e.contains(AUTHORIZER_RECORDS_ACTIVITY)),
            "the variable is named"
        );
    }

    #[test]
    fn auth_event_account_must_be_an_account_id() {
        assert!(auth_events(&env(&[(AUTH_EVENT_ACCOUNT, "12345")])).is_err());
        let config = auth_events(&env(&[(AUTH_EVENT_ACCOUNT, "123456789012")])).unwrap();
        assert_eq!(
            (config.source.as_str(), config.account.as_deref()),
            ("auth", Some("123456789012"))
        );
    }
}
