//! Command line: serve the API (the default), or mint a token for trying the user routes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use session_core::ids::{SessionId, UserId};

/// Longest lifetime `token` mints: a year is plenty for local experiments.
const MAX_TOKEN_TTL_SECS: u64 = 365 * 24 * 3600;

#[derive(Parser, Debug)]
#[command(
    name = "session-local",
    version,
    about = "The session service's whole HTTP API on one port, over an in-memory store."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// HS256 secret for bearer tokens (at least 32 bytes); a printed dev secret when unset.
    #[arg(
        long,
        env = "SESSION_LOCAL_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Options of the server. Global, so they may also follow `serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "SESSION_LOCAL_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen: SocketAddr,

    /// Session policy JSON file (tiers, limits, lifetimes); wins over SESSION_POLICY_JSON.
    #[arg(long, value_name = "PATH", global = true)]
    pub policy_file: Option<PathBuf>,

    /// Session policy as inline JSON.
    #[arg(long, env = "SESSION_POLICY_JSON", value_name = "JSON", global = true)]
    pub policy_json: Option<String>,

    /// MaxMind DB format city database for session locations (none: sessions carry no location).
    #[arg(long, env = "GEOIP_DB_PATH", value_name = "PATH", global = true)]
    pub geoip_db: Option<PathBuf>,

    /// Append domain events (JSON lines) to this file instead of printing them on stdout.
    #[arg(long, value_name = "PATH", global = true)]
    pub events_file: Option<PathBuf>,

    /// Where sessions live: `memory` (lost on exit) or `dynamodb` (the table `--table` at the
    /// SDK's endpoint, e.g. DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB).
    #[arg(long, env = "SESSION_LOCAL_STORE", value_enum, default_value_t = StoreKind::Memory, global = true)]
    pub store: StoreKind,

    /// The DynamoDB table (with `--store dynamodb`).
    #[arg(
        long,
        env = "SESSIONS_TABLE",
        default_value = "sessions-local",
        global = true
    )]
    pub table: String,

    /// Create the table (keys, index, TTL, stream) if it does not exist (with `--store dynamodb`).
    #[arg(long, global = true)]
    pub create_table: bool,

    /// How long a request may take, from its arrival: past it the answer is 503
    /// `deadline_exceeded` and no retry starts (the Lambda functions take theirs from the
    /// invocation's remaining time).
    #[arg(
        long,
        env = "SESSION_LOCAL_REQUEST_BUDGET_MS",
        value_name = "MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub request_budget_ms: u64,

    /// How long the AWS SDK waits for one attempt of a DynamoDB request (with `--store dynamodb`).
    #[arg(
        long,
        env = "SDK_ATTEMPT_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 1500,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub sdk_attempt_timeout_ms: u64,

    /// How long the AWS SDK waits for one DynamoDB request, its retries included (with
    /// `--store dynamodb`).
    #[arg(
        long,
        env = "SDK_OPERATION_TIMEOUT_MS",
        value_name = "MS",
        default_value_t = 4000,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub sdk_operation_timeout_ms: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Dynamodb,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (what runs without a command).
    Serve,
    /// Print a bearer token for a user's session, and nothing else, on stdout.
    Token {
        /// The user id (`sub`).
        #[arg(long)]
        user: UserId,
        /// The session id (`session_id`), as returned by POST /internal/sessions.
        #[arg(long)]
        session: SessionId,
        /// Lifetime of the token in seconds.
        #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=MAX_TOKEN_TTL_SECS))]
        ttl_secs: u64,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_options_work_with_and_without_the_subcommand() {
        let bare = Cli::try_parse_from(["session-local", "--listen", "127.0.0.1:4000"]).unwrap();
        assert_eq!(bare.serve.listen.port(), 4000);
        assert!(bare.command.is_none());
        let explicit =
            Cli::try_parse_from(["session-local", "serve", "--listen", "127.0.0.1:4001"]).unwrap();
        assert!(matches!(explicit.command, Some(Command::Serve)));
        assert_eq!(explicit.serve.listen.port(), 4001);
        let secret_first = Cli::try_parse_from([
            "session-local",
            "--jwt-secret",
            "s",
            "token",
            "--user",
            "alice",
            "--session",
            "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
        ])
        .unwrap();
        assert_eq!(secret_first.jwt_secret.as_deref(), Some("s"));
    }

    #[test]
    fn token_command_validates_its_ids() {
        let ok = Cli::try_parse_from([
            "session-local",
            "token",
            "--user",
            "alice",
            "--session",
            "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
        ]);
        assert!(matches!(
            ok.map(|cli| cli.command),
            Ok(Some(Command::Token { ttl_secs: 3600, .. }))
        ));
        let bad = Cli::try_parse_from([
            "session-local",
            "token",
            "--user",
            "alice",
            "--session",
            "nope",
        ]);
        assert!(bad.is_err());
        let zero_ttl = Cli::try_parse_from([
            "session-local",
            "token",
            "--user",
            "alice",
            "--session",
            "0193a5b0-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
            "--ttl-secs",
            "0",
        ]);
        assert!(zero_ttl.is_err());
    }
}
