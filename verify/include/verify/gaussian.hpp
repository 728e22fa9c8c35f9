#pragma once
// Multivariate normal N(mean, cov) with a cached Cholesky factor.
#include <Eigen/Dense>

#include "verify/rng.hpp"

namespace verify {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

class Gaussian {
 public:
  // Throws std::invalid_argument when cov is not symmetric positive definite or sizes differ.
  Gaussian(Vec mean, Mat cov);
  static Gaussian isotropic(Vec mean, double variance);

  int dim() const { return static_cast<int>(mean_.size()); }
  const Vec& mean() const { return mean_; }
  const Mat& cov() const { return cov_; }
  const Mat& chol() const { return chol_; }  // lower factor L, cov = L L^T
  double log_det() const { return log_det_; }

  double log_density(const Vec& x) const;
  // Gradient of the log-density: -cov^{-1} (x - mean).
  Vec score(const Vec& x) const;
  // Squared Mahalanobis distance (x-mean)^T cov^{-1} (x-mean).
  double mahalanobis2(const Vec& x) const;
  // mean + L z with z ~ N(0, I) drawn from rng.
  Vec sample(Rng& rng) const;
  double entropy() const;  // nats
  // Closed-form KL(this || other) in nats.
  double kl_to(const Gaussian& other) const;

 private:
  Vec mean_;
  Mat cov_;
  Mat chol_;
  double log_det_ = 0.0;
};

}  // namespace verify
