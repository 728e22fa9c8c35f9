#!/usr/bin/env bash
# Opens report.html in headless Chromium: it must load without console errors, make no network request (the file is
# self-contained), and show the summary table and at least one inline SVG plot; a screenshot is kept for a human.
# Usage: scripts/check-html.sh <verify binary> [folder for report + screenshot]   (exit 77 = skipped: no chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
verify=${1:?usage: check-html.sh <verify binary> [keep-dir]}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then echo "SKIP: chromium not installed (scripts/install-deps.sh installs it)"; exit 77; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keep=${2:-$work}
mkdir -p "$keep"
out="$keep/report"
# A few cases, one with a refuted as-written form, plus whatever figures their claims attach.
"$verify" run cases/gaussian_kl --out "$out" --threads 2 > "$work/run.txt"
html="$out/report.html"
grep -q '<table>' "$html" || { echo "FAIL: no table in report.html"; exit 1; }
grep -q '<svg ' "$html" || { echo "FAIL: no inline SVG plot in report.html"; exit 1; }
if grep -Eq '(src|href)="(https?:)?//' "$html"; then echo "FAIL: report.html refers to the network"; exit 1; fi
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$(realpath "$html")" > "$work/dom.html" 2> "$work/console.txt" || true
if grep -E 'CONSOLE|Uncaught|ERR_' "$work/console.txt" | grep -v 'ERR_NETWORK_CHANGED' > "$work/errors.txt"; then
  echo "FAIL: console errors while loading report.html:"; cat "$work/errors.txt"; exit 1
fi
grep -q '<th>Estimate ± SE</th>' "$work/dom.html" || { echo "FAIL: the summary table did not reach the DOM"; exit 1; }
grep -q '<svg' "$work/dom.html" || { echo "FAIL: no SVG in the rendered DOM"; exit 1; }
timeout 120 "$browser" "${flags[@]}" --screenshot="$keep/report.png" --window-size=1400,2000 \
  "file://$(realpath "$html")" 2> "$work/shot.txt" > /dev/null || true
[ -s "$keep/report.png" ] || { echo "FAIL: no screenshot"; cat "$work/shot.txt"; exit 1; }
size=$(stat -c %s "$keep/report.png")
[ "$size" -gt 20000 ] || { echo "FAIL: screenshot is only $size bytes (blank page?)"; exit 1; }
echo "OK: report.html loads without console errors; screenshot $size bytes${2:+ at $keep/report.png}"
