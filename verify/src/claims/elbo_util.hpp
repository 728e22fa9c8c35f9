#pragma once
// Small helpers for the elbo family: isotropic Gaussian log-densities and KLs written
// out for speed (no Cholesky per call), and the bookkeeping that turns a paired-difference estimate into an
// estimate of one side.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
#include <numbers>

#include "verify/estimators.hpp"
#include "verify/gaussian.hpp"
#include "verify/montecarlo.hpp"
#include "verify/stats.hpp"

namespace verify::claims::elbo_util {

// log N(x; m, v I) in nats; m given as a vector (the definition is estimators::log_normal_iso).
inline double iso_log_density(const Vec& x, const Vec& m, double v) { return estimators::log_normal_iso(x, m, v); }

// KL(N(m1, v1 I) || N(m2, v2 I)) in nats, from the squared mean gap g2 = ||m1 - m2||^2 and dimension d.
// The isotropic case of the closed form checked by the case kl_closed_form_2d.
inline double iso_kl(double g2, double v1, double v2, int d) {
  const double r = v1 / v2;
  return 0.5 * (d * (r - 1.0 - std::log(r)) + g2 / v2);
}

// A paired estimate: e estimates E[A - B] (or E[A + B]) on common random numbers. Returned with its mean moved by
// `offset` (and optionally negated first) so that it reads as an estimate of one side; the standard error stays
// that of the paired integrand, which is what the comparison with the other side needs.
inline Estimate shifted(Estimate e, double offset, double sign = 1.0) {
  e.mean = sign * e.mean + offset;
  e.skewness *= sign;
  for (auto& p : e.trace) p.mean = sign * p.mean + offset;
  return e;
}

// Estimate of sum_i w_i E[out_i] from one joint pass (MonteCarlo::means), with the standard error of the combined
// integrand from the integrand covariance: the paired (common random numbers) comparison of linear combinations.
inline Estimate combine(const MonteCarlo::Multi& m, const std::vector<std::pair<std::size_t, double>>& w, double offset = 0) {
  Estimate e;
  double var = 0;
  for (const auto& [i, wi] : w) {
    e.mean += wi * m.estimates[i].mean;
    for (const auto& [j, wj] : w) var += wi * wj * m.cov(i, j);
  }
  e.mean += offset;
  e.samples = m.samples;
  e.std_dev = std::sqrt(std::max(var, 0.0));
  e.std_error = e.samples > 0 ? e.std_dev / std::sqrt(static_cast<double>(e.samples)) : 0.0;
  e.method = EstimateMethod::paired_combination;
  return e;
}

// Control-variate regression: E[out_y] estimated as mean(y - sum_i c_i cv_i), where every cv_i has mean exactly 0
// (known independently of what is being tested), and c = Cov(cv)^{-1} Cov(cv, y) minimises the variance (fitted on
// the same sample: the usual O(1/n) bias, negligible against the SE). The SE is that of the residual integrand.
// known_means: the exact means of the control variates (default all 0).
inline Estimate regress_out(const MonteCarlo::Multi& m, std::size_t y, const std::vector<std::size_t>& cvs,
                            const std::vector<double>& known_means = {}) {
  const auto k = static_cast<Eigen::Index>(cvs.size());
  Mat S(k, k);
  Vec b(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    b[i] = m.cov(cvs[static_cast<std::size_t>(i)], y);
    for (Eigen::Index j = 0; j < k; ++j) S(i, j) = m.cov(cvs[static_cast<std::size_t>(i)], cvs[static_cast<std::size_t>(j)]);
  }
  // Tiny ridge so that a control variate that is identically zero (e.g. unused for a model) does not break the solve.
  const Vec c = (S + 1e-12 * (S.diagonal().cwiseAbs().maxCoeff() + 1e-300) * Mat::Identity(k, k)).ldlt().solve(b);
  std::vector<std::pair<std::size_t, double>> w{{y, 1.0}};
  for (Eigen::Index i = 0; i < k; ++i) w.emplace_back(cvs[static_cast<std::size_t>(i)], -c[i]);
  double offset = 0;
  for (std::size_t i = 0; i < known_means.size() && i < cvs.size(); ++i) offset += c[static_cast<Eigen::Index>(i)] * known_means[i];
  Estimate e = combine(m, w, offset);
  e.method = EstimateMethod::control_variates;
  return e;
}

}  // namespace verify::claims::elbo_util
