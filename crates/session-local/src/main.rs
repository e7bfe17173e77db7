//! `cargo run -p session-local`: the whole API on 127.0.0.1:3000 over the embedded store.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    session_local::run(session_local::Cli::parse()).await
}
