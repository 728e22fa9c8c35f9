// libFuzzer harness for the LaTeX reader (scripts/fuzz.sh builds and runs it beside the case-loader harness).
// Contract under test: for ANY text, parse_formula / parse_derivation either return a tree or throw LatexError, and
// resolution against a small context either gives a typed expression or throws LatexError. Anything else (a
// crash, another exception, a sanitizer report) is a finding, and so is a printed tree that does not read back to
// the same text (to_latex(parse(to_latex(x))) must equal to_latex(x)), since reports print what was parsed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "verify/formula/latex.hpp"
#include "verify/formula/resolve.hpp"
#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

using namespace verify;
using namespace verify::formula;

namespace {

const Context& context() {
  static const NoiseSchedule schedule = NoiseSchedule::linear(10, 0.05, 0.4);
  static const GaussianMixture mixture({0.5, 0.5}, {Gaussian::isotropic(Vec::Constant(1, -1.0), 0.3),
                                                     Gaussian::isotropic(Vec::Constant(1, 1.5), 0.6)});
  static const Context ctx = [] {
    Context c;
    c.dim = 1;
    c.schedule = &schedule;
    c.mixture = &mixture;
    for (const char* name : {"\\mu", "\\sigma^2", "a", "b", "\\lambda"}) {
      Definition d = definition_key(*parse_formula(name));
      d.kind = Definition::Kind::value;
      d.values = {0.7};
      c.defines[d.key] = d;
    }
    return c;
  }();
  return ctx;
}

const MacroTable& macros() {
  static const MacroTable m = parse_macro_definitions(
      "\\newcommand{\\E}{\\mathbb{E}} \\newcommand{\\ba}{\\bar{\\alpha}} \\newcommand{\\sigmasqr}{\\sigma^2} "
      "\\newcommand{\\f}[2]{\\frac{#1}{#2}}");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const NodePtr n = parse_formula(text, macros());
    const std::string printed = to_latex(*n);
    NodePtr again;
    try {
      again = parse_formula(printed);
    } catch (const LatexError& e) {
      std::fprintf(stderr, "FINDING: printed formula does not parse back: %s\n  %s\n", printed.c_str(), e.what());
      std::abort();
    }
    if (to_latex(*again) != printed) {
      std::fprintf(stderr, "FINDING: printing is not stable:\n  %s\n  %s\n", printed.c_str(), to_latex(*again).c_str());
      std::abort();
    }
    try {
      if (n->kind == Kind::relation && n->args.size() == 2) (void)resolve_relation(*n, context());
      else (void)resolve(*n, context());
    } catch (const LatexError&) {
    }
  } catch (const LatexError&) {
  }
  try {
    (void)parse_derivation(text, macros());
  } catch (const LatexError&) {
  }
  try {
    (void)parse_macro_definitions(text);
  } catch (const LatexError&) {
  }
  return 0;
}
