#!/usr/bin/env bash
# Interruption safety of `verify run`: SIGINT (and SIGTERM) during a long run must stop it within a second with exit
# status 130, remove its temporary folder, and leave the previous report folder exactly as it was.
# Usage: scripts/check-interrupt.sh <verify binary>   (run from the repository root)
set -uo pipefail
cd "$(dirname "$0")/.."
verify=${1:?usage: check-interrupt.sh <verify binary>}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A long run: copies of a small self-contained case with the largest sample budget.
mkdir -p "$tmp/slow"
for i in 1 2 3 4 5 6; do
  sed -E 's/^samples = .*/samples = 100000000/' cases/gaussian_kl/kl_standard_normal.toml > "$tmp/slow/slow_$i.toml"
done
"$verify" run cases/gaussian_kl/kl_standard_normal.toml --out "$tmp/out" --threads 2 > /dev/null 2>&1 \
  || { echo "FAIL: the first (good) run failed"; exit 1; }
snapshot() { (cd "$tmp/out" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot > "$tmp/before.txt"
fail=0
# SIGINT and SIGTERM while the cases run; SIGINT again while the report is being written (report.json is already in
# the temporary folder; VERIFY_TEST_WRITE_DELAY_MS is a test hook that pauses the writer there).
for what in INT:run TERM:run INT:write; do
  sig=${what%%:*}
  if [ "${what##*:}" = run ]; then
    "$verify" run "$tmp/slow" --out "$tmp/out" --threads 2 > "$tmp/run.out" 2> "$tmp/run.err" &
  else
    VERIFY_TEST_WRITE_DELAY_MS=20000 "$verify" run cases/gaussian_kl/kl_note000_identical_covariance.toml \
      --out "$tmp/out" --threads 2 > "$tmp/run.out" 2> "$tmp/run.err" &
  fi
  pid=$!
  sleep 1.5
  if [ "${what##*:}" = write ] && ! ls -d "$tmp"/out.tmp-*/report.json > /dev/null 2>&1; then
    echo "FAIL: the writer had not started after 1.5 s"; fail=1
  fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "FAIL: the long run ended before the signal"; exit 1; fi
  t0=$(date +%s%N)
  kill -"$sig" "$pid"
  wait "$pid"
  rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "SIG$sig during ${what##*:}: exit status $rc after $ms ms"
  [ "$rc" -eq 130 ] || { echo "FAIL: exit status $rc, expected 130"; cat "$tmp/run.err"; fail=1; }
  [ "$ms" -le 1000 ] || { echo "FAIL: took $ms ms to stop (limit 1000)"; fail=1; }
  leftovers=$(find "$tmp" -maxdepth 1 -name 'out.*' | wc -l)
  [ "$leftovers" -eq 0 ] || { echo "FAIL: temporary folder left behind:"; find "$tmp" -maxdepth 1 -name 'out.*'; fail=1; }
  snapshot > "$tmp/after.txt"
  cmp -s "$tmp/before.txt" "$tmp/after.txt" || { echo "FAIL: the previous report changed"; diff "$tmp/before.txt" "$tmp/after.txt" | head; fail=1; }
done
[ $fail -eq 0 ] && echo "ok: interrupted runs stop promptly, leave no temporary folder and keep the previous report"
exit $fail
