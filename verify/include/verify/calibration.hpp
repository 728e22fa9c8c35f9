#pragma once
// Calibration of false alarms: rerun every holding, random check under many independent seeds and compare
// the observed rejection rate at a raised per-check level with that level.
#include <cstdint>
#include <string>
#include <vector>

#include "verify/case_file.hpp"

namespace verify {

struct CalibrationOptions {
  std::size_t seeds = 200;
  double alpha = 0.05;        // per-check level at which a p-value counts as an alarm (no multiplicity correction)
  double budget_scale = 1.0;  // multiplies every case's sample count (at least 1000 samples are kept)
  std::uint64_t base_seed = 1;
  int threads = 1;
};

struct CheckCalibration {
  std::string case_name, form, label;
  std::size_t runs = 0, alarms = 0;
  double rate = 0, ci_low = 0, ci_high = 0;  // 95% Clopper-Pearson interval of the alarm rate
  double p_above = 1;        // one-sided binomial P(X >= alarms) under the nominal rate
  bool above_nominal = false;  // p_above below 0.01 / (number of checks): a defect to fix
  double z_mean = 0, z_var = 0;
};

struct CalibrationResult {
  CalibrationOptions options;
  std::vector<CheckCalibration> checks;
  std::size_t runs = 0, alarms = 0;
  double rate = 0, ci_low = 0, ci_high = 0;
  // Pooled z-scores of the two-sided (equality) checks against N(0, 1).
  std::size_t z_count = 0;
  double z_mean = 0, z_var = 0, ks_statistic = 0, ks_p = 1;
  double seconds = 0;
};

CalibrationResult calibrate(std::vector<CaseSpec> cases, const CalibrationOptions& options);

// Kolmogorov's asymptotic survival function P(sqrt(n) D_n > x).
double kolmogorov_survival(double x);

}  // namespace verify
