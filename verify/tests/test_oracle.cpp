// Exact oracle: Gaussian, mixture, diffused mixture and posterior.
// Expected values come from closed forms evaluated independently here, from Boost.Math quadrature
// (Gauss-Kronrod, 61 points, adaptive) and from central finite differences.
#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <limits>
#include <numbers>

#include "verify/diffused.hpp"
#include "verify/mixture.hpp"

using namespace verify;
using boost::math::quadrature::gauss_kronrod;

namespace {
Vec v1(double x) { return Vec::Constant(1, x); }
Mat m1(double x) { return Mat::Constant(1, 1, x); }

GaussianMixture mix1d() {
  return GaussianMixture({0.5, 0.3, 0.2}, {Gaussian(v1(-2.0), m1(0.25)), Gaussian(v1(0.5), m1(1.0)), Gaussian(v1(3.0), m1(0.09))});
}
GaussianMixture mix2d() {
  Mat a(2, 2), b(2, 2), c(2, 2);
  a << 0.3, 0.1, 0.1, 0.2;
  b << 0.5, 0.0, 0.0, 0.5;
  c << 0.2, -0.05, -0.05, 0.4;
  Vec ma(2), mb(2), mc(2);
  ma << -2.0, 0.0;
  mb << 1.5, 1.0;
  mc << 0.0, -2.5;
  return GaussianMixture({0.5, 0.3, 0.2}, {Gaussian(ma, a), Gaussian(mb, b), Gaussian(mc, c)});
}
double integrate(const std::function<double(double)>& f) {
  return gauss_kronrod<double, 61>::integrate(f, -std::numeric_limits<double>::infinity(),
                                              std::numeric_limits<double>::infinity(), 15, 1e-13);
}
}  // namespace

TEST_CASE("1-D Gaussian log-density matches the closed form") {
  const Gaussian g(v1(0.7), m1(2.5));
  const double x = -1.2;
  const double expected = -0.5 * std::log(2 * std::numbers::pi * 2.5) - (x - 0.7) * (x - 0.7) / (2 * 2.5);
  CHECK(g.log_density(v1(x)) == doctest::Approx(expected).epsilon(1e-14));
  CHECK(g.entropy() == doctest::Approx(0.5 * std::log(2 * std::numbers::pi * std::numbers::e * 2.5)).epsilon(1e-14));
}

TEST_CASE("Gaussian KL closed form matches quadrature in 1-D") {
  const Gaussian q(v1(0.3), m1(0.4)), p(v1(-1.1), m1(1.7));
  const double quad = integrate([&](double x) {
    const double lq = q.log_density(v1(x));
    return std::exp(lq) * (lq - p.log_density(v1(x)));
  });
  CHECK(q.kl_to(p) == doctest::Approx(quad).epsilon(1e-10));
  CHECK(q.kl_to(q) == doctest::Approx(0.0));
}

TEST_CASE("Multivariate KL: scalar formula per coordinate for diagonal covariances") {
  Vec m1v(2), m2v(2);
  m1v << 0.1, -0.4;
  m2v << 1.0, 0.5;
  Mat s1 = Mat::Zero(2, 2), s2 = Mat::Zero(2, 2);
  s1.diagonal() << 0.5, 2.0;
  s2.diagonal() << 1.5, 0.7;
  double expected = 0;
  for (int i = 0; i < 2; ++i) {
    const double a = s1(i, i), b = s2(i, i), d = m1v[i] - m2v[i];
    expected += 0.5 * (std::log(b / a) + a / b + d * d / b - 1);
  }
  CHECK(Gaussian(m1v, s1).kl_to(Gaussian(m2v, s2)) == doctest::Approx(expected).epsilon(1e-14));
}

TEST_CASE("Mixture density integrates to 1 and its moments match quadrature (1-D)") {
  const auto m = mix1d();
  const double mass = integrate([&](double x) { return std::exp(m.log_density(v1(x))); });
  CHECK(mass == doctest::Approx(1.0).epsilon(1e-12));
  const double mean = integrate([&](double x) { return x * std::exp(m.log_density(v1(x))); });
  CHECK(m.mean()[0] == doctest::Approx(mean).epsilon(1e-12));
  const double second = integrate([&](double x) { return x * x * std::exp(m.log_density(v1(x))); });
  CHECK(m.covariance()(0, 0) == doctest::Approx(second - mean * mean).epsilon(1e-12));
}

TEST_CASE("Mixture log-density stays finite far in the tails") {
  const auto m = mix2d();
  Vec x(2);
  x << 1e6, -1e6;
  const double ld = m.log_density(x);
  CHECK(std::isfinite(ld));
  CHECK(ld < -1e11);
  const Vec s = m.score(x);
  CHECK(s.allFinite());
}

TEST_CASE("Mixture score equals central finite differences of the log-density") {
  const auto m = mix2d();
  Vec x(2);
  x << 0.3, -0.7;
  const Vec s = m.score(x);
  const double h = 1e-5;
  for (int i = 0; i < 2; ++i) {
    Vec xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (m.log_density(xp) - m.log_density(xm)) / (2 * h);
    CHECK(s[i] == doctest::Approx(fd).epsilon(1e-7));
  }
}

TEST_CASE("Diffused mixture: q(x_t) density equals the convolution by quadrature (1-D)") {
  const auto data = mix1d();
  const auto sched = NoiseSchedule::linear(1000);
  const int t = 300;
  const double ab = sched.alpha_bar(t);
  const auto qt = diffused_mixture(data, sched, t);
  const double x = 0.4;
  const double conv = integrate([&](double x0) {
    const double r = x - std::sqrt(ab) * x0;
    return std::exp(data.log_density(v1(x0))) * std::exp(-r * r / (2 * (1 - ab))) / std::sqrt(2 * std::numbers::pi * (1 - ab));
  });
  CHECK(std::exp(qt.log_density(v1(x))) == doctest::Approx(conv).epsilon(1e-11));
}

TEST_CASE("Posterior mean E[x0|x_t] equals the Bayes-rule ratio of integrals (1-D)") {
  const auto data = mix1d();
  const auto sched = NoiseSchedule::linear(1000);
  const int t = 200;
  const double ab = sched.alpha_bar(t);
  const double x = -0.8;
  auto joint = [&](double x0) {
    const double r = x - std::sqrt(ab) * x0;
    return std::exp(data.log_density(v1(x0)) - r * r / (2 * (1 - ab)));
  };
  const double num = integrate([&](double x0) { return x0 * joint(x0); });
  const double den = integrate(joint);
  const auto noise = LinearGaussianNoise::ddpm(sched, t, 1);
  CHECK(posterior_mean(data, noise, v1(x))[0] == doctest::Approx(num / den).epsilon(1e-11));
  const double second = integrate([&](double x0) { return x0 * x0 * joint(x0); }) / den;
  CHECK(posterior_cov(data, noise, v1(x))(0, 0) == doctest::Approx(second - (num / den) * (num / den)).epsilon(1e-9));
}

TEST_CASE("A point-mass posterior (zero noise) is refused, not computed") {
  const auto data = mix1d();
  LinearGaussianNoise n{1.0, Mat::Zero(1, 1)};
  CHECK_THROWS_AS(posterior_of_x0(data, n, v1(0.0)), std::invalid_argument);
}

TEST_CASE("Invalid Gaussians and mixtures are rejected") {
  Mat bad(2, 2);
  bad << 1.0, 2.0, 2.0, 1.0;  // indefinite
  CHECK_THROWS_AS(Gaussian(Vec::Zero(2), bad), std::invalid_argument);
  Mat asym(2, 2);
  asym << 1.0, 0.1, 0.0, 1.0;
  CHECK_THROWS_AS(Gaussian(Vec::Zero(2), asym), std::invalid_argument);
  CHECK_THROWS_AS(Gaussian(Vec::Zero(2), Mat::Identity(3, 3)), std::invalid_argument);
  CHECK_THROWS_AS(GaussianMixture({0.5, 0.6}, {Gaussian(v1(0), m1(1)), Gaussian(v1(1), m1(1))}), std::invalid_argument);
  CHECK_THROWS_AS(GaussianMixture({1.0, 0.0}, {Gaussian(v1(0), m1(1)), Gaussian(v1(1), m1(1))}), std::invalid_argument);
}
