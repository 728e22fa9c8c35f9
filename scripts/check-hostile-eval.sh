#!/usr/bin/env bash
# `verify eval` at hostile but valid points (far tails, condition number 1e10, variances 1e-12 and 1e6, 64-D,
# t = 1, the clipped cosine end, T = 10,000): each must succeed and print only finite numbers (no NaN/Inf/null).
# Usage: scripts/check-hostile-eval.sh VERIFY_BINARY   (run from the repository root)
set -uo pipefail
verify=$1
H=verify/tests/data/hostile
x64_far=$(awk 'BEGIN{for(i=0;i<64;i++){printf "%s%g", (i?",":""), (i-32)*3.1e4}}')
x64_mid=$(awk 'BEGIN{for(i=0;i<64;i++){printf "%s%g", (i?",":""), (i-32)/16}}')
runs=(
  "cases/mixtures/three_1d.toml cases/schedules/linear_1000.toml 1 1e6"
  "cases/mixtures/three_1d.toml cases/schedules/linear_1000.toml 1 -1e3"
  "cases/mixtures/three_1d.toml cases/schedules/cosine_1000.toml 1000 1e6"
  "cases/mixtures/three_1d.toml cases/schedules/cosine_1000.toml 999 -1e6"
  "cases/mixtures/three_2d.toml cases/schedules/cosine_1000.toml 1 1e3,-1e3"
  "cases/mixtures/three_2d.toml $H/cosine_10000.toml 10000 1e6,1e6"
  "cases/mixtures/three_2d.toml $H/linear_10000.toml 2 1e6,-1e6"
  "$H/ill_conditioned_2d.toml cases/schedules/linear_1000.toml 1 1e3,-1e3"
  "$H/ill_conditioned_2d.toml cases/schedules/linear_1000.toml 1 0.3,-0.7"
  "$H/ill_conditioned_2d.toml $H/cosine_10000.toml 10000 1e6,-1e6"
  "$H/tiny_large_1d.toml cases/schedules/linear_1000.toml 1 1.0"
  "$H/tiny_large_1d.toml cases/schedules/linear_1000.toml 1 -1e6"
  "$H/tiny_large_1d.toml cases/schedules/cosine_1000.toml 1000 1e6"
  "$H/dim64.toml cases/schedules/cosine_1000.toml 1 $x64_mid"
  "$H/dim64.toml cases/schedules/cosine_1000.toml 1000 $x64_far"
  "$H/dim64.toml $H/linear_10000.toml 5000 $x64_far"
)
fail=0
for r in "${runs[@]}"; do
  read -r mix sched t x <<<"$r"
  out=$("$verify" eval --mixture "$mix" --schedule "$sched" --t "$t" --x "$x" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL (exit $rc): $mix $sched t=$t"; echo "$out" | head -5; fail=1
  elif echo "$out" | grep -qiE 'nan|inf|null'; then
    echo "FAIL (non-finite output): $mix $sched t=$t"; echo "$out" | grep -iE 'nan|inf|null' | head -5; fail=1
  else
    echo "ok: $mix $sched t=$t log_density=$(echo "$out" | sed -n 's/.*"log_density": //p' | tr -d ',')"
  fi
done
exit $fail
