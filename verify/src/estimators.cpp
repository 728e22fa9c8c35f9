#include "verify/estimators.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

namespace verify::estimators {

namespace {
Estimate with_spread(double mean, double var, std::size_t samples, EstimateMethod method) {
  Estimate e;
  e.mean = mean;
  e.samples = samples;
  e.std_dev = std::sqrt(std::max(var, 0.0));
  e.std_error = samples ? e.std_dev / std::sqrt(static_cast<double>(samples)) : 0.0;
  e.method = method;
  return e;
}
}  // namespace

Estimate delta_method(const MonteCarlo::Multi& m, double value, const std::vector<double>& grad) {
  double var = 0;
  for (std::size_t i = 0; i < grad.size(); ++i)
    for (std::size_t j = 0; j < grad.size(); ++j) var += grad[i] * grad[j] * m.cov(i, j);
  return with_spread(value, var, m.samples, EstimateMethod::delta_method);
}

Estimate variance_of(const MonteCarlo::Multi& m, std::size_t ix, std::size_t ix2) {
  std::vector<double> grad(m.estimates.size(), 0.0);
  const double mx = m.estimates[ix].mean;
  grad[ix] = -2 * mx;
  grad[ix2] = 1;
  return delta_method(m, m.estimates[ix2].mean - mx * mx, grad);
}

Estimate covariance_of(const MonteCarlo::Multi& m, std::size_t ix, std::size_t iy, std::size_t ixy) {
  std::vector<double> grad(m.estimates.size(), 0.0);
  const double mx = m.estimates[ix].mean, my = m.estimates[iy].mean;
  grad[ix] += -my;
  grad[iy] += -mx;
  grad[ixy] += 1;
  return delta_method(m, m.estimates[ixy].mean - mx * my, grad);
}

Estimate ratio_of_means(const MonteCarlo::Multi& m, std::size_t ia, std::size_t ib) {
  std::vector<double> grad(m.estimates.size(), 0.0);
  const double a = m.estimates[ia].mean, b = m.estimates[ib].mean;
  grad[ia] += 1 / b;
  grad[ib] += -a / (b * b);
  Estimate e = delta_method(m, a / b, grad);
  e.method = EstimateMethod::ratio_of_means;
  return e;
}

Estimate ratio_of_independent(const Estimate& a, const Estimate& b) {
  Estimate e;
  e.mean = a.mean / b.mean;
  e.samples = std::min(a.samples, b.samples);
  e.std_error = std::hypot(a.std_error / b.mean, a.mean * b.std_error / (b.mean * b.mean));
  e.std_dev = e.std_error * std::sqrt(static_cast<double>(e.samples));
  e.method = EstimateMethod::ratio_of_independent;
  return e;
}

Estimate control_variate_mean(const MonteCarlo::Multi& m, std::size_t f, const std::vector<std::size_t>& cvs) {
  const auto q = static_cast<Eigen::Index>(cvs.size());
  Eigen::MatrixXd scc(q, q);
  Eigen::VectorXd scf(q), cbar(q);
  for (Eigen::Index i = 0; i < q; ++i) {
    const std::size_t ci = cvs[static_cast<std::size_t>(i)];
    cbar[i] = m.estimates[ci].mean;
    scf[i] = m.cov(ci, f);
    for (Eigen::Index j = 0; j < q; ++j) scc(i, j) = m.cov(ci, cvs[static_cast<std::size_t>(j)]);
  }
  const double ridge = q ? 1e-12 * (1.0 + scc.diagonal().maxCoeff()) : 0.0;
  const Eigen::VectorXd b = (scc + ridge * Eigen::MatrixXd::Identity(q, q)).ldlt().solve(scf);
  Estimate e = with_spread(m.estimates[f].mean - b.dot(cbar), m.cov(f, f) - scf.dot(b), m.samples, EstimateMethod::control_variates);
  e.skewness = m.estimates[f].skewness;  // of the unadjusted integrand, for Estimate::clt_warning
  e.excess_kurtosis = m.estimates[f].excess_kurtosis;
  return e;
}

}  // namespace verify::estimators
