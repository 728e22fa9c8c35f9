#!/usr/bin/env bash
# Performance table (README "Performance"): kernel throughput (Google Benchmark), the NumPy baseline side by
# side, precision per CPU-second of every check (SE^2 x seconds from report.json), and the whole suite's
# wall time with 1 and 2 threads. Release build in build/ (BUILD_DIR overrides). Needs python3-numpy for the
# NumPy comparison (skipped with a note if missing). Note the machine load (uptime) printed first.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build}
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B" --target verify verify_bench -j"$(nproc)" >/dev/null
echo "== load: $(uptime)"
echo "== kernels, one thread (items per second)"
"$B/bin/verify_bench" --benchmark_filter='^BM_(Normals|Mixture|Kl|ForwardChain)' --benchmark_repetitions="${REPS:-3}" \
    --benchmark_report_aggregates_only=true 2>/dev/null |
  awk '$1 ~ /^BM_/ && $1 !~ /_(mean|stddev|cv)$/ { for (i = 1; i <= NF; i++) if ($i ~ /items_per_second=/) { v = $i; sub("items_per_second=", "", v); printf "%-44s %s\n", $1, v } }'
echo
PY=${PYTHON:-/usr/bin/python3}
if "$PY" -c "import numpy" 2>/dev/null; then
  echo "== against NumPy, one core, same run"
  "$PY" bench/numpy_compare.py --bench "$B/bin/verify_bench" --repeat "${REPS:-3}"
else
  echo "== NumPy comparison skipped: python3-numpy is not installed (apt-get install python3-numpy)"
fi
echo
out=$(mktemp -d)
for th in 1 2; do
  TIMEFORMAT="== suite, $th thread(s): %R s wall, %U s user CPU"
  time { "$B/bin/verify" run cases --threads "$th" --out "$out/t$th" >/dev/null ||
           echo "(some verdicts differ from expectations with $th threads)"; }
done
echo
echo "== precision per CPU-second (1 thread)"
"$PY" bench/suite_table.py "$out/t1/report.json" --top "${TOP:-15}"
rm -rf "$out"
