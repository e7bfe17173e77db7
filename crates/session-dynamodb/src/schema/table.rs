//! Creating the table (tests, local runs; production tables come from the SAM template) and
//! waiting until it can be used.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableDescription, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use thiserror::Error;

use super::{GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, PK, SK, TTL};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Longest wait for a new table to become ACTIVE (DynamoDB Local: milliseconds; AWS: seconds
/// to a minute or two with an index).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
/// DynamoDB Local reports CREATING only briefly, so poll fast at first (the SDK's waiter would
/// sleep ~20 s before its first retry), then slow down for real AWS.
const FAST_POLL: Duration = Duration::from_millis(50);
const FAST_POLLS: u32 = 40;
const SLOW_POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Error)]
pub enum EnsureTableError {
    #[error("DynamoDB {operation} on table `{table}` failed")]
    Request {
        operation: &'static str,
        table: String,
        #[source]
        source: BoxError,
    },
    #[error("table `{table}` did not become ACTIVE within {waited:?}")]
    NotActive { table: String, waited: Duration },
    #[error("table `{table}` exists but does not have this service's schema: {problem}")]
    Mismatch { table: String, problem: String },
}

impl EnsureTableError {
    fn request(operation: &'static str, table: &str, source: impl Into<BoxError>) -> Self {
        Self::Request {
            operation,
            table: table.to_owned(),
            source: source.into(),
        }
    }
}

/// How [`ensure_table_with`] creates a missing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    /// The NEW_IMAGE stream the outbox relay consumes. A table nobody relays from (a local run
    /// without the relay, the store contract tests) can go without: the store works the same,
    /// and on DynamoDB Local every write becomes several times cheaper.
    pub stream: bool,
    /// Time to live on `ttl`, so DynamoDB deletes old items. It deletes by the wall clock, and
    /// DynamoDB Local does too: a table used with a clock that is not the wall clock (a test's
    /// fake clock) must go without, or items "expire" while the test still uses them.
    pub ttl: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            stream: true,
            ttl: true,
        }
    }
}

/// Creates the table with its index, stream and TTL unless it exists, and waits until it is
/// ACTIVE. Idempotent, and safe when several processes race to create the same table.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), EnsureTableError> {
    ensure_table_with(client, table, TableOptions::default()).await
}

/// [`ensure_table`] with a choice of what a new table gets; an existing table must have at least
/// what `options` ask for.
pub async fn ensure_table_with(
    client: &Client,
    table: &str,
    options: TableOptions,
) -> Result<(), EnsureTableError> {
    match describe(client, table).await? {
        Some(existing) => check_schema(table, &existing, options)?,
        None => create(client, table, options).await?,
    }
    wait_until_active(client, table).await?;
    if options.ttl {
        enable_ttl(client, table).await?;
    }
    Ok(())
}

async fn describe(
    client: &Client,
    table: &str,
) -> Result<Option<TableDescription>, EnsureTableError> {
    match client.describe_table().table_name(table).send().await {
        Ok(output) => Ok(output.table),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(EnsureTableError::request("DescribeTable", table, error)),
    }
}

async fn create(
    client: &Client,
    table: &str,
    options: TableOptions,
) -> Result<(), EnsureTableError> {
    let build_error = |e: BuildError| EnsureTableError::request("CreateTable", table, e);
    let attributes = [
        (PK, ScalarAttributeType::S),
        (SK, ScalarAttributeType::S),
        (GSI1_PK, ScalarAttributeType::S),
        (GSI1_SK, ScalarAttributeType::S),
        (GSI2_PK, ScalarAttributeType::S),
        (GSI2_SK, ScalarAttributeType::N),
    ]
    .into_iter()
    .map(|(name, kind)| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
    })
    .collect::<Result<Vec<_>, _>>()
    .map_err(build_error)?;
    let index = |name: &str, hash: &str, range: &str, projection: ProjectionType| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(key_schema(hash, range)?))
            .projection(Projection::builder().projection_type(projection).build())
            .build()
    };
    let by_user = index(GSI1, GSI1_PK, GSI1_SK, ProjectionType::All).map_err(build_error)?;
    // Keys only: a session write that does not move the due time (activity, refresh) then
    // writes nothing to this index; the sweep reads the due sessions from the table.
    let redaction = index(GSI2, GSI2_PK, GSI2_SK, ProjectionType::KeysOnly).map_err(build_error)?;
    let stream = StreamSpecification::builder()
        .stream_enabled(options.stream)
        .set_stream_view_type(options.stream.then_some(StreamViewType::NewImage))
        .build()
        .map_err(build_error)?;
    let created = client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(PK, SK).map_err(build_error)?))
        .global_secondary_indexes(by_user)
        .global_secondary_indexes(redaction)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream)
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        // Another process created it between our DescribeTable and CreateTable.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(error) => Err(EnsureTableError::request("CreateTable", table, error)),
    }
}

fn key_schema(hash: &str, range: &str) -> Result<Vec<KeySchemaElement>, BuildError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(hash)
            .key_type(KeyType::Hash)
            .build()?,
        KeySchemaElement::builder()
            .attribute_name(range)
            .key_type(KeyType::Range)
            .build()?,
    ])
}

/// Refuses a same-named table this service could not work with, instead of failing later on
/// every request with a less helpful message.
fn check_schema(
    table: &str,
    existing: &TableDescription,
    options: TableOptions,
) -> Result<(), EnsureTableError> {
    let mismatch = |problem: String| EnsureTableError::Mismatch {
        table: table.to_owned(),
        problem,
    };
    let keys = |schema: &[KeySchemaElement]| -> Vec<(String, KeyType)> {
        schema
            .iter()
            .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
            .collect()
    };
    let expected = |hash: &str, range: &str| {
        vec![
            (hash.to_owned(), KeyType::Hash),
            (range.to_owned(), KeyType::Range),
        ]
    };
    if keys(existing.key_schema()) != expected(PK, SK) {
        return Err(mismatch(format!("the key must be ({PK} HASH, {SK} RANGE)")));
    }
    for (name, hash, range, projection) in [
        (GSI1, GSI1_PK, GSI1_SK, ProjectionType::All),
        (GSI2, GSI2_PK, GSI2_SK, ProjectionType::KeysOnly),
    ] {
        let index = existing
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some(name))
            .ok_or_else(|| mismatch(format!("global secondary index `{name}` is missing")))?;
        if keys(index.key_schema()) != expected(hash, range) {
            return Err(mismatch(format!(
                "index `{name}` must be keyed ({hash} HASH, {range} RANGE)"
            )));
        }
        let projects = index
            .projection()
            .and_then(|p| p.projection_type())
            .is_some_and(|t| *t == projection);
        if !projects {
            return Err(mismatch(format!(
                "index `{name}` must project {}",
                projection.as_str()
            )));
        }
    }
    // The relay needs each new item's image; NEW_AND_OLD_IMAGES carries it too.
    let streams_new_images = existing.stream_specification().is_some_and(|s| {
        s.stream_enabled()
            && matches!(
                s.stream_view_type(),
                Some(StreamViewType::NewImage | StreamViewType::NewAndOldImages)
            )
    });
    if options.stream && !streams_new_images {
        return Err(mismatch(
            "the stream must be enabled with NEW_IMAGE (the outbox relay reads it)".to_owned(),
        ));
    }
    Ok(())
}

fn is_active(description: &TableDescription) -> bool {
    description.table_status() == Some(&TableStatus::Active)
        && description
            .global_secondary_indexes()
            .iter()
            .all(|i| i.index_status() == Some(&IndexStatus::Active))
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), EnsureTableError> {
    let started = tokio::time::Instant::now();
    let mut polls = 0u32;
    loop {
        if describe(client, table)
            .await?
            .as_ref()
            .is_some_and(is_active)
        {
            return Ok(());
        }
        if started.elapsed() >= ACTIVE_TIMEOUT {
            return Err(EnsureTableError::NotActive {
                table: table.to_owned(),
                waited: started.elapsed(),
            });
        }
        polls = polls.saturating_add(1);
        tokio::time::sleep(if polls <= FAST_POLLS {
            FAST_POLL
        } else {
            SLOW_POLL
        })
        .await;
    }
}

async fn enable_ttl(client: &Client, table: &str) -> Result<(), EnsureTableError> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| EnsureTableError::request("DescribeTimeToLive", table, e))?;
    let status = current
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        return Ok(());
    }
    let spec = TimeToLiveSpecification::builder()
        .attribute_name(TTL)
        .enabled(true)
        .build()
        .map_err(|e| EnsureTableError::request("UpdateTimeToLive", table, e))?;
    match client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // A concurrent ensure_table enabled it first: DynamoDB refuses a second enable with a
        // ValidationException ("TimeToLive is already enabled").
        Err(error)
            if error
                .as_service_error()
                .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::message)
                .is_some_and(|m| m.contains("already enabled")) =>
        {
            Ok(())
        }
        Err(error) => Err(EnsureTableError::request("UpdateTimeToLive", table, error)),
    }
}
