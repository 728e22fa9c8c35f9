#pragma once
// Proofs beside estimates: a relation between typed expressions (expr.hpp) decided exactly with computer algebra
// (GiNaC), for every value of its free quantities, under the defining relations of the notes:
//   alpha_s = 1 - beta_s,  alpha_bar_s = alpha_bar_{s-1} alpha_s (alpha_bar_0 = 1),
//   beta_tilde_s = (1 - alpha_bar_{s-1}) beta_s / (1 - alpha_bar_s),  SNR(s) = alpha_bar_s / (1 - alpha_bar_s),
//   the Kalman gain and variance of q(x_{s-1} | x_s, x_0) (Bayes' rule, as the evaluator computes them),
//   sigma_s^2 as the case's [model] chooses,  x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,
//   the case's [define] entries (already substituted by the resolver),
// and the ranges 0 < beta_s < 1, 0 < alpha_bar_s < 1, a [define] scalar of the sign of its declared value
// (positive when defined by its square).
//
// What is translated (the rest is not algebraic: the form gets no proof, or "undecided" when only such a part is
// left after everything else cancelled):
//  - numbers as exact rationals (their decimal text), pi, schedule quantities at any step as symbols (one per step,
//    named relative to the grid's t), [define] and [grid] scalars and vectors as free symbols (their declared values
//    are used only when the form holds at them but not identically, and for counterexamples), matrices as exact
//    rationals, the model's random variables x_0, eps, x_{t-1}, z, W_s as symbols (the equation must hold for every
//    draw, so it must hold identically in them);
//  - arithmetic, sqrt, log, exp, |.|, norms, dot products, det / trace / inverse of matrices;
//  - Gaussian log-densities and scores (from the density's definition); expectations of polynomials (times
//    exponentials of affine functions) in Gaussian variables and in x_0 from the data mixture, by moments
//    (Isserlis); 1-D integrals over the real line of a polynomial times e^{quadratic}; finite sums and products
//    (at most 64 terms);
//  - the exact oracle (the mixture's posterior mean, score, density) as opaque symbols: a form is proved when they
//    cancel.
// Deciding: lhs - rhs is brought to a rational function in independent atoms (square roots of irreducible
// non-negative polynomials, logarithms of irreducible polynomials and primes, exponentials) and reduced modulo
// r^2 = f for every root r = sqrt(f): zero means proved. Otherwise an exact counterexample is sought: rational
// values of the free symbols (the declared ones where the case gives them) at which both sides are evaluated
// exactly (rationals, square roots of rationals, logarithms of rationals) and differ. Square roots of distinct
// square-free integers are linearly independent over Q, and so (Baker) are 1 and the logarithms of distinct
// primes over the algebraic numbers, so such a difference is decided exactly; anything else (pi, e^q, products of
// logarithms) is compared at 60 digits, which the detail says.
//
// A proof stops at its time limit (checked between steps; the work of each step is bounded by size limits) and
// reports undecided. GiNaC is not thread-safe: proofs run on the caller's thread, one at a time.
#include <map>
#include <string>
#include <vector>

#include "verify/formula/resolve.hpp"
#include "verify/verdict.hpp"

namespace verify::formula {

// The point at which a relation is decided: the grid's step t (0: none), its other values ("grid:\\mu"), the pinned
// x_t / x_0 (empty: random).
struct ProofPoint {
  long t = 0;
  std::map<std::string, std::vector<double>> grid;
  std::vector<double> xt, x0;
  // The case's schedule and mixture (a Context's own pointers are valid only while its case file loads).
  const NoiseSchedule* schedule = nullptr;
  const GaussianMixture* mixture = nullptr;
};

struct ProofResult {
  ProofStatus status = ProofStatus::none;
  std::string detail;                  // proved: for which values and from what; disproved: the counterexample
  std::vector<std::string> relations;  // the relations and assumptions used
  double seconds = 0;
};

// Results that hold for all values at one point hold at every point of the same structure (the same schedule steps
// relative to t, the same random representation): a cache owned by the caller (one per case) reuses them.
struct ProofCache {
  std::map<std::string, ProofResult> proved;
};

struct ProofOptions {
  double time_limit = 2.0;  // seconds (wall clock) per relation; beyond it the result is undecided
  ProofCache* cache = nullptr;
};

// Decides r (an equation; other relations get none) under ctx at point p.
ProofResult prove(const Relation& r, const Context& ctx, const ProofPoint& p, const ProofOptions& opt = {});

// "lhs = rhs + const" across models: decides that lhs - rhs under model m equals lhs - rhs under model ref (the same
// form resolved under each model; a [define] that differs between the models is a separate symbol in each).
ProofResult prove_same_difference(const Relation& rm, const Context& cm, const Relation& rref, const Context& cref,
                                  const ProofPoint& p, const ProofOptions& opt = {});

// "proved for all values of ...; from: <relations>", "disproved: at ..., lhs = ..., rhs = ...", "undecided: ...",
// "no proof: ...". detail_text: the same without the leading status.
std::string describe(const ProofResult& r);
std::string detail_text(const ProofResult& r);

}  // namespace verify::formula
