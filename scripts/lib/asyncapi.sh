# shellcheck shell=bash
# The AsyncAPI document (schemas/asyncapi.yaml) linted with AsyncAPI's own parser from the npm
# registry: `@asyncapi/parser`, at the version and with the whole dependency tree pinned by
# scripts/lib/asyncapi/package-lock.json, installed once into the git-ignored
# .cache/asyncapi-lint/<lock hash>/ (`npm ci`, no install scripts). Needs node and npm.
#
# Source this file, then call `asyncapi_lint [document]` (default schemas/asyncapi.yaml); it fails
# on any error or warning of the parser (scripts/lib/asyncapi/lint.mjs says what it checks).

ASYNCAPI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

_asyncapi_say() { printf 'asyncapi: %s\n' "$*" >&2; }

# Installs the pinned linter; prints its folder. A marker written last makes an interrupted
# install start over; a changed lock file installs afresh into a folder of its own.
asyncapi_install() {
  local spec="$ASYNCAPI_ROOT/scripts/lib/asyncapi"
  local hash
  hash="$(cat "$spec/package.json" "$spec/package-lock.json" | sha256sum | cut -c1-16)"
  local dir="$ASYNCAPI_ROOT/.cache/asyncapi-lint/$hash"
  if [[ ! -f "$dir/.installed" ]]; then
    command -v npm >/dev/null || { _asyncapi_say "error: npm is needed to install the linter"; return 1; }
    _asyncapi_say "installing @asyncapi/parser (npm ci, pinned by scripts/lib/asyncapi/package-lock.json)"
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    cp "$spec/package.json" "$spec/package-lock.json" "$dir/" || return 1
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1) ||
      { tail -n 20 "$dir/npm.log" >&2; _asyncapi_say "error: npm ci failed (log: $dir/npm.log)"; return 1; }
    touch "$dir/.installed"
  fi
  printf '%s\n' "$dir"
}

asyncapi_lint() {
  local document="${1:-$ASYNCAPI_ROOT/schemas/asyncapi.yaml}"
  local dir
  dir="$(asyncapi_install)" || return 1
  # The script is run from the install folder's node_modules, so it finds the parser there.
  cp "$ASYNCAPI_ROOT/scripts/lib/asyncapi/lint.mjs" "$dir/lint.mjs" || return 1
  node "$dir/lint.mjs" "$document"
}
