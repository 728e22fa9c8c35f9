// Builds the report's content (shared by report.md and report.html) from a RunResult. Formatting only.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "format.hpp"
#include "verify/claim.hpp"
#include "verify/report_document.hpp"

namespace verify::report {

namespace {

Span T(std::string s) { return {Span::Kind::text, std::move(s), {}, {}}; }
Span M(std::string s) { return {Span::Kind::math, std::move(s), {}, {}}; }
Span C(std::string s) { return {Span::Kind::code, std::move(s), {}, {}}; }
Span B(std::string s, std::string cls = {}) { return {Span::Kind::strong, std::move(s), {}, std::move(cls)}; }
Span L(std::string s, std::string href) { return {Span::Kind::link, std::move(s), std::move(href), {}}; }

Block heading(int level, Text t, std::string id = {}) {
  Block b;
  b.kind = Block::Kind::heading;
  b.level = level;
  b.text = std::move(t);
  b.id = std::move(id);
  return b;
}
Block para(Text t) {
  Block b;
  b.kind = Block::Kind::paragraph;
  b.text = std::move(t);
  return b;
}
Block math(std::string src) {
  Block b;
  b.kind = Block::Kind::math;
  b.source = std::move(src);
  return b;
}
Block bullets(std::vector<Text> items) {
  Block b;
  b.kind = Block::Kind::bullets;
  b.items = std::move(items);
  return b;
}

std::string verdict_cls(Verdict v) { return "v-" + to_string(v); }

// Verdict cell: the verdict, marked against the expectation of its form.
Text verdict_text(Verdict v, const std::optional<Verdict>& expect, bool fails) {
  Text t{B(to_string(v), verdict_cls(v))};
  if (fails) t.push_back({Span::Kind::text, " ✗ expected " + to_string(*expect), {}, "bad"});
  else if (expect && *expect == v) t.push_back({Span::Kind::text, " ✓", {}, "good"});
  return t;
}

// Paths as given on the command line; an absolute path is cut to its file name so reports stay host-independent.
std::string portable_path(const std::string& p) {
  const std::filesystem::path fp(p);
  return fp.is_absolute() ? fp.filename().string() : fp.lexically_normal().string();
}

std::vector<std::string> paragraphs(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line, cur;
  while (std::getline(ss, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!cur.empty()) out.push_back(cur), cur.clear();
      continue;
    }
    if (!cur.empty()) cur += ' ';
    cur += line.substr(line.find_first_not_of(" \t"));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string check_name(const Check& k) { return k.label.empty() ? k.form : k.form + " (" + k.label + ")"; }

// Plain-language account of one refuted check.
Text refuted_text(const CheckResult& c) {
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  const bool written = k.form == "as_written";
  Text t{B(written ? "As written, the formula is wrong here." : "Form " + k.form + " is refuted here.")};
  const bool exact = is_exact(k) && k.reference_se == 0;
  std::string s = " For " + (k.quantity.empty() ? std::string("the quantity") : k.quantity) +
                  (k.label.empty() ? "" : " at " + k.label) + ", the " + (written ? "note's formula" : "formula") +
                  " gives " + reference_str(k) + ", but " +
                  (exact ? "the exact value from the definition is " + num(k.estimate.mean, 10) + ". "
                         : "the value measured from the definition is " + estimate_pm(k) +
                               " (Monte Carlo estimate ± standard error). ");
  if (exact) {
    s += "The difference is " + num(a.discrepancy, 4) + ", that is " + percent(a.relative_discrepancy) + " of " +
         scale_name(k) + "; both sides are computed exactly, so any difference beyond floating-point rounding (8 ulps) "
         "refutes the formula.";
    t.push_back(T(s));
    return t;
  }
  switch (k.kind) {
    case TestKind::equality:
      s += "The difference is " + num(a.discrepancy, 4) + ", that is " + percent(a.relative_discrepancy) + " of " +
           scale_name(k) + ", or " + num(std::abs(a.z), 3) + " standard errors";
      break;
    case TestKind::equivalence:
      s += "The difference is " + num(a.discrepancy, 4) + " (" + percent(a.relative_discrepancy) + " of " +
           scale_name(k) + "), beyond the allowed ±" + num(k.margin, 3) + " by " + num(a.z, 3) + " standard errors";
      break;
    case TestKind::at_most:
      s += "The claim says the value is at most the formula's; it exceeds it by " + num(a.discrepancy, 4) + " (" +
           percent(a.relative_discrepancy) + " of " + scale_name(k) + "), " + num(a.z, 3) + " standard errors";
      break;
    case TestKind::at_least:
      s += "The claim says the value is at least the formula's; it falls short by " + num(-a.discrepancy, 4) + " (" +
           percent(-a.relative_discrepancy) + " of " + scale_name(k) + "), " + num(a.z, 3) + " standard errors";
      break;
  }
  const std::string p = pval(a.p_value);
  s += ". Chance alone would give a gap this large with probability p " + (p[0] == '<' ? p : "= " + p) +
       ", far below the level " + num(a.alpha, 2) + " this check was held to, so the gap is real.";
  t.push_back(T(s));
  return t;
}

Text holds_text(const std::string& form, const std::vector<const CheckResult*>& checks) {
  const CheckResult& c = *checks.front();
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  std::string s = " gives " + reference_str(k) + (k.label.empty() ? "" : " at " + k.label);
  if (is_exact(k) && k.reference_se == 0)
    s += ", equal to the exact value " + num(k.estimate.mean, 10) + " up to floating-point rounding.";
  else
    s += " against the measured " + estimate_pm(k) + ": the difference " + num(a.discrepancy, 3) + " (" +
         percent(a.relative_discrepancy) + " of " + scale_name(k) + ") is within noise, and any discrepancy of " +
         percent(a.min_detectable_relative) + " or more would have been detected with 99% power.";
  if (checks.size() > 1) s += " The same holds for its other " + std::to_string(checks.size() - 1) + " check(s) above.";
  return {T("The form "), C(form), T(" holds: it" + s)};
}

}  // namespace

std::string anchor(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch >= 'A' && ch <= 'Z') out += static_cast<char>(ch - 'A' + 'a');
    else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') out += ch;
    else if (ch == ' ') out += '-';
  }
  return out;
}

Document build_document(const RunResult& r, const std::vector<Plot>& plots, const std::set<std::string>& rendered) {
  register_all_claims();
  Document d;
  auto& b = d.blocks;
  std::map<std::pair<std::string, std::string>, const FormResult*> form_of;
  for (const auto& f : r.forms) form_of[{f.case_name, f.form}] = &f;
  auto fails = [&](const CheckResult& c) {
    const auto it = form_of.find({c.case_name, c.check.form});
    return check_fails(c, it == form_of.end() || it->second->matches());
  };
  std::map<std::string, std::vector<const Plot*>> plots_of;
  const Plot* calibration = nullptr;
  for (const auto& p : plots) {
    if (p.case_name.empty()) calibration = &p;
    else plots_of[p.case_name].push_back(&p);
  }
  auto plot_block = [&](const Plot& p) {
    Block pb;
    pb.kind = Block::Kind::plot;
    pb.plot = p.stem;
    pb.title = p.title;
    pb.caption = p.caption;
    pb.rendered = rendered.count(p.stem) > 0;
    return pb;
  };

  // Header.
  std::size_t n_forms[3] = {0, 0, 0}, mismatched = 0, mutants = 0, mutants_refuted = 0;
  for (const auto& f : r.forms) {
    if (is_mutant_form(f.form)) {
      ++mutants;
      if (f.verdict == Verdict::refuted) ++mutants_refuted;
      continue;
    }
    ++n_forms[static_cast<int>(f.verdict)];
    if (!f.matches()) ++mismatched;
  }
  for (const auto& f : r.forms)
    if (is_mutant_form(f.form) && !f.matches()) ++mismatched;
  b.push_back(heading(1, {T("diffusion-verify report")}, "top"));
  b.push_back(para({T("Each claim of the teaching notes is checked on a toy Gaussian mixture whose exact density, "
                       "score and posterior are known: the ground truth is estimated by Monte Carlo from definitions, "
                       "and compared with the value of the note's formula (as written, and corrected where they "
                       "differ).")}));
  b.push_back(para({T(fmt::format("{} case(s), {} check(s). Verdicts of the forms: {} hold, {} refuted, {} "
                                  "inconclusive. All checks of the run form one family tested at false-alarm rate ",
                                  r.cases.size(), r.checks.size(), n_forms[0], n_forms[1], n_forms[2])),
                    M("\\alpha = " + num(r.options.alpha)),
                    T(" (Holm's step-down correction); the smallest detectable discrepancy is the one found with 99% "
                      "power. Seed: " +
                      (r.options.seed ? std::to_string(*r.options.seed) + " for every case" : std::string("each case's own")) +
                      ". Version " + version_string() + ".")}));
  if (mutants)
    b.push_back(para({T(fmt::format("Mutants (deliberately wrong variants that must be refuted): {} of {} refuted.",
                                    mutants_refuted, mutants))}));
  if (mismatched == 0) {
    b.push_back(para({B("Every verdict matches its expectation.", "good")}));
  } else {
    b.push_back(para({B(fmt::format("{} form(s) differ from their expected verdict:", mismatched), "bad")}));
    std::vector<Text> items;
    for (const auto& f : r.forms)
      if (!f.matches())
        items.push_back({L(f.case_name, "#" + anchor(f.case_name)), T(" "), C(f.form), T(": verdict "),
                         B(to_string(f.verdict), verdict_cls(f.verdict)), T(", expected " + to_string(*f.expect))});
    b.push_back(bullets(std::move(items)));
  }
  if (!r.warnings.empty()) {
    b.push_back(para({B("Warnings")}));
    std::vector<Text> items;
    for (const auto& w : r.warnings) items.push_back({T(w)});
    b.push_back(bullets(std::move(items)));
  }
  b.push_back(para({B("How to read the numbers. "),
                    T("Estimate ± SE is the Monte Carlo estimate of the true value and its standard error; reference "
                      "is what the formula under test gives. p is the probability of a gap at least this large if the "
                      "formula were right; a form is refuted when p falls below its Holm level. The smallest "
                      "detectable discrepancy (relative to the scale named in each section) says how precise the check "
                      "was: a formula that holds could still be off by less than that.")}));

  // Summary table (real forms; mutants are listed in their cases' sections).
  b.push_back(heading(2, {T("Summary")}, "summary"));
  {
    Block tb;
    tb.kind = Block::Kind::table;
    tb.table.header = {"Case", "Claim", "Note, section", "Form (check)", "Verdict", "Estimate ± SE", "Reference", "p",
                       "Smallest detectable"};
    tb.table.align = "lllllrrrr";
    for (const auto& c : r.checks) {
      if (is_mutant_form(c.check.form)) continue;
      const Check& k = c.check;
      tb.table.rows.push_back({{L(c.case_name, "#" + anchor(c.case_name))},
                               {C(c.claim)},
                               {T(note_short(c.source.note) + ", " + c.source.section)},
                               {T(check_name(k))},
                               verdict_text(c.assessment.verdict, c.expect, fails(c)),
                               {T(estimate_pm(k))},
                               {T(reference_str(k))},
                               {T(pval(c.assessment.p_value))},
                               {T(num(c.assessment.min_detectable, 2) + " (" +
                                  percent(c.assessment.min_detectable_relative) + ")")}});
    }
    b.push_back(std::move(tb));
  }
  if (calibration) {
    b.push_back(heading(2, {T("Calibration")}, "calibration"));
    b.push_back(plot_block(*calibration));
  }

  // One section per case.
  for (const auto& cs : r.cases) {
    std::vector<const CheckResult*> checks;
    for (const auto& c : r.checks)
      if (c.case_name == cs.name) checks.push_back(&c);
    if (checks.empty()) continue;
    const ClaimInfo* info = Registry::instance().find(cs.claim);
    b.push_back(heading(2, {T(cs.name)}, anchor(cs.name)));
    Text claim{B("Claim "), C(cs.claim)};
    if (info && !info->summary.empty()) claim.push_back(T(": " + info->summary));
    b.push_back(para(std::move(claim)));
    b.push_back(para({B("Source: "), T("note "), C(cs.source.note), T(", section “" + cs.source.section + "”. "),
                      B("Case file: "), C(portable_path(cs.path)),
                      T(fmt::format(" (seed {}, {} samples, tolerance {}).",
                                    r.options.seed ? *r.options.seed : cs.seed, cs.samples, percent(cs.tolerance)))}));
    b.push_back(para({B("Statement in the note:")}));
    std::string st = cs.statement;
    b.push_back(math(st));
    const auto comment = paragraphs(cs.comment), desc = paragraphs(cs.description);
    if (!comment.empty() || !desc.empty()) {
      b.push_back(heading(3, {T("Explanation")}));
      for (const auto& p : comment) b.push_back(para({T(p)}));
      for (const auto& p : desc) b.push_back(para({T(p)}));
    }
    // Ground truth and dependencies.
    {
      std::vector<std::string> quantities, methods;
      for (const auto* c : checks) {
        if (is_mutant_form(c->check.form)) continue;
        const auto& k = c->check;
        if (!k.quantity.empty() && std::find(quantities.begin(), quantities.end(), k.quantity) == quantities.end())
          quantities.push_back(k.quantity);
        const std::string m = is_exact(k) ? "exact" : k.estimate.method + ", " + std::to_string(k.estimate.samples) + " samples";
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
      }
      std::string q, m;
      for (const auto& s : quantities) q += (q.empty() ? "" : "; ") + s;
      for (const auto& s : methods) m += (m.empty() ? "" : "; ") + s;
      Text gt{B("Ground truth: "), T((q.empty() ? std::string("the claimed quantity") : q) +
                                     ", estimated from its definition (" + m + ").")};
      gt.push_back(T(" "));
      gt.push_back(B("Depends on: "));
      if (!info || info->depends_on.empty()) {
        gt.push_back(T("no other claim."));
      } else {
        for (std::size_t i = 0; i < info->depends_on.size(); ++i) {
          if (i) gt.push_back(T(", "));
          gt.push_back(C(info->depends_on[i]));
        }
        gt.push_back(T(" (checked in their own cases)."));
      }
      b.push_back(para(std::move(gt)));
    }
    // Numbers.
    b.push_back(heading(3, {T("Numbers")}));
    {
      Block tb;
      tb.kind = Block::Kind::table;
      tb.table.header = {"Form", "Check", "Test", "Estimate ± SE", "Reference", "Discrepancy", "Smallest detectable",
                         "p", "Level", "Verdict"};
      tb.table.align = "lllrrrrrrl";
      for (const auto* c : checks) {
        if (is_mutant_form(c->check.form)) continue;
        const Check& k = c->check;
        const Assessment& a = c->assessment;
        tb.table.rows.push_back({{C(k.form)},
                                 {T(k.label)},
                                 {T(test_str(k))},
                                 {T(estimate_pm(k))},
                                 {T(reference_str(k))},
                                 {T(num(a.discrepancy, 3) + " (" + percent(a.relative_discrepancy) + " of " + scale_name(k) + ")")},
                                 {T(num(a.min_detectable, 2) + " (" + percent(a.min_detectable_relative) + ")")},
                                 {T(pval(a.p_value))},
                                 {T(num(a.alpha, 2))},
                                 verdict_text(a.verdict, c->expect, fails(*c))});
      }
      b.push_back(std::move(tb));
    }
    {
      std::vector<Text> notes;
      for (const auto* c : checks) {
        if (is_mutant_form(c->check.form)) continue;
        for (const auto& n : c->check.notes) notes.push_back({C(c->check.form), T(" " + c->check.label + ": " + n)});
        if (!c->check.estimate.clt_warning().empty())
          notes.push_back({C(c->check.form), T(" " + c->check.label + ": " + c->check.estimate.clt_warning())});
        if (c->assessment.verdict == Verdict::inconclusive)
          notes.push_back({C(c->check.form), T(" " + c->check.label + " is inconclusive: " + c->assessment.reason)});
      }
      if (!notes.empty()) {
        b.push_back(para({B("Notes")}));
        b.push_back(bullets(std::move(notes)));
      }
    }
    // Form verdicts and plain-language account of refutations.
    std::vector<std::string> forms;
    for (const auto* c : checks)
      if (!is_mutant_form(c->check.form) && std::find(forms.begin(), forms.end(), c->check.form) == forms.end())
        forms.push_back(c->check.form);
    {
      std::vector<Text> items;
      for (const auto& f : forms) {
        const FormResult* fr = form_of[{cs.name, f}];
        if (!fr) continue;
        Text t{C(f), T(": ")};
        for (auto& s : verdict_text(fr->verdict, fr->expect, !fr->matches())) t.push_back(s);
        if (!fr->expect) t.push_back(T(" (no expectation stated)"));
        items.push_back(std::move(t));
      }
      b.push_back(para({B("Verdicts by form")}));
      b.push_back(bullets(std::move(items)));
    }
    for (const auto& f : forms) {
      const FormResult* fr = form_of[{cs.name, f}];
      if (!fr || fr->verdict != Verdict::refuted) continue;
      std::vector<const CheckResult*> refuted;
      for (const auto* c : checks)
        if (c->check.form == f && c->assessment.verdict == Verdict::refuted) refuted.push_back(c);
      b.push_back(heading(3, {T(f == "as_written" ? "What is wrong as written" : "Why form " + f + " is refuted")}));
      for (std::size_t i = 0; i < refuted.size() && i < 3; ++i) b.push_back(para(refuted_text(*refuted[i])));
      if (refuted.size() > 3)
        b.push_back(para({T(fmt::format("The form is refuted at {} more check(s); see the table above.", refuted.size() - 3))}));
      bool any = false;
      for (const auto& g : forms) {
        const FormResult* gr = form_of[{cs.name, g}];
        if (g == f || !gr || gr->verdict != Verdict::holds) continue;
        std::vector<const CheckResult*> gc;
        for (const auto* c : checks)
          if (c->check.form == g) gc.push_back(c);
        b.push_back(para(holds_text(g, gc)));
        any = true;
      }
      if (!any) b.push_back(para({T("No other form of this case holds; the explanation above gives the correct "
                                    "statement where one is known.")}));
    }
    // Mutants.
    {
      Block tb;
      tb.kind = Block::Kind::table;
      tb.table.header = {"Mutant", "Check", "Reference", "Discrepancy", "p", "Verdict"};
      tb.table.align = "llrrrl";
      for (const auto* c : checks) {
        if (!is_mutant_form(c->check.form)) continue;
        const Check& k = c->check;
        const Assessment& a = c->assessment;
        tb.table.rows.push_back({{T(k.form.substr(7))},
                                 {T(k.label)},
                                 {T(reference_str(k))},
                                 {T(num(a.discrepancy, 3) + " (" + percent(a.relative_discrepancy) + ")")},
                                 {T(pval(a.p_value))},
                                 verdict_text(a.verdict, c->expect, fails(*c))});
      }
      if (!tb.table.rows.empty()) {
        b.push_back(heading(3, {T("Mutants")}));
        b.push_back(para({T("Deliberately wrong variants of the formula, evaluated on the same random numbers; each "
                            "must be refuted, which shows the check has the power to catch such mistakes.")}));
        b.push_back(std::move(tb));
      }
    }
    // Plots.
    if (auto it = plots_of.find(cs.name); it != plots_of.end()) {
      b.push_back(heading(3, {T("Plots")}));
      for (const auto* p : it->second) b.push_back(plot_block(*p));
    }
  }
  return d;
}

}  // namespace verify::report
