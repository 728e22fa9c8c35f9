#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -DVERIFY_SANITIZE=ON) build into build-asan/, then the unit
# tests, the bad-input corpus, the hostile-number tests and a small subset of cases. Any sanitizer report fails
# (-fno-sanitize-recover=undefined, halt_on_error). Only the targets the tests need are built.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVERIFY_SANITIZE=ON >/dev/null
targets=(verify)
for f in verify/tests/test_*.cpp; do t=$(basename "$f" .cpp); targets+=("$t"); done
cmake --build build-asan -j"$jobs" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j"$jobs" -L 'unit|bad_input|hostile' "$@"
# A few fast cases across the schema (1-D/2-D mixtures, linear/cosine schedules).
ctest --output-on-failure -j"$jobs" -R '^case\.(kl_standard_normal|kl_closed_form_2d|kl_note001_general_t10|kl_note000_identical_covariance)$' "$@"
echo "sanitize: no findings"
