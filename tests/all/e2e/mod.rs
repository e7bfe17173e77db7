//! End to end on the stand-ins (DynamoDB Local with its stream, moto for EventBridge and SQS):
//! events travel from a command's transaction to an SQS queue subscribed to the bus, and a
//! revocation of any kind is refused by the authorizer on the very next call.

mod authorizer;
mod relay_to_sqs;
mod support;
