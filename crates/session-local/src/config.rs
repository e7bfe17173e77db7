//! Turning command-line arguments and environment into a validated server configuration. Every
//! problem is found here, before the port is bound.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use session_core::domain::{PolicyConfig, PolicyError};
use thiserror::Error;

use crate::cli::{ServeArgs, StoreKind};

/// Issuer of the tokens the local server accepts and mints.
pub const ISSUER: &str = "session-local";
/// Audience of the tokens the local server accepts and mints.
pub const AUDIENCE: &str = "sessions";
/// The secret used when none is configured. Printed at start: it protects nothing.
pub const DEV_JWT_SECRET: &str = "session-local-dev-secret-not-for-production";

/// Largest policy file read; a real one is a few hundred bytes.
const MAX_POLICY_FILE_BYTES: u64 = 1024 * 1024;

/// Where domain events go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventOutput {
    /// One JSON line per event on stdout.
    Stdout,
    /// Appended, one JSON line per event, to a file.
    File(PathBuf),
}

/// The JWT secret and whether it is the printed development default.
#[derive(Clone)]
pub struct JwtSecret {
    secret: String,
    is_dev_default: bool,
}

impl JwtSecret {
    /// The configured secret, or the development default.
    pub fn resolve(configured: Option<String>) -> Self {
        match configured.filter(|secret| !secret.is_empty()) {
            Some(secret) => Self {
                secret,
                is_dev_default: false,
            },
            None => Self::dev_default(),
        }
    }

    pub fn dev_default() -> Self {
        Self {
            secret: DEV_JWT_SECRET.to_owned(),
            is_dev_default: true,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// The secret text, for the start-up banner only, and only when it is the dev default.
    pub fn printable(&self) -> Option<&str> {
        self.is_dev_default.then_some(self.secret.as_str())
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSecret")
            .field("is_dev_default", &self.is_dev_default)
            .finish_non_exhaustive()
    }
}

/// The store behind the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// In memory; events are printed as they commit.
    Memory,
    /// A DynamoDB table at the SDK's configured endpoint (`AWS_ENDPOINT_URL_DYNAMODB` for
    /// DynamoDB Local); events stay in the table's outbox, for the stream relay.
    DynamoDb { table: String, create_table: bool },
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where sessions live: the embedded store (default) or a DynamoDB table.
    pub store: StoreChoice,
    pub policy: PolicyConfig,
    pub jwt_secret: JwtSecret,
    pub events: EventOutput,
    /// City database for locations; none means sessions carry no location.
    pub geoip_db: Option<PathBuf>,
    /// How long a request may take from its arrival (docs/0044).
    pub request_budget: Duration,
    /// The AWS SDK's wait for one attempt, and for one request with its retries (DynamoDB).
    pub sdk_attempt_timeout: Duration,
    pub sdk_operation_timeout: Duration,
}

/// A request's default budget: far above any healthy request, well below a client's patience.
pub const DEFAULT_REQUEST_BUDGET: Duration = Duration::from_secs(5);

impl ServerConfig {
    /// Defaults: default policy, dev secret, events on stdout.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            policy: PolicyConfig::default(),
            jwt_secret: JwtSecret::dev_default(),
            events: EventOutput::Stdout,
            geoip_db: None,
            store: StoreChoice::Memory,
            request_budget: DEFAULT_REQUEST_BUDGET,
            sdk_attempt_timeout: Duration::from_millis(1500),
            sdk_operation_timeout: Duration::from_millis(4000),
        }
    }

    pub fn from_args(args: &ServeArgs, jwt_secret: Option<String>) -> Result<Self, ConfigError> {
        let policy = match (&args.policy_file, &args.policy_json) {
            (Some(path), _) => policy_from_file(path)?,
            (None, Some(json)) => PolicyConfig::from_json(json).map_err(ConfigError::PolicyJson)?,
            (None, None) => PolicyConfig::default(),
        };
        Ok(Self {
            listen: args.listen,
            policy,
            jwt_secret: JwtSecret::resolve(jwt_secret),
            events: args
                .events_file
                .clone()
                .map_or(EventOutput::Stdout, EventOutput::File),
            geoip_db: args.geoip_db.clone(),
            request_budget: Duration::from_millis(args.request_budget_ms),
            sdk_attempt_timeout: Duration::from_millis(args.sdk_attempt_timeout_ms),
            sdk_operation_timeout: Duration::from_millis(args.sdk_operation_timeout_ms),
            store: match args.store {
                StoreKind::Memory => StoreChoice::Memory,
                StoreKind::Dynamodb => StoreChoice::DynamoDb {
                    table: args.table.clone(),
                    create_table: args.create_table,
                },
            },
        })
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the policy file {path}: {source}")]
    PolicyFileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the policy file {path} is larger than {MAX_POLICY_FILE_BYTES} bytes")]
    PolicyFileTooLarge { path: PathBuf },
    #[error("the policy file {path} is invalid: {source}")]
    PolicyFile {
        path: PathBuf,
        #[source]
        source: PolicyError,
    },
    #[error("SESSION_POLICY_JSON is invalid: {0}")]
    PolicyJson(#[source] PolicyError),
}

fn policy_from_file(path: &Path) -> Result<PolicyConfig, ConfigError> {
    let unreadable = |source| ConfigError::PolicyFileUnreadable {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_POLICY_FILE_BYTES {
        return Err(ConfigError::PolicyFileTooLarge {
            path: path.to_owned(),
        });
    }
    let json = std::fs::read_to_string(path).map_err(unreadable)?;
    PolicyConfig::from_json(&json).map_err(|source| ConfigError::PolicyFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            listen: "127.0.0.1:0".parse().unwrap(),
            policy_file: None,
            policy_json: None,
            geoip_db: None,
            events_file: None,
            store: StoreKind::Memory,
            table: "sessions-local".into(),
            create_table: false,
            request_budget_ms: 5000,
            sdk_attempt_timeout_ms: 1500,
            sdk_operation_timeout_ms: 4000,
        }
    }

    #[test]
    fn defaults_use_the_dev_secret_and_default_policy() {
        let config = ServerConfig::from_args(&args(), None).unwrap();
        assert_eq!(config.policy, PolicyConfig::default());
        assert_eq!(config.jwt_secret.printable(), Some(DEV_JWT_SECRET));
        assert_eq!(config.events, EventOutput::Stdout);
        assert_eq!(config.request_budget, DEFAULT_REQUEST_BUDGET);
    }

    #[test]
    fn a_configured_secret_is_never_printable() {
        let secret = JwtSecret::resolve(Some("a-configured-secret-of-32-bytes-or-more".into()));
        assert_eq!(secret.printable(), None);
        assert!(!format!("{secret:?}").contains("configured"));
        assert_eq!(
            JwtSecret::resolve(Some(String::new())).printable(),
            Some(DEV_JWT_SECRET)
        );
    }

    #[test]
    fn policy_json_is_parsed_and_validated() {
        let mut with_json = args();
        with_json.policy_json = Some(r#"{"default_tier": "pro"}"#.into());
        let config = ServerConfig::from_args(&with_json, None).unwrap();
        assert_eq!(config.policy.default_tier().as_str(), "pro");

        with_json.policy_json = Some(r#"{"default_tier": "nope"}"#.into());
        assert!(matches!(
            ServerConfig::from_args(&with_json, None),
            Err(ConfigError::PolicyJson(_))
        ));
    }

    #[test]
    fn policy_file_wins_over_inline_json() {
        let path =
            std::env::temp_dir().join(format!("session-local-policy-{}.json", std::process::id()));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(br#"{"session_lifetime_secs": 3600}"#)
            .unwrap();
        let mut both = args();
        both.policy_file = Some(path.clone());
        both.policy_json = Some(r#"{"session_lifetime_secs": 7200}"#.into());
        let config = ServerConfig::from_args(&both, None).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(config.policy.session_lifetime_secs(), 3600);

        both.policy_file = Some(path);
        assert!(matches!(
            ServerConfig::from_args(&both, None),
            Err(ConfigError::PolicyFileUnreadable { .. })
        ));
    }
}
