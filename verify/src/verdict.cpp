#include "verify/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace verify {

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::holds: return "holds";
    case Verdict::refuted: return "refuted";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "?";
}

Verdict verdict_from_string(const std::string& s) {
  if (s == "holds") return Verdict::holds;
  if (s == "refuted") return Verdict::refuted;
  if (s == "inconclusive") return Verdict::inconclusive;
  throw std::invalid_argument("'" + s + "' is not a verdict (holds, refuted, inconclusive)");
}

std::string to_string(TestKind k) {
  switch (k) {
    case TestKind::equality: return "equality";
    case TestKind::equivalence: return "equivalence";
    case TestKind::at_most: return "at_most";
    case TestKind::at_least: return "at_least";
  }
  return "?";
}

std::string to_string(ProofStatus p) {
  switch (p) {
    case ProofStatus::none: return "none";
    case ProofStatus::proved: return "proved";
    case ProofStatus::disproved: return "disproved";
    case ProofStatus::undecided: return "undecided";
  }
  return "?";
}

double combined_se(const Check& c) {
  const double se = std::hypot(c.estimate.std_error, c.reference_se);
  if (se > 0) return se;
  // Both sides exact: the only noise is floating-point rounding. Allow 8 ulps of the larger magnitude.
  const double mag = std::max({std::abs(c.estimate.mean), std::abs(c.reference), std::numeric_limits<double>::min()});
  return 8.0 * std::numeric_limits<double>::epsilon() * mag;
}

double check_scale(const Check& c) {
  if (c.scale > 0) return c.scale;
  if (std::abs(c.reference) > 0) return std::abs(c.reference);
  if (c.estimate.std_dev > 0) return c.estimate.std_dev;
  return 1.0;
}

namespace {
double discrepancy(const Check& c) { return c.estimate.mean - c.reference; }

double z_of(const Check& c) {
  const double d = discrepancy(c), se = combined_se(c);
  switch (c.kind) {
    case TestKind::equality:
    case TestKind::at_most: return d / se;
    case TestKind::at_least: return -d / se;
    case TestKind::equivalence: return (std::abs(d) - c.margin) / se;
  }
  return 0;
}
}  // namespace

std::string numerically_degenerate(const Check& c) {
  const std::string head = "numerically degenerate: ";
  // A producer's note applies to exact checks too: an equation checked draw by draw on draws that lost their random
  // part tests one rounded point, where even 50 digits may cancel catastrophically (sweep finding: mu = 6.6e89,
  // sigma^2 = 6.9e-60 in kl_note004_derivation).
  if (!c.degenerate.empty()) return head + c.degenerate;
  if (c.exact) return {};
  const Estimate& e = c.estimate;
  if (e.method == EstimateMethod::exact || e.samples < 2) return {};  // a deterministic value, not a sample mean
  std::ostringstream w;
  w.precision(6);
  if (!std::isfinite(e.mean) || !std::isfinite(e.std_error)) {
    w << head << "the estimate " << e.mean << " (SE " << e.std_error << ") is not finite";
    return w.str();
  }
  if (c.discrete_integrand) return {};
  const double ulps = kDegenerateUlps * std::numeric_limits<double>::epsilon() * std::abs(e.mean);
  if (e.std_error <= ulps) {
    w << head << "the standard error " << e.std_error << " over " << e.samples << " draws is at most "
      << kDegenerateUlps << " ulps of the estimate " << e.mean
      << " (the integrand did not vary beyond rounding: its random part was lost in floating point)";
    return w.str();
  }
  // Antithetic SEs are floored at 64 ulps (finish_antithetic), which would hide a collapsed integrand; for the other
  // methods a collapsed spread already shows as a collapsed SE (and hand-built estimates may leave std_dev unset).
  if (e.method == EstimateMethod::antithetic && e.std_dev <= ulps) {
    w << head << "the integrand's spread collapsed (SD " << e.std_dev << " is at most " << kDegenerateUlps
      << " ulps of its mean " << e.mean << ")";
    return w.str();
  }
  return {};
}

double refutation_p(const Check& c) {
  if (!numerically_degenerate(c).empty()) return 1.0;  // rounding is no evidence either way
  if (c.exact) return c.exact_difference > Check::exact_threshold ? 0.0 : 1.0;
  const double z = z_of(c);
  if (!std::isfinite(z)) return std::isnan(z) ? 1.0 : (z > 0 ? 0.0 : 1.0);
  return c.kind == TestKind::equality ? two_sided_p(z) : upper_p(z);
}

std::vector<Assessment> assess(const std::vector<Check>& checks, const std::vector<double>& tolerance, double alpha,
                               double power) {
  const std::size_t m = checks.size();
  std::vector<double> p(m);
  for (std::size_t i = 0; i < m; ++i) p[i] = refutation_p(checks[i]);
  // The family-wise correction is over the statistical checks: an exact check (decided in 50-digit or exact
  // arithmetic) has no false-alarm probability to share, so a case evaluated at every step does not make the
  // Monte Carlo checks of the run less sensitive.
  std::vector<std::size_t> stat;
  for (std::size_t i = 0; i < m; ++i)
    if (!checks[i].exact) stat.push_back(i);
  std::vector<double> ps(stat.size()), ls;
  for (std::size_t j = 0; j < stat.size(); ++j) ps[j] = p[stat[j]];
  const std::vector<bool> rs = holm(ps, alpha, &ls);
  std::vector<bool> rejected(m, false);
  std::vector<double> level(m, alpha);
  for (std::size_t i = 0; i < m; ++i)
    if (checks[i].exact) rejected[i] = p[i] <= 0.0;
  for (std::size_t j = 0; j < stat.size(); ++j) {
    rejected[stat[j]] = rs[j];
    level[stat[j]] = ls[j];
  }
  // The power statement uses the Bonferroni level alpha/m, the smallest level Holm ever applies, so the
  // stated detectable discrepancy is conservative.
  const double bonf = alpha / static_cast<double>(stat.empty() ? 1 : stat.size());
  const double z_power = normal_quantile(power);
  std::vector<Assessment> out(m);
  for (std::size_t i = 0; i < m; ++i) {
    const Check& c = checks[i];
    Assessment& a = out[i];
    const double se = combined_se(c), scale = check_scale(c);
    if (c.exact) {
      a.p_value = p[i];
      a.alpha = level[i];
      a.discrepancy = c.estimate.mean - c.reference;
      a.relative_discrepancy = a.discrepancy / scale;
      a.min_detectable = Check::exact_threshold * scale;
      a.min_detectable_relative = Check::exact_threshold;
      if (!c.degenerate.empty()) {  // draws that lost their random part: no verdict either way
        a.verdict = Verdict::inconclusive;
        a.reason = numerically_degenerate(c);
        continue;
      }
      // Decided by exact arithmetic: no sampling error, so no power question; the resolution is the threshold.
      a.z = c.exact_difference > Check::exact_threshold ? std::numeric_limits<double>::infinity() : 0.0;
      std::ostringstream w;
      if (c.exact_difference > Check::exact_threshold) {
        a.verdict = Verdict::refuted;
        w << "exact: relative " << (c.kind == TestKind::equality ? "difference " : "violation ") << c.exact_difference
          << " in 50-digit arithmetic";
      } else {
        a.verdict = Verdict::holds;
        w << "exact: relative " << (c.kind == TestKind::equality ? "difference " : "violation ") << c.exact_difference
          << " <= " << Check::exact_threshold << " in 50-digit arithmetic";
      }
      a.reason = w.str();
      continue;
    }
    a.z = z_of(c);
    a.p_value = p[i];
    a.alpha = level[i];
    a.discrepancy = discrepancy(c);
    a.relative_discrepancy = a.discrepancy / scale;
    const bool two_sided = c.kind == TestKind::equality;
    const double z_alpha = normal_quantile(1.0 - (two_sided ? bonf / 2 : bonf));
    a.min_detectable = (c.kind == TestKind::equivalence ? c.margin : 0.0) + (z_alpha + z_power) * se;
    a.min_detectable_relative = a.min_detectable / scale;
    const double tol = tolerance.empty() ? 0.01 : tolerance[std::min(i, tolerance.size() - 1)];
    if (std::string degenerate = numerically_degenerate(c); !degenerate.empty()) {
      // Not a statistical statement: the numbers measure rounding, not the claim (p was set to 1 above).
      a.z = 0;
      a.verdict = Verdict::inconclusive;
      a.reason = std::move(degenerate);
      continue;
    }
    std::ostringstream why;
    if (rejected[i]) {
      a.verdict = Verdict::refuted;
      why << "p = " << p[i] << " <= " << level[i] << " (Holm)";
    } else if (c.kind == TestKind::equivalence) {
      // Two one-sided tests: the whole (1 - 2 alpha_i) interval must lie inside +-margin.
      const double upper = std::abs(a.discrepancy) + normal_quantile(1.0 - level[i]) * se;
      if (upper <= c.margin) {
        a.verdict = Verdict::holds;
        why << "|discrepancy| + z*SE = " << upper << " <= margin " << c.margin;
      } else {
        a.verdict = Verdict::inconclusive;
        why << "|discrepancy| + z*SE = " << upper << " exceeds margin " << c.margin;
      }
    } else if (a.min_detectable > tol * scale) {
      a.verdict = Verdict::inconclusive;
      why << "not refuted, but the smallest detectable discrepancy " << a.min_detectable << " exceeds the tolerance "
          << tol << " x " << scale;
    } else {
      a.verdict = Verdict::holds;
      why << "not refuted; would detect " << a.min_detectable_relative << " of the scale with 99% power";
    }
    a.reason = why.str();
  }
  return out;
}

}  // namespace verify
