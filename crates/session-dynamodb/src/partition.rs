//! A consistent Query of one whole partition (or the items of one kind in it), page after page.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use session_core::ports::StoreError;

use crate::codec::Item;
use crate::error::store_error;
use crate::schema::{PK, SK};

/// Every item under the partition key `pk` whose sort key starts with `sk_prefix` (every item
/// when `None`), in sort-key order: one request per page of at most 1 MB.
pub(crate) async fn query_partition(
    client: &Client,
    table: &str,
    pk: String,
    sk_prefix: Option<&str>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut request = client
            .query()
            .table_name(table)
            .consistent_read(true)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .set_exclusive_start_key(start);
        request = match sk_prefix {
            Some(prefix) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            None => request.key_condition_expression("#pk = :pk"),
        };
        let page = request.send().await.map_err(|e| store_error("Query", e))?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}
