#pragma once
// The exact oracle in any floating type T (double for the Monte Carlo blocks, 50-digit cpp_bin_float for exact
// re-evaluation and identities): schedule quantities from the betas, Gaussian mixtures, their diffused marginals
// and the Bayes posteriors of x_0 and of the reverse step. Built from the double-precision model objects, whose
// numbers are taken as exact.
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/eigen.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

namespace verify::formula {

using mp50 = boost::multiprecision::cpp_bin_float_50;

template <class T>
using VecT = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

template <class T>
T pi_t() {
  if constexpr (std::is_same_v<T, double>) return std::numbers::pi;
  else return boost::math::constants::pi<T>();
}

// Schedule quantities at step s, in T. For double the schedule object's own values are used, so formula checks
// see exactly the numbers the C++ estimators see; for 50 digits they are recomputed from the betas.
template <class T>
class ScheduleT {
 public:
  ScheduleT() = default;
  ScheduleT(const NoiseSchedule* s, std::string sigma2) : s_(s), sigma2_(std::move(sigma2)) {
    if (!s_) return;
    beta_.assign(static_cast<std::size_t>(s->T()) + 1, T(0));
    ab_.assign(static_cast<std::size_t>(s->T()) + 1, T(1));
    for (int t = 1; t <= s->T(); ++t) {
      beta_[static_cast<std::size_t>(t)] = T(s->beta(t));
      if constexpr (std::is_same_v<T, double>) ab_[static_cast<std::size_t>(t)] = s->alpha_bar(t);
      else ab_[static_cast<std::size_t>(t)] = ab_[static_cast<std::size_t>(t) - 1] * (T(1) - beta_[static_cast<std::size_t>(t)]);
    }
  }
  bool present() const { return s_ != nullptr; }
  int T_() const { return s_ ? s_->T() : 0; }

  // Throws std::out_of_range with a sentence when s is outside the quantity's range.
  T get(const std::string& what, long s) const {
    if (!s_) throw std::out_of_range("no schedule");
    const long last = s_->T();
    const long lo = what == "alpha_bar" || what == "snr" ? 0 : 1;
    if (s < lo || s > last)
      throw std::out_of_range("step " + std::to_string(s) + " is outside " + std::to_string(lo) + ".." + std::to_string(last));
    const std::size_t i = static_cast<std::size_t>(s);
    if (what == "beta") return beta_[i];
    if (what == "alpha") return T_one() - beta_[i];
    if (what == "alpha_bar") return ab_[i];
    if (what == "snr") {
      if (s == 0) return std::numeric_limits<T>::infinity();
      return ab_[i] / (T_one() - ab_[i]);
    }
    const T abp = ab_[i - 1], a = T_one() - beta_[i], b = beta_[i];
    if (what == "beta_tilde") {
      if constexpr (std::is_same_v<T, double>) return s_->beta_tilde(static_cast<int>(s));
      else return b * (T_one() - abp) / (T_one() - ab_[i]);
    }
    // Bayes' rule for x_{s-1} given x_s and x_0: x_{s-1} ~ N(sqrt(abp) x_0, (1 - abp) I) and
    // x_s = sqrt(a) x_{s-1} + sqrt(b) n; Kalman gain and posterior variance.
    const T denom = a * (T_one() - abp) + b;
    if (what == "gain") return sqrt_t(a) * (T_one() - abp) / denom;
    if (what == "post_var") return (T_one() - abp) * b / denom;
    if (what == "sigma2") {
      if (sigma2_ == "beta") return b;
      if (sigma2_ == "beta_tilde") return get("beta_tilde", s);
      return T(std::stod(sigma2_));
    }
    throw std::out_of_range("unknown schedule quantity " + what);
  }

 private:
  static T T_one() { return T(1); }
  static T sqrt_t(const T& x) {
    using std::sqrt;
    return sqrt(x);
  }
  const NoiseSchedule* s_ = nullptr;
  std::string sigma2_;
  std::vector<T> beta_, ab_;
};

// A small work buffer on the stack (heap only when large): the oracle is called per lane in the hot loops.
template <class T>
class Scratch {
 public:
  explicit Scratch(std::size_t n) : n_(n) {
    if (n > kStack) heap_.resize(n);
  }
  T* data() { return n_ > kStack ? heap_.data() : stack_; }

 private:
  static constexpr std::size_t kStack = 32;
  std::size_t n_;
  T stack_[kStack];
  std::vector<T> heap_;
};

template <class T>
struct GaussT {
  VecT<T> mean;
  MatT<T> cov, L, Linv;  // cov = L L^T
  T log_norm;            // -(d log 2 pi + log det cov) / 2

  static GaussT make(VecT<T> m, MatT<T> c) {
    using std::log;
    GaussT g;
    g.mean = std::move(m);
    g.cov = std::move(c);
    Eigen::LLT<MatT<T>> llt(g.cov);
    if (llt.info() != Eigen::Success) throw std::invalid_argument("covariance is not positive definite");
    g.L = llt.matrixL();
    g.Linv = g.L.template triangularView<Eigen::Lower>().solve(MatT<T>::Identity(g.cov.rows(), g.cov.cols()));
    T ld = T(0);
    for (Eigen::Index i = 0; i < g.L.rows(); ++i) ld += 2 * log(g.L(i, i));
    g.log_norm = -(T(g.cov.rows()) * log(2 * pi_t<T>()) + ld) / 2;
    return g;
  }
  // -(x - m)^T cov^{-1} (x - m) / 2 + log_norm
  T log_density(const T* x) const {
    const Eigen::Index d = mean.size();
    T q = T(0);
    for (Eigen::Index i = 0; i < d; ++i) {
      T a = T(0);
      for (Eigen::Index j = 0; j <= i; ++j) a += Linv(i, j) * (x[j] - mean[j]);
      q += a * a;
    }
    return log_norm - q / 2;
  }
  // -cov^{-1} (x - m)
  void score(const T* x, T* out) const {
    const Eigen::Index d = mean.size();
    Scratch<T> buf(static_cast<std::size_t>(d));
    T* a = buf.data();
    for (Eigen::Index i = 0; i < d; ++i) {
      T s = T(0);
      for (Eigen::Index j = 0; j <= i; ++j) s += Linv(i, j) * (x[j] - mean[j]);
      a[i] = s;
    }
    for (Eigen::Index j = 0; j < d; ++j) {
      T s = T(0);
      for (Eigen::Index i = j; i < d; ++i) s += Linv(i, j) * a[i];
      out[j] = -s;
    }
  }
  void sample(const T* normals, T* out) const {
    const Eigen::Index d = mean.size();
    for (Eigen::Index i = 0; i < d; ++i) {
      T v = mean[i];
      for (Eigen::Index j = 0; j <= i; ++j) v += L(i, j) * normals[j];
      out[i] = v;
    }
  }
};

// A Gaussian mixture in T, with the Bayes posterior of x_0 given y = a x_0 + N(0, r I).
template <class T>
class MixtureT {
 public:
  MixtureT() = default;
  explicit MixtureT(const GaussianMixture& m) {
    using std::log;
    for (std::size_t k = 0; k < m.size(); ++k) {
      const auto& c = m.components()[k];
      VecT<T> mean(c.dim());
      MatT<T> cov(c.dim(), c.dim());
      for (int i = 0; i < c.dim(); ++i) {
        mean[i] = T(c.mean()[i]);
        for (int j = 0; j < c.dim(); ++j) cov(i, j) = T(c.cov()(i, j));
      }
      comps_.push_back(GaussT<T>::make(mean, cov));
      weights_.push_back(T(m.weights()[k]));
      logw_.push_back(log(T(m.weights()[k])));
    }
  }
  int dim() const { return comps_.empty() ? 0 : static_cast<int>(comps_[0].mean.size()); }
  std::size_t size() const { return comps_.size(); }
  const std::vector<GaussT<T>>& components() const { return comps_; }
  const std::vector<T>& weights() const { return weights_; }

  // The law of a x_0 + N(0, r I).
  MixtureT diffused(const T& a, const T& r) const {
    MixtureT out;
    const Eigen::Index d = dim();
    for (std::size_t k = 0; k < comps_.size(); ++k) {
      const auto& c = comps_[k];
      out.comps_.push_back(GaussT<T>::make(a * c.mean, a * a * c.cov + r * MatT<T>::Identity(d, d)));
    }
    out.weights_ = weights_;
    out.logw_ = logw_;
    return out;
  }

  // log sum_k w_k N_k(x), by log-sum-exp.
  T log_density(const T* x) const {
    using std::exp;
    using std::log;
    Scratch<T> lb(comps_.size());
    T* l = lb.data();
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < comps_.size(); ++k) {
      l[k] = logw_[k] + comps_[k].log_density(x);
      if (l[k] > mx) mx = l[k];
    }
    T s = T(0);
    for (std::size_t k = 0; k < comps_.size(); ++k) s += exp(l[k] - mx);
    return mx + log(s);
  }
  void responsibilities(const T* x, T* r) const {
    using std::exp;
    Scratch<T> lb(comps_.size());
    T* l = lb.data();
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < comps_.size(); ++k) {
      l[k] = logw_[k] + comps_[k].log_density(x);
      if (l[k] > mx) mx = l[k];
    }
    T s = T(0);
    for (std::size_t k = 0; k < comps_.size(); ++k) s += (r[k] = exp(l[k] - mx));
    for (std::size_t k = 0; k < comps_.size(); ++k) r[k] /= s;
  }
  // sum_k r_k(x) score_k(x). The same arithmetic as responsibilities() followed by each component's score(), in
  // the same order (the same numbers), but L_k^{-1}(x - m_k) is computed once per component for both (this is
  // the evaluator's hottest loop: every step of a sampler that uses the exact score calls it per draw).
  void score(const T* x, T* out) const {
    using std::exp;
    const int d = dim();
    const std::size_t K = comps_.size(), du = static_cast<std::size_t>(d);
    Scratch<T> lb(K), ab(K * du);
    T* l = lb.data();
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < K; ++k) {
      const GaussT<T>& c = comps_[k];
      T* a = ab.data() + k * du;
      T q = T(0);
      for (int i = 0; i < d; ++i) {
        T s = T(0);
        for (int j = 0; j <= i; ++j) s += c.Linv(i, j) * (x[j] - c.mean[j]);
        a[i] = s;
        q += s * s;
      }
      l[k] = logw_[k] + (c.log_norm - q / 2);
      if (l[k] > mx) mx = l[k];
    }
    T s = T(0);
    for (std::size_t k = 0; k < K; ++k) s += (l[k] = exp(l[k] - mx));
    for (std::size_t k = 0; k < K; ++k) l[k] /= s;
    for (int i = 0; i < d; ++i) out[i] = T(0);
    for (std::size_t k = 0; k < K; ++k) {
      const GaussT<T>& c = comps_[k];
      const T* a = ab.data() + k * du;
      for (int j = 0; j < d; ++j) {
        T g = T(0);
        for (int i = j; i < d; ++i) g += c.Linv(i, j) * a[i];
        out[j] += l[k] * -g;
      }
    }
  }
  // Component by the uniform u (cumulative weights), then mean + L n.
  void sample(const T& u, const T* normals, T* out) const {
    T c = T(0);
    std::size_t k = 0;
    for (; k + 1 < comps_.size(); ++k) {
      c += weights_[k];
      if (u < c) break;
    }
    comps_[k].sample(normals, out);
  }

 private:
  std::vector<GaussT<T>> comps_;
  std::vector<T> weights_, logw_;
};

// The exact posterior of x_0 given y = a x_0 + N(0, r I) for mixture data: per component k the Kalman gain K_k,
// posterior covariance C_k (Joseph form, which subtracts nothing) and the evidence weights from the marginal.
template <class T>
class PosteriorT {
 public:
  PosteriorT() = default;
  PosteriorT(const MixtureT<T>& prior, const T& a, const T& r) : a_(a), marginal_(prior.diffused(a, r)) {
    const Eigen::Index d = prior.dim();
    for (std::size_t k = 0; k < prior.size(); ++k) {
      const auto& c = prior.components()[k];
      const MatT<T> M = marginal_.components()[k].cov;  // a^2 S + r I
      Eigen::LLT<MatT<T>> llt(M);
      const MatT<T> K = llt.solve(a * c.cov).transpose();
      const MatT<T> B = llt.solve(r * MatT<T>::Identity(d, d));  // M^{-1} R, I - aK = B^T
      MatT<T> C = B.transpose() * c.cov * B + r * K * K.transpose();
      C = (C + C.transpose()) / 2;
      gains_.push_back(K);
      means_.push_back(c.mean);
      post_.push_back(GaussT<T>::make(VecT<T>::Zero(d), C));
    }
  }
  std::size_t size() const { return gains_.size(); }
  const MixtureT<T>& marginal() const { return marginal_; }
  // mean of component k given y: mu_k + K_k (y - a mu_k)
  VecT<T> component_mean(std::size_t k, const T* y) const {
    const Eigen::Index d = means_[k].size();
    VecT<T> yy(d);
    for (Eigen::Index i = 0; i < d; ++i) yy[i] = y[i] - a_ * means_[k][i];
    return means_[k] + gains_[k] * yy;
  }
  // The same, into out without allocating (per draw in the evaluator's loops): the product K_k (y - a mu_k) summed
  // over columns in order, as Eigen's matrix-vector product does, so the numbers are the same.
  void component_mean_into(std::size_t k, const T* y, T* out) const {
    const Eigen::Index d = means_[k].size();
    Scratch<T> yb(static_cast<std::size_t>(d));
    T* yy = yb.data();
    for (Eigen::Index i = 0; i < d; ++i) yy[i] = y[i] - a_ * means_[k][i];
    for (Eigen::Index i = 0; i < d; ++i) {
      T s = gains_[k](i, 0) * yy[0];
      for (Eigen::Index j = 1; j < d; ++j) s += gains_[k](i, j) * yy[j];
      out[i] = means_[k][i] + s;
    }
  }
  const GaussT<T>& component(std::size_t k) const { return post_[k]; }
  void mean(const T* y, T* out) const {
    const Eigen::Index d = means_.empty() ? 0 : means_[0].size();
    Scratch<T> rb(size()), mb(static_cast<std::size_t>(d));
    T* r = rb.data();
    T* m = mb.data();
    marginal_.responsibilities(y, r);
    for (Eigen::Index i = 0; i < d; ++i) out[i] = T(0);
    for (std::size_t k = 0; k < size(); ++k) {
      component_mean_into(k, y, m);
      for (Eigen::Index i = 0; i < d; ++i) out[i] += r[k] * m[i];
    }
  }
  // Cov[x | y] of the posterior mixture: sum_k r_k (C_k + m_k m_k^T) - m m^T.
  MatT<T> cov(const T* y) const {
    const Eigen::Index d = means_.empty() ? 0 : means_[0].size();
    std::vector<T> r(size());
    marginal_.responsibilities(y, r.data());
    VecT<T> m = VecT<T>::Zero(d);
    MatT<T> second = MatT<T>::Zero(d, d);
    for (std::size_t k = 0; k < size(); ++k) {
      const VecT<T> mk = component_mean(k, y);
      m += r[k] * mk;
      second += r[k] * (post_[k].cov + mk * mk.transpose());
    }
    return second - m * m.transpose();
  }
  // The posterior mixture given y, as a MixtureT-like evaluation.
  T log_density(const T* y, const T* x) const {
    using std::exp;
    using std::log;
    std::vector<T> r(size());
    marginal_.responsibilities(y, r.data());
    const Eigen::Index d = means_[0].size();
    std::vector<T> l(size()), shifted(static_cast<std::size_t>(d));
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < size(); ++k) {
      const VecT<T> m = component_mean(k, y);
      for (Eigen::Index i = 0; i < d; ++i) shifted[static_cast<std::size_t>(i)] = x[i] - m[i];
      l[k] = (r[k] > 0 ? log(r[k]) : -std::numeric_limits<T>::infinity()) + post_[k].log_density(shifted.data());
      if (l[k] > mx) mx = l[k];
    }
    T s = T(0);
    for (const auto& v : l) s += exp(v - mx);
    return mx + log(s);
  }
  void score(const T* y, const T* x, T* out) const {
    using std::exp;
    using std::log;
    std::vector<T> r(size());
    marginal_.responsibilities(y, r.data());
    const Eigen::Index d = means_[0].size();
    std::vector<T> l(size()), shifted(static_cast<std::size_t>(d)), g(static_cast<std::size_t>(d));
    std::vector<std::vector<T>> grads(size());
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < size(); ++k) {
      const VecT<T> m = component_mean(k, y);
      for (Eigen::Index i = 0; i < d; ++i) shifted[static_cast<std::size_t>(i)] = x[i] - m[i];
      l[k] = (r[k] > 0 ? log(r[k]) : -std::numeric_limits<T>::infinity()) + post_[k].log_density(shifted.data());
      post_[k].score(shifted.data(), g.data());
      grads[k] = g;
      if (l[k] > mx) mx = l[k];
    }
    T s = T(0);
    for (auto& v : l) s += (v = exp(v - mx));
    for (Eigen::Index i = 0; i < d; ++i) out[i] = T(0);
    for (std::size_t k = 0; k < size(); ++k)
      for (Eigen::Index i = 0; i < d; ++i) out[i] += l[k] / s * grads[k][static_cast<std::size_t>(i)];
  }
  void sample(const T* y, const T& u, const T* normals, T* out) const {
    const Eigen::Index d = means_.empty() ? 0 : means_[0].size();
    Scratch<T> rb(size()), mb(static_cast<std::size_t>(d));
    T* r = rb.data();
    T* m = mb.data();
    marginal_.responsibilities(y, r);
    T c = T(0);
    std::size_t k = 0;
    for (; k + 1 < size(); ++k) {
      c += r[k];
      if (u < c) break;
    }
    component_mean_into(k, y, m);
    post_[k].sample(normals, out);
    for (Eigen::Index i = 0; i < d; ++i) out[i] += m[i];
  }

 private:
  T a_ = T(1);
  MixtureT<T> marginal_;
  std::vector<MatT<T>> gains_;
  std::vector<VecT<T>> means_;
  std::vector<GaussT<T>> post_;
};

}  // namespace verify::formula
