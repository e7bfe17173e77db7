//! `POST /internal/sessions/{id}/step-up`: records a step-up: raises the session's assurance.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::http_function::serve(env!("CARGO_PKG_NAME")).await
}
