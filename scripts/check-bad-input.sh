#!/usr/bin/env bash
# Runs one file of the bad-input corpus (verify/tests/data/bad/) and checks that verify refuses it properly:
# exit code 2, the expected message in stderr, the offending file (or option) named in stderr, and no output
# folder created.
#
# Usage: scripts/check-bad-input.sh VERIFY_BINARY BAD_FILE   (run from the repository root)
#
# Directives, in comment lines at the top of BAD_FILE (TOML ignores comments):
#   # expect: SUBSTRING   required; must occur in stderr (give "'key': reason" to pin key and reason)
#   # cmd: ARGS           verify's arguments; {file} = the input, {out} = the output folder that must not appear
#                         (default: run {file} --out {out})
#   # names: STRING       what stderr must name instead of the file's base name (e.g. an included file, --threads)
#   # setup: unreadable   {file} becomes a copy without read permission (run as user nobody when we are root)
#   # setup: missing      {file} becomes a path that does not exist
#   # setup: emptydir     {file} becomes an empty directory
set -uo pipefail
verify=$1
bad=$2
[ -x "$verify" ] || { echo "no verify binary at $verify"; exit 1; }
[ -f "$bad" ] || { echo "no bad-input file $bad"; exit 1; }

directive() { sed -n "s/^# $1: //p" "$bad" | head -n1; }
expect=$(directive expect)
cmd=$(directive cmd)
names=$(directive names)
setup=$(directive setup)
[ -n "$expect" ] || { echo "$bad: no '# expect: <substring>' line"; exit 1; }
[ -n "$cmd" ] || cmd='run {file} --out {out}'
[ -n "$names" ] || names=$(basename "$bad")

tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/in" "$tmp/work"
chmod 777 "$tmp/work"
out="$tmp/work/out"
file=$bad
runner=()
case "$setup" in
  "") ;;
  unreadable)
    file="$tmp/in/$(basename "$bad")"
    cp "$bad" "$file"
    chmod 000 "$file"
    chmod 755 "$tmp/in"
    if [ "$(id -u)" -eq 0 ]; then
      command -v setpriv >/dev/null || { echo "SKIP: root without setpriv cannot test unreadable files"; exit 77; }
      runner=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi ;;
  missing) file="$tmp/in/$(basename "$bad" .toml)-does-not-exist.toml" ;;
  emptydir) file="$tmp/in/empty-folder"; mkdir -p "$file" ;;
  *) echo "$bad: unknown setup '$setup'"; exit 1 ;;
esac

cmd=${cmd//\{file\}/$file}
cmd=${cmd//\{out\}/$out}
read -r -a args <<<"$cmd"
"${runner[@]}" "$verify" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?

fail=0
report() { echo "FAIL: $*"; fail=1; }
[ "$rc" -eq 2 ] || report "exit code $rc, expected 2"
grep -qF -- "$expect" "$tmp/stderr" || report "stderr lacks the expected message: $expect"
grep -qF -- "$names" "$tmp/stderr" || report "stderr does not name $names"
[ ! -e "$out" ] || report "the output folder $out was created"
leftover=$(ls -A "$tmp/work")
[ -z "$leftover" ] || report "files were written beside the output folder: $leftover"
if [ "$fail" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then
  echo "command: verify $cmd"
  echo "--- stderr ---"; cat "$tmp/stderr"
  echo "--- stdout (first 20 lines) ---"; head -n 20 "$tmp/stdout"
fi
[ "$fail" -eq 0 ] && echo "ok: $(head -c 300 "$tmp/stderr")"
exit "$fail"
