#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
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

void print_summary(const RunResult& r, std::ostream& os, bool colour) {
  using report::num;
  auto paint = [&](const std::string& s, const char* code) {
    return colour ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  std::map<std::pair<std::string, std::string>, bool> matches;
  for (const auto& f : r.forms) matches[{f.case_name, f.form}] = f.matches();
  os << fmt::format("{:<40} {:<20} {:<28} {:>13} {:>10} {:>13} {:>9} {:>8} {:<12} {:<12}\n", "case", "form", "label",
                    "estimate", "SE", "reference", "p", "mdd_rel", "verdict", "expect");
  for (const auto& c : r.checks) {
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
