// The report writers on a small hand-made RunResult (no Monte Carlo): the errata's wording and order, the plain-terms
// size of an error, label typesetting for plots, gnuplot scripts that cannot warn about empty ranges, and what the
// HTML, Markdown and JUnit renderings contain. Expected strings are written here by hand from the numbers below.
#include <doctest/doctest.h>

#include "../src/report/errata.hpp"
#include "../src/report/format.hpp"
#include "../src/report/labels.hpp"
#include "verify/report_document.hpp"
#include "verify/report_junit.hpp"
#include "verify/report_plots.hpp"

using namespace verify;
using namespace verify::report;

namespace {

CaseSpec spec(const std::string& name, const std::string& section, int line, const std::string& statement) {
  CaseSpec c;
  c.name = name;
  c.path = "cases/x/" + name + ".toml";
  c.source = {"001_abc.txt", section, line};
  c.statement = statement;
  c.comment = "The note's factor is wrong.\n\nThe right one is 1/(2 beta_tilde_t).";
  return c;
}

CheckResult check(const CaseSpec& c, const std::string& form, double estimate, double se, double reference,
                  Verdict v, Verdict expect) {
  CheckResult r;
  r.case_name = c.name;
  r.source = c.source;
  r.check.form = form;
  r.check.label = "t=10";
  r.check.quantity = "the KL";
  r.check.estimate.mean = estimate;
  r.check.estimate.std_error = se;
  r.check.reference = reference;
  r.assessment.verdict = v;
  r.assessment.discrepancy = estimate - reference;
  r.assessment.relative_discrepancy = (estimate - reference) / reference;  // scale |reference|
  r.assessment.min_detectable_relative = 0.001;
  r.assessment.p_value = v == Verdict::refuted ? 1e-30 : 0.5;
  r.assessment.alpha = 1e-4;
  r.expect = expect;
  return r;
}

RunResult run() {
  RunResult r;
  r.cases = {spec("late", "KL formula", 162, "D = \\frac{1}{2\\beta_t} a"), spec("early", "Posterior", 141, "q = p")};
  r.checks = {check(r.cases[0], "as_written", 3.844, 0.0002, 4.506, Verdict::refuted, Verdict::refuted),
              check(r.cases[0], "corrected", 3.8441, 0.0002, 3.844, Verdict::holds, Verdict::holds),
              check(r.cases[1], "as_written", 1.0001, 0.001, 1.0, Verdict::holds, Verdict::holds)};
  r.forms = {{"late", "as_written", Verdict::refuted, Verdict::refuted},
             {"late", "corrected", Verdict::holds, Verdict::holds},
             {"early", "as_written", Verdict::holds, Verdict::holds}};
  return r;
}

}  // namespace

TEST_CASE("Errata: a note's claims in the note's order, the verdict in words, the error in plain terms") {
  const RunResult r = run();
  const auto notes = errata_by_note(r);
  REQUIRE(notes.size() == 1);
  REQUIRE(notes[0].claims.size() == 2);
  CHECK(notes[0].claims[0].line == 141);  // by line, not by run order
  CHECK(notes[0].claims[1].line == 162);
  CHECK(notes[0].count(Standing::holds) == 1);
  CHECK(notes[0].count(Standing::wrong) == 1);
  const CaseAccount& a = notes[0].claims[1].cases.front();
  CHECK(a.standing == Standing::wrong);
  CHECK(a.verdict == "Wrong as written; the corrected form holds.");
  CHECK(a.corrected_form == "corrected");
  // (4.506 - 3.844) / 4.506 = 14.7%, the formula above the truth.
  CHECK(a.size == "As written it gives 4.506 at t=10 where the measured value is 3.844 ± 0.0002: 14.7% too high, "
                  "relative to the formula's value.");
  CHECK(notes[0].claims[0].cases.front().verdict == "Holds.");
}

TEST_CASE("Errata: a claim that holds in one scenario and not in another is wrong as written") {
  RunResult r = run();
  CaseSpec second = r.cases[0];
  second.name = "late_other";
  r.cases.push_back(second);
  r.checks.push_back(check(second, "as_written", 4.506, 0.001, 4.506, Verdict::holds, Verdict::holds));
  r.forms.push_back({"late_other", "as_written", Verdict::holds, Verdict::holds});
  const auto notes = errata_by_note(r);
  const ClaimEntry& e = notes[0].claims[1];
  REQUIRE(e.cases.size() == 2);
  CHECK(e.standing == Standing::wrong);
  CHECK(e.verdict == "Holds only in some of the scenarios checked (below): wrong as written in general.");
}

TEST_CASE("Percentages: readable at every size") {
  CHECK(percent(0.147) == "14.7%");
  CHECK(percent(-0.0123) == "-1.23%");
  CHECK(percent(69468175.48) == "6.95e+09%");
  CHECK(ordinal(2) == "2nd");
  CHECK(ordinal(11) == "11th");
  CHECK(ordinal(23) == "23rd");
}

TEST_CASE("Plot labels: ASCII notation typeset the same way for gnuplot and for HTML") {
  CHECK(label_html(parse_label("beta_tilde_t")) == "β\u0303<sub>t</sub>");
  CHECK(label_html(parse_label("L_{t-1} (nats)")) == "L<sub>t-1</sub> (nats)");
  CHECK(label_html(parse_label("N^-1/2 guide")) == "N<sup>-1/2</sup> guide");
  CHECK(label_html(parse_label("sigma_theta^2")) == "σ<sub>θ</sub><sup>2</sup>");
  CHECK(label_html(parse_label("+-4.56 SE")) == "±4.56 SE");
  CHECK(label_html(parse_label("as_written: x")) == "as_written: x");  // a name, not a subscript
  CHECK(label_html(parse_label("form model_variance_beta")) == "form model_variance_beta");
  CHECK(gnuplot_enhanced(parse_label("p_theta(x_0)")) == "p_{θ}(x_{0})");
  CHECK(gnuplot_enhanced(parse_label("as_written {a}")) == "as\\_written \\{a\\}");
}

TEST_CASE("gnuplot scripts: typeset labels, and a range around a panel whose points share one x") {
  Plot p;
  p.stem = "c__bound";
  p.title = "ELBO";
  Figure f;
  f.title = "ELBO against log p_theta(x_0)";
  f.xlabel = "x_0";
  f.ylabel = "nats";
  f.series = {{"ELBO", "points", {0.5}, {2.1}, {}}, {"log p", "points", {0.5}, {2.2}, {}}};
  p.panels = {f};
  const std::string gp = gnuplot_script(p);
  CHECK(gp.find("set termoption enhanced") != std::string::npos);
  CHECK(gp.find("set xrange [0.25:0.75]") != std::string::npos);  // else gnuplot warns "empty x range"
  CHECK(gp.find("log p_{θ}(x_{0})") != std::string::npos);
}

TEST_CASE("Renderings: formulas counted for the browser test, appendix only in HTML, JUnit per form") {
  const RunResult r = run();
  const Document d = build_document(r, {}, {});
  const std::string html = render_html(d, {false, {}, {}});
  CHECK(html.find("class=\"math-missing\"") != std::string::npos);  // no KaTeX given: source shown, marked
  std::size_t tex = 0;
  for (std::size_t pos = 0; (pos = html.find("class=\"tex", pos)) != std::string::npos; ++pos) ++tex;
  CHECK(html.find("data-formulas=\"" + std::to_string(tex) + "\"") != std::string::npos);
  CHECK(html.find("id=\"appendix-deflated\"") != std::string::npos);
  const std::string md = render_markdown(d);
  CHECK(md.find("$$\nD = \\frac{1}{2\\beta_t} a\n$$") != std::string::npos);
  CHECK(md.find("## Appendix: the cases") != std::string::npos);
  CHECK(md.find("| Form | Check |") == std::string::npos);  // per-check tables are in report.html and report.json
  CHECK(md.find("Note 001") < md.find("Posterior"));
  CHECK(md.find("Posterior") < md.find("KL formula, line 162 [wrong as written]"));
  const std::string junit = report_junit(r);
  CHECK(junit.find("tests=\"3\" failures=\"0\"") != std::string::npos);
  CHECK(junit.find("<testcase classname=\"case.late\" name=\"corrected\"") != std::string::npos);
}

// Issue 11 item 6: a form that holds by construction says so in report.md (case list) and report.html (its case).
TEST_CASE("By construction: the label in the Markdown case list and in the case's HTML section") {
  RunResult r = run();
  r.checks[1].check.by_construction = "pure algebra in double precision";
  const Document d = build_document(r, {}, {});
  const std::string md = render_markdown(d);
  CHECK(md.find("corrected holds (by construction: an algebraic identity, not a Monte Carlo confirmation)") != std::string::npos);
  CHECK(md.find("as written refuted (by construction") == std::string::npos);
  bool in_html = false;
  for (const auto& b : d.blocks) {
    std::string text;
    for (const auto& s : b.text) text += s.text;
    if (text.find("By construction: ") == 0 && text.find("pure algebra in double precision") != std::string::npos) in_html = b.html_only;
  }
  CHECK(in_html);
}
