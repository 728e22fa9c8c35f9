// Claim family: the forward (noising) process.
//
// Notes: 001 (forward process q(x_t|x_{t-1}) = N(sqrt(1-beta_t) x_{t-1}, beta_t I)), 002 section 2 (closed-form
// marginal q(x_t|x_0) = N(sqrt(alpha_bar_t) x_0, (1-alpha_bar_t) I)), 003 (the same chain), 004 section 8.1
// (variance-preserving chain and SDE) and 8.2 (variance-exploding chain and SDE).
//
// Ground truth: the chain itself, simulated step by step from its definition
// x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) z_s; moments of x_t are estimated from the simulated draws
// (means directly, variances and covariances by the delta method on the means of x, x^2 and x_i x_j).
// For the SDE limits the discrete chain's variance is computed exactly by the law of total variance
// (Var_i = (1 - beta_i) Var_{i-1} + beta_i, deterministic) and compared with the SDE's exact marginal.
#include <cmath>
#include <numeric>

#include "common.hpp"
#include "forward_process_util.hpp"
#include "verify/mixture.hpp"

namespace verify::claims {

namespace {

using fwd::tlabel;

int max_step(const std::vector<int>& ts) { return *std::max_element(ts.begin(), ts.end()); }

// Per-step tables for the simulation loops: sqrt(1 - beta_s), sqrt(beta_s) for s = 1..tmax, and for each step
// the index of the recorded step (or -1), so the inner loop does no searching and no allocation.
struct ChainTables {
  std::vector<double> a, b;
  std::vector<int> slot;
  ChainTables(const NoiseSchedule& s, const std::vector<int>& ts) {
    const int tmax = max_step(ts);
    a.assign(static_cast<std::size_t>(tmax) + 1, 0.0);
    b = a;
    slot.assign(static_cast<std::size_t>(tmax) + 1, -1);
    for (int st = 1; st <= tmax; ++st) {
      a[static_cast<std::size_t>(st)] = std::sqrt(1.0 - s.beta(st));
      b[static_cast<std::size_t>(st)] = std::sqrt(s.beta(st));
    }
    for (std::size_t j = 0; j < ts.size(); ++j) slot[static_cast<std::size_t>(ts[j])] = static_cast<int>(j);
  }
};

// ---------------------------------------------------------------------------------------------------------
// forward_process.marginal: q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I) at a fixed x_0.
// Outputs per recorded step: x_d, x_d^2 for each coordinate, x_d x_e for each pair.
struct MomentLayout {
  int dim;
  std::size_t per_t() const { return static_cast<std::size_t>(2 * dim + dim * (dim - 1) / 2); }
  std::size_t x(std::size_t k, int d) const { return k * per_t() + static_cast<std::size_t>(d); }
  std::size_t x2(std::size_t k, int d) const { return k * per_t() + static_cast<std::size_t>(dim + d); }
  std::size_t xy(std::size_t k, int d, int e) const {  // d < e
    std::size_t idx = static_cast<std::size_t>(2 * dim);
    for (int a = 0; a < d; ++a) idx += static_cast<std::size_t>(dim - 1 - a);
    return k * per_t() + idx + static_cast<std::size_t>(e - d - 1);
  }
  void write(std::span<double> out, std::size_t k, const double* v) const {
    for (int d = 0; d < dim; ++d) {
      out[x(k, d)] = v[d];
      out[x2(k, d)] = v[d] * v[d];
      for (int e = d + 1; e < dim; ++e) out[xy(k, d, e)] = v[d] * v[e];
    }
  }
};

std::vector<Check> marginal(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& p = c.params;
  const auto x0raw = p.numbers("x0");
  if (x0raw.empty() || x0raw.size() > 8) p.fail("x0", "expected 1 to 8 coordinates");
  const Vec x0 = Eigen::Map<const Vec>(x0raw.data(), static_cast<Eigen::Index>(x0raw.size()));
  const int dim = static_cast<int>(x0.size());
  const auto ts = p.steps("t", s);
  const int tmax = max_step(ts);
  const MomentLayout L{dim};
  const ChainTables tab(s, ts);
  const auto multi = mc.means("chain", c.samples, L.per_t() * ts.size(), [&](Rng& r, std::span<double> out) {
    double x[8];
    for (int d = 0; d < dim; ++d) x[d] = x0[d];
    for (std::size_t step = 1; step <= static_cast<std::size_t>(tmax); ++step) {
      for (int d = 0; d < dim; ++d) x[d] = tab.a[step] * x[d] + tab.b[step] * r.normal();
      if (tab.slot[step] >= 0) L.write(out, static_cast<std::size_t>(tab.slot[step]), x);
    }
  });
  std::vector<Check> out;
  for (std::size_t j = 0; j < ts.size(); ++j) {
    const int t = ts[j];
    const double ab = s.alpha_bar(t), var = 1.0 - ab, sd = std::sqrt(var);
    for (int d = 0; d < dim; ++d) {
      const std::string lab = tlabel(t) + ", coord " + std::to_string(d) + ", x0=" + std::to_string(x0[d]);
      const Estimate mean = multi.estimates[L.x(j, d)];
      const Estimate v = fwd::variance_estimate(multi, L.x(j, d), L.x2(j, d));
      const std::string qm = "E[x_t | x_0] (data units)", qv = "Var[x_t | x_0] (squared data units)";
      const std::string sdn = "sd of x_t given x_0, sqrt(1 - alpha_bar_t)";
      out.push_back(equality_check("as_written", lab, qm, mean, std::sqrt(ab) * x0[d], sd, sdn));
      out.push_back(equality_check("as_written", lab, qv, v, var));
      if (c.include_mutants) {
        out.push_back(equality_check("mutant:alpha_bar_t for sqrt(alpha_bar_t) in the mean", lab, qm, mean, ab * x0[d], sd, sdn));
        out.push_back(equality_check("mutant:alpha_t for alpha_bar_t", lab, qm, mean, std::sqrt(s.alpha(t)) * x0[d], sd, sdn));
        out.push_back(equality_check("mutant:alpha_t for alpha_bar_t", lab, qv, v, 1.0 - s.alpha(t)));
        out.push_back(equality_check("mutant:standard deviation for variance", lab, qv, v, std::sqrt(var)));
        out.push_back(equality_check("mutant:t-1 for t", lab, qv, v, 1.0 - s.alpha_bar(t - 1)));
      }
    }
    for (int d = 0; d < dim; ++d)
      for (int e = d + 1; e < dim; ++e) {
        const Estimate cv = fwd::covariance_estimate(multi, L.x(j, d), L.x(j, e), L.xy(j, d, e));
        out.push_back(equality_check("as_written", tlabel(t) + ", coords " + std::to_string(d) + "," + std::to_string(e),
                                     "Cov[x_t,d, x_t,e | x_0] (squared data units)", cv, 0.0, var,
                                     "marginal variance 1 - alpha_bar_t"));
      }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// forward_process.note004_vp_chain: note 004 section 8.1 writes the recursion with beta (not sqrt(beta)) in
// front of the noise, and the marginal with sqrt(1 - alpha_bar_t) in the covariance slot.
std::vector<Check> note004_vp_chain(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& p = c.params;
  const double x0 = p.number("x0");
  const auto ts = p.steps("t", s);
  const int tmax = max_step(ts);
  const ChainTables tab(s, ts);
  // Both recursions driven by the same normals (common random numbers).
  const auto multi = mc.means("chain", c.samples, 4 * ts.size(), [&](Rng& r, std::span<double> out) {
    double xw = x0, xc = x0;
    for (std::size_t step = 1; step <= static_cast<std::size_t>(tmax); ++step) {
      const double z = r.normal(), b = tab.b[step];
      xw = tab.a[step] * xw + b * b * z;  // as written: beta_{t+1} z
      xc = tab.a[step] * xc + b * z;      // corrected: sqrt(beta_{t+1}) z
      if (const int j = tab.slot[step]; j >= 0) {
        const auto k = static_cast<std::size_t>(4 * j);
        out[k] = xw;
        out[k + 1] = xw * xw;
        out[k + 2] = xc;
        out[k + 3] = xc * xc;
      }
    }
  });
  std::vector<Check> out;
  for (std::size_t j = 0; j < ts.size(); ++j) {
    const int t = ts[j];
    const double ab = s.alpha_bar(t);
    const std::string lab = tlabel(t) + ", x0=" + std::to_string(x0), qv = "Var[x_t | x_0] (squared data units)";
    const Estimate vw = fwd::variance_estimate(multi, 4 * j, 4 * j + 1);
    const Estimate vc = fwd::variance_estimate(multi, 4 * j + 2, 4 * j + 3);
    const double sd = std::sqrt(1.0 - ab);
    out.push_back(equality_check("as_written_recursion", lab, qv + ", chain with beta z", vw, 1.0 - ab));
    out.push_back(equality_check("as_written_covariance", lab, qv + ", chain with sqrt(beta) z", vc, std::sqrt(1.0 - ab)));
    out.push_back(equality_check("corrected", lab, qv + ", chain with sqrt(beta) z", vc, 1.0 - ab));
    out.push_back(equality_check("corrected", lab, "E[x_t | x_0], chain with sqrt(beta) z", multi.estimates[4 * j + 2],
                                 std::sqrt(ab) * x0, sd, "sd of x_t given x_0"));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// forward_process.data_variance: Var(X_t) = alpha_bar_t V_d + (1 - alpha_bar_t) I for x_0 from the mixture.
std::vector<Check> data_variance(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  const auto ts = p.steps("t", s);
  const int tmax = max_step(ts);
  const std::string noising = p.string_or("noising", "chain");
  if (noising != "chain" && noising != "one_shot") p.fail("noising", "expected \"chain\" or \"one_shot\"");
  const int dim = mix.dim();
  if (dim > 8) c.fail("mixture", "data_variance supports mixtures of at most 8 dimensions");
  const MomentLayout L{dim};
  const ChainTables tab(s, ts);
  const auto multi = mc.means("data", c.samples, L.per_t() * ts.size(), [&](Rng& r, std::span<double> out) {
    const Vec x0 = mix.sample(r);
    if (noising == "one_shot") {
      for (std::size_t j = 0; j < ts.size(); ++j) {
        double x[8];
        const double ab = s.alpha_bar(ts[j]);
        for (int d = 0; d < dim; ++d) x[d] = std::sqrt(ab) * x0[d] + std::sqrt(1.0 - ab) * r.normal();
        L.write(out, j, x);
      }
      return;
    }
    double x[8];
    for (int d = 0; d < dim; ++d) x[d] = x0[d];
    for (std::size_t step = 1; step <= static_cast<std::size_t>(tmax); ++step) {
      for (int d = 0; d < dim; ++d) x[d] = tab.a[step] * x[d] + tab.b[step] * r.normal();
      if (tab.slot[step] >= 0) L.write(out, static_cast<std::size_t>(tab.slot[step]), x);
    }
  });
  const Mat V = mix.covariance();
  std::vector<Check> out;
  for (std::size_t j = 0; j < ts.size(); ++j) {
    const int t = ts[j];
    const double ab = s.alpha_bar(t), a = s.alpha(t);
    for (int d = 0; d < dim; ++d)
      for (int e = d; e < dim; ++e) {
        const bool diag = d == e;
        const Estimate est = diag ? fwd::variance_estimate(multi, L.x(j, d), L.x2(j, d))
                                  : fwd::covariance_estimate(multi, L.x(j, d), L.x(j, e), L.xy(j, d, e));
        const double I = diag ? 1.0 : 0.0;
        const double ref = ab * V(d, e) + (1.0 - ab) * I;
        const double scale = std::sqrt((ab * V(d, d) + 1 - ab) * (ab * V(e, e) + 1 - ab));
        const std::string sn = diag ? std::string() : "product of the marginal standard deviations";
        const std::string lab = tlabel(t) + ", entry (" + std::to_string(d) + "," + std::to_string(e) + ")";
        const std::string q = "Cov(X_t) entry, x_0 ~ mixture (squared data units)";
        out.push_back(equality_check("as_written", lab, q, est, ref, diag ? 0.0 : scale, sn));
        if (c.include_mutants) {
          out.push_back(equality_check("mutant:sqrt(1-alpha_bar_t) for 1-alpha_bar_t", lab, q, est,
                                       ab * V(d, e) + std::sqrt(1.0 - ab) * I, diag ? 0.0 : scale, sn));
          out.push_back(equality_check("mutant:sqrt(alpha_bar_t) on V_d", lab, q, est,
                                       std::sqrt(ab) * V(d, e) + (1.0 - ab) * I, diag ? 0.0 : scale, sn));
          out.push_back(equality_check("mutant:alpha_t for alpha_bar_t", lab, q, est, a * V(d, e) + (1.0 - a) * I,
                                       diag ? 0.0 : scale, sn));
        }
      }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// forward_process.sde_limit: the discrete chains converge to their SDEs' exact marginal variances.
// VP: dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw, beta(t) = b0 + t (b1 - b0), Var(t) = 1 + (Var0 - 1) exp(-B(t)),
//     B(t) = b0 t + (b1 - b0) t^2 / 2; chain beta_i = beta(i/N)/N (note 004 section 8.1, beta evaluated at the
//     right end of each step). The note's own step x(t+dt) = sqrt(1 - beta dt) x + sqrt(beta) z (no sqrt(dt) on the
//     noise) is the as-written form.
// VE: dx = sqrt(d[sigma^2]/dt) dw, sigma(t) = s0 (s1/s0)^t, Var(t) = Var0 + sigma^2(t) - sigma^2(0); Euler step
//     x(t+dt) = x(t) + sqrt(d[sigma^2]/dt dt) z at the left end (note 004 section 8.2).
// Discrete variances are exact (law of total variance); the convergence order is the least-squares slope of
// log|error| against log N over the given geometric sequence of N.
double slope_loglog(const std::vector<double>& n, const std::vector<double>& err) {
  const std::size_t k = n.size();
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < k; ++i) {
    mx += std::log(n[i]) / static_cast<double>(k);
    my += std::log(std::abs(err[i])) / static_cast<double>(k);
  }
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < k; ++i) {
    sxy += (std::log(n[i]) - mx) * (std::log(std::abs(err[i])) - my);
    sxx += (std::log(n[i]) - mx) * (std::log(n[i]) - mx);
  }
  return sxy / sxx;
}

std::vector<Check> sde_limit(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  const std::string sde = p.string("sde");
  if (sde != "vp" && sde != "ve") p.fail("sde", "expected \"vp\" or \"ve\"");
  const double tend = p.positive("t_end");
  if (tend > 1.0) p.fail("t_end", "must be in (0, 1]");
  const auto ns = p.integers("N");
  if (ns.size() < 2) p.fail("N", "need at least two step counts");
  for (auto n : ns)
    if (n < 2 || n > 1'000'000) p.fail("N", "step counts must be in 2..1000000");
  const double margin = p.positive("slope_margin");
  const double var0 = mix.covariance()(0, 0);
  std::vector<Check> out;
  std::vector<double> nd, err_c, err_w;
  if (sde == "vp") {
    const double b0 = p.number_or("beta_min", 0.1), b1 = p.number_or("beta_max", 20.0);
    auto beta = [&](double u) { return b0 + u * (b1 - b0); };
    const double B = b0 * tend + 0.5 * (b1 - b0) * tend * tend;
    const double exact = 1.0 + (var0 - 1.0) * std::exp(-B);
    double last_c = 0, last_w = 0;
    for (auto n : ns) {
      // The chain runs N steps over [0, 1]; we stop at step round(t_end N).
      const auto steps = static_cast<long>(std::llround(tend * static_cast<double>(n)));
      if (std::abs(static_cast<double>(steps) - tend * static_cast<double>(n)) > 1e-9)
        p.fail("N", "t_end * N must be an integer for N = " + std::to_string(n));
      const double dt = 1.0 / static_cast<double>(n);
      double vc = var0, vw = var0;
      for (long i = 1; i <= steps; ++i) {
        const double b = beta(static_cast<double>(i) * dt);
        vc = (1.0 - b * dt) * vc + b * dt;  // sqrt(1 - beta_i) x + sqrt(beta_i) z with beta_i = beta(i/N)/N
        vw = (1.0 - b * dt) * vw + b;       // note's step: noise sqrt(beta) z, no sqrt(dt)
      }
      nd.push_back(static_cast<double>(n));
      err_c.push_back(vc - exact);
      err_w.push_back(vw - exact);
      last_c = vc;
      last_w = vw;
    }
    const std::string lab = "VP, t=" + std::to_string(tend) + ", N=" + std::to_string(ns.back());
    const std::string q = "Var(x(t)) of the discrete chain vs SDE (squared data units)";
    out.push_back(equality_check("as_written", lab, q, Estimate::exact(last_w), exact));
    Check sw = equality_check("as_written", "VP, log-log slope of |error| over N", "convergence order (dimensionless)",
                              Estimate::exact(slope_loglog(nd, err_w)), -1.0);
    sw.kind = TestKind::equivalence;
    sw.margin = margin;
    out.push_back(sw);
    Check sc = equality_check("corrected", "VP, log-log slope of |error| over N", "convergence order (dimensionless)",
                              Estimate::exact(slope_loglog(nd, err_c)), -1.0);
    sc.kind = TestKind::equivalence;
    sc.margin = margin;
    sc.notes.push_back("errors at N = " + std::to_string(ns.front()) + " .. " + std::to_string(ns.back()) + ": " +
                       std::to_string(err_c.front()) + " .. " + std::to_string(err_c.back()));
    out.push_back(sc);
    // Monte Carlo: the discrete chain simulated from mixture data has the variance of the exact recursion.
    const auto nmc = p.integer_or("mc_steps", 0);
    if (nmc > 0) {
      if (nmc > 1000) p.fail("mc_steps", "at most 1000");
      const auto steps = static_cast<long>(std::llround(tend * static_cast<double>(nmc)));
      const double dt = 1.0 / static_cast<double>(nmc);
      double v = var0;
      for (long i = 1; i <= steps; ++i) {
        const double b = beta(static_cast<double>(i) * dt);
        v = (1.0 - b * dt) * v + b * dt;
      }
      const auto m = mc.means("vp_chain", c.samples, 2, [&](Rng& r, std::span<double> o) {
        double x = mix.sample(r)[0];
        for (long i = 1; i <= steps; ++i) {
          const double bi = beta(static_cast<double>(i) * dt) * dt;
          x = std::sqrt(1.0 - bi) * x + std::sqrt(bi) * r.normal();
        }
        o[0] = x;
        o[1] = x * x;
      });
      out.push_back(equality_check("corrected", "VP chain simulated, N=" + std::to_string(nmc) + ", coord 0",
                                   "Var(x_N) simulated vs the variance recursion (squared data units)",
                                   fwd::variance_estimate(m, 0, 1), v));
    }
    if (c.include_mutants) {
      out.push_back(equality_check("mutant:drift 1/2 kept in the variance exponent", lab, q, Estimate::exact(last_c),
                                   1.0 + (var0 - 1.0) * std::exp(-0.5 * B)));
      out.push_back(equality_check("mutant:beta(t) t for the integral of beta", lab, q, Estimate::exact(last_c),
                                   1.0 + (var0 - 1.0) * std::exp(-beta(tend) * tend)));
      out.push_back(equality_check("mutant:Var0 for the data variance term dropped", lab, q, Estimate::exact(last_c),
                                   1.0 - std::exp(-B)));
    }
    return out;
  }
  const double s0 = p.positive("sigma_min"), s1 = p.positive("sigma_max");
  auto sig2 = [&](double u) { return std::pow(s0 * std::pow(s1 / s0, u), 2); };
  const double exact = var0 + sig2(tend) - sig2(0.0);
  double last = 0;
  for (auto n : ns) {
    const auto steps = static_cast<long>(std::llround(tend * static_cast<double>(n)));
    if (std::abs(static_cast<double>(steps) - tend * static_cast<double>(n)) > 1e-9)
      p.fail("N", "t_end * N must be an integer for N = " + std::to_string(n));
    const double dt = 1.0 / static_cast<double>(n);
    double v = var0;
    for (long i = 0; i < steps; ++i) v += 2.0 * std::log(s1 / s0) * sig2(static_cast<double>(i) * dt) * dt;
    nd.push_back(static_cast<double>(n));
    err_c.push_back(v - exact);
    last = v;
  }
  Check sc = equality_check("as_written", "VE, log-log slope of |error| over N", "convergence order (dimensionless)",
                            Estimate::exact(slope_loglog(nd, err_c)), -1.0);
  sc.kind = TestKind::equivalence;
  sc.margin = margin;
  sc.notes.push_back("errors at N = " + std::to_string(ns.front()) + " .. " + std::to_string(ns.back()) + ": " +
                     std::to_string(err_c.front()) + " .. " + std::to_string(err_c.back()));
  out.push_back(sc);
  if (c.include_mutants) {
    const std::string lab = "VE, t=" + std::to_string(tend) + ", N=" + std::to_string(ns.back());
    const std::string q = "Var(x(t)) of the Euler chain vs SDE (squared data units)";
    out.push_back(equality_check("mutant:sigma(t) for sigma^2(t)", lab, q, Estimate::exact(last),
                                 var0 + std::sqrt(sig2(tend)) - std::sqrt(sig2(0))));
    out.push_back(equality_check("mutant:sigma(0) term dropped", lab, q, Estimate::exact(last), var0 + sig2(tend)));
    out.push_back(equality_check("mutant:data variance dropped", lab, q, Estimate::exact(last), sig2(tend) - sig2(0)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// forward_process.ve_chain: x_t = x_{t-1} + sqrt(sigma_t^2 - sigma_{t-1}^2) z gives Var(X_t) = V_d + sigma_t^2 I
// (note 004 section 8.2), which needs sigma_0 = 0; in general Var(X_t) = V_d + (sigma_t^2 - sigma_0^2) I.
std::vector<Check> ve_chain(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  const auto sig = p.numbers("sigmas");
  if (sig.size() < 2 || sig.size() > 10001) p.fail("sigmas", "expected sigma_0 .. sigma_N with 1 <= N <= 10000");
  for (std::size_t i = 0; i < sig.size(); ++i) {
    if (!(sig[i] >= 0) || !std::isfinite(sig[i])) p.fail("sigmas", "sigmas must be finite and >= 0");
    if (i > 0 && !(sig[i] > sig[i - 1])) p.fail("sigmas", "sigmas must increase strictly");
  }
  const int N = static_cast<int>(sig.size()) - 1;
  std::vector<int> ts;
  for (auto t : p.integers("t")) {
    if (t < 1 || t > N) p.fail("t", "t = " + std::to_string(t) + " is outside 1.." + std::to_string(N));
    ts.push_back(static_cast<int>(t));
  }
  const int tmax = max_step(ts), dim = mix.dim();
  if (dim > 8) c.fail("mixture", "ve_chain supports mixtures of at most 8 dimensions");
  const MomentLayout L{dim};
  const auto multi = mc.means("ve", c.samples, L.per_t() * ts.size(), [&](Rng& r, std::span<double> out) {
    const Vec x0 = mix.sample(r);
    double x[8];
    for (int d = 0; d < dim; ++d) x[d] = x0[d];
    for (int step = 1; step <= tmax; ++step) {
      const double g = std::sqrt(sig[static_cast<std::size_t>(step)] * sig[static_cast<std::size_t>(step)] -
                                 sig[static_cast<std::size_t>(step - 1)] * sig[static_cast<std::size_t>(step - 1)]);
      for (int d = 0; d < dim; ++d) x[d] += g * r.normal();
      for (std::size_t j = 0; j < ts.size(); ++j)
        if (ts[j] == step) L.write(out, j, x);
    }
  });
  const Mat V = mix.covariance();
  const double s0 = sig.front();
  std::vector<Check> out;
  for (std::size_t j = 0; j < ts.size(); ++j) {
    const int t = ts[j];
    const double st = sig[static_cast<std::size_t>(t)];
    for (int d = 0; d < dim; ++d)
      for (int e = d; e < dim; ++e) {
        const bool diag = d == e;
        const Estimate est = diag ? fwd::variance_estimate(multi, L.x(j, d), L.x2(j, d))
                                  : fwd::covariance_estimate(multi, L.x(j, d), L.x(j, e), L.xy(j, d, e));
        const double I = diag ? 1.0 : 0.0;
        const double scale = diag ? 0.0 : std::sqrt((V(d, d) + st * st) * (V(e, e) + st * st));
        const std::string sn = diag ? std::string() : "product of the marginal standard deviations";
        const std::string lab = tlabel(t) + ", sigma_t=" + std::to_string(st) + ", entry (" + std::to_string(d) + "," +
                                std::to_string(e) + ")";
        const std::string q = "Cov(X_t) entry, x_0 ~ mixture (squared data units)";
        out.push_back(equality_check("as_written", lab, q, est, V(d, e) + st * st * I, scale, sn));
        out.push_back(equality_check("corrected", lab, q, est, V(d, e) + (st * st - s0 * s0) * I, scale, sn));
        if (c.include_mutants) {
          out.push_back(equality_check("mutant:sigma_t for sigma_t^2", lab, q, est, V(d, e) + (st - s0) * I, scale, sn));
          out.push_back(equality_check("mutant:data covariance dropped", lab, q, est, (st * st - s0 * s0) * I, scale, sn));
          const double sp = sig[static_cast<std::size_t>(t - 1)];
          out.push_back(equality_check("mutant:last increment only", lab, q, est, V(d, e) + (st * st - sp * sp) * I, scale, sn));
        }
      }
  }
  return out;
}

}  // namespace

void register_forward_process(Registry& r) {
  const std::string fam = "forward_process";
  r.add({"forward_process.marginal", fam,
         "Simulating x_s = sqrt(1-beta_s) x_{s-1} + sqrt(beta_s) z from a fixed x_0 gives x_t ~ N(sqrt(alpha_bar_t) x_0, (1-alpha_bar_t) I).",
         {}, {{"x0", "starting point x_0 (1 to 8 coordinates)"}, {"t", "steps t at which x_t is recorded"}}, false, true,
         marginal});
  r.add({"forward_process.note004_vp_chain", fam,
         "Note 004 section 8.1: the recursion with beta z (as written) and the marginal with sqrt(1-alpha_bar_t) as covariance.",
         {}, {{"x0", "starting point (scalar)"}, {"t", "steps t at which x_t is recorded"}}, false, true, note004_vp_chain});
  r.add({"forward_process.data_variance", fam,
         "Var(X_t) = alpha_bar_t V_d + (1 - alpha_bar_t) I for x_0 from the mixture.",
         {"forward_process.marginal"}, {{"t", "steps t"}, {"noising", "\"chain\" (simulate every step, default) or \"one_shot\" (closed-form marginal)"}},
         true, true, data_variance});
  r.add({"forward_process.sde_limit", fam,
         "The discrete VP/VE chains converge to the exact marginal variance of their SDEs with order 1 in the step count.",
         {}, {{"sde", "\"vp\" or \"ve\""}, {"t_end", "time in (0, 1] at which variances are compared"},
              {"N", "geometric sequence of step counts"}, {"slope_margin", "allowed |slope + 1| of the log-log fit"},
              {"beta_min", "VP: beta(0) (default 0.1)"}, {"beta_max", "VP: beta(1) (default 20)"},
              {"sigma_min", "VE: sigma(0)"}, {"sigma_max", "VE: sigma(1)"},
              {"mc_steps", "VP: also simulate the chain with this many steps from mixture data (0 = skip)"}},
         true, false, sde_limit});
  r.add({"forward_process.ve_chain", fam,
         "x_t = x_{t-1} + sqrt(sigma_t^2 - sigma_{t-1}^2) z gives Var(X_t) = V_d + sigma_t^2 I (needs sigma_0 = 0).",
         {}, {{"sigmas", "noise levels sigma_0 .. sigma_N"}, {"t", "steps t in 1..N"}}, true, false, ve_chain});
}

}  // namespace verify::claims
