#pragma once
// Estimators shared by the forward_process, posterior and prior_decoder claim families.
//
// All of them turn the per-output means and the integrand covariance that MonteCarlo::means returns into
// one Estimate with a standard error: the delta method for smooth functions of several means (variances,
// covariances, regression slopes) and control variates whose means are known to be zero by construction
// (e.g. E[eps] = 0, E[eps^2 - 1] = 0 for a standard normal eps independent of x_0).
#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "verify/montecarlo.hpp"
#include "verify/schedule.hpp"

namespace verify::claims::fwd {

// g(means) with a delta-method standard error; the gradient of g is taken by central differences with a
// step of 1e-4 integrand standard deviations per output (g is smooth, so the O(h^2) error is negligible).
template <class G>
Estimate delta_estimate(const MonteCarlo::Multi& m, G&& g) {
  const std::size_t k = m.estimates.size();
  std::vector<double> mu(k);
  for (std::size_t i = 0; i < k; ++i) mu[i] = m.estimates[i].mean;
  std::vector<double> grad(k, 0.0);
  for (std::size_t i = 0; i < k; ++i) {
    const double sd = m.estimates[i].std_dev;
    if (!(sd > 0)) continue;  // a constant output contributes no variance
    const double h = 1e-4 * sd;
    std::vector<double> up = mu, dn = mu;
    up[i] += h;
    dn[i] -= h;
    grad[i] = (g(up) - g(dn)) / (2 * h);
  }
  double var = 0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) var += grad[i] * m.cov(i, j) * grad[j];
  Estimate e;
  e.mean = g(mu);
  e.samples = m.samples;
  e.std_dev = std::sqrt(std::max(0.0, var));
  e.std_error = m.samples > 0 ? e.std_dev / std::sqrt(static_cast<double>(m.samples)) : 0.0;
  e.method = EstimateMethod::delta_method;
  return e;
}

// Variance of output ix from the means of x (index ix) and x^2 (index ix2).
inline Estimate variance_estimate(const MonteCarlo::Multi& m, std::size_t ix, std::size_t ix2) {
  return delta_estimate(m, [=](const std::vector<double>& v) { return v[ix2] - v[ix] * v[ix]; });
}

// Covariance of outputs ix and iy from the means of x, y and x*y (index ixy).
inline Estimate covariance_estimate(const MonteCarlo::Multi& m, std::size_t ix, std::size_t iy, std::size_t ixy) {
  return delta_estimate(m, [=](const std::vector<double>& v) { return v[ixy] - v[ix] * v[iy]; });
}

// Mean of output f with control variates cvs whose expectations are exactly zero. Coefficients are the
// regression b = S_cc^{-1} S_cf estimated from the same draws (their estimation error is O(1/n)).
inline Estimate control_variate_estimate(const MonteCarlo::Multi& m, std::size_t f, const std::vector<std::size_t>& cvs) {
  const auto q = static_cast<Eigen::Index>(cvs.size());
  Eigen::MatrixXd scc(q, q);
  Eigen::VectorXd scf(q), cbar(q);
  for (Eigen::Index i = 0; i < q; ++i) {
    cbar[i] = m.estimates[cvs[static_cast<std::size_t>(i)]].mean;
    scf[i] = m.cov(cvs[static_cast<std::size_t>(i)], f);
    for (Eigen::Index j = 0; j < q; ++j) scc(i, j) = m.cov(cvs[static_cast<std::size_t>(i)], cvs[static_cast<std::size_t>(j)]);
  }
  const Eigen::VectorXd b = scc.ldlt().solve(scf);
  Estimate e;
  e.mean = m.estimates[f].mean - b.dot(cbar);
  e.samples = m.samples;
  e.std_dev = std::sqrt(std::max(0.0, m.cov(f, f) - scf.dot(b)));
  e.std_error = m.samples > 0 ? e.std_dev / std::sqrt(static_cast<double>(m.samples)) : 0.0;
  e.method = EstimateMethod::control_variates;
  return e;
}

inline std::string tlabel(int t) { return "t=" + std::to_string(t); }

}  // namespace verify::claims::fwd
