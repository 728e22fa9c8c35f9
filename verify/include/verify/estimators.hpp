#pragma once
// Standard errors of derived quantities: one module for what the claim families had in several copies (issue 11
// item 3). Everything here turns estimates of the engine (MonteCarlo::mean / means) into one Estimate of a derived
// quantity with its standard error; nothing decides a verdict. Unit tests against closed forms, with each SE
// calibrated over seeds: verify/tests/test_estimators.cpp.
//
// Under rqmc, MonteCarlo::Multi's covariance is the effective one (samples x covariance of the estimated means), so
// every formula below that divides a covariance by the sample count gives the SE of the rqmc estimate as well.
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "verify/gaussian.hpp"
#include "verify/montecarlo.hpp"
#include "verify/stats.hpp"

namespace verify::estimators {

// g(means of m) with its delta-method SE: Var g ~ grad' Cov grad / n, Cov the integrand covariance of the run,
// grad the gradient of g at the means (value = g(means)).
Estimate delta_method(const MonteCarlo::Multi& m, double value, const std::vector<double>& grad);

// The same with the gradient taken by central differences, a step of 1e-4 integrand standard deviations per
// output (g smooth: the O(h^2) error is negligible against the SE). Outputs with zero spread add no variance.
template <class G>
Estimate delta_method(const MonteCarlo::Multi& m, G&& g) {
  const std::size_t k = m.estimates.size();
  std::vector<double> mu(k), grad(k, 0.0);
  for (std::size_t i = 0; i < k; ++i) mu[i] = m.estimates[i].mean;
  for (std::size_t i = 0; i < k; ++i) {
    const double sd = m.estimates[i].std_dev;
    if (!(sd > 0)) continue;
    const double h = 1e-4 * sd;
    std::vector<double> up = mu, dn = mu;
    up[i] += h;
    dn[i] -= h;
    grad[i] = (g(up) - g(dn)) / (2 * h);
  }
  return delta_method(m, g(mu), grad);
}

// Var(X) from the means of X (output ix) and X^2 (output ix2) of one run.
Estimate variance_of(const MonteCarlo::Multi& m, std::size_t ix, std::size_t ix2);
// Cov(X, Y) from the means of X, Y and XY (outputs ix, iy, ixy) of one run.
Estimate covariance_of(const MonteCarlo::Multi& m, std::size_t ix, std::size_t iy, std::size_t ixy);
// E[A] / E[B] from outputs ia, ib of one run (the same draws): delta method with their covariance.
Estimate ratio_of_means(const MonteCarlo::Multi& m, std::size_t ia, std::size_t ib);
// a / b for two independent estimates (first-order error propagation).
Estimate ratio_of_independent(const Estimate& a, const Estimate& b);

// Mean of output f adjusted by control variates cvs whose expectations are exactly 0: Y - b'C with the regression
// b = S_cc^{-1} S_cf fitted on the same draws (bias O(1/n)), SE from the residual variance S_ff - S_fc b. S_cc gets
// a ridge of 1e-12 (1 + its largest diagonal entry): under rqmc a control variate that the quasi-random points
// integrate exactly has (near) zero effective variance, and the regression must then not divide by it.
Estimate control_variate_mean(const MonteCarlo::Multi& m, std::size_t f, const std::vector<std::size_t>& cvs);

// log N(x; m, v) and log N(x; m, v I) in nats: the definition of the (isotropic) Gaussian density. Inline: they
// are evaluated once per draw inside integrands.
inline double log_normal(double x, double m, double v) {
  return -0.5 * std::log(2 * std::numbers::pi * v) - 0.5 * (x - m) * (x - m) / v;
}
inline double log_normal_iso(const Vec& x, const Vec& m, double v) {
  const double d = static_cast<double>(x.size());
  return -0.5 * d * std::log(2 * std::numbers::pi * v) - 0.5 * (x - m).squaredNorm() / v;
}

}  // namespace verify::estimators
