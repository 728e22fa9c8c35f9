#pragma once
// Number formatting shared by the report writers (private to src/report).
#include <fmt/core.h>

#include <cmath>
#include <string>

#include "verify/runner.hpp"

namespace verify::report {

// Escapes text for HTML/XML. For XML attributes (junit) also apostrophes and newlines, and control characters
// other than tab become spaces (they are not allowed in XML 1.0).
inline std::string escape_markup(const std::string& s, bool attribute = false) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': if (attribute) out += "&apos;"; else out += ch; break;
      case '\n': if (attribute) out += "&#10;"; else out += ch; break;
      default:
        if (attribute && static_cast<unsigned char>(ch) < 0x20 && ch != '\t') out += ' ';
        else out += ch;
    }
  }
  return out;
}

inline std::string num(double x, int digits = 6) {
  if (std::isnan(x)) return "n/a";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return "0";
  return fmt::format("{:.{}g}", x, digits);
}

inline std::string pval(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 1e-99) return "< 1e-99";
  return fmt::format("{:.2g}", p);
}

inline std::string percent(double rel) {
  if (!std::isfinite(rel)) return "n/a";
  const double a = std::abs(rel) * 100;
  if (a == 0) return "0%";
  if (a >= 1000) return fmt::format("{:.3g}%", rel * 100);  // 6.95e+09%, not 6946817548.0%
  if (a >= 0.1) return fmt::format("{:.{}f}%", rel * 100, a >= 10 ? 1 : 2);
  return fmt::format("{:.2g}%", rel * 100);
}

inline bool is_exact(const Check& k) {
  return k.exact || (k.estimate.std_error == 0 && k.estimate.method == EstimateMethod::exact);
}

inline std::string estimate_pm(const Check& k) {
  if (is_exact(k)) return num(k.estimate.mean, 10) + " (exact)";
  return num(k.estimate.mean) + " ± " + num(k.estimate.std_error, 2);
}

inline std::string reference_str(const Check& k) {
  if (k.reference_se > 0) return num(k.reference) + " ± " + num(k.reference_se, 2);
  return num(k.reference, is_exact(k) ? 10 : 6);
}

inline std::string scale_name(const Check& k) { return k.scale_name.empty() ? "|reference|" : k.scale_name; }

inline std::string test_str(const Check& k) {
  switch (k.kind) {
    case TestKind::equality: return "equality";
    case TestKind::equivalence: return "within ±" + num(k.margin, 3);
    case TestKind::at_most: return "at most";
    case TestKind::at_least: return "at least";
  }
  return "?";
}

// 2 -> "2nd", 11 -> "11th", 23 -> "23rd".
inline std::string ordinal(std::size_t n) {
  const std::size_t t = n % 100, u = n % 10;
  const char* suf = (t >= 11 && t <= 13) ? "th" : u == 1 ? "st" : u == 2 ? "nd" : u == 3 ? "rd" : "th";
  return std::to_string(n) + suf;
}

// Short note name: "000_35d6a71510c0217c.txt" -> "000".
inline std::string note_short(const std::string& note) {
  const auto u = note.find('_');
  return u == std::string::npos || u == 0 ? note : note.substr(0, u);
}

// A check fails (for CI) when its form's verdict differs from the expectation and this check is one of the
// reasons: its own verdict differs from the expectation too.
inline bool check_fails(const CheckResult& c, bool form_matches) {
  return !form_matches && c.expect && *c.expect != c.assessment.verdict;
}

}  // namespace verify::report
