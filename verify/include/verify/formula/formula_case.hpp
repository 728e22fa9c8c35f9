#pragma once
// A case whose claim is written in LaTeX: its forms (as written, corrected, other readings, mutants, the steps of
// a derivation), the models it is checked under, and the grid of points. Read by case_file.cpp from the case's
// tables; turned into checks by run_formula_case.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "verify/formula/resolve.hpp"

namespace verify {
struct CaseSpec;
class MonteCarlo;
struct ClaimOutput;
}  // namespace verify

namespace verify::formula {

// Where a LaTeX string sits in its case file, to turn a position in the string into file:line:column.
struct Where {
  std::string file;
  std::string key;      // dotted TOML key, e.g. "forms.corrected"
  int line = 0, column = 0;  // of the string's first character (after the opening quotes)
  std::string text;     // the string itself
};
// "file:line:column: 'key': " for a position inside the string.
std::string locate(const Where& w, const Pos& p);

struct FormulaForm {
  std::string name;  // as_written, corrected, <reading>, mutant:<what>, line_<k>
  std::string role;  // as_written | corrected | reading | mutant | step
  std::string latex;  // the relation as checked (a derivation step: "line_{k-1} = line_k")
  NodePtr tree;       // its syntax tree (a relation)
  Where where;
  bool mutant = false;
  int step = 0;       // derivation steps: k (line k follows from line k - 1)
};

struct FormulaModel {
  std::string name;  // "" when the case has one model
  Context context;
  std::vector<Relation> relations;  // one per form, resolved under this model
  std::vector<Relation> control_variates;  // one per FormulaCase::control_variates: E[h] = its exact mean
};

struct GridPoint {
  long t = 0;  // 0 when the formulas do not use t
  std::string label;
  std::map<std::string, std::vector<double>> values;  // other [grid] symbols ("grid:\\mu")
  std::vector<double> xt, x0;  // pinned x_t / x_0 (empty: not pinned)
};

struct FormulaCase {
  std::vector<FormulaForm> forms;
  std::map<std::string, Where> wheres;  // [define] / [[models]] LaTeX entries by key, for errors inside them
  std::vector<FormulaModel> models;
  std::vector<GridPoint> grid;
  bool all_t = false;        // [grid] t = "all": identities checked at every step, one check per form
  double approx_margin = 0;  // [params] margin for \approx, relative to the right side
  double approx_margin_abs = 0;  // [params] margin_absolute: an absolute allowance (for a right side of 0)
  // Derivations: the lines as written (LaTeX) and, per pair (i, j), whether they were compared (for the report).
  std::vector<std::string> lines;
  std::vector<std::string> line_relations;
  // [control_variates]: expectations with exact means, regressed out of every Monte Carlo check (docs/formulas.md).
  std::vector<FormulaForm> control_variates;
};

// Reads the formula tables of a case file into c.formula (called by the case loader). `path` names the file.
// Throws InputError with file:line:column for bad LaTeX or bad symbols.
void read_formula_tables(CaseSpec& c, const std::string& path, const void* toml_root, const std::string& file_text);

// The checks of a formula case: every form at every grid point (and model), on shared Monte Carlo draws.
ClaimOutput run_formula_case(const CaseSpec& c, const MonteCarlo& mc);

}  // namespace verify::formula
