// Verdicts of the forms put into words, and claims grouped by note. Formatting of the run's numbers only.
#include "errata.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <tuple>

#include "form_latex.hpp"
#include "format.hpp"
#include "labels.hpp"

namespace verify::report {

namespace {

// "“as written step6”, “first term is entropy”" for a list of forms.
std::string quoted_forms(const std::vector<const FormResult*>& forms) {
  std::string out;
  for (std::size_t i = 0; i < forms.size(); ++i)
    out += (i == 0 ? "" : i + 1 == forms.size() ? " and " : ", ") + std::string("“") + form_words(forms[i]->form) + "”";
  return out;
}

std::vector<const FormResult*> with(const std::vector<const FormResult*>& forms, Verdict v) {
  std::vector<const FormResult*> out;
  for (const auto* f : forms)
    if (f->verdict == v) out.push_back(f);
  return out;
}

std::string relative_to(const Check& k) {
  return k.scale_name.empty() ? "relative to the formula's value" : "relative to " + k.scale_name;
}

std::string at_label(const Check& k) { return k.label.empty() ? "" : " at " + k.label; }

// The error of a refuted check in plain terms: what the formula gives, what was measured, and by how much the formula
// is off relative to the check's scale (Assessment::relative_discrepancy, computed by the verdict code).
std::string error_sentence(const CheckResult& c, bool written) {
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  const std::string who = written ? "As written it" : "The form “" + form_words(k.form) + "”";
  const std::string measured = is_exact(k) && k.reference_se == 0 ? "the exact value is " + num(k.estimate.mean, 6)
                                                                  : "the measured value is " + estimate_pm(k);
  const double off = -a.relative_discrepancy;  // (formula - truth) / scale
  const std::string by = percent(std::abs(off)) + " " + relative_to(k);
  switch (k.kind) {
    case TestKind::at_most:
      return who + " says the value is at most " + num(k.reference) + at_label(k) + ", but " + measured +
             ", above the bound by " + by + ".";
    case TestKind::at_least:
      return who + " says the value is at least " + num(k.reference) + at_label(k) + ", but " + measured +
             ", below the bound by " + by + ".";
    case TestKind::equivalence:
      return who + " gives " + num(k.reference) + at_label(k) + " where " + measured + ": off by " + by +
             ", beyond the allowed ±" + num(k.margin, 3) + ".";
    case TestKind::equality: break;
  }
  if (k.reference == 0 && k.reference_se == 0 && !k.quantity.empty())  // a residual that the formula says is zero
    return who + (written ? " is off" : " is refuted") + at_label(k) + ": " + k.quantity + " should be 0 but " +
           measured.substr(measured.find(" is ") + 1) + ", " + percent(std::abs(off)) + " " + relative_to(k) + ".";
  return who + " gives " + num(k.reference) + at_label(k) + " where " + measured + ": " + percent(std::abs(off)) +
         (off > 0 ? " too high, " : " too low, ") + relative_to(k) + ".";
}

std::string precision_sentence(const std::vector<const CheckResult*>& checks) {
  const CheckResult* loosest = nullptr;
  for (const auto* c : checks)
    if (!loosest || c->assessment.min_detectable_relative > loosest->assessment.min_detectable_relative) loosest = c;
  if (!loosest) return {};
  const Check& k = loosest->check;
  std::string s = checks.size() == 1 ? "Its check" : "Each of its " + std::to_string(checks.size()) + " checks";
  if (is_exact(k) && k.reference_se == 0) return s + " compares exact values; they agree up to rounding.";
  return s + " agrees within noise; the least precise" + at_label(k) + " (formula " + num(k.reference) +
         ", measured " + estimate_pm(k) + ") would have detected a discrepancy of " +
         percent(loosest->assessment.min_detectable_relative) + ", " + relative_to(k) + ".";
}

}  // namespace

std::string standing_words(Standing s) {
  switch (s) {
    case Standing::holds: return "holds";
    case Standing::wrong: return "wrong as written";
    case Standing::undecided: return "undecided";
  }
  return "?";
}

CaseAccount account_case(const CaseSpec& cs, const std::vector<CheckResult>& checks, const std::vector<FormResult>& forms) {
  CaseAccount a;
  a.spec = &cs;
  for (const auto& c : checks)
    if (c.case_name == cs.name && !is_mutant_form(c.check.form)) a.checks.push_back(&c);
  std::vector<const FormResult*> all;
  for (const auto& f : forms)
    if (f.case_name == cs.name && !is_mutant_form(f.form)) all.push_back(&f);
  for (const auto* f : all) {
    const std::string role = form_role(cs, f->form);
    if (role == "as_written") a.written.push_back(f);
    else if (role == "corrected") a.corrected.push_back(f);
    else a.other.push_back(f);
  }
  if (a.written.empty()) std::swap(a.written, a.other);  // every other form is the note's claim

  const auto w_ref = with(a.written, Verdict::refuted), w_hold = with(a.written, Verdict::holds);
  const auto w_inc = with(a.written, Verdict::inconclusive);
  const auto c_hold = with(a.corrected, Verdict::holds), o_hold = with(a.other, Verdict::holds);
  const auto o_ref = with(a.other, Verdict::refuted);
  const bool plain = a.written.size() == 1 && a.written.front()->form == "as_written";
  auto written_of = [&](const std::vector<const FormResult*>& fs) {
    std::vector<const CheckResult*> out;
    for (const auto* c : a.checks)
      for (const auto* f : fs)
        if (c->check.form == f->form) out.push_back(c);
    return out;
  };

  if (!w_ref.empty()) {
    a.standing = Standing::wrong;
    std::string head = "wrong as written";
    if (w_ref.size() < a.written.size()) head += " in part (" + quoted_forms(w_ref) + ")";
    std::string tail;
    if (!c_hold.empty()) {
      tail = c_hold.size() == a.corrected.size() ? (c_hold.size() == 1 ? "the corrected form holds" : "the corrected forms hold")
                                                 : quoted_forms(c_hold) + (c_hold.size() == 1 ? " holds" : " hold");
      a.corrected_form = c_hold.front()->form;
    } else if (!a.corrected.empty()) {
      tail = "the corrected form is " + std::string(a.corrected.front()->verdict == Verdict::inconclusive
                                                        ? "undecided (not refuted, not precise enough)"
                                                        : "refuted too");
      a.corrected_form = a.corrected.front()->form;
    } else if (!o_hold.empty()) {
      tail = quoted_forms(o_hold) + (o_hold.size() == 1 ? " holds" : " hold");
    } else {
      tail = "no corrected form was checked";
    }
    if (!w_hold.empty() && w_ref.size() < a.written.size()) tail = quoted_forms(w_hold) + " holds; " + tail;
    a.phrase = head + "; " + tail;
    // The largest error of the note's formula, in plain terms.
    const CheckResult* worst = nullptr;
    for (const auto* c : written_of(w_ref))
      if (c->assessment.verdict == Verdict::refuted &&
          (!worst || std::abs(c->assessment.relative_discrepancy) > std::abs(worst->assessment.relative_discrepancy)))
        worst = c;
    if (worst) a.size = error_sentence(*worst, plain || worst->check.form == "as_written");
  } else if (!w_inc.empty()) {
    a.standing = Standing::undecided;
    a.phrase = "undecided: " + quoted_forms(w_inc) + " neither refuted nor precise enough to hold";
    const auto inc = written_of(w_inc);
    const CheckResult* loosest = nullptr;
    for (const auto* c : inc)
      if (c->assessment.verdict == Verdict::inconclusive &&
          (!loosest || c->assessment.min_detectable_relative > loosest->assessment.min_detectable_relative))
        loosest = c;
    if (loosest)
      a.size = "Not refuted, but the checks could not detect a discrepancy of " + percent(cs.tolerance) +
               ": the smallest detectable" + at_label(loosest->check) + " is " +
               percent(loosest->assessment.min_detectable_relative) + ", " + relative_to(loosest->check) +
               " (formula " + num(loosest->check.reference) + ", measured " + estimate_pm(loosest->check) + ").";
  } else {
    a.standing = Standing::holds;
    a.phrase = "holds";
    if (!o_ref.empty())
      a.phrase = "holds as written; " + quoted_forms(o_ref) + (o_ref.size() == 1 ? " is" : " are") + " refuted";
    a.size = precision_sentence(written_of(w_hold));
    if (!o_ref.empty()) {
      const CheckResult* worst = nullptr;
      for (const auto* c : written_of(o_ref))
        if (c->assessment.verdict == Verdict::refuted &&
            (!worst || std::abs(c->assessment.relative_discrepancy) > std::abs(worst->assessment.relative_discrepancy)))
          worst = c;
      if (worst) a.size += " " + error_sentence(*worst, false);
    }
  }
  a.verdict = a.phrase;
  if (!a.verdict.empty()) a.verdict[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(a.verdict[0])));
  a.verdict += ".";
  return a;
}

std::size_t NoteErrata::count(Standing s) const {
  return static_cast<std::size_t>(std::count_if(claims.begin(), claims.end(), [&](const ClaimEntry& e) { return e.standing == s; }));
}

std::vector<NoteErrata> errata_by_note(const RunResult& r) {
  std::map<std::string, NoteErrata> notes;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (note, statement) -> claim in its note
  for (const auto& cs : r.cases) {
    CaseAccount a = account_case(cs, r.checks, r.forms);
    if (a.checks.empty()) continue;
    NoteErrata& n = notes[cs.source.note];
    n.note = cs.source.note;
    const auto key = std::pair{cs.source.note, cs.statement};
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, n.claims.size()).first;
      n.claims.push_back({cs.source.note, cs.source.section, cs.statement, cs.source.line, {}, Standing::holds, {}});
    }
    ClaimEntry& e = n.claims[it->second];
    if (e.line == 0 || (cs.source.line > 0 && cs.source.line < e.line)) e.line = cs.source.line;
    e.cases.push_back(std::move(a));
  }
  std::vector<NoteErrata> out;
  for (auto& [name, n] : notes) {
    for (auto& e : n.claims) {
      bool wrong = false, undecided = false, same = true;
      for (const auto& a : e.cases) {
        wrong |= a.standing == Standing::wrong;
        undecided |= a.standing == Standing::undecided;
        same &= a.phrase == e.cases.front().phrase;
      }
      e.standing = wrong ? Standing::wrong : undecided ? Standing::undecided : Standing::holds;
      if (e.cases.size() == 1) e.verdict = e.cases.front().verdict;
      else if (same) e.verdict = e.cases.front().verdict.substr(0, e.cases.front().verdict.size() - 1) +
                                 fmt::format(", in each of the {} scenarios checked.", e.cases.size());
      else if (wrong && std::any_of(e.cases.begin(), e.cases.end(), [](const CaseAccount& a) { return a.standing == Standing::holds; }))
        e.verdict = "Holds only in some of the scenarios checked (below): wrong as written in general.";
      else e.verdict = "The scenarios checked differ (below).";
    }
    // The note's order: by line where given (a claim without one goes after those with), then by section.
    std::stable_sort(n.claims.begin(), n.claims.end(), [](const ClaimEntry& a, const ClaimEntry& b) {
      const int la = a.line > 0 ? a.line : INT_MAX, lb = b.line > 0 ? b.line : INT_MAX;
      return std::tie(la, a.section) < std::tie(lb, b.section);
    });
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace verify::report
