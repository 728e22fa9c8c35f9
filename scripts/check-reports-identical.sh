#!/usr/bin/env bash
# Reports are reproducible: two runs with the same seed give byte-identical report folders (report.json, report.md,
# report.html, junit.xml, plots/*), apart from the wall-clock `seconds` fields of report.json and `time` attributes
# of junit.xml; and no file names the host, the user's folders or the date.
# Usage: scripts/check-reports-identical.sh <verify binary> CASE_FILE_OR_FOLDER...   (run from the repository root)
set -uo pipefail
cd "$(dirname "$0")/.."
verify=${1:?usage: check-reports-identical.sh <verify binary> CASES...}; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in a b; do
  "$verify" run "$@" --out "$tmp/$name" --seed 20241 --threads 2 > "$tmp/$name.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: run $name exited $rc"; tail -5 "$tmp/$name.log"; exit 1; }
  for f in report.json report.md report.html junit.xml; do
    [ -s "$tmp/$name/$f" ] || { echo "FAIL: run $name wrote no $f"; exit 1; }
  done
  # Drop the only fields allowed to differ.
  sed -i -E 's/"seconds":[-+.0-9eE]+/"seconds":0/g' "$tmp/$name/report.json"
  sed -i -E 's/ time="[0-9.]+"//' "$tmp/$name/junit.xml"
done
fail=0
diff -r "$tmp/a" "$tmp/b" > "$tmp/diff.txt" || { echo "FAIL: the report folders differ:"; head -20 "$tmp/diff.txt"; fail=1; }
nplots=$(find "$tmp/a/plots" -name '*.svg' 2>/dev/null | wc -l)
[ "$nplots" -gt 0 ] || { echo "FAIL: no plots were drawn"; fail=1; }
# Nothing host- or time-specific inside.
host=$(hostname 2>/dev/null || true)
for pat in "$tmp" "$PWD" "$HOME"; do
  if grep -rlF -- "$pat" "$tmp/a" > "$tmp/hits.txt"; then echo "FAIL: reports contain the path $pat:"; cat "$tmp/hits.txt"; fail=1; fi
done
if [ -n "$host" ] && grep -rlwF -- "$host" "$tmp/a" > "$tmp/hits.txt"; then echo "FAIL: reports contain the host name:"; cat "$tmp/hits.txt"; fail=1; fi
if grep -rlE '20[0-9]{2}-[01][0-9]-[0-3][0-9]([T ][0-2][0-9]:)?' "$tmp/a" > "$tmp/hits.txt"; then
  echo "FAIL: reports contain a date:"; cat "$tmp/hits.txt"; fail=1
fi
[ $fail -eq 0 ] && echo "ok: two runs gave identical report folders ($(find "$tmp/a" -type f | wc -l) files, $nplots plots, $(du -sk "$tmp/a" | cut -f1) KiB)"
exit $fail
