// Claim family: the variance-exploding setting of consistency models, X_t = X_0 + N(0, t^2 I).
//
// Notes: 004 section 9.1 (VE SDE dX = sqrt(2t) dW and its probability-flow ODE dx/dt = -t grad log p_t(x)),
// section 9.2 (the Euler step of that ODE used for consistency distillation, and the score identity
// grad log p_t(x) = -E[(x - X_0)/t^2 | X_t = x]). The VE chain of section 8.2 is checked by
// cases/forward_process/fwd_ve_chain_* and not repeated here.
//
// Ground truth: the SDE simulated from its definition (Ito sums), the exact convolved-mixture score and
// quantiles (samplers_util.hpp), and self-normalised importance sampling over X_0 ~ data.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "samplers_util.hpp"

namespace verify::claims {

namespace {

Estimate combo(const MonteCarlo::Multi& m, const std::vector<std::pair<std::size_t, double>>& c, double shift = 0) {
  double mean = shift, var = 0;
  for (const auto& [i, a] : c) {
    mean += a * m.estimates[i].mean;
    for (const auto& [j, b] : c) var += a * b * m.cov(i, j);
  }
  Estimate e;
  e.mean = mean;
  e.std_dev = std::sqrt(std::max(var, 0.0));
  e.std_error = e.std_dev / std::sqrt(static_cast<double>(m.samples));
  e.samples = m.samples;
  e.method = EstimateMethod::control_variates;
  return e;
}

int int_param(const CaseSpec& c, const std::string& key, int fallback, int lo, int hi) {
  const auto v = c.params.integer_or(key, fallback);
  if (v < lo || v > hi) c.params.fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(v);
}

// ---------------------------------------------------------------------------------------------------------
// Note 004 9.1: X_t = X_0 + N(0, I int_0^t sqrt(2s) ds) = X_0 + N(0, t^2 I). The first form integrates g, but
// by the Ito isometry Var(int_0^t g dW) = int_0^t g^2 ds = t^2; int_0^t sqrt(2s) ds = (2 sqrt2 / 3) t^{3/2}
// (equal to t^2 only at t = 8/9). Ground truth: the Ito integral by its definition, left-point sums
// Y_N = sum_i sqrt(2 s_i) (W_{s_{i+1}} - W_{s_i}) on N = N0, 2 N0, 4 N0 equal steps from shared Brownian
// increments; Var(Y_N) = t^2 (1 - 1/N), so the Richardson limit 2 Y_{2N}^2 - Y_N^2 is unbiased for Var(Y).
// Control variate: W_t^2 - t (mean 0), coefficient (8/9) t = Cov(Y^2, W_t^2)/Var(W_t^2) for N -> infinity.
ClaimOutput forward_variance(const CaseSpec& c, const MonteCarlo& mc) {
  const auto ts = c.params.numbers("t");
  if (ts.empty() || ts.size() > 16) c.params.fail("t", "expected 1..16 positive times");
  for (double t : ts)
    if (!(t > 0 && t < 1e4)) c.params.fail("t", "times must be in (0, 1e4)");
  const int N0 = int_param(c, "steps", 4, 1, 4096), L = int_param(c, "levels", 3, 2, 8);
  const int Nf = N0 << (L - 1);
  const std::size_t per = static_cast<std::size_t>(L) + 1, K = per * ts.size();
  const auto m = mc.means("ito", c.samples, K, [&](Rng& r, std::span<double> out) {
    std::array<double, kMaxLevels> y{}, acc{};
    double w = 0;
    for (int i = 0; i < Nf; ++i) {
      const double dw = r.normal() / std::sqrt(static_cast<double>(Nf));  // unit time; scaled below
      w += dw;
      for (int l = 0; l < L; ++l) {
        const auto li = static_cast<std::size_t>(l);
        acc[li] += dw;
        const int stride = 1 << (L - 1 - l);
        if ((i + 1) % stride) continue;
        const double s = static_cast<double>(i + 1 - stride) / Nf;  // left end of the coarse interval
        y[li] += std::sqrt(2 * s) * acc[li];
        acc[li] = 0;
      }
    }
    // Brownian scaling: on [0, t], W_{t u} = sqrt(t) W_u and sqrt(2 t u), so Y(t) = t * Y(1) path by path.
    for (std::size_t k = 0; k < ts.size(); ++k) {
      const double t = ts[k];
      for (int l = 0; l < L; ++l) out[k * per + static_cast<std::size_t>(l)] = t * t * y[static_cast<std::size_t>(l)] * y[static_cast<std::size_t>(l)];
      out[k * per + static_cast<std::size_t>(L)] = t * w * w - t;
    }
  });
  ClaimOutput out;
  for (std::size_t k = 0; k < ts.size(); ++k) {
    const double t = ts[k];
    const std::size_t f = k * per + static_cast<std::size_t>(L - 1);
    const Estimate v = combo(m, {{f, 2.0}, {f - 1, -1.0}, {k * per + static_cast<std::size_t>(L), -(8.0 / 9.0) * t}});
    const std::string lab = "t=" + Functionals::fmt(t);
    const std::string q = "Var(X_t - X_0) for dX = sqrt(2t) dW (Richardson limit of Ito sums)";
    Check aw = equality_check("as_written", lab, q, v, 2 * std::numbers::sqrt2 / 3 * std::pow(t, 1.5), t * t, "t^2");
    Check co = equality_check("corrected", lab, q, v, t * t, t * t, "t^2");
    const Estimate fin = combo(m, {{f, 1.0}});
    co.notes.push_back("finest level (N = " + std::to_string(Nf) + ") E[Y^2] = " + Functionals::fmt(fin.mean) + " +- " +
                       Functionals::fmt(fin.std_error) + "; left-point sums have bias -t^2/N");
    out.checks.push_back(aw);
    out.checks.push_back(co);
    if (c.include_mutants) {
      out.checks.push_back(equality_check("mutant:variance t (standard deviation for variance)", lab, q, v, t, t * t, "t^2"));
      out.checks.push_back(equality_check("mutant:variance 2t (g^2 at t, not integrated)", lab, q, v, 2 * t, t * t, "t^2"));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Note 004 9.2: grad log p_t(x) = -E[(x - X_0)/t^2 | X_t = x] for X_t = X_0 + N(0, t^2 I). Left: the exact score
// of the mixture convolved with N(0, t^2 I). Right: self-normalised importance sampling with X_0 ~ data and
// weights N(x; X_0, t^2 I) (Bayes' rule), ratio SE by the delta method. The same X_0 draws serve every point.
ClaimOutput score_posterior(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& g = c.require_mixture();
  const SmallMix q = SmallMix::from(g, c.params);
  const int d = q.dim();
  const auto ts = c.params.numbers("t");
  if (ts.empty() || ts.size() > 16) c.params.fail("t", "expected 1..16 positive times");
  for (double t : ts)
    if (!(t > 0.01 && t < 1e3)) c.params.fail("t", "times must be in (0.01, 1000)");
  const auto pts = c.params.points("points", d);
  if (pts.empty() || pts.size() > 32) c.params.fail("points", "expected 1..32 points");
  const std::size_t per = 1 + static_cast<std::size_t>(d), K = per * ts.size() * pts.size();
  const auto m = mc.means("snis", c.samples, K, [&](Rng& r, std::span<double> out) {
    const P2 x0 = q.sample(r);
    std::size_t o = 0;
    for (double t : ts)
      for (const auto& x : pts) {
        const double a = x(0) - x0[0], b = d == 2 ? x(1) - x0[1] : 0.0;
        const double w = std::exp(-0.5 * (a * a + b * b) / (t * t));
        out[o++] = w;
        out[o++] = w * a;
        if (d == 2) out[o++] = w * b;
      }
  });
  ClaimOutput out;
  std::size_t o = 0;
  for (double t : ts) {
    const SmallMix pt = q.noisy(1.0, t * t);
    for (const auto& x : pts) {
      const P2 xp{x(0), d == 2 ? x(1) : 0.0};
      const P2 s = pt.score(xp);
      const double ew = m.estimates[o].mean;
      std::string ps = "x=(" + Functionals::fmt(xp[0]) + (d == 2 ? ", " + Functionals::fmt(xp[1]) : "") + ")";
      for (int j = 0; j < d; ++j) {
        const std::size_t iw = o, in = o + 1 + static_cast<std::size_t>(j);
        const double R = m.estimates[in].mean / ew;
        // -R/t^2 with R = E[w a]/E[w]: gradient of the ratio (1/E w, -R/E w), times -1/t^2.
        Estimate e = combo(m, {{in, -1.0 / (ew * t * t)}, {iw, R / (ew * t * t)}});
        e.mean = -R / (t * t);
        e.method = EstimateMethod::importance_sampling;
        const double scale = std::max(std::abs(s[static_cast<std::size_t>(j)]), 1.0 / t);
        const std::string lab = "t=" + Functionals::fmt(t) + ", " + ps + (d == 2 ? ", component " + std::to_string(j + 1) : "");
        Check ch = equality_check("as_written", lab, "-E[(x - X_0)/t^2 | X_t = x] (SNIS)", e, s[static_cast<std::size_t>(j)],
                                  scale, "max(|score|, 1/t)");
        out.checks.push_back(ch);
        if (c.include_mutants) {
          Check mu = ch;
          mu.form = "mutant:divide by t instead of t^2";
          mu.estimate.mean *= t;
          mu.estimate.std_error *= t;
          mu.estimate.std_dev *= t;
          if (std::abs(t - 1) > 0.05) out.checks.push_back(mu);
        }
      }
      o += per;
    }
  }
  return out;
}

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
  s.tmax = c.params.number_or("t_max", 80.0);
  s.tmin = c.params.number_or("t_min", 0.002);
  s.rho = c.params.number_or("rho", 7.0);
  if (!(s.tmin > 0 && s.tmax > s.tmin && s.tmax <= 1e3)) c.params.fail("t_max", "need 0 < t_min < t_max <= 1000");
  if (!(s.rho >= 1 && s.rho <= 20)) c.params.fail("rho", "must be in [1, 20]");
  s.N0 = int_param(c, "steps", 32, 1, 100000);
  s.L = int_param(c, "levels", 3, 1, kMaxLevels);
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
  spec.margin_rel = c.params.number_or("limit_margin", -1);
  spec.slope_margin = c.params.number_or("order_margin", 0.25);
  spec.slope_item = fit ? static_cast<int>(c.params.integer_or("slope_functional", 1)) : -1;
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
  const auto n = c.params.integer_or("figure_samples", 3000);
  if (n < 0 || n > 1000000) c.params.fail("figure_samples", "must be in 0..1000000");
  if (n > 0) out.figures.push_back(ode_figure(mc, s, static_cast<std::size_t>(n)));
  return out;
}

}  // namespace

void register_ve_consistency(Registry& r) {
  const std::string fam = "ve_consistency";
  r.add({"ve_consistency.forward_variance", fam,
         "Note 004 9.1: dX = sqrt(2t) dW gives Var(X_t - X_0) = int g^2 = t^2, not int g = (2 sqrt2/3) t^{3/2}.", {},
         {{"t", "times t at which the variance is compared"},
          {"steps", "Ito-sum steps at the coarsest level (default 4)"},
          {"levels", "number of step doublings, >= 2 (default 3)"}},
         false, false, forward_variance});
  r.add({"ve_consistency.score_posterior", fam,
         "Note 004 9.2: grad log p_t(x) = -E[(x - X_0)/t^2 | X_t = x] for X_t = X_0 + N(0, t^2 I).", {},
         {{"t", "noise levels t"}, {"points", "points x (arrays of length dim)"}}, true, false, score_posterior});
  const std::vector<std::pair<std::string, std::string>> ode_params = {
      {"t_max", "start time, exact p_tmax (default 80)"},
      {"t_min", "end time (default 0.002)"},
      {"rho", "Karras grid exponent (default 7)"},
      {"steps", "Euler steps at the coarsest level (default 32)"},
      {"levels", "number of step doublings (default 3)"},
      {"limit_margin", "equivalence margin for the h -> 0 limit, in SDs of f (default: equality)"},
      {"order_margin", "allowed |fitted order - 1| (default 0.25)"},
      {"slope_functional", "index of the functional whose error slope is fitted (default 1 = E[X^2])"},
      {"figure_samples", "euler_step: samples drawn for the figure (default 3000; 0 = none)"}};
  r.add({"ve_consistency.pf_ode", fam,
         "Note 004 9.1: the VE probability-flow ODE dx/dt = -t grad log p_t(x) carries p_tmax to p_tmin (Euler, order 1).",
         {"ve_consistency.score_posterior"}, ode_params, true, false, pf_ode});
  r.add({"ve_consistency.euler_step", fam,
         "Note 004 9.2: the Euler step x_{t_n} = x_{t_{n+1}} + (t_n - t_{n+1}) t_{n+1} s has the wrong sign; "
         "x_{t_n} = x_{t_{n+1}} - (t_n - t_{n+1}) t_{n+1} s integrates the VE PF-ODE.",
         {"ve_consistency.pf_ode"}, ode_params, true, false, euler_step});
}

}  // namespace verify::claims
