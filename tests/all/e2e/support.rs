//! Stand-in access for the end-to-end tests: both stand-ins or a visible skip (a failure under
//! `scripts/test`), and the use cases over a fresh table.

use aws_config::{BehaviorVersion, SdkConfig};
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_dynamodb::{DynamoStore, ensure_table};
use uuid::Uuid;

const REQUIRE_STANDINS: &str = "SESSION_TESTS_REQUIRE_STANDINS";

/// The SDK config for DynamoDB Local and moto, or `None` after saying why.
pub async fn standins() -> Option<SdkConfig> {
    let missing: Vec<&str> = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .into_iter()
        .filter(|name| std::env::var_os(name).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var(REQUIRE_STANDINS).as_deref() != Ok("1"),
            "{missing:?} not set although {REQUIRE_STANDINS}=1: start the stand-ins (scripts/test does)"
        );
        eprintln!("skipped: the AWS stand-ins are not running (run scripts/test)");
        return None;
    }
    Some(aws_config::defaults(BehaviorVersion::latest()).load().await)
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::now_v7().simple())
}

/// The use cases over a new table (with its stream), and the table's name.
pub async fn sessions_on_fresh_table(sdk: &SdkConfig) -> (Sessions<DynamoStore>, String) {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let table = unique("sessions-e2e");
    ensure_table(&client, &table).await.unwrap();
    (
        Sessions::new(DynamoStore::new(client, &table), PolicyConfig::default()),
        table,
    )
}
