#!/usr/bin/env python3
"""SE^2 x seconds of every check of some case files under each sampling method, measured in one run.

For each case file and method (plain, antithetic, rqmc) a copy with `[budget] method = ...` (and the sample
count scaled by --scale-<method> if given) is written to a temporary tree beside symlinks to cases/mixtures and
cases/schedules, run with one thread, and its report.json read. Prints per check: SE, seconds, SE^2 x s, the
gain over plain (plain SE^2 x s / method SE^2 x s), mdd_rel and the verdict.
Usage: bench/method_compare.py --verify build/bin/verify cases/gaussian_kl/*.toml [--repeat 3]"""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile


def variant(text, method, extra):
    lines = text.splitlines()
    out = []
    in_budget = False
    for ln in lines:
        if re.match(r"^\s*\[", ln):
            in_budget = ln.strip() == "[budget]"
            out.append(ln)
            if in_budget:
                out.append(f'method = "{method}"')
                for k, v in extra.items():
                    out.append(f"{k} = {v}")
            continue
        if in_budget and re.match(r"^\s*(method|randomisations|qmc_dims)\s*=", ln):
            continue
        if in_budget and extra.get("samples") and re.match(r"^\s*samples\s*=", ln):
            continue
        out.append(ln)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify", default="build/bin/verify")
    ap.add_argument("--repeat", type=int, default=1, help="runs per variant; the fastest is kept")
    ap.add_argument("--methods", default="plain,antithetic,rqmc")
    ap.add_argument("--qmc-dims", type=int, default=0)
    ap.add_argument("--samples", type=int, default=0, help="override the sample count of every variant")
    ap.add_argument("cases", nargs="+")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="verify-methods-")
    root = os.path.join(tmp, "cases")
    os.makedirs(root)
    for shared in ("mixtures", "schedules"):
        os.symlink(os.path.abspath(os.path.join("cases", shared)), os.path.join(root, shared))
    results = {}
    for case in a.cases:
        fam = os.path.basename(os.path.dirname(case))
        os.makedirs(os.path.join(root, fam), exist_ok=True)
        text = open(case).read()
        for m in a.methods.split(","):
            extra = {}
            if m == "rqmc" and a.qmc_dims:
                extra["qmc_dims"] = a.qmc_dims
            if a.samples:
                extra["samples"] = a.samples
            path = os.path.join(root, fam, os.path.basename(case))
            open(path, "w").write(variant(text, m, extra))
            best = None
            for _ in range(a.repeat):
                out = os.path.join(tmp, "out")
                subprocess.run([a.verify, "run", path, "--threads", "1", "--out", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                j = json.load(open(os.path.join(out, "report.json")))
                if best is None or j["checks"][0]["seconds"] < best["checks"][0]["seconds"]:
                    best = j
            results[(case, m)] = best
    print(f"{'case':<34} {'form':<20} {'method':<10} {'n':>8} {'SE':>10} {'sec':>7} {'SE^2 x s':>10} {'gain':>7} {'mdd_rel':>8} verdict")
    for case in a.cases:
        plain = results.get((case, "plain"))
        for m in a.methods.split(","):
            j = results[(case, m)]
            for i, c in enumerate(j["checks"]):
                se2s = c["std_error"] ** 2 * c["seconds"]
                gain = ""
                if plain and m != "plain" and i < len(plain["checks"]):
                    p = plain["checks"][i]
                    if se2s > 0:
                        gain = f"{p['std_error'] ** 2 * p['seconds'] / se2s:7.1f}"
                print(f"{os.path.basename(case)[:34]:<34} {c['form'][:20]:<20} {m:<10} {c['samples']:8d} {c['std_error']:10.3e} "
                      f"{c['seconds']:7.3f} {se2s:10.3e} {gain:>7} {c['min_detectable_relative']:8.4f} {c['verdict']}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
