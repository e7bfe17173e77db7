#!/usr/bin/env bash
# schemathesis against session-local: property-based tests of every route of the API, driven by
# its own OpenAPI document (/openapi.json), over real HTTP. Run it (`scripts/lib/schemathesis.sh`);
# scripts/test does, after the other tests. Exits non-zero when schemathesis reports a failure.
#
# It builds session-local and starts it on a free loopback port over the embedded store, seeds it
# (users, sessions, one revoked, a pagination cursor), runs `st run` with every check, a fixed seed
# and a bounded number of examples, and stops the server on exit, on success or failure.
#
# Credentials: user routes take a bearer JWT whose session must be active. Several operations end
# sessions (sign out, sign out everywhere else, a lowered limit, evictions at login), so one token
# would die early in the run; instead every test case of a user route signs in afresh (a new session
# of ST_USER and a token from `session-local token`), through the auth hook below. Internal routes
# need no credential on session-local: they are IAM-authorised by API Gateway in AWS and open on
# the local server (README, "Routes"), so nothing is sent for them.
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 100), SCHEMATHESIS_SEED (default 20261122),
# SCHEMATHESIS_READY_TIMEOUT (seconds to wait for the server, default 90). Output (server log,
# events, generated config and hooks, JUnit report) goes to target/schemathesis/.
set -euo pipefail

ST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ST_MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
ST_SEED="${SCHEMATHESIS_SEED:-20261122}"
ST_READY_TIMEOUT="${SCHEMATHESIS_READY_TIMEOUT:-90}"
ST_WORK="${CARGO_TARGET_DIR:-$ST_ROOT/target}/schemathesis"
# The user the user routes run as (unlimited tier, so fresh sign-ins never evict each other), and
# the user whose seeded sessions feed path parameters.
ST_USER="st-user"
ST_SEED_USER="st-seed"
# The tiers of the policy the server runs with (the built-in default): the only valid values of
# `tier`, which the document cannot enumerate since deployments configure their own.
ST_TIERS=(basic essential plus premium pro)

ST_SERVER_PID=""

say() { printf 'schemathesis: %s\n' "$*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

# shellcheck disable=SC2317 # called by the EXIT trap
stop_server() {
  if [[ -n "$ST_SERVER_PID" ]] && kill -0 "$ST_SERVER_PID" 2>/dev/null; then
    kill "$ST_SERVER_PID" 2>/dev/null || true
    wait "$ST_SERVER_PID" 2>/dev/null || true
  fi
  ST_SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ST_ROOT"
# shellcheck source=venv-tools.sh
source scripts/lib/venv-tools.sh
ST_BIN="$(ensure_schemathesis)" || fail "could not install schemathesis"

say "building session-local"
cargo build --locked --quiet -p session-local --bin session-local
SERVER_BIN="${CARGO_TARGET_DIR:-$ST_ROOT/target}/debug/session-local"
[[ -x "$SERVER_BIN" ]] || fail "no executable at $SERVER_BIN"

rm -rf "$ST_WORK" && mkdir -p "$ST_WORK"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
# A secret of our own rather than the printed development default; exported for `token` too.
SESSION_LOCAL_JWT_SECRET="schemathesis-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export SESSION_LOCAL_JWT_SECRET
# Warnings and errors only (a 500 is logged as an error); events to a file, not the terminal.
RUST_LOG=warn "$SERVER_BIN" --listen "127.0.0.1:$PORT" --store memory \
  --events-file "$ST_WORK/events.jsonl" >"$ST_WORK/server.log" 2>&1 </dev/null &
ST_SERVER_PID=$!

deadline=$((SECONDS + ST_READY_TIMEOUT))
until curl -sf -o /dev/null --max-time 2 "$BASE/openapi.json"; do
  if ! kill -0 "$ST_SERVER_PID" 2>/dev/null; then
    tail -n 30 "$ST_WORK/server.log" >&2
    fail "session-local exited before answering on $BASE"
  fi
  ((SECONDS < deadline)) || fail "session-local did not answer on $BASE within ${ST_READY_TIMEOUT}s"
  sleep 0.1
done
say "session-local on $BASE (log: ${ST_WORK#"$ST_ROOT"/}/server.log)"

# One JSON call to the server; prints the body, fails on an unexpected status.
call() {
  local method="$1" path="$2" expect="$3" body="${4:-}"
  shift 4
  local out status
  out="$(mktemp)"
  status="$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$BASE$path" \
    -H 'content-type: application/json' ${body:+--data "$body"} "$@")"
  if [[ "$status" != "$expect" ]]; then
    cat "$out" >&2
    rm -f "$out"
    fail "$method $path answered $status, expected $expect"
  fi
  cat "$out"
  rm -f "$out"
}
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]] or "")' "$1"; }

say "seeding users and sessions"
call PUT "/internal/users/$ST_USER/session-policy" 200 '{"tier":"pro"}' >/dev/null
call PUT "/internal/users/$ST_SEED_USER/session-policy" 200 '{"tier":"pro"}' >/dev/null
seeded=()
for agent in \
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36' \
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1' \
  'curl/8.5.0'; do
  id="$(call POST /internal/sessions 201 \
    "{\"user_id\":\"$ST_SEED_USER\",\"ip_address\":\"203.0.113.7\",\"user_agent\":\"$agent\"}" |
    json_field session_id)"
  seeded+=("$id")
done
# A user token for the newest seeded session (as `session-local token` mints them for curl).
seed_token="$("$SERVER_BIN" token --user "$ST_SEED_USER" --session "${seeded[2]}")"
auth=(-H "authorization: Bearer $seed_token")
# The oldest is signed out, so validity, activity and the like also meet a revoked session.
call DELETE "/sessions/${seeded[0]}?reason=manual" 204 "" "${auth[@]}" >/dev/null
call POST "/internal/sessions/${seeded[1]}/provider-access" 204 '{"provider_name":"plaid"}' >/dev/null
call PUT "/internal/sessions/${seeded[1]}/refresh-token" 204 '{"refresh_token_id":"rt_seed_1"}' >/dev/null
# A real cursor (a page of one): cursors are opaque, so only issued ones are valid input.
cursor="$(call GET '/sessions?active_only=false&limit=1' 200 "" "${auth[@]}" | json_field next_cursor)"
[[ -n "$cursor" ]] || fail "listing one of three sessions returned no next_cursor"

toml_list() {
  local out="" item
  for item in "$@"; do out+="${out:+, }\"$item\""; done
  printf '[%s]' "$out"
}
# Timestamps a login may ask for: in the future and within the 30-day session lifetime.
expiries="$(python3 -c '
from datetime import datetime, timedelta, timezone
now = datetime.now(timezone.utc).replace(microsecond=0)
print(" ".join((now + timedelta(hours=h)).isoformat().replace("+00:00", "Z") for h in (1, 24, 24 * 29)))
')"
# Trust expiries the trust route accepts: in the future and within 90 days.
trust_expiries="$(python3 -c '
from datetime import datetime, timedelta, timezone
now = datetime.now(timezone.utc).replace(microsecond=0)
print(" ".join((now + timedelta(days=d)).isoformat().replace("+00:00", "Z") for d in (1, 30, 89)))
')"
# shellcheck disable=SC2086 # word splitting of the timestamps is intended
cat >"$ST_WORK/schemathesis.toml" <<EOF
# Written by scripts/lib/schemathesis.sh; see the comments there.

# Every check is on (the default). Exceptions, each with its reason, are per operation below.

# Values that are valid only because the running server issued or configured them. Bound with
# probability 1 they replace what positive generation would draw for the field (negative
# generation still sends invalid values); random ids still come from the document otherwise.
[dictionaries.seeded_session_ids]
values = $(toml_list "${seeded[@]}")

[dictionaries.tiers]
values = $(toml_list "${ST_TIERS[@]}")

[dictionaries.cursors]
values = $(toml_list "" "$cursor")

[dictionaries.expiries]
values = $(toml_list $expiries)

[dictionaries.trust_expiries]
values = $(toml_list $trust_expiries)

# Existing sessions, half the time, so routes on a session reach more than 404 / not_found.
[[operations]]
include-path-regex = "\\\\{id\\\\}"
parameters = { "path.id" = { dictionary = "seeded_session_ids", probability = 0.5 } }

# \`cursor\` is opaque: only a cursor the service issued (or an empty one) is valid.
[[operations]]
include-operation-id = "list_sessions"
parameters = { "query.cursor" = { dictionary = "cursors", probability = 1.0 } }

# \`tier\` must name a tier of the running policy (configuration, so not in the document).
[[operations]]
include-operation-id = "set_session_policy"
parameters = { "body.tier" = { dictionary = "tiers", probability = 1.0 } }

# \`expires_at\` must be in the future and within the session lifetime: a constraint relative to
# the clock, which no schema can state.
[[operations]]
include-operation-id = "create_session"
parameters = { "body.expires_at" = { dictionary = "expiries", probability = 1.0 } }

# \`trusted_until\` likewise: in the future and at most 90 days ahead.
[[operations]]
include-path-regex = "/trust\$"
parameters = { "body.trusted_until" = { dictionary = "trust_expiries", probability = 1.0 } }

# Internal routes are IAM-authorised by API Gateway in AWS (security scheme \`sigv4\`, a signed
# Authorization header); the service itself does not check credentials and session-local serves
# them open by design. So the signature is neither generated nor left out on purpose here, and
# "accepts requests without authentication" is a property of the deployment, not of this server.
[[operations]]
include-tag = "internal"
generation.with-security-parameters = false
checks.ignored_auth.enabled = false

# Admin routes likewise (IAM, the \`admin\` role, in AWS; open on session-local, README "Routes").
[[operations]]
include-tag = "admin"
generation.with-security-parameters = false
checks.ignored_auth.enabled = false

# Revoking a session (DELETE) keeps it readable: GET /sessions/{id} answers "whatever its
# status", with \`status: revoked\` (documented), so "deleted resource still available" does not
# apply. The revocation itself is checked through that status by the API tests.
[[operations]]
include-operation-id = "get_session"
checks.use_after_free.enabled = false
EOF

cat >"$ST_WORK/session_local_hooks.py" <<'EOF'
"""schemathesis hooks for session-local, written by scripts/lib/schemathesis.sh."""

import json
import os
import subprocess
import urllib.request

import schemathesis

BASE_URL = os.environ["ST_SESSION_BASE_URL"]
DROPPED_LOG = os.environ["ST_SESSION_DROPPED_LOG"]
SERVER_BIN = os.environ["ST_SESSION_BIN"]
USER = os.environ["ST_SESSION_USER"]


def _create_session() -> str:
    body = json.dumps(
        {"user_id": USER, "ip_address": "192.0.2.10", "user_agent": "schemathesis"}
    ).encode()
    request = urllib.request.Request(
        f"{BASE_URL}/internal/sessions",
        data=body,
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["session_id"]


@schemathesis.auth(refresh_interval=None).apply_to(tag_regex="^(sessions|devices)$")
class FreshSignIn:
    """A new session and token for every test case of a user route.

    Test cases sign sessions out (their own included), so a shared token would soon be refused and
    every later case would test only the 401 path. The session belongs to USER, on an unlimited
    tier; schemathesis may still lower that user's limit, which revokes the oldest sessions, never
    the one just created.
    """

    def get(self, case, context):
        session_id = _create_session()
        minted = subprocess.run(
            [SERVER_BIN, "token", "--user", USER, "--session", session_id],
            check=True,
            capture_output=True,
            text=True,
        )
        return minted.stdout.strip()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


_DOCUMENT = None


def _document() -> dict:
    global _DOCUMENT
    if _DOCUMENT is None:
        with urllib.request.urlopen(f"{BASE_URL}/openapi.json", timeout=30) as response:
            _DOCUMENT = json.load(response)
    return _DOCUMENT


def _closed_body_properties(case):
    """The properties of the operation's JSON body when it admits no others, else None."""
    operation = _document()["paths"].get(case.operation.path, {}).get(case.method.lower(), {})
    schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        schema = _document()["components"]["schemas"][reference.rsplit("/", 1)[1]]
    if schema.get("additionalProperties") is not False:
        return None
    return set(schema.get("properties", {}))


def _drop(failure, case, reason: str) -> bool:
    with open(DROPPED_LOG, "a", encoding="utf-8") as log:
        log.write(f"{failure.code} {case.operation.label}: {reason}\n")
    return False


def _problem(response) -> dict:
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _only_field_errors(problem: dict, fields: set) -> bool:
    errors = problem.get("errors") or []
    return (
        problem.get("code") == "validation_failed"
        and bool(errors)
        and all(error.get("field") in fields for error in errors)
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Drops the failures listed here, and only those; each one says why. Schemathesis counts them
    as "dropped by filter_failure" in its summary."""
    operation = case.operation.label
    problem = _problem(response)
    if failure.code == "ST202" and isinstance(case.body, dict):
        # Not valid data after all: a body property the document does not have, where it admits
        # none (`additionalProperties: false`). Schemathesis's error feedback adds them when a
        # problem's `errors[].field` names something else than a body field (the Idempotency-Key
        # header of create_session); the service is right to refuse them.
        allowed = _closed_body_properties(case)
        if allowed is not None and not set(case.body) <= allowed:
            return _drop(failure, case, "body property the document does not have")
    if failure.code == "ST202" and operation in (
        "GET /sessions",
        "GET /admin/users/{user_id}/sessions",
    ):
        # Cursors are opaque: only one the service issued is valid. The coverage phase draws
        # strings of the documented shape that no server issued (the other phases draw from
        # the dictionary of issued cursors).
        if problem.get("code") == "invalid_cursor":
            return _drop(failure, case, "cursor not issued by the service")
    if failure.code == "ST202" and operation == "PUT /internal/users/{user_id}/session-policy":
        # `tier` must name a tier of the running policy: configuration, not schema. The coverage
        # phase draws names of the documented shape (the other phases draw from the dictionary
        # of the server's tiers).
        errors = problem.get("errors") or []
        if _only_field_errors(problem, {"tier"}) and all(
            str(error.get("message", "")).startswith("unknown tier") for error in errors
        ):
            return _drop(failure, case, "tier not in the server's policy")
    if failure.code == "ST202" and operation == "POST /internal/sessions":
        # `expires_at` must be in the future and within the session lifetime: relative to the
        # clock, so no schema can say it (the coverage phase sends fixed past dates).
        if _only_field_errors(problem, {"expires_at"}):
            return _drop(failure, case, "expires_at outside the session lifetime")
        # `device_name` names the login's device, so it comes only with a `device_id`: a rule
        # across two fields, which the document states in words.
        if _only_field_errors(problem, {"device_name"}) and (
            not isinstance(case.body, dict) or case.body.get("device_id") is None
        ):
            return _drop(failure, case, "device_name without a device_id")
        # A key first used with another body is refused by design (422 idempotency_key_reused):
        # the answer depends on an earlier request, not on this one's shape, and schemathesis
        # reuses header values across cases.
        if problem.get("code") == "idempotency_key_reused":
            return _drop(failure, case, "Idempotency-Key reused with another body")
    if failure.code == "ST202" and operation == "PUT /internal/users/{user_id}/devices/{device_id}/trust":
        # `trusted_until` must be in the future and at most 90 days ahead: relative to the
        # clock, so no schema can say it (the coverage phase sends fixed past dates).
        if _only_field_errors(problem, {"trusted_until"}):
            return _drop(failure, case, "trusted_until not within the next 90 days")
    return True
EOF

say "schemathesis $VENV_TOOLS_SCHEMATHESIS_VERSION: $ST_MAX_EXAMPLES examples per operation, seed $ST_SEED"
started=$SECONDS
status=0
# No example database: every run starts from the seed alone. Run from the work folder, where
# schemathesis keeps what `st replay <id>` needs (.schemathesis/), not in the source tree.
(cd "$ST_WORK" && ST_SESSION_BASE_URL="$BASE" ST_SESSION_BIN="$SERVER_BIN" ST_SESSION_USER="$ST_USER" \
  ST_SESSION_DROPPED_LOG="$ST_WORK/dropped.log" \
  PYTHONPATH="$ST_WORK" SCHEMATHESIS_HOOKS=session_local_hooks \
  "$ST_BIN" --config-file "$ST_WORK/schemathesis.toml" run "$BASE/openapi.json" \
  --max-examples "$ST_MAX_EXAMPLES" \
  --seed "$ST_SEED" \
  --workers 1 \
  --generation-database none \
  --request-timeout 30 \
  --report junit --report-dir "$ST_WORK/report") ||
  status=$?
say "finished in $((SECONDS - started))s"
if [[ -s "$ST_WORK/dropped.log" ]]; then
  say "failures dropped by the waivers of the filter_failure hook (${ST_WORK#"$ST_ROOT"/}/session_local_hooks.py):"
  sort "$ST_WORK/dropped.log" | uniq -c | sort -rn >&2
fi
if grep -q '"level":"ERROR"' "$ST_WORK/server.log"; then
  say "error: session-local logged errors (${ST_WORK#"$ST_ROOT"/}/server.log):"
  grep '"level":"ERROR"' "$ST_WORK/server.log" | tail -n 20 >&2
  status=1
fi
exit "$status"
