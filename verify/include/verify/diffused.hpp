#pragma once
// Exact consequences of Gaussian noise applied to mixture data.
//
// Observation model used throughout: y = a x0 + n, x0 ~ mixture, n ~ N(0, R), independent.
//   DDPM forward marginal at step t: a = sqrt(alpha_bar_t), R = (1 - alpha_bar_t) I.
//   Variance-exploding noise of scale s: a = 1, R = s^2 I.
//   Tweedie's theorem with a general noise covariance: a = 1, R = Sigma_z.
// The marginal of y is again a mixture, and p(x0 | y) is a mixture of Gaussian posteriors
// reweighted by each component's evidence (Bayes' rule, computed here in closed form).
#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

namespace verify {

struct LinearGaussianNoise {
  double a = 1.0;
  Mat R;  // noise covariance
  static LinearGaussianNoise ddpm(const NoiseSchedule& s, int t, int dim);
  static LinearGaussianNoise isotropic(double a, double noise_variance, int dim);
};

// Law of y = a x0 + n: components N(a mu_k, a^2 Sigma_k + R) with the same weights.
GaussianMixture noisy_marginal(const GaussianMixture& prior, const LinearGaussianNoise& noise);

// Law of x0 given y: a mixture of the per-component Gaussian posteriors. Needs R positive definite
// (a point-mass posterior, e.g. R = 0, has no density and is refused with std::invalid_argument).
GaussianMixture posterior_of_x0(const GaussianMixture& prior, const LinearGaussianNoise& noise, const Vec& y);

// E[x0 | y] and Cov[x0 | y] from the posterior mixture.
Vec posterior_mean(const GaussianMixture& prior, const LinearGaussianNoise& noise, const Vec& y);
Mat posterior_cov(const GaussianMixture& prior, const LinearGaussianNoise& noise, const Vec& y);

// Convenience for the DDPM forward marginal q(x_t).
inline GaussianMixture diffused_mixture(const GaussianMixture& data, const NoiseSchedule& s, int t) {
  return noisy_marginal(data, LinearGaussianNoise::ddpm(s, t, data.dim()));
}

}  // namespace verify
