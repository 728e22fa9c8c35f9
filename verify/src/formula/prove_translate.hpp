#pragma once
// Typed expressions (expr.hpp) to GiNaC: the translator of prove.hpp. Values are exact; random variables are
// symbols; expectations and integrals are computed in closed form (moments), or the part is NotAlgebraic.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "prove_algebra.hpp"
#include "verify/formula/prove.hpp"

namespace verify::formula::proof {

// A value: one entry for scalars, d for vectors, d * d (row-major) for matrices.
struct AVal {
  Type type = Type::scalar;
  int dim = 1;
  std::vector<ex> v;
};

class Translator {
 public:
  // tag / varying: for comparisons across models, the [define] values named in `varying` get symbols of their own,
  // suffixed by tag; everything else (schedule, random variables, the other [define]s) is shared.
  Translator(const Context& ctx, const ProofPoint& p, Symbols& syms, Canon& canon, Budget& budget, std::string tag = {},
             std::set<std::string> varying = {});

  // Scans the relation: which random variables it uses (their representation) and which schedule steps (the lowest
  // alpha_bar becomes the free symbol, the betas above it the others). Throws NotAlgebraic.
  void prepare(const Relation& r);
  AVal value(const Expr& e);
  // After prepare: what the translation depends on besides declared values (steps relative to t, representation).
  std::string signature() const;

  const std::set<std::string>& relations() const { return relations_; }
  // Symbols that stand for exact-oracle quantities, with what they depend on.
  const std::map<ex, ex, GiNaC::ex_is_less>& opaque() const { return opaque_deps_; }

 private:
  const Context& ctx_;
  const ProofPoint& p_;
  Symbols& syms_;
  Canon& canon_;
  Budget& budget_;
  std::string tag_;
  std::set<std::string> varying_;
  const NoiseSchedule* schedule_ = nullptr;
  const GaussianMixture* mixture_ = nullptr;
  long T_ = 0;
  bool collect_ = false;        // first pass: record the schedule steps used, compute nothing
  std::set<long> a_steps_, b_steps_;  // alpha_bar and beta steps requested in the first pass
  long low_ = -1;               // the lowest alpha_bar step (its symbol); -1: none
  bool chain_ = false, pinned_xt_ = false, pinned_x0_ = false;
  // x_t free and x_0 free, eps = (x_t - sqrt(abar_t) x_0) / sqrt(1 - abar_t): when the oracle is used at x_t, so that the
  // oracle's quantities depend on x_t alone and x_0 varies freely beside them (no expectation over the model then).
  bool centered_ = false;
  std::vector<long> w_steps_;   // W steps of the Brownian representation, sorted, without 0
  std::map<int, AVal> env_;     // bound variables
  std::map<int, long> idx_;     // bound summation indices
  std::set<std::string> relations_;
  std::map<ex, ex, GiNaC::ex_is_less> opaque_deps_;
  int counter_ = 0;

  void scan(const Expr& e);
  long index(const Expr& e);
  std::string step_name(long s) const;
  ex A(long s);
  ex B(long s);
  ex sched(const std::string& q, long s);
  ex data_symbol(const std::string& key, const std::string& name, double value);

  AVal random(const Expr& e);
  AVal x0();
  AVal eps();
  AVal xt();
  AVal xprev();
  AVal z();
  AVal brownian(long s);
  AVal symbols(const std::string& key, const std::string& name, Role role, Dom dom, const std::vector<double>* values = nullptr);

  struct Law {
    AVal mean;
    std::vector<ex> cov;  // d x d
    int dim = 1;
    bool isotropic = true;
  };
  Law gaussian(const Dist& d);
  // The law of d in closed form: Gaussian laws, and, when the data are one Gaussian, every law of the model (the
  // data, the marginals, the posteriors of x_0 and of the reverse step), by Bayes' rule for Gaussians.
  std::optional<Law> exact_law(const Dist& d);
  bool gaussian_data() const;
  Law posterior_x0(long s, const AVal& y);
  ex log_gauss(const Law& g, const AVal& at);
  AVal opaque(const Expr& e, Type type, int dim, const std::vector<AVal>& deps, const std::string& name);
  std::string law_name(const Dist& d) const;

  AVal expect(const Expr& e);
  AVal integral(const Expr& e);
  AVal big_op(const Expr& e);
  AVal derivative(const Expr& e);
  ex integrate_gaussian(const ex& b, const std::vector<symbol>& ys, const std::vector<ex>& mean, const std::vector<ex>& cov);
  ex integrate_mixture(const ex& b, const std::vector<symbol>& ys);
  ex integrate_model(const ex& b);
  bool depends(const ex& e, const std::vector<symbol>& ys) const;
};

}  // namespace verify::formula::proof
