#include "verify/mixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace verify {

GaussianMixture::GaussianMixture(std::vector<double> weights, std::vector<Gaussian> components)
    : weights_(std::move(weights)), components_(std::move(components)) {
  if (components_.empty()) throw std::invalid_argument("a mixture needs at least one component");
  if (weights_.size() != components_.size())
    throw std::invalid_argument(std::to_string(weights_.size()) + " weights for " +
                                std::to_string(components_.size()) + " components");
  double sum = 0;
  for (double w : weights_) {
    if (!std::isfinite(w) || w <= 0) throw std::invalid_argument("weights must be positive and finite");
    sum += w;
  }
  if (std::abs(sum - 1.0) > 1e-12) throw std::invalid_argument("weights sum to " + std::to_string(sum) + ", not 1");
  for (const auto& c : components_)
    if (c.dim() != components_.front().dim())
      throw std::invalid_argument("components have different dimensions");
  for (double w : weights_) log_weights_.push_back(std::log(w));
}

namespace {
// log-sum-exp of the per-component terms; writes normalised responsibilities into r if given.
double log_sum_exp(const std::vector<double>& terms, Vec* r) {
  const double mx = *std::max_element(terms.begin(), terms.end());
  double s = 0;
  for (double v : terms) s += std::exp(v - mx);
  const double lse = mx + std::log(s);
  if (r) {
    r->resize(static_cast<Eigen::Index>(terms.size()));
    for (std::size_t k = 0; k < terms.size(); ++k) (*r)[static_cast<Eigen::Index>(k)] = std::exp(terms[k] - lse);
  }
  return lse;
}
}  // namespace

double GaussianMixture::log_density(const Vec& x) const {
  std::vector<double> terms(size());
  for (std::size_t k = 0; k < size(); ++k) terms[k] = log_weights_[k] + components_[k].log_density(x);
  return log_sum_exp(terms, nullptr);
}

Vec GaussianMixture::responsibilities(const Vec& x) const {
  std::vector<double> terms(size());
  for (std::size_t k = 0; k < size(); ++k) terms[k] = log_weights_[k] + components_[k].log_density(x);
  Vec r;
  log_sum_exp(terms, &r);
  return r;
}

Vec GaussianMixture::score(const Vec& x) const {
  const Vec r = responsibilities(x);
  Vec s = Vec::Zero(dim());
  for (std::size_t k = 0; k < size(); ++k) s += r[static_cast<Eigen::Index>(k)] * components_[k].score(x);
  return s;
}

Vec GaussianMixture::sample(Rng& rng, int* component) const {
  const double u = rng.uniform();
  double c = 0;
  std::size_t k = 0;
  for (; k + 1 < size(); ++k) {
    c += weights_[k];
    if (u < c) break;
  }
  if (component) *component = static_cast<int>(k);
  return components_[k].sample(rng);
}

Vec GaussianMixture::mean() const {
  Vec m = Vec::Zero(dim());
  for (std::size_t k = 0; k < size(); ++k) m += weights_[k] * components_[k].mean();
  return m;
}

Mat GaussianMixture::covariance() const {
  const Vec m = mean();
  Mat c = Mat::Zero(dim(), dim());
  for (std::size_t k = 0; k < size(); ++k) {
    const Vec d = components_[k].mean() - m;
    c += weights_[k] * (components_[k].cov() + d * d.transpose());
  }
  return c;
}

}  // namespace verify
