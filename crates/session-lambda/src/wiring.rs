//! Building the shared parts once per process: the AWS SDK configuration, clients and the use
//! cases over DynamoDB.

use std::sync::Arc;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use session_core::Sessions;
use session_dynamodb::{DynamoStore, RetryObserver};
use session_enrich::{DeviceParser, GeoIpLocator};

use crate::InitError;
use crate::aws_http::{self, Roots};
use crate::config::{self, Env};
use crate::metrics::{MeteredStore, Metric, Metrics, Timed};

/// The store every function uses: DynamoDB, observed by the function's metrics.
pub type Store = MeteredStore<DynamoStore>;

/// Loads the SDK configuration from the Lambda environment (region, credentials, and the standard
/// `AWS_ENDPOINT_URL*` variables, which point it at stand-ins in tests), over the one HTTP client
/// all the function's SDK clients share ([`aws_http`], docs/0043), with the configured attempt and
/// operation timeouts for every client built from it (docs/0044).
pub async fn sdk_config(env: &impl Env) -> Result<SdkConfig, InitError> {
    let timeouts = config::sdk_timeouts(env)?;
    let http = aws_http::shared_client(Roots::from_env(env)?)?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .load()
        .await)
}

/// The SDK's variable for a DynamoDB endpoint of its own (the stand-ins' DynamoDB Local).
const DYNAMODB_ENDPOINT: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// The DynamoDB client. A blank `AWS_ENDPOINT_URL_DYNAMODB` is what `sam local invoke` (and
/// scripts/invoke) pass when the template declares the variable for local runs and nobody set it
/// (docs/0035). The SDK ignores a blank `AWS_ENDPOINT_URL`, but would take a blank service
/// endpoint as the URL and panic on the first request; it is ignored the same way here.
/// Every attempt the SDK retries is counted in `StoreRetries` by its cause.
fn dynamodb_client(sdk: &SdkConfig, env: &impl Env, metrics: &Metrics) -> aws_sdk_dynamodb::Client {
    let retries = metrics.clone();
    let mut config = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(RetryObserver::new(
        move |cause| retries.count(Metric::StoreRetries, Some(cause)),
    ));
    if env
        .get(DYNAMODB_ENDPOINT)
        .is_some_and(|url| url.trim().is_empty())
    {
        config.set_endpoint_url(sdk.endpoint_url().map(str::to_owned));
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

/// The function's metrics, in the namespace `METRICS_NAMESPACE` names.
pub fn metrics(env: &impl Env) -> Result<Metrics, InitError> {
    Ok(Metrics::new(config::metrics_namespace(env)?))
}

/// What every function over the sessions table starts with: its metrics and its use cases,
/// configured from `env` (the SDK configuration is used only to build their clients).
pub async fn session_service(env: &impl Env) -> Result<(Sessions<Store>, Metrics), InitError> {
    let metrics = metrics(env)?;
    let sdk = sdk_config(env).await?;
    let sessions = sessions(&sdk, env, &metrics)?;
    Ok((sessions, metrics))
}

/// The use cases over the sessions table named by `SESSIONS_TABLE`, with the configured policy,
/// recording into `metrics` what they commit, how the store fails and how long enrichment takes.
/// Both enrichers load lazily: only a login uses them, so no other function pays for the
/// user-agent rules or the city database at init.
pub fn sessions(
    sdk: &SdkConfig,
    env: &impl Env,
    metrics: &Metrics,
) -> Result<Sessions<Store>, InitError> {
    let table = config::sessions_table(env)?;
    let policy = config::policy(env)?;
    let store = MeteredStore::new(
        DynamoStore::new(dynamodb_client(sdk, env, metrics), table),
        metrics.clone(),
    )
    .classifying_errors(session_dynamodb::error_class);
    let mut sessions = Sessions::new(store, policy)
        .with_device_enricher(Arc::new(Timed::new(DeviceParser::new(), metrics.clone())));
    if let Some(path) = config::geoip_db_path(env) {
        sessions = sessions.with_location_enricher(Arc::new(Timed::new(
            GeoIpLocator::lazy(path),
            metrics.clone(),
        )));
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProcessEnv;

    const REQUIRE_STANDINS: &str = "SESSION_TESTS_REQUIRE_STANDINS";

    /// Both SDK clients a function builds reach the stand-ins through the one shared client, by
    /// the standard `AWS_ENDPOINT_URL*` variables. Skipped with a message without the stand-ins;
    /// a failure under scripts/test, which starts them.
    #[tokio::test]
    async fn sdk_clients_reach_the_standins_through_the_shared_client() {
        let endpoints = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"];
        if endpoints
            .iter()
            .any(|name| std::env::var_os(name).is_none())
        {
            assert!(
                std::env::var(REQUIRE_STANDINS).as_deref() != Ok("1"),
                "{endpoints:?} not set although {REQUIRE_STANDINS}=1"
            );
            eprintln!("skipped: the AWS stand-ins are not running (run scripts/test)");
            return;
        }
        let sdk = sdk_config(&ProcessEnv).await.unwrap();
        let metrics = metrics(&ProcessEnv).unwrap();
        let tables = dynamodb_client(&sdk, &ProcessEnv, &metrics)
            .list_tables()
            .send()
            .await;
        assert!(tables.is_ok(), "DynamoDB Local: {tables:?}");
        let buses = aws_sdk_eventbridge::Client::new(&sdk)
            .list_event_buses()
            .send()
            .await;
        assert!(buses.is_ok(), "moto: {buses:?}");
    }
}
