#pragma once
// Discrete noise schedules in the notes' own indexing: t = 1..T, with alpha_bar_0 = 1.
#include <string>
#include <vector>

namespace verify {

class NoiseSchedule {
 public:
  // DDPM linear schedule: beta_t = beta_start + (beta_end - beta_start) (t-1)/(T-1), in float64.
  static NoiseSchedule linear(int T, double beta_start = 1e-4, double beta_end = 0.02);
  // Nichol & Dhariwal cosine schedule: alpha_bar(u) = f(u)/f(0), f(u) = cos^2(((u + s)/(1 + s)) pi/2);
  // beta_t = min(1 - f(t/T)/f((t-1)/T), max_beta). alpha_bar_t is the running product of the clipped betas.
  static NoiseSchedule cosine(int T, double s = 0.008, double max_beta = 0.999);
  // Explicit betas beta_1..beta_T. Throws std::invalid_argument if any beta is outside (0, 1).
  static NoiseSchedule custom(std::vector<double> betas);

  int T() const { return static_cast<int>(betas_.size()) - 1; }
  const std::string& kind() const { return kind_; }
  double beta(int t) const;       // t in 1..T
  double alpha(int t) const;      // 1 - beta_t
  double alpha_bar(int t) const;  // t in 0..T, alpha_bar_0 = 1
  // Posterior variance beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t); exactly 0 at t = 1.
  double beta_tilde(int t) const;
  // Coefficients of x_0 and x_t in the posterior mean mu_tilde_t(x_t, x_0).
  double posterior_coef_x0(int t) const;
  double posterior_coef_xt(int t) const;
  // Signal-to-noise ratio alpha_bar_t / (1 - alpha_bar_t); +inf at t = 0.
  double snr(int t) const;
  // Indices of betas that the cosine schedule clipped at max_beta (empty for other kinds).
  const std::vector<int>& clipped() const { return clipped_; }

 private:
  NoiseSchedule(std::string kind, std::vector<double> betas);
  void check_t(int t, int lo) const;
  std::string kind_;
  std::vector<double> betas_;      // index 0 unused
  std::vector<double> alpha_bar_;  // index 0 = 1
  std::vector<int> clipped_;
};

}  // namespace verify
