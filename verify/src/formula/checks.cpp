// From resolved relations to checks, following the semantics stated in docs/formulas.md:
//  - both sides deterministic: evaluated in double and in 50-digit arithmetic; decided exactly;
//  - sides that are functions of expectations (no free random variable): Monte Carlo estimates of every distinct
//    expectation on the same draws, the outer function evaluated at the means, its SE by the delta method;
//  - a side with free random variables: the equation must hold on every draw; both sides are evaluated on the
//    draws, and the worst draws are re-evaluated in 50 digits to tell rounding from a real difference. When a side
//    contains an expectation estimated inside the draw (a KL of conditional laws), the claim is tested in mean:
//    E[lhs - rhs] = 0 (a per-draw identity implies it; most wrong formulas break it).
//  - \propto: one ratio lhs / rhs across the grid points; + const: one difference lhs - rhs across the models;
//    \approx: equivalence within [params] margin; inequalities one-sided.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "evaluate.hpp"
#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/errors.hpp"
#include "verify/formula/formula_case.hpp"
#include "verify/formula/prove.hpp"
#include "verify/montecarlo.hpp"

namespace verify::formula {

namespace {

std::string num(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

template <class F>
void visit(const Expr& e, F&& f) {
  visit_tree(e, f, true);
}

bool contains(const Expr& e, Op op) {
  bool found = false;
  visit(e, [&](const Expr& x) { found = found || x.op == op; });
  return found;
}

bool uses_bound_index(const Expr& e) {
  bool found = false;
  visit(e, [&](const Expr& x) { found = found || (x.op == Op::index_var && x.id >= 0); });
  return found;
}

// A top-level expectation of a side, at one level of its enclosing limit (level -1, lim null: not inside one).
struct Top {
  const Expr* e;
  int level = -1;
  const Expr* lim = nullptr;
};

// Top-level expectations of a side (not nested in another expectation), in order of appearance; inside a limit, one
// per level (each level is its own integrand: the same draws, the limit's variable at that level's value).
void top_expectations(const Expr& e, std::vector<Top>& out, int level = -1, const Expr* lim = nullptr) {
  if (e.op == Op::expect) {
    out.push_back({&e, level, lim});
    return;
  }
  if (e.op == Op::limit) {
    for (int l = 0; l < static_cast<int>(e.value); ++l) top_expectations(*e.args[0], out, l, &e);
    return;
  }
  for (const auto& a : e.args)
    if (a) top_expectations(*a, out, level, lim);
}

// Nested expectations are estimated by one sample inside each draw: that is unbiased only where they enter
// linearly. Refuse them under a nonlinear operation.
void check_linear_inner(const Expr& e, bool under_nonlinear, bool inside_expect, const FormulaForm& form) {
  const bool nonlinear = e.op == Op::log || e.op == Op::exp || e.op == Op::sqrt || e.op == Op::pow || e.op == Op::abs ||
                         e.op == Op::norm || e.op == Op::dot || e.op == Op::det || e.op == Op::inverse || e.op == Op::prod ||
                         e.op == Op::norm_cdf || e.op == Op::median || e.op == Op::cos;
  if (e.op == Op::expect && inside_expect && under_nonlinear)
    throw InputError(form.where.file, form.where.key,
                     locate(form.where, e.pos) + "a nonlinear function of an inner expectation cannot be estimated from one draw: "
                                                 "rewrite it, or fix the conditioning variables in [grid]");
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    if (!e.args[i]) continue;
    const bool nl = under_nonlinear || nonlinear || (e.op == Op::div && i == 1) ||
                    (e.op == Op::mul && e.args[0]->random && e.args[1]->random);
    check_linear_inner(*e.args[i], nl && (inside_expect || e.op == Op::expect), inside_expect || e.op == Op::expect, form);
  }
}

enum class FormKind { deterministic, expectations, per_draw, per_draw_noisy };

FormKind classify(const Relation& r) {
  const Expr& L = *r.lhs;
  const Expr& R = *r.rhs;
  if (!L.random && !R.random) return (L.mc || R.mc) ? FormKind::expectations : FormKind::deterministic;
  if (contains(L, Op::expect) || contains(R, Op::expect)) return FormKind::per_draw_noisy;
  return FormKind::per_draw;
}

// Law dimensions of a bound variable's noise: (uniforms, normals).
std::pair<int, int> slot_size(const Dist& d) {
  switch (d.kind) {
    case Dist::Kind::gaussian: return {0, d.dim};
    case Dist::Kind::data:
    case Dist::Kind::marginal:
    case Dist::Kind::posterior_x0:
    case Dist::Kind::reverse: return {1, d.dim};
    case Dist::Kind::diffused: return {1, 2 * d.dim};
    case Dist::Kind::categorical: return {1, 0};
  }
  return {0, d.dim};
}


template <class T>
void setup_world(World<T>& w, const CaseSpec& c, const FormulaModel& m, const GridPoint& g) {
  w.t = g.t;
  w.dim = m.context.dim;
  w.schedule = ScheduleT<T>(c.schedule ? &*c.schedule : nullptr, m.context.sigma2);
  w.mixture = c.mixture ? &*c.mixture : nullptr;
  if (c.mixture) w.data = MixtureT<T>(*c.mixture);
  for (const auto& [k, v] : g.values) {
    std::vector<T> tv;
    for (double x : v) tv.push_back(T(x));
    w.grid[k] = tv;
  }
  for (double x : g.xt) w.pinned_xt.push_back(T(x));
  for (double x : g.x0) w.pinned_x0.push_back(T(x));
}

struct Worst {  // a draw with its inputs, for the 50-digit replay
  double score = -1;
  double residual = -1;  // relative residual (equalities) or relative violation (inequalities)
  double lhs = 0, rhs = 0;
  std::vector<double> main, extra;
};

struct PerDrawRecord {
  std::vector<Worst> worst;  // per form
  std::vector<double> max_abs;  // per form: largest |side| seen (the scale)
  std::vector<std::size_t> draws;
};

// The relative residual of one lane: |L - R| / max(|L|, |R|, tiny) for equalities (norms for vectors); the
// relative violation (L - R) / max(|L|, |R|, tiny) for <= (and R - L for >=).
template <class T>
T residual(const Val<T>& L, const Val<T>& R, int lane, const std::string& op, T* mag) {
  using std::abs;
  using std::sqrt;
  const int w = std::max(L.width, R.width);
  T dl = T(0), nl = T(0), nr = T(0);
  for (int c = 0; c < w; ++c) {
    const T a = L.at(L.width == 1 ? 0 : c, lane), b = R.at(R.width == 1 ? 0 : c, lane);
    dl += (a - b) * (a - b);
    nl += a * a;
    nr += b * b;
  }
  const T m = std::max(sqrt(nl), sqrt(nr));
  *mag = m;
  const T denom = m > T(1e-300) ? m : T(1e-300);
  if (op == "=") return sqrt(dl) / denom;
  const T a = L.at(0, lane), b = R.at(0, lane);
  if (op == "<=") return (a - b) / denom;
  if (op == ">=") return (b - a) / denom;
  if (op == "<") return a >= b ? (a - b) / denom + T(1e-24) : (a - b) / denom;  // equality violates a strict inequality
  if (op == ">") return b >= a ? (b - a) / denom + T(1e-24) : (b - a) / denom;
  return sqrt(dl) / denom;
}

TestKind test_kind(const std::string& op) {
  if (op == "<=" || op == "<") return TestKind::at_most;
  if (op == ">=" || op == ">") return TestKind::at_least;
  if (op == "approx") return TestKind::equivalence;
  return TestKind::equality;
}

class CaseRunner {
 public:
  CaseRunner(const CaseSpec& c, const MonteCarlo& mc) : c_(c), fc_(*c.formula), mc_(mc) {
    // What each form depends on among the grid's dimensions: a form is checked once per distinct combination of the
    // values it uses (a grid over a, b, lambda does not repeat a form that uses none of them).
    uses_.resize(fc_.forms.size());
    model_dependent_.assign(fc_.forms.size(), false);
    for (std::size_t f = 0; f < fc_.forms.size(); ++f)
      for (std::size_t m = 1; m < fc_.models.size(); ++m) {
        const Relation& a = fc_.models[m].relations[f];
        const Relation& b = fc_.models[0].relations[f];
        bool uses_sigma2 = false;
        for (const ExprPtr& e : {a.lhs, a.rhs})
          visit(*e, [&](const Expr& x) { uses_sigma2 = uses_sigma2 || (x.op == Op::schedule && x.text == "sigma2") || !x.dists.empty(); });
        if (canonical(*a.lhs) != canonical(*b.lhs) || canonical(*a.rhs) != canonical(*b.rhs) ||
            (uses_sigma2 && fc_.models[m].context.sigma2 != fc_.models[0].context.sigma2))
          model_dependent_[f] = true;
      }
    for (std::size_t f = 0; f < fc_.forms.size(); ++f)
      for (const auto& m : fc_.models)
        for (const ExprPtr& side : {m.relations[f].lhs, m.relations[f].rhs})
          visit(*side, [&](const Expr& e) {
            if (e.op == Op::index_var && e.text == "t" && e.id < 0) uses_[f].insert("t");
            if (e.op == Op::data && e.text.rfind("grid:", 0) == 0) uses_[f].insert(e.text);
            if (e.op == Op::random || e.op == Op::post_mean || e.op == Op::post_cov || e.mc) uses_[f].insert("pins");
          });
  }

  ClaimOutput run() {
    std::vector<Check> out;
    // \propto forms collect one ratio per grid point; compared after the loop.
    std::map<std::size_t, std::vector<std::pair<Estimate, std::string>>> ratios;  // form*models + m -> per grid point
    std::vector<std::set<std::string>> seen(fc_.forms.size());
    std::vector<std::unique_ptr<PointRun>> points;
    for (std::size_t gi = 0; gi < fc_.grid.size(); ++gi) {
      std::vector<bool> here(fc_.forms.size());
      bool any = false;
      for (std::size_t f = 0; f < fc_.forms.size(); ++f) {
        here[f] = seen[f].insert(point_key(f, fc_.grid[gi])).second;
        any = any || here[f];
      }
      if (any) points.push_back(plan_point(fc_.grid[gi], here));
    }
    here_ = nullptr;
    // The points that need draws, in grid order, in groups that share them (simulate); then every point's checks,
    // in grid order.
    std::vector<std::vector<PointRun*>> groups;
    std::size_t outputs = 0;
    for (const auto& p : points) {
      if (!p->needs_draws()) continue;
      if (groups.empty() || !shares_draws(*groups.back().front(), *p, outputs + p->integrands.size())) {
        groups.emplace_back();
        outputs = 0;
      }
      groups.back().push_back(p.get());
      outputs += p->integrands.size();
    }
    for (const auto& group : groups) simulate(group);
    for (const auto& p : points) finish_point(*p, out, ratios);
    for (auto& [key, rs] : ratios) {
      const std::size_t f = key / fc_.models.size(), m = key % fc_.models.size();
      const FormulaForm& form = fc_.forms[f];
      if (form.mutant && !c_.include_mutants) continue;
      if (rs.size() < 2)
        throw InputError(c_.path, form.where.key, "'\\propto' compares lhs / rhs across grid points: give at least two in [grid]");
      for (std::size_t i = 1; i < rs.size(); ++i) {
        Check ch;
        ch.form = form.name;
        ch.label = rs[i].second + " vs " + rs[0].second + (model_suffix(m).empty() ? "" : ", " + model_suffix(m));
        ch.quantity = "ratio lhs / rhs (one constant across the grid)";
        ch.estimate = rs[i].first;
        ch.proof_detail = "'\\propto' is not an exact statement: the numeric check alone decides it";
        ch.reference = rs[0].first.mean;
        ch.reference_se = rs[0].first.std_error;
        if (rs[i].first.method == EstimateMethod::exact && rs[0].first.method == EstimateMethod::exact) {
          ch.exact = true;
          ch.exact_difference = std::abs(rs[i].first.mean - rs[0].first.mean) / std::max({std::abs(rs[0].first.mean), std::abs(rs[i].first.mean), 1e-300});
        }
        out.push_back(std::move(ch));
      }
    }
    return ClaimOutput(std::move(out));
  }

 private:
  const CaseSpec& c_;
  const FormulaCase& fc_;
  const MonteCarlo& mc_;

  // An exact \approx holds within the relative margin or within the absolute one.
  bool within_approx(double relative_residual, double difference) const {
    return (fc_.approx_margin > 0 && relative_residual <= fc_.approx_margin) ||
           (fc_.approx_margin_abs > 0 && std::abs(difference) <= fc_.approx_margin_abs);
  }

  std::vector<std::set<std::string>> uses_;
  std::vector<bool> model_dependent_;  // does the form mean something else under another model?

  // The values of grid point g that form f uses, as a key and as a label ("t=10, x_t=0.5").
  std::string point_key(std::size_t f, const GridPoint& g) const { return label_for(f, g) + "|"; }
  std::string label_for(std::size_t f, const GridPoint& g) const {
    std::ostringstream os;
    os.precision(6);
    auto add = [&](const std::string& name, const std::vector<double>& v) {
      if (os.tellp() > 0) os << ", ";
      os << name << "=";
      if (v.size() > 1) os << "(";
      for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
      if (v.size() > 1) os << ")";
    };
    if (uses_[f].count("t") && g.t > 0) add("t", {static_cast<double>(g.t)});
    if (uses_[f].count("pins")) {
      if (!g.xt.empty()) add("x_t", g.xt);
      if (!g.x0.empty()) add("x_0", g.x0);
    }
    for (const auto& [k, v] : g.values)
      if (uses_[f].count(k)) add(k.substr(5), v);
    return os.str();
  }

  std::string model_suffix(std::size_t m) const {
    return fc_.models.size() > 1 && !fc_.models[m].name.empty() ? "model " + fc_.models[m].name : "";
  }
  const std::vector<bool>* here_ = nullptr;
  bool active(std::size_t f) const { return (!fc_.forms[f].mutant || c_.include_mutants) && (!here_ || (*here_)[f]); }

  [[noreturn]] void eval_fail(std::size_t f, const EvalError& e, const GridPoint& g) const {
    const FormulaForm& form = fc_.forms[f];
    const Where* w = &form.where;
    if (!e.origin().empty())
      if (auto it = fc_.wheres.find(e.origin()); it != fc_.wheres.end()) w = &it->second;
    const std::string what = e.what();
    const bool said = what.find("t = " + std::to_string(g.t)) != std::string::npos && g.label == "t=" + std::to_string(g.t);
    throw InputError(c_.path, w->key, locate(*w, e.pos()) + what + (g.label.empty() || said ? "" : " (" + g.label + ")"));
  }

  // ---------- the noise plan of one grid point
  struct PlanInfo {
    Plan plan;
    std::map<std::string, int> slot_of_law;  // canonical law -> index into plan.bound
    std::map<int, int> id_to_slot;           // bound id -> plan.bound index
  };

  void plan_expr(const Expr& e, Evaluator<double>& ev, PlanInfo& pi, bool extra, long T) {
    // Sequences inside a limit are planned at its finest level (the coarser levels use sums of its noise).
    visit(e, [&](const Expr& x) {
      if (x.op == Op::limit) ev.set_finest(x);
    });
    visit(e, [&](const Expr& x) {
      if (x.op == Op::recurrence) {
        bool fresh = false;  // does a step draw a fresh z?
        visit(*x.rec->step, [&](const Expr& y) { fresh = fresh || (y.op == Op::random && y.text == "zk"); });
        const long from = safe_index(ev, *x.rec->from), target = safe_index(ev, *x.args[0]);
        if (fresh) pi.plan.zsteps = static_cast<int>(std::max<long>({pi.plan.zsteps, from + 1, target + 1}));
      }
      if (x.op == Op::random) {
        if (x.text == "zk") return;
        if (x.text == "z") {
          pi.plan.z = true;
          return;
        }
        if (x.text == "U") {
          pi.plan.u = true;
          return;
        }
        if (x.text == "W") {
          pi.plan.chain = true;
          pi.plan.x0 = true;
          pi.plan.chain_steps = static_cast<int>(std::max<long>(pi.plan.chain_steps, uses_bound_index(*x.args[0]) ? T : safe_index(ev, *x.args[0])));
          return;
        }
        long s;
        if (uses_bound_index(*x.args[0])) {
          pi.plan.chain = true;
          pi.plan.chain_steps = static_cast<int>(T);
          pi.plan.x0 = true;
          return;
        }
        s = safe_index(ev, *x.args[0]);
        const long t = ev_t_;
        if (x.text == "x") {
          if (s == 0) pi.plan.x0 = true;
          else if (s == t) pi.plan.x0 = pi.plan.eps = true;
          else if (s == t - 1) pi.plan.x0 = pi.plan.eps = pi.plan.xprev = true;
          else {
            pi.plan.chain = true;
            pi.plan.x0 = true;
            pi.plan.chain_steps = static_cast<int>(std::max<long>(pi.plan.chain_steps, s));
          }
        } else if (x.text == "eps") {
          if (s == t) pi.plan.x0 = pi.plan.eps = true;
          else {
            pi.plan.chain = true;
            pi.plan.x0 = true;
            pi.plan.chain_steps = static_cast<int>(std::max<long>(pi.plan.chain_steps, s));
          }
        }
      }
      if (x.op == Op::expect)
        for (std::size_t i = 0; i < x.bound_ids.size(); ++i) {
          std::string key = canonical(*x.dists[i]);
          // A discrete law's draws are shared only by expectations that name the same variable (E_{z \sim q}
          // twice: the same z); a KL draws its own, so that log p(x) = ELBO + KL is not an identity draw by draw.
          if (x.dists[i]->kind == Dist::Kind::categorical)
            key += i < x.bound_names.size() ? "|" + x.bound_names[i] : "|KL#" + std::to_string(x.bound_ids[i]);
          auto it = pi.slot_of_law.find(key);
          if (it == pi.slot_of_law.end()) {
            const auto [u, n] = slot_size(*x.dists[i]);
            pi.plan.bound.push_back({x.bound_ids[i], u, n, extra});
            it = pi.slot_of_law.emplace(key, static_cast<int>(pi.plan.bound.size()) - 1).first;
          }
          pi.id_to_slot[x.bound_ids[i]] = it->second;
        }
    });
  }
  long ev_t_ = 0;
  long safe_index(Evaluator<double>& ev, const Expr& e) {
    try {
      return ev.index(e);
    } catch (const EvalError&) {
      return 0;
    }
  }

  // ---------- one grid point
  struct FormPlan {
    FormKind kind;
    std::vector<int> lhs_means, rhs_means;  // integrand indices of the top-level expectations
    std::vector<Top> lhs_nodes, rhs_nodes;
    int lhs_draw = -1, rhs_draw = -1;  // per_draw_noisy: integrands of the whole sides
  };
  // A [control_variates] entry at one grid point (see plan_control_variates below).
  struct ControlVariate {
    int integrand = -1;  // index into the grid point's integrands
    double mean = 0;     // its exact value (the right side, evaluated without randomness)
    std::string name;
  };
  struct PointRun {
    explicit PointRun(std::size_t models) : worlds(models) {}
    const GridPoint* g = nullptr;
    std::vector<bool> here;
    std::vector<World<double>> worlds;  // per model
    Plan plan;
    std::vector<Plan::Bound> slots;      // the distinct laws of its bound variables, in draw order
    std::vector<std::string> slot_keys;  // their canonical laws
    std::vector<std::vector<FormPlan>> fps;
    std::vector<std::pair<std::size_t, Top>> integrands;
    bool any_per_draw = false;
    bool needs_draws() const { return !integrands.empty() || any_per_draw; }
    // Results of the Monte Carlo run.
    MonteCarlo::Multi mres;
    PerDrawRecord rec;
    std::string degenerate;  // the first block (in block order) whose draws lost their random part to rounding
    std::vector<std::vector<ControlVariate>> cvs;  // per model: its [control_variates] (cvs_ while it is checked)
  };
  // Its plan and integrands; the draws come from simulate (shared with the other points of its group), the checks
  // from finish_point.
  std::unique_ptr<PointRun> plan_point(const GridPoint& g, const std::vector<bool>& here) {
    const std::size_t M = fc_.models.size(), F = fc_.forms.size();
    integral_memo_.clear();  // keyed by world: a freed point's world may share an address with this one's
    auto run = std::make_unique<PointRun>(M);
    run->g = &g;
    run->here = here;
    here_ = &run->here;
    std::vector<World<double>>& worlds = run->worlds;
    for (std::size_t m = 0; m < M; ++m) setup_world(worlds[m], c_, fc_.models[m], g);
    ev_t_ = g.t;
    // Plan: the real forms first, then the mutants' extra laws.
    PlanInfo pi;
    pi.plan.dim = fc_.models[0].context.dim;
    pi.plan.pin_xt = !g.xt.empty();
    pi.plan.pin_x0 = !g.x0.empty();
    const long T = c_.schedule ? c_.schedule->T() : 0;
    Noise empty_noise;
    for (const bool mutants : {false, true}) {
      if (mutants) plan_control_variates(worlds, pi, T);  // after the real forms: their draws stay as they were
      for (std::size_t m = 0; m < M; ++m)
        for (std::size_t f = 0; f < F; ++f) {
          if (fc_.forms[f].mutant != mutants || !active(f)) continue;
          Evaluator<double> ev(worlds[m], pi.plan, empty_noise, 1);
          plan_expr(*fc_.models[m].relations[f].lhs, ev, pi, mutants, T);
          plan_expr(*fc_.models[m].relations[f].rhs, ev, pi, mutants, T);
        }
    }
    if (pi.plan.pin_x0) pi.plan.x0 = false;
    if (pi.plan.chain && pi.plan.pin_xt) throw InputError(c_.path, "grid", "x_t is pinned but the formulas need the whole forward chain");
    if (pi.plan.chain) pi.plan.eps = pi.plan.xprev = false;
    // The noise layout: each distinct law is one slot; every bound variable of that law reads the same numbers.
    Plan plan = pi.plan;
    const std::vector<Plan::Bound> slots = pi.plan.bound;
    {
      int main_off = 0, extra_off = 0;
      if (plan.x0) main_off += 1 + plan.dim;
      main_off += plan.chain ? plan.chain_steps * plan.dim : (plan.eps ? plan.dim : 0) + (plan.xprev ? plan.dim : 0);
      if (plan.z) main_off += plan.dim;
      main_off += plan.zsteps * plan.dim;
      std::vector<int> slot_offset(slots.size());
      for (std::size_t s = 0; s < slots.size(); ++s) {
        int& o = slots[s].extra ? extra_off : main_off;
        slot_offset[s] = o;
        o += slots[s].uniforms + slots[s].normals;
      }
      plan.bound.clear();
      for (const auto& [id, slot] : pi.id_to_slot) {
        Plan::Bound b = slots[static_cast<std::size_t>(slot)];
        b.id = id;
        b.offset = slot_offset[static_cast<std::size_t>(slot)];
        plan.bound.push_back(b);
      }
      if (plan.u) plan.u_offset = main_off++;  // U last: a case that adds it shifts no other number
      plan.main_size = main_off;
      plan.extra_size = extra_off;
    }
    run->plan = plan;
    run->slots = slots;
    run->slot_keys.resize(slots.size());
    for (const auto& [key, slot] : pi.slot_of_law) run->slot_keys[static_cast<std::size_t>(slot)] = key;
    // Classify and collect integrands.
    std::vector<std::vector<FormPlan>>& fps = run->fps;
    fps.assign(M, std::vector<FormPlan>(F));
    std::vector<std::pair<std::size_t, Top>>& integrands = run->integrands;  // (model, body or side at a level)
    std::map<std::string, int> integrand_of;            // canonical (per model world and level) -> index
    auto add_integrand = [&](std::size_t m, const Top& t) {
      const std::string key = std::to_string(m) + "|" + std::to_string(t.level) + "|" + (t.lim ? canonical(*t.lim) + "|" : "") + canonical(*t.e);
      auto it = integrand_of.find(key);
      if (it != integrand_of.end()) return it->second;
      integrands.push_back({m, t});
      return integrand_of[key] = static_cast<int>(integrands.size()) - 1;
    };
    bool& any_per_draw = run->any_per_draw;
    for (std::size_t f = 0; f < F; ++f) {
      if (!active(f)) continue;
      for (std::size_t m = 0; m < M; ++m) {
        const Relation& r = fc_.models[m].relations[f];
        FormPlan& fp = fps[m][f];
        fp.kind = classify(r);
        check_linear_inner(*r.lhs, false, false, fc_.forms[f]);
        check_linear_inner(*r.rhs, false, false, fc_.forms[f]);
        if (fp.kind == FormKind::expectations) {
          // Sides of expectations are estimated as scalars (one integrand per expectation, the outer function at
          // the means): a vector there would be checked in its first component only.
          const auto scalar_only = [&](const Expr& e, const char* what) {
            if (e.type == Type::scalar) return;
            throw InputError(c_.path, fc_.forms[f].where.key,
                             locate(fc_.forms[f].where, e.pos) + what + " is " + to_string(e.type) +
                                 ": expectations are estimated one scalar at a time; compare components, "
                                 "e.g. \\mathbb{E}[u^\\top x_0] = u^\\top m with u a [define]d direction, or a squared norm");
          };
          scalar_only(*r.lhs, "the left side");
          scalar_only(*r.rhs, "the right side");
          top_expectations(*r.lhs, fp.lhs_nodes);
          top_expectations(*r.rhs, fp.rhs_nodes);
          for (const Top& e : fp.lhs_nodes) scalar_only(*e.e, "this expectation");
          for (const Top& e : fp.rhs_nodes) scalar_only(*e.e, "this expectation");
          for (const Top& e : fp.lhs_nodes) fp.lhs_means.push_back(add_integrand(m, e));
          for (const Top& e : fp.rhs_nodes) fp.rhs_means.push_back(add_integrand(m, e));
        } else if (fp.kind == FormKind::per_draw_noisy) {
          if (r.lhs->type != Type::scalar)
            throw InputError(c_.path, fc_.forms[f].where.key,
                             locate(fc_.forms[f].where, fc_.forms[f].tree->begin) +
                                 "an equation between random vectors that contains an estimated expectation: compare a scalar (e.g. its squared norm)");
          fp.lhs_draw = add_integrand(m, Top{r.lhs.get()});
          fp.rhs_draw = add_integrand(m, Top{r.rhs.get()});
        } else if (fp.kind == FormKind::per_draw) {
          any_per_draw = true;
        }
      }
    }
    add_control_variates(worlds, integrands.empty() && !any_per_draw, add_integrand, g);
    run->cvs = cvs_;
    return run;
  }

  // ---------- the Monte Carlo run of a group of grid points: one set of draws for every form, model and point.
  // The noise is drawn once per lane in the group's layout (the union of the points' plans: x_0, the normals after
  // it, z, the steps' z_k, then each distinct law once), and each point reads its own plan's numbers from it, so
  // that a chain is simulated on the same increments at every t and every direction u, as a C++ claim did in one
  // pass. The checks of different points are then dependent; Holm's correction (report/verdicts) holds under any
  // dependence between the checks, so nothing else changes. A group of one point draws exactly what it drew alone.
  struct SharedLayout {
    int x0 = 0, after = 0, z = 0, zsteps = 0;  // sizes of the leading segments (numbers per lane)
    int u = 0, u_offset = 0;                   // U, after the main slots (as in a point's own plan)
    struct Slot {
      std::string key;
      bool extra;
      int uniforms, normals, offset;
    };
    std::vector<Slot> slots;
    int main_size = 0, extra_size = 0;
    // Per point: (from, to, count) copies from the group's numbers to the point's, main and extra; empty when the
    // point's layout is the group's.
    std::vector<std::vector<std::array<int, 3>>> main_copy, extra_copy;
    std::vector<bool> identity;
  };

  static int after_x0_size(const Plan& p) {
    return p.chain ? p.chain_steps * p.dim : (p.eps ? p.dim : 0) + (p.xprev ? p.dim : 0);
  }

  SharedLayout shared_layout(const std::vector<PointRun*>& group) const {
    SharedLayout s;
    for (const PointRun* p : group) {
      const Plan& pl = p->plan;
      s.x0 = std::max(s.x0, pl.x0 ? 1 + pl.dim : 0);
      s.after = std::max(s.after, after_x0_size(pl));
      s.z = std::max(s.z, pl.z ? pl.dim : 0);
      s.zsteps = std::max(s.zsteps, pl.zsteps * pl.dim);
      s.u = std::max(s.u, pl.u ? 1 : 0);
      for (std::size_t i = 0; i < p->slots.size(); ++i) {
        const auto& b = p->slots[i];
        const bool known = std::any_of(s.slots.begin(), s.slots.end(), [&](const SharedLayout::Slot& x) {
          return x.key == p->slot_keys[i] && x.extra == b.extra && x.uniforms == b.uniforms && x.normals == b.normals;
        });
        if (!known) s.slots.push_back({p->slot_keys[i], b.extra, b.uniforms, b.normals, 0});
      }
    }
    int main_off = s.x0 + s.after + s.z + s.zsteps, extra_off = 0;
    for (auto& x : s.slots) {
      int& o = x.extra ? extra_off : main_off;
      x.offset = o;
      o += x.uniforms + x.normals;
    }
    s.u_offset = main_off;
    main_off += s.u;
    s.main_size = main_off;
    s.extra_size = extra_off;
    for (const PointRun* p : group) {
      const Plan& pl = p->plan;
      std::vector<std::array<int, 3>> mc, ec;
      int at = 0;
      auto seg = [&](int from, int n) {
        if (n > 0) mc.push_back({from, at, n});
        at += n;
      };
      seg(0, pl.x0 ? 1 + pl.dim : 0);
      seg(s.x0, after_x0_size(pl));
      seg(s.x0 + s.after, pl.z ? pl.dim : 0);
      seg(s.x0 + s.after + s.z, pl.zsteps * pl.dim);
      int extra_at = 0;
      for (std::size_t i = 0; i < p->slots.size(); ++i) {
        const auto& b = p->slots[i];
        const auto it = std::find_if(s.slots.begin(), s.slots.end(), [&](const SharedLayout::Slot& x) {
          return x.key == p->slot_keys[i] && x.extra == b.extra && x.uniforms == b.uniforms && x.normals == b.normals;
        });
        const int n = b.uniforms + b.normals;
        if (b.extra) {
          ec.push_back({it->offset, extra_at, n});
          extra_at += n;
        } else {
          seg(it->offset, n);
        }
      }
      seg(s.u_offset, pl.u ? 1 : 0);
      const auto same = [](const std::vector<std::array<int, 3>>& v) {
        return std::all_of(v.begin(), v.end(), [](const std::array<int, 3>& c) { return c[0] == c[1]; });
      };
      s.identity.push_back(at == s.main_size && extra_at == s.extra_size && same(mc) && same(ec));
      s.main_copy.push_back(std::move(mc));
      s.extra_copy.push_back(std::move(ec));
    }
    return s;
  }

  // Can point b draw its numbers from the group that point a starts (outputs: the group's outputs with b's)? The
  // covariance of a group's outputs costs outputs^2 per draw, hence a cap, lower where b draws few numbers per lane
  // (sharing them saves little; measured on ve_score_posterior_2d, 3 numbers: 2.8 s at 64, 2.3 s at 16). Under RQMC
  // only points of the same layout share: the leading numbers of a draw are the quasi-random ones, and a different
  // layout would move some of a point's variables out of them.
  static constexpr std::size_t kSharedOutputs = 64;
  bool shares_draws(const PointRun& a, const PointRun& b, std::size_t outputs) const {
    const std::size_t cap = std::min<std::size_t>(kSharedOutputs, 16 + 4 * static_cast<std::size_t>(b.plan.main_size));
    if (outputs > cap || a.plan.dim != b.plan.dim) return false;
    if (mc_.sampling().method != Method::rqmc) return true;
    const Plan& p = a.plan;
    const Plan& q = b.plan;
    if (p.x0 != q.x0 || p.chain != q.chain || p.chain_steps != q.chain_steps || p.eps != q.eps || p.xprev != q.xprev || p.z != q.z ||
        p.zsteps != q.zsteps || p.u != q.u || p.main_size != q.main_size || p.extra_size != q.extra_size || a.slot_keys != b.slot_keys)
      return false;
    for (std::size_t i = 0; i < a.slots.size(); ++i)
      if (a.slots[i].extra != b.slots[i].extra || a.slots[i].uniforms != b.slots[i].uniforms || a.slots[i].normals != b.slots[i].normals) return false;
    return true;
  }

  void simulate(const std::vector<PointRun*>& group) {
    const std::size_t M = fc_.models.size(), F = fc_.forms.size();
    const std::size_t P = group.size();
    const SharedLayout lay = shared_layout(group);
    std::vector<std::size_t> first(P + 1, 0);  // the points' outputs, one after another
    for (std::size_t p = 0; p < P; ++p) first[p + 1] = first[p] + group[p]->integrands.size();
    bool any_per_draw = false;
    for (const PointRun* pr : group) any_per_draw = any_per_draw || pr->any_per_draw;
    const std::size_t k = std::max<std::size_t>(1, first[P]);
    const std::size_t main_n = static_cast<std::size_t>(lay.main_size);
    const std::size_t extra_n = static_cast<std::size_t>(lay.extra_size);
    const GridPoint& g0 = *group[0]->g;
    const std::string stream = "formula/" + g0.label;
    const std::uint64_t extra_sid = mc_.stream(stream + "/extra");
    // One state per engine block (block ids run over R randomisations x blocks per randomisation under rqmc).
    const Sampling& smp = mc_.sampling();
    const std::size_t R = smp.method == Method::rqmc ? smp.randomisations : 1;
    const std::size_t per = smp.method == Method::rqmc ? std::max<std::size_t>(1, c_.samples / R)
                            : smp.method == Method::antithetic ? std::max<std::size_t>(1, c_.samples / 2)
                                                               : c_.samples;
    const std::size_t n_blocks = R * ((per + MonteCarlo::kBlock - 1) / MonteCarlo::kBlock);
    struct BlockState {
      std::optional<Rng> extra, snapshot;
      std::vector<PerDrawRecord> rec;       // per point
      std::vector<std::string> degenerate;  // per point
      std::exception_ptr error;  // exceptions must not leave the engine's parallel loop: kept, rethrown after it
    };
    std::vector<BlockState> states(n_blocks);
    const auto active_at = [&](const PointRun& pr, std::size_t f) { return (!fc_.forms[f].mutant || c_.include_mutants) && pr.here[f]; };
    MonteCarlo::Multi mres = mc_.means_lanes(stream, c_.samples, k, [&](MonteCarlo::Lanes& lanes, double* o) {
      BlockState& block_state = states[lanes.block()];
      if (block_state.error) return;
      try {
      const int L = static_cast<int>(lanes.size());
      if (block_state.rec.empty()) {
        block_state.rec.resize(P);
        block_state.degenerate.resize(P);
      }
      Noise noise;
      noise.lanes = L;
      noise.main_per_lane = static_cast<int>(main_n);
      noise.extra_per_lane = static_cast<int>(extra_n);
      noise.main.resize(main_n * static_cast<std::size_t>(L));
      noise.extra.resize(extra_n * static_cast<std::size_t>(L));
      Rng& rng = lanes.rng();
      for (int l = 0; l < L; ++l) {
        lanes.lane(static_cast<std::size_t>(l));
        double* dst = noise.main.data() + static_cast<std::size_t>(l) * main_n;
        std::size_t p = 0;
        // x0: uniform then normals; then the chain / eps / xprev normals, z, the steps' z, then the slots (uniforms,
        // normals).
        if (lay.x0) {
          dst[p++] = rng.uniform();
          for (int i = 1; i < lay.x0; ++i) dst[p++] = rng.normal();
        }
        for (int i = 0; i < lay.after + lay.z + lay.zsteps; ++i) dst[p++] = rng.normal();
        for (const auto& b : lay.slots) {
          if (b.extra) continue;
          for (int i = 0; i < b.uniforms; ++i) dst[p++] = rng.uniform();
          for (int i = 0; i < b.normals; ++i) dst[p++] = rng.normal();
        }
        if (lay.u) dst[p++] = rng.uniform();
      }
      if (extra_n) {
        BlockState& st = states[lanes.block()];
        if (!st.extra) st.extra.emplace(mc_.seed(), extra_sid, lanes.block());
        Rng er = *st.extra;
        if (lanes.mirrored()) {
          er = *st.snapshot;
          er.set_mirror(true);
        } else {
          st.snapshot = *st.extra;
        }
        for (int l = 0; l < L; ++l) {
          double* dst = noise.extra.data() + static_cast<std::size_t>(l) * extra_n;
          std::size_t p = 0;
          for (const auto& b : lay.slots) {
            if (!b.extra) continue;
            for (int i = 0; i < b.uniforms; ++i) dst[p++] = er.uniform();
            for (int i = 0; i < b.normals; ++i) dst[p++] = er.normal();
          }
        }
        if (!lanes.mirrored()) st.extra = er;
      }
      std::fill(o, o + k * static_cast<std::size_t>(L), 0.0);
      std::vector<Evaluator<double>::Shared> shared(P > 1 ? M : 0);  // x_0 and the sequences the points share
      for (std::size_t pi = 0; pi < P; ++pi) {
        const PointRun& pr = *group[pi];
        const GridPoint& g = *pr.g;
        const Plan& plan = pr.plan;
        // The point's own numbers, in its own plan's layout.
        Noise own;
        if (!lay.identity[pi]) {
          const std::size_t pm = static_cast<std::size_t>(plan.main_size), pe = static_cast<std::size_t>(plan.extra_size);
          own.lanes = L;
          own.main_per_lane = plan.main_size;
          own.extra_per_lane = plan.extra_size;
          own.main.resize(pm * static_cast<std::size_t>(L));
          own.extra.resize(pe * static_cast<std::size_t>(L));
          for (int l = 0; l < L; ++l) {
            const double* src = noise.main.data() + static_cast<std::size_t>(l) * main_n;
            double* dst = own.main.data() + static_cast<std::size_t>(l) * pm;
            for (const auto& c : lay.main_copy[pi]) std::copy(src + c[0], src + c[0] + c[2], dst + c[1]);
            const double* esrc = noise.extra.data() + static_cast<std::size_t>(l) * extra_n;
            double* edst = own.extra.data() + static_cast<std::size_t>(l) * pe;
            for (const auto& c : lay.extra_copy[pi]) std::copy(esrc + c[0], esrc + c[0] + c[2], edst + c[1]);
          }
        }
        const Noise& pn = lay.identity[pi] ? noise : own;
        const std::size_t pmain = static_cast<std::size_t>(pn.main_per_lane), pextra = static_cast<std::size_t>(pn.extra_per_lane);
        std::vector<std::unique_ptr<Evaluator<double>>> evs;
        for (std::size_t m = 0; m < M; ++m) {
          evs.push_back(std::make_unique<Evaluator<double>>(pr.worlds[m], plan, pn, L));
          if (!shared.empty()) evs.back()->shared = &shared[m];
        }
        double* po = o + first[pi] * static_cast<std::size_t>(L);
        for (std::size_t i = 0; i < pr.integrands.size(); ++i) {
          const auto& [m, top] = pr.integrands[i];
          Val<double> v;
          try {
            if (top.lim) evs[m]->enter_level(*top.lim, top.level);
            v = evs[m]->eval(*top.e);
            if (top.lim) evs[m]->leave_level();
          } catch (const EvalError& err) {
            throw_eval(err, g, top.e);
          }
          for (int l = 0; l < L; ++l) po[i * static_cast<std::size_t>(L) + static_cast<std::size_t>(l)] = v.at(0, l);
        }
        for (const auto& ev : evs)
          if (block_state.degenerate[pi].empty()) block_state.degenerate[pi] = ev->degenerate();
        if (pr.any_per_draw) {
          PerDrawRecord& rec = block_state.rec[pi];
          if (rec.worst.empty()) {
            rec.worst.resize(M * F);
            rec.max_abs.assign(M * F, 0.0);
          }
          for (std::size_t f = 0; f < F; ++f)
            for (std::size_t m = 0; m < M; ++m) {
              if (!active_at(pr, f) || pr.fps[m][f].kind != FormKind::per_draw) continue;
              const Relation& r = fc_.models[m].relations[f];
              Val<double> Lv, Rv;
              try {
                Lv = evs[m]->eval(*r.lhs);
                Rv = evs[m]->eval(*r.rhs);
              } catch (const EvalError& err) {
                eval_fail(f, err, g);
              }
              const std::string op = r.op == "approx" ? "=" : r.op;
              for (int l = 0; l < L; ++l) {
                double mag;
                const double res = residual(Lv, Rv, l, op, &mag);
                const std::size_t key = m * F + f;
                rec.max_abs[key] = std::max(rec.max_abs[key], mag);
                Worst& w = rec.worst[key];
                // Real differences (relative residual above 1e-6) outrank rounding; among them the largest shown.
                const double score = std::isnan(res) ? std::numeric_limits<double>::infinity()
                                                     : res <= 1e-6 ? res : 1.0 + std::abs(Lv.at(0, l) - Rv.at(0, l)) + res * 1e-300;
                if (!(score <= w.score)) {
                  w.score = score;
                  w.residual = std::isnan(res) ? std::numeric_limits<double>::infinity() : res;
                  w.lhs = Lv.at(0, l);
                  w.rhs = Rv.at(0, l);
                  w.main.assign(pn.main.begin() + static_cast<long>(static_cast<std::size_t>(l) * pmain),
                                pn.main.begin() + static_cast<long>(static_cast<std::size_t>(l + 1) * pmain));
                  w.extra.assign(pn.extra.begin() + static_cast<long>(static_cast<std::size_t>(l) * pextra),
                                 pn.extra.begin() + static_cast<long>(static_cast<std::size_t>(l + 1) * pextra));
                }
              }
            }
        }
      }
      } catch (...) {
        block_state.error = std::current_exception();
        std::fill(o, o + k * lanes.size(), 0.0);
      }
    });
    for (auto& st : states)
      if (st.error) std::rethrow_exception(st.error);
    // Each point's outputs with their covariance, and its per-block records merged in block order (deterministic).
    for (std::size_t pi = 0; pi < P; ++pi) {
      PointRun& pr = *group[pi];
      const std::size_t n = first[pi + 1] - first[pi], k0 = first[pi];
      if (P == 1) {
        pr.mres = std::move(mres);
      } else {
        pr.mres.samples = mres.samples;
        pr.mres.estimates.assign(mres.estimates.begin() + static_cast<long>(k0), mres.estimates.begin() + static_cast<long>(k0 + n));
        pr.mres.covariance.resize(n * n);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < n; ++j) pr.mres.covariance[i * n + j] = mres.cov(k0 + i, k0 + j);
      }
      pr.rec.worst.resize(M * F);
      pr.rec.max_abs.assign(M * F, 0.0);
      for (auto& st : states) {
        if (st.rec.empty()) continue;
        if (pr.degenerate.empty()) pr.degenerate = st.degenerate[pi];
        const PerDrawRecord& rec = st.rec[pi];
        if (rec.worst.empty()) continue;
        for (std::size_t key = 0; key < M * F; ++key) {
          pr.rec.max_abs[key] = std::max(pr.rec.max_abs[key], rec.max_abs[key]);
          if (rec.worst[key].score > pr.rec.worst[key].score) pr.rec.worst[key] = rec.worst[key];
        }
      }
    }
  }

  // ---------- the checks of one grid point, from its share of the run
  void finish_point(PointRun& run, std::vector<Check>& out, std::map<std::size_t, std::vector<std::pair<Estimate, std::string>>>& ratios) {
    here_ = &run.here;
    saved_plan_ = run.plan;
    cvs_ = run.cvs;
    integral_memo_.clear();
    const GridPoint& g = *run.g;
    const std::size_t M = fc_.models.size(), F = fc_.forms.size();
    const std::vector<World<double>>& worlds = run.worlds;
    const std::vector<std::vector<FormPlan>>& fps = run.fps;
    const MonteCarlo::Multi& mres = run.mres;
    const PerDrawRecord& rec = run.rec;
    const std::string& degenerate = run.degenerate;
    for (std::size_t f = 0; f < F; ++f) {
      if (!active(f)) continue;
      const FormulaForm& form = fc_.forms[f];
      for (std::size_t m = 0; m < M; ++m) {
        const Relation& r = fc_.models[m].relations[f];
        const FormPlan& fp = fps[m][f];
        // + const: differences across models, compared with model 0 (paired).
        if (r.rhs_const) {
          const std::size_t need = r.op == "propto" ? 3 : 2;
          if (M < need)
            throw InputError(c_.path, form.where.key,
                             r.op == "propto" ? "'\\propto ... + const' means lhs is an affine function of rhs across the case's models: give at least three [[models]]"
                                              : "'+ const' means one difference lhs - rhs across the case's models: give at least two [[models]]");
          if (m < need - 1) continue;
          Check cc = const_check(f, m, g, worlds, fps, mres);
          const std::size_t ref = r.op == "propto" ? 1 : 0;
          if (c_.prove)
            attach_proof(cc, prove_same_difference(r, fc_.models[m].context, fc_.models[ref].relations[f], fc_.models[ref].context, proof_point(g), proof_options()));
          if (!cc.exact) cc.degenerate = degenerate;
          out.push_back(std::move(cc));
          continue;
        }
        if (m > 0 && !model_dependent_[f]) continue;  // the same formula under every model: checked once
        Check ch;
        ch.form = form.name;
        ch.label = label_for(f, g);
        if (model_dependent_[f] && !model_suffix(m).empty()) ch.label += (ch.label.empty() ? "" : ", ") + model_suffix(m);
        ch.quantity = quantity(form);
        ch.kind = test_kind(r.op);
        if (r.op == "approx") {
          if (!(fc_.approx_margin > 0) && !(fc_.approx_margin_abs > 0))
            throw InputError(c_.path, "params.margin",
                             "'\\approx' needs [params] margin (the allowed relative discrepancy) or margin_absolute");
        }
        if (r.op == "propto") {
          ratios[f * M + m].push_back({ratio_estimate(f, m, g, worlds, fp.kind, fp, mres), label_for(f, g)});
          continue;
        }
        switch (fp.kind) {
          case FormKind::deterministic: exact_check(ch, f, m, g, worlds[m]); break;
          case FormKind::expectations: expectation_check(ch, f, m, g, worlds[m], fp, mres); break;
          case FormKind::per_draw_noisy: {
            const Estimate& a = mres.estimates[static_cast<std::size_t>(fp.lhs_draw)];
            const Estimate& b = mres.estimates[static_cast<std::size_t>(fp.rhs_draw)];
            const std::size_t i = static_cast<std::size_t>(fp.lhs_draw), j = static_cast<std::size_t>(fp.rhs_draw);
            const double var = mres.cov(i, i) + mres.cov(j, j) - 2 * mres.cov(i, j);
            ch.estimate = a;
            ch.estimate.std_error = std::sqrt(std::max(var, 0.0) / static_cast<double>(mres.samples));
            ch.reference = b.mean;
            if (!cvs_[m].empty()) {
              std::vector<double> ga(mres.estimates.size(), 0.0), gd = ga;
              ga[i] = gd[i] = 1;
              gd[j] = -1;
              Estimate dd = ch.estimate;
              dd.mean = a.mean - b.mean;
              dd.std_error = ch.estimate.std_error;
              apply_control_variates(ch, m, ga, gd, a, dd, mres);
            }
            ch.scale = std::max(std::abs(a.mean), std::abs(b.mean));
            ch.scale_name = "the larger side";
            ch.notes.push_back("the left side contains an expectation estimated inside each draw (a KL or E of conditional laws): "
                               "tested in mean over the draws, E[lhs] = E[rhs] (paired on the same draws)");
            ch.quantity = "E[" + ch.quantity + "]";
            break;
          }
          case FormKind::per_draw: per_draw_check(ch, f, m, g, rec); break;
        }
        if (ch.kind == TestKind::equivalence)
          ch.margin = std::max(fc_.approx_margin * std::max(std::abs(ch.reference), 1e-300), fc_.approx_margin_abs);
        if (c_.prove) attach_proof(ch, prove(r, fc_.models[m].context, proof_point(g), proof_options()));
        if (fp.kind != FormKind::deterministic) ch.degenerate = degenerate;  // per-draw exact checks too
        out.push_back(std::move(ch));
      }
    }
  }

  Plan saved_plan_;

  // ---------- [control_variates]: expectations of exactly known mean, regressed out of the Monte Carlo checks
  std::vector<std::vector<ControlVariate>> cvs_;  // per model, at the current grid point
  std::map<const World<double>*, std::map<std::string, double>> integral_memo_;  // per world, at the current grid point

  void plan_control_variates(const std::vector<World<double>>& worlds, PlanInfo& pi, long T) {
    Noise empty_noise;
    for (std::size_t m = 0; m < fc_.models.size(); ++m)
      for (const Relation& r : fc_.models[m].control_variates) {
        Evaluator<double> ev(worlds[m], pi.plan, empty_noise, 1);
        plan_expr(*r.lhs, ev, pi, false, T);
      }
  }

  // Adds each control variate's expectation to the integrands (none when the grid point has nothing to estimate)
  // and evaluates its exact mean.
  template <class AddIntegrand>
  void add_control_variates(const std::vector<World<double>>& worlds, bool nothing_to_estimate, AddIntegrand& add,
                            const GridPoint& g) {
    cvs_.assign(fc_.models.size(), {});
    if (nothing_to_estimate) return;
    for (std::size_t m = 0; m < fc_.models.size(); ++m)
      for (std::size_t j = 0; j < fc_.models[m].control_variates.size(); ++j) {
        const Relation& r = fc_.models[m].control_variates[j];
        const FormulaForm& cf = fc_.control_variates[j];
        ControlVariate cv;
        cv.name = cf.name;
        cv.integrand = add(m, Top{r.lhs.get()});
        try {
          if (r.rhs->random && g.x0.empty())
            throw InputError(c_.path, cf.where.key, "the exact mean uses x_0: pin x_0 in [grid] ('x_0' = [[...]]), or give a mean that does not depend on it");
          cv.mean = outer(*r.rhs, {}, {}, worlds[m], r.rhs->random);
        } catch (const EvalError& e) {
          throw InputError(c_.path, cf.where.key, locate(cf.where, e.pos()) + e.what() + (g.label.empty() ? "" : " (" + g.label + ")"));
        }
        if (!std::isfinite(cv.mean))
          throw InputError(c_.path, cf.where.key, "the exact mean of this control variate is not a finite number (" + g.label + ")");
        cvs_[m].push_back(cv);
      }
  }

  // Regression control variates: the check's estimate g(means), linearised as grad . means (the delta method), is
  // replaced by grad . means - c . (cv means - exact means) with c = Cov(cv)^-1 Cov(cv, grad . integrands) fitted by
  // least squares on the same draws (bias O(1/n)); its SE is the residual's, inflated by (n - 2) / (n - q - 2) for the
  // q fitted coefficients (Lavenberg and Welch). Not under rqmc, whose covariance rests on a few randomisations.
  Estimate fit_control_variates(std::size_t m, const std::vector<double>& grad, const Estimate& e,
                                const MonteCarlo::Multi& res, std::vector<double>* coef) const {
    const auto& cvs = cvs_[m];
    const auto q = static_cast<Eigen::Index>(cvs.size());
    const std::size_t k = res.estimates.size();
    Mat S(q, q);
    Vec b(q);
    double var = 0;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) var += grad[i] * grad[j] * res.cov(i, j);
    for (Eigen::Index a = 0; a < q; ++a) {
      const auto ia = static_cast<std::size_t>(cvs[static_cast<std::size_t>(a)].integrand);
      b[a] = 0;
      for (std::size_t i = 0; i < k; ++i) b[a] += grad[i] * res.cov(i, ia);
      for (Eigen::Index c = 0; c < q; ++c) S(a, c) = res.cov(ia, static_cast<std::size_t>(cvs[static_cast<std::size_t>(c)].integrand));
    }
    // A tiny ridge: a control variate that is identically 0 here (or two that coincide) must not break the solve.
    const double ridge = 1e-12 * (S.diagonal().cwiseAbs().maxCoeff() + 1e-300);
    const Vec c = (S + ridge * Mat::Identity(q, q)).ldlt().solve(b);
    Estimate out = e;
    for (Eigen::Index a = 0; a < q; ++a) {
      const ControlVariate& cv = cvs[static_cast<std::size_t>(a)];
      out.mean -= c[a] * (res.estimates[static_cast<std::size_t>(cv.integrand)].mean - cv.mean);
    }
    const double n = static_cast<double>(res.samples);
    const double resid = std::max(var - b.dot(c), 0.0);
    out.std_error = std::sqrt(resid / n * (n - 2) / (n - static_cast<double>(q) - 2));
    out.std_dev = std::sqrt(resid);
    out.method = EstimateMethod::control_variates;
    out.trace.clear();
    if (coef) coef->assign(c.data(), c.data() + q);
    return out;
  }

  void apply_control_variates(Check& ch, std::size_t m, const std::vector<double>& grad_l, const std::vector<double>& grad_diff,
                              const Estimate& L, const Estimate& diff, const MonteCarlo::Multi& res) const {
    std::string names;
    for (const auto& cv : cvs_[m]) names += (names.empty() ? "" : ", ") + cv.name;
    if (!res.estimates.empty() && res.estimates[0].method == EstimateMethod::rqmc) {
      ch.notes.push_back("control variates (" + names + ") not used: under rqmc the covariance rests on the randomisations only, "
                         "too few to fit their coefficients");
      return;
    }
    const double q = static_cast<double>(cvs_[m].size());
    if (static_cast<double>(res.samples) < 10 * (q + 2)) {
      ch.notes.push_back("control variates (" + names + ") not used: fewer than 10 draws per fitted coefficient");
      return;
    }
    std::vector<double> coef;
    const Estimate lc = fit_control_variates(m, grad_l, L, res, nullptr);
    const Estimate dc = fit_control_variates(m, grad_diff, diff, res, &coef);
    std::string cs;
    for (std::size_t a = 0; a < coef.size(); ++a) cs += (a ? ", " : "") + cvs_[m][a].name + " " + num(coef[a]);
    ch.notes.push_back("control variates regressed out (coefficients of the difference: " + cs + "); SE of the difference " +
                       num(ch.estimate.std_error) + " without them, " + num(dc.std_error) + " with them");
    const double se = dc.std_error;
    ch.estimate = lc;
    ch.estimate.std_error = se;
    ch.reference = lc.mean - dc.mean;
  }

  // The exact proof of the same relation at the same point (prove.hpp), beside the numeric verdict.
  ProofPoint proof_point(const GridPoint& g) const {
    ProofPoint p;
    p.schedule = c_.schedule ? &*c_.schedule : nullptr;
    p.mixture = c_.mixture ? &*c_.mixture : nullptr;
    p.t = g.t;
    p.grid = g.values;
    p.xt = g.xt;
    p.x0 = g.x0;
    return p;
  }
  ProofCache proofs_;  // results for all values, reused at grid points of the same structure
  ProofOptions proof_options() {
    ProofOptions o;
    o.cache = &proofs_;
    return o;
  }
  static void attach_proof(Check& ch, const ProofResult& r) {
    ch.proof = r.status;
    ch.proof_detail = detail_text(r);
  }

  [[noreturn]] void throw_eval(const EvalError& err, const GridPoint& g, const Expr* e) const {
    // Find the form whose relation contains e, to name its field.
    for (std::size_t f = 0; f < fc_.forms.size(); ++f)
      for (const auto& m : fc_.models) {
        bool has = false;
        visit(*m.relations[f].lhs, [&](const Expr& x) { has = has || &x == e; });
        visit(*m.relations[f].rhs, [&](const Expr& x) { has = has || &x == e; });
        if (has) eval_fail(f, err, g);
      }
    throw InputError(c_.path, "", std::string(err.what()) + " (" + g.label + ")");
  }

  std::string quantity(const FormulaForm& form) const {
    if (form.tree && form.tree->kind == Kind::relation) return to_latex(*form.tree->args[0]);
    return form.latex;
  }

  // Both sides deterministic: double for the report, 50 digits for the decision.
  void exact_check(Check& ch, std::size_t f, std::size_t m, const GridPoint& g, const World<double>& wd) {
    const Relation& r = fc_.models[m].relations[f];
    World<mp50> wm;
    setup_world(wm, c_, fc_.models[m], g);
    Plan plan;
    plan.dim = fc_.models[m].context.dim;
    Noise noise;
    Evaluator<double> ed(wd, plan, noise, 1);
    Evaluator<mp50> em(wm, plan, noise, 1);
    Val<mp50> L, R;
    Val<double> Ld, Rd;
    mp50 err_l = 0, err_r = 0;
    try {
      L = em.eval(*r.lhs);
      err_l = em.limit_error();
      em.reset_limit_error();
      R = em.eval(*r.rhs);
      err_r = em.limit_error();
      Ld = ed.eval(*r.lhs);
      Rd = ed.eval(*r.rhs);
    } catch (const EvalError& e) {
      eval_fail(f, e, g);
    }
    if (contains(*r.lhs, Op::limit) || contains(*r.rhs, Op::limit)) {
      limit_check(ch, r, L, R, err_l, err_r);
      return;
    }
    mp50 mag;
    const std::string op = r.op == "approx" ? "=" : r.op;
    const mp50 res = residual(L, R, 0, op, &mag);
    ch.estimate = Estimate::exact(Ld.v[0]);
    ch.estimate.method = EstimateMethod::exact;
    ch.reference = Rd.v[0];
    if (Ld.width > 1) {
      ch.estimate = Estimate::exact(std::sqrt(std::inner_product(Ld.v.begin(), Ld.v.end(), Ld.v.begin(), 0.0)));
      ch.estimate.method = EstimateMethod::exact;
      ch.reference = std::sqrt(std::inner_product(Rd.v.begin(), Rd.v.end(), Rd.v.begin(), 0.0));
      ch.notes.push_back("vectors compared componentwise; estimate and reference shown as their lengths");
    }
    ch.scale = std::max(static_cast<double>(mag), 1e-300);
    if (r.op == "approx") {
      ch.exact = true;
      ch.exact_difference = within_approx(static_cast<double>(res), ch.estimate.mean - ch.reference) ? 0.0 : static_cast<double>(res);
      ch.kind = TestKind::equivalence;
      return;
    }
    ch.exact = true;
    ch.exact_difference = static_cast<double>(res);
    ch.notes.push_back("evaluated in 50-digit arithmetic: relative " + std::string(op == "=" ? "difference " : "violation ") +
                       num(static_cast<double>(res)));
  }

  // A deterministic relation with a limit: the extrapolated values are not exact, and the difference between the
  // extrapolations from L and from the finest L - 1 levels stands in for their error (the role an SE plays).
  void limit_check(Check& ch, const Relation& r, const Val<mp50>& L, const Val<mp50>& R, const mp50& err_l, const mp50& err_r) {
    if (L.width > 1 || R.width > 1)
      throw InputError(c_.path, "", "a limit of a vector is not supported: compare its components or its squared norm");
    const double l = static_cast<double>(L.v[0]), rv = static_cast<double>(R.v[0]);
    const double scale = std::max({std::abs(l), std::abs(rv), 1e-300});
    // Rounding of the 50-digit evaluation is far below any extrapolation error worth reporting.
    const double se = std::max(static_cast<double>(boost::multiprecision::sqrt(err_l * err_l + err_r * err_r)), 1e-30 * scale);
    ch.estimate = Estimate::exact(l);
    ch.estimate.method = EstimateMethod::richardson;
    ch.estimate.std_error = se;
    ch.estimate.samples = 1;
    ch.reference = rv;
    ch.scale = scale;
    ch.scale_name = "the larger side";
    if (r.op == "approx") ch.kind = TestKind::equivalence;
    ch.notes.push_back("a limit, extrapolated over " + std::to_string(static_cast<int>(fc_.models[0].context.limit_levels)) +
                       " levels (50-digit arithmetic); the standard error is the extrapolation's own error estimate, "
                       "|A_L - A_{L-1}| (all levels against the finest L - 1): " + num(se));
  }

  // g(means) for one side, with the means substituted for its expectation nodes.
  double outer(const Expr& side, const std::vector<Top>& nodes, const std::vector<double>& values, const World<double>& w,
               bool pinned_x0 = false) {
    Plan plan;
    plan.dim = w.dim;
    plan.pin_x0 = pinned_x0;
    Noise noise;
    Evaluator<double> ev(w, plan, noise, 1);
    ev.integral_memo = &integral_memo_[&w];
    for (std::size_t i = 0; i < nodes.size(); ++i) ev.substitutes[{nodes[i].e, nodes[i].level}] = values[i];
    const Val<double> v = ev.eval(side);
    return v.v[0];
  }

  // g(means) with its delta-method SE: Var g = grad^T Cov grad / n, the gradient by central differences (exact for
  // the linear functions that most sides are).
  static Estimate delta(const std::function<double(const std::vector<double>&)>& g, const MonteCarlo::Multi& res,
                        std::vector<double>* grad_out = nullptr) {
    std::vector<double> mu;
    for (const auto& e : res.estimates) mu.push_back(e.mean);
    const std::size_t k = mu.size();
    std::vector<double> grad(k, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
      const double h = std::max({std::abs(mu[i]) * 1e-7, res.estimates[i].std_error * 1e-3, 1e-12});
      std::vector<double> up = mu, dn = mu;
      up[i] += h;
      dn[i] -= h;
      grad[i] = (g(up) - g(dn)) / (2 * h);
    }
    double var = 0;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) var += grad[i] * grad[j] * res.cov(i, j);
    Estimate e;
    e.mean = g(mu);
    e.samples = res.samples;
    e.std_error = std::sqrt(std::max(var, 0.0) / static_cast<double>(std::max<std::size_t>(res.samples, 1)));
    e.std_dev = e.std_error * std::sqrt(static_cast<double>(e.samples));
    e.method = res.estimates.empty() ? EstimateMethod::plain : res.estimates[0].method;
    if (grad_out) *grad_out = grad;
    return e;
  }

  // The value of one side of form f under model m, its expectations replaced by the given means.
  template <class FP>
  double side(std::size_t m, std::size_t f, bool lhs, const FP& fp, const World<double>& w, const std::vector<double>& all) {
    const Relation& r = fc_.models[m].relations[f];
    const std::vector<int>& idx = lhs ? fp.lhs_means : fp.rhs_means;
    std::vector<double> v;
    for (int i : idx) v.push_back(all[static_cast<std::size_t>(i)]);
    return outer(lhs ? *r.lhs : *r.rhs, lhs ? fp.lhs_nodes : fp.rhs_nodes, v, w);
  }

  // lhs against rhs: the estimate of lhs (its own when it is one expectation), the reference rhs, and the SE of
  // their difference (both on the same draws).
  template <class FP>
  void expectation_check(Check& ch, std::size_t f, std::size_t m, const GridPoint& g, const World<double>& w, const FP& fp,
                         const MonteCarlo::Multi& res) {
    const Relation& r = fc_.models[m].relations[f];
    Estimate diff, L;
    std::vector<double> grad_diff, grad_l;
    try {
      diff = delta([&](const std::vector<double>& mu) { return side(m, f, true, fp, w, mu) - side(m, f, false, fp, w, mu); }, res, &grad_diff);
      L = delta([&](const std::vector<double>& mu) { return side(m, f, true, fp, w, mu); }, res, &grad_l);
    } catch (const EvalError& e) {
      eval_fail(f, e, g);
    }
    if (fp.lhs_nodes.size() == 1 && r.lhs.get() == fp.lhs_nodes[0].e) {
      ch.estimate = res.estimates[static_cast<std::size_t>(fp.lhs_means[0])];  // with its trace and shape statistics
    } else {
      ch.estimate = L;
    }
    ch.estimate.std_error = diff.std_error;
    ch.reference = L.mean - diff.mean;
    if (!cvs_[m].empty()) apply_control_variates(ch, m, grad_l, grad_diff, L, diff, res);
    // Relative discrepancies are stated against the larger side (a side near 0 makes a poor unit).
    ch.scale = std::max(std::abs(ch.estimate.mean), std::abs(ch.reference));
    ch.scale_name = "the larger side";
    if (!fp.rhs_means.empty()) ch.notes.push_back("both sides estimated on the same draws; SE of their difference by the delta method");
    // An indicator's integrand takes the values 0 and 1: identical estimates across draws (or randomised QMC sets
    // that stratify the event exactly) are real, not rounding, so the degenerate-estimate guard must not discard them.
    visit(*r.lhs, [&](const Expr& x) { ch.discrete_integrand = ch.discrete_integrand || x.op == Op::indicator; });
    visit(*r.rhs, [&](const Expr& x) { ch.discrete_integrand = ch.discrete_integrand || x.op == Op::indicator; });
    // A limit: the estimate at each level, so that the convergence can be read (coupled levels, same draws).
    for (int pass = 0; pass < 2; ++pass) {
      const auto& nodes = pass == 0 ? fp.lhs_nodes : fp.rhs_nodes;
      const auto& idx = pass == 0 ? fp.lhs_means : fp.rhs_means;
      std::string line;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!nodes[i].lim) continue;
        const Expr& lim = *nodes[i].lim;
        double v = lim.data[1];
        for (int k = 0; k < nodes[i].level; ++k) v = lim.data[2] > 0 ? v * 2 : v / 2;
        const Estimate& e = res.estimates[static_cast<std::size_t>(idx[i])];
        line += (line.empty() ? "" : "; ") + lim.text + " = " + num(v) + ": " + num(e.mean) + " +- " + num(e.std_error);
      }
      if (!line.empty())
        ch.notes.push_back(std::string(pass == 0 ? "left" : "right") + " side's expectation at each level of the limit (extrapolated with " +
                           "order " + num(nodes.empty() ? 1.0 : 0.0 + fc_.models[0].context.limit_order) + "): " + line);
    }
  }

  // An equation that must hold draw by draw: the worst draw, replayed in 50 digits.
  void per_draw_check(Check& ch, std::size_t f, std::size_t m, const GridPoint& g, const PerDrawRecord& rec) {
    const Relation& r = fc_.models[m].relations[f];
    const std::size_t key = m * fc_.forms.size() + f;
    const Worst& w = rec.worst[key];
    World<mp50> wm;
    setup_world(wm, c_, fc_.models[m], g);
    Noise noise;
    noise.lanes = 1;
    noise.main = w.main;
    noise.extra = w.extra;
    noise.main_per_lane = static_cast<int>(w.main.size());
    noise.extra_per_lane = static_cast<int>(w.extra.size());
    Evaluator<mp50> em(wm, saved_plan_, noise, 1);
    Val<mp50> L, R;
    try {
      L = em.eval(*r.lhs);
      R = em.eval(*r.rhs);
    } catch (const EvalError& e) {
      eval_fail(f, e, g);
    }
    mp50 mag;
    const std::string op = r.op == "approx" ? "=" : r.op;
    const mp50 res = residual(L, R, 0, op, &mag);
    ch.estimate = Estimate::exact(w.lhs);
    ch.estimate.method = EstimateMethod::exact;
    ch.estimate.samples = c_.samples;
    ch.reference = w.rhs;
    ch.scale = std::max(rec.max_abs[key], 1e-300);
    ch.exact = true;
    ch.exact_difference = r.op == "approx" ? (within_approx(static_cast<double>(res), w.lhs - w.rhs) ? 0.0 : static_cast<double>(res))
                                           : static_cast<double>(res);
    ch.notes.push_back("checked on each of " + std::to_string(c_.samples) + " draws; worst relative " +
                       (op == "=" ? "residual " : "violation ") + num(w.residual) + " in double, " +
                       num(static_cast<double>(res)) + " when that draw is re-evaluated in 50-digit arithmetic" +
                       (static_cast<double>(res) <= Check::exact_threshold && w.residual > 0 ? " (rounding)" : ""));
    ch.quantity = quantity(fc_.forms[f]) + " (per draw; estimate and reference at the worst draw)";
  }

  // + const: lhs_m - rhs_m against lhs_0 - rhs_0 on the same draws. With \propto as well (lhs is an affine
  // function of rhs across the models): (lhs_m - lhs_0) / (rhs_m - rhs_0) against the same ratio for model 1.
  template <class FP>
  Check const_check(std::size_t f, std::size_t m, const GridPoint& g, const std::vector<World<double>>& worlds,
                    const std::vector<std::vector<FP>>& fps, const MonteCarlo::Multi& res) {
    const FormulaForm& form = fc_.forms[f];
    const bool affine = fc_.models[m].relations[f].op == "propto";
    const std::size_t ref = affine ? 1 : 0;
    Check ch;
    ch.form = form.name;
    const std::string gl = label_for(f, g);
    ch.label = gl + (gl.empty() ? "" : ", ") + "model " + fc_.models[m].name + " vs " + fc_.models[ref].name;
    for (std::size_t mm : {m, ref, std::size_t{0}})
      if (fps[mm][f].kind != FormKind::deterministic && fps[mm][f].kind != FormKind::expectations)
        throw InputError(c_.path, form.where.key, "'+ const' is supported for deterministic sides and for expectations");
    // Side values as functions of the means (deterministic sides ignore them); 50 digits are not needed here: the
    // differences are compared at the statistical or rounding level.
    auto L = [&](std::size_t mm, const std::vector<double>& mu) { return side(mm, f, true, fps[mm][f], worlds[mm], mu); };
    auto R = [&](std::size_t mm, const std::vector<double>& mu) { return side(mm, f, false, fps[mm][f], worlds[mm], mu); };
    auto stat = [&](std::size_t mm, const std::vector<double>& mu) {
      if (!affine) return L(mm, mu) - R(mm, mu);
      return (L(mm, mu) - L(0, mu)) / (R(mm, mu) - R(0, mu));
    };
    const bool exact = std::all_of(fps.begin(), fps.end(), [&](const auto& row) { return row[f].kind == FormKind::deterministic; });
    Estimate d1, d0, dd, l1, l0, r1, r0;
    MonteCarlo::Multi none;
    const MonteCarlo::Multi& use = exact ? none : res;
    try {
      d1 = delta([&](const std::vector<double>& mu) { return stat(m, mu); }, use);
      d0 = delta([&](const std::vector<double>& mu) { return stat(ref, mu); }, use);
      dd = delta([&](const std::vector<double>& mu) { return stat(m, mu) - stat(ref, mu); }, use);
      l1 = delta([&](const std::vector<double>& mu) { return L(m, mu); }, use);
      l0 = delta([&](const std::vector<double>& mu) { return L(ref, mu); }, use);
      r1 = delta([&](const std::vector<double>& mu) { return R(m, mu); }, use);
      r0 = delta([&](const std::vector<double>& mu) { return R(ref, mu); }, use);
    } catch (const EvalError& e) {
      eval_fail(f, e, g);
    }
    if (affine) {
      ch.quantity = "(lhs_m - lhs_0) / (rhs_m - rhs_0): one slope across the models";
      ch.estimate = d1;
      ch.estimate.std_error = dd.std_error;
      ch.reference = d0.mean;
      ch.scale = std::max(std::abs(d0.mean), 1e-300);
    } else {
      ch.quantity = "(lhs - rhs) under model " + fc_.models[m].name + " minus under model " + fc_.models[ref].name;
      ch.estimate = dd;
      ch.reference = 0;
      // As for '=', the scale is the larger side (here over both models), or the change of the left side if larger.
      ch.scale = std::max({std::abs(l1.mean - l0.mean), std::abs(l1.mean), std::abs(l0.mean), std::abs(r1.mean),
                           std::abs(r0.mean), 1e-300});
      ch.scale_name = "the larger side under either model (or the change of the left side between them)";
      ch.notes.push_back("lhs under model " + fc_.models[m].name + " = " + num(l1.mean) + ", under " + fc_.models[ref].name + " = " +
                         num(l0.mean) + "; lhs - rhs: " + num(d1.mean) + " vs " + num(d0.mean) + " (same draws)");
    }
    if (exact) {
      ch.estimate.method = EstimateMethod::exact;
      ch.exact = true;
      ch.exact_difference = std::abs(ch.estimate.mean - ch.reference) / std::max({ch.scale, std::abs(ch.reference), 1e-300});
      // Double precision: differences below 1e-12 of the scale are rounding.
      if (ch.exact_difference < 1e-12) ch.exact_difference = 0;
      ch.notes.push_back("deterministic sides, compared in double precision (differences below 1e-12 of the scale count as rounding)");
    }
    return ch;
  }

  template <class FP>
  Estimate ratio_estimate(std::size_t f, std::size_t m, const GridPoint& g, const std::vector<World<double>>& worlds, FormKind kind,
                          const FP& fp, const MonteCarlo::Multi& res) {
    const Relation& r = fc_.models[m].relations[f];
    if (kind == FormKind::deterministic) {
      World<mp50> wm;
      setup_world(wm, c_, fc_.models[m], g);
      Plan plan;
      plan.dim = fc_.models[m].context.dim;
      Noise noise;
      Evaluator<mp50> em(wm, plan, noise, 1);
      mp50 L, R;
      try {
        L = em.eval(*r.lhs).v[0];
        R = em.eval(*r.rhs).v[0];
      } catch (const EvalError& e) {
        eval_fail(f, e, g);
      }
      if (R == 0) throw InputError(c_.path, fc_.forms[f].where.key, "'\\propto': the right side is 0 at " + g.label);
      Estimate e = Estimate::exact(static_cast<double>(L / R));
      e.method = EstimateMethod::exact;
      return e;
    }
    if (kind != FormKind::expectations)
      throw InputError(c_.path, fc_.forms[f].where.key, "'\\propto' is supported for deterministic sides and for expectations");
    Estimate e;
    try {
      e = delta([&](const std::vector<double>& mu) { return side(m, f, true, fp, worlds[m], mu) / side(m, f, false, fp, worlds[m], mu); }, res);
    } catch (const EvalError& err) {
      eval_fail(f, err, g);
    }
    e.method = EstimateMethod::delta_method;
    return e;
  }
};

}  // namespace

ClaimOutput run_formula_case(const CaseSpec& c, const MonteCarlo& mc) {
  CaseRunner r(c, mc);
  return r.run();
}

}  // namespace verify::formula
