// verify compare on small report.json documents that differ from a baseline in one way each.
#include <doctest/doctest.h>
#include <fmt/core.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "verify/compare.hpp"
#include "verify/errors.hpp"

using namespace verify;

namespace {

struct C {  // a check of the document under construction
  std::string case_name, form, label, verdict;
  double mdd;  // min_detectable_relative; NaN is written as null, as report_json does
  std::string quantity = "q";
};
struct F {
  std::string case_name, form, verdict;
};

std::string report(const std::vector<C>& checks, const std::vector<F>& forms, const std::string& seed = "\"per-case\"",
                   double alpha = 1e-3) {
  std::string s = fmt::format("{{\"run\": {{\"version\": \"0.1.0\", \"seed\": {}, \"alpha\": {}}}, \"checks\": [", seed, alpha);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const C& c = checks[i];
    s += fmt::format("{}{{\"case\": \"{}\", \"claim\": \"x.y\", \"form\": \"{}\", \"label\": \"{}\", \"quantity\": \"{}\", "
                     "\"verdict\": \"{}\", \"min_detectable_relative\": {}, \"seconds\": 0.1}}",
                     i ? ", " : "", c.case_name, c.form, c.label, c.quantity, c.verdict,
                     std::isnan(c.mdd) ? std::string("null") : fmt::format("{}", c.mdd));
  }
  s += "], \"forms\": [";
  for (std::size_t i = 0; i < forms.size(); ++i)
    s += fmt::format("{}{{\"case\": \"{}\", \"form\": \"{}\", \"verdict\": \"{}\", \"expect\": null, \"matches\": true}}",
                     i ? ", " : "", forms[i].case_name, forms[i].form, forms[i].verdict);
  return s + "]}";
}

const std::vector<C> base_checks = {
    {"kl", "as_written", "t=10", "refuted", 0.0003},
    {"kl", "corrected", "t=10", "holds", 0.0004},
    {"tw", "as_written", "t=1", "holds", 0.004},
    {"tw", "as_written", "t=500", "holds", 0.006},
};
const std::vector<F> base_forms = {{"kl", "as_written", "refuted"}, {"kl", "corrected", "holds"}, {"tw", "as_written", "holds"}};

Comparison run(const std::string& b, const std::string& r, double factor = 1.5) {
  return compare_reports(parse_report_digest(b, "base.json"), parse_report_digest(r, "report.json"), {factor});
}

}  // namespace

TEST_CASE("Identical reports: no differences, exit status 0") {
  const std::string b = report(base_checks, base_forms);
  const Comparison c = run(b, b);
  CHECK(c.differences.empty());
  CHECK(c.failures() == 0);
  CHECK(c.checks_compared == 4);
  CHECK(c.forms_compared == 3);
  CHECK(c.notes.empty());
}

TEST_CASE("A check's verdict changed (and so its form's): both fail") {
  auto checks = base_checks;
  checks[3].verdict = "refuted";
  auto forms = base_forms;
  forms[2].verdict = "refuted";
  const Comparison c = run(report(base_checks, base_forms), report(checks, forms));
  REQUIRE(c.differences.size() == 2);
  CHECK(c.differences[0].change == Change::verdict);
  CHECK(c.differences[0].case_name == "tw");
  CHECK(c.differences[0].label == "t=500");
  CHECK(c.differences[0].before == "holds");
  CHECK(c.differences[0].after == "refuted");
  CHECK(c.differences[1].change == Change::form_verdict);
  CHECK(c.failures() == 2);
}

TEST_CASE("Refuted to holds is a change too, and a form verdict alone is caught") {
  auto checks = base_checks;
  checks[0].verdict = "holds";
  const Comparison a = run(report(base_checks, base_forms), report(checks, base_forms));
  REQUIRE(a.differences.size() == 1);
  CHECK(a.differences[0].change == Change::verdict);
  auto forms = base_forms;
  forms[1].verdict = "inconclusive";
  const Comparison b = run(report(base_checks, base_forms), report(base_checks, forms));
  REQUIRE(b.differences.size() == 1);
  CHECK(b.differences[0].change == Change::form_verdict);
  CHECK(b.differences[0].after == "inconclusive");
  CHECK(b.failures() == 1);
}

TEST_CASE("A holding check got weaker beyond the factor: fails; within the factor: passes") {
  auto checks = base_checks;
  checks[2].mdd = 0.004 * 1.6;  // x1.6 > 1.5
  checks[3].mdd = 0.006 * 1.4;  // x1.4 <= 1.5
  checks[0].mdd = 0.0003 * 10;  // a refuted check's detectable discrepancy is not gated
  const Comparison c = run(report(base_checks, base_forms), report(checks, base_forms));
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].change == Change::weaker);
  CHECK(c.differences[0].label == "t=1");
  CHECK(c.differences[0].ratio == doctest::Approx(1.6));
  CHECK(c.failures() == 1);
  // The factor is the caller's: at 2 nothing fails, at 1.3 both tweedie checks do.
  CHECK(run(report(base_checks, base_forms), report(checks, base_forms), 2.0).failures() == 0);
  CHECK(run(report(base_checks, base_forms), report(checks, base_forms), 1.3).failures() == 2);
  // Stronger is never a failure.
  auto stronger = base_checks;
  stronger[1].mdd /= 4;
  CHECK(run(report(base_checks, base_forms), report(stronger, base_forms)).differences.empty());
}

TEST_CASE("A detectable discrepancy that became null is weaker; rounding-level changes of exact checks are not") {
  auto checks = base_checks;
  checks[1].mdd = NAN;
  const Comparison c = run(report(base_checks, base_forms), report(checks, base_forms));
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].change == Change::weaker);
  CHECK(c.differences[0].after == "n/a");
  // Exact checks report 0 (or a denormal) with one seed and ~1e-10 with another: both below the 1e-8 floor.
  auto exact = base_checks;
  exact[1].mdd = 2.87e-322;
  auto now = base_checks;
  now[1].mdd = 1.3e-10;
  CHECK(run(report(exact, base_forms), report(now, base_forms)).failures() == 0);
  now[1].mdd = 1e-3;  // an exact check that became a Monte Carlo estimate
  CHECK(run(report(exact, base_forms), report(now, base_forms)).failures() == 1);
  // A baseline without the number (null) gates nothing.
  CHECK(run(report(checks, base_forms), report(base_checks, base_forms)).failures() == 0);
}

TEST_CASE("A check or a form that disappeared fails; new ones are reported and do not") {
  auto checks = base_checks;
  checks.pop_back();
  checks.push_back({"tw", "as_written", "t=900", "holds", 0.005});  // t=500 renamed: one missing, one new
  auto forms = base_forms;
  forms.push_back({"tw", "mutant:sign", "refuted"});
  const Comparison c = run(report(base_checks, base_forms), report(checks, forms));
  REQUIRE(c.differences.size() == 3);
  CHECK(c.differences[0].change == Change::missing_check);
  CHECK(c.differences[0].label == "t=500");
  CHECK(c.differences[1].change == Change::new_check);
  CHECK(c.differences[1].label == "t=900");
  CHECK_FALSE(c.differences[1].fails());
  CHECK(c.differences[2].change == Change::new_form);
  CHECK(c.failures() == 1);
  // A whole case gone: its checks and forms are all missing.
  std::vector<C> only_kl(base_checks.begin(), base_checks.begin() + 2);
  std::vector<F> only_kl_forms(base_forms.begin(), base_forms.begin() + 2);
  const Comparison gone = run(report(base_checks, base_forms), report(only_kl, only_kl_forms));
  CHECK(gone.failures() == 3);
  CHECK(gone.differences.back().change == Change::missing_form);
  // Only new entries: exit 0.
  CHECK(run(report(only_kl, only_kl_forms), report(base_checks, base_forms)).failures() == 0);
}

TEST_CASE("Checks of a form that share a label are told apart by their quantity") {
  std::vector<C> two = {{"fwd", "corrected", "t=1", "holds", 0.006, "E[x_t]"}, {"fwd", "corrected", "t=1", "holds", 0.008, "Var[x_t]"}};
  std::vector<F> forms = {{"fwd", "corrected", "holds"}};
  auto swapped = std::vector<C>{two[1], two[0]};  // same checks in another order: no difference
  CHECK(run(report(two, forms), report(swapped, forms)).differences.empty());
  swapped[0].mdd = 0.02;  // the variance check got weaker
  const Comparison c = run(report(two, forms), report(swapped, forms));
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].quantity == "Var[x_t]");
  CHECK(c.differences[0].baseline_index == 1);
  const auto b = parse_report_digest(report(two, forms), "b.json");
  const auto r = parse_report_digest(report(swapped, forms), "r.json");
  const std::string x = comparison_junit(c, b, r);
  // The failure is attached to the second testcase (the baseline's variance check), not the first.
  const auto first = x.find("<testcase"), second = x.find("<testcase", first + 1), failure = x.find("<failure");
  CHECK(failure > second);
  CHECK(failure < x.find("<testcase", second + 1));
}

TEST_CASE("Repeated identities are matched in order, and different run settings are notes, not failures") {
  std::vector<C> twice = {{"a", "f", "x", "holds", 0.001}, {"a", "f", "x", "holds", 0.002}};
  std::vector<F> forms = {{"a", "f", "holds"}};
  auto changed = twice;
  changed[1].verdict = "inconclusive";
  const Comparison c = run(report(twice, forms), report(changed, forms));
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].before == "holds");
  CHECK(c.differences[0].after == "inconclusive");
  const Comparison n = run(report(twice, forms), report(twice, forms, "7", 1e-2));
  CHECK(n.failures() == 0);
  CHECK(n.notes.size() == 2);
}

TEST_CASE("The table and the JUnit XML name each difference") {
  auto checks = base_checks;
  checks[3].verdict = "refuted";
  checks[2].mdd = 0.02;
  checks.push_back({"new<case>", "as_written", "a&b", "holds", 0.001});
  const auto b = parse_report_digest(report(base_checks, base_forms), "base.json");
  const auto r = parse_report_digest(report(checks, base_forms), "report.json");
  const Comparison c = compare_reports(b, r);
  std::ostringstream os;
  print_comparison(c, b, r, os);
  const std::string table = os.str();
  CHECK(table.find("verdict") != std::string::npos);
  CHECK(table.find("weaker") != std::string::npos);
  CHECK(table.find("(x5)") != std::string::npos);
  CHECK(table.find("not a failure") != std::string::npos);
  CHECK(table.find("FAIL:") != std::string::npos);
  const std::string x = comparison_junit(c, b, r);
  CHECK(x.find("tests=\"8\" failures=\"2\"") != std::string::npos);  // 4 checks + 3 forms + 1 new
  CHECK(x.find("<failure type=\"verdict\"") != std::string::npos);
  CHECK(x.find("<failure type=\"weaker\"") != std::string::npos);
  CHECK(x.find("new&lt;case&gt;") != std::string::npos);
  CHECK(x.find("a&amp;b") != std::string::npos);
  std::ostringstream ok;
  print_comparison(compare_reports(b, b), b, b, ok);
  CHECK(ok.str().find("OK: 4 checks and 3 forms compared; 0 difference(s)") != std::string::npos);
}

TEST_CASE("Not a report.json: InputError naming the file and the key") {
  CHECK_THROWS_WITH_AS(parse_report_digest("{not json", "r.json"), doctest::Contains("r.json: not valid JSON"), InputError);
  CHECK_THROWS_WITH_AS(parse_report_digest("[1]", "r.json"), doctest::Contains("not a JSON object"), InputError);
  CHECK_THROWS_WITH_AS(parse_report_digest("{\"checks\": []}", "r.json"), doctest::Contains("'forms': missing array"), InputError);
  CHECK_THROWS_WITH_AS(parse_report_digest("{\"checks\": [{\"case\": \"a\"}], \"forms\": []}", "r.json"),
                       doctest::Contains("'checks[0].form': missing or not a string"), InputError);
  CHECK_THROWS_WITH_AS(load_report_digest("/nonexistent/report.json"), doctest::Contains("file does not exist"), InputError);
}
