//! Building the shared parts once per process: the AWS SDK configuration, clients and the use
//! cases over DynamoDB.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use session_core::Sessions;
use session_dynamodb::DynamoStore;
use session_enrich::{DeviceParser, GeoIpLocator};

use crate::InitError;
use crate::config::{self, Env};

/// Loads the SDK configuration from the Lambda environment (region, credentials, and the standard
/// `AWS_ENDPOINT_URL*` variables, which point it at stand-ins in tests).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The use cases over the sessions table named by `SESSIONS_TABLE`, with the configured policy.
/// Both enrichers load lazily: only a login uses them, so no other function pays for the
/// user-agent rules or the city database at init.
pub fn sessions(sdk: &SdkConfig, env: &impl Env) -> Result<Sessions<DynamoStore>, InitError> {
    let table = config::sessions_table(env)?;
    let policy = config::policy(env)?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table);
    let mut sessions =
        Sessions::new(store, policy).with_device_enricher(Arc::new(DeviceParser::new()));
    if let Some(path) = config::geoip_db_path(env) {
        sessions = sessions.with_location_enricher(Arc::new(GeoIpLocator::lazy(path)));
    }
    Ok(sessions)
}
