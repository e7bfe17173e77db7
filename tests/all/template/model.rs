//! Reading `template.yaml` and `functions/*` for the template tests.
//!
//! serde_yaml keeps CloudFormation's short-form intrinsics as tagged values (`!Ref X` is
//! `Tagged("!Ref", "X")`). Its accessors look through tags (`as_str` on `!Ref X` gives `"X"`), so
//! where a value must be written out literally the helpers here refuse tagged values.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The repository root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A crate in `functions/`: its binary (named after its folder) and, for an HTTP function, the
/// API Gateway route key the API's route table assigns to it (session_api::routes).
#[derive(Debug)]
pub struct FunctionCrate {
    pub name: String,
    pub route_key: Option<String>,
    /// The route's access kind, for an HTTP function.
    pub access: Option<session_api::Access>,
}

/// What an HTTP function's `main.rs` calls: the route is looked up by the crate's own name.
const HTTP_ENTRY: &str = "http_function::serve(env!(\"CARGO_PKG_NAME\"))";

pub fn function_crates() -> Vec<FunctionCrate> {
    let dir = workspace_root().join("functions");
    let mut crates = Vec::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        let manifest = path.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 folder name")
            .to_owned();
        let manifest_text = fs::read_to_string(&manifest).expect("Cargo.toml");
        assert!(
            manifest_text.contains(&format!("name = \"{name}\"")),
            "{}: the package and its binary must be named after the folder (`{name}`), which is \
             the binary the template builds",
            manifest.display()
        );
        let main = path.join("src/main.rs");
        let source =
            fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()));
        let route = session_api::route_for_function(&name);
        assert_eq!(
            source.contains(HTTP_ENTRY),
            route.is_some(),
            "{}: an HTTP function serves `{HTTP_ENTRY}` and the route table names it; \
             a function the route table names is an HTTP function",
            main.display()
        );
        crates.push(FunctionCrate {
            route_key: route.map(|r| r.route_key().to_owned()),
            access: route.map(|r| r.access),
            name,
        });
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        !crates.is_empty(),
        "no function crates in {}",
        dir.display()
    );
    let names: BTreeSet<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    for route in session_api::routes() {
        if let Some(function) = route.function {
            assert!(
                names.contains(function),
                "the route table assigns `{}` to functions/{function}, which does not exist",
                route.route_key()
            );
        }
    }
    crates
}

/// The environment variable names session-lambda's configuration reads
/// (`pub const NAME: &str = "NAME";` in config.rs).
pub fn config_variables() -> BTreeSet<String> {
    let path = workspace_root().join("crates/session-lambda/src/config.rs");
    let source = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let names: BTreeSet<String> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const "))
        .filter_map(|rest| rest.split_once(": &str = \""))
        .filter_map(|(_, value)| value.split_once('"'))
        .map(|(value, _)| value.to_owned())
        .collect();
    assert!(
        names.contains("SESSIONS_TABLE"),
        "could not read the variable names from {}",
        path.display()
    );
    names
}

pub struct Template {
    doc: Value,
}

impl Template {
    pub fn load() -> Self {
        let path = workspace_root().join("template.yaml");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
        assert_eq!(
            doc["Transform"].as_str(),
            Some("AWS::Serverless-2016-10-31"),
            "template.yaml must be a SAM template"
        );
        Self { doc }
    }

    pub fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.doc["Resources"]
            .as_mapping()
            .expect("Resources")
            .iter()
            .map(|(id, resource)| (id.as_str().expect("logical id"), resource))
    }

    pub fn resources_of_type<'a>(
        &'a self,
        type_name: &str,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> + use<'a> {
        let type_name = type_name.to_owned();
        self.resources()
            .filter(move |(_, r)| r["Type"].as_str() == Some(type_name.as_str()))
    }

    fn single_of_type(&self, type_name: &str) -> &str {
        let ids: Vec<&str> = self
            .resources_of_type(type_name)
            .map(|(id, _)| id)
            .collect();
        let [id] = ids.as_slice() else {
            panic!("expected exactly one {type_name} in template.yaml, found {ids:?}");
        };
        id
    }

    /// The resource `id`, if the template declares it.
    pub fn resource(&self, id: &str) -> Option<&Value> {
        self.doc["Resources"].as_mapping()?.get(id)
    }

    /// The resource `id`, which must exist and be of `type_name`.
    pub fn resource_of_type(&self, id: &str, type_name: &str) -> &Value {
        let resource = self
            .resource(id)
            .unwrap_or_else(|| panic!("template.yaml has no resource `{id}`"));
        assert_eq!(
            resource["Type"].as_str(),
            Some(type_name),
            "`{id}` must be an {type_name}"
        );
        resource
    }

    /// The whole document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The template's `Conditions` section.
    pub fn conditions(&self) -> &Value {
        &self.doc["Conditions"]
    }

    /// The parameter `name` (null when the template has none of that name).
    pub fn parameter(&self, name: &str) -> &Value {
        &self.doc["Parameters"][name]
    }

    /// The rule `name` of the template's `Rules` (null when there is none).
    pub fn rule(&self, name: &str) -> &Value {
        &self.doc["Rules"][name]
    }

    /// `Globals.Function`.
    pub fn function_globals(&self) -> &Value {
        &self.doc["Globals"]["Function"]
    }

    pub fn functions(&self) -> impl Iterator<Item = (&str, Function<'_>)> {
        let globals = &self.doc["Globals"]["Function"];
        self.resources_of_type("AWS::Serverless::Function")
            .map(move |(id, resource)| {
                (
                    id,
                    Function {
                        id,
                        resource,
                        globals,
                    },
                )
            })
    }

    /// The one function that builds `binary`.
    pub fn function_for(&self, binary: &str) -> (&str, Function<'_>) {
        let mut found: Vec<_> = self
            .functions()
            .filter(|(_, f)| f.binary() == binary)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one function building `{binary}` in template.yaml"
        );
        found.remove(0)
    }

    pub fn http_api_id(&self) -> &str {
        self.single_of_type("AWS::Serverless::HttpApi")
    }

    pub fn table_id(&self) -> &str {
        self.single_of_type("AWS::DynamoDB::Table")
    }

    /// `Auth` of the HTTP API.
    pub fn api_auth(&self) -> &Value {
        &self.doc["Resources"][self.http_api_id()]["Properties"]["Auth"]
    }

    pub fn default_authorizer(&self) -> Option<&str> {
        literal_str(&self.api_auth()["DefaultAuthorizer"])
    }

    /// The name of the API's one Lambda authorizer (the one with a `FunctionArn`).
    pub fn lambda_authorizer(&self) -> &str {
        let authorizers = self.api_auth()["Authorizers"]
            .as_mapping()
            .expect("the HttpApi declares Auth.Authorizers");
        let names: Vec<&str> = authorizers
            .iter()
            .filter(|(_, config)| !config["FunctionArn"].is_null())
            .map(|(name, _)| name.as_str().expect("authorizer name"))
            .collect();
        let [name] = names.as_slice() else {
            panic!("expected exactly one Lambda authorizer on the HttpApi, found {names:?}");
        };
        name
    }

    pub fn authorizer_config(&self, name: &str) -> &Value {
        &self.api_auth()["Authorizers"][name]
    }
}

/// An `AWS::Serverless::Function`, read with the template's `Globals.Function` beneath it.
pub struct Function<'a> {
    id: &'a str,
    resource: &'a Value,
    globals: &'a Value,
}

/// One `HttpApi` event of a function.
#[derive(Debug)]
pub struct HttpEvent {
    pub method: String,
    pub path: String,
    pub api_id: Value,
    /// `Auth.Authorizer`, when the event names one.
    pub authorizer: Option<String>,
}

impl HttpEvent {
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.path)
    }

    pub fn api_id_is(&self, id: &str) -> bool {
        ref_target(&self.api_id).as_deref() == Some(id)
    }
}

impl<'a> Function<'a> {
    /// `Metadata.BuildProperties.Binary`: the cargo binary cargo-lambda builds.
    pub fn binary(&self) -> &'a str {
        literal_str(&self.resource["Metadata"]["BuildProperties"]["Binary"]).unwrap_or_else(|| {
            panic!(
                "{}: Metadata.BuildProperties.Binary must name its binary (a literal)",
                self.id
            )
        })
    }

    pub fn metadata(&self, key: &str) -> &'a str {
        literal_str(&self.resource["Metadata"][key])
            .unwrap_or_else(|| panic!("{}: Metadata.{key} is missing", self.id))
    }

    /// A property, from the function or else from `Globals.Function`.
    pub fn property(&self, name: &str) -> &'a Value {
        let own = &self.resource["Properties"][name];
        if own.is_null() {
            &self.globals[name]
        } else {
            own
        }
    }

    /// A property set on the function itself (not inherited from `Globals.Function`).
    pub fn own_property(&self, name: &str) -> &'a Value {
        &self.resource["Properties"][name]
    }

    /// The logical id of the `AWS::IAM::Role` in `Role: !GetAtt <Role>.Arn`, if it is one.
    pub fn role_id(&self) -> Option<String> {
        get_att_resource(self.own_property("Role"))
    }

    /// The logical id in `LoggingConfig.LogGroup: !Ref <LogGroup>`, if set so.
    pub fn log_group_id(&self) -> Option<String> {
        ref_target(&self.own_property("LoggingConfig")["LogGroup"])
    }

    fn events(&self) -> impl Iterator<Item = &'a Value> + use<'a> {
        self.resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flat_map(|events| events.values())
    }

    /// The `Properties` of each event of `type_name`.
    pub fn events_of_type(&self, type_name: &str) -> Vec<&'a Value> {
        self.events()
            .filter(|e| e["Type"].as_str() == Some(type_name))
            .map(|e| &e["Properties"])
            .collect()
    }

    pub fn http_api_events(&self) -> Vec<HttpEvent> {
        self.events_of_type("HttpApi")
            .into_iter()
            .map(|p| HttpEvent {
                method: literal_str(&p["Method"])
                    .unwrap_or_else(|| {
                        panic!("{}: HttpApi event without a literal Method", self.id)
                    })
                    .to_owned(),
                path: literal_str(&p["Path"])
                    .unwrap_or_else(|| panic!("{}: HttpApi event without a literal Path", self.id))
                    .to_owned(),
                api_id: p["ApiId"].clone(),
                authorizer: literal_str(&p["Auth"]["Authorizer"]).map(str::to_owned),
            })
            .collect()
    }

    /// The value the template gives variable `name`: the function's own, else the global one.
    pub fn environment_value(&self, name: &str) -> &'a Value {
        let own = &self.resource["Properties"]["Environment"]["Variables"][name];
        if own.is_null() {
            &self.globals["Environment"]["Variables"][name]
        } else {
            own
        }
    }

    /// Names of the environment variables set (globals and the function's own).
    pub fn environment(&self) -> BTreeSet<String> {
        [self.globals, &self.resource["Properties"]]
            .into_iter()
            .filter_map(|p| p["Environment"]["Variables"].as_mapping())
            .flat_map(|vars| vars.keys())
            .map(|k| k.as_str().expect("variable name").to_owned())
            .collect()
    }
}

/// A plain string, not an intrinsic function.
pub fn literal_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A plain string or number, as text (`"2.0"` and `2.0` alike).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| {
            literal_str(v)
                .unwrap_or("<not a literal string>")
                .to_owned()
        })
        .collect()
}

/// `!Ref X` or `{Ref: X}` -> `X`.
pub fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => {
            literal_str(&tagged.value).map(str::to_owned)
        }
        Value::Mapping(m) if m.len() == 1 => literal_str(m.get("Ref")?).map(str::to_owned),
        _ => None,
    }
}

/// `!GetAtt X.Attr`, `!GetAtt [X, Attr]` or `{Fn::GetAtt: [X, Attr]}` -> `X`.
pub fn get_att_resource(value: &Value) -> Option<String> {
    let target = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(m) if m.len() == 1 => m.get("Fn::GetAtt")?,
        _ => return None,
    };
    match target {
        Value::String(dotted) => dotted.split_once('.').map(|(id, _)| id.to_owned()),
        Value::Sequence(parts) => parts.first().and_then(literal_str).map(str::to_owned),
        _ => None,
    }
}

/// An intrinsic function (short or long form), i.e. a reference rather than a literal.
pub fn is_intrinsic(value: &Value) -> bool {
    match value {
        Value::Tagged(_) => true,
        Value::Mapping(m) if m.len() == 1 => m
            .keys()
            .filter_map(Value::as_str)
            .any(|k| k == "Ref" || k.starts_with("Fn::")),
        _ => false,
    }
}

/// An IAM policy element that may be one value or a list (`Action`, `Resource`): its values.
pub fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(values) => values.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Every statement of the inline policies of an `AWS::IAM::Role` resource.
pub fn role_statements(role: &Value) -> Vec<&Value> {
    role["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|policy| one_or_many(&policy["PolicyDocument"]["Statement"]))
        .flat_map(conditional_branches)
        .collect()
}

/// A statement, or both statement branches of `!If [condition, statement, statement]` (an
/// `AWS::NoValue` branch is no statement): a conditional statement is checked as if its
/// condition held.
fn conditional_branches(statement: &Value) -> Vec<&Value> {
    match statement {
        Value::Tagged(tagged) if tagged.tag == "If" => tagged
            .value
            .as_sequence()
            .into_iter()
            .flatten()
            .skip(1)
            .filter(|branch| branch.is_mapping())
            .collect(),
        other => vec![other],
    }
}

/// The statements of a key policy (`AWS::KMS::Key`).
pub fn key_policy_statements(key: &Value) -> Vec<&Value> {
    one_or_many(&key["Properties"]["KeyPolicy"]["Statement"])
}

/// The literal actions of a statement (an intrinsic counts as `<intrinsic>`).
pub fn actions(statement: &Value) -> Vec<String> {
    one_or_many(&statement["Action"])
        .into_iter()
        .map(|a| literal_str(a).unwrap_or("<intrinsic>").to_owned())
        .collect()
}

/// The service principals of a statement (`Principal.Service`).
pub fn service_principals(statement: &Value) -> Vec<String> {
    strings(
        &one_or_many(&statement["Principal"]["Service"])
            .into_iter()
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// The text of `!Sub "text"` or `{Fn::Sub: "text"}` (not the list form).
pub fn sub_text(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Sub" => literal_str(&tagged.value),
        Value::Mapping(m) if m.len() == 1 => literal_str(m.get("Fn::Sub")?),
        _ => None,
    }
}

/// Whether `value` refers to the resource (or parameter) `id`: `!Ref id`, `!GetAtt id.Attr`, or a
/// `!Sub` naming `${id}` or `${id.Attr}`.
pub fn refers_to(value: &Value, id: &str) -> bool {
    ref_target(value).as_deref() == Some(id)
        || get_att_resource(value).as_deref() == Some(id)
        || sub_text(value).is_some_and(|text| {
            text.contains(&format!("${{{id}}}")) || text.contains(&format!("${{{id}."))
        })
}

/// `!Name value` or `{Fn::Name: value}` (`{Condition: value}` for `Condition`) -> `value`.
pub fn intrinsic<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == name => Some(&tagged.value),
        Value::Mapping(m) if m.len() == 1 => {
            let long = if name == "Condition" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            m.get(long.as_str())
        }
        _ => None,
    }
}
