//! `POST /internal/sessions/{id}/refresh`: checks and rotates the session's refresh token, records activity.

// One request at a time per sandbox: a single-threaded runtime starts faster and needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), session_lambda::Error> {
    session_lambda::http_function::serve(env!("CARGO_PKG_NAME")).await
}
