#include "verify/calibration.hpp"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <chrono>
#include <cmath>
#include <map>

#include "verify/rng.hpp"
#include "verify/runner.hpp"
#include "verify/stats.hpp"

namespace verify {

double kolmogorov_survival(double x) {
  if (x <= 0) return 1.0;
  if (x < 0.2) return 1.0;  // the series converges slowly here and the value is 1 to double precision
  double s = 0;
  for (int k = 1; k <= 100; ++k) s += (k % 2 ? 2.0 : -2.0) * std::exp(-2.0 * k * k * x * x);
  return std::clamp(s, 0.0, 1.0);
}

CalibrationResult calibrate(std::vector<CaseSpec> cases, const CalibrationOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  for (auto& c : cases)
    c.samples = std::max<std::size_t>(1000, static_cast<std::size_t>(std::llround(c.samples * opt.budget_scale)));
  struct Acc {
    CheckCalibration cal;
    Moments z;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Acc> acc;
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  std::vector<double> pooled_z;
  for (std::size_t k = 0; k < opt.seeds; ++k) {
    RunOptions ro;
    // Seeds spread by a hash so neighbouring calibration runs share no structure with the default seeds.
    ro.seed = stream_id("calibration/" + std::to_string(opt.base_seed) + "/" + std::to_string(k)) >> 1;
    ro.threads = opt.threads;
    ro.alpha = opt.alpha;
    const RunResult r = run_cases(cases, ro);
    for (const auto& c : r.checks) {
      // Only random checks whose form is expected to hold: an exact comparison has no sampling error.
      if (!c.expect || *c.expect != Verdict::holds || c.check.estimate.samples == 0) continue;
      const auto key = std::make_tuple(c.case_name, c.check.form, c.check.label);
      auto it = acc.find(key);
      if (it == acc.end()) {
        it = acc.emplace(key, Acc{}).first;
        it->second.cal.case_name = c.case_name;
        it->second.cal.form = c.check.form;
        it->second.cal.label = c.check.label;
        order.push_back(key);
      }
      auto& a = it->second;
      a.cal.runs++;
      if (c.assessment.p_value < opt.alpha) a.cal.alarms++;
      a.z.add(c.assessment.z);
      if (c.check.kind == TestKind::equality) pooled_z.push_back(c.assessment.z);
    }
  }
  CalibrationResult out;
  out.options = opt;
  const double m = static_cast<double>(std::max<std::size_t>(1, order.size()));
  for (const auto& key : order) {
    auto& a = acc.at(key);
    auto& cal = a.cal;
    cal.rate = static_cast<double>(cal.alarms) / static_cast<double>(cal.runs);
    std::tie(cal.ci_low, cal.ci_high) = clopper_pearson(cal.alarms, cal.runs, 0.95);
    const boost::math::binomial_distribution<> b(static_cast<double>(cal.runs), opt.alpha);
    cal.p_above = cal.alarms == 0 ? 1.0 : boost::math::cdf(boost::math::complement(b, static_cast<double>(cal.alarms) - 1));
    cal.above_nominal = cal.p_above < 0.01 / m;
    cal.z_mean = a.z.mean;
    cal.z_var = a.z.variance();
    out.runs += cal.runs;
    out.alarms += cal.alarms;
    out.checks.push_back(cal);
  }
  if (out.runs) {
    out.rate = static_cast<double>(out.alarms) / static_cast<double>(out.runs);
    std::tie(out.ci_low, out.ci_high) = clopper_pearson(out.alarms, out.runs, 0.95);
  }
  if (!pooled_z.empty()) {
    Moments zm;
    for (double z : pooled_z) zm.add(z);
    out.z_count = pooled_z.size();
    out.z_mean = zm.mean;
    out.z_var = zm.variance();
    std::sort(pooled_z.begin(), pooled_z.end());
    const double n = static_cast<double>(pooled_z.size());
    double d = 0;
    for (std::size_t i = 0; i < pooled_z.size(); ++i) {
      const double f = normal_cdf(pooled_z[i]);
      d = std::max({d, f - i / n, (i + 1) / n - f});
    }
    out.ks_statistic = d;
    out.ks_p = kolmogorov_survival(std::sqrt(n) * d);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace verify
