// Claim family: discrete-time DDPM / DDIM samplers driven by the EXACT noise predictor produce the data law.
//
// Notes: 004 section 7.4 (DDPM written as an Euler-Maruyama step of the reverse SDE), section 3 ("in DDPM, we
// change sigma_t = 0 in sampling to get DDIM"); Ho et al.'s ancestral step and the DDIM step as in
// /work/shared/REFERENCES.md.
//
// Ground truth: the data mixture itself. Every sampler uses the exact eps*(x_t) = -sqrt(1 - alpha_bar_t) *
// grad log q_t(x_t) of the diffused mixture q_t and starts from the exact q_T (not N(0, I)), so the only error is
// the sampler's own. With finite T none of these samplers is exact for mixture data; the claims that they produce
// the data law are claims about T -> infinity and are checked as such (samplers_util.hpp): levels T0, 2 T0, 4 T0
// (linear betas scaled by 1000/T as in improved-diffusion; cosine alpha_bar(t/T)), coupled random numbers, the
// Richardson limit 1/T -> 0 of each functional against its exact data value, and the fitted order in 1/T.
//
// Coupling (the control point with the exact data law):
//   - stochastic samplers: the EXACT reverse chain x_{t-1} ~ q(x_{t-1} | x_t) on the finest grid (a Gaussian
//     mixture by Bayes' rule: component k of q_{t-1} times the Gaussian transition), started at the finest
//     level's x_T and driven by the same normals as the finest sampler; its end point has exactly the data law.
//     Every level starts at sqrt(alpha_bar_T) x0' + sqrt(1 - alpha_bar_T) n with the same (x0', n): exact q_T.
//   - deterministic samplers (DDIM, "DDPM with sigma = 0"): x_T = F_T^{-1}(U) at every level and control
//     F_0^{-1}(U): the exact probability-flow map in 1-D is this monotone quantile map.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "samplers_util.hpp"

namespace verify::claims {

namespace {

enum class Step {
  ancestral_beta,        // Ho Algorithm 2, sigma^2 = beta_t (no noise at t = 1)
  ancestral_beta_tilde,  // sigma^2 = beta_tilde_t
  note_74,               // note 004 7.4 as written: sqrt(1-beta) x - beta^2 grad p_t(x) + beta z
  ddpm_sigma0,           // DDPM mean update with sigma_t = 0
  ddim,                  // DDIM eta = 0
  mut_noise_beta,        // ancestral with noise beta_t z instead of sqrt(beta_t) z
  mut_sign,              // ancestral with the eps (score) term's sign flipped
  mut_eps_alpha,         // ancestral with eps coefficient beta_t/sqrt(1-alpha_t) (alpha for alpha_bar)
};

bool stochastic(Step k) { return k != Step::ddpm_sigma0 && k != Step::ddim; }

// All schedules and exact marginals of one multi-level experiment.
struct Setup {
  SmallMix data;
  Mix1 data1;
  std::string kind;
  int T0 = 0, L = 0, Tf = 0;
  std::vector<NoiseSchedule> sch;             // per level, T_l = T0 2^l
  std::vector<std::vector<SmallMix>> marg;    // marg[l][t] = q_t under schedule l, t = 0..T_l
  std::vector<Mix1> qT;                       // q_T of each level (1-D), for the quantile start
  std::vector<QuantileTable> qT_inv;          // their fast inverse CDFs
  QuantileTable data_inv;                     // inverse CDF of the data law (control of the quantile coupling)
  // Exact reverse kernel on the finest grid: for step t (1..Tf) and component k, the law of x_{t-1} given
  // x_t and component k is N(c0 + c1 x_t, pv), and P(k | x_t) ∝ w_k N(x_t; m_k(t), V_k(t)).
  struct Kern { std::vector<double> lw, mt, vt, c0, c1, sd; };
  std::vector<Kern> kern;
};

NoiseSchedule make_schedule(const std::string& kind, int T) {
  if (kind == "linear") return NoiseSchedule::linear(T, 1e-4 * 1000.0 / T, 0.02 * 1000.0 / T);
  return NoiseSchedule::cosine(T);
}

Setup make_setup(const CaseSpec& c) {
  Setup s;
  s.data = SmallMix::from(c.require_mixture(), c.params);
  if (s.data.dim() != 1) c.fail("mixture", "the DDPM sampler claims use the 1-D mixture (exact reverse kernel and quantile coupling)");
  if (c.require_mixture().size() > 64) c.fail("mixture", "at most 64 components");
  s.data1 = s.data.marginal1();
  s.data_inv = QuantileTable(s.data1);
  s.kind = c.params.string_or("schedule", "linear");
  if (s.kind != "linear" && s.kind != "cosine") c.params.fail("schedule", "expected \"linear\" or \"cosine\"");
  const auto T0 = c.params.integer_or("T0", 100);
  if (T0 < 4 || T0 > 4000) c.params.fail("T0", "must be in 4..4000");
  const auto L = c.params.integer_or("levels", 3);
  if (L < 1 || L > kMaxLevels) c.params.fail("levels", "must be in 1..8");
  s.T0 = static_cast<int>(T0);
  s.L = static_cast<int>(L);
  s.Tf = s.T0 << (s.L - 1);
  if (s.Tf > 20000) c.params.fail("levels", "finest T = T0 2^(levels-1) must be at most 20000");
  for (int l = 0; l < s.L; ++l) {
    s.sch.push_back(make_schedule(s.kind, s.T0 << l));
    const NoiseSchedule& sc = s.sch.back();
    std::vector<SmallMix> m;
    for (int t = 0; t <= sc.T(); ++t) {
      const double ab = sc.alpha_bar(t);
      m.push_back(t == 0 ? s.data : s.data.noisy(std::sqrt(ab), 1 - ab));
    }
    s.qT.push_back(m.back().marginal1());
    s.qT_inv.emplace_back(s.qT.back());
    s.marg.push_back(std::move(m));
  }
  const NoiseSchedule& f = s.sch.back();
  const Mix1& d = s.data1;
  s.kern.resize(static_cast<std::size_t>(s.Tf) + 1);
  for (int t = 1; t <= s.Tf; ++t) {
    Setup::Kern& k = s.kern[static_cast<std::size_t>(t)];
    const double ab = f.alpha_bar(t), abp = f.alpha_bar(t - 1), a = f.alpha(t), b = f.beta(t);
    for (std::size_t j = 0; j < d.w.size(); ++j) {
      const double mp = std::sqrt(abp) * d.m[j], Vp = abp * d.v[j] + (1 - abp);  // component j of q_{t-1}
      const double mt = std::sqrt(ab) * d.m[j], Vt = ab * d.v[j] + (1 - ab);     // component j of q_t
      const double pv = 1 / (1 / Vp + a / b);
      k.lw.push_back(std::log(d.w[j]) - 0.5 * std::log(Vt));
      k.mt.push_back(mt);
      k.vt.push_back(Vt);
      k.c0.push_back(pv * mp / Vp);
      k.c1.push_back(pv * std::sqrt(a) / b);
      k.sd.push_back(std::sqrt(pv));
    }
  }
  return s;
}

// One exact reverse step x_{t-1} ~ q(x_{t-1} | x_t) of the finest chain, from a uniform u (component) and z.
double exact_reverse(const Setup::Kern& k, double x, double u, double z) {
  const std::size_t K = k.lw.size();
  std::array<double, 64> l{};
  double mx = -1e300;
  for (std::size_t j = 0; j < K; ++j) {
    l[j] = k.lw[j] - 0.5 * (x - k.mt[j]) * (x - k.mt[j]) / k.vt[j];
    mx = std::max(mx, l[j]);
  }
  double tot = 0;
  for (std::size_t j = 0; j < K; ++j) tot += (l[j] = std::exp(l[j] - mx));
  std::size_t j = 0;
  for (double acc = l[0] / tot; j + 1 < K && u > acc; acc += l[++j] / tot) {}
  return k.c0[j] + k.c1[j] * x + k.sd[j] * z;
}

// One reverse step t -> t-1 of sampler `k` under schedule s with q_t = m, noise z ~ N(0, 1).
double reverse_step(Step k, const NoiseSchedule& s, int t, const SmallMix& m, double x, double z) {
  const double ab = s.alpha_bar(t), abp = s.alpha_bar(t - 1), a = s.alpha(t), b = s.beta(t);
  P2 sc;
  const double dens = m.density_score({x, 0.0}, sc);
  const double eps = -std::sqrt(1 - ab) * sc[0];  // exact eps*(x_t)
  const double zz = t > 1 ? z : 0.0;              // Ho et al. Algorithm 2: no noise on the last step
  double y = 0;
  switch (k) {
    case Step::ancestral_beta: y = (x - b / std::sqrt(1 - ab) * eps) / std::sqrt(a) + std::sqrt(b) * zz; break;
    case Step::ancestral_beta_tilde:
      y = (x - b / std::sqrt(1 - ab) * eps) / std::sqrt(a) + (t > 1 ? std::sqrt(s.beta_tilde(t)) * z : 0.0);
      break;
    case Step::note_74: y = std::sqrt(1 - b) * x - b * b * dens * sc[0] + b * z; break;  // grad p = p grad log p
    case Step::ddpm_sigma0: y = (x - b / std::sqrt(1 - ab) * eps) / std::sqrt(a); break;
    case Step::ddim: {
      const double x0 = (x - std::sqrt(1 - ab) * eps) / std::sqrt(ab);
      y = std::sqrt(abp) * x0 + std::sqrt(1 - abp) * eps;
      break;
    }
    case Step::mut_noise_beta: y = (x - b / std::sqrt(1 - ab) * eps) / std::sqrt(a) + b * zz; break;
    case Step::mut_sign: y = (x + b / std::sqrt(1 - ab) * eps) / std::sqrt(a) + std::sqrt(b) * zz; break;
    case Step::mut_eps_alpha: y = (x - b / std::sqrt(1 - a) * eps) / std::sqrt(a) + std::sqrt(b) * zz; break;
  }
  return std::clamp(y, -1e100, 1e100);  // diverging (wrong) samplers stay finite
}

// Per-step coefficients of reverse_step, tabulated once per (level, t) so the inner loop does no schedule look-ups:
// y = cx x + cs score(x) + cd p(x) score(x) + sig z. They are the same algebra as reverse_step (which stays the
// readable definition; coefficients_match() in make_sampler checks the two agree).
struct StepCoef { double cx = 0, cs = 0, cd = 0, sig = 0; };

StepCoef step_coef(Step k, const NoiseSchedule& s, int t) {
  const double ab = s.alpha_bar(t), abp = s.alpha_bar(t - 1), a = s.alpha(t), b = s.beta(t);
  StepCoef c;
  const double rab = std::sqrt(1 - ab);  // eps = -rab * score
  auto eps_coef = [&](double ce) { c.cs = -ce * rab; };
  switch (k) {
    case Step::ancestral_beta: c.cx = 1 / std::sqrt(a); eps_coef(-b / rab / std::sqrt(a)); c.sig = t > 1 ? std::sqrt(b) : 0.0; break;
    case Step::ancestral_beta_tilde:
      c.cx = 1 / std::sqrt(a); eps_coef(-b / rab / std::sqrt(a)); c.sig = t > 1 ? std::sqrt(s.beta_tilde(t)) : 0.0; break;
    case Step::note_74: c.cx = std::sqrt(1 - b); c.cd = -b * b; c.sig = b; break;
    case Step::ddpm_sigma0: c.cx = 1 / std::sqrt(a); eps_coef(-b / rab / std::sqrt(a)); break;
    case Step::ddim:
      c.cx = std::sqrt(abp) / std::sqrt(ab);
      eps_coef(std::sqrt(1 - abp) - std::sqrt(abp) * rab / std::sqrt(ab));
      break;
    case Step::mut_noise_beta: c.cx = 1 / std::sqrt(a); eps_coef(-b / rab / std::sqrt(a)); c.sig = t > 1 ? b : 0.0; break;
    case Step::mut_sign: c.cx = 1 / std::sqrt(a); eps_coef(b / rab / std::sqrt(a)); c.sig = t > 1 ? std::sqrt(b) : 0.0; break;
    case Step::mut_eps_alpha:
      c.cx = 1 / std::sqrt(a); eps_coef(-b / std::sqrt(1 - a) / std::sqrt(a)); c.sig = t > 1 ? std::sqrt(b) : 0.0; break;
  }
  return c;
}

LevelSampler make_sampler(const Setup& s, Step k) {
  // coef[l][t], t = 1..T_l; checked against reverse_step at a few points of every level (a programming guard).
  std::vector<std::vector<StepCoef>> coef(static_cast<std::size_t>(s.L));
  for (int l = 0; l < s.L; ++l) {
    const auto li = static_cast<std::size_t>(l);
    const NoiseSchedule& sc = s.sch[li];
    coef[li].resize(static_cast<std::size_t>(sc.T()) + 1);
    for (int t = 1; t <= sc.T(); ++t) coef[li][static_cast<std::size_t>(t)] = step_coef(k, sc, t);
    for (int t : {1, 2, sc.T() / 2, sc.T()})
      for (double x : {-2.0, 0.3, 1.7}) {
        const SmallMix& m = s.marg[li][static_cast<std::size_t>(t)];
        const StepCoef& c = coef[li][static_cast<std::size_t>(t)];
        P2 g;
        const double dens = m.density_score({x, 0.0}, g);
        const double y = c.cx * x + (c.cs + c.cd * dens) * g[0] + c.sig * 0.7;
        const double ref = reverse_step(k, sc, t, m, x, 0.7);
        if (!(std::abs(y - ref) <= 1e-9 * (1 + std::abs(ref))))
          throw std::logic_error("ddpm_sampling: tabulated step coefficients disagree with reverse_step");
      }
  }
  return [&s, k, coef = std::move(coef)](Rng& r, LevelDraw& d) {
    const int L = s.L, Tf = s.Tf;
    std::array<double, kMaxLevels> x{}, acc{};
    const bool noisy = stochastic(k);
    const bool need_dens = k == Step::note_74;
    double xc = 0;
    if (noisy) {
      const double x0 = s.data.sample(r)[0], n = r.normal();
      for (int l = 0; l < L; ++l) {
        const double ab = s.sch[static_cast<std::size_t>(l)].alpha_bar(s.T0 << l);
        x[static_cast<std::size_t>(l)] = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * n;
      }
      xc = x[static_cast<std::size_t>(L - 1)];
    } else {
      const double u = r.uniform();
      for (int l = 0; l < L; ++l) x[static_cast<std::size_t>(l)] = s.qT_inv[static_cast<std::size_t>(l)](u);
      xc = s.data_inv(u);
    }
    for (int i = 0; i < Tf; ++i) {
      double z = 0;
      if (noisy) {
        z = r.normal();
        xc = exact_reverse(s.kern[static_cast<std::size_t>(Tf - i)], xc, r.uniform(), z);
      }
      for (int l = 0; l < L; ++l) {
        const auto li = static_cast<std::size_t>(l);
        acc[li] += z;
        const int stride = 1 << (L - 1 - l);
        if ((i + 1) % stride) continue;
        const int t = (Tf - i - 1) / stride + 1;
        const StepCoef& c = coef[li][static_cast<std::size_t>(t)];
        P2 g;
        const double dens = need_dens ? s.marg[li][static_cast<std::size_t>(t)].density_score({x[li], 0.0}, g)
                                      : (g = s.marg[li][static_cast<std::size_t>(t)].score({x[li], 0.0}), 0.0);
        const double y = c.cx * x[li] + (c.cs + c.cd * dens) * g[0] + c.sig * (acc[li] / std::sqrt(static_cast<double>(stride)));
        x[li] = std::clamp(y, -1e100, 1e100);  // diverging (wrong) samplers stay finite
        acc[li] = 0;
      }
    }
    for (int l = 0; l < L; ++l) d.x[static_cast<std::size_t>(l)] = {x[static_cast<std::size_t>(l)], 0.0};
    d.control = {xc, 0.0};
  };
}

LevelSpec make_spec(const CaseSpec& c, const Setup& s, std::string form, bool fit_order) {
  LevelSpec spec;
  spec.form = std::move(form);
  spec.label = s.kind + ", T=" + std::to_string(s.T0) + ".." + std::to_string(s.Tf);
  spec.levels = s.L;
  for (int l = 0; l < s.L; ++l) spec.h.push_back(1.0 / (s.T0 << l));
  spec.order = 1;
  spec.margin_rel = c.params.number_or("limit_margin", -1);
  spec.slope_margin = c.params.number_or("order_margin", 0.25);
  spec.slope_item = fit_order ? static_cast<int>(c.params.integer_or("slope_functional", 1)) : -1;
  return spec;
}

void append(std::vector<Check>& out, std::vector<Check> more) {
  for (auto& ch : more) out.push_back(std::move(ch));
}

Figure histogram_figure(const MonteCarlo& mc, const std::string& title, const Setup& s,
                        const std::vector<std::pair<std::string, Step>>& forms, std::size_t n) {
  const Mix1& m = s.data1;
  double lo = 1e300, hi = -1e300;
  for (std::size_t k = 0; k < m.w.size(); ++k) {
    lo = std::min(lo, m.m[k] - 4 * std::sqrt(m.v[k]));
    hi = std::max(hi, m.m[k] + 4 * std::sqrt(m.v[k]));
  }
  Figure f{"samplers", title, "x", "density", false, false, {}};
  for (const auto& [name, k] : forms) {
    const LevelSampler smp = make_sampler(s, k);
    f.series.push_back(histogram_series(mc, "figure/" + name, n, lo, hi, 60, name + ", T=" + std::to_string(s.Tf),
                                        [&](Rng& r) {
                                          LevelDraw d;
                                          smp(r, d);
                                          return d.x[static_cast<std::size_t>(s.L - 1)][0];
                                        }));
  }
  f.series.push_back(density_series(m, lo, hi, "exact data density"));
  return f;
}

std::size_t figure_n(const CaseSpec& c) {
  const auto n = c.params.integer_or("figure_samples", 3000);
  if (n < 0 || n > 1000000) c.params.fail("figure_samples", "must be in 0..1000000");
  return static_cast<std::size_t>(n);
}

// Note 004 section 3: "in DDPM, we change sigma_t = 0 in sampling to get DDIM".
// DDPM mean with sigma = 0: x_{t-1} = x_t/sqrt(alpha_t) - beta_t/(sqrt(alpha_t) sqrt(1-abar_t)) eps.
// DDIM eta = 0:             x_{t-1} = x_t/sqrt(alpha_t) + [sqrt(1-abar_{t-1}) - sqrt(1-abar_t)/sqrt(alpha_t)] eps.
// Same x_t coefficient (sqrt(abar_{t-1}/abar_t) = 1/sqrt(alpha_t)); the eps coefficients differ by
// sqrt(alpha_t (1-abar_{t-1})) [sqrt(1-abar_t) - sqrt(alpha_t (1-abar_{t-1}))] / (sqrt(alpha_t) sqrt(1-abar_t)),
// zero only at t = 1; for abar_t -> 0 DDIM's coefficient is about half of DDPM's (-beta_t/2 vs -beta_t): the
// sigma = 0 DDPM step follows dx = [f - g^2 score] dt without noise (the reverse-SDE drift), which contracts the
// law, while DDIM follows the probability-flow ODE dx = [f - g^2 score / 2] dt.
ClaimOutput ddim(const CaseSpec& c, const MonteCarlo& mc) {
  const Setup s = make_setup(c);
  const Functionals F(s.data);
  ClaimOutput out;
  // Exact coefficient comparison on a reference schedule of length coef_T.
  const auto Tc = c.params.integer_or("coef_T", 1000);
  if (Tc < 2 || Tc > 100000) c.params.fail("coef_T", "must be in 2..100000");
  const NoiseSchedule cs = make_schedule(s.kind, static_cast<int>(Tc));
  for (int t : c.params.steps("t", cs)) {
    const double ab = cs.alpha_bar(t), abp = cs.alpha_bar(t - 1), a = cs.alpha(t), b = cs.beta(t);
    const double ddim_x = std::sqrt(abp) / std::sqrt(ab), ddpm_x = 1 / std::sqrt(a);
    const double ddim_e = std::sqrt(1 - abp) - std::sqrt(abp) * std::sqrt(1 - ab) / std::sqrt(ab);
    const double ddpm_e = -b / (std::sqrt(a) * std::sqrt(1 - ab));
    const std::string lab = s.kind + " T=" + std::to_string(Tc) + ", t=" + std::to_string(t);
    Check cx = equality_check("as_written", lab + ", coefficient of x_t", "coefficient of x_t in the DDIM (eta=0) step",
                              Estimate::exact(ddim_x), ddpm_x, std::abs(ddim_x), "|DDIM coefficient|");
    Check ce = equality_check("as_written", lab + ", coefficient of eps",
                              "coefficient of eps*(x_t) in the DDIM (eta=0) step", Estimate::exact(ddim_e), ddpm_e,
                              std::abs(ddim_e), "|DDIM coefficient|");
    ce.notes.push_back("DDPM(sigma=0)/DDIM eps-coefficient ratio " + Functionals::fmt(ddpm_e / ddim_e));
    if (t == 1) ce.notes.push_back("t = 1: alpha_bar_0 = 1, both coefficients equal -sqrt(beta_1/alpha_1)");
    if (!cs.clipped().empty() && std::find(cs.clipped().begin(), cs.clipped().end(), t) != cs.clipped().end())
      ce.notes.push_back("clipped cosine beta_t = 0.999 at this t");
    out.checks.push_back(std::move(cx));
    out.checks.push_back(std::move(ce));
  }
  // Final laws as T grows, both deterministic: quantile coupling.
  LevelSpec spec = make_spec(c, s, "as_written", false);
  spec.notes = {"DDPM mean update with sigma_t = 0; start F_T^{-1}(U), control F_0^{-1}(U)"};
  append(out.checks, level_checks(mc, "quantile", c.samples, F, spec, make_sampler(s, Step::ddpm_sigma0)));
  spec = make_spec(c, s, "corrected", c.params.boolean_or("fit_order", true));
  spec.notes = {"DDIM eta = 0; start F_T^{-1}(U), control F_0^{-1}(U) (exact probability-flow map in 1-D)"};
  append(out.checks, level_checks(mc, "quantile", c.samples, F, spec, make_sampler(s, Step::ddim)));
  const std::size_t nf = figure_n(c);
  if (nf > 0)
    out.figures.push_back(histogram_figure(mc, "Deterministic samplers from the exact q_T", s,
                                           {{"as written (DDPM with sigma_t = 0)", Step::ddpm_sigma0},
                                            {"corrected (DDIM, eta = 0)", Step::ddim}},
                                           nf));
  return out;
}

}  // namespace

void register_ddpm_sampling(Registry& r) {
  const std::string fam = "ddpm_sampling";
  const std::vector<std::pair<std::string, std::string>> params = {
      {"schedule", "\"linear\" (betas scaled by 1000/T) or \"cosine\" (default linear)"},
      {"T0", "number of steps at the coarsest level (default 100)"},
      {"levels", "number of doublings of T (default 3)"},
      {"limit_margin", "equivalence margin for the T -> infinity limit, in SDs of f (default: equality)"},
      {"order_margin", "allowed |fitted order - 1| (default 0.25)"},
      {"fit_order", "also fit the order of convergence in 1/T (default true)"},
      {"slope_functional", "index of the functional whose error slope is fitted (default 1 = E[X^2])"},
      {"figure_samples", "samples drawn for the figure (default 3000; 0 = no figure)"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto p = params;
    for (auto& e : extra) p.push_back(std::move(e));
    return p;
  };
  r.add({"ddpm_sampling.ddim", fam,
         "Note 004 3: DDPM with sigma_t = 0 is not DDIM (eps coefficients differ; its law collapses); DDIM eta = 0 "
         "reaches the data law as T -> infinity.",
         {"post_eps_note003"},
         with({{"coef_T", "length of the schedule for the exact coefficient comparison (default 1000)"},
               {"t", "steps t of that schedule at which the coefficients are compared"}}),
         true, false, ddim});
}

}  // namespace verify::claims
