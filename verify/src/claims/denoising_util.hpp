#pragma once
#include <sstream>
// Helpers shared by the families eps_prefactor, tweedie and score_matching (one author).
// They compute oracle quantities and estimator plumbing only; nothing here decides a verdict.
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "common.hpp"
#include "verify/diffused.hpp"
#include "verify/estimators.hpp"
#include "verify/montecarlo.hpp"

namespace verify::claims::denoising {

// A number for check labels and notes, 6 significant digits.
inline std::string num_label(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

// log N(x; m, v I): the definition of the isotropic Gaussian density, evaluated at a sampled point.
using estimators::log_normal_iso;

// A smooth function g of several means of one MonteCarlo::means run, with its delta-method SE:
// Var(g) ~ grad^T Cov grad / n, where Cov is the integrand covariance of the run.
inline Estimate delta_method(const MonteCarlo::Multi& m, double value, const std::vector<double>& grad) {
  double var = 0;
  for (std::size_t i = 0; i < grad.size(); ++i)
    for (std::size_t j = 0; j < grad.size(); ++j) var += grad[i] * grad[j] * m.cov(i, j);
  Estimate e;
  e.mean = value;
  e.samples = m.samples;
  e.std_dev = std::sqrt(std::max(var, 0.0));
  e.std_error = m.samples ? e.std_dev / std::sqrt(static_cast<double>(m.samples)) : 0.0;
  e.method = EstimateMethod::delta_method;
  return e;
}

// A ratio a/b of two independent estimates (first-order error propagation).
inline Estimate ratio_of_independent(const Estimate& a, const Estimate& b) {
  Estimate e;
  e.mean = a.mean / b.mean;
  e.samples = std::min(a.samples, b.samples);
  e.std_error = std::abs(e.mean) * std::hypot(a.std_error / a.mean, b.std_error / b.mean);
  e.std_dev = e.std_error * std::sqrt(static_cast<double>(e.samples));
  e.method = EstimateMethod::ratio_of_independent;
  return e;
}

// The exact denoiser of y = a x0 + N(0, R) for mixture data: the marginal of y (with its score) and the
// per-component Gaussian posteriors of x0 (Kalman form), precomputed once so that per-draw evaluation is cheap.
class ExactDenoiser {
 public:
  ExactDenoiser(const GaussianMixture& prior, LinearGaussianNoise noise)
      : prior_(prior), noise_(std::move(noise)), marginal_(noisy_marginal(prior, noise_)) {
    for (std::size_t k = 0; k < prior.size(); ++k) {
      const auto& c = prior.components()[k];
      const Mat& M = marginal_.components()[k].cov();
      const Mat K = Eigen::LLT<Mat>(M).solve(noise_.a * c.cov()).transpose();
      gain_.push_back(K);
      Mat cov = c.cov() - noise_.a * K * c.cov();
      post_cov_.push_back(0.5 * (cov + cov.transpose()));
    }
  }
  const GaussianMixture& marginal() const { return marginal_; }
  const LinearGaussianNoise& noise() const { return noise_; }
  // grad_y log p(y), exact.
  Vec score(const Vec& y) const { return marginal_.score(y); }
  // E[x0 | y], exact (Bayes' rule over components, Kalman mean within each).
  Vec posterior_mean(const Vec& y) const {
    const Vec r = marginal_.responsibilities(y);
    Vec m = Vec::Zero(y.size());
    for (std::size_t k = 0; k < prior_.size(); ++k) m += r[static_cast<Eigen::Index>(k)] * component_mean(k, y);
    return m;
  }
  Vec component_mean(std::size_t k, const Vec& y) const {
    const auto& mu = prior_.components()[k].mean();
    return mu + gain_[k] * (y - noise_.a * mu);
  }
  const Mat& component_cov(std::size_t k) const { return post_cov_[k]; }

 private:
  const GaussianMixture& prior_;
  LinearGaussianNoise noise_;
  GaussianMixture marginal_;
  std::vector<Mat> gain_, post_cov_;
};

// Defensive importance-sampling proposal for x0 given one observation y (Hesterberg's defensive mixture):
// with probability delta a draw from the prior, otherwise from a uniformly chosen component's Gaussian
// posterior with its covariance inflated by `inflate`. Uniform component weights (not the exact
// responsibilities) and the inflation keep the weights non-degenerate, so the SE is an honest one; the prior
// share bounds the weights by 1/delta times the likelihood.
class DefensiveProposal {
 public:
  DefensiveProposal(const GaussianMixture& prior, const ExactDenoiser& den, const Vec& y, double inflate = 1.5,
                    double delta = 0.1)
      : prior_(prior), delta_(delta), noise_(Vec::Zero(y.size()), den.noise().R), y_(y), a_(den.noise().a) {
    for (std::size_t k = 0; k < prior.size(); ++k)
      comps_.emplace_back(den.component_mean(k, y), inflate * den.component_cov(k));
  }
  // A draw; writes the proposal component (-1 for a prior draw) and, for component draws, the standard normal u
  // with x = mean_k + chol_k u (u has known mean 0 under g: it serves as a control variate).
  Vec sample(Rng& rng, int* comp = nullptr, Vec* u = nullptr) const {
    if (rng.uniform() < delta_) {
      if (comp) *comp = -1;
      return prior_.sample(rng);
    }
    const std::size_t k = std::min(comps_.size() - 1, static_cast<std::size_t>(rng.uniform() * comps_.size()));
    Vec z(comps_[k].dim());
    rng.normals(z.data(), static_cast<std::size_t>(z.size()));
    if (comp) *comp = static_cast<int>(k);
    if (u) *u = z;
    return comps_[k].mean() + comps_[k].chol().triangularView<Eigen::Lower>() * z;
  }
  std::size_t components() const { return comps_.size(); }
  int dim() const { return comps_.front().dim(); }
  double delta() const { return delta_; }
  double log_density(const Vec& x) const {
    std::vector<double> t;
    t.push_back(std::log(delta_) + prior_.log_density(x));
    const double lk = std::log((1.0 - delta_) / static_cast<double>(comps_.size()));
    for (const auto& c : comps_) t.push_back(lk + c.log_density(x));
    const double mx = *std::max_element(t.begin(), t.end());
    double s = 0;
    for (double v : t) s += std::exp(v - mx);
    return mx + std::log(s);
  }
  // log of pi(x) N(y; a x, R) / g(x): the unnormalised posterior density over the proposal density.
  double log_weight(const Vec& x) const {
    return prior_.log_density(x) + noise_.log_density(y_ - a_ * x) - log_density(x);
  }

 private:
  const GaussianMixture& prior_;
  double delta_;
  Gaussian noise_;
  Vec y_;
  double a_;
  std::vector<Gaussian> comps_;
};

// Self-normalised importance-sampling estimate of E[h(x0) | y] for a vector h, by two passes: a pilot pass
// (stream + "/pilot", n/8 draws) gives theta0 and the mean weight W0; the main pass averages the weight w / W0 and the
// linearised integrand w (h - theta0) / W0. Control variates with known mean 0 under the proposal reduce the variance:
// for each proposal component j, u 1[j] (d values) and 1[j] - (1 - delta)/K. The regression coefficients are fitted
// on the same draws (bias O(1/n)); the ratio's SE comes from the residual covariance by the delta method. The returned
// Estimate carries the skewness and kurtosis of the unadjusted linearised integrand, for Estimate::clt_warning.
template <class H>
std::vector<Estimate> snis_posterior_mean(const MonteCarlo& mc, const std::string& stream, std::size_t n,
                                          const DefensiveProposal& g, double log_w_ref, int k, H&& h) {
  const auto kk = static_cast<std::size_t>(k);
  const std::size_t K = g.components();
  const std::size_t ncv = K * (kk + 1);
  auto pass = [&](const std::string& s, std::size_t m, const Vec& theta0, double w0) {
    return mc.means(s, m, kk + 1 + ncv, [&](Rng& rng, std::span<double> out) {
      int comp = -1;
      Vec u = Vec::Zero(k);
      const Vec x = g.sample(rng, &comp, &u);
      const double w = std::exp(g.log_weight(x) - log_w_ref) / w0;
      const Vec hx = h(x);
      out[0] = w;
      for (std::size_t i = 0; i < kk; ++i)
        out[i + 1] = w * (hx[static_cast<Eigen::Index>(i)] - theta0[static_cast<Eigen::Index>(i)]);
      const double q = (1.0 - g.delta()) / static_cast<double>(K);
      for (std::size_t j = 0; j < K; ++j) {
        const bool on = comp == static_cast<int>(j);
        for (std::size_t i = 0; i < kk; ++i) out[kk + 1 + j * (kk + 1) + i] = on ? u[static_cast<Eigen::Index>(i)] : 0.0;
        out[kk + 1 + j * (kk + 1) + kk] = (on ? 1.0 : 0.0) - q;
      }
    });
  };
  const auto pilot = pass(stream + "/pilot", std::max<std::size_t>(n / 8, 4096), Vec::Zero(k), 1.0);
  Vec theta0(k);
  const double w0 = pilot.estimates[0].mean;
  for (int i = 0; i < k; ++i) theta0[i] = pilot.estimates[static_cast<std::size_t>(i) + 1].mean / w0;
  const auto main = pass(stream, n, theta0, w0);
  // Regression adjustment: Y_adj = Y - B (C - 0), residual covariance S_YY - S_YC S_CC^{-1} S_CY.
  const std::size_t ny = kk + 1;
  Mat Syy(ny, ny), Syc(ny, ncv), Scc(ncv, ncv);
  Vec ybar(ny), cbar(ncv);
  for (std::size_t a = 0; a < ny; ++a) {
    ybar[static_cast<Eigen::Index>(a)] = main.estimates[a].mean;
    for (std::size_t b = 0; b < ny; ++b) Syy(a, b) = main.cov(a, b);
    for (std::size_t b = 0; b < ncv; ++b) Syc(a, b) = main.cov(a, ny + b);
  }
  for (std::size_t a = 0; a < ncv; ++a) {
    cbar[static_cast<Eigen::Index>(a)] = main.estimates[ny + a].mean;
    for (std::size_t b = 0; b < ncv; ++b) Scc(a, b) = main.cov(ny + a, ny + b);
  }
  const Eigen::LDLT<Mat> ldlt(Scc + 1e-12 * Mat::Identity(ncv, ncv) * (1.0 + Scc.diagonal().maxCoeff()));
  const Mat B = ldlt.solve(Syc.transpose()).transpose();  // ny x ncv
  const Vec yadj = ybar - B * cbar;
  const Mat Sres = Syy - B * Syc.transpose();
  std::vector<Estimate> out;
  const double wbar = yadj[0];
  const double rn = std::sqrt(static_cast<double>(main.samples));
  for (std::size_t i = 0; i < kk; ++i) {
    const auto ii = static_cast<Eigen::Index>(i) + 1;
    const double shift = yadj[ii] / wbar;
    const double var = Sres(ii, ii) - 2 * shift * Sres(0, ii) + shift * shift * Sres(0, 0);
    Estimate e;
    e.samples = main.samples;
    e.mean = theta0[static_cast<Eigen::Index>(i)] + shift;
    e.std_dev = std::sqrt(std::max(var, 0.0)) / wbar;
    e.std_error = e.std_dev / rn;
    e.skewness = main.estimates[i + 1].skewness;
    e.excess_kurtosis = main.estimates[i + 1].excess_kurtosis;
    e.method = EstimateMethod::importance_sampling;
    out.push_back(e);
  }
  return out;
}

// Unnormalised importance-sampling estimate of E_g[w h(x)] (w = pi(x) N(y; a x, R) / (g(x) exp(log_w_ref))), with the
// control variates of snis_posterior_mean plus w - 1, whose mean is 0 when exp(log_w_ref) is the exact evidence p(y).
template <class H>
std::vector<Estimate> weighted_mean_cv(const MonteCarlo& mc, const std::string& stream, std::size_t n,
                                       const DefensiveProposal& g, double log_w_ref, int k, H&& h) {
  const auto kk = static_cast<std::size_t>(k);
  const std::size_t K = g.components(), d = static_cast<std::size_t>(g.dim());
  const std::size_t ncv = K * (d + 1) + 1;
  const auto m = mc.means(stream, n, kk + ncv, [&](Rng& rng, std::span<double> out) {
    int comp = -1;
    Vec u = Vec::Zero(static_cast<Eigen::Index>(d));
    const Vec x = g.sample(rng, &comp, &u);
    const double w = std::exp(g.log_weight(x) - log_w_ref);
    const Vec hx = h(x);
    for (std::size_t i = 0; i < kk; ++i) out[i] = w * hx[static_cast<Eigen::Index>(i)];
    const double q = (1.0 - g.delta()) / static_cast<double>(K);
    for (std::size_t j = 0; j < K; ++j) {
      const bool on = comp == static_cast<int>(j);
      for (std::size_t i = 0; i < d; ++i) out[kk + j * (d + 1) + i] = on ? u[static_cast<Eigen::Index>(i)] : 0.0;
      out[kk + j * (d + 1) + d] = (on ? 1.0 : 0.0) - q;
    }
    out[kk + ncv - 1] = w - 1.0;
  });
  Mat Syc(kk, ncv), Scc(ncv, ncv);
  Vec cbar(ncv);
  for (std::size_t a = 0; a < ncv; ++a) {
    cbar[static_cast<Eigen::Index>(a)] = m.estimates[kk + a].mean;
    for (std::size_t b = 0; b < ncv; ++b) Scc(a, b) = m.cov(kk + a, kk + b);
    for (std::size_t i = 0; i < kk; ++i) Syc(i, a) = m.cov(i, kk + a);
  }
  const Eigen::LDLT<Mat> ldlt(Scc + 1e-12 * Mat::Identity(ncv, ncv) * (1.0 + Scc.diagonal().maxCoeff()));
  const Mat B = ldlt.solve(Syc.transpose()).transpose();
  std::vector<Estimate> out;
  for (std::size_t i = 0; i < kk; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    Estimate e = m.estimates[i];
    e.mean -= B.row(ii).dot(cbar);
    const double var = m.cov(i, i) - B.row(ii).dot(Syc.row(ii));
    e.std_dev = std::sqrt(std::max(var, 0.0));
    e.std_error = e.std_dev / std::sqrt(static_cast<double>(m.samples));
    e.method = EstimateMethod::importance_sampling;
    out.push_back(e);
  }
  return out;
}

// Mutant checks are a power demonstration: each wrong formula must be refuted at the default budget. A wrong
// formula can coincide with the right one at some steps or points (e.g. alpha_t vs alpha_bar_t at t = 2), so each
// mutant form keeps one check: the one where the wrong formula departs most from the correct one (`departure`, computed
// from the formulas, or from the estimate where no closed form exists, as the caller states).
class MutantPicker {
 public:
  void offer(Check c, double departure) {
    c.notes.push_back("mutant shown where it departs most from the correct formula (departure " +
                      std::to_string(departure) + ")");
    const std::string form = c.form;
    auto it = best_.find(form);
    if (it == best_.end()) {
      order_.push_back(form);
      best_.emplace(form, std::make_pair(departure, std::move(c)));
    } else if (departure > it->second.first) {
      it->second = std::make_pair(departure, std::move(c));
    }
  }
  void append_to(std::vector<Check>& out) {
    for (const auto& f : order_) out.push_back(std::move(best_.at(f).second));
  }

 private:
  std::map<std::string, std::pair<double, Check>> best_;
  std::vector<std::string> order_;
};

}  // namespace verify::claims::denoising
