//! Domain values <-> DynamoDB items, one file per item kind. Decoding never trusts the table:
//! a malformed item is a `StoreError::Corrupt` naming the item and the attribute.

mod actor;
pub(crate) mod attr;
mod continuation;
mod device;
mod event;
mod idempotency;
mod ledger;
mod marker;
mod session;

pub(crate) use attr::Item;
pub(crate) use continuation::{decode_continuation, encode_continuation};
pub(crate) use device::{FORGOTTEN_AT, decode_device, encode_device};
pub(crate) use event::{decode_event, encode_event};
pub(crate) use idempotency::{EXPIRES_AT_MICROS, decode_idempotency, encode_idempotency};
pub(crate) use ledger::{
    decode_index_entry, decode_ledger, encode_index_entry, encode_ledger, encode_status,
};
pub(crate) use marker::encode_marker;
pub(crate) use session::{decode_session, encode_revocation, encode_session};
