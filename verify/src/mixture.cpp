#include "verify/mixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "verify/kernels.hpp"
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
  const int d = dim();
  for (std::size_t k = 0; k < size(); ++k) {
    const auto& c = components_[k];
    const Mat P = c.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(d, d));
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j) inv_chol_.push_back(j <= i ? P(i, j) : 0.0);
    for (int i = 0; i < d; ++i) means_flat_.push_back(c.mean()[i]);
    log_norm_.push_back(log_weights_[k] - 0.5 * (d * std::log(2.0 * std::numbers::pi) + c.log_det()));
  }
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

namespace {
constexpr std::size_t kChunk = kernels::kMixtureChunk;
}  // namespace

void GaussianMixture::batch(const Mat& X, Vec* logp, Mat* score) const {
  const int d = dim();
  const auto du = static_cast<std::size_t>(d);
  if (X.rows() != d) throw std::invalid_argument("points have dimension " + std::to_string(X.rows()) + ", the mixture " + std::to_string(d));
  const auto n = static_cast<std::size_t>(X.cols());
  if (logp) logp->resize(X.cols());
  if (score) score->resize(d, X.cols());
  std::vector<double> xs(du * kChunk), ybuf(size() * du * kChunk), tbuf(size() * kChunk), sc(score ? du * kChunk : 0);
  alignas(64) double lp[kChunk];
  for (std::size_t first = 0; first < n; first += kChunk) {
    const std::size_t m = std::min(kChunk, n - first);
    for (std::size_t p = 0; p < kChunk; ++p) {
      const double* col = X.data() + (first + (p < m ? p : 0)) * du;
      for (std::size_t j = 0; j < du; ++j) xs[j * kChunk + p] = col[j];
    }
    kernels::mixture_chunk(d, size(), inv_chol_.data(), means_flat_.data(), log_norm_.data(), xs.data(), lp,
                  score ? sc.data() : nullptr, ybuf.data(), tbuf.data());
    if (logp)
      for (std::size_t p = 0; p < m; ++p) (*logp)[static_cast<Eigen::Index>(first + p)] = lp[p];
    if (score)
      for (std::size_t p = 0; p < m; ++p)
        for (std::size_t j = 0; j < du; ++j) (*score)(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(first + p)) = sc[j * kChunk + p];
  }
}

void GaussianMixture::log_density_batch(const Mat& X, Vec& out) const { batch(X, &out, nullptr); }
void GaussianMixture::score_batch(const Mat& X, Mat& out, Vec* log_density) const { batch(X, log_density, &out); }

double GaussianMixture::log_density_point(const double* x) const {
  const auto du = static_cast<std::size_t>(dim());
  double terms[1024];  // Limits::max_components
  double mx = -std::numeric_limits<double>::infinity();
  const std::size_t K = std::min<std::size_t>(size(), 1024);
  for (std::size_t k = 0; k < K; ++k) {
    const double* P = inv_chol_.data() + k * du * du;
    const double* m = means_flat_.data() + k * du;
    double q = 0;
    for (std::size_t i = 0; i < du; ++i) {
      double acc = 0;
      for (std::size_t j = 0; j <= i; ++j) acc += P[i * du + j] * (x[j] - m[j]);
      q += acc * acc;
    }
    terms[k] = log_norm_[k] - 0.5 * q;
    mx = std::max(mx, terms[k]);
  }
  double s = 0;
  for (std::size_t k = 0; k < K; ++k) s += std::exp(terms[k] - mx);
  return mx + std::log(s);
}

}  // namespace verify
