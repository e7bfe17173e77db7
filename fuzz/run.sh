#!/usr/bin/env bash
# Runs fuzz targets one at a time on stable Rust (cargo fuzz, no sanitizer), each for SECONDS
# (default 600), with its seeds and dictionary. New inputs go to fuzz/corpus-grown/<target>
# (git-ignored); the committed seeds in fuzz/corpus/<target> are only read. Crashes land in
# fuzz/artifacts/<target>/. Logs: fuzz/logs/<target>.log (git-ignored).
#
#   fuzz/run.sh                      # every target, 10 minutes each
#   SECONDS_PER_TARGET=60 fuzz/run.sh cursor_decode jwt_claims
#   EXTRA_CORPUS_ROOT=/elsewhere/fuzz/corpus-grown fuzz/run.sh   # also start from <root>/<target>
#
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SECONDS_PER_TARGET:-600}
all=(api_request jwt_claims cursor_decode eventbridge_event stream_record user_agent client_ip)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")

nice -n 15 cargo fuzz build -s none
mkdir -p fuzz/logs
status=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus-grown/$target"
  extra=()
  [[ -n ${EXTRA_CORPUS_ROOT:-} && -d $EXTRA_CORPUS_ROOT/$target ]] && extra=("$EXTRA_CORPUS_ROOT/$target")
  dict=()
  [[ -f fuzz/dict/$target.dict ]] && dict=("-dict=fuzz/dict/$target.dict")
  echo "== $target: ${seconds}s" >&2
  if ! nice -n 15 cargo fuzz run -s none "$target" "fuzz/corpus-grown/$target" "${extra[@]}" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=30 -print_final_stats=1 "${dict[@]}" \
      >"fuzz/logs/$target.log" 2>&1; then
    echo "== $target: FAILED, see fuzz/logs/$target.log and fuzz/artifacts/$target/" >&2
    status=1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::' "fuzz/logs/$target.log" >&2 || tail -20 "fuzz/logs/$target.log" >&2
done
exit $status
