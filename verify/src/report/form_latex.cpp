// The LaTeX of a case's forms (see form_latex.hpp).
#include "form_latex.hpp"

namespace verify::report {

std::string form_latex(const CaseSpec& c, const std::string& form) {
  for (const auto& f : c.forms)
    if (f.name == form) return f.latex;
  return form == "as_written" ? c.statement : std::string();
}

std::pair<std::string, std::string> highlight_difference(const std::string& latex_a, const std::string& latex_b) {
  return {latex_a, latex_b};
}

std::string form_role(const CaseSpec& c, const std::string& form) {
  for (const auto& f : c.forms)
    if (f.name == form) return f.role == "step" ? "as_written" : f.role;
  if (form.find("as_written") != std::string::npos) return "as_written";
  if (form.find("corrected") != std::string::npos) return "corrected";
  return "reading";
}

}  // namespace verify::report
