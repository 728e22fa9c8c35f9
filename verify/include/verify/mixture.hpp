#pragma once
// Gaussian mixture with full covariances: the toy data distribution whose density, score and posterior
// are known exactly.
#include <vector>

#include "verify/gaussian.hpp"

namespace verify {

class GaussianMixture {
 public:
  // Throws std::invalid_argument on empty input, non-positive weights, weights not summing to 1 within
  // 1e-12, or components of different dimensions.
  GaussianMixture(std::vector<double> weights, std::vector<Gaussian> components);

  int dim() const { return components_.front().dim(); }
  std::size_t size() const { return components_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<Gaussian>& components() const { return components_; }

  // log p(x) by log-sum-exp over components: finite for points far in the tails.
  double log_density(const Vec& x) const;
  // grad_x log p(x) = sum_k r_k(x) * (-cov_k^{-1} (x - mean_k)).
  Vec score(const Vec& x) const;
  // Posterior component probabilities r_k(x) = w_k N_k(x) / p(x).
  Vec responsibilities(const Vec& x) const;
  // Draws a component index then a point; returns the point, writes the index if asked.
  Vec sample(Rng& rng, int* component = nullptr) const;
  Vec mean() const;
  Mat covariance() const;

  // Batch evaluation, points as the columns of X (dim x n); out is resized once, nothing is allocated per
  // point. Uses precomputed inverse Cholesky factors and log-normalisers, processed in chunks of points
  // with our vectorised exp/log (verify/kernels.hpp): agrees with the per-point functions to a few ulps,
  // not bit for bit (the per-point functions are unchanged).
  void log_density_batch(const Mat& X, Vec& out) const;
  // Scores as the columns of out (dim x n); also the log-densities if log_density is given.
  void score_batch(const Mat& X, Mat& out, Vec* log_density = nullptr) const;
  // log p(x) for one point at x[0..dim) without heap allocation (scalar std::exp/std::log).
  double log_density_point(const double* x) const;

 private:
  void batch(const Mat& X, Vec* logp, Mat* score) const;
  // Per component k: P_k = L_k^{-1} (lower triangular, row-major packed d x d), mean, and
  // log w_k - (d log 2 pi + log det cov_k) / 2.
  std::vector<double> inv_chol_, means_flat_, log_norm_;

  std::vector<double> weights_;
  std::vector<double> log_weights_;
  std::vector<Gaussian> components_;
};

}  // namespace verify
