//! The cold-start floor: a hello-world `lambda_runtime` function that echoes its event. Built in
//! the same run and profile as the real functions, with the same single-threaded runtime.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One request at a time per sandbox, like the real functions.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
