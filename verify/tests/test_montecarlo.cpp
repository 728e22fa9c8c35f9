// Monte Carlo engine and statistics: determinism across thread counts, SE of integrands with known
// variance, moment merging, p-values and quantiles against Boost.Math, Holm's procedure.
#include <doctest/doctest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "verify/montecarlo.hpp"
#include "verify/verdict.hpp"

using namespace verify;

TEST_CASE("Same seed gives bit-identical estimates for 1 and 2 threads") {
  const MonteCarlo a(42, 1, "case"), b(42, 2, "case");
  auto f = [](Rng& r) { return r.normal() * r.normal() + r.uniform(); };
  const Estimate ea = a.mean("s", 100000, f), eb = b.mean("s", 100000, f);
  CHECK(ea.mean == eb.mean);
  CHECK(ea.std_error == eb.std_error);
  CHECK(ea.skewness == eb.skewness);
  const auto ma = a.means("m", 50000, 2, [](Rng& r, std::span<double> o) { o[0] = r.normal(); o[1] = o[0] * o[0]; });
  const auto mb = b.means("m", 50000, 2, [](Rng& r, std::span<double> o) { o[0] = r.normal(); o[1] = o[0] * o[0]; });
  CHECK(ma.estimates[1].mean == mb.estimates[1].mean);
  CHECK(ma.cov(0, 1) == mb.cov(0, 1));
}

TEST_CASE("Different streams and seeds give different numbers") {
  const MonteCarlo a(1, 1, "case");
  auto f = [](Rng& r) { return r.normal(); };
  CHECK(a.mean("x", 1000, f).mean != a.mean("y", 1000, f).mean);
  CHECK(MonteCarlo(2, 1, "case").mean("x", 1000, f).mean != a.mean("x", 1000, f).mean);
}

TEST_CASE("Normals have mean 0, variance 1, kurtosis 3; SE matches the known variance") {
  const MonteCarlo mc(7, 2);
  const std::size_t n = 1'000'000;
  const Estimate e = mc.mean("z", n, [](Rng& r) { return r.normal(); });
  CHECK(std::abs(e.mean) < 5.0 / std::sqrt(n));
  CHECK(e.std_dev == doctest::Approx(1.0).epsilon(0.005));
  CHECK(e.std_error == doctest::Approx(1.0 / std::sqrt(n)).epsilon(0.005));
  CHECK(std::abs(e.excess_kurtosis) < 0.03);
  // Integrand Z^2 has mean 1, variance 2.
  const Estimate e2 = mc.mean("z2", n, [](Rng& r) { const double z = r.normal(); return z * z; });
  CHECK(std::abs(e2.mean - 1.0) < 5 * std::sqrt(2.0 / n));
  CHECK(e2.std_dev == doctest::Approx(std::sqrt(2.0)).epsilon(0.01));
}

TEST_CASE("Uniforms lie strictly inside (0, 1)") {
  Rng r(0, 0, 0);
  for (int i = 0; i < 100000; ++i) {
    const double u = r.uniform();
    REQUIRE(u > 0.0);
    REQUIRE(u < 1.0);
  }
}

TEST_CASE("Moment merging equals one-pass accumulation") {
  Moments all, a, b;
  Rng r(3, 3, 3);
  for (int i = 0; i < 1000; ++i) {
    const double x = std::exp(r.normal());
    all.add(x);
    (i < 300 ? a : b).add(x);
  }
  a.merge(b);
  CHECK(a.mean == doctest::Approx(all.mean).epsilon(1e-13));
  CHECK(a.variance() == doctest::Approx(all.variance()).epsilon(1e-12));
  CHECK(a.skewness() == doctest::Approx(all.skewness()).epsilon(1e-10));
  CHECK(a.excess_kurtosis() == doctest::Approx(all.excess_kurtosis()).epsilon(1e-10));
}

TEST_CASE("p-values and quantiles agree with Boost.Math") {
  boost::math::normal N;
  CHECK(two_sided_p(1.959963984540054) == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(upper_p(3.0) == doctest::Approx(boost::math::cdf(boost::math::complement(N, 3.0))).epsilon(1e-15));
  CHECK(normal_quantile(0.99) == doctest::Approx(2.3263478740408408).epsilon(1e-14));
  CHECK(two_sided_p(40.0) >= 0.0);
}

TEST_CASE("Holm: step-down rejections and levels") {
  std::vector<double> lv;
  const auto r = holm({0.01, 0.04, 0.03, 0.5}, 0.05, &lv);
  // Sorted: 0.01 (<= 0.05/4), 0.03 (> 0.05/3 stops).
  CHECK(r == std::vector<bool>{true, false, false, false});
  CHECK(lv[0] == doctest::Approx(0.0125));
  CHECK(lv[2] == doctest::Approx(0.05 / 3));
}

TEST_CASE("Verdicts: exact boundary of the refutation test") {
  // One check at alpha = 0.01: z just above and just below the two-sided critical value.
  const double zc = normal_quantile(1 - 0.005);
  Check c;
  c.estimate.std_error = 1.0;
  c.estimate.samples = 1000;
  c.reference = 0.0;
  c.scale = 1000.0;  // large scale: tolerance is easy to meet
  c.estimate.mean = zc * (1 + 1e-9);
  CHECK(assess({c}, {0.01}, 0.01)[0].verdict == Verdict::refuted);
  c.estimate.mean = zc * (1 - 1e-9);
  CHECK(assess({c}, {0.01}, 0.01)[0].verdict == Verdict::holds);
  // Power: minimum detectable discrepancy is (z_{1-a/2} + z_{0.99}) SE.
  CHECK(assess({c}, {0.01}, 0.01)[0].min_detectable == doctest::Approx(zc + normal_quantile(0.99)));
  // Tolerance smaller than the detectable discrepancy: inconclusive, never holds.
  c.scale = 1.0;
  c.estimate.mean = 0.0;
  CHECK(assess({c}, {0.01}, 0.01)[0].verdict == Verdict::inconclusive);
}

TEST_CASE("Equivalence and one-sided verdicts") {
  Check c;
  c.kind = TestKind::equivalence;
  c.margin = 1.0;
  c.estimate.std_error = 0.01;
  c.estimate.mean = 0.5;
  CHECK(assess({c}, {0.01}, 0.001)[0].verdict == Verdict::holds);
  c.estimate.mean = 1.2;
  CHECK(assess({c}, {0.01}, 0.001)[0].verdict == Verdict::refuted);
  c.estimate.mean = 0.99;
  CHECK(assess({c}, {0.01}, 0.001)[0].verdict == Verdict::inconclusive);
  Check u;
  u.kind = TestKind::at_most;
  u.estimate.std_error = 0.001;
  u.reference = 1.0;
  u.estimate.mean = 0.5;  // far below the bound: holds
  CHECK(assess({u}, {0.01}, 0.001)[0].verdict == Verdict::holds);
  u.estimate.mean = 1.01;
  CHECK(assess({u}, {0.01}, 0.001)[0].verdict == Verdict::refuted);
}

TEST_CASE("Clopper-Pearson interval") {
  const auto [lo, hi] = clopper_pearson(5, 100, 0.95);
  CHECK(lo == doctest::Approx(0.01643).epsilon(1e-3));
  CHECK(hi == doctest::Approx(0.11284).epsilon(1e-3));
}
