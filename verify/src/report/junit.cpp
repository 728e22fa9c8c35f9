// junit.xml for CI systems: which claim failed and by how much.
#include <cmath>
#include <map>
#include <sstream>

#include "format.hpp"
#include "verify/report_junit.hpp"

namespace verify {

namespace {

std::string xml(const std::string& s) { return report::escape_markup(s, true); }

std::string numbers(const CheckResult& c) {
  using namespace report;
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  return fmt::format(
      "claim {} ({} {}), form {}, check {}\nquantity: {}\ntest: {}\nestimate: {}\nreference: {}\n"
      "discrepancy: {} ({} of {})\nz: {}, p: {}, Holm level: {}\nsmallest detectable: {} ({})\nverdict: {}, expected: {}\n"
      "reason: {}",
      c.claim, c.source.note, c.source.section, k.form, k.label, k.quantity, test_str(k), estimate_pm(k),
      reference_str(k), num(a.discrepancy), percent(a.relative_discrepancy), scale_name(k), num(a.z, 4),
      pval(a.p_value), num(a.alpha, 3), num(a.min_detectable, 3), percent(a.min_detectable_relative),
      to_string(a.verdict), c.expect ? to_string(*c.expect) : "none", a.reason);
}

// One line per check, for a form's system-out.
std::string check_line(const CheckResult& c) {
  using namespace report;
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  return fmt::format("{}: {}; estimate {} vs formula {}; discrepancy {} ({} of {}); z {}, p {}, level {}; detectable {}",
                     k.label.empty() ? "(single check)" : k.label, to_string(a.verdict), estimate_pm(k), reference_str(k),
                     num(a.discrepancy, 4), percent(a.relative_discrepancy), scale_name(k), num(a.z, 3), pval(a.p_value),
                     num(a.alpha, 2), percent(a.min_detectable_relative));
}

}  // namespace

std::string report_junit(const RunResult& r) {
  using report::check_fails;
  // Cases in run order, with their forms and checks.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const FormResult*>> forms_of;
  std::map<std::pair<std::string, std::string>, std::vector<const CheckResult*>> checks_of;
  std::map<std::string, double> seconds;
  for (const auto& f : r.forms) {
    if (!forms_of.count(f.case_name)) order.push_back(f.case_name);
    forms_of[f.case_name].push_back(&f);
  }
  for (const auto& c : r.checks) {
    checks_of[{c.case_name, c.check.form}].push_back(&c);
    seconds[c.case_name] = c.seconds;
  }
  std::size_t total_fail = 0, total_tests = 0;
  double total_time = 0;
  std::ostringstream body;
  for (const auto& name : order) {
    const auto& forms = forms_of[name];
    std::size_t fails = 0;
    for (const auto* f : forms) fails += !f->matches();
    const double secs = seconds[name];
    total_fail += fails;
    total_tests += forms.size();
    total_time += secs;
    body << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
                        xml(name), forms.size(), fails, secs);
    for (const auto* f : forms) {
      const auto& checks = checks_of[{name, f->form}];
      body << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xml("case." + name), xml(f->form),
                          secs / static_cast<double>(forms.size()));
      // Every check's numbers for a failing form; for a passing one a line (they are all in report.json).
      std::string out;
      if (!f->matches()) {
        for (const auto* c : checks) out += check_line(*c) + "\n";
      } else {
        std::size_t n[3] = {0, 0, 0};
        const CheckResult* largest = nullptr;
        for (const auto* c : checks) {
          ++n[static_cast<int>(c->assessment.verdict)];
          if (!largest || std::abs(c->assessment.relative_discrepancy) > std::abs(largest->assessment.relative_discrepancy))
            largest = c;
        }
        out = fmt::format("{} checks: {} hold, {} refuted, {} inconclusive", checks.size(), n[0], n[1], n[2]);
        if (largest) out += "; largest relative discrepancy: " + check_line(*largest);
      }
      if (!f->matches()) {
        // The message names the check that fails worst (largest |z| among those whose verdict differs too).
        const CheckResult* worst = nullptr;
        std::string details;
        for (const auto* c : checks)
          if (check_fails(*c, false)) {
            details += numbers(*c) + "\n\n";
            if (!worst || std::abs(c->assessment.z) > std::abs(worst->assessment.z)) worst = c;
          }
        std::string msg = fmt::format("verdict {} but expected {}", to_string(f->verdict), to_string(*f->expect));
        if (worst) {
          const auto& k = worst->check;
          const auto& a = worst->assessment;
          msg += fmt::format(" ({}: estimate {} vs formula {}, discrepancy {} ({} of {}), p = {})", k.label,
                             report::estimate_pm(k), report::reference_str(k), report::num(a.discrepancy, 4),
                             report::percent(a.relative_discrepancy), report::scale_name(k), report::pval(a.p_value));
        }
        body << "      <failure type=\"verdict\" message=\"" << xml(msg) << "\">" << xml(details) << "</failure>\n";
      }
      body << "      <system-out>" << xml(out) << "</system-out>\n    </testcase>\n";
    }
    body << "  </testsuite>\n";
  }
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << fmt::format("<testsuites name=\"diffusion-verify\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                    total_tests, total_fail, total_time);
  os << body.str() << "</testsuites>\n";
  return os.str();
}

}  // namespace verify
