#!/usr/bin/env bash
# proof.agreement: every exact proof must agree with its numeric verdict. Runs every formula case (the case files
# without a `claim` key: the only ones whose forms are decided exactly, verify/include/verify/formula/prove.hpp) with
# their mutants, and fails when a check that holds is disproved, a refuted one proved, or a mutant proved (a bug in
# the prover or in the estimate). Prints the proof status of every form, so the log shows what is covered.
# Usage: check-proof-agreement.sh path/to/verify [case files...]
set -euo pipefail
verify="$1"
shift
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find cases -name '*.toml' -not -path '*/mixtures/*' -not -path '*/schedules/*' | sort | xargs grep -L '^claim')
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rc=0
"$verify" run "${files[@]}" --mutants --no-plots --format json --threads 2 --out "$out/report" >"$out/log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  cat "$out/log"
  echo "FAIL: verify run exited with $rc"
  exit 1
fi
json="$out/report/report.json"
echo "forms by proof status:"
jq -r '.forms[] | "  \(.proof)\t\(.verdict)\t\(.case) [\(.form)]"' "$json" | sort
jq -r '.forms | group_by(.proof) | map("\(.[0].proof): \(length)") | join(", ")' "$json"
bad=$(jq -r '.checks[] | select((.verdict == "holds" and .proof == "disproved") or (.verdict == "refuted" and .proof == "proved"))
             | "\(.case) [\(.form) \(.label)]: verdict \(.verdict), proof \(.proof): \(.proof_detail)"' "$json")
mutants=$(jq -r '.forms[] | select((.form | startswith("mutant:")) and .proof == "proved") | "\(.case) [\(.form)]: \(.proof_detail)"' "$json")
decided=$(jq '[.forms[] | select(.proof == "proved" or .proof == "disproved")] | length' "$json")
status=0
if [ -n "$bad" ]; then
  echo "FAIL: exact proofs that contradict the numeric verdict:"
  echo "$bad"
  status=1
fi
if [ -n "$mutants" ]; then
  echo "FAIL: mutants proved (a mutant cannot be right):"
  echo "$mutants"
  status=1
fi
if [ "$decided" -eq 0 ]; then
  echo "FAIL: no form was proved or disproved (the prover did not run?)"
  status=1
fi
[ "$status" -eq 0 ] && echo "OK: $decided form(s) decided exactly, every proof agrees with its numeric verdict"
exit "$status"
