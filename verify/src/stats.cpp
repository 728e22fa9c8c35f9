#include "verify/stats.hpp"

#include <algorithm>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <numeric>
#include <sstream>

namespace verify {

void Moments::add(double x) {
  // Welford/Terriberry single-point update of the first four central moments.
  const double n1 = n;
  n += 1;
  const double delta = x - mean;
  const double dn = delta / n;
  const double dn2 = dn * dn;
  const double term1 = delta * dn * n1;
  mean += dn;
  m4 += term1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * m2 - 4 * dn * m3;
  m3 += term1 * dn * (n - 2) - 3 * dn * m2;
  m2 += term1;
}

void Moments::merge(const Moments& o) {
  if (o.n == 0) return;
  if (n == 0) {
    *this = o;
    return;
  }
  // Pebay (2008), pairwise update of central moments.
  const double na = n, nb = o.n, nx = na + nb;
  const double d = o.mean - mean;
  const double d2 = d * d, d3 = d2 * d, d4 = d2 * d2;
  const double new_mean = mean + d * nb / nx;
  const double new_m2 = m2 + o.m2 + d2 * na * nb / nx;
  const double new_m3 = m3 + o.m3 + d3 * na * nb * (na - nb) / (nx * nx) + 3.0 * d * (na * o.m2 - nb * m2) / nx;
  const double new_m4 = m4 + o.m4 + d4 * na * nb * (na * na - na * nb + nb * nb) / (nx * nx * nx) +
                        6.0 * d2 * (na * na * o.m2 + nb * nb * m2) / (nx * nx) + 4.0 * d * (na * o.m3 - nb * m3) / nx;
  n = nx;
  mean = new_mean;
  m2 = new_m2;
  m3 = new_m3;
  m4 = new_m4;
}

double Moments::variance() const { return n > 1 ? m2 / (n - 1) : 0.0; }
double Moments::skewness() const { return (n > 2 && m2 > 0) ? std::sqrt(n) * m3 / std::pow(m2, 1.5) : 0.0; }
double Moments::excess_kurtosis() const { return (n > 3 && m2 > 0) ? n * m4 / (m2 * m2) - 3.0 : 0.0; }

Estimate Estimate::from_moments(const Moments& m) {
  Estimate e;
  e.mean = m.mean;
  e.samples = static_cast<std::size_t>(m.n);
  e.std_dev = std::sqrt(m.variance());
  e.std_error = m.n > 0 ? e.std_dev / std::sqrt(m.n) : 0.0;
  e.skewness = m.skewness();
  e.excess_kurtosis = m.excess_kurtosis();
  return e;
}

std::string to_string(EstimateMethod m) {
  switch (m) {
    case EstimateMethod::plain: return "plain";
    case EstimateMethod::antithetic: return "antithetic";
    case EstimateMethod::rqmc: return "rqmc";
    case EstimateMethod::exact: return "exact";
    case EstimateMethod::delta_method: return "delta method";
    case EstimateMethod::ratio_of_means: return "ratio of means, delta method";
    case EstimateMethod::ratio_of_independent: return "ratio of independent estimates";
    case EstimateMethod::control_variates: return "control variates";
    case EstimateMethod::coupled_control_variate: return "coupled control variate";
    case EstimateMethod::paired_combination: return "paired linear combination";
    case EstimateMethod::importance_sampling: return "self-normalised importance sampling (delta method)";
    case EstimateMethod::quadrature: return "Gauss-Kronrod quadrature (error estimate as SE)";
    case EstimateMethod::richardson: return "richardson";
  }
  return "unknown";
}

Estimate Estimate::exact(double value) {
  Estimate e;
  e.mean = value;
  e.method = EstimateMethod::exact;
  return e;
}

std::string Estimate::clt_warning() const {
  if (samples == 0 || method == EstimateMethod::exact) return {};
  // Edgeworth terms: the normal approximation of the mean's distribution is off by about
  // |skew|/(6 sqrt(n)) and |kurt|/(24 n) in the tails; flag when either exceeds 1%.
  const double n = static_cast<double>(samples);
  std::ostringstream os;
  if (std::abs(skewness) / (6.0 * std::sqrt(n)) > 0.01)
    os << "integrand skewness " << skewness << " is large for n = " << samples << "; ";
  if (std::abs(excess_kurtosis) / (24.0 * n) > 0.01)
    os << "integrand excess kurtosis " << excess_kurtosis << " is large for n = " << samples << "; ";
  std::string s = os.str();
  if (!s.empty()) s = "CLT doubtful: " + s.substr(0, s.size() - 2);
  return s;
}

double normal_cdf(double z) { return boost::math::cdf(boost::math::normal(), z); }
double normal_quantile(double p) { return boost::math::quantile(boost::math::normal(), p); }
double upper_p(double z) { return boost::math::cdf(boost::math::complement(boost::math::normal(), z)); }
double two_sided_p(double z) { return std::min(1.0, 2.0 * upper_p(std::abs(z))); }

std::vector<bool> holm(const std::vector<double>& p, double alpha, std::vector<double>* per_check_alpha) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  // Stable sort on p, ties broken by position, so the procedure is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<bool> rejected(m, false);
  if (per_check_alpha) per_check_alpha->assign(m, alpha / static_cast<double>(m ? m : 1));
  bool stopped = false;
  for (std::size_t rank = 0; rank < m; ++rank) {
    const std::size_t i = order[rank];
    const double level = alpha / static_cast<double>(m - rank);
    if (per_check_alpha) (*per_check_alpha)[i] = level;
    if (!stopped && p[i] <= level) {
      rejected[i] = true;
    } else {
      stopped = true;
    }
  }
  return rejected;
}

std::pair<double, double> clopper_pearson(std::size_t k, std::size_t n, double confidence) {
  const double a = 1.0 - confidence;
  double lo = 0, hi = 1;
  if (k > 0) lo = boost::math::ibeta_inv(static_cast<double>(k), static_cast<double>(n - k + 1), a / 2);
  if (k < n) hi = boost::math::ibeta_inv(static_cast<double>(k + 1), static_cast<double>(n - k), 1 - a / 2);
  return {lo, hi};
}

}  // namespace verify
