#include "verify/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace verify {

NoiseSchedule::NoiseSchedule(std::string kind, std::vector<double> betas) : kind_(std::move(kind)) {
  if (betas.empty()) throw std::invalid_argument("a schedule needs at least one beta (T >= 1)");
  betas_.reserve(betas.size() + 1);
  betas_.push_back(0.0);
  alpha_bar_.reserve(betas.size() + 1);
  alpha_bar_.push_back(1.0);
  for (std::size_t i = 0; i < betas.size(); ++i) {
    const double b = betas[i];
    if (!std::isfinite(b) || b <= 0.0 || b >= 1.0)
      throw std::invalid_argument("beta_" + std::to_string(i + 1) + " = " + std::to_string(b) + " is outside (0, 1)");
    betas_.push_back(b);
    alpha_bar_.push_back(alpha_bar_.back() * (1.0 - b));
  }
}

NoiseSchedule NoiseSchedule::linear(int T, double beta_start, double beta_end) {
  if (T < 1) throw std::invalid_argument("T must be at least 1");
  std::vector<double> b(static_cast<std::size_t>(T));
  for (int i = 0; i < T; ++i)
    b[static_cast<std::size_t>(i)] = T == 1 ? beta_start : beta_start + (beta_end - beta_start) * i / (T - 1.0);
  return NoiseSchedule("linear", std::move(b));
}

NoiseSchedule NoiseSchedule::cosine(int T, double s, double max_beta) {
  if (T < 1) throw std::invalid_argument("T must be at least 1");
  if (!(s >= 0) || !std::isfinite(s)) throw std::invalid_argument("s must be finite and non-negative");
  if (!(max_beta > 0 && max_beta < 1)) throw std::invalid_argument("max_beta must be in (0, 1)");
  auto f = [&](double u) {
    const double c = std::cos((u + s) / (1.0 + s) * std::numbers::pi / 2.0);
    return c * c;
  };
  std::vector<double> b(static_cast<std::size_t>(T));
  std::vector<int> clipped;
  for (int i = 1; i <= T; ++i) {
    const double raw = 1.0 - f(static_cast<double>(i) / T) / f(static_cast<double>(i - 1) / T);
    if (raw > max_beta) clipped.push_back(i);
    b[static_cast<std::size_t>(i - 1)] = std::min(raw, max_beta);
  }
  NoiseSchedule out("cosine", std::move(b));
  out.clipped_ = std::move(clipped);
  return out;
}

NoiseSchedule NoiseSchedule::custom(std::vector<double> betas) { return NoiseSchedule("custom", std::move(betas)); }

void NoiseSchedule::check_t(int t, int lo) const {
  if (t < lo || t > T())
    throw std::out_of_range("t = " + std::to_string(t) + " is outside " + std::to_string(lo) + ".." +
                            std::to_string(T()));
}

double NoiseSchedule::beta(int t) const {
  check_t(t, 1);
  return betas_[static_cast<std::size_t>(t)];
}
double NoiseSchedule::alpha(int t) const { return 1.0 - beta(t); }
double NoiseSchedule::alpha_bar(int t) const {
  check_t(t, 0);
  return alpha_bar_[static_cast<std::size_t>(t)];
}
double NoiseSchedule::beta_tilde(int t) const {
  // (1 - alpha_bar_{t-1}) is exactly 0 at t = 1, so beta_tilde_1 = 0 exactly.
  return beta(t) * (1.0 - alpha_bar(t - 1)) / (1.0 - alpha_bar(t));
}
double NoiseSchedule::posterior_coef_x0(int t) const {
  return std::sqrt(alpha_bar(t - 1)) * beta(t) / (1.0 - alpha_bar(t));
}
double NoiseSchedule::posterior_coef_xt(int t) const {
  return std::sqrt(alpha(t)) * (1.0 - alpha_bar(t - 1)) / (1.0 - alpha_bar(t));
}
double NoiseSchedule::snr(int t) const {
  const double ab = alpha_bar(t);
  return t == 0 ? std::numeric_limits<double>::infinity() : ab / (1.0 - ab);
}

}  // namespace verify
