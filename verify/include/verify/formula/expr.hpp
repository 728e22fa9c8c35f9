#pragma once
// The meaning of a formula: a typed expression over the vocabulary (schedule quantities, the forward model's
// random variables, the exact oracle, named distributions, user definitions). Built from a syntax tree by
// resolve.hpp; evaluated by evaluate.hpp over blocks of Monte Carlo draws (double) or one draw in 50-digit
// arithmetic; turned into checks by checks.hpp.
#include <memory>
#include <string>
#include <vector>

#include "verify/formula/syntax.hpp"

namespace verify::formula {

enum class Type { index, scalar, vector, matrix, distribution };
std::string to_string(Type t);

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;
struct Dist;
using DistPtr = std::shared_ptr<const Dist>;

enum class Op {
  // leaves
  number,      // value (text keeps the literal for exact arithmetic)
  pi,          // 3.14159...
  data,        // a [define] number, vector or matrix (values in `data`, row-major)
  index_var,   // text: "t" (the grid's step), "T", "d", or a bound summation index (id)
  schedule,    // text: beta | alpha | alpha_bar | beta_tilde | sigma2 | snr | coef_x0 | coef_xt; args[0] = step
  random,      // the model's random variables: text "x" (args[0] = step), "eps" (args[0] = step), "z", "W" (args[0]),
               // "U" (a uniform on (0, 1), one per draw)
  bound,       // a variable bound by an expectation, a KL or an integral (id); type scalar or vector
  identity,    // I (d x d)
  // arithmetic (index, scalar, vector and matrix operands as their types allow)
  add, sub, neg, mul, div, pow, log, exp, sqrt, abs, norm, dot, det, trace, inverse, transpose, max_op, min_op,
  norm_cdf,     // \Phi(args[0]): the standard normal CDF
  // the exact oracle and named distributions
  log_density,  // log of dists[0]'s density at args[0]
  score,        // gradient of log dists[0] with respect to its variable, at args[0]
  post_mean,    // E[text | x_step = at] exactly: text "x0" | "eps"; args[0] = step, args[1] = at (the value of x_step)
  post_cov,     // Cov[text | x_step = at] exactly (a matrix): text "x0" | "xprev" (x_{step-1}); args as post_mean
  // aggregation
  sum, prod,    // over the bound index `id` from args[0] to args[1] of args[2]
  median,       // the median of args[2] over that range (the mean of the two middle values for an even count)
  expect,       // E over the bound variables (ids in `bound_ids`, laws in `dists`) of args[0]
  integral,     // \int over the scalar bound variable `id` of args[0], from args[1] to args[2] (numbers or +-inf)
  const_term,   // "+ const": an unknown constant
  derivative,   // d^n/dv^n of args[0] (v the scalar bound variable `id`) at v = args[1]; n = value (1 or 2)
  recurrence,   // y_{args[0]} of the recurrence `id` (its start and step in Expr::recurrences)
  rec_prev,     // inside a step: the neighbouring value y_{k+1} (or y_{k-1})
  // \lim_{h \to 0} args[0] (or K \to \infty): args[0] evaluated with the variable `text` at `value` levels (h, h/2, ...
  // or K, 2K, ...), combined by Richardson extrapolation; data = {order, coarsest value, +1 for K -> infinity else -1}.
  limit,
  limit_var,    // the variable of the enclosing limit (text), at the level being evaluated
  cos,          // cos of args[0] (a scalar; radians)
  // The discrete latent of a mixture (z = the component number 1..K): text "weight" pi_k, "log_density" log N(args[1];
  // mu_k, Sigma_k), "mean" mu_k, "cov" Sigma_k (k = args[0], a number per lane), "posterior" the vector of
  // responsibilities p(k | args[0]) (Bayes' rule on the mixture).
  component,
  tabulate,     // the vector (args[0] at k = 1, ..., dim) over the bound index `id`: a law's probabilities from an expression in k
  quantile,     // F^{-1} of the 1-D law dists[0] at args[0] (u in (0, 1)): its exact inverse CDF
  indicator,    // 1 if args[0] text args[1] holds (text: "<" "<=" ">" ">=" "=" "!="), else 0
};

// A sequence defined by a start and a step, evaluated by iterating the step (a sampler). index_id is the step's
// bound index; noise_per_step normals feed each step's fresh z.
struct Recurrence {
  ExprPtr from, start, step;
  int index_id = -1;
  int direction = -1;  // -1: y_k from y_{k+1} (the index falls from `from`); +1: y_k from y_{k-1}
  int dim = 1;
  Type type = Type::vector;
  std::string key;
  // The definition's key and the limit it was resolved in: equal for every form of one model, so that an evaluator
  // computes a sequence once for all the forms that use it (each form resolves its own Recurrence object).
  std::string cache_key;
};
using RecurrencePtr = std::shared_ptr<const Recurrence>;

struct Expr {
  Op op = Op::number;
  Type type = Type::scalar;
  int dim = 1;            // length of a vector, size of a square matrix
  std::string text;       // see Op
  double value = 0;       // number
  std::vector<double> data;
  std::vector<ExprPtr> args;
  std::vector<DistPtr> dists;
  std::vector<int> bound_ids;
  // expect: the bound variables' names where their law is discrete (an expectation over a categorical law draws the
  // same z as another only when it names the same variable; a KL draws its own): empty otherwise.
  std::vector<std::string> bound_names;
  RecurrencePtr rec;      // recurrence / rec_prev
  int id = -1;            // bound variable / index id
  // Facts used by the checks: does it depend on the model's random variables outside any expectation (random),
  // does it contain an expectation that needs Monte Carlo (mc), does it need the forward chain (chain).
  bool random = false, mc = false;
  Pos pos;
  std::string origin;  // the [define] entry whose text pos refers to (empty: the form's own text)
  std::string latex;   // the LaTeX it came from (for messages and reports)
};

// A law with a density and a sampler. Parameters are expressions (possibly random: a conditional law).
struct Dist {
  enum class Kind {
    gaussian,      // N(mean, cov): cov a scalar variance (isotropic) or a matrix
    data,          // the case's mixture
    marginal,      // q(x_s): the mixture diffused to step `step`
    diffused,      // the law of mean * x_0 + N(0, cov I), x_0 from the mixture (p_{data} * \mathcal N(0, v))
    posterior_x0,  // q(x_0 | x_s = given): the exact mixture posterior
    reverse,       // q(x_{s-1} | x_s = given): the exact reverse step (a mixture for mixture data)
    categorical,   // a law on 1..K with probabilities `mean` (a K-vector): the discrete latent z
  };
  Kind kind = Kind::gaussian;
  ExprPtr mean, cov, step, given;
  int dim = 1;
  std::string latex;
};

// Calls f on e and on every node below it, the parameters of its laws included; with into_sequences, also on a
// sequence's index, start and step (which an expression reaches only through its recurrence).
template <class F>
void visit_tree(const Expr& e, F&& f, bool into_sequences = false) {
  f(e);
  for (const auto& a : e.args)
    if (a) visit_tree(*a, f, into_sequences);
  for (const auto& d : e.dists)
    for (const ExprPtr& p : {d->mean, d->cov, d->step, d->given})
      if (p) visit_tree(*p, f, into_sequences);
  if (into_sequences && e.rec && e.op == Op::recurrence)
    for (const ExprPtr& p : {e.rec->from, e.rec->start, e.rec->step})
      if (p) visit_tree(*p, f, into_sequences);
}

// Canonical text of an expression (bound ids renumbered in order of appearance): equal meaning, equal key.
std::string canonical(const Expr& e);
std::string canonical(const Dist& d);

}  // namespace verify::formula
