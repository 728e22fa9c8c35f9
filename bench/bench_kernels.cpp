// Kernel benchmarks for the performance table (scripts/bench.sh). Each reports items_per_second, one
// thread: standard normals, mixture log-densities and scores, Gaussian-KL Monte Carlo samples through the
// engine, forward-chain steps. "Before" variants measure the per-point APIs the claims used so far.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "verify/gaussian.hpp"
#include "verify/mixture.hpp"
#include "verify/montecarlo.hpp"
#include "verify/rng.hpp"

using namespace verify;

namespace {

constexpr std::size_t kN = 4096;

// --- standard normals --------------------------------------------------------------------------------
void BM_NormalsPhiloxBulk(benchmark::State& st) {
  Rng rng(1, 2, 3);
  std::vector<double> buf(kN);
  for (auto _ : st) {
    rng.fill_normals(buf.data(), kN);
    benchmark::DoNotOptimize(buf.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_NormalsPhiloxBulk);

void BM_NormalsPhiloxScalar(benchmark::State& st) {
  Rng rng(1, 2, 3);
  std::vector<double> buf(kN);
  for (auto _ : st) {
    for (auto& v : buf) v = rng.normal();
    benchmark::DoNotOptimize(buf.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_NormalsPhiloxScalar);

void BM_NormalsStdMt19937(benchmark::State& st) {
  std::mt19937_64 gen(42);
  std::normal_distribution<double> nd;
  std::vector<double> buf(kN);
  for (auto _ : st) {
    for (auto& v : buf) v = nd(gen);
    benchmark::DoNotOptimize(buf.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_NormalsStdMt19937);

// --- mixtures ----------------------------------------------------------------------------------------
// K components in d dimensions: means spread on a line, correlated covariances (fixed, reproducible).
GaussianMixture make_mixture(int d, int K) {
  std::vector<double> w(K, 1.0 / K);
  double s = 0;
  for (int k = 0; k < K; ++k) s += (w[k] = 1.0 + 0.1 * k);
  for (auto& v : w) v /= s;
  std::vector<Gaussian> comps;
  for (int k = 0; k < K; ++k) {
    Vec m = Vec::Constant(d, 1.5 * (k - K / 2.0));
    Mat A = Mat::Identity(d, d) * (0.5 + 0.1 * k);
    for (int i = 1; i < d; ++i) A(i, i - 1) = 0.3;
    comps.emplace_back(m, A * A.transpose());
  }
  // re-normalise exactly
  double t = 0;
  for (int k = 0; k < K - 1; ++k) t += w[k];
  w[K - 1] = 1.0 - t;
  return GaussianMixture(w, comps);
}

Mat points(int d, std::size_t n) {
  Mat X(d, static_cast<Eigen::Index>(n));
  Rng rng(7, 7, 7);
  rng.fill_normals(X.data(), X.size());
  return X * 2.0;
}

void BM_MixtureLogDensityBatch(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), K = static_cast<int>(st.range(1));
  const auto mix = make_mixture(d, K);
  const Mat X = points(d, kN);
  Vec out;
  for (auto _ : st) {
    mix.log_density_batch(X, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_MixtureLogDensityBatch)->Args({1, 3})->Args({2, 3})->Args({16, 3})->Args({1, 10})->Args({2, 10})->Args({16, 10});

void BM_MixtureScoreBatch(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), K = static_cast<int>(st.range(1));
  const auto mix = make_mixture(d, K);
  const Mat X = points(d, kN);
  Mat out;
  for (auto _ : st) {
    mix.score_batch(X, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_MixtureScoreBatch)->Args({1, 3})->Args({2, 3})->Args({16, 3})->Args({1, 10})->Args({2, 10})->Args({16, 10});

void BM_MixtureLogDensityPerPoint(benchmark::State& st) {  // the per-point API (before)
  const int d = static_cast<int>(st.range(0)), K = static_cast<int>(st.range(1));
  const auto mix = make_mixture(d, K);
  const Mat X = points(d, kN);
  for (auto _ : st) {
    double s = 0;
    for (Eigen::Index i = 0; i < X.cols(); ++i) s += mix.log_density(X.col(i));
    benchmark::DoNotOptimize(s);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_MixtureLogDensityPerPoint)->Args({1, 3})->Args({2, 3})->Args({16, 3})->Args({2, 10});

void BM_MixtureScorePerPoint(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0)), K = static_cast<int>(st.range(1));
  const auto mix = make_mixture(d, K);
  const Mat X = points(d, kN);
  for (auto _ : st) {
    double s = 0;
    for (Eigen::Index i = 0; i < X.cols(); ++i) s += mix.score(X.col(i))[0];
    benchmark::DoNotOptimize(s);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}
BENCHMARK(BM_MixtureScorePerPoint)->Args({2, 3})->Args({16, 10});

// --- 2-D Gaussian KL by Monte Carlo through the engine ----------------------------------------------
struct Kl2 {
  Gaussian q{Vec::Constant(2, 0.3), (Mat(2, 2) << 1.0, 0.3, 0.3, 0.5).finished()};
  Gaussian p{Vec::Zero(2), (Mat(2, 2) << 1.5, -0.2, -0.2, 0.8).finished()};
};

void BM_KlSamples2dPerPoint(benchmark::State& st) {  // as gaussian_kl.cpp did: Vec per sample
  Kl2 g;
  const MonteCarlo mc(1, 1, "bench");
  const std::size_t n = 1 << 18;
  for (auto _ : st) {
    const auto e = mc.mean("kl", n, [&](Rng& r) {
      const Vec x = g.q.sample(r);
      return g.q.log_density(x) - g.p.log_density(x);
    });
    benchmark::DoNotOptimize(e.mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}
BENCHMARK(BM_KlSamples2dPerPoint)->Unit(benchmark::kMillisecond);

// The batched path: bulk normals, x = m_q + L_q z, and the log-ratio as a quadratic form in precomputed
// inverse Cholesky factors (what gaussian_kl.cpp now uses through MonteCarlo::mean_batch).
void BM_KlSamples2dBatch(benchmark::State& st) {
  Kl2 g;
  const MonteCarlo mc(1, 1, "bench");
  const std::size_t n = 1 << 18;
  const Mat Lq = g.q.chol(), Pp = g.p.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(2, 2));
  const double c = 0.5 * (g.p.log_det() - g.q.log_det());
  const double m0 = g.q.mean()[0] - g.p.mean()[0], m1 = g.q.mean()[1] - g.p.mean()[1];
  for (auto _ : st) {
    const auto e = mc.mean_batch("kl", n, [&](Rng& r, std::span<double> out) {
      double z[2 * MonteCarlo::kChunk];
      const std::size_t c2 = out.size();
      r.fill_normals(z, 2 * c2);
      for (std::size_t i = 0; i < c2; ++i) {
        const double z0 = z[i], z1 = z[c2 + i];
        const double d0 = m0 + Lq(0, 0) * z0, d1 = m1 + Lq(1, 0) * z0 + Lq(1, 1) * z1;
        const double y0 = Pp(0, 0) * d0, y1 = Pp(1, 0) * d0 + Pp(1, 1) * d1;
        out[i] = c - 0.5 * (z0 * z0 + z1 * z1) + 0.5 * (y0 * y0 + y1 * y1);
      }
    });
    benchmark::DoNotOptimize(e.mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}
BENCHMARK(BM_KlSamples2dBatch)->Unit(benchmark::kMillisecond);

// --- forward chain: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, n chains of dimension d --------
void BM_ForwardChain(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0));
  const int T = static_cast<int>(st.range(1));
  const std::size_t chains = 1024;
  std::vector<double> a(T), b(T);
  for (int t = 0; t < T; ++t) {
    const double beta = 1e-4 + (0.02 - 1e-4) * t / std::max(1, T - 1);
    a[t] = std::sqrt(1 - beta);
    b[t] = std::sqrt(beta);
  }
  std::vector<double> x(chains * d), z(chains * d);
  Rng rng(3, 4, 5);
  for (auto _ : st) {
    rng.fill_normals(x.data(), x.size());
    for (int t = 0; t < T; ++t) {
      rng.fill_normals(z.data(), z.size());
      const double at = a[t], bt = b[t];
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = at * x[i] + bt * z[i];
    }
    benchmark::DoNotOptimize(x.data());
  }
  // one item = one step of one d-dimensional chain
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * chains * T));
}
BENCHMARK(BM_ForwardChain)->Args({2, 1000})->Args({16, 1000});

// --- scaling (bench/scaling.sh): cost against sample count, dimension and T ----------------------------
// Engine + per-draw Gaussian log-ratio in dimension d (the KL integrand), n draws.
void BM_ScaleEngine(benchmark::State& st) {
  const int d = static_cast<int>(st.range(0));
  const auto n = static_cast<std::size_t>(st.range(1));
  Mat A = Mat::Identity(d, d);
  for (int i = 1; i < d; ++i) A(i, i - 1) = 0.3;
  const Gaussian q(Vec::Constant(d, 0.2), A * A.transpose()), p(Vec::Zero(d), Mat::Identity(d, d) * 1.5);
  const Mat Pq = q.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(d, d));
  const Mat Pp = p.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(d, d));
  const MonteCarlo mc(1, 1, "bench");
  for (auto _ : st) {
    const auto e = mc.mean("kl", n, [&](Rng& r) {
      double z[64], x[64];
      r.normals(z, static_cast<std::size_t>(d));
      for (int i = 0; i < d; ++i) {
        double v = q.mean()[i];
        for (int j = 0; j <= i; ++j) v += q.chol()(i, j) * z[j];
        x[i] = v;
      }
      double a = 0, b = 0;
      for (int i = 0; i < d; ++i) {
        double u = 0, w = 0;
        for (int j = 0; j <= i; ++j) {
          u += Pq(i, j) * (x[j] - q.mean()[j]);
          w += Pp(i, j) * (x[j] - p.mean()[j]);
        }
        a += u * u;
        b += w * w;
      }
      return 0.5 * (b - a);
    });
    benchmark::DoNotOptimize(e.mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
}
BENCHMARK(BM_ScaleEngine)
    ->Args({2, 1 << 12})->Args({2, 1 << 14})->Args({2, 1 << 16})->Args({2, 1 << 18})->Args({2, 1 << 20})->Args({2, 1 << 22})
    ->Args({1, 1 << 16})->Args({4, 1 << 16})->Args({8, 1 << 16})->Args({16, 1 << 16})->Args({32, 1 << 16})->Args({64, 1 << 16})
    ->Unit(benchmark::kMillisecond);

void BM_ScaleMixtureDim(benchmark::State& st) { BM_MixtureLogDensityBatch(st); }
BENCHMARK(BM_ScaleMixtureDim)->Args({1, 3})->Args({2, 3})->Args({4, 3})->Args({8, 3})->Args({16, 3})->Args({32, 3})->Args({64, 3});

void BM_ScaleForwardChainT(benchmark::State& st) { BM_ForwardChain(st); }
BENCHMARK(BM_ScaleForwardChainT)->Args({2, 10})->Args({2, 100})->Args({2, 1000})->Args({2, 10000})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
