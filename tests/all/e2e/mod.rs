//! End to end on the stand-ins (DynamoDB Local with its stream, moto for EventBridge and SQS):
//! events travel from a command's transaction to an SQS queue subscribed to the bus, and a
//! revocation of any kind is refused by the authorizer on the very next call.

// Test code: a failed unwrap is a failed test with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorizer;
mod refresh_reuse;
mod relay_to_sqs;
pub(crate) mod support;
