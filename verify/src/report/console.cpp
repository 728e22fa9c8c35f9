#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>

#include "format.hpp"
#include "verify/report_console.hpp"

namespace verify {

bool colour_terminal(int fd) {
  if (!::isatty(fd)) return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

namespace {

void print_forms(const RunResult& r, std::ostream& os, const std::function<std::string(const std::string&, const char*)>& paint) {
  using report::percent;
  struct Agg {
    std::size_t checks = 0, refuted = 0;
    double max_rel = 0, max_mdd = 0;
  };
  std::map<std::pair<std::string, std::string>, Agg> agg;
  for (const auto& c : r.checks) {
    Agg& a = agg[{c.case_name, c.check.form}];
    ++a.checks;
    a.refuted += c.assessment.verdict == Verdict::refuted;
    if (std::isfinite(c.assessment.relative_discrepancy)) a.max_rel = std::max(a.max_rel, std::abs(c.assessment.relative_discrepancy));
    if (std::isfinite(c.assessment.min_detectable_relative)) a.max_mdd = std::max(a.max_mdd, c.assessment.min_detectable_relative);
  }
  os << fmt::format("{:<40} {:<36} {:>6} {:>8} {:>12} {:>11}  {:<12} {:<12}\n", "case", "form", "checks", "refuted",
                    "max |rel d|", "max mdd_rel", "verdict", "expect");
  for (const auto& f : r.forms) {
    const Agg& a = agg[{f.case_name, f.form}];
    std::string v = fmt::format("{:<12}", to_string(f.verdict));
    if (!f.matches()) v = paint(v, "1;31");
    else if (f.expect) v = paint(v, "32");
    os << fmt::format("{:<40} {:<36} {:>6} {:>8} {:>12} {:>11}  {} {:<12}\n", f.case_name.substr(0, 40), f.form.substr(0, 36),
                      a.checks, a.refuted, percent(a.max_rel), percent(a.max_mdd), v, f.expect ? to_string(*f.expect) : "-");
  }
}

}  // namespace

void print_summary(const RunResult& r, std::ostream& os, bool colour, bool per_check) {
  using report::num;
  auto paint = [&](const std::string& s, const char* code) {
    return colour ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  if (!per_check) print_forms(r, os, paint);
  std::map<std::pair<std::string, std::string>, bool> matches;
  for (const auto& f : r.forms) matches[{f.case_name, f.form}] = f.matches();
  if (per_check) os << fmt::format("{:<40} {:<20} {:<28} {:>13} {:>10} {:>13} {:>9} {:>8} {:<12} {:<12}\n", "case", "form", "label",
                    "estimate", "SE", "reference", "p", "mdd_rel", "verdict", "expect");
  for (const auto& c : r.checks) {
    if (!per_check) break;
    const auto& a = c.assessment;
    const bool fails = report::check_fails(c, matches[{c.case_name, c.check.form}]);
    std::string v = fmt::format("{:<12}", to_string(a.verdict));
    if (fails) v = paint(v, "1;31");
    else if (c.expect) v = paint(v, "32");
    os << fmt::format("{:<40} {:<20} {:<28} {:>13} {:>10} {:>13} {:>9} {:>8} {} {:<12}\n", c.case_name.substr(0, 40),
                      c.check.form.substr(0, 20), c.check.label.substr(0, 28), num(c.check.estimate.mean),
                      num(c.check.estimate.std_error, 3), num(c.check.reference), fmt::format("{:.2g}", a.p_value),
                      fmt::format("{:.2g}", a.min_detectable_relative), v, c.expect ? to_string(*c.expect) : "-");
  }
  // Forms whose checks hold by construction: their verdict is algebra evaluated, not Monte Carlo evidence.
  std::map<std::pair<std::string, std::string>, std::string> by_construction;
  for (const auto& c : r.checks)
    if (!c.check.by_construction.empty()) by_construction.emplace(std::make_pair(c.case_name, c.check.form), c.check.by_construction);
  for (const auto& [key, why] : by_construction)
    os << paint("by construction: ", "33") << key.first << " [" << key.second
       << "]: algebraic identity, not a Monte Carlo confirmation (" << why << ")\n";
  std::size_t mismatches = 0;
  for (const auto& f : r.forms)
    if (!f.matches()) {
      ++mismatches;
      os << paint(fmt::format("MISMATCH {} [{}]: verdict {} but expected {}", f.case_name, f.form, to_string(f.verdict),
                              to_string(*f.expect)),
                  "1;31")
         << "\n";
    }
  for (const auto& w : r.warnings) os << paint("warning: ", "33") << w << "\n";
  const std::string line =
      fmt::format("{} cases, {} checks, {} forms; alpha = {} family-wise (Holm); {} form(s) differ from expectation",
                  r.cases.size(), r.checks.size(), r.forms.size(), r.options.alpha, mismatches);
  os << paint(line, mismatches ? "1;31" : "1;32") << "\n";
}

Progress::Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
Progress::~Progress() { clear(); }

void Progress::draw(const std::string& line) {
  if (!enabled_) return;
  if (std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;  // quick runs stay quiet
  std::cerr << "\r\033[K" << line.substr(0, 100) << std::flush;
  shown_ = true;
}

void Progress::update(std::size_t index, std::size_t total, const std::string& name) {
  if (index >= total) return clear();
  draw(fmt::format("[{}/{}] {}", index + 1, total, name));
}

void Progress::phase(const std::string& what) { draw(what); }

void Progress::clear() {
  if (shown_) std::cerr << "\r\033[K" << std::flush;
  shown_ = false;
}

}  // namespace verify
