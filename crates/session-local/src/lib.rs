//! The local server: the whole session API on one port over the embedded store, with bearer
//! tokens checked the way the Lambda authorizer checks them and internal routes open.
//!
//! `main.rs` only parses the command line and calls [`run`]; tests start a [`LocalServer`]
//! in-process on an ephemeral port.

pub mod cli;
pub mod config;
mod events;
mod server;
mod shutdown;
pub mod sweeps;
pub mod token;
mod ui;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

pub use cli::{Cli, Command, ServeArgs};
pub use config::{
    AUDIENCE, DEV_JWT_SECRET, EventOutput, ISSUER, JwtSecret, ServerConfig, StoreChoice,
};
pub use events::JsonLinesSink;
pub use server::{LOCAL_PRINCIPAL, LocalServer, ServerError};

/// Runs the command line: `token` prints a token, anything else serves until Ctrl-C / SIGTERM.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Token {
            user,
            session,
            ttl_secs,
        }) => {
            let secret = JwtSecret::resolve(cli.jwt_secret);
            match token::mint(&secret, &user, session, Duration::from_secs(ttl_secs)) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("session-local: {error}");
                    ExitCode::from(2)
                }
            }
        }
        Some(Command::Serve) | None => serve(&cli.serve, cli.jwt_secret).await,
    }
}

async fn serve(args: &ServeArgs, jwt_secret: Option<String>) -> ExitCode {
    init_tracing();
    let config = match ServerConfig::from_args(args, jwt_secret) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("session-local: {error}");
            return ExitCode::from(2);
        }
    };
    let server = match LocalServer::bind(config.clone()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("session-local: {error}");
            return ExitCode::from(2);
        }
    };
    eprint!("{}", banner(server.local_addr(), &config));
    match server.run(shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// JSON logs on stderr (stdout carries events), filtered by `RUST_LOG`, `info` by default.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests) keeps the first subscriber; nothing to report.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// What a developer needs to start trying routes.
fn banner(addr: SocketAddr, config: &ServerConfig) -> String {
    let events = match &config.events {
        EventOutput::Stdout => "stdout (JSON lines)".to_owned(),
        EventOutput::File(path) => format!("appended to {}", path.display()),
    };
    let secret = match config.jwt_secret.printable() {
        Some(secret) => format!(
            "  JWT secret: {secret}  (development default; set --jwt-secret or SESSION_LOCAL_JWT_SECRET)\n"
        ),
        None => "  JWT secret: configured\n".to_owned(),
    };
    let store = match &config.store {
        StoreChoice::Memory => "in memory (everything is lost on exit)".to_owned(),
        StoreChoice::DynamoDb { table, .. } => {
            format!("DynamoDB table {table} (events stay in its outbox for the stream relay)")
        }
    };
    let sign_in = if addr.ip().is_loopback() {
        "development sign-in: any user, from this machine only"
    } else {
        "development sign-in off beyond loopback: paste a token from the `token` command"
    };
    format!(
        "session-local listening on http://{addr}\n\
         \x20 your devices: http://{addr}/ui/devices  ({sign_in})\n\
         \x20 support console: http://{addr}/ui/console  (admin routes; local use, or behind your staff login)\n\
         \x20 store: {store}\n\
         \x20 tokens: HS256, iss={ISSUER}, aud={AUDIENCE}\n\
         {secret}\
         \x20 mint a token: cargo run -p session-local -- token --user USER --session SESSION_ID\n\
         \x20 internal routes (/internal/...) need no credentials locally\n\
         \x20 OpenAPI: http://{addr}/openapi.json\n\
         \x20 events: {events}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_shows_the_dev_secret_and_how_to_mint_a_token() {
        let config = ServerConfig::new("127.0.0.1:3000".parse().unwrap());
        let text = banner(config.listen, &config);
        assert!(text.contains("http://127.0.0.1:3000"));
        assert!(text.contains(DEV_JWT_SECRET));
        assert!(text.contains("token --user USER --session SESSION_ID"));
        assert!(text.contains("your devices: http://127.0.0.1:3000/ui/devices"));
        assert!(text.contains("support console: http://127.0.0.1:3000/ui/console"));
        assert!(text.contains("development sign-in: any user"));
    }

    #[test]
    fn banner_says_the_sign_in_is_off_beyond_loopback() {
        let config = ServerConfig::new("0.0.0.0:3000".parse().unwrap());
        let text = banner(config.listen, &config);
        assert!(text.contains("your devices: http://0.0.0.0:3000/ui/devices"));
        assert!(text.contains("development sign-in off beyond loopback"));
    }

    #[test]
    fn banner_never_shows_a_configured_secret() {
        let mut config = ServerConfig::new("127.0.0.1:3000".parse().unwrap());
        config.jwt_secret =
            JwtSecret::resolve(Some("my-own-secret-that-is-long-enough-32b".into()));
        let text = banner(config.listen, &config);
        assert!(!text.contains("my-own-secret"));
        assert!(!text.contains(DEV_JWT_SECRET));
    }
}
