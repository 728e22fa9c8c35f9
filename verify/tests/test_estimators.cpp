// The estimator module (verify/estimators.hpp). Covers: each helper's estimate against a closed form, its stated SE
// against the closed-form asymptotic SE, and the SE's calibration over seeds (|z| > 1.96 at the nominal 5% rate,
// mean z^2 near 1), like test_sampling_methods.cpp does for the engine; the rqmc guard of the control-variate
// regression; the Gaussian log-densities against their definition and against Gaussian::log_density.
// Expected values: closed forms of normal moments (E e^Z = e^{1/2}, E Z^2 e^Z = 2 e^{1/2}, Var(XY) for a bivariate
// normal = s_x^2 s_y^2 + s_xy^2), and the asymptotic variances of the delta method written out by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "verify/estimators.hpp"
#include "verify/gaussian.hpp"
#include "verify/montecarlo.hpp"

using namespace verify;
using namespace verify::estimators;

namespace {

constexpr std::size_t kSeeds = 300, kDraws = 4000;

// Over kSeeds seeds: the fraction of |z| > 1.96 (binomial(300, 0.05): mean 15, sd 3.8) and the mean z^2.
void check_calibrated(const std::function<Estimate(std::uint64_t seed)>& run, double truth) {
  std::size_t alarms = 0;
  double z2 = 0;
  for (std::uint64_t s = 1; s <= kSeeds; ++s) {
    const Estimate e = run(s);
    REQUIRE(e.std_error > 0);
    const double z = (e.mean - truth) / e.std_error;
    alarms += std::abs(z) > 1.959964;
    z2 += z * z;
  }
  z2 /= static_cast<double>(kSeeds);
  CAPTURE(alarms);
  CAPTURE(z2);
  CHECK(alarms >= 4);   // about -2.9 sd
  CHECK(alarms <= 28);  // about +3.4 sd
  CHECK(z2 > 0.8);
  CHECK(z2 < 1.25);
}

MonteCarlo::Multi run(std::uint64_t seed, std::size_t n, std::size_t k, const std::function<void(Rng&, std::span<double>)>& f,
                      Sampling sampling = {}) {
  const MonteCarlo mc(seed, 1, "estimators", sampling);
  return mc.means("x", n, k, f);
}

}  // namespace

TEST_CASE("variance_of: Var of N(1, 4) is 4, SE sqrt(2 s^4 / n) for normal data, calibrated over seeds") {
  auto f = [](Rng& r, std::span<double> o) {
    const double x = 1 + 2 * r.normal();
    o[0] = x;
    o[1] = x * x;
  };
  const std::size_t n = 200000;
  const Estimate e = variance_of(run(7, n, 2, f), 0, 1);
  CHECK(e.mean == doctest::Approx(4.0).epsilon(0.02));
  CHECK(e.std_error == doctest::Approx(std::sqrt(2 * 16.0 / n)).epsilon(0.05));
  check_calibrated([&](std::uint64_t s) { return variance_of(run(s, kDraws, 2, f), 0, 1); }, 4.0);
}

TEST_CASE("covariance_of: X = Z1, Y = Z1/2 + Z2 have Cov 1/2 and SE sqrt((s_x^2 s_y^2 + s_xy^2) / n)") {
  auto f = [](Rng& r, std::span<double> o) {
    const double z1 = r.normal(), z2 = r.normal(), x = z1, y = 0.5 * z1 + z2;
    o[0] = x;
    o[1] = y;
    o[2] = x * y;
  };
  const std::size_t n = 200000;
  const Estimate e = covariance_of(run(8, n, 3, f), 0, 1, 2);
  CHECK(e.mean == doctest::Approx(0.5).epsilon(0.02));
  CHECK(e.std_error == doctest::Approx(std::sqrt((1.0 * 1.25 + 0.25) / n)).epsilon(0.05));
  check_calibrated([&](std::uint64_t s) { return covariance_of(run(s, kDraws, 3, f), 0, 1, 2); }, 0.5);
}

TEST_CASE("delta_method: the central-difference gradient agrees with the analytic one") {
  auto f = [](Rng& r, std::span<double> o) {
    const double x = 1 + 2 * r.normal();
    o[0] = x;
    o[1] = x * x;
  };
  const auto m = run(9, 50000, 2, f);
  const Estimate analytic = variance_of(m, 0, 1);
  const Estimate numeric = delta_method(m, [](const std::vector<double>& v) { return v[1] - v[0] * v[0]; });
  CHECK(numeric.mean == analytic.mean);
  CHECK(numeric.std_error == doctest::Approx(analytic.std_error).epsilon(1e-6));
}

TEST_CASE("ratio_of_means: E[2 + Z1] / E[1 + Z1/2 + 0.3 Z2] = 2 with SE 0.6 / sqrt(n)") {
  auto f = [](Rng& r, std::span<double> o) {
    const double z1 = r.normal(), z2 = r.normal();
    o[0] = 2 + z1;
    o[1] = 1 + 0.5 * z1 + 0.3 * z2;
  };
  const std::size_t n = 200000;
  const Estimate e = ratio_of_means(run(10, n, 2, f), 0, 1);
  CHECK(e.mean == doctest::Approx(2.0).epsilon(0.01));
  // Var(A - 2B) / E[B]^2 = Var(-0.6 Z2) = 0.36.
  CHECK(e.std_error == doctest::Approx(0.6 / std::sqrt(static_cast<double>(n))).epsilon(0.05));
  check_calibrated([&](std::uint64_t s) { return ratio_of_means(run(s, kDraws, 2, f), 0, 1); }, 2.0);
}

TEST_CASE("ratio_of_independent: (3 + Z) / (1.5 + Z') = 2 with first-order SE; finite when the numerator is 0") {
  auto ratio = [](std::uint64_t s, std::size_t n) {
    const MonteCarlo mc(s, 1, "estimators");
    const Estimate a = mc.mean("a", n, [](Rng& r) { return 3 + r.normal(); });
    const Estimate b = mc.mean("b", n, [](Rng& r) { return 1.5 + r.normal(); });
    return ratio_of_independent(a, b);
  };
  const std::size_t n = 200000;
  const Estimate e = ratio(11, n);
  CHECK(e.mean == doctest::Approx(2.0).epsilon(0.01));
  CHECK(e.std_error == doctest::Approx(std::hypot(1 / 1.5, 3 / 2.25) / std::sqrt(static_cast<double>(n))).epsilon(0.05));
  check_calibrated([&](std::uint64_t s) { return ratio(s, kDraws); }, 2.0);
  Estimate zero = Estimate::exact(0.0), b = Estimate::exact(2.0);
  zero.std_error = 0.1;
  b.std_error = 0.1;
  zero.samples = b.samples = 100;
  CHECK(ratio_of_independent(zero, b).std_error == doctest::Approx(0.05));
}

TEST_CASE("control_variate_mean: E e^Z with control variates Z and Z^2 - 1; residual SE sqrt((e^2 - 5e/2) / n)") {
  auto f = [](Rng& r, std::span<double> o) {
    const double z = r.normal();
    o[0] = std::exp(z);
    o[1] = z;
    o[2] = z * z - 1;
  };
  const double truth = std::exp(0.5), e1 = std::numbers::e;
  const std::size_t n = 200000;
  const Estimate e = control_variate_mean(run(12, n, 3, f), 0, {1, 2});
  CHECK(e.mean == doctest::Approx(truth).epsilon(0.005));
  // Var e^Z = e^2 - e; Cov(e^Z, Z) = e^{1/2}, Cov(e^Z, Z^2 - 1) = e^{1/2}; Var Z = 1, Var(Z^2 - 1) = 2, uncorrelated.
  CHECK(e.std_error == doctest::Approx(std::sqrt((e1 * e1 - 2.5 * e1) / n)).epsilon(0.05));
  // e^Z is heavy-tailed and the regression is fitted on the same draws: at 4000 draws the stated SE was measured
  // 15% small (mean z^2 1.36, 25 of 300 alarms); at 40000 draws, about the budgets the claims use, it is calibrated.
  check_calibrated([&](std::uint64_t s) { return control_variate_mean(run(s, 10 * kDraws, 3, f), 0, {1, 2}); }, truth);
}

TEST_CASE("control_variate_mean under rqmc: a control variate of zero effective variance leaves the estimate finite") {
  Sampling rq;
  rq.method = Method::rqmc;
  rq.randomisations = 16;
  rq.qmc_dims = 2;
  auto f = [](Rng& r, std::span<double> o) {
    const double z = r.normal();
    o[0] = std::exp(z);
    o[1] = z;
    o[2] = 0.0;  // a control variate the points integrate exactly: zero variance
  };
  const Estimate e = control_variate_mean(run(13, 1 << 14, 3, f, rq), 0, {1, 2});
  CHECK(std::isfinite(e.mean));
  CHECK(std::isfinite(e.std_error));
  CHECK(e.mean == doctest::Approx(std::exp(0.5)).epsilon(0.01));
}

TEST_CASE("log_normal and log_normal_iso: the Gaussian density's definition and Gaussian::log_density") {
  CHECK(log_normal(0.0, 0.0, 1.0) == doctest::Approx(-0.5 * std::log(2 * std::numbers::pi)));
  CHECK(log_normal(3.0, 1.0, 4.0) == doctest::Approx(-0.5 * std::log(8 * std::numbers::pi) - 0.5));
  Vec x(3), m(3);
  x << 0.3, -1.2, 2.0;
  m << 0.1, 0.5, -0.4;
  const double v = 0.7;
  const Gaussian g(m, v * Mat::Identity(3, 3));
  CHECK(log_normal_iso(x, m, v) == doctest::Approx(g.log_density(x)).epsilon(1e-13));
  double sum = 0;
  for (int i = 0; i < 3; ++i) sum += log_normal(x[i], m[i], v);
  CHECK(log_normal_iso(x, m, v) == doctest::Approx(sum).epsilon(1e-13));
}
