// junit.xml for CI systems: which claim failed and by how much.
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

}  // namespace

std::string report_junit(const RunResult& r) {
  using report::check_fails;
  std::map<std::pair<std::string, std::string>, bool> matches;
  for (const auto& f : r.forms) matches[{f.case_name, f.form}] = f.matches();
  // Cases in run order, with their checks.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CheckResult*>> by_case;
  for (const auto& c : r.checks) {
    if (!by_case.count(c.case_name)) order.push_back(c.case_name);
    by_case[c.case_name].push_back(&c);
  }
  std::size_t total_fail = 0;
  double total_time = 0;
  std::ostringstream body;
  for (const auto& name : order) {
    const auto& checks = by_case[name];
    std::size_t fails = 0;
    for (const auto* c : checks) fails += check_fails(*c, matches[{c->case_name, c->check.form}]);
    const double secs = checks.front()->seconds;
    total_fail += fails;
    total_time += secs;
    body << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
                        xml(name), checks.size(), fails, secs);
    for (const auto* c : checks) {
      const Check& k = c->check;
      const std::string tc = k.label.empty() ? k.form : fmt::format("{} [{}]", k.form, k.label);
      body << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml(fmt::format("case.{}", name)), xml(tc),
                          secs / static_cast<double>(checks.size()));
      const std::string nums = numbers(*c);
      if (check_fails(*c, matches[{c->case_name, k.form}])) {
        const auto& a = c->assessment;
        const std::string msg = fmt::format("verdict {} but expected {}: estimate {} vs reference {}, discrepancy {} ({} of {}), p = {}",
                                            to_string(a.verdict), to_string(*c->expect), report::estimate_pm(k),
                                            report::reference_str(k), report::num(a.discrepancy, 4),
                                            report::percent(a.relative_discrepancy), report::scale_name(k),
                                            report::pval(a.p_value));
        body << ">\n      <failure type=\"verdict\" message=\"" << xml(msg) << "\">" << xml(nums) << "</failure>\n    </testcase>\n";
      } else {
        body << ">\n      <system-out>" << xml(nums) << "</system-out>\n    </testcase>\n";
      }
    }
    body << "  </testsuite>\n";
  }
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << fmt::format("<testsuites name=\"diffusion-verify\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                    r.checks.size(), total_fail, total_time);
  os << body.str() << "</testsuites>\n";
  return os.str();
}

}  // namespace verify
