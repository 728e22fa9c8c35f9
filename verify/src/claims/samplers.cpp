// Claim family: samplers driven by the EXACT score produce the target law.
//
// Notes: 004 section 7.3 (reverse-time SDE), 9.1 (probability-flow ODE). (Langevin dynamics, section 7.2, is a
// formula case: cases/samplers/langevin_*.toml.)
//
// Ground truth: the exact target law (data mixture, or the exactly diffused mixture at the end time). The
// sampler's law is compared with it through distribution functionals with closed-form references and coupled
// control variates (samplers_util.hpp). Claims that hold only as the step -> 0 (or T -> infinity) are checked
// as such: levels with the step halved each time share their random numbers; the Richardson-extrapolated limit
// must equal the exact value and the log-log slope of the error must match the solver's order.
#include <cmath>

#include "samplers_util.hpp"

namespace verify::claims {

namespace {

int levels_param(const CaseSpec& c, int fallback) {
  const auto L = c.params.integer_or("levels", fallback);
  if (L < 1 || L > kMaxLevels) c.params.fail("levels", "must be in 1..8");
  return static_cast<int>(L);
}

int steps_param(const CaseSpec& c, const std::string& key, int fallback) {
  const auto N = c.params.integer_or(key, fallback);
  if (N < 1 || N > 100000) c.params.fail(key, "must be in 1..100000");
  return static_cast<int>(N);
}

// Figures common to all 1-D samplers: histogram of the finest level of each form against the exact density.
Figure histogram_figure(const MonteCarlo& mc, const std::string& name, const std::string& title, const Mix1& target,
                        const std::vector<std::pair<std::string, LevelSampler>>& forms, int L, std::size_t n) {
  double lo = 1e300, hi = -1e300;
  for (std::size_t k = 0; k < target.w.size(); ++k) {
    lo = std::min(lo, target.m[k] - 4 * std::sqrt(target.v[k]));
    hi = std::max(hi, target.m[k] + 4 * std::sqrt(target.v[k]));
  }
  Figure f{name, title, "x", "density", false, false, {}};
  for (const auto& form : forms) {
    // Plain references, not structured bindings: clang 14 cannot capture a structured binding in a lambda.
    const std::string& fname = form.first;
    const LevelSampler& s = form.second;
    f.series.push_back(histogram_series(mc, "figure/" + fname, n, lo, hi, 60, fname, [&](Rng& r) {
      LevelDraw d;
      s(r, d);
      return d.x[L - 1][0];
    }));
  }
  f.series.push_back(density_series(target, lo, hi, "exact target density"));
  return f;
}

LevelSpec make_spec(std::string form, std::string label, int L, std::vector<double> h) {
  LevelSpec s;
  s.form = std::move(form);
  s.label = std::move(label);
  s.levels = L;
  s.h = std::move(h);
  return s;
}

std::vector<double> halving_steps(double h0, int L) {
  std::vector<double> h;
  for (int l = 0; l < L; ++l) h.push_back(h0 / (1 << l));
  return h;
}

// ---------------------------------------------------------------------------------------------------------
// 7.3 reverse-time SDE and 9.1 probability-flow ODE for the VP SDE dx = -beta x/2 dt + sqrt(beta) dw.
// Reverse SDE (Anderson): dx = [f - g^2 grad log p_t] dt + g dW_bar, integrated from t_start down to t_end.
// The note writes grad p_t (gradient of the density) in place of grad log p_t.
// PF-ODE: dx/dt = f - g^2 grad log p_t / 2, deterministic; its law at every t is p_t.
enum class RevKind { sde, sde_grad_p, ode, ode_full_g2, sde_noise_beta, sde_score_no_g2, ode_grad_p, ode_score_no_g2 };

LevelSampler vp_reverse_sampler(const SmallMix& q, const VpSde& vp, double ta, double tb, int N0, int L, RevKind k,
                                const std::vector<SmallMix>& marg, bool quantile_coupling) {
  return [=, &q, &marg](Rng& r, LevelDraw& d) {
    const int dim = q.dim();
    const int Nf = N0 << (L - 1);
    const double hf = (tb - ta) / Nf;
    P2 xb;
    if (quantile_coupling) {
      // 1-D deterministic flow: the exact flow map from p_tb to p_ta is the monotone map F_ta^{-1}(F_tb(x)).
      const double u = r.uniform();
      xb = {marg.back().marginal1().quantile(u), 0.0};
      d.control = {marg.front().marginal1().quantile(u), 0.0};
    } else {
      // Exact pair: x_a ~ p_ta, x_b | x_a by the exact VP transition.
      const P2 xa = marg.front().sample(r);
      const double ratio = vp.alpha_bar(tb) / vp.alpha_bar(ta);
      xb = {std::sqrt(ratio) * xa[0] + std::sqrt(1 - ratio) * r.normal(),
            dim == 2 ? std::sqrt(ratio) * xa[1] + std::sqrt(1 - ratio) * r.normal() : 0.0};
      d.control = xa;
    }
    std::array<P2, kMaxLevels> acc{};
    for (int l = 0; l < L; ++l) d.x[l] = xb;
    const bool noisy = k == RevKind::sde || k == RevKind::sde_grad_p || k == RevKind::sde_noise_beta ||
                       k == RevKind::sde_score_no_g2;
    for (int i = 0; i < Nf; ++i) {
      P2 dw{0.0, 0.0};
      if (noisy) dw = {std::sqrt(hf) * r.normal(), dim == 2 ? std::sqrt(hf) * r.normal() : 0.0};
      for (int l = 0; l < L; ++l) {
        acc[l][0] += dw[0];
        acc[l][1] += dw[1];
        const int stride = 1 << (L - 1 - l);
        if ((i + 1) % stride) continue;
        const int idx = Nf - (i + 1 - stride);  // grid index of the current (upper) time
        const double t = ta + hf * idx, h = hf * stride, b = vp.beta(t);
        P2 sc;
        const double dens = marg[static_cast<std::size_t>(idx)].density_score(d.x[l], sc);
        double cs = b, cf = 0.5 * b, cn = std::sqrt(b);
        switch (k) {
          case RevKind::sde: break;
          case RevKind::sde_grad_p: cs = b * dens; break;  // grad p = p * grad log p
          case RevKind::ode: cs = 0.5 * b; cn = 0; break;
          case RevKind::ode_full_g2: cs = b; cn = 0; break;
          case RevKind::sde_noise_beta: cn = b; break;
          case RevKind::sde_score_no_g2: cs = 1; break;
          case RevKind::ode_grad_p: cs = 0.5 * b * dens; cn = 0; break;
          case RevKind::ode_score_no_g2: cs = 0.5; cn = 0; break;
        }
        for (int m = 0; m < dim; ++m) d.x[l][m] += (cf * d.x[l][m] + cs * sc[m]) * h + cn * acc[l][m];
        acc[l] = {0.0, 0.0};
      }
    }
  };
}

struct VpSetup {
  SmallMix q;
  VpSde vp;
  double ta, tb;
  int N0, L;
  std::vector<SmallMix> marg;  // p_t on the finest grid, index 0 = t_end
};

VpSetup vp_setup(const CaseSpec& c) {
  VpSetup s{SmallMix::from(c.require_mixture(), c.params), {}, 0, 1, 0, 0, {}};
  s.vp.b0 = c.params.number_or("beta_min", 0.1);
  s.vp.b1 = c.params.number_or("beta_max", 20.0);
  s.ta = c.params.number_or("t_end", 0.0);
  s.tb = c.params.number_or("t_start", 1.0);
  if (!(s.ta >= 0 && s.tb > s.ta && s.tb <= 1)) c.params.fail("t_start", "need 0 <= t_end < t_start <= 1");
  s.N0 = steps_param(c, "steps", 50);
  s.L = levels_param(c, 3);
  const int Nf = s.N0 << (s.L - 1);
  for (int i = 0; i <= Nf; ++i) {
    const double t = s.ta + (s.tb - s.ta) * i / Nf, ab = s.vp.alpha_bar(t);
    s.marg.push_back(t == 0 ? s.q : s.q.noisy(std::sqrt(ab), 1 - ab));
  }
  return s;
}

ClaimOutput reverse_sde(const CaseSpec& c, const MonteCarlo& mc) {
  const VpSetup s = vp_setup(c);
  const Functionals F(s.marg.front());
  const std::string lab = "t " + Functionals::fmt(s.tb) + "->" + Functionals::fmt(s.ta);
  LevelSpec spec = make_spec("corrected", lab, s.L, halving_steps((s.tb - s.ta) / s.N0, s.L));
  spec.slope_margin = c.params.number_or("order_margin", 0.25);
  spec.slope_item = -1;  // stochastic: the h -> 0 limit is checked by Richardson extrapolation only
  spec.notes = {"start: exact pair x_end ~ p_t_end, x_start | x_end by the VP transition; control x_end"};
  auto mk = [&](RevKind k) { return vp_reverse_sampler(s.q, s.vp, s.ta, s.tb, s.N0, s.L, k, s.marg, false); };
  ClaimOutput out;
  out.checks = level_checks(mc, "reverse", c.samples, F, spec, mk(RevKind::sde));
  spec.form = "as_written";
  for (auto& ch : level_checks(mc, "reverse", c.samples, F, spec, mk(RevKind::sde_grad_p))) out.checks.push_back(ch);
  if (c.include_mutants) {
    for (const auto& [name, k] : std::vector<std::pair<std::string, RevKind>>{
             {"mutant:noise beta instead of sqrt(beta)", RevKind::sde_noise_beta},
             {"mutant:score term without g^2", RevKind::sde_score_no_g2},
             {"mutant:PF-ODE drift without noise (full g^2)", RevKind::ode_full_g2}}) {
      spec.form = name;
      for (auto& ch : level_checks(mc, "reverse", c.samples, F, spec, mk(k))) out.checks.push_back(ch);
    }
  }
  if (s.q.dim() == 1)
    out.figures.push_back(histogram_figure(mc, "samplers", "VP reverse SDE with the exact score: as written vs corrected",
                                           s.marg.front().marginal1(),
                                           {{"as written (grad p)", mk(RevKind::sde_grad_p)},
                                            {"corrected (grad log p)", mk(RevKind::sde)}},
                                           s.L, static_cast<std::size_t>(c.params.integer_or("figure_samples", 3000))));
  return out;
}

ClaimOutput pf_ode(const CaseSpec& c, const MonteCarlo& mc) {
  const VpSetup s = vp_setup(c);
  const Functionals F(s.marg.front());
  const bool qc = s.q.dim() == 1;
  const std::string lab = "t " + Functionals::fmt(s.tb) + "->" + Functionals::fmt(s.ta);
  LevelSpec spec = make_spec("as_written", lab, s.L, halving_steps((s.tb - s.ta) / s.N0, s.L));
  spec.slope_margin = c.params.number_or("order_margin", 0.25);
  spec.slope_item = static_cast<int>(c.params.integer_or("slope_functional", 1));
  spec.margin_rel = c.params.number_or("limit_margin", -1);
  spec.notes = {qc ? "1-D: start x = F_start^{-1}(U), control F_end^{-1}(U) (exact monotone flow map); Euler steps"
                   : "start: exact forward pair; control x_end; Euler steps"};
  auto mk = [&](RevKind k) { return vp_reverse_sampler(s.q, s.vp, s.ta, s.tb, s.N0, s.L, k, s.marg, qc); };
  ClaimOutput out;
  out.checks = level_checks(mc, "ode", c.samples, F, spec, mk(RevKind::ode));
  spec.slope_item = -1;  // wrong dynamics converge too, to the wrong limit: only the limit is checked
  if (c.include_mutants) {
    spec.form = "mutant:dropped 1/2 on g^2 score";
    for (auto& ch : level_checks(mc, "ode", c.samples, F, spec, mk(RevKind::ode_full_g2))) out.checks.push_back(ch);
    spec.form = "mutant:score without g^2";
    for (auto& ch : level_checks(mc, "ode", c.samples, F, spec, mk(RevKind::ode_score_no_g2))) out.checks.push_back(ch);
    spec.form = "mutant:grad p for grad log p";
    for (auto& ch : level_checks(mc, "ode", c.samples, F, spec, mk(RevKind::ode_grad_p))) out.checks.push_back(ch);
  }
  if (qc)
    out.figures.push_back(histogram_figure(mc, "samplers", "VP probability-flow ODE (Euler) with the exact score",
                                           s.marg.front().marginal1(),
                                           {{"PF-ODE (drift f - g^2 score / 2)", mk(RevKind::ode)},
                                            {"no 1/2 (drift f - g^2 score)", mk(RevKind::ode_full_g2)}},
                                           s.L, static_cast<std::size_t>(c.params.integer_or("figure_samples", 3000))));
  return out;
}

}  // namespace

void register_samplers(Registry& r) {
  const std::string fam = "samplers";
  const std::vector<std::pair<std::string, std::string>> vp_params = {
      {"beta_min", "beta(0) (default 0.1)"},
      {"beta_max", "beta(1) (default 20)"},
      {"t_start", "time the reverse integration starts from, exact marginal there (default 1)"},
      {"t_end", "time it ends at; 0 = data (default 0)"},
      {"steps", "steps at the coarsest level (default 50)"},
      {"levels", "number of step halvings (default 3)"},
      {"order_margin", "allowed |fitted order - 1| (default 0.25)"},
      {"limit_margin", "PF-ODE: equivalence margin for the extrapolated limit, in SDs of f (default: equality)"},
      {"slope_functional", "index of the functional whose error slope is fitted (default 1 = E[X^2])"},
      {"figure_samples", "samples drawn for the figure (default 3000)"}};
  r.add({"samplers.reverse_sde", fam,
         "The VP reverse-time SDE with drift f - g^2 grad log p_t carries p_t_start to p_t_end (note: grad p_t).", {},
         vp_params, true, false, reverse_sde});
  r.add({"samplers.pf_ode", fam,
         "The VP probability-flow ODE dx/dt = f - g^2 grad log p_t / 2 carries p_t_start to p_t_end.", {}, vp_params,
         true, false, pf_ode});
}

}  // namespace verify::claims
