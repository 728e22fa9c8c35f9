#!/usr/bin/env bash
# Builds the libFuzzer harness for the case-file loader with clang (ASan + UBSan) into build-fuzz/ and runs it
# time-boxed from the checked-in seed corpus verify/fuzz/corpus/ (plus the case files and the bad-input corpus).
# Any crash, uncaught non-InputError exception, sanitizer report, or non-finite oracle value is a failure; its
# input is saved as build-fuzz/crash-* (add it to verify/fuzz/corpus/ and verify/tests/data/bad/ once fixed).
# Usage: scripts/fuzz.sh [SECONDS]   (default 60)
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
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVERIFY_FUZZ=ON -DVERIFY_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_case_loader -j"$(nproc)"
work=build-fuzz/corpus-work
rm -rf "$work"; mkdir -p "$work"
# New inputs go to the scratch folder; the checked-in seeds and the project's TOML files are read-only inputs.
seeds=(verify/fuzz/corpus cases verify/tests/data/bad)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
set +e
build-fuzz/bin/fuzz_case_loader "$work" "${seeds[@]}" -max_total_time="$secs" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ 2>&1 | tee build-fuzz/fuzz.log | grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)'
rc=${PIPESTATUS[0]}
set -e
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/fuzz.log || true
if [ "$rc" -ne 0 ]; then
  echo "fuzz: FAILED (exit $rc); reproducer(s):"; ls build-fuzz/crash-* build-fuzz/timeout-* build-fuzz/oom-* 2>/dev/null || true
  exit 1
fi
echo "fuzz: no findings in ${secs}s"
