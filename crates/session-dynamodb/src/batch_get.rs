//! Consistent BatchGetItem of a set of keys, asking again for the keys DynamoDB leaves
//! unprocessed under load.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use session_core::ports::StoreError;

use crate::codec::Item;
use crate::error::{InvalidChangeSet, store_error};
use crate::schema::Key;

/// BatchGetItem's limit of keys per request.
const MAX_KEYS_PER_REQUEST: usize = 100;

/// The items found under `keys` (missing ones left out), in no particular order: one request
/// per 100 keys, plus one per round of unprocessed keys.
pub(crate) async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Key>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_KEYS_PER_REQUEST) {
        let mut pending = chunk.to_vec();
        let mut attempt = 1;
        while !pending.is_empty() {
            if attempt > 1 {
                tokio::time::sleep(crate::backoff::delay(attempt - 1)).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| {
                    StoreError::from(InvalidChangeSet::Build {
                        operation: "BatchGetItem",
                        source: Box::new(e),
                    })
                })?;
            let output = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| store_error("BatchGetItem", e))?;
            items.extend(
                output
                    .responses
                    .and_then(|mut tables| tables.remove(table))
                    .unwrap_or_default(),
            );
            pending = output
                .unprocessed_keys
                .and_then(|mut tables| tables.remove(table))
                .map(|unprocessed| unprocessed.keys)
                .unwrap_or_default();
            attempt += 1;
        }
    }
    Ok(items)
}
