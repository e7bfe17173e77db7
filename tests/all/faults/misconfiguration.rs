//! A deployment that is broken rather than browned out (docs/0045): DynamoDB refusing access,
//! a table that does not exist, a request DynamoDB calls invalid. Each is a 500
//! `internal_error` without `Retry-After` (retrying never fixes it), sent once despite the SDK's
//! retries, logged at error level with the request id, counted for an alarm, and it writes
//! nothing.

use http::{StatusCode, header};
use serde_json::Value;
use session_api::failure_count;

use super::commands::{Bench, NO_TIMEOUT, scenarios, send_as};
use super::proxy::Action;
use crate::logs::LogCapture;

#[derive(Clone, Copy, Debug)]
enum Misconfiguration {
    /// The function's role may not use the table (injected: DynamoDB Local has no IAM).
    AccessDenied,
    /// A request DynamoDB refuses as invalid (injected).
    Validation,
    /// The configured table does not exist (DynamoDB Local's own answer).
    MissingTable,
}

// Current-thread: the log capture is the test thread's default subscriber.
#[tokio::test]
async fn each_misconfiguration_gives_500_internal_error_and_an_error_log_line() {
    let Some(bench) = Bench::new().await else {
        return;
    };
    let (logs, _default) = LogCapture::install();
    let scenario = scenarios()
        .into_iter()
        .find(|s| s.name == "create")
        .expect("scenario");
    let reference = bench.reference(&scenario).await;
    for kind in [
        Misconfiguration::AccessDenied,
        Misconfiguration::Validation,
        Misconfiguration::MissingTable,
    ] {
        // Three SDK attempts per request: a refusal must not use them.
        let (case, api) = bench.prepare(&reference, 3, NO_TIMEOUT).await;
        let api = match kind {
            Misconfiguration::AccessDenied | Misconfiguration::Validation => {
                let code = match kind {
                    Misconfiguration::AccessDenied => "AccessDeniedException",
                    _ => "ValidationException",
                };
                bench.proxy.arm(
                    &case.header(),
                    Box::new(move |i, _| {
                        if i == 0 {
                            Action::Reject(code)
                        } else {
                            Action::Forward
                        }
                    }),
                );
                api
            }
            Misconfiguration::MissingTable => bench.api_on_table(
                bench.client(&case, 3, NO_TIMEOUT),
                &format!("{}-missing", bench.table),
                &case,
                reference.now,
            ),
        };
        let request_id = format!("misconfigured-{kind:?}");
        let counted_before = failure_count::internal_errors();
        let call = bench.call_for(&reference, &case);
        let reply = send_as(&api, &case.user, &call, &request_id, None).await;
        bench.proxy.settle(&case.header()).await;

        let body = String::from_utf8_lossy(&reply.body);
        assert_eq!(
            reply.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{kind:?}: {body}"
        );
        let problem: Value = serde_json::from_slice(&reply.body).expect("problem JSON");
        assert_eq!(problem["code"], "internal_error", "{kind:?}");
        assert_eq!(problem["trace_id"], request_id.as_str(), "{kind:?}");
        assert!(
            reply.headers.get(header::RETRY_AFTER).is_none(),
            "{kind:?}: a defect is not worth retrying"
        );
        assert!(
            !body.contains("Exception"),
            "{kind:?}: cause leaked: {body}"
        );
        assert!(
            failure_count::internal_errors() > counted_before,
            "{kind:?}: not counted"
        );
        let operations = bench.proxy.log(&case.header()).operations;
        assert_eq!(operations.len(), 1, "{kind:?}: retried: {operations:?}");

        let lines = logs.lines();
        let logged = lines.iter().find(|line| {
            line["level"] == "ERROR"
                && line["fields"]["code"] == "internal_error"
                && line["span"]["request_id"] == request_id.as_str()
        });
        let logged = logged.unwrap_or_else(|| {
            panic!(
                "{kind:?}: no error line with the request id in:\n{}",
                logs.text()
            )
        });
        let cause = logged["fields"]["cause"].as_str().unwrap_or_default();
        let expected = match kind {
            Misconfiguration::AccessDenied => "AccessDeniedException",
            Misconfiguration::Validation => "ValidationException",
            Misconfiguration::MissingTable => "ResourceNotFoundException",
        };
        assert!(cause.contains(expected), "{kind:?}: cause {cause}");

        assert_eq!(
            bench.state_of(&reference, &case).await,
            reference.checkpoints[0],
            "{kind:?}: wrote something"
        );
    }
}
