"""Checks sam_env.py against SAM CLI itself: for every function of the template, under several
parameter sets, `--env-vars` files, regions and shell environments, the environment sam_env.py
computes must equal the one SAM CLI's own code computes for `sam local invoke`.

Run with the Python of a virtualenv holding aws-sam-cli (venv-tools.sh: sam_env_check). Not part
of scripts/test (it needs SAM CLI's ~90 packages); run it after bumping VENV_TOOLS_SAM_VERSION
or changing how the template sets variables. Exit status 1 on any difference.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sam_env  # noqa: E402
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner  # noqa: E402
from samcli.lib.providers.sam_function_provider import SamFunctionProvider  # noqa: E402
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider  # noqa: E402

# (parameter overrides, --env-vars, --region): defaults; every condition true; overrides of all
# kinds, including one for a variable no function declares and an empty parameter value (SAM
# then takes the default).
CASES = [
    ({}, {}, None),
    (
        {
            "JwtAlgorithm": "HS256", "JwtSecretId": "sessions/jwt", "JwtIssuer": "https://issuer",
            "JwtAudience": "sessions", "SessionPolicyJson": '{"default_tier":"pro"}',
            "GeoIpLayerArn": "arn:aws:lambda:us-east-1:123456789012:layer:geo:1",
            "AuthorizerRecordsActivity": "true", "AuthEventAccount": "111111111111",
            "LocalEndpoint": "http://127.0.0.1:4566", "MemorySize": "512", "LogLevel": "debug",
        },
        {},
        None,
    ),
    (
        {"LocalEndpoint": "http://127.0.0.1:4566", "LogLevel": ""},
        {
            "Parameters": {"SESSIONS_TABLE": "t", "AWS_ENDPOINT_URL_DYNAMODB": "", "UNDECLARED": "x"},
            "AuthorizerFunction": {"JWT_ALGORITHM": "HS256", "JWT_SECRET": "s" * 32, "RUST_LOG": "trace"},
        },
        "eu-west-1",
    ),
]
# Shells: none of the template's variables; stand-in endpoints, credentials and a log level.
SHELLS = [
    {"PATH": os.environ.get("PATH", "")},
    {
        "PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2", "RUST_LOG": "debug",
    },
]


def sam_environment(template_path, logical_id, overrides, env_vars, region):
    stacks, _ = SamLocalStackProvider.get_stacks(
        template_path, parameter_overrides=overrides,
        global_parameter_overrides={"AWS::Region": region} if region else None)
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(local_runtime=None, function_provider=provider, cwd=".", real_path=".",
                               aws_profile=None, aws_region=region, env_vars_values=env_vars)
    return runner._make_env_vars(provider.get(logical_id)).resolve()


def main(template_path):
    template = sam_env.load_template(template_path)
    compared = differences = 0
    for shell in SHELLS:
        # SAM reads the shell (credentials, region, shadowing values) from os.environ.
        os.environ.clear()
        os.environ.update(shell, HOME="/nonexistent", SAM_CLI_TELEMETRY="0")
        for overrides, env_vars, region in CASES:
            for logical_id in sam_env.functions(template):
                theirs = sam_environment(template_path, logical_id, overrides, env_vars, region)
                ours = sam_env.function_config(template, logical_id, overrides, env_vars, dict(os.environ),
                                               region)["environment"]
                compared += 1
                if theirs != ours:
                    differences += 1
                    print(f"{logical_id} {overrides} {env_vars} {region}:")
                    for name in sorted(set(theirs) | set(ours)):
                        if theirs.get(name) != ours.get(name):
                            print(f"  {name}: SAM {theirs.get(name)!r}, sam_env {ours.get(name)!r}")
    print(f"sam_env_check: {compared} environments compared with SAM CLI's, {differences} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
