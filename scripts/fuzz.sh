#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) into build-fuzz/ and runs each time-boxed:
#   fuzz_case_loader   case files, from the seed corpus verify/fuzz/corpus/ plus the case files and the bad inputs;
#   fuzz_latex_reader  LaTeX formulas, from every formula string of the case files (extracted into build-fuzz/).
# Any crash, uncaught exception other than the input errors, sanitizer report, or broken invariant is a failure; its
# input is saved as build-fuzz/crash-* (add it to the corpus and to verify/tests/data/bad/ once fixed).
# Usage: scripts/fuzz.sh [SECONDS per harness]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
need=()
command -v clang++ >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" || need+=(libclang-rt-14-dev)
dpkg-query -W -f='${Status}' libomp-dev 2>/dev/null | grep -q "install ok installed" || need+=(libomp-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVERIFY_FUZZ=ON -DVERIFY_BUILD_TESTS=OFF \
  -DVERIFY_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target fuzz_case_loader fuzz_latex_reader -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The LaTeX seeds: every string of every case file that holds a formula, one per file.
latex_seeds=build-fuzz/latex-seeds
rm -rf "$latex_seeds"; mkdir -p "$latex_seeds"
python3 - "$latex_seeds" <<'PY'
import sys, pathlib, tomllib
out = pathlib.Path(sys.argv[1]); n = 0
def strings(x):
    if isinstance(x, str): yield x
    elif isinstance(x, dict):
        for v in x.values(): yield from strings(v)
    elif isinstance(x, list):
        for v in x: yield from strings(v)
for f in sorted(pathlib.Path('cases').rglob('*.toml')):
    try: doc = tomllib.loads(f.read_text())
    except Exception: continue
    for key in ('statement', 'forms', 'mutants', 'define', 'models', 'macros'):
        for s in strings(doc.get(key, {})):
            if '\\' in s or '=' in s:
                (out / f'seed{n:04d}.tex').write_text(s); n += 1
print(f'{n} LaTeX seeds')
PY
status=0
run() {  # harness, work folder, seeds...
  local harness=$1 work=$2; shift 2
  rm -rf "$work"; mkdir -p "$work"
  set +e
  build-fuzz/bin/$harness "$work" "$@" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/$harness- 2>&1 | tee build-fuzz/$harness.log |
    grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)|^\s+NEW_FUNC'
  local rc=${PIPESTATUS[0]}
  set -e
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/$harness.log || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $harness FAILED (exit $rc); reproducer(s):"; ls build-fuzz/$harness-* 2>/dev/null || true
    status=1
  else
    echo "fuzz: $harness: no findings in ${secs}s"
  fi
}
# New inputs go to scratch folders; the checked-in seeds and the project's files are read-only inputs.
run fuzz_case_loader build-fuzz/corpus-work verify/fuzz/corpus cases verify/tests/data/bad
run fuzz_latex_reader build-fuzz/latex-work "$latex_seeds"
exit $status
