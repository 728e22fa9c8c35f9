// The whole verdict pipeline on a synthetic claim with a known discrepancy: the truth is the mean of
// N(delta, 1) draws, the "formula" says 0. With delta = 0 the false-alarm rate over many seeds must match the
// nominal level; with delta well above the stated minimum detectable discrepancy the claim must be refuted.
#include <doctest/doctest.h>

#include <cmath>

#include "verify/calibration.hpp"
#include "verify/claim.hpp"
#include "verify/runner.hpp"

using namespace verify;

namespace {
void register_synthetic() {
  static const bool once = [] {
    register_all_claims();
    ClaimInfo info;
    info.name = "synthetic.shifted_mean";
    info.family = "synthetic";
    info.summary = "mean of N(delta, 1) equals 0";
    info.params = {{"delta", "true shift"}};
    info.run = [](const CaseSpec& c, const MonteCarlo& mc) -> ClaimOutput {
      const double delta = c.params.number("delta");
      Check k;
      k.form = "as_written";
      k.quantity = "mean";
      k.estimate = mc.mean("x", c.samples, [&](Rng& r) { return delta + r.normal(); });
      k.reference = 0.0;
      k.scale = 1.0;
      k.scale_name = "integrand standard deviation";
      return {k};
    };
    Registry::instance().add(info);
    return true;
  }();
  (void)once;
}

CaseSpec synthetic_case(double delta, std::size_t n, Verdict expect) {
  CaseSpec c;
  c.path = "synthetic.toml";
  c.name = "synthetic";
  c.claim = "synthetic.shifted_mean";
  c.samples = n;
  c.seed = 5;
  c.tolerance = 0.05;
  c.expect["as_written"] = expect;
  ParamValue v;
  v.kind = ParamValue::Kind::number;
  v.number = delta;
  c.params = Params("synthetic.toml", {{"delta", v}});
  return c;
}
}  // namespace

TEST_CASE("A discrepancy of 1.5x the stated minimum detectable one is refuted; none holds") {
  register_synthetic();
  RunOptions o;
  o.alpha = 1e-3;
  const std::size_t n = 40000;
  // One check: mdd = (z_{1-alpha/2} + z_{0.99}) / sqrt(n).
  const double mdd = (normal_quantile(1 - 0.0005) + normal_quantile(0.99)) / std::sqrt(static_cast<double>(n));
  const auto held = run_cases({synthetic_case(0.0, n, Verdict::holds)}, o);
  CHECK(held.checks[0].assessment.min_detectable == doctest::Approx(mdd).epsilon(0.01));
  CHECK(held.checks[0].assessment.verdict == Verdict::holds);
  const auto wrong = run_cases({synthetic_case(1.5 * mdd, n, Verdict::refuted)}, o);
  CHECK(wrong.checks[0].assessment.verdict == Verdict::refuted);
  CHECK(wrong.all_match());
}

TEST_CASE("False-alarm rate over 400 seeds is consistent with the nominal 5%") {
  register_synthetic();
  CalibrationOptions opt;
  opt.seeds = 400;
  opt.alpha = 0.05;
  const auto r = calibrate({synthetic_case(0.0, 4096, Verdict::holds)}, opt);
  REQUIRE(r.checks.size() == 1);
  CHECK(r.checks[0].runs == 400);
  // 99.9% binomial bounds for 400 draws at p = 0.05: about 7..36 alarms.
  CHECK(r.checks[0].alarms >= 7);
  CHECK(r.checks[0].alarms <= 36);
  CHECK_FALSE(r.checks[0].above_nominal);
  CHECK(r.ks_p > 1e-3);
  CHECK(std::abs(r.z_mean) < 0.2);
}

TEST_CASE("Kolmogorov survival function: known values") {
  CHECK(kolmogorov_survival(1.3581) == doctest::Approx(0.05).epsilon(1e-3));
  CHECK(kolmogorov_survival(1.6276) == doctest::Approx(0.01).epsilon(1e-3));
}
