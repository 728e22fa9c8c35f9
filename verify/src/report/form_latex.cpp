// The LaTeX of a case's forms (see form_latex.hpp).
#include "form_latex.hpp"

#include "verify/formula/latex.hpp"

namespace verify::report {

std::string form_latex(const CaseSpec& c, const std::string& form) {
  for (const auto& f : c.forms)
    if (f.name == form) return f.latex;
  if (form != "as_written") return {};
  return c.statement_latex.empty() ? c.statement : c.statement_latex;
}

std::pair<std::string, std::string> highlight_difference(const std::string& latex_a, const std::string& latex_b) {
  // The forms' LaTeX is printed from their trees (macros expanded), so it reads back without the case's macros.
  try {
    const formula::NodePtr a = formula::parse_formula(latex_a), b = formula::parse_formula(latex_b);
    return formula::latex_with_differences(*a, *b, diff_mark);
  } catch (const formula::LatexError&) {
    return {latex_a, latex_b};  // not a single formula (a derivation, a C++ claim's label): shown as it is
  }
}

std::string form_role(const CaseSpec& c, const std::string& form) {
  for (const auto& f : c.forms)
    if (f.name == form) return f.role == "step" ? "as_written" : f.role;
  if (form.find("as_written") != std::string::npos) return "as_written";
  if (form.find("corrected") != std::string::npos) return "corrected";
  return "reading";
}

}  // namespace verify::report
