#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds and tests with, skipping those already present.
# Needs root (or sudo). Safe to run repeatedly.
set -euo pipefail
pkgs=(g++ cmake make pkg-config
      libeigen3-dev libboost-dev libboost-math-dev doctest-dev libtomlplusplus-dev nlohmann-json3-dev
      libcli11-dev libfmt-dev librandom123-dev libbenchmark-dev gnuplot-nox
      zlib1g-dev libjs-katex fonts-katex
      clang libclang-rt-14-dev libomp-dev jq
      chromium python3
      dpkg-dev file tao-pegtl-dev libginac-dev)
# libjs-katex, fonts-katex: formulas typeset in report.html (inlined; zlib1g-dev compresses the script), also the .deb's
# run-time dependencies, installed here so that scripts/check-downstream.sh installs the .deb without the network;
# chromium + python3: headless browser test of report.html (scripts/check-html.sh, scripts/browser_check.py);
# clang/libclang-rt (libFuzzer)/libomp: scripts/fuzz.sh; jq: determinism test; dpkg-dev/file: dpkg-shlibdeps for
# `cpack -G DEB`; tao-pegtl-dev: the formula layer's LaTeX parser (verify/src/formula/); libginac-dev:
# exact proofs beside the estimates (verify/src/formula/prove*.cpp)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
