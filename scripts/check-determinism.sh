#!/usr/bin/env bash
# Determinism: report.json must be byte-identical for --threads 1 and --threads 2, and across two runs, apart from
# the wall-clock `seconds` fields and run.threads.
# Usage: scripts/check-determinism.sh VERIFY_BINARY CASE_FILE...   (run from the repository root)
set -uo pipefail
verify=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
normalise() {
  if command -v jq >/dev/null; then
    jq -S 'walk(if type == "object" then del(.seconds) else . end) | del(.run.threads)' "$1"
  else  # report.json has one check per line
    sed -E 's/"seconds":[-+.0-9eE]+//g; s/"threads":[0-9]+//' "$1"
  fi
}
for run in "t1:1" "t2:2" "t2again:2"; do
  name=${run%%:*}; threads=${run##*:}
  "$verify" run "$@" --out "$tmp/$name" --threads "$threads" --no-plots >"$tmp/$name.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: run with --threads $threads exited $rc"; tail -5 "$tmp/$name.log"; exit 1; }
  [ -s "$tmp/$name/report.json" ] || { echo "FAIL: no report.json from --threads $threads"; exit 1; }
  normalise "$tmp/$name/report.json" >"$tmp/$name.norm"
done
fail=0
cmp -s "$tmp/t1.norm" "$tmp/t2.norm" || { echo "FAIL: report.json differs between --threads 1 and 2"; diff "$tmp/t1.norm" "$tmp/t2.norm" | head -20; fail=1; }
cmp -s "$tmp/t2.norm" "$tmp/t2again.norm" || { echo "FAIL: report.json differs between two runs"; diff "$tmp/t2.norm" "$tmp/t2again.norm" | head -20; fail=1; }
[ $fail -eq 0 ] && echo "ok: report.json identical for --threads 1/2 and across runs ($(wc -c <"$tmp/t1/report.json") bytes, $# case files)"
exit $fail
