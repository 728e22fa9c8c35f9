// The engine's block loop on every estimator path (mean, mean_batch, means, means_lanes under plain, antithetic
// and rqmc), one thread, a cheap integrand so that the loop's own overhead shows. Used to compare engine versions
// (issue 11 item 4: the eight block/OpenMP/interrupt loops made one driver); items are draws.
#include <benchmark/benchmark.h>

#include <cmath>
#include <span>

#include "verify/montecarlo.hpp"
#include "verify/rng.hpp"

using namespace verify;

namespace {

constexpr std::size_t kDraws = 1 << 18;

Sampling sampling_of(int m) {
  Sampling s;
  s.method = m == 0 ? Method::plain : m == 1 ? Method::antithetic : Method::rqmc;
  s.randomisations = 32;
  s.qmc_dims = 2;
  return s;
}

void BM_EngineMean(benchmark::State& st) {
  const MonteCarlo mc(7, 1, "bench", sampling_of(static_cast<int>(st.range(0))));
  for (auto _ : st) {
    const auto e = mc.mean("x", kDraws, [](Rng& r) {
      const double z = r.normal();
      return z * z + 0.5 * r.uniform();
    });
    benchmark::DoNotOptimize(e.mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kDraws));
}
BENCHMARK(BM_EngineMean)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_EngineMeanBatch(benchmark::State& st) {
  const MonteCarlo mc(7, 1, "bench", sampling_of(static_cast<int>(st.range(0))));
  for (auto _ : st) {
    const auto e = mc.mean_batch("x", kDraws, [](Rng& r, std::span<double> out) {
      r.fill_normals(out.data(), out.size());
      for (double& v : out) v = v * v;
    });
    benchmark::DoNotOptimize(e.mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kDraws));
}
BENCHMARK(BM_EngineMeanBatch)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_EngineMeans(benchmark::State& st) {
  const MonteCarlo mc(7, 1, "bench", sampling_of(static_cast<int>(st.range(0))));
  for (auto _ : st) {
    const auto m = mc.means("x", kDraws, 3, [](Rng& r, std::span<double> out) {
      const double z = r.normal();
      out[0] = z;
      out[1] = z * z;
      out[2] = r.uniform();
    });
    benchmark::DoNotOptimize(m.estimates[1].mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kDraws));
}
BENCHMARK(BM_EngineMeans)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_EngineMeansLanes(benchmark::State& st) {
  const MonteCarlo mc(7, 1, "bench", sampling_of(static_cast<int>(st.range(0))));
  for (auto _ : st) {
    const auto m = mc.means_lanes("x", kDraws, 2, [](MonteCarlo::Lanes& L, double* out) {
      const std::size_t n = L.size();
      for (std::size_t j = 0; j < n; ++j) {
        L.lane(j);
        const double z = L.rng().normal();
        out[j] = z;
        out[n + j] = z * z;
      }
    });
    benchmark::DoNotOptimize(m.estimates[1].mean);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kDraws));
}
BENCHMARK(BM_EngineMeansLanes)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
