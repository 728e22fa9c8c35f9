#pragma once
// The LaTeX of a case's forms, for the errata (private to src/report). The report code reaches the formula layer only
// through these; highlight_difference is still to be implemented from the expression trees.
#include <string>
#include <utility>

#include "verify/case_file.hpp"

namespace verify::report {

// The formula of one form of a case, as LaTeX, or "" when none is known: the form's LaTeX from the case file
// (formula cases, CaseSpec::forms), else the statement for "as_written" and "" for forms defined in C++ (the errata
// then show the case's explanation in place of the corrected formula).
std::string form_latex(const CaseSpec& c, const std::string& form);

// What a form is, for the wording of the errata: "as_written" (the note's formula, or a step of its derivation),
// "corrected", "reading" (another reading or step checked alongside) or "mutant". From CaseSpec::forms where the
// case file names its forms; for claims in C++ from the name (containing "as_written" / "corrected").
std::string form_role(const CaseSpec& c, const std::string& form);

// The two formulas with the parts where they differ marked, for showing them side by side. Today: both unchanged.
// The formula layer is to find the differing subterms from the two expression trees (not by string diff) and wrap
// each in diff_mark() below.
std::pair<std::string, std::string> highlight_difference(const std::string& latex_a, const std::string& latex_b);

// The one highlighting mechanism, chosen because it renders the same in KaTeX (report.html, no `trust` needed) and
// in GitHub's MathJax (report.md): a red box, `{\color{red}\boxed{...}}`. The outer braces keep KaTeX's \color (a
// switch to the end of its group) from colouring what follows. \htmlClass would need KaTeX's trust option and is
// unknown to MathJax; \colorbox takes text-mode content, so the math inside would need `$...$`, which GitHub's
// MathJax does not process there.
inline std::string diff_mark(const std::string& latex) { return "{\\color{red}\\boxed{" + latex + "}}"; }

}  // namespace verify::report
