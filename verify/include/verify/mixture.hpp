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

 private:
  std::vector<double> weights_;
  std::vector<double> log_weights_;
  std::vector<Gaussian> components_;
};

}  // namespace verify
