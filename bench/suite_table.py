#!/usr/bin/env python3
"""Per-check precision per CPU-second from a report.json: std_error^2 x seconds (lower is better), the
smallest detectable relative discrepancy, and the slowest cases. seconds is the wall time of the case's
claim evaluation (shared by its checks); run with --threads 1 so that it is CPU time.
Usage: python3 bench/suite_table.py REPORT.json [--top N]"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--all", action="store_true", help="every non-exact check, not only the slowest cases")
    a = ap.parse_args()
    j = json.load(open(a.report))
    checks = [c for c in j["checks"] if c["std_error"] and c["method"] != "exact"]
    cases = {}
    for c in j["checks"]:
        cases.setdefault(c["case"], c["seconds"])
    total = sum(cases.values())
    print(f"{len(cases)} cases, {len(j['checks'])} checks, sum of case seconds {total:.2f}")
    print(f"\nslowest cases (seconds of claim evaluation):")
    for name, s in sorted(cases.items(), key=lambda kv: -kv[1])[: a.top]:
        print(f"  {s:7.3f}  {name}")
    rows = checks if a.all else [c for c in checks if c["case"] in dict(sorted(cases.items(), key=lambda kv: -kv[1])[: a.top])]
    print(f"\n{'case':<40} {'form':<22} {'method':<10} {'SE^2 x s':>11} {'rel SE^2 x s':>12} {'mdd_rel':>8} verdict")
    for c in rows:
        se2s = c["std_error"] ** 2 * c["seconds"]
        rel = se2s / c["scale"] ** 2 if c["scale"] else float("nan")
        print(f"{c['case'][:40]:<40} {c['form'][:22]:<22} {c['method']:<10} {se2s:11.3e} {rel:12.3e} "
              f"{c['min_detectable_relative']:8.4f} {c['verdict']}")


if __name__ == "__main__":
    main()
