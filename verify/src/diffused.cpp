#include "verify/diffused.hpp"

#include <cmath>
#include <stdexcept>

namespace verify {

LinearGaussianNoise LinearGaussianNoise::ddpm(const NoiseSchedule& s, int t, int dim) {
  const double ab = s.alpha_bar(t);
  return {std::sqrt(ab), Mat::Identity(dim, dim) * (1.0 - ab)};
}

LinearGaussianNoise LinearGaussianNoise::isotropic(double a, double noise_variance, int dim) {
  return {a, Mat::Identity(dim, dim) * noise_variance};
}

GaussianMixture noisy_marginal(const GaussianMixture& prior, const LinearGaussianNoise& n) {
  std::vector<Gaussian> comps;
  comps.reserve(prior.size());
  for (const auto& c : prior.components()) comps.emplace_back(n.a * c.mean(), n.a * n.a * c.cov() + n.R);
  return GaussianMixture(prior.weights(), std::move(comps));
}

GaussianMixture posterior_of_x0(const GaussianMixture& prior, const LinearGaussianNoise& n, const Vec& y) {
  Eigen::LLT<Mat> r_llt(n.R);
  if (n.R.size() == 0 || r_llt.info() != Eigen::Success)
    throw std::invalid_argument("noise covariance is not positive definite: the posterior is a point mass");
  const GaussianMixture marginal = noisy_marginal(prior, n);
  // Component weights: w_k N(y; a mu_k, a^2 S_k + R) / p(y), i.e. the marginal's responsibilities.
  const Vec r = marginal.responsibilities(y);
  std::vector<double> w(prior.size());
  std::vector<Gaussian> comps;
  comps.reserve(prior.size());
  for (std::size_t k = 0; k < prior.size(); ++k) {
    const auto& c = prior.components()[k];
    const Mat& S = c.cov();
    const Mat& M = marginal.components()[k].cov();  // a^2 S + R
    Eigen::LLT<Mat> m_llt(M);
    // Kalman form: gain K = a S M^{-1}; mean = mu + K (y - a mu); cov = S - a K S.
    const Mat K = m_llt.solve(n.a * S).transpose();
    Vec mean = c.mean() + K * (y - n.a * c.mean());
    Mat cov = S - n.a * K * S;
    cov = 0.5 * (cov + cov.transpose());
    // S - a K S cancels when the prior variance dwarfs the noise (e.g. S = 1e19, R = 1e-10): it loses relative
    // accuracy eps * S_ii / cov_ii and can even come out not positive definite. There, use the Joseph form, a sum
    // of positive semi-definite terms: (I - aK) S (I - aK)^T + K R K^T, with I - aK = R M^{-1} exactly
    // (M = a^2 S + R), so nothing is subtracted. Elsewhere the (cheaper) Kalman form is kept unchanged.
    auto joseph = [&] {
      const Mat B = m_llt.solve(n.R);  // M^{-1} R, so I - aK = B^T
      Mat j = B.transpose() * S * B + K * n.R * K.transpose();
      return Mat(0.5 * (j + j.transpose()));
    };
    const bool cancelled = (cov.diagonal().array() < 1e-6 * S.diagonal().array()).any();
    if (cancelled) cov = joseph();
    try {
      comps.emplace_back(mean, std::move(cov));
    } catch (const std::invalid_argument&) {
      if (cancelled) throw;
      comps.emplace_back(std::move(mean), joseph());
    }
    w[k] = r[static_cast<Eigen::Index>(k)];
  }
  // Responsibilities far from every component can underflow to 0; keep them tiny but positive so the
  // posterior stays a valid mixture, then renormalise.
  double sum = 0;
  for (double& x : w) {
    x = std::max(x, 1e-300);
    sum += x;
  }
  for (double& x : w) x /= sum;
  return GaussianMixture(std::move(w), std::move(comps));
}

Vec posterior_mean(const GaussianMixture& prior, const LinearGaussianNoise& n, const Vec& y) {
  return posterior_of_x0(prior, n, y).mean();
}

Mat posterior_cov(const GaussianMixture& prior, const LinearGaussianNoise& n, const Vec& y) {
  return posterior_of_x0(prior, n, y).covariance();
}

}  // namespace verify
