#include "verify/gaussian.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace verify {

Gaussian::Gaussian(Vec mean, Mat cov) : mean_(std::move(mean)), cov_(std::move(cov)) {
  const auto d = mean_.size();
  if (d == 0) throw std::invalid_argument("dimension must be at least 1");
  if (cov_.rows() != d || cov_.cols() != d)
    throw std::invalid_argument("covariance is " + std::to_string(cov_.rows()) + "x" + std::to_string(cov_.cols()) +
                                " but the mean has dimension " + std::to_string(d));
  if (!mean_.allFinite() || !cov_.allFinite()) throw std::invalid_argument("mean or covariance is not finite");
  const double asym = (cov_ - cov_.transpose()).cwiseAbs().maxCoeff();
  if (asym > 1e-12 * (1.0 + cov_.cwiseAbs().maxCoeff()))
    throw std::invalid_argument("covariance is not symmetric");
  cov_ = 0.5 * (cov_ + cov_.transpose());
  Eigen::LLT<Mat> llt(cov_);
  if (llt.info() != Eigen::Success) throw std::invalid_argument("covariance is not positive definite");
  chol_ = llt.matrixL();
  const auto diag = chol_.diagonal();
  if ((diag.array() <= 0).any()) throw std::invalid_argument("covariance is not positive definite");
  log_det_ = 2.0 * diag.array().log().sum();
  if (!std::isfinite(log_det_)) throw std::invalid_argument("covariance determinant is not finite");
}

Gaussian Gaussian::isotropic(Vec mean, double variance) {
  const auto d = mean.size();
  return Gaussian(std::move(mean), Mat::Identity(d, d) * variance);
}

double Gaussian::mahalanobis2(const Vec& x) const {
  const Vec r = chol_.triangularView<Eigen::Lower>().solve(x - mean_);
  return r.squaredNorm();
}

double Gaussian::log_density(const Vec& x) const {
  return -0.5 * (dim() * std::log(2.0 * std::numbers::pi) + log_det_ + mahalanobis2(x));
}

Vec Gaussian::score(const Vec& x) const {
  const auto L = chol_.triangularView<Eigen::Lower>();
  const Vec r = L.solve(x - mean_);
  return -L.transpose().solve(r);
}

Vec Gaussian::sample(Rng& rng) const {
  Vec z(dim());
  rng.normals(z.data(), static_cast<std::size_t>(dim()));
  return mean_ + chol_.triangularView<Eigen::Lower>() * z;
}

double Gaussian::entropy() const { return 0.5 * (dim() * (1.0 + std::log(2.0 * std::numbers::pi)) + log_det_); }

double Gaussian::kl_to(const Gaussian& p) const {
  if (p.dim() != dim()) throw std::invalid_argument("KL between Gaussians of different dimensions");
  // KL(q||p) = 1/2 [ tr(S_p^{-1} S_q) + (m_p - m_q)^T S_p^{-1} (m_p - m_q) - d + log det S_p - log det S_q ]
  const auto Lp = p.chol_.triangularView<Eigen::Lower>();
  const Mat A = Lp.solve(chol_);  // L_p^{-1} L_q, so tr(S_p^{-1} S_q) = ||A||_F^2
  const double trace = A.squaredNorm();
  const double maha = p.mahalanobis2(mean_);
  return 0.5 * (trace + maha - dim() + p.log_det_ - log_det_);
}

}  // namespace verify
