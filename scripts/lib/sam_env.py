"""A function's configuration from template.yaml, computed the way `sam local invoke` does.

What SAM CLI does before it starts a function's container, for the parts a function sees:

- template parameters: the template's defaults, then `--parameter-overrides`; pseudo parameters
  get SAM's local values (account 123456789012, stack name `local`, region `--region` or
  us-east-1);
- Globals.Function merged under the function's own properties (its Environment.Variables win
  key by key);
- intrinsics resolved like SAM's IntrinsicResolver: `Ref` to a parameter gives its value, `Ref`
  to a resource (or to a parameter with neither value nor default) its logical id, `GetAtt X.Arn`
  a made-up ARN, conditions evaluated; a property SAM cannot resolve is left as it is, and such a
  variable is passed as "". That includes every `!If [..., ..., !Ref AWS::NoValue]`: SAM resolves
  NoValue to nothing and then refuses the If, whichever branch the condition takes. So a variable
  the template declares behind AWS::NoValue is still declared locally, which is what lets
  `--env-vars` set it;
- the environment: SAM's AWS_* variables (function name, memory, timeout, region and credentials
  from the shell or SAM's placeholders), then each variable the template declares, valued from
  `--env-vars` ("Parameters" for every function, then the function's own entry), else from the
  shell environment when it has one of that name, else from the template. Variables the template
  does not declare are never passed.

Checked against aws-sam-cli 1.170.0 (samcli/lib/intrinsic_resolver, samcli/local/lambdafn/
env_vars.py, samcli/commands/local/lib/local_lambda.py); docs/0034-invoke-without-docker.md.
"""

import json
import os
import re

import yaml

# SAM's local values for the pseudo parameters (AWS::Region: `--region`, else this).
PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123",
    "AWS::URLSuffix": "localhost",
}
# SAM's stand-ins when the shell has no credentials or region.
DEFAULT_CREDENTIALS = {"region": "us-east-1", "key": "defaultkey", "secret": "defaultsecret"}


class Unresolvable(Exception):
    """A property SAM leaves unresolved (SAM's InvalidIntrinsicException / InvalidSymbolException)."""


class TemplateError(Exception):
    """The template or the command line asks for something that does not exist."""


# --- Loading: CloudFormation's short-form tags become their long forms ----------------------------


class _Loader(yaml.SafeLoader):
    pass


def _tag(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short, _long in {
    "Ref": "Ref", "Condition": "Condition", "GetAtt": "Fn::GetAtt", "Sub": "Fn::Sub",
    "If": "Fn::If", "Equals": "Fn::Equals", "Not": "Fn::Not", "And": "Fn::And", "Or": "Fn::Or",
    "Join": "Fn::Join", "Select": "Fn::Select", "Split": "Fn::Split", "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64", "GetAZs": "Fn::GetAZs", "ImportValue": "Fn::ImportValue", "Cidr": "Fn::Cidr",
}.items():
    _Loader.add_constructor(f"!{_short}", _tag(_long))


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


# --- Resolution ---------------------------------------------------------------------------------


class Resolver:
    """SAM's IntrinsicResolver over one template, with `ignore_errors` as `sam local` runs it."""

    def __init__(self, template, parameter_overrides, region=None):
        self.template = template
        self.parameters = template.get("Parameters") or {}
        self.resources = template.get("Resources") or {}
        self.conditions = template.get("Conditions") or {}
        unknown = sorted(set(parameter_overrides) - set(self.parameters))
        if unknown:
            raise TemplateError(f"--parameter-overrides names no template parameter: {', '.join(unknown)}")
        # SAM's symbol table: pseudo parameters, then defaults, then overrides.
        self.values = dict(PSEUDO_PARAMETERS)
        if region:
            self.values["AWS::Region"] = region
        self.region = self.values["AWS::Region"]
        for name, spec in self.parameters.items():
            if "Default" in spec:
                self.values[name] = spec["Default"]
        self.values.update(parameter_overrides)

    def symbol(self, name, attribute="Ref"):
        """SAM's resolve_symbols: a parameter's value, else a resource's stand-in."""
        if name == "AWS::NoValue":
            return None
        if attribute == "Ref":
            value = self.values.get(name)
            # SAM takes an empty value as "not translated" and falls back to the default.
            if value not in (None, "", [], False, 0):
                return value
            default = (self.parameters.get(name) or {}).get("Default")
            if default is not None:
                return default
            return name
        if attribute == "Arn":
            function = (self.resources.get(name) or {}).get("Properties") or {}
            resource = function.get("FunctionName") or name
            return f"arn:aws:lambda:{self.region}:{PSEUDO_PARAMETERS['AWS::AccountId']}:function:{resource}"
        raise Unresolvable(f"{name}.{attribute}")

    def resolve(self, node):
        if node is None:
            raise Unresolvable("missing property")
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict) or not node:
            return node
        key, value = next(iter(node.items()))
        handler = self.INTRINSICS.get(key)
        if handler:
            return handler(self, value)
        out = {}
        for name, item in node.items():
            try:
                out[name] = self.resolve(item)
            except Exception:  # pylint: disable=broad-except
                # As SAM with ignore_errors: whatever fails, the property keeps its unresolved form.
                out[name] = item
        return out

    def _ref(self, value):
        return self.symbol(self.resolve(value))

    def _get_att(self, value):
        name, attribute = self.resolve(value)
        return self.symbol(name, attribute)

    def _sub(self, value):
        text, variables = (value, {}) if isinstance(value, str) else value
        text, variables = self.resolve(text), self.resolve(variables)

        def replace(match):
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            target, attribute = name.rsplit(".", 1) if "." in name else (name, "Ref")
            try:
                return str(self.symbol(target, attribute))
            except Unresolvable:
                return f"${target}.{attribute}"  # what SAM leaves for an unknown attribute

        return re.sub(r"\$\{([A-Za-z0-9:._]+)\}", replace, text)

    def _if(self, value):
        arguments = self.resolve(value)
        condition, when_true, when_false = arguments
        # SAM resolves both branches before choosing one, and a NoValue branch (None) fails it.
        when_true, when_false = self.resolve(when_true), self.resolve(when_false)
        return when_true if self.condition(condition) else when_false

    def condition(self, name):
        if name not in self.conditions:
            raise Unresolvable(f"unknown condition {name}")
        result = self.resolve(self.conditions[name])
        if not isinstance(result, bool):
            raise Unresolvable(f"condition {name}")
        return result

    def _condition(self, value):
        return self.condition(value)

    def _equals(self, value):
        first, second = self.resolve(value)
        return first == second

    def _not(self, value):
        (argument,) = self.resolve(value)
        return not argument

    def _and(self, value):
        return all(self.resolve(value))

    def _or(self, value):
        return any(self.resolve(value))

    def _join(self, value):
        separator, items = self.resolve(value)
        return separator.join(str(item) for item in items)

    def _select(self, value):
        index, items = self.resolve(value)
        return items[int(index)]

    def _split(self, value):
        separator, text = self.resolve(value)
        return text.split(separator)

    def _unsupported(self, value):
        raise Unresolvable("not resolved locally")

    INTRINSICS = {
        "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Sub": _sub, "Fn::If": _if, "Condition": _condition,
        "Fn::Equals": _equals, "Fn::Not": _not, "Fn::And": _and, "Fn::Or": _or, "Fn::Join": _join,
        "Fn::Select": _select, "Fn::Split": _split, "Fn::FindInMap": _unsupported,
        "Fn::Base64": _unsupported, "Fn::GetAZs": _unsupported, "Fn::ImportValue": _unsupported,
        "Fn::Cidr": _unsupported,
    }


# --- Functions ----------------------------------------------------------------------------------


def functions(template):
    """Logical id -> the function's build binary (Metadata.BuildProperties.Binary), in order."""
    out = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            binary = ((resource.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
            out[logical_id] = binary
    return out


def find_function(template, name):
    """The logical id of `name`, given as a logical id or as its binary's name."""
    known = functions(template)
    if name in known:
        return name
    matches = [logical_id for logical_id, binary in known.items() if binary == name]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{logical_id} ({binary})" for logical_id, binary in known.items())
    raise TemplateError(f"no function {name} in the template; functions: {listed}")


def merged_properties(template, logical_id):
    """The function's properties with Globals.Function merged in, as SAM's globals plugin does:
    maps merge key by key (the function's entries win), anything else the function's wins."""

    def merge(global_value, own_value):
        if isinstance(global_value, dict) and isinstance(own_value, dict) and not _is_intrinsic(own_value):
            merged = dict(global_value)
            for key, value in own_value.items():
                merged[key] = merge(global_value[key], value) if key in global_value else value
            return merged
        return own_value

    globals_ = ((template.get("Globals") or {}).get("Function")) or {}
    own = template["Resources"][logical_id].get("Properties") or {}
    return merge(globals_, own)


def _is_intrinsic(value):
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


def _stringify(value):
    """SAM's _stringify_value: unresolved (dict/list) and missing values become ""."""
    if isinstance(value, (dict, list, tuple)) or value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def shell_credentials(environ):
    """Region and credentials as SAM's boto3 session finds them in the shell environment."""
    found = {}
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if region:
        found["region"] = region
    for key, name in (("key", "AWS_ACCESS_KEY_ID"), ("secret", "AWS_SECRET_ACCESS_KEY"), ("sessiontoken", "AWS_SESSION_TOKEN")):
        if environ.get(name):
            found[key] = environ[name]
    return found


def function_config(template, name, parameter_overrides=None, env_vars=None, environ=None, region=None):
    """What `sam local invoke NAME [--region REGION]` runs the function with: its logical id and
    binary, the environment, the memory (MB), the timeout (seconds) and the architecture."""
    environ = os.environ if environ is None else environ
    env_vars = env_vars or {}
    for value in env_vars.values():
        if not isinstance(value, dict):
            raise TemplateError(f"--env-vars: every entry must be an object of variables, got {value!r}")
    logical_id = find_function(template, name)
    # `--region` sets both the pseudo parameter and the function's region; the shell's region
    # only the latter.
    resolver = Resolver(template, parameter_overrides or {}, region)
    credentials = shell_credentials(environ)
    region = region or credentials.get("region", DEFAULT_CREDENTIALS["region"])
    properties = resolver.resolve(merged_properties(template, logical_id))

    memory = properties.get("MemorySize", 128)
    timeout = properties.get("Timeout", 3)
    name_ = properties.get("FunctionName") or logical_id
    result = {
        "AWS_SAM_LOCAL": "true",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout),
        "AWS_LAMBDA_FUNCTION_HANDLER": _stringify(properties.get("Handler")),
        "AWS_LAMBDA_FUNCTION_NAME": str(name_),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"aws/lambda/{name_}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": credentials.get("key", DEFAULT_CREDENTIALS["key"]),
        "AWS_SECRET_ACCESS_KEY": credentials.get("secret", DEFAULT_CREDENTIALS["secret"]),
        "AWS_ACCOUNT_ID": PSEUDO_PARAMETERS["AWS::AccountId"],
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    }
    if credentials.get("sessiontoken"):
        result["AWS_SESSION_TOKEN"] = credentials["sessiontoken"]
    logging = properties.get("LoggingConfig") or {}
    if isinstance(logging, dict) and isinstance(logging.get("LogGroup"), str):
        result["AWS_LAMBDA_LOG_GROUP_NAME"] = logging["LogGroup"]

    overrides = dict(env_vars.get("Parameters", {}))
    overrides.update(env_vars.get(logical_id) or {})
    declared = (properties.get("Environment") or {}).get("Variables") or {}
    for variable, value in declared.items():
        if variable in environ:
            value = environ[variable]
        if variable in overrides:
            value = overrides[variable]
        result[variable] = _stringify(value)

    architectures = properties.get("Architectures") or ["x86_64"]
    return {
        "logical_id": logical_id,
        "binary": functions(template)[logical_id],
        "environment": result,
        "timeout": int(timeout),
        "memory": int(memory),
        "architecture": architectures[0] if isinstance(architectures, list) else "x86_64",
    }


def parse_parameter_overrides(items):
    """`Key=Value` words (SAM's short form) or `ParameterKey=K,ParameterValue=V`."""
    overrides = {}
    for item in items:
        match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", item)
        key, sep, value = (match.group(1), "=", match.group(2)) if match else item.partition("=")
        if not sep or not key:
            raise TemplateError(f"--parameter-overrides: expected Key=Value, got {item!r}")
        overrides[key] = value
    return overrides


def load_env_vars(path):
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: --env-vars must be a JSON object")
    return data
