#!/usr/bin/env bash
# `verify compare` on real report.json files (CTest label `compare`): two runs of the same cases compare equal
# (exit 0, JUnit without failures); a changed verdict, a weaker holding check and a missing case each exit 1 and
# are named in the table and the JUnit file; a case that is only new exits 0.
#
# Usage: scripts/check-compare.sh VERIFY_BINARY   (run from the repository root)
set -uo pipefail
verify=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kl=cases/gaussian_kl/kl_standard_normal.toml
gen=cases/gaussian_kl/kl_note001_general_t10.toml
fail=0
report() { echo "FAIL: $*"; fail=1; }
run() {  # run OUT CASE... : a report folder from these cases
  local out=$1; shift
  "$verify" run "$@" --out "$tmp/$out" --threads 2 --no-plots --format json >/dev/null
  [ $? -le 1 ] || report "verify run $* failed"
}
# expect RC PATTERN BASELINE REPORT : compare exits RC and prints PATTERN (extended regex); JUnit is checked by caller
expect() {
  local rc=$1 pattern=$2 base=$3 rep=$4
  "$verify" compare "$tmp/$base/report.json" "$tmp/$rep/report.json" --junit "$tmp/$base-$rep.xml" >"$tmp/out" 2>&1
  local got=$?
  [ "$got" -eq "$rc" ] || report "compare $base $rep: exit $got, expected $rc"
  grep -Eq -- "$pattern" "$tmp/out" || report "compare $base $rep: output lacks /$pattern/"
  if [ "$fail" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then cat "$tmp/out"; fi
}
failures() { sed -n 's/.*<testsuites [^>]*failures="\([0-9]*\)".*/\1/p' "$tmp/$1.xml"; }

# Same cases, same seeds: identical apart from timings.
run base "$kl" "$gen"
run again "$kl" "$gen"
expect 0 '^OK: 3 checks and 3 forms compared; 0 difference' base again
[ "$(failures base-again)" = 0 ] || report "identical runs: JUnit failures=$(failures base-again)"

# A verdict that changed: with no mean gap the note's KL equals the correct one, so as_written now holds (and the
# corrected form, whose KL is now much smaller, resolves a larger relative discrepancy: weaker, a third failure).
mkdir -p "$tmp/changed"
sed "s/^'\\\\mu_\\\\theta' = .*/'\\\\mu_\\\\theta' = 0/" "$gen" >"$tmp/changed/$(basename "$gen")"
grep -qx "'\\\\mu_\\\\theta' = 0" "$tmp/changed/$(basename "$gen")" || report "could not remove the mean gap from $gen"
run verdict "$kl" "$tmp/changed/$(basename "$gen")"
expect 1 '^verdict +kl_note001_general_t10 +as_written .* refuted +holds' base verdict
grep -q '^form verdict .*kl_note001_general_t10' "$tmp/out" || report "form verdict change not listed"
[ "$(failures base-verdict)" = 3 ] || report "verdict change: JUnit failures=$(failures base-verdict), expected 3"

# A holding check that got weaker: 1/4 of the samples (randomised QMC, so its smallest detectable discrepancy grows by
# more than the plain Monte Carlo factor 2; it still holds); a large enough --weaker-factor lets it pass.
mkdir -p "$tmp/weak"
sed 's/^samples = .*/samples = 65536/' "$kl" >"$tmp/weak/$(basename "$kl")"
run weak "$tmp/weak/$(basename "$kl")" "$gen"
expect 1 '^weaker +kl_standard_normal .*\(x[0-9.]+\)' base weak
[ "$(failures base-weak)" = 1 ] || report "weaker: JUnit failures=$(failures base-weak), expected 1"
"$verify" compare "$tmp/base/report.json" "$tmp/weak/report.json" --weaker-factor 100 >/dev/null || report "--weaker-factor 100 still fails"

# A case that disappeared fails; the same case only new does not.
run fewer "$kl"
expect 1 '^missing +kl_note001_general_t10' base fewer
[ "$(failures base-fewer)" = 4 ] || report "missing: JUnit failures=$(failures base-fewer), expected 4 (2 checks, 2 forms)"
expect 0 '^new +kl_note001_general_t10 .*not a failure' fewer base

# Not a report: exit 2 naming the file.
echo '{"run": {}}' >"$tmp/bad.json"
"$verify" compare "$tmp/base/report.json" "$tmp/bad.json" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad.json: 'checks': missing array" "$tmp/err" || report "bad report.json: $(cat "$tmp/err")"

[ "$fail" -eq 0 ] && echo "ok: verify compare on real reports (identical, verdict, weaker, missing, new, bad input)"
exit "$fail"
