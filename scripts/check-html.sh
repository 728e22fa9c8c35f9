#!/usr/bin/env bash
# report.html in a real browser (CTest report.html, label browser): headless Chromium opens the report of a few fixed
# cases (scripts/browser_check.py) and it must load with no console error and no request outside its folder, typeset
# every formula with the inlined KaTeX, fit 1280 px without horizontal scroll, and print with a page break before
# each note and the appendix open; screenshots of the summary and of one errata entry are compared with
# docs/screenshots/golden/ (after an intended change of the layout: UPDATE_GOLDEN=1 scripts/check-html.sh build/bin/verify,
# then look at the new images and commit them). Then, without KaTeX, the report must show its formulas as source,
# marked, and warn.
# Usage: scripts/check-html.sh <verify binary> [folder to keep the report and screenshots]   (exit 77: no chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
verify=${1:?usage: check-html.sh <verify binary> [keep-dir]}
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  echo "SKIP: chromium not installed (scripts/install-deps.sh installs it)"; exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keep=${2:-$work}
mkdir -p "$keep"
out="$keep/report"
# Fixed case files (named one by one, so that new cases elsewhere do not change the golden images): a wrong claim with
# its correction typeset beside it, holding ones, a claim checked in two scenarios that disagree (sigma_0 > 0 and = 0),
# and claim figures.
kl=cases/gaussian_kl
"$verify" run $kl/kl_closed_form_2d.toml $kl/kl_note000_identical_covariance.toml $kl/kl_note001_fixed_variance.toml \
  $kl/kl_note001_general_t10.toml $kl/kl_note003_fixed_variances.toml $kl/kl_standard_normal.toml \
  cases/forward_process/fwd_ve_chain_sigma0_positive.toml \
  cases/forward_process/fwd_ve_chain_sigma0_zero.toml cases/eps_prefactor/eps_weight_profile_linear.toml \
  cases/posterior/post_regression_linear1000.toml --out "$out" --threads 2 > "$work/run.txt" 2>&1 \
  || { echo "FAIL: verify run failed"; tail -5 "$work/run.txt"; exit 1; }
python3 scripts/browser_check.py "$out/report.html" --shots "$keep/shots" --golden docs/screenshots/golden \
  ${UPDATE_GOLDEN:+--update-golden}
# Without KaTeX: formulas as source, visibly marked, and a warning.
VERIFY_KATEX_DIR="$work/no-katex" "$verify" run cases/gaussian_kl/kl_standard_normal.toml --format html --no-plots \
  --out "$work/nomath" > /dev/null 2> "$work/nomath.err" || { echo "FAIL: run without KaTeX failed"; cat "$work/nomath.err"; exit 1; }
grep -q "KaTeX not found" "$work/nomath.err" || { echo "FAIL: no warning when KaTeX is missing"; exit 1; }
grep -q 'class="math-missing"' "$work/nomath/report.html" && grep -q 'class="math-banner"' "$work/nomath/report.html" \
  || { echo "FAIL: without KaTeX the report does not say that formulas are shown as source"; exit 1; }
echo "OK: without KaTeX formulas are shown as source, marked, with a warning"
