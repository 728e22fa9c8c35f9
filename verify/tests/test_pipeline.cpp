// The whole verdict pipeline on a synthetic claim with a known discrepancy: the truth is the mean of
// N(delta, 1) draws, the "formula" says 0. With delta = 0 the false-alarm rate over many seeds must match the
// nominal level; with delta well above the stated minimum detectable discrepancy the claim must be refuted.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "verify/calibration.hpp"
#include "verify/claim.hpp"
#include "synthetic_claim.hpp"
#include "verify/errors.hpp"
#include "verify/report_json.hpp"
#include "verify/runner.hpp"

using namespace verify;

namespace {
void register_synthetic() {
  register_synthetic_claim({
      .name = "synthetic.shifted_mean",
      .summary = "mean of N(delta, 1) equals 0",
      .params = {{"delta", "true shift"}},
      .run = [](const CaseSpec& c, const MonteCarlo& mc) -> ClaimOutput {
        const double delta = c.params.number("delta");
        return {Check{.form = "as_written",
                      .quantity = "mean",
                      .estimate = mc.mean("x", c.samples, [&](Rng& r) { return delta + r.normal(); }),
                      .reference = 0.0,
                      .scale = 1.0,
                      .scale_name = "integrand standard deviation"}};
      }});
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
  c.params = one_number_param("synthetic.toml", "delta", delta);
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

// Issue 11 item 5: a claim's own std::out_of_range / std::invalid_argument is a bug in verify, not bad input. It
// used to become an InputError (exit 2, "bad input"); it is an InternalError now (exit 3, "internal error").
TEST_CASE("A claim's own exception is an internal error naming the case and claim, not bad input") {
  register_synthetic_claim({
      .name = "synthetic.buggy",
      .summary = "indexes out of range",
      .params = {{"which", "exception to throw"}},
      .run = [](const CaseSpec& c, const MonteCarlo&) -> ClaimOutput {
        const auto which = c.params.string("which");
        if (which == "out_of_range")
          throw std::out_of_range("vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)");
        if (which == "invalid_argument") throw std::invalid_argument("stod");
        c.fail("mixture", "refused on purpose");
      }});
  auto buggy = [](const std::string& which) {
    CaseSpec c = synthetic_case(0.0, 100, Verdict::holds);
    c.claim = "synthetic.buggy";
    ParamValue v;
    v.kind = ParamValue::Kind::string;
    v.string = which;
    c.params = Params("synthetic.toml", {{"which", v}});
    return c;
  };
  for (const std::string which : {"out_of_range", "invalid_argument"}) {
    CAPTURE(which);
    try {
      run_cases({buggy(which)}, RunOptions{});
      FAIL("no exception");
    } catch (const InputError& e) {
      FAIL("reported as bad input: " << e.what());
    } catch (const InternalError& e) {
      const std::string what = e.what();
      CHECK(what.find("synthetic.toml") != std::string::npos);
      CHECK(what.find("claim synthetic.buggy") != std::string::npos);
    }
  }
  // A claim's deliberate refusal stays bad input, and names the key the case file writes (no "params." prefix).
  try {
    run_cases({buggy("input")}, RunOptions{});
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.key() == "mixture");
    CHECK(std::string(e.what()) == "synthetic.toml: 'mixture': refused on purpose");
  }
}

// Issue 11 item 5: the case comment comes from the text given, not from the file of that name on disk.
TEST_CASE("load_case_from_string takes the comment from the text it was given") {
  const std::string path = "cases/snr_identity/snr_coefficient_linear.toml";  // exists, with its own comment
  const std::string text = "# From the text, not the disk.\n#\n# Second paragraph.\n"
                           "statement = '\\alpha_t = 1 - \\beta_t'\n"
                           "schedule = \"../schedules/linear_1000.toml\"\n"
                           "[source]\nnote = \"004_983c40a0a800b57b.txt\"\nsection = \"2.4\"\n"
                           "[budget]\nsamples = 1\nseed = 1\n[grid]\nt = [2]\n[expect]\nas_written = \"holds\"\n";
  const CaseSpec c = load_case_from_string(text, path);
  CHECK(c.comment == "From the text, not the disk.\n\nSecond paragraph.");
  CHECK(load_case(path).comment != c.comment);
}

TEST_CASE("Params::fail names params.<key>; CaseSpec::schedule_length_key names where T is written") {
  CaseSpec c = synthetic_case(0.0, 10, Verdict::holds);
  try {
    c.params.fail("delta", "must be small");
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.key() == "params.delta");
  }
  c.schedule = NoiseSchedule::linear(10);
  CHECK(c.schedule_length_key() == "schedule.T");
  c.schedule = NoiseSchedule::custom({0.1, 0.2});
  CHECK(c.schedule_length_key() == "schedule.betas");
}

// Issue 11 item 6: a form that holds by construction is labelled in report.json (and the other reports).
TEST_CASE("[by_construction] labels a form's checks in report.json; other forms stay null") {
  CaseSpec c = synthetic_case(0.0, 1000, Verdict::holds);
  c.by_construction["as_written"] = "the mean of delta + N(0, 1) is delta by definition";
  const RunResult r = run_cases({c}, RunOptions{});
  REQUIRE(!r.checks.empty());
  CHECK(r.checks[0].check.by_construction == "the mean of delta + N(0, 1) is delta by definition");
  const std::string json = report_json(r);
  CHECK(json.find("\"by_construction\":\"the mean of delta + N(0, 1) is delta by definition\"") != std::string::npos);
  const RunResult plain = run_cases({synthetic_case(0.0, 1000, Verdict::holds)}, RunOptions{});
  CHECK(report_json(plain).find("\"by_construction\":null") != std::string::npos);
  // A label for a form the case does not produce is bad input naming the key.
  CaseSpec wrong = synthetic_case(0.0, 1000, Verdict::holds);
  wrong.by_construction["corrected"] = "no such form";
  try {
    run_cases({wrong}, RunOptions{});
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.key() == "by_construction.corrected");
  }
}

TEST_CASE("The checks issue 11 item 6 found to hold by construction are labelled in their case files") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> labelled = {
      {"cases/posterior/post_score_form.toml", {"conditional_tweedie_identity"}},
      {"cases/tweedie/tweedie_ddpm_linear_1d.toml", {"eps_relation", "x0_predictor"}},
      {"cases/tweedie/tweedie_ddpm_cosine_2d.toml", {"eps_relation", "x0_predictor"}},
      {"cases/latent_elbo/latent_identities_1d.toml",
       {"log_px_is_elbo_plus_kl", "neg_elbo_prior_form", "s12_expansion_corrected", "s13_decomposition", "quick_corrected"}},
      {"cases/latent_elbo/latent_identities_2d.toml",
       {"log_px_is_elbo_plus_kl", "neg_elbo_prior_form", "s12_expansion_corrected", "s13_decomposition", "quick_corrected"}},
      {"cases/latent_elbo/latent_s12_inequality_sharp.toml", {"corrected"}},
      {"cases/latent_elbo/latent_s12_inequality_three_1d.toml", {"corrected"}},
      {"cases/forward_process/fwd_data_variance_oneshot_2d.toml", {"as_written"}},
  };
  for (const auto& [path, forms] : labelled) {
    CAPTURE(path);
    const CaseSpec c = load_case(path);
    for (const auto& f : forms) {
      CAPTURE(f);
      CHECK(c.by_construction.count(f) == 1);
    }
  }
}

TEST_CASE("registry derives the family from the name and checks depends_on") {
  Registry r;
  r.add({.name = "fam.first"});
  CHECK(r.find("fam.first")->family == "fam");
  CHECK_THROWS_AS(r.add({.name = "nofamily"}), std::logic_error);
  CHECK_THROWS_AS(r.add({.name = "fam.second", .family = "other"}), std::logic_error);
  r.add({.name = "fam.third", .depends_on = {"fam.first", "a_case_id"}});
  CHECK_NOTHROW(r.check_dependencies());
  r.add({.name = "fam.fourth", .depends_on = {"fam.missing"}});
  CHECK_THROWS_WITH_AS(r.check_dependencies(), doctest::Contains("fam.missing"), std::logic_error);
}

// depends_on entries without a dot are case ids; the registry cannot see case files, so this test (run from the
// source tree) checks that each names a case under cases/.
TEST_CASE("depends_on names existing cases") {
  register_all_claims();
  for (const auto& c : Registry::instance().all())
    for (const auto& d : c.depends_on) {
      if (d.find('.') != std::string::npos) continue;
      bool found = false;
      for (const auto& e : std::filesystem::recursive_directory_iterator("cases"))
        found = found || e.path().filename() == d + ".toml";
      CAPTURE(c.name);
      CHECK_MESSAGE(found, "no case file cases/*/" << d << ".toml");
    }
}

namespace {
const ParamSpec kRate{.key = "rate", .meaning = "a probability", .fallback = 0.25, .lo = 0, .hi = 1, .hi_open = true};
const ParamSpec kLevels{.key = "levels", .meaning = "doublings", .type = ParamSpec::Type::integer,
                        .fallback = std::int64_t{3}, .lo = 1, .hi = 8};
const ParamSpec kKind{.key = "kind", .meaning = "which reading", .type = ParamSpec::Type::string, .fallback = "a",
                      .choices = {"a", "b"}};

void register_spec_claim() {
  register_synthetic_claim({
      .name = "synthetic.spec_params",
      .summary = "reads its parameters through their specs",
      .params = {kRate, kLevels, kKind},
      .run = [](const CaseSpec&, const MonteCarlo&) -> ClaimOutput { return {}; }});
}

CaseSpec spec_case(const std::string& params) {
  register_spec_claim();
  return load_case_from_string("claim = \"synthetic.spec_params\"\nstatement = \"x\"\n[source]\nnote = \"n\"\nsection = \"s\"\n"
                               "[budget]\nsamples = 10\nseed = 1\n[expect]\nas_written = \"holds\"\n[params]\n" + params, "spec.toml");
}

std::string load_error(const std::string& params) {
  try {
    (void)spec_case(params);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("A ParamSpec validates the case at load and gives its default to the claim") {
  const CaseSpec absent = spec_case("");
  CHECK(absent.params.number(kRate) == 0.25);
  CHECK(absent.params.integer(kLevels) == 3);
  CHECK(absent.params.string(kKind) == "a");
  const CaseSpec given = spec_case("rate = 0.5\nlevels = 8\nkind = \"b\"\n");
  CHECK(given.params.number(kRate) == 0.5);
  CHECK(given.params.integer(kLevels) == 8);
  CHECK(given.params.string(kKind) == "b");
  // Each error names params.<key> and the rule.
  CHECK(load_error("rate = 1.0\n").find("'params.rate': 1 is outside the accepted range: must be in [0, 1)") != std::string::npos);
  CHECK(load_error("rate = nan\n").find("'params.rate'") != std::string::npos);
  CHECK(load_error("levels = 9\n").find("'params.levels': 9 is outside the accepted range: must be in 1..8") != std::string::npos);
  CHECK(load_error("levels = 2.5\n").find("'params.levels': expected an integer") != std::string::npos);
  CHECK(load_error("kind = \"c\"\n").find("'params.kind': expected one of \"a\", \"b\", got \"c\"") != std::string::npos);
  CHECK(load_error("rte = 0.5\n").find("'params.rte'") != std::string::npos);
  CHECK(describe(kRate) == "number in [0, 1), default 0.25");
  CHECK(describe(kLevels) == "integer in 1..8, default 3");
  CHECK(describe(kKind) == "one of \"a\", \"b\", default \"a\"");
}

TEST_CASE("A claim whose string choices are declared on a number is a bug in its registration") {
  register_all_claims();
  CHECK_THROWS_AS(Registry::instance().add({.name = "synthetic.bad_choices",
                                            .params = {{.key = "k", .meaning = "m", .choices = {"x"}}}}),
                  std::logic_error);
}
