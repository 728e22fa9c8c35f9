#pragma once
// Giving a syntax tree its meaning: symbols looked up in the case's [define] table, then in the vocabulary
// (docs/formulas.md lists it), types checked (index, scalar, vector, matrix, distribution). Errors are
// LatexErrors at the offending symbol, with a "did you mean" when a known name is close.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "verify/formula/expr.hpp"
#include "verify/formula/latex.hpp"

namespace verify {
class NoiseSchedule;
class GaussianMixture;
}  // namespace verify

namespace verify::formula {

// One [define] entry: a number / vector / matrix, a LaTeX expression, a function f(x, s) = ..., or a law.
struct Definition {
  // recurrence: a sequence y_k given by its start y_{from} and a step y_k = f(y_{k+1}, k) (or f(y_{k-1}, k)): a
  // sampler, written as the update it runs.
  enum class Kind { value, expression, function, recurrence } kind = Kind::value;
  std::vector<double> values;  // value: row-major
  int rows = 0, cols = 0;      // value: 0 x 0 scalar, n x 0 vector, n x n matrix
  bool squared = false;        // defined as '\sigma^2' = v: \sigma is sqrt(v), \sigma^2 is v
  NodePtr body;                // expression / function body
  std::vector<NodePtr> params; // function parameters (symbols)
  std::string generic_index;   // defined as v_t: v_{t-1} substitutes t -> t-1 in the body
  std::string key;             // canonical symbol name (the map key)
  std::string origin;          // where it was defined, for messages ("define.'\\mu'")
  std::string sub_symbol;      // the key's subscript when it is one symbol (made generic when the body uses it)
  std::string bare_key;        // the key without its subscript
  NodePtr from, start;         // recurrence: first index and the value there
};
// Makes a definition generic in its subscript symbol when its body uses that symbol (p_\tau = ... \tau ...).
void make_generic_if_used(Definition& d);

struct Context {
  int dim = 1;
  const NoiseSchedule* schedule = nullptr;
  const GaussianMixture* mixture = nullptr;
  std::map<std::string, Definition> defines;
  // Names of [grid] entries other than t: their values change per grid point (Op::data with text = name).
  std::map<std::string, Definition> grid;
  std::string sigma2 = "beta_tilde";  // the model variance sigma_t^2: "beta_tilde", "beta" or a number
  bool superscript_time = false;      // note 004 section 2 writes x^t for x_t
  int limit_levels = 3, limit_order = 1;  // \lim: step halvings and the leading error order ([params] levels, order)
  // The first id given to a variable bound in the next formula resolved (the loader gives each form its own range, so
  // that two forms' bound variables never share an id, and so never a noise slot of another law).
  int first_id = 0;
};

// Resolves a formula (expression or relation sides separately: see resolve_relation).
ExprPtr resolve(const Node& n, const Context& ctx);

struct Relation {
  std::string op;  // "=", "<=", ">=", "<", ">", "approx", "propto", "!="
  ExprPtr lhs, rhs;
  bool rhs_const = false;  // rhs (or lhs) had "+ const": the relation holds up to an additive constant
};
// A formula that must be a relation between two sides.
Relation resolve_relation(const Node& n, const Context& ctx);

// The canonical key of a [define] left-hand side (a symbol, a symbol^2, or a call f(x, s)), with its parameters.
Definition definition_key(const Node& lhs);

// All vocabulary names, for "did you mean" and the documentation table.
const std::vector<std::string>& vocabulary_names();

}  // namespace verify::formula
