// The formula layer against hand-written C++ on the same Gaussian-KL claims (issue "Formulas as data": the formula
// version may cost at most 1.25x the hand-written one). The hand-written estimators below are the ones the project
// used before the KL family moved to case files (verify/src/claims/gaussian_kl.cpp, removed): log q(x) - log p(x)
// at x = m_q + L_q z with precomputed inverse Cholesky factors. Both sides run through the same engine with the
// case file's sampling method and budget, one thread. The formula side also reports node evaluations per second:
// (nodes of the expectation's integrand) x (draws) / time.
#include <benchmark/benchmark.h>

#include <functional>

#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/formula/formula_case.hpp"
#include "verify/gaussian.hpp"
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

}  // namespace

BENCHMARK_MAIN();
