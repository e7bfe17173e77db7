//! The template's least-privilege and encryption properties: every function runs under a role of
//! its own, declared in the template, that may write only its own log group (never SAM's
//! `AWSLambdaBasicExecutionRole`, never logs on `*`); every SNS topic is encrypted with a rotated
//! customer managed key whose policy lets the topic's publishers (EventBridge rules, CloudWatch
//! alarms) use it; and the auth service's account may put events on its bus only under the
//! condition that it is another account.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use super::model::{self, Template};

/// The only log actions a function needs: its log group is declared in the template.
const LOG_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// What a publisher needs on a KMS-encrypted topic.
const TOPIC_KEY_ACTIONS: [&str; 2] = ["kms:GenerateDataKey*", "kms:Decrypt"];

/// SAM attaches it to a generated role when a function has `Policies` (or nothing) instead of a
/// `Role`; it allows logs:CreateLogGroup, CreateLogStream and PutLogEvents on every log group.
const BASIC_EXECUTION_ROLE: &str = "AWSLambdaBasicExecutionRole";

#[test]
fn every_function_runs_under_its_own_role_declared_in_the_template() {
    let template = Template::load();
    let globals = template.function_globals();
    for key in ["Role", "Policies"] {
        assert!(
            globals[key].is_null(),
            "Globals.Function must not set {key}: every function declares its own role"
        );
    }
    let mut role_of: BTreeMap<String, &str> = BTreeMap::new();
    for (id, function) in template.functions() {
        assert!(
            function.own_property("Policies").is_null(),
            "{id}: `Policies` makes SAM generate a role with {BASIC_EXECUTION_ROLE}; put the \
             statements in the function's own AWS::IAM::Role instead"
        );
        let role = function
            .role_id()
            .unwrap_or_else(|| panic!("{id}: Role must be !GetAtt <its role>.Arn"));
        template.resource_of_type(&role, "AWS::IAM::Role");
        if let Some(other) = role_of.insert(role.clone(), id) {
            panic!("{other} and {id} share the role {role}: each function needs its own");
        }
    }
    let roles: BTreeSet<&str> = template
        .resources_of_type("AWS::IAM::Role")
        .map(|(id, _)| id)
        .collect();
    let used: BTreeSet<&str> = role_of.keys().map(String::as_str).collect();
    assert_eq!(
        roles, used,
        "every IAM role in the template belongs to exactly one function"
    );
    for role_id in roles {
        let role = template.resource_of_type(role_id, "AWS::IAM::Role");
        let trust =
            model::one_or_many(&role["Properties"]["AssumeRolePolicyDocument"]["Statement"]);
        let principals: Vec<String> = trust
            .iter()
            .flat_map(|s| model::service_principals(s))
            .collect();
        assert_eq!(
            principals,
            vec!["lambda.amazonaws.com".to_owned()],
            "{role_id}: only Lambda may assume a function's role"
        );
    }
}

#[test]
fn no_role_carries_the_basic_execution_policy_or_logs_on_every_group() {
    let template = Template::load();
    let roles: Vec<_> = template.resources_of_type("AWS::IAM::Role").collect();
    assert!(!roles.is_empty(), "template.yaml declares no IAM role");
    for (role_id, role) in roles {
        let text = serde_yaml::to_string(role).expect("serialise the role");
        assert!(
            !text.contains(BASIC_EXECUTION_ROLE),
            "{role_id} must not carry {BASIC_EXECUTION_ROLE}"
        );
        assert!(
            role["Properties"]["ManagedPolicyArns"].is_null(),
            "{role_id}: no managed policies; every permission is an inline statement here"
        );
        let statements = model::role_statements(role);
        assert!(!statements.is_empty(), "{role_id} has no inline statement");
        for statement in statements {
            let sid = statement["Sid"].as_str().unwrap_or("<no Sid>");
            let actions = model::actions(statement);
            assert!(
                actions.iter().all(|a| a != "*" && !a.ends_with(":*")),
                "{role_id} {sid}: wildcard action in {actions:?}"
            );
            let resources = model::one_or_many(&statement["Resource"]);
            assert!(
                !resources.is_empty()
                    && resources
                        .iter()
                        .all(|r| model::literal_str(r).is_none_or(|r| !r.contains('*'))),
                "{role_id} {sid}: every resource must name this stack's resources, never a literal `*` \
                 pattern"
            );
            if actions.iter().any(|a| a.starts_with("logs:")) {
                let mut sorted = actions.clone();
                sorted.sort();
                assert_eq!(
                    sorted,
                    LOG_ACTIONS.map(str::to_owned),
                    "{role_id} {sid}: logs actions (no CreateLogGroup: the groups are in the \
                     template)"
                );
            }
        }
    }
}

#[test]
fn each_role_writes_only_its_own_functions_log_group() {
    let template = Template::load();
    for (id, function) in template.functions() {
        let log_group = function.log_group_id().unwrap_or_else(|| {
            panic!("{id}: LoggingConfig.LogGroup must be !Ref <its AWS::Logs::LogGroup>")
        });
        template.resource_of_type(&log_group, "AWS::Logs::LogGroup");
        let role_id = function.role_id().expect("checked by the role test");
        let role = template.resource_of_type(&role_id, "AWS::IAM::Role");
        let logs: Vec<&Value> = model::role_statements(role)
            .into_iter()
            .filter(|s| model::actions(s).iter().any(|a| a.starts_with("logs:")))
            .collect();
        let [statement] = logs.as_slice() else {
            panic!(
                "{role_id} ({id}): expected one logs statement, found {}",
                logs.len()
            );
        };
        assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{role_id}");
        let resources = model::one_or_many(&statement["Resource"]);
        assert!(
            !resources.is_empty() && resources.iter().all(|r| model::refers_to(r, &log_group)),
            "{role_id} ({id}): the logs statement must name only {log_group} (its \
             LoggingConfig.LogGroup), found {resources:?}"
        );
    }
}

#[test]
fn every_topic_is_encrypted_with_a_rotated_key_its_publishers_may_use() {
    let template = Template::load();
    let topics: Vec<_> = template.resources_of_type("AWS::SNS::Topic").collect();
    assert!(!topics.is_empty(), "template.yaml declares no SNS topic");
    let mut keys = BTreeSet::new();
    for (topic_id, topic) in topics {
        let key_ref = &topic["Properties"]["KmsMasterKeyId"];
        let key_id = model::ref_target(key_ref)
            .or_else(|| model::get_att_resource(key_ref))
            .unwrap_or_else(|| {
                panic!(
                    "{topic_id}: KmsMasterKeyId must name an AWS::KMS::Key of the template \
                     (alias/aws/sns cannot be used by EventBridge or CloudWatch), found \
                     {key_ref:?}"
                )
            });
        let key = template.resource_of_type(&key_id, "AWS::KMS::Key");
        assert_eq!(
            key["Properties"]["EnableKeyRotation"].as_bool(),
            Some(true),
            "{key_id}: key rotation"
        );
        let statements = model::key_policy_statements(key);
        assert!(
            statements.iter().any(|s| {
                s["Effect"].as_str() == Some("Allow")
                    && model::sub_text(&s["Principal"]["AWS"])
                        .is_some_and(|p| p.contains("${AWS::AccountId}:root"))
                    && model::actions(s) == ["kms:*"]
            }),
            "{key_id}: the key policy must let the account administer the key"
        );
        let services = publishers(&template, topic_id);
        assert!(
            !services.is_empty(),
            "{topic_id}: no rule or alarm publishes to it (is the reading of targets broken?)"
        );
        for service in services {
            let grants: Vec<&Value> = statements
                .iter()
                .copied()
                .filter(|s| {
                    s["Effect"].as_str() == Some("Allow")
                        && model::service_principals(s).contains(&service.to_owned())
                })
                .collect();
            let [grant] = grants.as_slice() else {
                panic!(
                    "{key_id}: {topic_id} is published to by {service}, so the key policy needs \
                     one statement letting it use the key, found {}",
                    grants.len()
                );
            };
            let mut actions = model::actions(grant);
            actions.sort();
            let mut expected = TOPIC_KEY_ACTIONS.map(str::to_owned);
            expected.sort();
            assert_eq!(actions, expected, "{key_id}: actions of {service}");
            if service == "events.amazonaws.com" {
                let conditions = serde_yaml::to_string(&grant["Condition"]).expect("serialise");
                assert!(
                    !conditions.contains("aws:SourceArn")
                        && !conditions.contains("aws:SourceAccount"),
                    "{key_id}: SNS does not support aws:SourceArn/aws:SourceAccount in a key \
                     policy for EventBridge-to-encrypted topics; with them, deliveries fail"
                );
            }
        }
        keys.insert(key_id);
    }
    let declared: BTreeSet<String> = template
        .resources_of_type("AWS::KMS::Key")
        .map(|(id, _)| id.to_owned())
        .collect();
    assert_eq!(declared, keys, "every KMS key encrypts a topic");
}

/// The AWS services publishing to `topic_id`: EventBridge for a rule targeting it, CloudWatch for
/// an alarm notifying it.
fn publishers(template: &Template, topic_id: &str) -> BTreeSet<&'static str> {
    let mut services = BTreeSet::new();
    for (_, rule) in template.resources_of_type("AWS::Events::Rule") {
        let targets = model::one_or_many(&rule["Properties"]["Targets"]);
        if targets
            .iter()
            .any(|t| model::refers_to(&t["Arn"], topic_id))
        {
            services.insert("events.amazonaws.com");
        }
    }
    for (_, alarm) in template.resources_of_type("AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        let actions = ["AlarmActions", "OKActions", "InsufficientDataActions"]
            .into_iter()
            .flat_map(|key| model::one_or_many(&properties[key]));
        if actions.into_iter().any(|a| model::refers_to(a, topic_id)) {
            services.insert("cloudwatch.amazonaws.com");
        }
    }
    services
}

#[test]
fn only_another_auth_account_may_put_events_on_the_auth_bus_and_only_its_source() {
    let template = Template::load();
    let policies: Vec<_> = template
        .resources_of_type("AWS::Events::EventBusPolicy")
        .collect();
    let [(policy_id, policy)] = policies.as_slice() else {
        panic!(
            "expected exactly one AWS::Events::EventBusPolicy (for the auth service's account), \
             found {}",
            policies.len()
        );
    };
    let condition = policy["Condition"]
        .as_str()
        .unwrap_or_else(|| panic!("{policy_id} must be conditional"));
    assert_eq!(
        another_auth_account_condition(&template, condition),
        Ok(()),
        "{policy_id}: Condition `{condition}` must be AuthEventAccount set and not the \
         deploying account"
    );
    let properties = &policy["Properties"];
    assert!(
        model::refers_to(&properties["EventBusName"], "AuthEventBusName"),
        "{policy_id}: EventBusName must be !Ref AuthEventBusName"
    );
    let statement = &properties["Statement"];
    assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{policy_id}");
    assert_eq!(
        model::actions(statement),
        ["events:PutEvents"],
        "{policy_id}: actions"
    );
    assert!(
        model::sub_text(&statement["Principal"]["AWS"])
            .is_some_and(|p| p.contains("${AuthEventAccount}:root")),
        "{policy_id}: the principal must be the AuthEventAccount account"
    );
    assert!(
        model::sub_text(&statement["Resource"]).is_some_and(|r| r
            .ends_with(":${AWS::AccountId}:event-bus/${AuthEventBusName}")
            && r.contains(":events:${AWS::Region}:")),
        "{policy_id}: the resource must be the AuthEventBusName bus of this account and region"
    );
    let sources =
        model::one_or_many(&statement["Condition"]["ForAllValues:StringEquals"]["events:source"]);
    assert!(
        matches!(sources.as_slice(), [source] if model::ref_target(source).as_deref() == Some("AuthEventSource")),
        "{policy_id}: every event put must have the source AuthEventSource, found {sources:?}"
    );
}

/// `Ok` when the condition `name` is `!And [<AuthEventAccount is set>, !Not [!Equals
/// [AuthEventAccount, AWS::AccountId]]]`, in either order.
fn another_auth_account_condition(template: &Template, name: &str) -> Result<(), String> {
    let conditions = template.conditions();
    let parts = model::intrinsic(&conditions[name], "And")
        .and_then(Value::as_sequence)
        .ok_or(format!("`{name}` is not an !And"))?;
    let is_set = |part: &Value| {
        let named = model::intrinsic(part, "Condition").and_then(model::literal_str);
        let body = named.map_or(part, |n| &conditions[n]);
        negated_equals(body).is_some_and(|args| {
            args.iter()
                .any(|a| model::ref_target(a).as_deref() == Some("AuthEventAccount"))
                && args.iter().any(|a| model::literal_str(a) == Some(""))
        })
    };
    let is_other_account = |part: &Value| {
        negated_equals(part).is_some_and(|args| {
            let refs: BTreeSet<String> = args.iter().filter_map(model::ref_target).collect();
            refs == BTreeSet::from(["AuthEventAccount".to_owned(), "AWS::AccountId".to_owned()])
        })
    };
    match parts.as_slice() {
        [a, b] if (is_set(a) && is_other_account(b)) || (is_set(b) && is_other_account(a)) => {
            Ok(())
        }
        _ => Err(format!("`{name}` is {parts:?}")),
    }
}

/// `!Not [!Equals [a, b]]` -> `[a, b]`.
fn negated_equals(value: &Value) -> Option<&Vec<Value>> {
    let [inner] = model::intrinsic(value, "Not")?.as_sequence()?.as_slice() else {
        return None;
    };
    model::intrinsic(inner, "Equals")?.as_sequence()
}

/// The functions whose commands revoke or create sessions: each such write also adds or deletes
/// the session's entry in its user's index (an item of its own), so their role needs
/// `dynamodb:DeleteItem` on the table; no other function gets it.
const INDEX_WRITERS: [&str; 15] = [
    "authorizer",
    "revocation-sweeper",
    "create-session",
    "revoke-session",
    "revoke-all-sessions",
    "logout-current",
    "update-session-activity",
    "set-session-policy",
    "admin-revoke-session",
    "admin-revoke-all-sessions",
    "admin-bulk-revoke",
    "admin-set-account-status",
    "refresh-session",
    "account-events",
    "remove-device",
];

/// The functions that read a user's ledger and index together (a revoke-all, or a change to a
/// limited tier): one `dynamodb:Query` on the table itself, limited to the user partitions (and,
/// for the sweeper, the partition of unfinished revoke-alls).
const INDEX_READERS: [&str; 8] = [
    "revocation-sweeper",
    "revoke-all-sessions",
    "set-session-policy",
    "admin-revoke-all-sessions",
    "admin-bulk-revoke",
    "admin-set-account-status",
    "account-events",
    // Not the index: the user's device records, in the same partitions (docs/0047).
    "list-devices",
];

#[test]
fn only_the_functions_that_keep_or_read_the_user_index_may_delete_items_or_query_the_table() {
    let template = Template::load();
    let table = template.table_id();
    for (id, function) in template.functions() {
        let binary = function.binary();
        let role_id = function.role_id().expect("checked by the role test");
        let role = template.resource_of_type(&role_id, "AWS::IAM::Role");
        let statements = model::role_statements(role);
        let deletes = statements.iter().any(|s| {
            model::actions(s).iter().any(|a| a == "dynamodb:DeleteItem")
                && model::one_or_many(&s["Resource"])
                    .iter()
                    .any(|r| model::get_att_resource(r).as_deref() == Some(table))
        });
        assert_eq!(
            deletes,
            INDEX_WRITERS.contains(&binary),
            "{id} ({binary}): dynamodb:DeleteItem on {table} is for the index writers only"
        );
        // The index Query (`${SessionsTable.Arn}/index/gsi1`) is a `!Sub`, not the table itself.
        let table_queries: Vec<&&Value> = statements
            .iter()
            .filter(|s| model::actions(s).iter().any(|a| a == "dynamodb:Query"))
            .filter(|s| {
                model::one_or_many(&s["Resource"])
                    .iter()
                    .any(|r| model::get_att_resource(r).as_deref() == Some(table))
            })
            .collect();
        assert_eq!(
            !table_queries.is_empty(),
            INDEX_READERS.contains(&binary),
            "{id} ({binary}): dynamodb:Query on {table} itself is for the index readers only"
        );
        for statement in table_queries {
            let keys = &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let keys: Vec<_> = model::one_or_many(keys)
                .into_iter()
                .filter_map(model::literal_str)
                .collect();
            let expected: &[&str] = if binary == "revocation-sweeper" {
                &["USER#*", "REVOKE_ALL#*"]
            } else {
                &["USER#*"]
            };
            assert_eq!(
                keys, expected,
                "{id} ({binary}): the table Query is limited to the user partitions"
            );
        }
    }
}

/// The two sweepers read sessions in batches (the due ones, a revoke-all's in-flight ones,
/// docs/0050 and docs/0052): their `dynamodb:BatchGetItem` reaches session items only.
#[test]
fn the_sweepers_batch_reads_reach_session_items_only() {
    let template = Template::load();
    let table = template.table_id();
    let mut checked = Vec::new();
    for (id, function) in template.functions() {
        let binary = function.binary();
        if !["retention-sweeper", "revocation-sweeper"].contains(&binary) {
            continue;
        }
        let role_id = function.role_id().expect("checked by the role test");
        let role = template.resource_of_type(&role_id, "AWS::IAM::Role");
        let batch_reads: Vec<&Value> = model::role_statements(role)
            .into_iter()
            .filter(|s| {
                model::actions(s)
                    .iter()
                    .any(|a| a == "dynamodb:BatchGetItem")
            })
            .collect();
        assert!(
            !batch_reads.is_empty(),
            "{id} ({binary}) reads sessions in batches"
        );
        for statement in batch_reads {
            assert!(
                model::one_or_many(&statement["Resource"])
                    .iter()
                    .all(|r| model::get_att_resource(r).as_deref() == Some(table)),
                "{id} ({binary}): the table itself"
            );
            let keys = &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let keys: Vec<_> = model::one_or_many(keys)
                .into_iter()
                .filter_map(model::literal_str)
                .collect();
            assert_eq!(keys, ["SESSION#*"], "{id} ({binary}): session items only");
        }
        checked.push(binary);
    }
    checked.sort_unstable();
    assert_eq!(checked, ["retention-sweeper", "revocation-sweeper"]);
}
