// Builds the report's content (shared by report.md and report.html) from a RunResult. Formatting only: the numbers
// come from the checks, the words from the verdicts of the forms (errata.hpp).
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "errata.hpp"
#include "form_latex.hpp"
#include "format.hpp"
#include "labels.hpp"
#include "verify/claim.hpp"
#include "verify/report_document.hpp"

namespace verify::report {

namespace {

Span T(std::string s, std::string cls = {}) { return {Span::Kind::text, std::move(s), {}, std::move(cls)}; }
Span M(std::string s) { return {Span::Kind::math, std::move(s), {}, {}}; }
Span C(std::string s) { return {Span::Kind::code, std::move(s), {}, {}}; }
Span B(std::string s, std::string cls = {}) { return {Span::Kind::strong, std::move(s), {}, std::move(cls)}; }
Span L(std::string s, std::string href) { return {Span::Kind::link, std::move(s), std::move(href), {}}; }
Span R(std::string s) { return {Span::Kind::rich, std::move(s), {}, {}}; }

Block heading(int level, Text t, std::string id = {}) {
  Block b;
  b.kind = Block::Kind::heading;
  b.level = level;
  b.text = std::move(t);
  b.id = std::move(id);
  return b;
}
Block para(Text t, std::string cls = {}) {
  Block b;
  b.kind = Block::Kind::paragraph;
  b.text = std::move(t);
  b.cls = std::move(cls);
  return b;
}
Block open(std::string cls, std::string id = {}) {
  Block b;
  b.kind = Block::Kind::open;
  b.cls = std::move(cls);
  b.id = std::move(id);
  return b;
}
Block open_details(Text summary, std::string id, std::string cls) {
  Block b = open(std::move(cls), std::move(id));
  b.details = true;
  b.text = std::move(summary);
  return b;
}
Block close() {
  Block b;
  b.kind = Block::Kind::close;
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
  if (fails) return {T(to_string(v) + " ✗ expected " + to_string(*expect), "bad")};
  return {T(to_string(v) + (expect && *expect == v ? " ✓" : ""), verdict_cls(v))};
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
    const auto first = line.find_first_not_of(" \t");
    // A blank line ends a paragraph; a "- " line starts a new one (the case files' lists).
    if (first == std::string::npos || line.compare(first, 2, "- ") == 0) {
      if (!cur.empty()) out.push_back(cur), cur.clear();
      if (first == std::string::npos) continue;
    }
    if (!cur.empty()) cur += ' ';
    cur += line.substr(line.find_first_not_of(" \t"));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}


// The prover's sentence for a form (formula/prove.hpp): "proved for all values of ...; from: ...", "disproved: at ...".
std::string proof_text(const FormResult& f) {
  const std::string& d = f.proof_detail;
  if (f.proof == ProofStatus::proved) return "proved " + d;
  return to_string(f.proof) + (d.empty() ? "" : ": " + d);
}

// Plain-language account of one refuted check.
Text refuted_text(const CheckResult& c) {
  const Check& k = c.check;
  const Assessment& a = c.assessment;
  const bool written = k.form == "as_written";
  Text t{B(written ? "As written, the formula is wrong here." : "Form “" + form_words(k.form) + "” is refuted here.")};
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
    t.push_back(R(s));
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
  t.push_back(R(s));
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
  return {T("The form "), C(form), R(" holds: it" + s)};
}

std::string standing_cls(Standing s) {
  return s == Standing::holds ? "st-holds" : s == Standing::wrong ? "st-wrong" : "st-undecided";
}

std::string note_anchor(const std::string& note) { return "note-" + anchor(note_short(note)); }
std::string claim_anchor(const ClaimEntry& e) { return "claim-" + anchor(e.cases.front().spec->name); }

Text count_cell(std::size_t n, Standing s) { return {T(std::to_string(n), n ? standing_cls(s) : std::string())}; }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string counts_line(std::size_t hold, std::size_t wrong, std::size_t undecided) {
  std::string s = std::to_string(hold) + (hold == 1 ? " holds, " : " hold, ") + std::to_string(wrong) +
                  (wrong == 1 ? " is" : " are") + " wrong as written";
  if (undecided) s += ", " + std::to_string(undecided) + " undecided";
  return s;
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

namespace {

// The state build_document's parts share: the run, its indexes (forms by case and form, plots by case, the errata by
// note) and what the errata already showed (so that the appendix does not repeat it). The parts, in reading order:
// summary(), errata(), case_list() (report.md's appendix) and check_appendix() (report.html's).
class DocumentBuilder {
 public:
  DocumentBuilder(const RunResult& run, const std::vector<Plot>& plots, const std::set<std::string>& rendered_stems, Document& d)
      : r(run), rendered(rendered_stems), b(d.blocks), notes(errata_by_note(run)) {
    for (const auto& f : r.forms) form_of[{f.case_name, f.form}] = &f;
    for (const auto& p : plots) {
      if (p.case_name.empty()) calibration = &p;
      else plots_of[p.case_name].push_back(&p);
    }
  }
  void summary();
  void errata();
  void case_list();
  void check_appendix();

 private:
  bool fails(const CheckResult& c) const {
    const auto it = form_of.find({c.case_name, c.check.form});
    return check_fails(c, it == form_of.end() || it->second->matches());
  }
  Block plot_block(const Plot& p) const {
    Block pb;
    pb.kind = Block::Kind::plot;
    pb.plot = p.stem;
    pb.title = p.title;
    pb.caption = p.caption;
    const auto [w, h] = plot_size(p);
    pb.width = w, pb.height = h;
    pb.rendered = rendered.count(p.stem) > 0;
    return pb;
  }
  // The figure of a claim shown with its errata entry: the first one its claim drew (not the generic convergence).
  const Plot* claim_figure(const std::string& case_name) {
    for (const auto& cf : r.figures)
      if (cf.case_name == case_name)
        for (const auto* p : plots_of[case_name])
          for (const auto& f : cf.figures)
            if (!p->panels.empty() && p->panels.front().name == f.name) return p;
    return nullptr;
  }
  // One case of the html appendix: its claim, explanation, checks, notes, verdicts by form, mutants and plots.
  void case_checks(const ClaimEntry& e, const CaseAccount& acc);

  const RunResult& r;
  const std::set<std::string>& rendered;
  std::vector<Block>& b;
  const std::vector<NoteErrata> notes;
  std::map<std::pair<std::string, std::string>, const FormResult*> form_of;
  std::map<std::string, std::vector<const Plot*>> plots_of;
  const Plot* calibration = nullptr;
  std::set<std::string> shown_in_errata, explained_in_errata;  // plots, case comments
};

// ---- Summary (the first page): counts by note, the claims wrong as written, mismatches, warnings.
void DocumentBuilder::summary() {
  // Counts for the header.
  std::size_t mismatched = 0, mutants = 0, mutants_refuted = 0, n_claims = 0, n_cases = 0;
  std::size_t totals[3] = {0, 0, 0};
  for (const auto& f : r.forms) {
    if (is_mutant_form(f.form)) {
      ++mutants;
      if (f.verdict == Verdict::refuted) ++mutants_refuted;
    }
    if (!f.matches()) ++mismatched;
  }
  for (const auto& n : notes)
    for (const auto& e : n.claims) {
      ++n_claims;
      n_cases += e.cases.size();
      ++totals[static_cast<int>(e.standing)];
    }
  b.push_back(open("summary", "top"));
  b.push_back(heading(1, {T("Errata for the teaching notes on diffusion models")}));
  b.push_back(para({T(fmt::format("Every checkable claim of the {} was computed numerically on a toy Gaussian mixture "
                                  "whose exact density, score and posterior are known, and compared with the truth "
                                  "estimated from definitions by Monte Carlo. ",
                                  notes.size() == 1 ? std::string("note") : std::to_string(notes.size()) + " notes")),
                    B(fmt::format("{} claims: {}.", n_claims, counts_line(totals[0], totals[1], totals[2])))},
                   "lead"));
  {
    Block tb;
    tb.kind = Block::Kind::table;
    tb.table.cls = "summary";
    tb.table.header = {"Note", "Claims", "Hold", "Wrong as written", "Undecided", "Scenarios checked"};
    tb.table.align = "lrrrrr";
    for (const auto& n : notes) {
      std::size_t cases = 0;
      for (const auto& e : n.claims) cases += e.cases.size();
      tb.table.rows.push_back({{L(note_short(n.note), "#" + note_anchor(n.note)), T(" (" + n.note + ")", "file")},
                               {T(std::to_string(n.claims.size()))},
                               count_cell(n.count(Standing::holds), Standing::holds),
                               count_cell(n.count(Standing::wrong), Standing::wrong),
                               count_cell(n.count(Standing::undecided), Standing::undecided),
                               {T(std::to_string(cases))}});
    }
    tb.table.rows.push_back({{B("All notes")}, {B(std::to_string(n_claims))}, {B(std::to_string(totals[0]))},
                             {B(std::to_string(totals[1]))}, {B(std::to_string(totals[2]))}, {B(std::to_string(n_cases))}});
    b.push_back(std::move(tb));
  }
  {
    std::vector<Text> items;
    for (const auto& n : notes) {
      Text t{L(note_short(n.note), "#" + note_anchor(n.note)), T(": ")};
      bool any = false;
      for (const auto& e : n.claims) {
        if (e.standing != Standing::wrong) continue;
        if (any) t.push_back(T("; "));
        t.push_back(L(e.section + (e.line > 0 ? ", line " + std::to_string(e.line) : ""), "#" + claim_anchor(e)));
        any = true;
      }
      if (any) items.push_back(std::move(t));
    }
    if (!items.empty()) {
      b.push_back(para({B("Wrong as written, by note and section")}));
      b.push_back(bullets(std::move(items)));
    }
  }
  if (mismatched == 0) {
    b.push_back(para({B("Every verdict matches the expectation recorded in its case file.", "good")}));
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
    Text t{B("Warnings: ")};
    for (std::size_t i = 0; i < r.warnings.size(); ++i) t.push_back(T((i ? "; " : "") + r.warnings[i]));
    b.push_back(para(std::move(t), "small"));
  }
  b.push_back(para({T(fmt::format("A claim is wrong as written when the note's formula differs from the truth by more "
                                  "than chance allows; it holds when it does not and the checks were precise enough to "
                                  "see a discrepancy of 1% (the case's tolerance, unless it sets another); otherwise it "
                                  "is undecided. {} checks "
                                  "in {} scenarios (case files) form one family at false-alarm rate ",
                                  r.checks.size(), r.cases.size())),
                    M("\\alpha = " + num(r.options.alpha)),
                    T(" (Holm's correction). " + std::string(mutants ? fmt::format("Deliberately wrong variants: {} of {} refuted. ", mutants_refuted, mutants) : "") +
                      "Seed: " + (r.options.seed ? std::to_string(*r.options.seed) + " for every case" : std::string("each case's own")) +
                      "; version " + version_string() + ". The numbers of every check are in the appendix.")},
                   "small"));
  b.push_back(close());
}

// ---- Errata: one section per note, its claims in the note's order.
void DocumentBuilder::errata() {
  for (const auto& n : notes) {
    b.push_back(open("note", note_anchor(n.note)));
    b.push_back(heading(2, {T("Note " + note_short(n.note)), T(" (" + n.note + ")", "file")}));
    b.push_back(para({T(plural(n.claims.size(), "claim", "claims") + ": " +
                        counts_line(n.count(Standing::holds), n.count(Standing::wrong), n.count(Standing::undecided)) + ".")},
                     "small"));
    for (const auto& e : n.claims) {
      const CaseSpec& first = *e.cases.front().spec;
      b.push_back(open("entry " + standing_cls(e.standing), claim_anchor(e)));
      Text h{T("§ " + e.section)};
      if (e.line > 0) h.push_back(T(", line " + std::to_string(e.line), "line"));
      h.push_back(T(" " + standing_words(e.standing), "badge " + standing_cls(e.standing)));
      b.push_back(heading(3, std::move(h)));
      if (const ClaimInfo* info = Registry::instance().find(first.claim); info && !info->summary.empty())
        b.push_back(para({R(info->summary)}, "claim-summary"));
      else if (e.cases.size() == 1 && !first.description.empty())
        b.push_back(para({R(first.description)}, "claim-summary"));
      b.push_back(para({B(e.verdict)}, "verdict " + standing_cls(e.standing)));
      // The statement, and beside it the correction (or, until the formula layer gives one, the explanation).
      const CaseAccount* explained = nullptr;
      for (const auto& a : e.cases)
        if (!explained && (a.standing == Standing::wrong || a.phrase.find("refuted") != std::string::npos)) explained = &a;
      const std::string written = form_latex(first, "as_written").empty() ? e.statement : form_latex(first, "as_written");
      if (explained) {
        const std::string corr = explained->corrected_form.empty() ? std::string() : form_latex(*explained->spec, explained->corrected_form);
        Block cmp;
        cmp.kind = Block::Kind::compare;
        if (!corr.empty()) {
          const auto [a, c] = highlight_difference(written, corr);
          cmp.panes = {{"As the note writes it", a, {}}, {"Corrected", c, {}}};
        } else {
          explained_in_errata.insert(explained->spec->name);
          Pane why{"What is wrong, and the correct form", {}, {}};
          for (const auto& p : paragraphs(explained->spec->comment)) why.paragraphs.push_back({R(p)});
          if (why.paragraphs.empty()) why.paragraphs.push_back({T("(The case file gives no explanation.)")});
          cmp.panes = {{"As the note writes it", written, {}}, std::move(why)};
        }
        b.push_back(std::move(cmp));
      } else {
        b.push_back(math(written));
      }
      if (e.cases.size() == 1) {
        const CaseAccount& a = e.cases.front();
        b.push_back(para({R(a.size + " "), L("Checks and numbers", "#" + anchor(a.spec->name)), T(".")}));
      } else {
        // One line per scenario; its verdict only where the scenarios differ (else the headline says it).
        bool same = true;
        for (const auto& a : e.cases) same &= a.phrase == e.cases.front().phrase;
        std::vector<Text> items;
        for (const auto& a : e.cases) {
          Text t{L(a.spec->name, "#" + anchor(a.spec->name))};
          std::string desc = a.spec->description;
          while (!desc.empty() && (desc.back() == '.' || desc.back() == ' ')) desc.pop_back();
          if (!desc.empty()) t.push_back(R(" (" + desc + ")"));
          t.push_back(T(": "));
          if (!same) {
            t.push_back(B(a.phrase, standing_cls(a.standing)));
            t.push_back(T(". "));
          }
          t.push_back(R(a.size));
          items.push_back(std::move(t));
        }
        b.push_back(bullets(std::move(items)));
      }
      for (const auto& a : e.cases)
        if (const Plot* p = claim_figure(a.spec->name)) {
          b.push_back(plot_block(*p));
          shown_in_errata.insert(p->stem);
          break;
        }
      b.push_back(close());
    }
    b.push_back(close());
  }
}

// ---- Appendix of report.md: one line per case with the verdicts of its forms (the per-check numbers are in
// report.html, report.json and junit.xml).
void DocumentBuilder::case_list() {
  b.push_back(heading(2, {T("Appendix: the cases")}, "appendix"));
  b.back().md_only = true;
  b.push_back(para({T("One line per case file: its verdict and those of its forms. The numbers of every check are "
                      "in report.html (appendix), report.json and junit.xml.")}));
  b.back().md_only = true;
  std::set<std::pair<std::string, std::string>> by_construction;  // (case, form) holding by construction
  for (const auto& c : r.checks)
    if (!c.check.by_construction.empty()) by_construction.insert({c.case_name, c.check.form});
  std::vector<Text> items;
  for (const auto& n : notes)
    for (const auto& e : n.claims)
      for (const auto& acc : e.cases) {
        Text t{T(anchor(acc.spec->name), "anchor"), B(acc.spec->name), T(" (" + note_short(n.note) + ", " + e.section + "): " + acc.phrase + ". Forms: ")};
        bool first_form = true;
        for (const auto& f : r.forms) {
          if (f.case_name != acc.spec->name || is_mutant_form(f.form)) continue;
          t.push_back(T(std::string(first_form ? "" : ", ") + form_words(f.form) + " " + to_string(f.verdict) +
                        (by_construction.count({f.case_name, f.form}) ? " (by construction: an algebraic identity, not a Monte Carlo confirmation)" : "") +
                        (f.matches() ? "" : " (expected " + to_string(*f.expect) + ")") +
                        (f.proof == ProofStatus::none ? "" : " (exact proof: " + proof_text(f) + ")")));
          first_form = false;
        }
        t.push_back(T("."));
        items.push_back(std::move(t));
      }
  b.push_back(bullets(std::move(items)));
  b.back().md_only = true;
}

// ---- Appendix of report.html: per case, the checks and their numbers.
void DocumentBuilder::check_appendix() {
  const std::size_t appendix_start = b.size();
  b.push_back(open("appendix", "appendix"));
  b.push_back(heading(2, {T("Appendix: the checks of each case")}));
  b.push_back(para({B("How to read the numbers. "),
                    T("Estimate ± SE is the Monte Carlo estimate of the true value and its standard error; the formula "
                      "column is what the formula under test gives. p is the probability of a gap at least this large if "
                      "the formula were right; a check is refuted when p falls below its Holm level. The smallest "
                      "detectable discrepancy (relative to the scale named in each case) says how precise the check "
                      "was: a formula that holds could still be off by less than that.")}));
  if (calibration) {
    b.push_back(heading(3, {T("Calibration")}, "calibration"));
    b.push_back(plot_block(*calibration));
  }
  for (const auto& n : notes)
    for (const auto& e : n.claims)
      for (const auto& acc : e.cases) case_checks(e, acc);
  b.push_back(close());
  for (std::size_t i = appendix_start; i < b.size(); ++i) b[i].html_only = true;
}

void DocumentBuilder::case_checks(const ClaimEntry& e, const CaseAccount& acc) {
  const CaseSpec& cs = *acc.spec;
  std::vector<const CheckResult*> checks;
  for (const auto& c : r.checks)
    if (c.case_name == cs.name) checks.push_back(&c);
  const ClaimInfo* info = Registry::instance().find(cs.claim);
  // The per-check detail is in report.html (and report.json, junit.xml); report.md keeps per case the claim,
  // the explanation, the verdicts by form and the plots.
  auto detail = [&](Block blk) {
    blk.html_only = true;
    b.push_back(std::move(blk));
  };
  b.push_back(open_details({B(cs.name), T(" — note " + note_short(cs.source.note) + ", " + cs.source.section + ": "),
                            T(acc.phrase, standing_cls(acc.standing)),
                            T(fmt::format(" ({} checks)", acc.checks.size()), "small")},
                           anchor(cs.name), "case"));
  Text claim = cs.claim.empty() ? Text{B("Formula case"), T(" (its forms are written in LaTeX in the case file)")}
                                : Text{B("Claim "), C(cs.claim)};
  if (info && !info->summary.empty()) claim.push_back(R(": " + info->summary));
  claim.push_back(T(claim.back().text.back() == '.' ? " " : ". "));
  claim.push_back(B("Case file: "));
  claim.push_back(C(portable_path(cs.path)));
  claim.push_back(T(fmt::format(" (seed {}, {} samples, tolerance {}); ", r.options.seed ? *r.options.seed : cs.seed,
                                cs.samples, percent(cs.tolerance))));
  claim.push_back(L("back to the errata", "#" + claim_anchor(e)));
  claim.push_back(T("."));
  b.push_back(para(std::move(claim)));
  const auto comment = paragraphs(cs.comment), desc = paragraphs(cs.description);
  if (explained_in_errata.count(cs.name)) b.push_back(para({T("Its explanation is in "), L("the errata", "#" + claim_anchor(e)), T(".")}));
  else for (const auto& p : comment) b.push_back(para({R(p)}));
  for (const auto& p : desc) b.push_back(para({R(p)}));
  {
    // Forms that hold by construction (report.md marks them in its case list): their verdict is not Monte Carlo
    // evidence.
    std::vector<std::pair<std::string, std::string>> built;
    for (const auto* c : checks) {
      const auto& k = c->check;
      if (k.by_construction.empty() || is_mutant_form(k.form)) continue;
      if (std::find(built.begin(), built.end(), std::make_pair(k.form, k.by_construction)) == built.end())
        built.emplace_back(k.form, k.by_construction);
    }
    for (const auto& [form, why] : built)
      b.push_back(para({B("By construction: "), T(form_words(form)),
                        T(" is an algebraic identity, not a Monte Carlo confirmation: "), R(why)}));
  }
  // Ground truth and dependencies.
  {
    std::vector<std::string> quantities, methods;
    for (const auto* c : checks) {
      if (is_mutant_form(c->check.form)) continue;
      const auto& k = c->check;
      if (!k.quantity.empty() && std::find(quantities.begin(), quantities.end(), k.quantity) == quantities.end())
        quantities.push_back(k.quantity);
      const std::string m = is_exact(k) ? "exact" : to_string(k.estimate.method) + ", " + std::to_string(k.estimate.samples) + " samples";
      if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    }
    std::string q, m;
    for (const auto& s : quantities) q += (q.empty() ? "" : "; ") + s;
    for (const auto& s : methods) m += (m.empty() ? "" : "; ") + s;
    Text gt{B("Ground truth: "), R((q.empty() ? std::string("the claimed quantity") : q)),
            T(", estimated from its definition (" + m + "). ")};
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
    detail(para(std::move(gt)));
  }
  {
    Block tb;
    tb.kind = Block::Kind::table;
    tb.table.cls = "checks";
    tb.table.header = {"Form", "Check", "Estimate ± SE", "Formula", "Discrepancy", "Detectable", "p", "Level",
                       "Verdict"};
    tb.table.align = "llrrrrrrl";
    for (const auto* c : checks) {
      if (is_mutant_form(c->check.form)) continue;
      const Check& k = c->check;
      const Assessment& a = c->assessment;
      // The test is named only where it is not plain equality.
      tb.table.rows.push_back({{T(form_words(k.form) + (k.by_construction.empty() ? "" : " (by construction)"))},
                               {R(k.label + (k.kind == TestKind::equality ? "" : " (" + test_str(k) + ")"))},
                               {T(estimate_pm(k))},
                               {T(reference_str(k))},
                               {T(num(a.discrepancy, 3) + " (" + percent(a.relative_discrepancy) + ")")},
                               {T(percent(a.min_detectable_relative))},
                               {T(pval(a.p_value))},
                               {T(num(a.alpha, 2))},
                               verdict_text(a.verdict, c->expect, fails(*c))});
    }
    detail(std::move(tb));
    std::set<std::string> scales;
    for (const auto* c : checks)
      if (!is_mutant_form(c->check.form)) scales.insert(scale_name(c->check));
    std::string sc;
    for (const auto& s : scales) sc += (sc.empty() ? "" : ", ") + s;
    detail(para({T("Discrepancy = estimate − formula, and in brackets relative to the scale (" + sc +
                        "); detectable: the smallest relative discrepancy detected with 99% power; ✓: the verdict the case file expects.")},
                     "small"));
  }
  {
    // Each distinct note once, with the checks it belongs to (claims repeat one note over many checks).
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> where;
    auto note = [&](const std::string& text, const Check& k) {
      if (!where.count(text)) order.push_back(text);
      where[text].push_back(form_words(k.form) + (k.label.empty() ? "" : " " + k.label));
    };
    for (const auto* c : checks) {
      if (is_mutant_form(c->check.form)) continue;
      for (const auto& nt : c->check.notes) note(nt, c->check);
      if (!c->check.estimate.clt_warning().empty()) note(c->check.estimate.clt_warning(), c->check);
      if (c->assessment.verdict == Verdict::inconclusive) note("inconclusive: " + c->assessment.reason, c->check);
    }
    std::vector<Text> notes_;
    for (const auto& text : order) {
      const auto& w = where[text];
      std::string at = w.size() == 1 ? w.front() : w.front() + fmt::format(" and {} more", w.size() - 1);
      if (w.size() > 1 && w.size() <= 3) {
        at.clear();
        for (std::size_t i = 0; i < w.size(); ++i) at += (i ? "; " : "") + w[i];
      }
      notes_.push_back({R(text), T(" (" + at + ")", "small")});
    }
    if (!notes_.empty()) {
      detail(para({B("Notes")}));
      detail(bullets(std::move(notes_)));
    }
  }
  // Form verdicts, and for each refuted form its largest refutation in words.
  std::vector<std::string> forms;
  for (const auto* c : checks)
    if (!is_mutant_form(c->check.form) && std::find(forms.begin(), forms.end(), c->check.form) == forms.end())
      forms.push_back(c->check.form);
  {
    std::vector<Text> items;
    for (const auto& f : forms) {
      const FormResult* fr = form_of[{cs.name, f}];
      if (!fr) continue;
      Text t{C(form_words(f)), T(": ")};
      for (auto& s : verdict_text(fr->verdict, fr->expect, !fr->matches())) t.push_back(s);
      if (!fr->expect) t.push_back(T(" (no expectation stated)"));
      if (fr->proof != ProofStatus::none) t.push_back(T("; exact proof: " + proof_text(*fr)));
      items.push_back(std::move(t));
    }
    b.push_back(para({B("Verdicts by form")}));
    b.push_back(bullets(std::move(items)));
    std::vector<Text> proofs;
    std::set<std::string> listed;
    for (const auto* c : checks)
      if (is_mutant_form(c->check.form) && listed.insert(c->check.form).second)
        if (const FormResult* fr = form_of[{cs.name, c->check.form}]; fr && fr->proof != ProofStatus::none)
          proofs.push_back({C(c->check.form.substr(7)), T(": exact proof: " + proof_text(*fr))});
    if (!proofs.empty()) {
      detail(para({B("Exact proofs of the mutants")}));
      detail(bullets(std::move(proofs)));
    }
  }
  for (const auto& f : forms) {
    const FormResult* fr = form_of[{cs.name, f}];
    if (!fr || fr->verdict != Verdict::refuted) continue;
    const CheckResult* worst = nullptr;
    std::size_t n_ref = 0;
    for (const auto* c : checks)
      if (c->check.form == f && c->assessment.verdict == Verdict::refuted) {
        ++n_ref;
        if (!worst || std::abs(c->assessment.relative_discrepancy) > std::abs(worst->assessment.relative_discrepancy))
          worst = c;
      }
    if (!worst) continue;
    Text t = refuted_text(*worst);
    if (n_ref > 1) t.push_back(T(fmt::format(" (The largest of its {} refuted checks.)", n_ref)));
    detail(para(std::move(t)));
  }
  for (const auto& g : forms) {
    const FormResult* gr = form_of[{cs.name, g}];
    if (!gr || gr->verdict != Verdict::holds || std::none_of(forms.begin(), forms.end(), [&](const std::string& f) {
          const FormResult* fr = form_of[{cs.name, f}];
          return fr && fr->verdict == Verdict::refuted;
        }))
      continue;
    std::vector<const CheckResult*> gc;
    for (const auto* c : checks)
      if (c->check.form == g) gc.push_back(c);
    detail(para(holds_text(form_words(g), gc)));
  }
  // Mutants.
  {
    Block tb;
    tb.kind = Block::Kind::table;
    tb.table.cls = "mutants";
    tb.table.header = {"Mutant", "Check", "Formula", "Discrepancy", "p", "Verdict"};
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
      detail(para({B("Mutants. "), T("Deliberately wrong variants of the formula, evaluated on the same "
                                          "random numbers; each must be refuted, which shows the check has the "
                                          "power to catch such mistakes.")}));
      detail(std::move(tb));
    }
  }
  if (auto it = plots_of.find(cs.name); it != plots_of.end())
    for (const auto* p : it->second)
      if (!shown_in_errata.count(p->stem)) b.push_back(plot_block(*p));
  b.push_back(close());
}

}  // namespace

Document build_document(const RunResult& r, const std::vector<Plot>& plots, const std::set<std::string>& rendered) {
  register_all_claims();
  Document d;
  DocumentBuilder builder(r, plots, rendered, d);
  builder.summary();
  builder.errata();
  builder.case_list();
  builder.check_appendix();
  return d;
}

std::string all_latex(const Document& d) {
  std::string out;
  auto text = [&](const Text& t) {
    for (const auto& s : t)
      if (s.kind == Span::Kind::math) out += s.text + "\n";
  };
  for (const auto& b : d.blocks) {
    out += b.source + "\n";
    text(b.text);
    for (const auto& it : b.items) text(it);
    for (const auto& row : b.table.rows)
      for (const auto& cell : row) text(cell);
    for (const auto& p : b.panes) {
      out += p.latex + "\n";
      for (const auto& t : p.paragraphs) text(t);
    }
  }
  return out;
}

}  // namespace verify::report
