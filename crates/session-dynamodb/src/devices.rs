//! The reads of device records (docs/0047): a login's ledger and device in one BatchGetItem, one
//! device, and a user's devices in one Query of their partition.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::Device;
use session_core::ids::{DeviceId, UserId};
use session_core::ports::{LoginRead, StoreError, Versioned};

use crate::batch_get::batch_get;
use crate::codec::{self, Item};
use crate::error::store_error;
use crate::schema::{self, PK, SK};

/// The ledger and, when `device_id` is set, the device record: both live in the user's
/// partition, read consistently in one request. DynamoDB may leave keys unprocessed under
/// load; they are asked for again.
pub(crate) async fn load_login(
    client: &Client,
    table: &str,
    user_id: &UserId,
    device_id: Option<&DeviceId>,
) -> Result<LoginRead, StoreError> {
    let mut keys = vec![schema::ledger_key(user_id)];
    keys.extend(device_id.map(|device_id| schema::device_key(user_id, device_id)));
    let mut read = LoginRead::default();
    for item in batch_get(client, table, keys).await? {
        match sort_key(&item) {
            Some(sk) if sk == schema::LEDGER_SK => {
                read.ledger = Some(codec::decode_ledger(&item)?);
            }
            Some(sk) if sk.starts_with(schema::DEVICE_SK_PREFIX) => {
                // A forgotten device is kept for the history only (docs/0050).
                read.device =
                    Some(codec::decode_device(&item)?).filter(|d| !d.value.is_forgotten());
            }
            _ => {
                return Err(StoreError::Corrupt(
                    "BatchGetItem answered an item that was not asked for".to_owned(),
                ));
            }
        }
    }
    Ok(read)
}

/// Every device of the user: the `DEVICE#` items of the user's partition, in id order.
pub(crate) async fn list_devices(
    client: &Client,
    table: &str,
    user_id: &UserId,
) -> Result<Vec<Versioned<Device>>, StoreError> {
    let mut devices = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .consistent_read(true)
            .key_condition_expression("#pk = :user AND begins_with(#sk, :device)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":user", AttributeValue::S(schema::ledger_pk(user_id)))
            .expression_attribute_values(
                ":device",
                AttributeValue::S(schema::DEVICE_SK_PREFIX.to_owned()),
            )
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| store_error("Query", e))?;
        for item in page.items() {
            let device = codec::decode_device(item)?;
            if !device.value.is_forgotten() {
                devices.push(device);
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(devices),
        }
    }
}

fn sort_key(item: &Item) -> Option<&str> {
    match item.get(SK) {
        Some(AttributeValue::S(sk)) => Some(sk),
        _ => None,
    }
}
