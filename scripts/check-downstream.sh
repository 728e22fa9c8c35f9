#!/usr/bin/env bash
# The downstream example (examples/downstream/) against this repository installed two ways, as a user would:
#   1. `cmake --install` into a temporary prefix, then the same prefix moved elsewhere (relocatable);
#   2. the Debian package from `cpack -G DEB`, installed with apt-get (skipped, with a SKIP line, without root or
#      sudo, or when a diffusion-verify package is already installed), then removed again with whatever apt pulled in.
# Each time the example is configured with find_package(DiffusionVerify) and its ctest must give: the claims that hold
# (`ctest -LE errata`) pass; every case under cases/errata/ fails with the message on its `# ctest-expects:` line;
# `verify run` on the cases from another folder, gated with `verify compare` against the first installation's run,
# shows no difference.
#
# Usage: scripts/check-downstream.sh [BUILD_DIR]   (default build/, already built, e.g. by scripts/build.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(cd "${1:-build}" && pwd)
example=$root/examples/downstream
tmp=$(mktemp -d)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
remove_pkgs=()
cleanup() {
  if [ ${#remove_pkgs[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq "${remove_pkgs[@]}" >/dev/null 2>&1 ||
      echo "WARNING: could not remove ${remove_pkgs[*]}"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
report() { echo "FAIL: $*"; fail=1; }
seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f s", b - a }'; }
version=$(sed -n 's/^project(diffusion_verify VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# check_example NAME VERIFY [CMAKE ARGS...]: configure the example into $tmp/NAME and check its ctest.
check_example() {
  local name=$1 verify=$2; shift 2
  local bdir=$tmp/example-$name t0
  t0=$(seconds)
  if ! cmake -S "$example" -B "$bdir" "$@" >"$tmp/$name-configure.log" 2>&1; then
    report "$name: configuring the example failed"; cat "$tmp/$name-configure.log"; return
  fi
  grep -q "DiffusionVerify_DIR:PATH=" "$bdir/CMakeCache.txt" || report "$name: DiffusionVerify not found"
  [ "$("$verify" --version)" = "$version" ] || report "$name: $verify --version is not $version"
  ctest --test-dir "$bdir" -LE errata --output-on-failure >"$tmp/$name-holds.log" 2>&1 ||
    { report "$name: the holding claims failed"; cat "$tmp/$name-holds.log"; }
  ctest --test-dir "$bdir" -L errata --output-on-failure >"$tmp/$name-errata.log" 2>&1 &&
    report "$name: the wrong step passed its test"
  for f in "$example"/cases/errata/*.toml; do
    local stem msg
    stem=$(basename "$f" .toml)
    msg=$(sed -n 's/^# ctest-expects: //p' "$f" | head -n1)
    [ -n "$msg" ] || { report "$f: no '# ctest-expects:' line"; continue; }
    grep -Eq "case\.$stem \.+\*+Failed" "$tmp/$name-errata.log" || report "$name: case.$stem did not fail"
    grep -qF -- "$msg" "$tmp/$name-errata.log" || { report "$name: case.$stem lacks '$msg'"; cat "$tmp/$name-errata.log"; }
  done
  grep -q "case-reports" <(ls "$bdir") || report "$name: no case-reports/ in the example's build folder"
  # The CI gate of examples/ci/: the whole suite (exit 1: the wrong step), run from a different working directory
  # each time ($tmp, /, the example with a relative path), compared with the first installation's report, which
  # must give the same verdicts and detectable discrepancies.
  local cwd=$tmp cases=$example/cases
  [ "$name" = moved ] && cwd=/
  [ "$name" = deb ] && cwd=$example && cases=cases
  (cd "$cwd" && "$verify" run "$cases" --out "$tmp/gate-$name" --threads 2 --no-plots >/dev/null)
  [ $? -eq 1 ] || report "$name: verify run on the example's cases did not exit 1"
  if [ "$name" != prefix ]; then
    "$verify" compare "$tmp/gate-prefix/report.json" "$tmp/gate-$name/report.json" --junit "$tmp/gate-$name.xml" \
      >"$tmp/$name-compare.log" || { report "$name: verify compare against the prefix install"; cat "$tmp/$name-compare.log"; }
  fi
  echo "$name: example configured and tested in $(elapsed "$t0")"
}

# 1. cmake --install into a prefix, then moved.
t0=$(seconds)
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null || report "cmake --install failed"
echo "install: cmake --install into a prefix in $(elapsed "$t0") ($(du -sh "$tmp/prefix" | cut -f1))"
check_example prefix "$tmp/prefix/bin/verify" -DCMAKE_PREFIX_PATH="$tmp/prefix"
mv "$tmp/prefix" "$tmp/moved"
check_example moved "$tmp/moved/bin/verify" -DCMAKE_PREFIX_PATH="$tmp/moved"

# 2. The Debian package.
deb_status=0
if [ -n "$SUDO" ] && ! sudo -n true 2>/dev/null; then
  echo "SKIP: the .deb needs root or sudo"; deb_status=1
elif dpkg-query -W -f='${Status}' diffusion-verify 2>/dev/null | grep -q "install ok installed"; then
  echo "SKIP: a diffusion-verify package is already installed; not replacing it"; deb_status=1
else
  t0=$(seconds)
  (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) ||
    { report "cpack failed"; cat "$tmp/cpack.log"; }
  deb=$(ls "$tmp"/deb/diffusion-verify_"$version"_*.deb 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    report "no diffusion-verify_${version}_<arch>.deb"
  else
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "deb: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB, built in $(elapsed "$t0")"
    echo "deb: Depends: $depends"
    for p in gnuplot-nox fonts-katex libjs-katex libgomp1 libfmt9 libstdc++6 libtomlplusplus3; do
      grep -q "$p" <<<"$depends" || report "Depends lacks $p"
    done
    before=$(dpkg-query -W -f='${Package}\n' | sort)
    t0=$(seconds)
    remove_pkgs=(diffusion-verify)
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$deb" >"$tmp/apt.log" 2>&1 ||
      { report "apt-get install failed"; cat "$tmp/apt.log"; }
    # Remove afterwards exactly what this install added (the package and the dependencies it pulled in).
    mapfile -t added < <(comm -13 <(echo "$before") <(dpkg-query -W -f='${Package}\n' | sort) | grep -vx diffusion-verify)
    remove_pkgs+=("${added[@]}")
    echo "deb: installed with apt-get in $(elapsed "$t0")${added[*]:+ (pulled in: ${added[*]})}"
    [ "$(command -v verify)" = /usr/bin/verify ] || report "verify is not /usr/bin/verify on the PATH"
    (cd "$tmp" && verify run "$example/cases/forward/noised_covariance.toml" --out "$tmp/run-deb" --threads 2 >/dev/null) ||
      report "deb: verify run from the PATH failed"
    [ -s "$tmp/run-deb/report.html" ] || report "deb: no report.html"
    check_example deb /usr/bin/verify
  fi
fi

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "ok: downstream example against the installed prefix, a moved prefix$([ $deb_status -eq 0 ] && echo ' and the .deb')"
