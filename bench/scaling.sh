#!/usr/bin/env bash
# Cost against sample count, dimension and T (README "Performance"): runs the BM_Scale* benchmarks, writes
# bench/scaling.dat and plots bench/scaling.svg with gnuplot. Usage: bench/scaling.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
"$B/bin/verify_bench" --benchmark_filter='BM_Scale' --benchmark_format=json --benchmark_min_time=0.2 > /tmp/verify_scaling.json
python3 - <<'PY'
import json
j = json.load(open("/tmp/verify_scaling.json"))
rows = {"samples": [], "dim_engine": [], "dim_mixture": [], "T": []}
for b in j["benchmarks"]:
    name = b["name"].split("/")
    sec = b["cpu_time"] * {"ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b["time_unit"]]
    if name[0] == "BM_ScaleEngine":
        d, n = int(name[1]), int(name[2])
        if d == 2: rows["samples"].append((n, sec))
        if n == 1 << 16: rows["dim_engine"].append((d, sec / n * 1e9))
    elif name[0] == "BM_ScaleMixtureDim":
        rows["dim_mixture"].append((int(name[1]), 1e9 / b["items_per_second"]))
    elif name[0] == "BM_ScaleForwardChainT":
        rows["T"].append((int(name[2]), sec))
with open("bench/scaling.dat", "w") as f:
    for k, v in rows.items():
        f.write(f"# {k}\n")
        for x, y in sorted(v): f.write(f"{x} {y:.6g}\n")
        f.write("\n\n")
for k, v in rows.items():
    print(k, " ".join(f"{x}:{y:.3g}" for x, y in sorted(v)))
PY
gnuplot <<'GP'
set terminal svg size 1000,360 font "sans,11"
set output "bench/scaling.svg"
set multiplot layout 1,3
set logscale xy
set grid
set key top left
set title "engine: 2-D KL draws"
set xlabel "samples n"; set ylabel "CPU seconds (1 thread)"
plot "bench/scaling.dat" index 0 using 1:2 with linespoints title "measured", \
     "" index 0 using 1:($1*2.5e-8) with lines dt 2 title "slope 1"
set title "cost per draw against dimension"
set xlabel "dimension d"; set ylabel "ns per draw / point"
plot "bench/scaling.dat" index 1 using 1:2 with linespoints title "engine KL draw", \
     "" index 2 using 1:2 with linespoints title "mixture log-density (batch, K=3)", \
     "" index 1 using 1:(10*$1*$1) with lines dt 2 title "d^2"
set title "forward chain, 1024 chains in 2-D"
set xlabel "T"; set ylabel "CPU seconds"
plot "bench/scaling.dat" index 3 using 1:2 with linespoints title "measured", \
     "" index 3 using 1:($1*3e-5) with lines dt 2 title "slope 1"
unset multiplot
GP
echo "wrote bench/scaling.dat and bench/scaling.svg"
