#!/usr/bin/env bash
# Sums up the event-contract checks of a test run (tests/src/event_contracts/validate.rs appends
# `<kind>\t<detail type>` per check to the file scripts/test names in SESSION_TESTS_EVENT_TALLY):
# how many emitted events were validated, of which EventBridge deliveries, per detail type, and
# which published detail types no test emitted. Fails when nothing was checked at all, which would
# mean the checks are no longer wired in.
set -euo pipefail
cd "$(dirname "$0")/../.."

tally="${1:?usage: event-tally.sh <tally file>}"
[[ -f "$tally" ]] || { echo "event contracts: no tally file $tally" >&2; exit 1; }
total=$(wc -l <"$tally")
if [[ "$total" -eq 0 ]]; then
  echo "event contracts: no emitted event was checked against its schema: the checks are not wired in" >&2
  exit 1
fi
deliveries=$(grep -c '^envelope' "$tally" || true)
printf 'event contracts: %d emitted events validated against their schemas (%d of them EventBridge deliveries, envelope and detail)\n' \
  "$total" "$deliveries"
cut -f2 "$tally" | sort | uniq -c | sort -rn | awk '{ printf "  %6d  %s\n", $1, $2 }'
unseen=()
for file in schemas/events/*.json; do
  name=$(basename "$file" .json)
  grep -q "	$name\$" "$tally" || unseen+=("$name")
done
if [[ ${#unseen[@]} -gt 0 ]]; then
  echo "event contracts: published but emitted by no test: ${unseen[*]}"
fi
