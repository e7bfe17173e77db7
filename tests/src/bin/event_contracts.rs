//! Regenerates the event contracts from the event types: schemas/events/<DetailType>.json,
//! schemas/envelope.json, schemas/asyncapi.yaml and template.yaml's schema registry
//! (`cargo run -p session-tests --bin event-contracts`, from anywhere in the workspace).

use std::process::ExitCode;

fn main() -> ExitCode {
    match session_tests::event_contracts::write_all() {
        Ok(changed) if changed.is_empty() => {
            println!("event contracts: up to date");
            ExitCode::SUCCESS
        }
        Ok(changed) => {
            for path in changed {
                println!("event contracts: wrote {path}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("event contracts: {error}");
            ExitCode::FAILURE
        }
    }
}
