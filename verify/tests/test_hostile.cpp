// Hostile but valid numbers: far-tail points, ill-conditioned and extreme covariances, 64 dimensions, the t = 1
// point-mass posterior, the clipped end of the cosine schedule and T = 10,000. Every oracle quantity must be finite
// and agree with an independent closed form (computed here in long double or from an explicit eigendecomposition,
// never through the code under test).
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "verify/case_file.hpp"
#include "verify/diffused.hpp"
#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

using namespace verify;

namespace {

constexpr long double kLog2Pi = 1.8378770664093454835606594728112353L;

bool close(double got, long double want, double rel) {
  return std::isfinite(got) && std::abs(static_cast<long double>(got) - want) <= rel * std::max(1.0L, std::abs(want));
}

// 1-D Gaussian log-density and score in long double.
long double log_normal_1d(long double x, long double m, long double v) {
  return -0.5L * (kLog2Pi + std::log(v) + (x - m) * (x - m) / v);
}

// log(sum_k w_k N(x; m_k, v_k)) by log-sum-exp in long double, and the score.
struct Mix1d {
  std::vector<long double> w, m, v;
  long double log_density(long double x) const {
    long double mx = -INFINITY;
    for (std::size_t k = 0; k < w.size(); ++k) mx = std::max(mx, std::log(w[k]) + log_normal_1d(x, m[k], v[k]));
    long double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k) s += std::exp(std::log(w[k]) + log_normal_1d(x, m[k], v[k]) - mx);
    return mx + std::log(s);
  }
  long double score(long double x) const {
    const long double lp = log_density(x);
    long double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k)
      s += std::exp(std::log(w[k]) + log_normal_1d(x, m[k], v[k]) - lp) * (-(x - m[k]) / v[k]);
    return s;
  }
};

GaussianMixture mixture_1d(const Mix1d& m) {
  std::vector<double> w;
  std::vector<Gaussian> comps;
  for (std::size_t k = 0; k < m.w.size(); ++k) {
    w.push_back(static_cast<double>(m.w[k]));
    comps.push_back(Gaussian::isotropic(Vec::Constant(1, static_cast<double>(m.m[k])), static_cast<double>(m.v[k])));
  }
  return GaussianMixture(w, comps);
}

Vec v1(double x) { return Vec::Constant(1, x); }

}  // namespace

TEST_CASE("single-component mixture equals its Gaussian at far-tail points") {
  const Gaussian g = Gaussian::isotropic(v1(0.5), 0.25);
  const GaussianMixture m({1.0}, {g});
  for (double x : {0.0, 1e3, -1e3, 1e6, -1e6}) {
    const long double want = log_normal_1d(x, 0.5L, 0.25L);
    CHECK(close(m.log_density(v1(x)), want, 1e-14));
    CHECK(close(g.log_density(v1(x)), want, 1e-14));
    CHECK(close(m.score(v1(x))[0], -(x - 0.5L) / 0.25L, 1e-14));
  }
}

TEST_CASE("three-component 1-D mixture: log-density and score in the far tails") {
  const Mix1d ref{{0.5L, 0.3L, 0.2L}, {-2.0L, 0.5L, 3.0L}, {0.25L, 1.0L, 0.09L}};
  const GaussianMixture m = mixture_1d(ref);
  for (double x : {-1e6, -1e3, -40.0, 0.0, 40.0, 1e3, 1e6}) {
    CHECK(close(m.log_density(v1(x)), ref.log_density(x), 1e-13));
    CHECK(close(m.score(v1(x))[0], ref.score(x), 1e-12));
    const Vec r = m.responsibilities(v1(x));
    CHECK(r.allFinite());
    CHECK(std::abs(r.sum() - 1.0) < 1e-12);
  }
}

TEST_CASE("tiny (1e-12) and large (1e6) variances") {
  const Mix1d ref{{0.3L, 0.7L}, {1.0L, -5.0L}, {1e-12L, 1e6L}};
  const GaussianMixture m = mixture_1d(ref);
  for (double x : {1.0, 1.0 + 1e-6, 1.0 - 3e-6, 0.0, -5.0, 1e3, -1e6, 1e6}) {
    CHECK(close(m.log_density(v1(x)), ref.log_density(x), 1e-12));
    CHECK(close(m.score(v1(x))[0], ref.score(x), 1e-9));
  }
  // At the narrow component's mean its density dominates: log p = log 0.3 - log(2 pi 1e-12)/2 (+ a negligible term).
  CHECK(close(m.log_density(v1(1.0)), ref.log_density(1.0L), 1e-14));
  // Diffusing it: the narrow component's marginal variance is a^2 1e-12 + (1 - alpha_bar), still exact.
  const NoiseSchedule s = NoiseSchedule::linear(1000);
  for (int t : {1, 2, 500, 1000}) {
    const double ab = s.alpha_bar(t), a = std::sqrt(ab);
    const Mix1d d{{0.3L, 0.7L}, {a * 1.0L, a * -5.0L}, {ab * 1e-12L + (1 - ab), ab * 1e6L + (1 - ab)}};
    const GaussianMixture q = diffused_mixture(m, s, t);
    for (double x : {0.0, 1e3, -1e6}) {
      CHECK(close(q.log_density(v1(x)), d.log_density(x), 1e-11));
      CHECK(close(q.score(v1(x))[0], d.score(x), 1e-9));
      CHECK(posterior_mean(m, LinearGaussianNoise::ddpm(s, t, 1), v1(x)).allFinite());
    }
  }
}

TEST_CASE("condition number 1e10: log-density and score against the explicit eigendecomposition") {
  const double c = std::cos(std::numbers::pi / 6), sn = std::sin(std::numbers::pi / 6);
  Mat R(2, 2);
  R << c, -sn, sn, c;
  const Vec lambda = (Vec(2) << 1.0, 1e-10).finished();
  const Mat S = R * lambda.asDiagonal() * R.transpose();
  const Vec mu = (Vec(2) << 0.3, -0.7).finished();
  const Gaussian g(mu, S);
  const GaussianMixture m({1.0}, {g});
  for (const Vec& x : {mu, Vec((Vec(2) << 1.3, -0.7).finished()), Vec((Vec(2) << 1e3, -1e3).finished()),
                       Vec((Vec(2) << 0.3 + 1e-5 * c, -0.7 + 1e-5 * sn).finished())}) {
    // In the eigenbasis: z = R^T (x - mu); log p = -(2 log 2pi + sum log lambda + sum z_i^2 / lambda_i) / 2.
    const Vec z = R.transpose() * (x - mu);
    const long double maha = static_cast<long double>(z[0]) * z[0] / lambda[0] + static_cast<long double>(z[1]) * z[1] / lambda[1];
    const long double want = -0.5L * (2 * kLog2Pi + std::log(1.0L) + std::log(1e-10L) + maha);
    // Cholesky solves lose about cond * eps = 1e-6 relative accuracy in the Mahalanobis term.
    CHECK(close(m.log_density(x), want, 1e-5));
    const Vec score_ref = -(R * (z.array() / lambda.array()).matrix());
    const Vec score = m.score(x);
    CHECK(score.allFinite());
    CHECK((score - score_ref).norm() <= 1e-5 * std::max(1.0, score_ref.norm()));
  }
  // Accepted by the loader (condition number 1e10 is inside the 1e12 limit).
  const GaussianMixture loaded = load_mixture_file("verify/tests/data/hostile/ill_conditioned_2d.toml");
  CHECK(loaded.dim() == 2);
  CHECK(std::isfinite(loaded.log_density(Vec::Constant(2, 1e6))));
}

TEST_CASE("64 dimensions: single component equals the Gaussian; posterior mean matches the Kalman formula") {
  const GaussianMixture mix = load_mixture_file("verify/tests/data/hostile/dim64.toml");
  REQUIRE(mix.dim() == 64);
  const Gaussian& g = mix.components()[0];
  const GaussianMixture single({1.0}, {g});
  // Independent reference via LDLT and an explicit inverse.
  const Mat Sinv = g.cov().ldlt().solve(Mat::Identity(64, 64));
  const double logdet = g.cov().ldlt().vectorD().array().log().sum();
  for (double scale : {0.0, 1.0, 1e3, 1e6}) {
    const Vec x = g.mean() + Vec::LinSpaced(64, -1.0, 1.0) * scale;
    const Vec d = x - g.mean();
    const long double want = -0.5L * (64 * kLog2Pi + logdet + static_cast<long double>(d.dot(Sinv * d)));
    CHECK(close(single.log_density(x), want, 1e-10));
    CHECK((single.score(x) + Sinv * d).norm() <= 1e-9 * std::max(1.0, (Sinv * d).norm()));
    CHECK(std::isfinite(mix.log_density(x)));
    CHECK(mix.score(x).allFinite());
  }
  const NoiseSchedule s = NoiseSchedule::cosine(1000);
  for (int t : {1, 500, 1000}) {
    const auto noise = LinearGaussianNoise::ddpm(s, t, 64);
    const Vec y = Vec::LinSpaced(64, -3.0, 3.0) * 1e3;
    // E[x0 | y] for one Gaussian: mu + a S (a^2 S + R)^{-1} (y - a mu).
    const Mat M = noise.a * noise.a * g.cov() + noise.R;
    const Vec want = g.mean() + noise.a * g.cov() * M.ldlt().solve(y - noise.a * g.mean());
    const Vec got = posterior_mean(single, noise, y);
    CHECK((got - want).norm() <= 1e-8 * std::max(1.0, want.norm()));
    CHECK(posterior_mean(mix, noise, y).allFinite());
    CHECK(posterior_cov(mix, noise, y).allFinite());
  }
}

TEST_CASE("t = 1: beta_tilde_1 = 0 exactly, and a point-mass posterior is refused, not computed") {
  for (const NoiseSchedule& s : {NoiseSchedule::linear(1000), NoiseSchedule::cosine(1000), NoiseSchedule::linear(10000)}) {
    CHECK(s.beta_tilde(1) == 0.0);
    CHECK(s.posterior_coef_x0(1) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(s.posterior_coef_xt(1) == 0.0);
  }
  const GaussianMixture m({0.5, 0.5}, {Gaussian::isotropic(v1(-1), 0.3), Gaussian::isotropic(v1(2), 0.1)});
  // q(x_{t-1} | x_t, x_0) at t = 1 has variance beta_tilde_1 = 0: as noise, R = 0 has no density.
  CHECK_THROWS_AS(posterior_of_x0(m, LinearGaussianNoise::isotropic(1.0, 0.0, 1), v1(0.0)), std::invalid_argument);
  // E[x0 | x_1] itself is well defined and close to x_1 / sqrt(alpha_bar_1) for a point inside the data.
  const NoiseSchedule s = NoiseSchedule::linear(1000);
  const Vec pm = posterior_mean(m, LinearGaussianNoise::ddpm(s, 1, 1), v1(2.0));
  CHECK(pm.allFinite());
  CHECK(std::abs(pm[0] - 2.0) < 1e-3);
}

TEST_CASE("cosine end (alpha_bar_T about 2e-9) and T = 10,000: every schedule quantity finite") {
  const NoiseSchedule c1000 = NoiseSchedule::cosine(1000);
  CHECK(c1000.alpha_bar(1000) > 1e-9);
  CHECK(c1000.alpha_bar(1000) < 1e-8);
  CHECK(!c1000.clipped().empty());
  for (const NoiseSchedule& s : {c1000, NoiseSchedule::cosine(10000), NoiseSchedule::linear(10000)}) {
    double prev = 1.0;
    for (int t = 1; t <= s.T(); ++t) {
      const double ab = s.alpha_bar(t);
      REQUIRE(ab > 0);
      REQUIRE(ab < prev);
      prev = ab;
      REQUIRE(std::isfinite(s.beta_tilde(t)));
      REQUIRE(s.beta_tilde(t) <= s.beta(t));
      if (t > 1) REQUIRE(s.beta_tilde(t) > 0);
      REQUIRE(std::isfinite(s.snr(t)));
      REQUIRE(std::isfinite(s.posterior_coef_x0(t)));
      REQUIRE(std::isfinite(s.posterior_coef_xt(t)));
    }
  }
  // At the end of the cosine schedule the data are almost forgotten: the posterior mean of a single Gaussian is
  // mu + a S (a^2 S + 1 - a^2)^{-1} (y - a mu), evaluated in long double.
  const Mix1d ref{{1.0L}, {1.5L}, {0.4L}};
  const GaussianMixture m = mixture_1d(ref);
  const int T = c1000.T();
  const long double ab = c1000.alpha_bar(T), a = std::sqrt(ab);
  for (double y : {0.0, 1e3, -1e6}) {
    const long double want = 1.5L + a * 0.4L / (ab * 0.4L + (1 - ab)) * (y - a * 1.5L);
    CHECK(close(posterior_mean(m, LinearGaussianNoise::ddpm(c1000, T, 1), v1(y))[0], want, 1e-12));
    const GaussianMixture q = diffused_mixture(m, c1000, T);
    CHECK(close(q.log_density(v1(y)), log_normal_1d(y, a * 1.5L, ab * 0.4L + (1 - ab)), 1e-13));
  }
}

TEST_CASE("posterior covariance when the prior variance dwarfs the noise (fuzzer finding: S = 1e19, R = 1e-10)") {
  // Exact: posterior variance = S R / (a^2 S + R); the Kalman update S - a K S cancels catastrophically here.
  for (long double S : {1.0L, 1e6L, 1e12L, 1e15L, 1e19L}) {
    CAPTURE(static_cast<double>(S));
    const GaussianMixture m({1.0}, {Gaussian::isotropic(v1(0.0), static_cast<double>(S))});
    const auto noise = LinearGaussianNoise::isotropic(1.0, 1e-10, 1);
    const GaussianMixture post = posterior_of_x0(m, noise, v1(3.0));
    const long double want = S * 1e-10L / (S + 1e-10L);
    CHECK(std::abs(post.components()[0].cov()(0, 0) - want) <= 1e-9L * want);
    CHECK(close(post.mean()[0], 3.0L * S / (S + 1e-10L), 1e-12));
  }
  const GaussianMixture m({1.0}, {Gaussian::isotropic(v1(0.0), 1e19)});
  // Same through the DDPM chain: custom schedule with beta_1 = 1e-10.
  const NoiseSchedule s = NoiseSchedule::custom({1e-10, 0.5});
  CHECK(posterior_cov(m, LinearGaussianNoise::ddpm(s, 1, 1), v1(1e3)).allFinite());
}
