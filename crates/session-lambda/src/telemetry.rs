//! Structured JSON logs. The Lambda runtime opens a span per invocation carrying the request id,
//! and the formatter writes the current span's fields on every line, so each log line names its
//! request without handlers passing the id around.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber; `RUST_LOG` (or `AWS_LAMBDA_LOG_LEVEL`) sets the filter.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .ok()
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _already_set = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}
