// Claim family: the variance-exploding setting of consistency models, X_t = X_0 + N(0, t^2 I).
//
// Notes: 004 section 9.1 (the VE probability-flow ODE dx/dt = -t grad log p_t(x)) and section 9.2 (the Euler step
// of that ODE used for consistency distillation). The section's other claims are formula cases
// (cases/ve_consistency/ve_forward_variance.toml, ve_score_posterior_*.toml; the VE chain of section 8.2 in
// cases/forward_process/fwd_ve_chain_*). These two stay in C++: their ground truth is the monotone quantile coupling
// (start F_Tmax^{-1}(U), control F_tmin^{-1}(U), randomised QMC on U) and indicator functionals P(X < c), which the
// formula layer cannot write (no inverse CDF, no indicator; a formula version's E[X^2] has an SE 900x larger).
//
// Ground truth: the exact convolved-mixture score and quantiles (samplers_util.hpp).
#include <algorithm>
#include <cmath>

#include "samplers_util.hpp"

namespace verify::claims {

namespace {

// The [params] of both claims: validated at load, read here with their defaults.
using PT = ParamSpec::Type;
const ParamSpec kTMax{.key = "t_max", .meaning = "start time, exact p_tmax", .fallback = 80.0, .lo = 0, .hi = 1e3, .lo_open = true};
const ParamSpec kTMin{.key = "t_min", .meaning = "end time (below t_max)", .fallback = 0.002, .lo = 0, .hi = 1e3, .lo_open = true};
const ParamSpec kRho{.key = "rho", .meaning = "Karras grid exponent", .fallback = 7.0, .lo = 1, .hi = 20};
const ParamSpec kSteps{.key = "steps", .meaning = "Euler steps at the coarsest level", .type = PT::integer,
                       .fallback = std::int64_t{32}, .lo = 1, .hi = 100000};
const ParamSpec kLevels{.key = "levels", .meaning = "number of step doublings", .type = PT::integer,
                        .fallback = std::int64_t{3}, .lo = 1, .hi = kMaxLevels};
const ParamSpec kLimitMargin{.key = "limit_margin",
                             .meaning = "equivalence margin for the h -> 0 limit, in SDs of f (absent: equality)",
                             .lo = 0, .lo_open = true};
const ParamSpec kOrderMargin{.key = "order_margin", .meaning = "allowed |fitted order - 1|", .fallback = 0.25, .lo = 0,
                             .lo_open = true};
const ParamSpec kSlopeFunctional{.key = "slope_functional",
                                 .meaning = "index of the functional whose error slope is fitted (1 = E[X^2])",
                                 .type = PT::integer, .fallback = std::int64_t{1}, .lo = 0, .hi = 100};
const ParamSpec kFigureSamples{.key = "figure_samples", .meaning = "euler_step: samples drawn for the figure (0 = none)",
                               .type = PT::integer, .fallback = std::int64_t{3000}, .lo = 0, .hi = 1000000};

// ---------------------------------------------------------------------------------------------------------
// Note 004 9.1: the VE probability-flow ODE dx/dt = -t grad log p_t(x) carries p_{T_max} to p_{t_min}.
// Note 004 9.2 writes its Euler step from t_{n+1} down to t_n as x_{t_n} = x_{t_{n+1}} + (t_n - t_{n+1}) t_{n+1} s;
// with dx/dt = -t s the step is x_{t_n} = x_{t_{n+1}} - (t_n - t_{n+1}) t_{n+1} s (Phi = -t s in the consistency
// models paper): the note's sign moves points away from the modes.
// Grid: Karras et al.'s t_i = (T^{1/rho} + i/N (eps^{1/rho} - T^{1/rho}))^rho (nested when N doubles).
// Coupling: 1-D only, start F_{T}^{-1}(U), control F_{eps}^{-1}(U) (the exact flow map is monotone).
enum class Ode { euler, note_sign, drift_2t, drift_no_t };

struct OdeSetup {
  SmallMix q;
  Mix1 start, end;
  QuantileTable start_inv, end_inv;  // fast inverse CDFs of start and end
  double tmax = 80, tmin = 0.002, rho = 7;
  int N0 = 32, L = 3, Nf = 0;
  std::vector<double> grid;        // fine grid, decreasing, Nf + 1 points
  std::vector<SmallMix> marg;      // p_t at each fine grid point
};

OdeSetup ode_setup(const CaseSpec& c) {
  OdeSetup s{SmallMix::from(c.require_mixture(), c.params), {}, {}, {}, {}, 80, 0.002, 7, 32, 3, 0, {}, {}};
  if (s.q.dim() != 1) c.fail("mixture", "the VE ODE checks use the 1-D mixture (monotone flow-map coupling)");
  s.tmax = c.params.number(kTMax);
  s.tmin = c.params.number(kTMin);
  s.rho = c.params.number(kRho);
  if (!(s.tmax > s.tmin)) c.params.fail("t_max", "need t_min < t_max");
  s.N0 = static_cast<int>(c.params.integer(kSteps));
  s.L = static_cast<int>(c.params.integer(kLevels));
  s.Nf = s.N0 << (s.L - 1);
  if (s.Nf > 200000) c.params.fail("levels", "too many steps at the finest level");
  const double a = std::pow(s.tmax, 1 / s.rho), b = std::pow(s.tmin, 1 / s.rho);
  for (int i = 0; i <= s.Nf; ++i) {
    const double t = i == s.Nf ? s.tmin : std::pow(a + (b - a) * i / s.Nf, s.rho);
    s.grid.push_back(i == 0 ? s.tmax : t);
    s.marg.push_back(s.q.noisy(1.0, s.grid.back() * s.grid.back()));
  }
  s.start = s.marg.front().marginal1();
  s.end = s.marg.back().marginal1();
  s.start_inv = QuantileTable(s.start);
  s.end_inv = QuantileTable(s.end);
  return s;
}

LevelSampler ode_sampler(const OdeSetup& s, Ode k) {
  return [&s, k](Rng& r, LevelDraw& d) {
    const double u = r.uniform();
    const double x0 = s.start_inv(u);
    d.control = {s.end_inv(u), 0.0};
    for (int l = 0; l < s.L; ++l) {
      const int stride = 1 << (s.L - 1 - l);
      double x = x0;
      for (int i = 0; i < s.Nf; i += stride) {
        const double t = s.grid[static_cast<std::size_t>(i)], tn = s.grid[static_cast<std::size_t>(i + stride)];
        const double sc = s.marg[static_cast<std::size_t>(i)].score({x, 0.0})[0];
        double drift = -t * sc;  // dx/dt
        if (k == Ode::drift_2t) drift = -2 * t * sc;
        if (k == Ode::drift_no_t) drift = -sc;
        x = k == Ode::note_sign ? x + (tn - t) * t * sc : x + (tn - t) * drift;
        x = std::clamp(x, -1e100, 1e100);
      }
      d.x[static_cast<std::size_t>(l)] = {x, 0.0};
    }
  };
}

LevelSpec ode_spec(const CaseSpec& c, const OdeSetup& s, std::string form, bool fit) {
  LevelSpec spec;
  spec.form = std::move(form);
  spec.label = "t " + Functionals::fmt(s.tmax) + "->" + Functionals::fmt(s.tmin);
  spec.levels = s.L;
  for (int l = 0; l < s.L; ++l) spec.h.push_back(1.0 / (s.N0 << l));
  spec.margin_rel = c.params.has(kLimitMargin.key) ? c.params.number(kLimitMargin) : -1;
  spec.slope_margin = c.params.number(kOrderMargin);
  spec.slope_item = fit ? static_cast<int>(c.params.integer(kSlopeFunctional)) : -1;
  spec.notes = {"Euler on the Karras grid (rho=" + Functionals::fmt(s.rho) + "); start F_Tmax^{-1}(U), control F_tmin^{-1}(U)"};
  return spec;
}

void append(std::vector<Check>& out, std::vector<Check> more) {
  for (auto& ch : more) out.push_back(std::move(ch));
}

Figure ode_figure(const MonteCarlo& mc, const OdeSetup& s, std::size_t n) {
  const Mix1& m = s.end;
  double lo = 1e300, hi = -1e300;
  for (std::size_t k = 0; k < m.w.size(); ++k) {
    lo = std::min(lo, m.m[k] - 4 * std::sqrt(m.v[k]));
    hi = std::max(hi, m.m[k] + 4 * std::sqrt(m.v[k]));
  }
  Figure f{"samplers", "VE probability-flow ODE, Euler steps: note's sign vs corrected", "x", "density", false, false, {}};
  for (const auto& [name, k] : std::vector<std::pair<std::string, Ode>>{{"as written (note 9.2 sign)", Ode::note_sign},
                                                                          {"corrected (x + |dt| t s)", Ode::euler}}) {
    const LevelSampler smp = ode_sampler(s, k);
    f.series.push_back(histogram_series(mc, "figure/" + name, n, lo, hi, 60, name, [&](Rng& r) {
      LevelDraw d;
      smp(r, d);
      return d.x[static_cast<std::size_t>(s.L - 1)][0];
    }));
  }
  f.series.push_back(density_series(m, lo, hi, "exact p_tmin density"));
  return f;
}

ClaimOutput pf_ode(const CaseSpec& c, const MonteCarlo& mc) {
  const OdeSetup s = ode_setup(c);
  const Functionals F(s.marg.back());
  ClaimOutput out;
  out.checks = level_checks(mc, "ode", c.samples, F, ode_spec(c, s, "as_written", true), ode_sampler(s, Ode::euler));
  if (c.include_mutants) {
    append(out.checks, level_checks(mc, "ode", c.samples, F, ode_spec(c, s, "mutant:drift -2t s (dropped 1/2)", false),
                                    ode_sampler(s, Ode::drift_2t)));
    append(out.checks, level_checks(mc, "ode", c.samples, F, ode_spec(c, s, "mutant:drift -s (missing t)", false),
                                    ode_sampler(s, Ode::drift_no_t)));
  }
  return out;
}

ClaimOutput euler_step(const CaseSpec& c, const MonteCarlo& mc) {
  const OdeSetup s = ode_setup(c);
  const Functionals F(s.marg.back());
  ClaimOutput out;
  out.checks = level_checks(mc, "ode", c.samples, F, ode_spec(c, s, "corrected", false), ode_sampler(s, Ode::euler));
  append(out.checks, level_checks(mc, "ode", c.samples, F, ode_spec(c, s, "as_written", false), ode_sampler(s, Ode::note_sign)));
  const auto n = c.params.integer(kFigureSamples);
  if (n > 0) out.figures.push_back(ode_figure(mc, s, static_cast<std::size_t>(n)));
  return out;
}

}  // namespace

void register_ve_consistency(Registry& r) {
  const std::vector<ParamSpec> ode_params = {kTMax,        kTMin,        kRho,           kSteps,        kLevels,
                                             kLimitMargin, kOrderMargin, kSlopeFunctional, kFigureSamples};
  r.add({.name = "ve_consistency.pf_ode",
         .summary = "Note 004 9.1: the VE probability-flow ODE dx/dt = -t grad log p_t(x) carries p_tmax to p_tmin (Euler, order 1).",
         .depends_on = {"ve_score_posterior_1d"},
         .params = ode_params,
         .needs_mixture = true,
         .run = pf_ode});
  r.add({.name = "ve_consistency.euler_step",
         .summary = "Note 004 9.2: the Euler step x_{t_n} = x_{t_{n+1}} + (t_n - t_{n+1}) t_{n+1} s has the wrong sign; "
                    "x_{t_n} = x_{t_{n+1}} - (t_n - t_{n+1}) t_{n+1} s integrates the VE PF-ODE.",
         .depends_on = {"ve_consistency.pf_ode"},
         .params = ode_params,
         .needs_mixture = true,
         .run = euler_step});
}

}  // namespace verify::claims
