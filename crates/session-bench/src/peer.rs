//! A peer in the cold-start table: `get-product` of aws-samples/serverless-rust-demo, the public
//! Rust Lambda sample over DynamoDB (one GetItem per request, like our validate-session). Its
//! binary is built outside this repository (BENCHMARKS.md says how) and handed to `cold-start`
//! with `--binary get-product=PATH`; this module seeds its table and writes its first event.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use serde_json::json;

use crate::BoxError;
use crate::ddb;

/// The peer's name in the table.
pub const GET_PRODUCT: &str = "get-product";

const PRODUCT_ID: &str = "cold-start-product";

/// A fresh products table (the sample's schema: string key `id`) holding one product.
pub async fn seed_products(client: &Client) -> Result<String, BoxError> {
    let table = ddb::fresh_table("bench-products");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await?;
    // DynamoDB Local reports CREATING briefly; the SDK's waiter would back off for seconds.
    for _ in 0..200 {
        let described = client.describe_table().table_name(&table).send().await?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .put_item()
        .table_name(&table)
        .item("id", AttributeValue::S(PRODUCT_ID.to_owned()))
        .item("name", AttributeValue::S("Cold start".to_owned()))
        .item("price", AttributeValue::N("9.99".to_owned()))
        .send()
        .await?;
    Ok(table)
}

/// The peer's own variable and its first event: `GET /{id}` of the seeded product, as API
/// Gateway's HTTP API sends it.
pub fn get_product(env: &mut HashMap<String, String>, table: &str) -> serde_json::Value {
    env.insert("TABLE_NAME".into(), table.to_owned());
    let path = format!("/{PRODUCT_ID}");
    json!({
        "version": "2.0",
        "routeKey": "GET /{id}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "bench/1.0"
        },
        "pathParameters": {"id": PRODUCT_ID},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "bench/1.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "GET /{id}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000u64
        },
        "isBase64Encoded": false
    })
}
