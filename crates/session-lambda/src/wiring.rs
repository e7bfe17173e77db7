//! Building the shared parts once per process: the AWS SDK configuration, clients and the use
//! cases over DynamoDB.

use std::sync::Arc;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use session_core::Sessions;
use session_dynamodb::DynamoStore;
use session_enrich::{DeviceParser, GeoIpLocator};

use crate::InitError;
use crate::config::{self, Env};

/// Loads the SDK configuration from the Lambda environment (region, credentials, and the standard
/// `AWS_ENDPOINT_URL*` variables, which point it at stand-ins in tests), with the configured
/// attempt and operation timeouts for every client built from it (docs/0044).
pub async fn sdk_config(env: &impl Env) -> Result<SdkConfig, InitError> {
    let timeouts = config::sdk_timeouts(env)?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
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
fn dynamodb_client(sdk: &SdkConfig, env: &impl Env) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(sdk);
    if env
        .get(DYNAMODB_ENDPOINT)
        .is_some_and(|url| url.trim().is_empty())
    {
        config.set_endpoint_url(sdk.endpoint_url().map(str::to_owned));
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

/// The use cases over the sessions table named by `SESSIONS_TABLE`, with the configured policy.
/// Both enrichers load lazily: only a login uses them, so no other function pays for the
/// user-agent rules or the city database at init.
pub fn sessions(sdk: &SdkConfig, env: &impl Env) -> Result<Sessions<DynamoStore>, InitError> {
    let table = config::sessions_table(env)?;
    let policy = config::policy(env)?;
    let store = DynamoStore::new(dynamodb_client(sdk, env), table);
    let mut sessions =
        Sessions::new(store, policy).with_device_enricher(Arc::new(DeviceParser::new()));
    if let Some(path) = config::geoip_db_path(env) {
        sessions = sessions.with_location_enricher(Arc::new(GeoIpLocator::lazy(path)));
    }
    Ok(sessions)
}
