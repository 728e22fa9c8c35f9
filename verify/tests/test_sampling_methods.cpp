// Sampling methods and bulk kernels. Covers: the plain Rng stream is unchanged by the variance-reduction
// hooks; the bulk Philox/normal/exp/log kernels against Random123 and the C library; batch mixture
// evaluation against the per-point API; each engine method (plain, antithetic, rqmc) is unbiased on an
// integral with a closed form, deterministic across thread counts, and its stated SE is calibrated
// (false-alarm rate over 300 seeds at the nominal 5% level, through the whole verdict pipeline).
// Expected values: closed forms (E exp(a Z) = exp(a^2 / 2), E U = 1/2), Random123's own Philox, std::exp/log.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "verify/calibration.hpp"
#include "verify/claim.hpp"
#include "synthetic_claim.hpp"
#include "verify/kernels.hpp"
#include "verify/mixture.hpp"
#include "verify/montecarlo.hpp"
#include "verify/runner.hpp"

using namespace verify;

namespace {
double ulps(double a, double b) {
  if (a == b) return 0;
  return std::abs(a - b) / (std::numeric_limits<double>::epsilon() * std::max(std::abs(a), std::abs(b)));
}
}  // namespace

TEST_CASE("Plain Rng::normal is the Box-Muller transform of Philox uniforms, unchanged by the new hooks") {
  Rng rng(11, 22, 33);
  r123::Philox4x32 ph;
  r123::Philox4x32::key_type key = {{11u, 0u}};
  r123::Philox4x32::ctr_type ctr = {{0u, 33u, 22u, 0u}};
  for (int i = 0; i < 100; ++i) {
    const auto w = ph(ctr, key);
    ++ctr.v[0];
    const auto u = [](std::uint64_t hi, std::uint64_t lo) {
      return (static_cast<double>((hi << 21) ^ (lo >> 11)) + 0.5) * 0x1.0p-53;
    };
    const double u1 = u(w.v[0], w.v[1]), u2 = u(w.v[2], w.v[3]);
    const double r = std::sqrt(-2.0 * std::log(u1)), th = 2.0 * std::numbers::pi * u2;
    CHECK(rng.normal() == r * std::cos(th));
    CHECK(rng.normal() == r * std::sin(th));
  }
}

TEST_CASE("Bulk Philox equals Random123; bulk normals equal Rng::normal to a few ulps") {
  const std::uint32_t key[2] = {5u, 6u}, ctr[4] = {0u, 7u, 8u, 9u};
  std::vector<std::uint32_t> out(4 * 37);
  kernels::philox4x32_10(key, ctr, 37, out.data());
  r123::Philox4x32 ph;
  for (std::uint32_t i = 0; i < 37; ++i) {
    const auto w = ph({{i, 7u, 8u, 9u}}, {{5u, 6u}});
    for (int j = 0; j < 4; ++j) CHECK(out[4 * i + j] == w.v[j]);
  }
  Rng a(3, 4, 5), b(3, 4, 5);
  std::vector<double> z(1001);
  a.fill_normals(z.data(), z.size());
  double worst = 0;
  for (double v : z) worst = std::max(worst, std::abs(v - b.normal()) / std::max(1.0, std::abs(v)));
  CHECK(worst < 8 * std::numeric_limits<double>::epsilon());
  Rng c(3, 4, 5), d(3, 4, 5);
  std::vector<double> u(999);
  c.fill_uniforms(u.data(), u.size());
  for (double v : u) CHECK(v == d.uniform());
}

TEST_CASE("Vectorised exp and log agree with the C library within 2 ulps") {
  std::vector<double> x, y(4000), ref(4000);
  for (int i = 0; i < 4000; ++i) x.push_back(-740.0 + 1449.0 * i / 3999.0);
  kernels::exp_array(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::exp(x[i]) > 1e-300) CHECK(ulps(y[i], std::exp(x[i])) <= 2);
  for (auto& v : x) v = std::exp(v / 2.0);
  kernels::log_array(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(ulps(y[i], std::log(x[i])) <= 2);
  CHECK(kernels::normal_quantile_fast(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-15));
  CHECK(kernels::normal_quantile_fast(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-14));
}

TEST_CASE("Batch mixture log-density and score match the per-point API, tails included") {
  for (int d : {1, 2, 5}) {
    std::vector<Gaussian> comps;
    for (int k = 0; k < 3; ++k) {
      Mat A = Mat::Identity(d, d) * (0.4 + 0.3 * k);
      for (int i = 1; i < d; ++i) A(i, i - 1) = 0.2;
      comps.emplace_back(Vec::Constant(d, k - 1.0), A * A.transpose());
    }
    const GaussianMixture mix({0.2, 0.5, 0.3}, comps);
    Mat X(d, 101);
    Rng rng(1, 1, 1);
    rng.fill_normals(X.data(), X.size());
    X.col(100).setConstant(25.0);  // far tail
    Vec lp;
    Mat sc;
    mix.score_batch(X, sc, &lp);
    Vec lp2;
    mix.log_density_batch(X, lp2);
    for (Eigen::Index i = 0; i < X.cols(); ++i) {
      const double ref = mix.log_density(X.col(i));
      CHECK(std::abs(lp[i] - ref) <= 1e-13 * std::max(1.0, std::abs(ref)));
      CHECK(lp2[i] == lp[i]);
      CHECK(std::abs(mix.log_density_point(X.col(i).data()) - ref) <= 1e-13 * std::max(1.0, std::abs(ref)));
      const Vec s = mix.score(X.col(i));
      CHECK((sc.col(i) - s).norm() <= 1e-12 * std::max(1.0, s.norm()));
    }
  }
}

namespace {
// E[exp(a Z1) + b Z2^2 + U] = exp(a^2/2) + b + 1/2, uses normals and a uniform.
double integrand(Rng& r) {
  const double z1 = r.normal(), z2 = r.normal(), u = r.uniform();
  return std::exp(0.7 * z1) + 0.3 * z2 * z2 + u;
}
const double kTruth = std::exp(0.49 / 2) + 0.3 + 0.5;

Sampling method(Method m) {
  Sampling s;
  s.method = m;
  s.randomisations = 32;
  s.qmc_dims = 3;
  return s;
}
}  // namespace

TEST_CASE("Every method is unbiased and deterministic across thread counts") {
  for (Method m : {Method::plain, Method::antithetic, Method::rqmc}) {
    CAPTURE(to_string(m));
    const MonteCarlo one(9, 1, "t", method(m)), two(9, 2, "t", method(m));
    const Estimate a = one.mean("x", 200000, integrand), b = two.mean("x", 200000, integrand);
    CHECK(a.mean == b.mean);
    CHECK(a.std_error == b.std_error);
    CHECK(to_string(a.method) == to_string(m));
    CHECK(std::abs(a.mean - kTruth) < 5 * a.std_error);
    const auto ma = one.means("x", 100000, 2, [](Rng& r, std::span<double> o) { o[0] = integrand(r); o[1] = r.normal(); });
    const auto mb = two.means("x", 100000, 2, [](Rng& r, std::span<double> o) { o[0] = integrand(r); o[1] = r.normal(); });
    CHECK(ma.estimates[0].mean == mb.estimates[0].mean);
    CHECK(ma.covariance == mb.covariance);
    CHECK(std::abs(ma.estimates[0].mean - kTruth) < 5 * ma.estimates[0].std_error);
    CHECK(ma.cov(0, 0) / static_cast<double>(ma.samples) == doctest::Approx(ma.estimates[0].std_error * ma.estimates[0].std_error).epsilon(1e-9));
    const Estimate c = one.mean_batch("y", 50000, [](Rng& r, std::span<double> o) { for (auto& v : o) v = integrand(r); });
    const Estimate d = two.mean_batch("y", 50000, [](Rng& r, std::span<double> o) { for (auto& v : o) v = integrand(r); });
    CHECK(c.mean == d.mean);
    CHECK(std::abs(c.mean - kTruth) < 5 * c.std_error);
  }
  // Variance reduction is real on this smooth integrand (SE at equal cost).
  const MonteCarlo plain(9, 1, "t", method(Method::plain)), anti(9, 1, "t", method(Method::antithetic)),
      qmc(9, 1, "t", method(Method::rqmc));
  const double se_p = plain.mean("x", 200000, integrand).std_error;
  CHECK(anti.mean("x", 200000, integrand).std_error < se_p);
  CHECK(qmc.mean("x", 200000, integrand).std_error < 0.5 * se_p);
}

namespace {
void register_methods_claim() {
  register_synthetic_claim({
      .name = "synthetic.method_integral",
      .summary = "E[exp(0.7 Z1) + 0.3 Z2^2 + U] = exp(0.245) + 0.8",
      .params = {{"delta", "true shift"}},
      .run = [](const CaseSpec& c, const MonteCarlo& mc) -> ClaimOutput {
        const double delta = c.params.number("delta");
        return {Check{.form = "as_written",
                      .quantity = "mean",
                      .estimate = mc.mean("x", c.samples, [&](Rng& r) { return delta + integrand(r); }),
                      .reference = kTruth,
                      .scale = 1.0,
                      .scale_name = "unit"}};
      }});
}

CaseSpec method_case(Method m, double delta, Verdict expect) {
  CaseSpec c;
  c.path = "methods.toml";
  c.name = "methods";
  c.claim = "synthetic.method_integral";
  c.samples = 8192;
  c.seed = 3;
  c.tolerance = 0.5;
  c.sampling = method(m);
  c.sampling.randomisations = 64;
  c.expect["as_written"] = expect;
  c.params = one_number_param("methods.toml", "delta", delta);
  return c;
}
}  // namespace

TEST_CASE("Stated SEs are calibrated for every method: false alarms at most nominal, power kept") {
  register_methods_claim();
  for (Method m : {Method::antithetic, Method::rqmc}) {
    CAPTURE(to_string(m));
    CalibrationOptions opt;
    opt.seeds = 300;
    opt.alpha = 0.05;
    const auto r = calibrate({method_case(m, 0.0, Verdict::holds)}, opt);
    REQUIRE(r.checks.size() == 1);
    CHECK(r.checks[0].runs == 300);
    CHECK_FALSE(r.checks[0].above_nominal);
    // 99.9% upper binomial bound for 300 draws at p = 0.05 is about 29 alarms.
    CHECK(r.checks[0].alarms <= 29);
    CHECK(std::abs(r.z_mean) < 0.25);
    // Antithetic: z ~ N(0, 1). Rqmc: z ~ t(63) / 1.11 (the inflation), variance about 0.85.
    CHECK(r.z_var > (m == Method::rqmc ? 0.6 : 0.75));
    CHECK(r.z_var < 1.3);
    // Power: a shift of 10 SEs is refuted.
    RunOptions o;
    const auto base = run_cases({method_case(m, 0.0, Verdict::holds)}, o);
    const double se = base.checks[0].check.estimate.std_error;
    const auto wrong = run_cases({method_case(m, 10 * se, Verdict::refuted)}, o);
    CHECK(wrong.checks[0].assessment.verdict == Verdict::refuted);
    CHECK(to_string(wrong.checks[0].check.estimate.method) == to_string(m));
  }
}
