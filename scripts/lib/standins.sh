# shellcheck shell=bash
# The AWS stand-ins for tests and local runs: DynamoDB Local (DynamoDB + Streams, AWS's own
# emulator) and moto (EventBridge, SQS), started on free loopback ports and stopped on exit.
#
# Source this file, then call `standins_start`. It installs into git-ignored caches on first use
# and reuses them afterwards (.cache/ddblocal, .venv), starts both servers, waits until they
# answer, exports the standard AWS SDK variables pointing at them, and stops both when the
# sourcing shell exits, on success or failure. `scripts/standins` runs them for a developer.
#
# Needs only java (11+), python3 (3.9+), npm and curl: no Docker, registries only.

STANDINS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STANDINS_DDB_PACKAGE_VERSION="2.9.30"
STANDINS_MOTO_VERSION="5.2.5"
# Seconds to wait for a server to answer; DynamoDB Local needs ~3.5 s on an idle machine, far
# more while cargo saturates both cores.
STANDINS_READY_TIMEOUT="${STANDINS_READY_TIMEOUT:-90}"
STANDINS_LOG_DIR="${STANDINS_LOG_DIR:-$STANDINS_ROOT/target/standins}"

STANDINS_DDB_PID=""
STANDINS_MOTO_PID=""
STANDINS_WATCHDOG_PID=""

_standins_say() { printf 'standins: %s\n' "$*" >&2; }

_standins_fail() {
  _standins_say "error: $*"
  return 1
}

# Installs DynamoDB Local from the npm package that ships it. A marker written last makes an
# interrupted install start over instead of leaving a half-extracted jar that looks complete.
standins_install_ddblocal() {
  local dir="$STANDINS_ROOT/.cache/ddblocal"
  local marker="$dir/.installed-$STANDINS_DDB_PACKAGE_VERSION"
  [[ -f "$marker" ]] && return 0
  command -v npm >/dev/null || _standins_fail "npm is needed to fetch DynamoDB Local" || return 1
  _standins_say "installing DynamoDB Local (npm amplify-dynamodb-simulator@$STANDINS_DDB_PACKAGE_VERSION)"
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  local tgz="$dir/amplify-dynamodb-simulator-$STANDINS_DDB_PACKAGE_VERSION.tgz"
  npm pack "amplify-dynamodb-simulator@$STANDINS_DDB_PACKAGE_VERSION" \
    --pack-destination "$dir" --silent >/dev/null || _standins_fail "npm pack failed" || return 1
  tar xzf "$tgz" -C "$dir" package/emulator || _standins_fail "could not unpack $tgz" || return 1
  rm -f "$tgz"
  [[ -f "$dir/package/emulator/DynamoDBLocal.jar" ]] ||
    _standins_fail "the package holds no package/emulator/DynamoDBLocal.jar" || return 1
  touch "$marker"
}

# Installs moto's server in its own virtualenv (it pins versions nothing else should share).
standins_install_moto() {
  local venv="$STANDINS_ROOT/.venv"
  local marker="$venv/.installed-moto-$STANDINS_MOTO_VERSION"
  [[ -f "$marker" ]] && return 0
  _standins_say "installing moto[server]==$STANDINS_MOTO_VERSION into .venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" || _standins_fail "python3 -m venv failed" || return 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$STANDINS_MOTO_VERSION" ||
    _standins_fail "pip install moto failed" || return 1
  touch "$marker"
}

standins_install() {
  standins_install_ddblocal && standins_install_moto
}

# A port the kernel just handed out and released; a server started right after gets it unless
# something else grabbed it in between, which the readiness check then reports.
_standins_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls `url` until it answers, `pid` dies, or the timeout passes; on failure shows the log tail.
_standins_wait_ready() {
  local name="$1" url="$2" pid="$3" log="$4"
  local deadline=$((SECONDS + STANDINS_READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if curl -s -o /dev/null --max-time 2 "$url"; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      _standins_say "error: $name exited before answering on $url; last lines of $log:"
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  _standins_say "error: $name did not answer on $url within ${STANDINS_READY_TIMEOUT}s; last lines of $log:"
  tail -n 30 "$log" >&2
  return 1
}

_standins_start_ddblocal() {
  local emulator="$STANDINS_ROOT/.cache/ddblocal/package/emulator"
  local port log
  port="$(_standins_free_port)" || return 1
  log="$STANDINS_LOG_DIR/dynamodb-local.log"
  # java is started directly, not through a subshell, so $! is the JVM and killing it stops it.
  java -Djava.library.path="$emulator/DynamoDBLocal_lib" -jar "$emulator/DynamoDBLocal.jar" \
    -inMemory -sharedDb -disableTelemetry -port "$port" >"$log" 2>&1 </dev/null &
  STANDINS_DDB_PID=$!
  _standins_wait_ready "DynamoDB Local" "http://127.0.0.1:$port/" "$STANDINS_DDB_PID" "$log" || return 1
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$port"
}

_standins_start_moto() {
  local port log
  port="$(_standins_free_port)" || return 1
  log="$STANDINS_LOG_DIR/moto.log"
  "$STANDINS_ROOT/.venv/bin/python" "$STANDINS_ROOT/scripts/lib/moto_single_thread.py" \
    --host 127.0.0.1 --port "$port" >"$log" 2>&1 </dev/null &
  STANDINS_MOTO_PID=$!
  _standins_wait_ready "moto" "http://127.0.0.1:$port/moto-api/" "$STANDINS_MOTO_PID" "$log" || return 1
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
}

# Kills the servers if the shell that started them dies without running its EXIT trap
# (SIGKILL, a lost terminal), so no JVM outlives a test run. The watchdog notices by being
# orphaned (its parent pid changes at once, while the dead shell may linger as a zombie).
_standins_start_watchdog() {
  local parent=$BASHPID pids="$STANDINS_DDB_PID $STANDINS_MOTO_PID"
  (
    # Read outside the loop: inside $(...) BASHPID would be that substitution's own pid.
    me=$BASHPID
    while [[ "$(_standins_parent_of "$me")" == "$parent" ]]; do sleep 1; done
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null
  ) >/dev/null 2>&1 </dev/null &
  STANDINS_WATCHDOG_PID=$!
}

_standins_parent_of() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  # Fields after the command name, which is parenthesised and may hold spaces: state, ppid.
  local _state ppid _rest
  read -r _state ppid _rest <<<"${stat##*) }"
  printf '%s' "$ppid"
}

# Runs the EXIT trap that was set before ours, then ours.
_standins_chain_exit_trap() {
  local previous
  previous="$(trap -p EXIT)"
  STANDINS_PREVIOUS_EXIT_TRAP=""
  if [[ -n "$previous" ]]; then
    # `trap -p` prints a re-usable command: trap -- 'the command' EXIT.
    local -a words
    eval "words=($previous)"
    STANDINS_PREVIOUS_EXIT_TRAP="${words[2]}"
  fi
  trap '_standins_on_exit' EXIT
  # Without a handler, SIGTERM/SIGHUP end bash without running the EXIT trap.
  [[ -n "$(trap -p TERM)" ]] || trap 'exit 143' TERM
  [[ -n "$(trap -p HUP)" ]] || trap 'exit 129' HUP
}

_standins_on_exit() {
  local status=$?
  standins_stop
  if [[ -n "${STANDINS_PREVIOUS_EXIT_TRAP:-}" ]]; then
    eval "$STANDINS_PREVIOUS_EXIT_TRAP"
  fi
  return "$status"
}

_standins_stop_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

standins_stop() {
  _standins_stop_pid "$STANDINS_WATCHDOG_PID"
  _standins_stop_pid "$STANDINS_DDB_PID"
  _standins_stop_pid "$STANDINS_MOTO_PID"
  STANDINS_WATCHDOG_PID="" STANDINS_DDB_PID="" STANDINS_MOTO_PID=""
}

standins_start() {
  if [[ -n "$STANDINS_DDB_PID" ]] && kill -0 "$STANDINS_DDB_PID" 2>/dev/null; then
    return 0
  fi
  local tool
  for tool in java python3 curl; do
    command -v "$tool" >/dev/null || _standins_fail "$tool is needed to run the AWS stand-ins" || return 1
  done
  standins_install || return 1
  mkdir -p "$STANDINS_LOG_DIR" || return 1
  _standins_chain_exit_trap
  local started=$SECONDS
  _standins_start_ddblocal || { standins_stop; return 1; }
  _standins_start_moto || { standins_stop; return 1; }
  _standins_start_watchdog
  export AWS_ACCESS_KEY_ID=test
  export AWS_SECRET_ACCESS_KEY=test
  export AWS_REGION=us-east-1
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  _standins_say "DynamoDB Local on $AWS_ENDPOINT_URL_DYNAMODB (pid $STANDINS_DDB_PID)," \
    "moto on $AWS_ENDPOINT_URL (pid $STANDINS_MOTO_PID), ready in $((SECONDS - started))s;" \
    "logs in ${STANDINS_LOG_DIR#"$STANDINS_ROOT"/}"
}

# The variables standins_start exported, as `export` lines a developer can paste.
standins_print_env() {
  local name
  for name in AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_DYNAMODB_STREAMS \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
}
