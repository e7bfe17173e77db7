//! The session store on DynamoDB: one table shared by sessions, user ledgers and the event
//! outbox (see [`schema`]), item codecs that refuse malformed items, and a [`DynamoStore`] that
//! commits each change set as one conditional transaction.

mod backoff;
mod batch_get;
mod codec;
mod commit;
mod devices;
mod error;
pub mod outbox;
mod partition;
mod retries;
mod rotation;
pub mod schema;
mod store;

pub use error::{FailureKind, InvalidChangeSet, RequestFailed, error_class};
pub use retries::RetryObserver;
pub use schema::{EnsureTableError, TableOptions, ensure_table, ensure_table_with};
pub use store::DynamoStore;
