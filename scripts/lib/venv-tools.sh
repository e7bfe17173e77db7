# shellcheck shell=bash
# Python-packaged tools for the deployment side, each in a git-ignored virtualenv under the
# repository root. Source this file, then call:
#
#   lint_template [template]   cfn-lint on template.yaml (default); fails on any finding
#   ensure_cargo_lambda        cargo-lambda (+ zig) in .venv-lambda, put first on PATH
#   sam_validate [template]    `sam validate --lint` with aws-sam-cli from .venv-sam (optional)
#
# cfn-lint is not installed separately: moto[server], which scripts/lib/standins.sh installs into
# .venv for the AWS stand-ins, depends on it, so the two share that virtualenv and its pins.
# cargo-lambda and aws-sam-cli get virtualenvs of their own (.venv-lambda, .venv-sam): their
# dependency pins must not move moto's. Each of those holds a `.gitignore` of `*`, so git
# ignores it without an entry in the repository's .gitignore. Needs only python3 and PyPI.

VENV_TOOLS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_TOOLS_CARGO_LAMBDA_VERSION="${VENV_TOOLS_CARGO_LAMBDA_VERSION:-1.9.2}"
VENV_TOOLS_SAM_VERSION="${VENV_TOOLS_SAM_VERSION:-}"

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

# cfn-lint, from the stand-ins' virtualenv (.venv). Prints the path of the executable.
ensure_cfn_lint() {
  local venv="$VENV_TOOLS_ROOT/.venv"
  if [[ ! -x "$venv/bin/cfn-lint" ]]; then
    # shellcheck source=standins.sh
    source "$VENV_TOOLS_ROOT/scripts/lib/standins.sh"
    standins_install_moto || return 1
  fi
  if [[ ! -x "$venv/bin/cfn-lint" ]]; then
    # moto stopped depending on it: install it next to moto, letting pip keep moto's pins.
    _venv_tools_install "$venv" cfn-lint || return 1
  fi
  printf '%s\n' "$venv/bin/cfn-lint"
}

# Lints the SAM template with cfn-lint (SAM resources are checked against the SAM schemas, the rest
# against CloudFormation's; cfn-lint does not run the transform itself). Any error, warning or
# informational finding fails: the template is kept at zero findings, and a rule that must be
# waived is waived on its resource with a reason (Metadata: cfn-lint: config: ignore_checks).
lint_template() {
  local template="${1:-$VENV_TOOLS_ROOT/template.yaml}"
  local cfn_lint
  cfn_lint="$(ensure_cfn_lint)" || return 1
  _venv_tools_say "$("$cfn_lint" --version) ${template#"$VENV_TOOLS_ROOT"/}"
  "$cfn_lint" --format parseable -- "$template"
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

# `sam validate --lint` with aws-sam-cli in .venv-sam. Slow to install the first time (~150
# packages) and needs no AWS account for validation; optional, not part of scripts/test.
sam_validate() {
  local template="${1:-$VENV_TOOLS_ROOT/template.yaml}"
  local venv="$VENV_TOOLS_ROOT/.venv-sam"
  local spec="aws-sam-cli${VENV_TOOLS_SAM_VERSION:+==$VENV_TOOLS_SAM_VERSION}"
  _venv_tools_install "$venv" "$spec" || return 1
  # Validation is offline; a region is still required by the CLI.
  AWS_REGION="${AWS_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0 \
    "$venv/bin/sam" validate --lint --template-file "$template"
}
