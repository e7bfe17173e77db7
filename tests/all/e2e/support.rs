//! Stand-in access for the end-to-end tests: both stand-ins or a visible skip (a failure under
//! `scripts/test`), the use cases over a fresh table, and the pipeline's parts on the stand-ins
//! (a bus with a queue subscribed, the table's stream as Lambda hands it over, the queue's
//! messages), which the fault tests use too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use serde_json::Value;
use session_core::Sessions;
use session_core::domain::PolicyConfig;
use session_dynamodb::{DynamoStore, ensure_table};
use session_tests::event_contracts::CheckedStore;
use uuid::Uuid;

/// The store of the e2e tests: DynamoDB Local, each committed event checked against its contract.
pub(crate) type E2eStore = CheckedStore<DynamoStore>;

const REQUIRE_STANDINS: &str = "SESSION_TESTS_REQUIRE_STANDINS";

/// The `source` the relay gives events, and the bus rule selects.
pub(crate) const SOURCE: &str = "sessions";

/// The SDK config for DynamoDB Local and moto, or `None` after saying why.
pub async fn standins() -> Option<SdkConfig> {
    let missing: Vec<&str> = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .into_iter()
        .filter(|name| std::env::var_os(name).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var(REQUIRE_STANDINS).as_deref() != Ok("1"),
            "{missing:?} not set although {REQUIRE_STANDINS}=1: start the stand-ins (scripts/test does)"
        );
        eprintln!("skipped: the AWS stand-ins are not running (run scripts/test)");
        return None;
    }
    Some(aws_config::defaults(BehaviorVersion::latest()).load().await)
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::now_v7().simple())
}

/// The use cases over a new table (with its stream), and the table's name. Every event they
/// commit is checked against its contract.
pub async fn sessions_on_fresh_table(sdk: &SdkConfig) -> (Sessions<E2eStore>, String) {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let table = unique("sessions-e2e");
    ensure_table(&client, &table).await.unwrap();
    (
        Sessions::new(
            CheckedStore::new(DynamoStore::new(client, &table)),
            PolicyConfig::default(),
        ),
        table,
    )
}

/// A bus with a rule on our source whose target is a new queue.
pub(crate) async fn bus_with_queue(sdk: &SdkConfig) -> (String, String) {
    bus_with_rule_to_queue(sdk, &format!(r#"{{"source":["{SOURCE}"]}}"#)).await
}

/// A bus with one rule of this event pattern, whose target is a new queue.
pub(crate) async fn bus_with_rule_to_queue(sdk: &SdkConfig, pattern: &str) -> (String, String) {
    // The deliveries will be checked against the contracts (`receive`): their validators are
    // compiled now, before anything is timed, not in the middle of a relay run.
    session_tests::event_contracts::validate::prepare();
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let bus = unique("sessions-bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("audit"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let queue_arn = attributes[&QueueAttributeName::QueueArn].clone();
    events
        .put_rule()
        .name("all-session-events")
        .event_bus_name(&bus)
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-session-events")
        .event_bus_name(&bus)
        .targets(
            Target::builder()
                .id("audit-queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (bus, queue_url)
}

/// Every record of the table's stream so far, shaped as Lambda hands them to the relay.
pub(crate) async fn read_stream(sdk: &SdkConfig, table: &str) -> Event {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(sdk);
    let stream_arn = dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let shards = streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap_or_default();
    let mut event = Event::default();
    for shard in shards {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&stream_arn)
            .shard_id(shard.shard_id.unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator;
        while let Some(current) = iterator {
            let page = streams
                .get_records()
                .shard_iterator(current)
                .send()
                .await
                .unwrap();
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            event.records.extend(records.into_iter().map(lambda_record));
            iterator = page.next_shard_iterator;
        }
    }
    event
}

fn lambda_record(record: aws_sdk_dynamodbstreams::types::Record) -> EventRecord {
    let change = record.dynamodb.unwrap();
    let item = |image: Option<HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        let converted: HashMap<String, serde_dynamo::AttributeValue> = image
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect();
        serde_dynamo::Item::from(converted)
    };
    let mut out = EventRecord::default();
    out.event_id = record.event_id.unwrap_or_default();
    out.event_name = record
        .event_name
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    out.change.keys = item(change.keys);
    out.change.new_image = item(change.new_image);
    out.change.sequence_number = change.sequence_number;
    out
}

/// Checks an event moto delivered against the envelope and detail contracts. moto leaves out the
/// envelope's `account`, which EventBridge always sets (a known gap of the stand-in, see
/// docs/events.md): the check is given the one AWS would set, everything else as delivered.
fn check_delivery(delivered: &Value) {
    let mut event = delivered.clone();
    if let Some(envelope) = event.as_object_mut() {
        envelope
            .entry("account")
            .or_insert_with(|| Value::String("123456789012".into()));
    }
    session_tests::event_contracts::check_envelope(&event);
}

/// Messages from the queue (deleted as they are read) until `count` arrived (or 30 s passed),
/// then a short wait for extras. Each is an event as EventBridge delivered it, checked against
/// its contract (envelope and detail).
pub(crate) async fn receive(sdk: &SdkConfig, queue_url: &str, count: usize) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut extra_polls = 2;
    while Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let mut received = Vec::new();
        for (i, message) in output.messages.unwrap_or_default().into_iter().enumerate() {
            let delivered: Value = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
            check_delivery(&delivered);
            messages.push(delivered);
            received.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(message.receipt_handle.unwrap())
                    .build()
                    .unwrap(),
            );
        }
        if !received.is_empty() {
            sqs.delete_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(received))
                .send()
                .await
                .unwrap();
        }
        if messages.len() >= count {
            extra_polls -= 1;
            if extra_polls == 0 {
                break;
            }
        }
    }
    messages
}

/// Sends `method path` with a JSON `body` through the HTTP function `function` over `sessions`,
/// as API Gateway delivers it after IAM authorisation of the role `role` (an internal or admin
/// caller); answers the status and the JSON body (null without one).
pub async fn call_through_iam(
    sessions: &Sessions<E2eStore>,
    function: &str,
    role: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (i64, Value) {
    let route_key = session_api::route_for_function(function)
        .unwrap()
        .route_key();
    let handler = session_lambda::http_function::HttpFunction::new(
        route_key,
        session_api::Api::new(sessions.clone()),
    );
    let event = serde_json::json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
            "domainPrefix": "api", "routeKey": route_key, "stage": "$default",
            "requestId": "e2e", "time": "04/Dec/2026:16:00:00 +0000", "timeEpoch": 1796400000000i64,
            "authorizer": {"iam": {"accessKey": "ASIA", "accountId": "123456789012",
                "callerId": format!("AROA:{role}"),
                "userArn": format!("arn:aws:sts::123456789012:assumed-role/{role}/e2e"),
                "userId": format!("AROA:{role}")}},
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "10.0.0.5", "userAgent": role}
        },
        "body": body.to_string(), "isBase64Encoded": false
    });
    // Boxed: the handler's future is large, and a test awaiting several of these in one
    // (debug-build) future would overflow the worker thread's stack.
    let request_id = format!("e2e-{function}");
    let response = Box::pin(handler.handle(event, &request_id)).await;
    let body = match response.body {
        Some(aws_lambda_events::encodings::Body::Text(text)) => {
            serde_json::from_str(&text).unwrap()
        }
        _ => Value::Null,
    };
    (response.status_code, body)
}

const SECRET: &[u8] = b"e2e-test-secret-of-at-least-32-bytes!!";
const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "sessions";

/// The bearer-token verification the authorizer does in these tests.
pub fn verifier() -> session_api::TokenVerifier {
    use session_api::{JwtConfig, TokenVerifier, VerificationKey};
    TokenVerifier::new(JwtConfig::new(
        VerificationKey::Hs256Secret(SECRET.to_vec()),
        ISSUER,
        AUDIENCE,
    ))
    .unwrap()
}

/// Tokens signed as the auth service would, for [`verifier`].
pub fn issuer() -> session_api::TokenIssuer {
    session_api::TokenIssuer::hs256(SECRET, ISSUER, AUDIENCE).unwrap()
}

/// The authorizer over a store, and tokens for one user signed as the auth service would.
pub struct Check {
    authorizer: session_lambda::authorizer::Authorizer<E2eStore>,
    issuer: session_api::TokenIssuer,
    user: session_core::ids::UserId,
}

impl Check {
    pub fn new(sessions: &Sessions<E2eStore>, user: &session_core::ids::UserId) -> Self {
        Self {
            authorizer: session_lambda::authorizer::Authorizer::new(
                session_api::Authenticator::new(verifier(), sessions.clone()),
            ),
            issuer: issuer(),
            user: user.clone(),
        }
    }

    /// The authorizer's answer to a request bearing a fresh token of `session`.
    pub async fn answer(
        &self,
        session: session_core::ids::SessionId,
    ) -> session_lambda::authorizer::AuthorizerResponse {
        let token = self
            .issuer
            .issue(&self.user, session, Duration::from_secs(300))
            .unwrap();
        let mut request =
            aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request::default();
        request.headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        self.authorizer.authorize(&request).await.unwrap()
    }

    pub async fn allows(&self, session: session_core::ids::SessionId) -> bool {
        self.answer(session).await.is_authorized
    }
}
