#include "verify/compare.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string_view>

#include "report/format.hpp"
#include "verify/errors.hpp"

namespace verify {

namespace {

using json = nlohmann::json;

std::string string_field(const json& o, const std::string& key, const std::string& origin, const std::string& where) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_string()) throw InputError(origin, where + "." + key, "missing or not a string");
  return it->get<std::string>();
}

double number_or_nan(const json& o, const std::string& key) {
  const auto it = o.find(key);
  return (it != o.end() && it->is_number()) ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::vector<ReportEntry> entries(const json& doc, const std::string& array, bool checks, const std::string& origin) {
  const auto it = doc.find(array);
  if (it == doc.end() || !it->is_array())
    throw InputError(origin, array, "missing array (is this the report.json of `verify run`?)");
  std::vector<ReportEntry> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& o = (*it)[i];
    const std::string where = array + "[" + std::to_string(i) + "]";
    if (!o.is_object()) throw InputError(origin, where, "not an object");
    ReportEntry e;
    e.case_name = string_field(o, "case", origin, where);
    e.form = string_field(o, "form", origin, where);
    e.verdict = string_field(o, "verdict", origin, where);
    if (checks) {
      e.label = string_field(o, "label", origin, where);
      if (const auto q = o.find("quantity"); q != o.end() && q->is_string()) e.quantity = q->get<std::string>();
      e.min_detectable_relative = number_or_nan(o, "min_detectable_relative");
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Fields joined by a separator that does not occur in names (appended one by one: gcc 12 warns, wrongly, about
// `std::string + char` chains).
std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (const auto p : parts) k.append(p).push_back('\x1f');
  return k;
}

// Identity of an entry: case, form, label and quantity; a repeated identity within one report gets "#2", "#3", ...
// so that every entry is matched exactly once.
std::vector<std::string> keys(const std::vector<ReportEntry>& v) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const auto& e : v) {
    std::string k = join_key({e.case_name, e.form, e.label, e.quantity});
    if (const int n = ++seen[k]; n > 1) k.append("#").append(std::to_string(n));
    out.push_back(std::move(k));
  }
  return out;
}

std::string mdd_text(double x) { return std::isfinite(x) ? fmt::format("{:.3g}", x) : "n/a"; }

// A holding check got weaker when its detectable discrepancy grew beyond the factor (both raised to the rounding
// floor first); a value that became unavailable (null) counts as weaker.
bool weaker(double before, double after, const CompareOptions& o, double& ratio) {
  if (!std::isfinite(before)) return false;
  if (!std::isfinite(after)) ratio = std::numeric_limits<double>::infinity();
  else ratio = std::max(after, o.rounding_floor) / std::max(before, o.rounding_floor);
  return ratio > o.weaker_factor;
}

void compare_entries(const std::vector<ReportEntry>& base, const std::vector<ReportEntry>& rep, bool checks,
                     const CompareOptions& options, Comparison& out) {
  const auto bk = keys(base), rk = keys(rep);
  std::map<std::string, std::size_t> in_report;
  for (std::size_t i = 0; i < rep.size(); ++i) in_report[rk[i]] = i;
  std::map<std::string, bool> in_base;
  for (std::size_t i = 0; i < base.size(); ++i) {
    in_base[bk[i]] = true;
    const ReportEntry& b = base[i];
    Difference d{Change::verdict, b.case_name, b.form, b.label, b.verdict, "", 0, b.quantity, static_cast<long>(i)};
    const auto it = in_report.find(bk[i]);
    if (it == in_report.end()) {
      d.change = checks ? Change::missing_check : Change::missing_form;
      d.after = "(missing)";
      out.differences.push_back(d);
      continue;
    }
    (checks ? out.checks_compared : out.forms_compared)++;
    const ReportEntry& r = rep[it->second];
    if (r.verdict != b.verdict) {
      d.change = checks ? Change::verdict : Change::form_verdict;
      d.after = r.verdict;
      out.differences.push_back(d);
    } else if (checks && b.verdict == "holds" &&
               weaker(b.min_detectable_relative, r.min_detectable_relative, options, d.ratio)) {
      d.change = Change::weaker;
      d.before = mdd_text(b.min_detectable_relative);
      d.after = mdd_text(r.min_detectable_relative);
      out.differences.push_back(d);
    }
  }
  for (std::size_t i = 0; i < rep.size(); ++i)
    if (!in_base.count(rk[i])) {
      const ReportEntry& r = rep[i];
      out.differences.push_back(
          {checks ? Change::new_check : Change::new_form, r.case_name, r.form, r.label, "(new)", r.verdict, 0, r.quantity, -1});
    }
}

std::string alpha_text(double a) { return std::isfinite(a) ? fmt::format("{}", a) : "n/a"; }

std::string xml(const std::string& s) { return report::escape_markup(s, true); }

std::string describe(const Difference& d, double factor) {
  const bool form = d.change == Change::form_verdict || d.change == Change::missing_form || d.change == Change::new_form;
  const std::string what = form ? "form " + d.form : "check " + d.form + (d.label.empty() ? "" : " [" + d.label + "]");
  switch (d.change) {
    case Change::verdict:
    case Change::form_verdict: return fmt::format("{} of {}: verdict {} in the baseline, {} now", what, d.case_name, d.before, d.after);
    case Change::weaker:
      return fmt::format("{} of {} got weaker: smallest detectable relative discrepancy {} -> {} (x{:.3g} > x{})", what,
                         d.case_name, d.before, d.after, d.ratio, factor);
    case Change::missing_check:
    case Change::missing_form: return fmt::format("{} of {} is in the baseline but not in the report", what, d.case_name);
    case Change::new_check:
    case Change::new_form: return fmt::format("{} of {} is new (verdict {}; not in the baseline, not a failure)", what, d.case_name, d.after);
  }
  return what;
}

}  // namespace

std::string to_string(Change c) {
  switch (c) {
    case Change::verdict: return "verdict";
    case Change::form_verdict: return "form verdict";
    case Change::weaker: return "weaker";
    case Change::missing_check: return "missing";
    case Change::missing_form: return "missing form";
    case Change::new_check: return "new";
    case Change::new_form: return "new form";
  }
  return "?";
}

ReportDigest parse_report_digest(const std::string& json_text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw InputError(origin, "", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw InputError(origin, "", "not a JSON object (is this the report.json of `verify run`?)");
  ReportDigest d;
  d.origin = origin;
  if (const auto run = doc.find("run"); run != doc.end() && run->is_object()) {
    if (const auto v = run->find("version"); v != run->end() && v->is_string()) d.version = v->get<std::string>();
    if (const auto s = run->find("seed"); s != run->end()) d.seed = s->is_string() ? s->get<std::string>() : s->dump();
    d.alpha = number_or_nan(*run, "alpha");
  }
  d.checks = entries(doc, "checks", true, origin);
  d.forms = entries(doc, "forms", false, origin);
  return d;
}

ReportDigest load_report_digest(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, "", "file does not exist");
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "", "is a directory, not a report.json");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot be read");
  return parse_report_digest(text.str(), path);
}

std::size_t Comparison::failures() const {
  std::size_t n = 0;
  for (const auto& d : differences) n += d.fails();
  return n;
}

Comparison compare_reports(const ReportDigest& baseline, const ReportDigest& report, const CompareOptions& options) {
  Comparison c;
  c.weaker_factor = options.weaker_factor;
  compare_entries(baseline.checks, report.checks, true, options, c);
  compare_entries(baseline.forms, report.forms, false, options, c);
  if (baseline.version != report.version) c.notes.push_back("version " + baseline.version + " -> " + report.version);
  if (baseline.seed != report.seed) c.notes.push_back("seed " + baseline.seed + " -> " + report.seed);
  if (!(baseline.alpha == report.alpha) && !(std::isnan(baseline.alpha) && std::isnan(report.alpha)))
    c.notes.push_back("alpha " + alpha_text(baseline.alpha) + " -> " + alpha_text(report.alpha));
  return c;
}

void print_comparison(const Comparison& c, const ReportDigest& baseline, const ReportDigest& report, std::ostream& os) {
  os << fmt::format("baseline {} ({} checks, {} forms); report {} ({} checks, {} forms)\n", baseline.origin,
                    baseline.checks.size(), baseline.forms.size(), report.origin, report.checks.size(), report.forms.size());
  for (const auto& n : c.notes) os << "note: run settings differ: " << n << "\n";
  if (!c.differences.empty()) {
    os << fmt::format("{:<13} {:<36} {:<20} {:<32} {:<12} {:<12}\n", "change", "case", "form", "check", "baseline", "report");
    for (const auto& d : c.differences) {
      std::string after = d.after;
      if (d.change == Change::weaker) after += fmt::format(" (x{:.3g})", d.ratio);
      os << fmt::format("{:<13} {:<36} {:<20} {:<32} {:<12} {}{}\n", to_string(d.change), d.case_name.substr(0, 36),
                        d.form.substr(0, 20), d.label.empty() ? "-" : d.label.substr(0, 32), d.before, after,
                        d.fails() ? "" : "  (not a failure)");
    }
  }
  std::map<Change, std::size_t> counts;
  for (const auto& d : c.differences) ++counts[d.change];
  std::string parts;
  for (const auto& [k, n] : counts) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", n, to_string(k));
  const std::size_t fails = c.failures();
  os << fmt::format("{}: {} checks and {} forms compared; {} difference(s){}{}; weaker means min_detectable_relative grew "
                    "by more than x{}\n",
                    fails ? "FAIL" : "OK", c.checks_compared, c.forms_compared, c.differences.size(),
                    parts.empty() ? "" : " (" + parts + ")",
                    fails ? fmt::format(", {} fail the gate", fails) : std::string(), c.weaker_factor);
}

std::string comparison_junit(const Comparison& c, const ReportDigest& baseline, const ReportDigest& report) {
  // The failing difference of each baseline entry, if any (at most one per entry).
  std::vector<const Difference*> check_diff(baseline.checks.size()), form_diff(baseline.forms.size());
  for (const auto& d : c.differences) {
    if (!d.fails() || d.baseline_index < 0) continue;
    const bool form = d.change == Change::form_verdict || d.change == Change::missing_form;
    auto& v = form ? form_diff : check_diff;
    if (static_cast<std::size_t>(d.baseline_index) < v.size()) v[static_cast<std::size_t>(d.baseline_index)] = &d;
  }
  std::ostringstream body;
  std::size_t tests = 0;
  auto testcase = [&](const std::string& case_name, const std::string& name, const Difference* d) {
    ++tests;
    body << fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml("compare." + case_name), xml(name));
    if (!d) {
      body << "/>\n";
      return;
    }
    const std::string msg = describe(*d, c.weaker_factor);
    if (d->fails())
      body << fmt::format(">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                          xml(to_string(d->change)), xml(msg), xml(msg));
    else
      body << fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml(msg));
  };
  for (std::size_t i = 0; i < baseline.checks.size(); ++i) {
    const auto& e = baseline.checks[i];
    testcase(e.case_name, e.label.empty() ? e.form : e.form + " [" + e.label + "]", check_diff[i]);
  }
  for (std::size_t i = 0; i < baseline.forms.size(); ++i)
    testcase(baseline.forms[i].case_name, "form " + baseline.forms[i].form, form_diff[i]);
  for (const auto& d : c.differences)
    if (!d.fails())
      testcase(d.case_name, d.change == Change::new_form ? "form " + d.form
                            : d.label.empty()            ? d.form
                                                         : d.form + " [" + d.label + "]",
               &d);
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << fmt::format("<testsuites name=\"verify compare\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", tests, c.failures());
  os << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
                    xml("compare " + baseline.origin + " -> " + report.origin), tests, c.failures());
  os << body.str() << "  </testsuite>\n</testsuites>\n";
  return os.str();
}

}  // namespace verify
