//! Reading outbox items as the table's stream delivers them, for the relay.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use session_core::events::DomainEvent;
use session_core::ports::StoreError;

use crate::codec;
use crate::schema::{EVENT_PREFIX, PK};

/// An item as the SDK (and the stream, once converted) represents it.
pub type Item = HashMap<String, AttributeValue>;

/// Whether a stream record's keys are those of an outbox item.
pub fn is_outbox_key(keys: &Item) -> bool {
    matches!(keys.get(PK), Some(AttributeValue::S(pk)) if pk.starts_with(EVENT_PREFIX))
}

/// The event an outbox item holds; a malformed item is `StoreError::Corrupt`, naming what is
/// wrong.
pub fn decode(item: &Item) -> Result<DomainEvent, StoreError> {
    codec::decode_event(item)
}
