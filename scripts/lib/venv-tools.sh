# shellcheck shell=bash
# Python-packaged tools for the deployment side, each in a git-ignored virtualenv under the
# repository root. Source this file, then call:
#
#   lint_template [template]   cfn-lint on template.yaml (default); fails on any finding
#   ensure_cargo_lambda        cargo-lambda (+ zig) in .venv-lambda, put first on PATH
#   sam_validate [template]    `sam validate --lint` with aws-sam-cli from .venv-sam (optional)
#   ensure_schemathesis        schemathesis in .venv-schemathesis; prints the path of `st`
#                              (scripts/lib/schemathesis.sh runs it against session-local)
#   ensure_lambda_rie          AWS's Lambda Runtime Interface Emulator from the aws-sam-cli wheel,
#                              in .cache/lambda-rie-<version>/; prints that folder (scripts/invoke)
#   sam_env_check [template]   scripts/invoke's reading of the template against SAM CLI's own, for
#                              every function (aws-sam-cli in .venv-sam; optional)
#
# cfn-lint lives in the AWS stand-ins' virtualenv (.venv, created by scripts/lib/standins.sh):
# moto[server] already depends on it, so this only makes sure the pinned version is the one
# installed there. cargo-lambda, aws-sam-cli and schemathesis get virtualenvs of their own
# (.venv-lambda, .venv-sam, .venv-schemathesis): their dependency pins must not move moto's. Each
# of those holds a `.gitignore` of `*`, so git ignores it without an entry in the repository's
# .gitignore. Needs only python3 and PyPI.

VENV_TOOLS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_TOOLS_CARGO_LAMBDA_VERSION="${VENV_TOOLS_CARGO_LAMBDA_VERSION:-1.9.2}"
# moto pulls in whatever cfn-lint is newest when it is installed; the lint is pinned so a new
# release's new rules cannot fail an unchanged template. Bump deliberately.
VENV_TOOLS_CFN_LINT_VERSION="${VENV_TOOLS_CFN_LINT_VERSION:-1.58.0}"
VENV_TOOLS_SAM_VERSION="${VENV_TOOLS_SAM_VERSION:-1.170.0}"
# The aws-sam-cli wheel the RIE is taken from: the same release as `sam validate`, checked
# against this hash. Bump both together.
VENV_TOOLS_SAM_WHEEL_SHA256="${VENV_TOOLS_SAM_WHEEL_SHA256:-24ebaf5ecba38dc1758089968cb89ab61e124b84e92a344fc7a2771a47f4d0bf}"
# New schemathesis releases add checks and generation strategies; pinned so an unchanged API
# cannot start failing. Bump deliberately (and run scripts/lib/schemathesis.sh).
VENV_TOOLS_SCHEMATHESIS_VERSION="${VENV_TOOLS_SCHEMATHESIS_VERSION:-4.32.5}"

_venv_tools_say() { printf 'venv-tools: %s\n' "$*" >&2; }

# Creates the virtualenv `dir` if needed and makes git ignore it.
_venv_tools_create() {
  local dir="$1"
  if [[ ! -x "$dir/bin/python" ]]; then
    python3 -m venv "$dir" || { _venv_tools_say "error: python3 -m venv $dir failed"; return 1; }
  fi
  [[ -f "$dir/.gitignore" ]] || printf '*\n' >"$dir/.gitignore"
}

# Installs `spec` into the virtualenv `dir` once; a marker written last makes an interrupted
# install start over.
_venv_tools_install() {
  local dir="$1" spec="$2"
  local marker="$dir/.installed-${spec//[^A-Za-z0-9._-]/_}"
  [[ -f "$marker" ]] && return 0
  _venv_tools_create "$dir" || return 1
  _venv_tools_say "installing $spec into ${dir#"$VENV_TOOLS_ROOT"/}"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$spec" ||
    { _venv_tools_say "error: pip install $spec failed"; return 1; }
  touch "$marker"
}

# cfn-lint, from the stand-ins' virtualenv (.venv), at the pinned version. Prints the path of the
# executable.
ensure_cfn_lint() {
  local venv="$VENV_TOOLS_ROOT/.venv"
  local cfn_lint="$venv/bin/cfn-lint"
  if [[ ! -x "$cfn_lint" ]]; then
    # shellcheck source=standins.sh
    source "$VENV_TOOLS_ROOT/scripts/lib/standins.sh"
    standins_install_moto >&2 || return 1
  fi
  if [[ "$("$cfn_lint" --version 2>/dev/null)" != "cfn-lint $VENV_TOOLS_CFN_LINT_VERSION" ]]; then
    # Next to moto, which accepts any cfn-lint >= 0.40. Checked by version rather than by a
    # marker: reinstalling moto may move cfn-lint again.
    _venv_tools_say "installing cfn-lint==$VENV_TOOLS_CFN_LINT_VERSION into .venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "cfn-lint==$VENV_TOOLS_CFN_LINT_VERSION" >&2 ||
      { _venv_tools_say "error: pip install cfn-lint failed"; return 1; }
  fi
  printf '%s\n' "$cfn_lint"
}

# Lints the SAM template with cfn-lint (SAM resources are checked against the SAM schemas, the rest
# against CloudFormation's; cfn-lint does not run the transform itself). Any error, warning or
# informational finding fails: the template is kept at zero findings, and a rule that must be
# waived is waived on its resource with a reason (Metadata: cfn-lint: config: ignore_checks).
lint_template() {
  local template="${1:-$VENV_TOOLS_ROOT/template.yaml}"
  local cfn_lint
  cfn_lint="$(ensure_cfn_lint)" || return 1
  # Informational findings (I...) count too.
  if "$cfn_lint" --format parseable --include-checks I -- "$template"; then
    _venv_tools_say "cfn-lint $VENV_TOOLS_CFN_LINT_VERSION: ${template#"$VENV_TOOLS_ROOT"/} clean"
  else
    _venv_tools_say "error: cfn-lint found problems in ${template#"$VENV_TOOLS_ROOT"/} (above)"
    return 1
  fi
}

# cargo-lambda (which brings zig for cross-linking) in .venv-lambda, first on PATH so that
# `cargo lambda ...` (and `sam build`) find it.
ensure_cargo_lambda() {
  local venv="$VENV_TOOLS_ROOT/.venv-lambda"
  _venv_tools_install "$venv" "cargo-lambda==$VENV_TOOLS_CARGO_LAMBDA_VERSION" || return 1
  case ":$PATH:" in
    *":$venv/bin:"*) ;;
    *) export PATH="$venv/bin:$PATH" ;;
  esac
}

# `sam validate --lint` with aws-sam-cli in .venv-sam (SAM's own transform checks, then cfn-lint).
# Installing it takes a minute the first time (~90 packages); validation needs no AWS account.
# Optional, not part of scripts/test.
sam_validate() {
  local template="${1:-$VENV_TOOLS_ROOT/template.yaml}"
  local venv="$VENV_TOOLS_ROOT/.venv-sam"
  _venv_tools_install "$venv" "aws-sam-cli==$VENV_TOOLS_SAM_VERSION" || return 1
  # Validation is offline; a region is still required by the CLI.
  AWS_REGION="${AWS_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0 \
    "$venv/bin/sam" validate --lint --template-file "$template"
}

# Compares the environment scripts/invoke gives each function (scripts/lib/sam_env.py) with the
# one SAM CLI's own code computes for `sam local invoke`, under several parameter sets, --env-vars
# files and shells. Optional, not part of scripts/test: run it after bumping the SAM version.
sam_env_check() {
  local template="${1:-$VENV_TOOLS_ROOT/template.yaml}"
  local venv="$VENV_TOOLS_ROOT/.venv-sam"
  _venv_tools_install "$venv" "aws-sam-cli==$VENV_TOOLS_SAM_VERSION" || return 1
  "$venv/bin/python" "$VENV_TOOLS_ROOT/scripts/lib/sam_env_check.py" "$template"
}

# schemathesis (property-based testing of the API against its OpenAPI document) in
# .venv-schemathesis. Prints the path of its `st` executable.
ensure_schemathesis() {
  local venv="$VENV_TOOLS_ROOT/.venv-schemathesis"
  _venv_tools_install "$venv" "schemathesis==$VENV_TOOLS_SCHEMATHESIS_VERSION" >&2 || return 1
  printf '%s\n' "$venv/bin/st"
}

# AWS's Lambda Runtime Interface Emulator: the program `sam local invoke` runs inside its container
# to serve the Lambda Runtime API to a function's bootstrap. AWS ships it in the aws-sam-cli wheel
# (samcli/local/rapid/aws-lambda-rie-x86_64 and -arm64, static binaries): the wheel is downloaded
# once without its dependencies (pinned version and hash, pip of the stand-ins' .venv), the two
# binaries are kept in .cache/lambda-rie-<version>/ and the wheel is dropped. Prints that folder.
ensure_lambda_rie() {
  local dir="$VENV_TOOLS_ROOT/.cache/lambda-rie-$VENV_TOOLS_SAM_VERSION"
  local marker="$dir/.installed"
  if [[ ! -f "$marker" ]]; then
    if [[ ! -x "$VENV_TOOLS_ROOT/.venv/bin/pip" ]]; then
      # shellcheck source=standins.sh
      source "$VENV_TOOLS_ROOT/scripts/lib/standins.sh"
      standins_install_moto >&2 || return 1
    fi
    _venv_tools_say "installing the Lambda RIE from aws-sam-cli==$VENV_TOOLS_SAM_VERSION into ${dir#"$VENV_TOOLS_ROOT"/}"
    rm -rf "$dir" && mkdir -p "$dir/wheel" || return 1
    printf 'aws-sam-cli==%s --hash=sha256:%s\n' "$VENV_TOOLS_SAM_VERSION" "$VENV_TOOLS_SAM_WHEEL_SHA256" \
      >"$dir/wheel/requirements.txt"
    "$VENV_TOOLS_ROOT/.venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
      --require-hashes -r "$dir/wheel/requirements.txt" -d "$dir/wheel" >&2 ||
      { _venv_tools_say "error: pip download aws-sam-cli failed"; return 1; }
    "$VENV_TOOLS_ROOT/.venv/bin/python" - "$dir" <<'PY' || { _venv_tools_say "error: no RIE in the wheel"; return 1; }
import glob, os, sys, zipfile
folder = sys.argv[1]
(wheel,) = glob.glob(os.path.join(folder, "wheel", "aws_sam_cli-*.whl"))
with zipfile.ZipFile(wheel) as z:
    for arch in ("x86_64", "arm64"):
        target = os.path.join(folder, f"aws-lambda-rie-{arch}")
        with z.open(f"samcli/local/rapid/aws-lambda-rie-{arch}") as src, open(target, "wb") as dst:
            dst.write(src.read())
        os.chmod(target, 0o755)
PY
    rm -rf "$dir/wheel"
    touch "$marker"
  fi
  printf '%s\n' "$dir"
}
