//! The reads of device records (docs/0047): a login's ledger and device in one BatchGetItem, one
//! device, and a user's devices in one Query of their partition.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use session_core::domain::Device;
use session_core::ids::{DeviceId, UserId};
use session_core::ports::{LoginRead, StoreError, Versioned};

use crate::batch_get::batch_get;
use crate::codec::{self, Item};
use crate::partition::query_partition;
use crate::schema::{self, SK};

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
    let pk = schema::ledger_pk(user_id);
    let items = query_partition(client, table, pk, Some(schema::DEVICE_SK_PREFIX)).await?;
    let mut devices = Vec::with_capacity(items.len());
    for item in &items {
        let device = codec::decode_device(item)?;
        // A forgotten device is kept for its history only (docs/0050).
        if !device.value.is_forgotten() {
            devices.push(device);
        }
    }
    Ok(devices)
}

fn sort_key(item: &Item) -> Option<&str> {
    match item.get(SK) {
        Some(AttributeValue::S(sk)) => Some(sk),
        _ => None,
    }
}
