#pragma once
// Sample moments that merge exactly in a fixed order, and the normal-theory quantities used by verdicts.
#include <cstddef>
#include <string>
#include <vector>

namespace verify {

// Running central moments (count, mean, M2, M3, M4) with Pebay's pairwise merge formulas.
struct Moments {
  double n = 0, mean = 0, m2 = 0, m3 = 0, m4 = 0;
  void add(double x);
  void merge(const Moments& other);
  double variance() const;         // unbiased sample variance
  double skewness() const;         // g1
  double excess_kurtosis() const;  // g2
};

// The running estimate after the first n samples (n = one block, two, four, ... blocks), for convergence plots.
struct TracePoint {
  std::size_t samples = 0;
  double mean = 0, std_error = 0;
};

// How an estimate and its standard error were obtained; printed in reports (to_string) and read by verdicts
// (an exact value has no sampling spread; antithetic pairs can collapse to a zero spread).
enum class EstimateMethod {
  plain,                     // sample mean of independent draws
  antithetic,                // means of antithetic pairs
  rqmc,                      // randomised quasi-Monte Carlo: spread over independent randomisations
  exact,                     // a deterministic value (closed form, 50-digit arithmetic); SE 0
  delta_method,              // a smooth function of several sample means, SE by the delta method
  ratio_of_means,            // a ratio of two sample means of one run, delta method
  ratio_of_independent,      // a ratio of two independent estimates
  control_variates,          // regression on integrands of known mean
  coupled_control_variate,   // a coupled estimate of a known quantity used as a control
  paired_combination,        // a linear combination of integrands evaluated on the same draws
  importance_sampling,       // self-normalised importance sampling, delta method
  quadrature,                // adaptive quadrature; its error estimate stands in for the SE
  richardson,                // Richardson extrapolation over halved steps
};
std::string to_string(EstimateMethod m);

// A Monte Carlo estimate of one mean.
struct Estimate {
  double mean = 0;
  double std_error = 0;
  double std_dev = 0;  // of the integrand
  std::size_t samples = 0;
  double skewness = 0;
  double excess_kurtosis = 0;
  EstimateMethod method = EstimateMethod::plain;
  std::vector<TracePoint> trace;  // running estimates at doubling sample counts (engine-filled)
  // Empty when the CLT looks safe; otherwise a sentence why not.
  std::string clt_warning() const;
  static Estimate from_moments(const Moments& m);
  // An exact value carried through the same interface (SE 0).
  static Estimate exact(double value);
};

// Normal distribution helpers (Boost.Math).
double normal_cdf(double z);
double normal_quantile(double p);
double two_sided_p(double z);
double upper_p(double z);  // P(Z > z)

// Holm step-down over a family of p-values at family-wise level alpha. Returns, for each p, whether it
// is rejected; per_check_alpha receives the level at which each p was compared (alpha / (m - rank)).
std::vector<bool> holm(const std::vector<double>& p, double alpha, std::vector<double>* per_check_alpha = nullptr);

// Two-sided binomial (Clopper-Pearson) interval for k successes in n trials.
std::pair<double, double> clopper_pearson(std::size_t k, std::size_t n, double confidence);

}  // namespace verify
