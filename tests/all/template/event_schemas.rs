//! The schema registry publishes exactly the committed contracts: one `AWS::EventSchemas::Schema`
//! per file in schemas/events/, in the template's registry, named `<source>@<DetailType>`, its
//! content the whole event in JSON Schema draft 4 (docs/events.md). That the content equals what
//! the event types generate is tests/all/event_contracts' business.

use std::collections::BTreeSet;

use jsonschema::Draft;
use serde_json::Value as Json;
use session_tests::event_contracts::registry::{DRAFT_04, REGISTRY_ID, schema_resource_id};
use session_tests::event_contracts::validate::compile;
use session_tests::event_contracts::{EVENTS_DIR, committed_event_files};

use super::model::{Template, get_att_resource, literal_str, sub_text};

#[test]
fn one_registry_schema_per_committed_schema_file() {
    let template = Template::load();
    let committed: BTreeSet<String> = committed_event_files()
        .unwrap()
        .keys()
        .map(|name| name.trim_end_matches(".json").to_owned())
        .collect();
    assert!(!committed.is_empty(), "no schemas in {EVENTS_DIR}/");
    let registry = template.resource_of_type(REGISTRY_ID, "AWS::EventSchemas::Registry");
    assert!(
        sub_text(&registry["Properties"]["RegistryName"]).is_some(),
        "the registry is named after the stack"
    );

    let mut published = BTreeSet::new();
    for (id, resource) in template.resources_of_type("AWS::EventSchemas::Schema") {
        let properties = &resource["Properties"];
        assert_eq!(
            get_att_resource(&properties["RegistryName"]).as_deref(),
            Some(REGISTRY_ID),
            "{id}: in the service's registry"
        );
        assert_eq!(
            literal_str(&properties["Type"]),
            Some("JSONSchemaDraft4"),
            "{id}"
        );
        let name = sub_text(&properties["SchemaName"])
            .unwrap_or_else(|| panic!("{id}: SchemaName is `!Sub ${{EventSource}}@<DetailType>`"));
        let detail_type = name
            .strip_prefix("${EventSource}@")
            .unwrap_or_else(|| panic!("{id}: SchemaName {name}"));
        assert_eq!(
            id,
            schema_resource_id(detail_type),
            "{id}: named after its event"
        );
        let content: Json = serde_json::from_str(
            literal_str(&properties["Content"]).unwrap_or_else(|| panic!("{id}: Content")),
        )
        .unwrap_or_else(|e| panic!("{id}: Content is not JSON: {e}"));
        assert_eq!(content["$schema"], DRAFT_04, "{id}");
        assert_eq!(
            content["properties"]["detail-type"]["enum"],
            serde_json::json!([detail_type]),
            "{id}: the schema of {detail_type} events only"
        );
        assert!(
            content["properties"]["detail"]["properties"].is_object(),
            "{id}: describes the detail"
        );
        compile(&content, Draft::Draft4, id);
        assert!(
            published.insert(detail_type.to_owned()),
            "{detail_type} published twice"
        );
    }
    let missing: Vec<_> = committed.difference(&published).collect();
    let extra: Vec<_> = published.difference(&committed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the registry must publish exactly {EVENTS_DIR}/: missing {missing:?}, not committed \
         {extra:?}"
    );
}

#[test]
fn the_registry_is_an_output() {
    let template = Template::load();
    let outputs = &template.doc()["Outputs"];
    assert_eq!(
        get_att_resource(&outputs["EventSchemaRegistryName"]["Value"]).as_deref(),
        Some(REGISTRY_ID)
    );
}
