#!/usr/bin/python3
"""The NumPy baseline a user would write, measured side by side with our kernels in one run, one core.

Measures items per second (best of --repeat, CPU seconds of this process, as Google Benchmark reports) for: standard normals (NumPy's PCG64 ziggurat), 2-D 3-component
mixture log-densities, 2-D Gaussian-KL Monte Carlo samples (x ~ q, log q(x) - log p(x)), and 2-D forward-chain
steps x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps. Then runs the matching Google Benchmark entries of
verify_bench (same process group, right after) and prints the ratios against the targets of issue 7.
Usage: OMP_NUM_THREADS=1 python3 bench/numpy_compare.py --bench build/bin/verify_bench
"""
import argparse
import json
import os
import subprocess
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def best_rate(fn, items, repeat):
    best = 0.0
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        dt = time.process_time() - t0
        best = max(best, items / dt)
    return best


def numpy_rates(repeat):
    rng = np.random.default_rng(1)
    n = 4_000_000
    rates = {}
    rates["normals"] = best_rate(lambda: rng.standard_normal(n), n, repeat)

    # 2-D mixture with 3 components, log-density by log-sum-exp with precomputed inverse Cholesky factors.
    w = np.array([0.3, 0.5, 0.2])
    mus = [np.array([-2.0, 0.0]), np.array([0.5, 1.0]), np.array([2.0, -1.0])]
    covs = [np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[0.4, -0.1], [-0.1, 0.6]]), np.array([[0.8, 0.0], [0.0, 0.3]])]
    P = [np.linalg.inv(np.linalg.cholesky(c)) for c in covs]
    lnorm = [np.log(wk) - 0.5 * (2 * np.log(2 * np.pi) + np.linalg.slogdet(c)[1]) for wk, c in zip(w, covs)]
    m = 1_000_000
    X = rng.standard_normal((m, 2)) * 2

    def mixture():
        terms = np.empty((3, m))
        for k in range(3):
            y = (X - mus[k]) @ P[k].T
            terms[k] = lnorm[k] - 0.5 * np.einsum("ij,ij->i", y, y)
        mx = terms.max(axis=0)
        return mx + np.log(np.exp(terms - mx).sum(axis=0))

    rates["mixture_logpdf_2d_3c"] = best_rate(mixture, m, repeat)

    # 2-D Gaussian KL(q || p) by Monte Carlo.
    mq, Sq = np.array([0.3, 0.3]), np.array([[1.0, 0.3], [0.3, 0.5]])
    mp, Sp = np.zeros(2), np.array([[1.5, -0.2], [-0.2, 0.8]])
    Lq = np.linalg.cholesky(Sq)
    Pq, Pp = np.linalg.inv(Lq), np.linalg.inv(np.linalg.cholesky(Sp))
    c = 0.5 * (np.linalg.slogdet(Sp)[1] - np.linalg.slogdet(Sq)[1])
    nk = 2_000_000

    def kl():
        z = rng.standard_normal((nk, 2))
        x = mq + z @ Lq.T
        yq = (x - mq) @ Pq.T
        yp = (x - mp) @ Pp.T
        v = c - 0.5 * np.einsum("ij,ij->i", yq, yq) + 0.5 * np.einsum("ij,ij->i", yp, yp)
        return v.mean(), v.std() / np.sqrt(nk)

    rates["kl_samples_2d"] = best_rate(kl, nk, repeat)

    # Forward chain, 1024 chains in 2-D (as the C++ benchmark), T = 1000.
    T, chains = 1000, 1024
    betas = np.linspace(1e-4, 0.02, T)
    a, b = np.sqrt(1 - betas), np.sqrt(betas)

    def chain():
        x = rng.standard_normal((chains, 2))
        for t in range(T):
            x = a[t] * x + b[t] * rng.standard_normal((chains, 2))
        return x

    rates["forward_steps_2d"] = best_rate(chain, chains * T, repeat)
    # Same with 100,000 chains (NumPy's best case: long vectors).
    chains2 = 100_000
    T2 = 50

    def chain_long():
        x = rng.standard_normal((chains2, 2))
        for t in range(T2):
            x = a[t] * x + b[t] * rng.standard_normal((chains2, 2))
        return x

    rates["forward_steps_2d_long"] = best_rate(chain_long, chains2 * T2, repeat)
    return rates


def ours(bench, repeat):
    filt = "BM_NormalsPhiloxBulk$|BM_MixtureLogDensityBatch/2/3$|BM_KlSamples2dBatch$|BM_ForwardChain/2/1000$"
    out = subprocess.run([bench, f"--benchmark_filter={filt}", "--benchmark_format=json",
                          f"--benchmark_repetitions={repeat}", "--benchmark_report_aggregates_only=false"],
                         check=True, capture_output=True, text=True).stdout
    rates = {}
    names = {"BM_NormalsPhiloxBulk": "normals", "BM_MixtureLogDensityBatch/2/3": "mixture_logpdf_2d_3c",
             "BM_KlSamples2dBatch": "kl_samples_2d", "BM_ForwardChain/2/1000": "forward_steps_2d"}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        base = b["run_name"] if "run_name" in b else b["name"]
        base = base.split("/repeats")[0].replace("/min_time", "")
        key = names.get(base)
        if key:
            rates[key] = max(rates.get(key, 0.0), b["items_per_second"])
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bin/verify_bench")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    npr = numpy_rates(args.repeat)
    our = ours(args.bench, args.repeat)
    targets = {"normals": 1.5, "mixture_logpdf_2d_3c": 20.0, "kl_samples_2d": 5.0, "forward_steps_2d": 3.0}
    print(f"NumPy {np.__version__}, one core; best of {args.repeat}")
    print(f"{'kernel':<24} {'NumPy /s':>12} {'ours /s':>12} {'ratio':>7} {'target':>7}  met")
    for k, t in targets.items():
        r = our[k] / npr[k]
        print(f"{k:<24} {npr[k]:12.4g} {our[k]:12.4g} {r:7.2f} {t:7.1f}  {'yes' if r >= t else 'NO'}")
    r = our["forward_steps_2d"] / npr["forward_steps_2d_long"]
    print(f"{'forward_steps_2d (NumPy 1e5 chains)':<24} {npr['forward_steps_2d_long']:12.4g} {our['forward_steps_2d']:12.4g} {r:7.2f} {3.0:7.1f}  {'yes' if r >= 3 else 'NO'}")


if __name__ == "__main__":
    main()
