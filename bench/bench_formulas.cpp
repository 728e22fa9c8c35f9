// The formula layer against hand-written C++ on the same Gaussian-KL claims (issue "Formulas as data": the formula
// version may cost at most 1.25x the hand-written one). The hand-written estimators below are the ones the project
// used before the KL family moved to case files (verify/src/claims/gaussian_kl.cpp, removed): log q(x) - log p(x)
// at x = m_q + L_q z with precomputed inverse Cholesky factors. Both sides run through the same engine with the
// case file's sampling method and budget, one thread. The formula side also reports node evaluations per second:
// (nodes of the expectation's integrand) x (draws) / time.
#include <benchmark/benchmark.h>

#include <functional>

#include "formula/oracle_t.hpp"
#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/formula/formula_case.hpp"
#include "verify/gaussian.hpp"
#include "verify/mixture.hpp"
#include "verify/montecarlo.hpp"

using namespace verify;

namespace {

class LogRatio {
 public:
  LogRatio(const Gaussian& q, const Gaussian& p)
      : d_(q.dim()), mq_(q.mean()), mp_(p.mean()), Lq_(q.chol()),
        Pq_(q.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(q.dim(), q.dim()))),
        Pp_(p.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(p.dim(), p.dim()))),
        c_(0.5 * (p.log_det() - q.log_det())) {}
  double operator()(Rng& rng) const {
    double z[256], x[256];
    rng.normals(z, static_cast<std::size_t>(d_));
    for (int i = 0; i < d_; ++i) {
      double v = mq_[i];
      for (int j = 0; j <= i; ++j) v += Lq_(i, j) * z[j];
      x[i] = v;
    }
    return c_ - 0.5 * quad(Pq_, mq_, x) + 0.5 * quad(Pp_, mp_, x);
  }

 private:
  double quad(const Mat& P, const Vec& m, const double* x) const {
    double q = 0;
    for (int i = 0; i < d_; ++i) {
      double a = 0;
      for (int j = 0; j <= i; ++j) a += P(i, j) * (x[j] - m[j]);
      q += a * a;
    }
    return q;
  }
  int d_;
  Vec mq_, mp_;
  Mat Lq_, Pq_, Pp_;
  double c_;
};

const CaseSpec& load(const std::string& path) {
  static std::map<std::string, CaseSpec> cache;
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, load_case(path)).first;
  return it->second;
}

std::pair<Gaussian, Gaussian> laws(int which) {
  if (which == 0) return {Gaussian::isotropic(Vec::Constant(1, 1.3), 0.4), Gaussian::isotropic(Vec::Zero(1), 1.0)};
  Vec mq(2), mp(2);
  mq << 0.3, -0.2;
  mp << -0.5, 0.6;
  Mat Sq(2, 2), Sp(2, 2);
  Sq << 1.0, 0.4, 0.4, 0.8;
  Sp << 1.5, -0.3, -0.3, 1.2;
  return {Gaussian(mq, Sq), Gaussian(mp, Sp)};
}
const char* case_path(int which) {
  return which == 0 ? "cases/gaussian_kl/kl_standard_normal.toml" : "cases/gaussian_kl/kl_closed_form_2d.toml";
}

void BM_KlHandWritten(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const CaseSpec& c = load(case_path(which));
  const auto [q, p] = laws(which);
  const LogRatio f(q, p);
  const MonteCarlo mc(c.seed, 1, c.name, c.sampling);
  for (auto _ : state) benchmark::DoNotOptimize(mc.mean("kl", c.samples, f).mean);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(c.samples));
}
BENCHMARK(BM_KlHandWritten)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

std::size_t count_nodes(const formula::Expr& e) {
  std::size_t n = 1;
  for (const auto& a : e.args)
    if (a) n += count_nodes(*a);
  for (const auto& d : e.dists)
    for (const formula::ExprPtr& x : {d->mean, d->cov, d->step, d->given})
      if (x) n += count_nodes(*x);
  return n;
}

void BM_KlFormula(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const CaseSpec& c = load(case_path(which));
  const MonteCarlo mc(c.seed, 1, c.name, c.sampling);
  const std::size_t nodes = count_nodes(*c.formula->models[0].relations[0].lhs);
  for (auto _ : state) benchmark::DoNotOptimize(formula::run_formula_case(c, mc).checks.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(c.samples));
  state.counters["node_evals_per_s"] =
      benchmark::Counter(static_cast<double>(nodes * c.samples), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["integrand_nodes"] = static_cast<double>(nodes);
}
BENCHMARK(BM_KlFormula)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The exact score of a mixture, the evaluator's hottest kernel in the sampler cases (called per draw and step):
// responsibilities and then each component's score, as MixtureT::score computed it before it shared
// L_k^{-1}(x - m_k) between the two (same numbers), against MixtureT::score. Arg: dimension (1: three_1d-like,
// 2: cases/mixtures/three_2d.toml).
formula::MixtureT<double> bench_mixture(int d) {
  std::vector<Gaussian> comps;
  if (d == 1) {
    comps = {Gaussian::isotropic(Vec::Constant(1, -2.0), 0.3), Gaussian::isotropic(Vec::Constant(1, 0.5), 0.5),
             Gaussian::isotropic(Vec::Constant(1, 2.0), 0.2)};
  } else {
    Vec m0(2), m1(2), m2(2);
    m0 << -2.0, 0.0;
    m1 << 1.5, 1.0;
    m2 << 0.0, -2.5;
    Mat c0(2, 2), c1(2, 2), c2(2, 2);
    c0 << 0.3, 0.1, 0.1, 0.2;
    c1 << 0.5, 0.0, 0.0, 0.5;
    c2 << 0.2, -0.05, -0.05, 0.4;
    comps = {Gaussian(m0, c0), Gaussian(m1, c1), Gaussian(m2, c2)};
  }
  return formula::MixtureT<double>(GaussianMixture({0.5, 0.3, 0.2}, comps));
}

template <bool Fused>
void BM_MixtureScore(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const formula::MixtureT<double> mix = bench_mixture(d);
  Rng rng(7, 1, 0);
  std::vector<double> xs(4096 * static_cast<std::size_t>(d));
  for (double& x : xs) x = 2 * rng.normal();
  double out[2], r[3], g[2], acc = 0;
  for (auto _ : state) {
    for (std::size_t l = 0; l < 4096; ++l) {
      const double* x = xs.data() + l * static_cast<std::size_t>(d);
      if constexpr (Fused) {
        mix.score(x, out);
      } else {
        mix.responsibilities(x, r);
        for (int i = 0; i < d; ++i) out[i] = 0;
        for (std::size_t k = 0; k < mix.size(); ++k) {
          mix.components()[k].score(x, g);
          for (int i = 0; i < d; ++i) out[i] += r[k] * g[i];
        }
      }
      acc += out[0];
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 4096);
}
BENCHMARK(BM_MixtureScore<false>)->Name("BM_MixtureScore/two_pass")->Arg(1)->Arg(2);
BENCHMARK(BM_MixtureScore<true>)->Name("BM_MixtureScore/fused")->Arg(1)->Arg(2);

// A case whose grid points share their draws (checks.cpp, simulate): the forward chain to t = 1, 2, 5, 10 in three
// directions, at a tenth of its budget, one thread.
void BM_GridCase(benchmark::State& state) {
  CaseSpec c = load("cases/forward_process/fwd_marginal_cosine1000_2d.toml");
  c.samples /= 10;
  const MonteCarlo mc(c.seed, 1, c.name, c.sampling);
  for (auto _ : state) benchmark::DoNotOptimize(formula::run_formula_case(c, mc).checks.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(c.samples));
}
BENCHMARK(BM_GridCase)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
