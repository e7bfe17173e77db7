//! `ensure_table`: creates the schema once, is idempotent, and refuses a foreign table.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProjectionType,
    ScalarAttributeType, StreamViewType, TableStatus,
};
use session_dynamodb::{EnsureTableError, TableOptions, ensure_table, ensure_table_with, schema};

use super::support::{standins, unique_table};

#[tokio::test]
async fn ensure_table_creates_the_schema_and_is_idempotent() {
    let Some(config) = standins().await else {
        return;
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique_table();

    // Two racing creators and a later call all succeed.
    let (a, b) = tokio::join!(ensure_table(&client, &table), ensure_table(&client, &table));
    a.unwrap();
    b.unwrap();
    ensure_table(&client, &table).await.unwrap();

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let t = described.table.unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    let keys: Vec<(&str, &KeyType)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type()))
        .collect();
    assert_eq!(
        keys,
        [(schema::PK, &KeyType::Hash), (schema::SK, &KeyType::Range)]
    );
    assert_eq!(
        t.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let stream = t.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(stream.stream_view_type(), Some(&StreamViewType::NewImage));
    let mut indexes: Vec<(&str, Vec<&str>, Option<&ProjectionType>)> = t
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            (
                index.index_name().unwrap_or_default(),
                index
                    .key_schema()
                    .iter()
                    .map(|k| k.attribute_name())
                    .collect(),
                index.projection().and_then(|p| p.projection_type()),
            )
        })
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            (
                schema::GSI1,
                vec![schema::GSI1_PK, schema::GSI1_SK],
                Some(&ProjectionType::All)
            ),
            // The redaction index (docs/0050), its sort key a number, keys only.
            (
                schema::GSI2,
                vec![schema::GSI2_PK, schema::GSI2_SK],
                Some(&ProjectionType::KeysOnly)
            ),
        ]
    );
    let numeric: Vec<&str> = t
        .attribute_definitions()
        .iter()
        .filter(|a| a.attribute_type() == &ScalarAttributeType::N)
        .map(|a| a.attribute_name())
        .collect();
    assert_eq!(numeric, [schema::GSI2_SK]);

    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some(schema::TTL));
}

#[tokio::test]
async fn ensure_table_refuses_a_table_with_another_key() {
    let Some(config) = standins().await else {
        return;
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique_table();
    client
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let error = ensure_table(&client, &table).await.unwrap_err();
    assert!(
        matches!(error, EnsureTableError::Mismatch { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_table_without_a_stream_serves_only_callers_that_need_none() {
    let Some(config) = standins().await else {
        return;
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique_table();
    let no_stream = TableOptions {
        stream: false,
        ..TableOptions::default()
    };
    ensure_table_with(&client, &table, no_stream).await.unwrap();
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let enabled = described
        .table
        .and_then(|t| t.stream_specification().map(|s| s.stream_enabled()));
    assert_ne!(enabled, Some(true));
    ensure_table_with(&client, &table, no_stream).await.unwrap();
    // The relay's table needs the stream: a table without one is refused, not silently used.
    let error = ensure_table(&client, &table).await.unwrap_err();
    assert!(error.to_string().contains("stream"), "{error}");
}

#[tokio::test]
async fn ensure_table_reports_an_unreachable_endpoint_as_an_error() {
    let Some(config) = standins().await else {
        return;
    };
    // Port 9 (discard) on loopback: nothing listens there.
    let unreachable = aws_sdk_dynamodb::config::Builder::from(&config)
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(unreachable);
    let error = ensure_table(&client, &unique_table()).await.unwrap_err();
    assert!(
        matches!(
            error,
            EnsureTableError::Request {
                operation: "DescribeTable",
                ..
            }
        ),
        "{error}"
    );
}
