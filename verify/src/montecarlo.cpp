#include "verify/montecarlo.hpp"

#include <cmath>

namespace verify {

void MonteCarlo::BlockMulti::add(const std::vector<double>& x) {
  const std::size_t k = m.size();
  // Co-moment update uses the mean before and after the point (Welford's bivariate form).
  std::vector<double> before(k);
  for (std::size_t i = 0; i < k; ++i) before[i] = x[i] - m[i].mean;
  for (std::size_t i = 0; i < k; ++i) m[i].add(x[i]);
  for (std::size_t i = 0; i < k; ++i) {
    const double after_i = x[i] - m[i].mean;
    for (std::size_t j = 0; j < k; ++j) c[i * k + j] += after_i * before[j];
  }
}

void MonteCarlo::BlockMulti::merge(const BlockMulti& o) {
  const std::size_t k = m.size();
  if (o.m.empty() || o.m[0].n == 0) return;
  if (m[0].n == 0) {
    *this = o;
    return;
  }
  const double na = m[0].n, nb = o.m[0].n, nx = na + nb;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double di = o.m[i].mean - m[i].mean, dj = o.m[j].mean - m[j].mean;
      c[i * k + j] += o.c[i * k + j] + di * dj * na * nb / nx;
    }
  for (std::size_t i = 0; i < k; ++i) m[i].merge(o.m[i]);
}

MonteCarlo::Multi MonteCarlo::BlockMulti::finish() const {
  Multi out;
  const std::size_t k = m.size();
  out.samples = k ? static_cast<std::size_t>(m[0].n) : 0;
  for (const auto& mi : m) out.estimates.push_back(Estimate::from_moments(mi));
  out.covariance.resize(k * k);
  const double denom = out.samples > 1 ? static_cast<double>(out.samples) - 1.0 : 1.0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) out.covariance[i * k + j] = 0.5 * (c[i * k + j] + c[j * k + i]) / denom;
  return out;
}

}  // namespace verify
