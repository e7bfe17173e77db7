//! The AWS SDK's endpoint overrides, for local runs against stand-ins (docs/0035): every function
//! declares them, so `sam local invoke --env-vars` (and scripts/invoke) can set them, but only
//! the `LocalEndpoint` parameter gives them a value, it is empty by default, and a deployment
//! with it set is refused.

use serde_yaml::Value;

use super::model::Template;

/// The SDK variables the template may set, and how.
const ENDPOINT_VARIABLES: [&str; 2] = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"];

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn sdk_endpoints_come_only_from_local_endpoint_which_no_deployment_may_set() {
    let template = Template::load();
    let parameter = template.parameter("LocalEndpoint");
    assert_eq!(parameter["Type"].as_str(), Some("String"), "LocalEndpoint");
    assert_eq!(
        parameter["Default"].as_str(),
        Some(""),
        "LocalEndpoint must default to none: a deployment talks to AWS"
    );
    assert_eq!(
        template.conditions()["HasLocalEndpoint"],
        yaml(r#"!Not [!Equals [!Ref LocalEndpoint, ""]]"#),
        "HasLocalEndpoint"
    );
    let rule = template.rule("NoLocalEndpointInAws");
    assert!(
        rule["RuleCondition"].is_null(),
        "NoLocalEndpointInAws must hold for every deployment"
    );
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        yaml(r#"!Equals [!Ref LocalEndpoint, ""]"#),
        "NoLocalEndpointInAws must refuse a LocalEndpoint"
    );
    let only_locally = yaml("!If [HasLocalEndpoint, !Ref LocalEndpoint, !Ref AWS::NoValue]");
    let mut functions = 0;
    for (id, function) in template.functions() {
        functions += 1;
        for name in function.environment() {
            if name.starts_with("AWS_") {
                assert!(
                    ENDPOINT_VARIABLES.contains(&name.as_str()),
                    "{id} sets {name}: the Lambda service and the SDK own AWS_* variables"
                );
            }
        }
        for name in ENDPOINT_VARIABLES {
            assert_eq!(
                function.environment_value(name),
                &only_locally,
                "{id}: {name} must be declared, and set only by LocalEndpoint"
            );
        }
    }
    assert!(functions > 0, "no functions in template.yaml");
}
