// Claim family: the forward-process posterior q(x_{t-1} | x_t, x_0) and the forms of its mean.
//
// Notes: 001 "Deriving the Posterior" and 002 section 5 (mean coefficients and beta_tilde_t), 003 step 5 and
// 002 section 7 (the epsilon form of the mean), 004 section 4.2 (the score form and Tweedie's formula),
// 003 step 2 (the Bayes step log q(x_t|x_{t-1}) = log q(x_{t-1}|x_t,x_0) + log q(x_t|x_0) - log q(x_{t-1}|x_0)).
//
// Ground truth: the joint law of (x_{t-1}, x_t) given x_0, simulated as x_{t-1} ~ q(x_{t-1}|x_0) (one-shot, the
// forward marginal verified by forward_process.marginal) followed by one forward step
// x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) z. Given x_0 the pair is jointly Gaussian, so E[x_{t-1} | x_t, x_0] is the
// least-squares line of x_{t-1} on x_t and beta_tilde_t is its residual variance. A candidate mean formula m(x_t)
// is the conditional mean exactly when the residual x_{t-1} - m(x_t) has mean 0 and is uncorrelated with x_t.
#include <array>
#include <cmath>
#include <limits>

#include "common.hpp"
#include "forward_process_util.hpp"
#include "verify/diffused.hpp"
#include "verify/mixture.hpp"

namespace verify::claims {

namespace {

using fwd::tlabel;
constexpr double kPi = 3.14159265358979323846;

double log_normal(double x, double m, double v) { return -0.5 * std::log(2 * kPi * v) - 0.5 * (x - m) * (x - m) / v; }

// One draw of (x_{t-1}, x_t) given x_0.
struct Pair {
  double prev, cur;
};
Pair draw_pair(const NoiseSchedule& s, int t, double x0, Rng& r) {
  const double abp = s.alpha_bar(t - 1);
  const double prev = std::sqrt(abp) * x0 + std::sqrt(1.0 - abp) * r.normal();
  return {prev, std::sqrt(s.alpha(t)) * prev + std::sqrt(s.beta(t)) * r.normal()};
}

// ---------------------------------------------------------------------------------------------------------
// posterior.regression: slope, mean at the centre and residual variance of x_{t-1} on x_t, given x_0.
ClaimOutput regression(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& p = c.params;
  const double x0 = p.number("x0");
  const auto ts = p.steps("t", s);
  std::vector<int> fig_ts;
  if (p.has("figure_t")) fig_ts = p.steps("figure_t", s);
  ClaimOutput out;
  for (const int t : ts) {
    const std::string lab = tlabel(t) + ", x0=" + std::to_string(x0);
    const double cxt = s.posterior_coef_xt(t), cx0 = s.posterior_coef_x0(t), bt = s.beta_tilde(t);
    const double centre = std::sqrt(s.alpha_bar(t)) * x0;  // any fixed x_t would do; this one is typical
    const std::string qs = "slope of E[x_{t-1}|x_t,x_0] in x_t (dimensionless)";
    const std::string qm = "E[x_{t-1}|x_t = sqrt(alpha_bar_t) x_0, x_0] (data units)";
    const std::string qv = "Var[x_{t-1}|x_t,x_0] (squared data units)";
    if (t == 1) {
      // x_0 is given, so x_{t-1} = x_0 is a constant: the posterior is a point mass at x_0. Slope 0, mean x_0 and
      // residual variance 0 are exact; they are compared with the formulas at 8 ulps.
      Check a = equality_check("as_written", lab, qs, Estimate::exact(0.0), cxt);
      // posterior_coef_x0(1) = beta_1/(1 - alpha_bar_1) carries the rounding of 1 - alpha_bar_1, amplified by
      // 1/(1 - alpha_bar_1); the exact comparison allows 8 ulps of that amplified size.
      Estimate ex0 = Estimate::exact(x0);
      ex0.std_error = 8 * std::numeric_limits<double>::epsilon() * std::abs(x0) / (1.0 - s.alpha_bar(1));
      Check b = equality_check("as_written", lab, qm, ex0, cxt * centre + cx0 * x0);
      Check v = equality_check("as_written", lab, qv, Estimate::exact(0.0), bt);
      for (Check* k : {&a, &b, &v}) k->notes.push_back("t=1: x_{t-1} = x_0 is given, point-mass posterior, beta_tilde_1 = 0");
      out.checks.insert(out.checks.end(), {a, b, v});
      continue;
    }
    // Outputs: u = x_t, v = x_{t-1}, u^2, u v, v^2.
    const auto m = mc.means("pair_" + std::to_string(t), c.samples, 5, [&](Rng& r, std::span<double> o) {
      const Pair q = draw_pair(s, t, x0, r);
      o[0] = q.cur;
      o[1] = q.prev;
      o[2] = q.cur * q.cur;
      o[3] = q.cur * q.prev;
      o[4] = q.prev * q.prev;
    });
    auto slope_of = [](const std::vector<double>& e) { return (e[3] - e[0] * e[1]) / (e[2] - e[0] * e[0]); };
    const Estimate slope = fwd::delta_estimate(m, slope_of);
    const Estimate mean_c = fwd::delta_estimate(m, [&](const std::vector<double>& e) { return e[1] - slope_of(e) * (e[0] - centre); });
    const Estimate resv = fwd::delta_estimate(m, [&](const std::vector<double>& e) {
      const double cov = e[3] - e[0] * e[1], vu = e[2] - e[0] * e[0];
      return (e[4] - e[1] * e[1]) - cov * cov / vu;
    });
    const double psd = std::sqrt(bt);
    const std::string psn = "posterior sd sqrt(beta_tilde_t)";
    // The slope acts through slope * x_t; an error d shifts the mean by d sd(x_t). Its scale is |slope|, but not below
    // sqrt(beta_tilde_t/(1-alpha_bar_t)) (the error that moves the mean by one posterior sd per sd of x_t), which
    // matters at the clipped cosine end where the slope is ~sqrt(alpha_T) = 0.03.
    const double sscale = std::max(std::abs(cxt), std::sqrt(bt / (1.0 - s.alpha_bar(t))));
    out.checks.push_back(equality_check("as_written", lab, qs, slope, cxt, sscale,
                                        "max(|slope|, sqrt(beta_tilde_t/(1-alpha_bar_t)))"));
    out.checks.push_back(equality_check("as_written", lab, qm, mean_c, cxt * centre + cx0 * x0, psd, psn));
    out.checks.push_back(equality_check("as_written", lab, qv, resv, bt));
    if (c.include_mutants) {
      const double ab = s.alpha_bar(t), abp = s.alpha_bar(t - 1), b = s.beta(t), a = s.alpha(t);
      out.checks.push_back(equality_check("mutant:beta_t for beta_tilde_t", lab, qv, resv, b));
      out.checks.push_back(equality_check("mutant:alpha_bar_t for alpha_bar_{t-1} in the x_0 coefficient", lab, qm, mean_c,
                                          cxt * centre + std::sqrt(ab) * b / (1 - ab) * x0, psd, psn));
      out.checks.push_back(equality_check("mutant:alpha_t for sqrt(alpha_t) in the x_t coefficient", lab, qs, slope,
                                          a * (1 - abp) / (1 - ab), sscale, "max(|slope|, sqrt(beta_tilde_t/(1-alpha_bar_t)))"));
    }
    // Figure: x_{t-1} - slope (x_t - centre) are draws from q(x_{t-1} | x_t = centre, x_0) (the regression residuals
    // shifted to the centre); histogram densities with SEs against N(mu_tilde, beta_tilde_t).
    if (std::find(fig_ts.begin(), fig_ts.end(), t) != fig_ts.end()) {
      const int bins = 30;
      const double mu = cxt * centre + cx0 * x0, lo = mu - 4 * psd, w = 8 * psd / bins;
      const double sl = slope.mean;
      const auto h = mc.means("figure_" + std::to_string(t), std::max<std::size_t>(c.samples / 10, 1000), bins,
                              [&](Rng& r, std::span<double> o) {
                                const Pair q = draw_pair(s, t, x0, r);
                                const double y = q.prev - sl * (q.cur - centre);
                                for (auto& v : o) v = 0;
                                const auto k = static_cast<long>(std::floor((y - lo) / w));
                                if (k >= 0 && k < bins) o[static_cast<std::size_t>(k)] = 1;
                              });
      Series hist{"simulated x_{t-1} given x_t, x_0 (regression residuals)", "steps", {}, {}, {}};
      Series dens{"N(mu_tilde_t, beta_tilde_t)", "lines", {}, {}, {}};
      for (int k = 0; k < bins; ++k) {
        hist.x.push_back(lo + (k + 0.5) * w);  // bin centres
        hist.y.push_back(h.estimates[static_cast<std::size_t>(k)].mean / w);
        hist.err.push_back(h.estimates[static_cast<std::size_t>(k)].std_error / w);
      }
      for (int k = 0; k <= 200; ++k) {
        const double x = lo + 8 * psd * k / 200.0;
        dens.x.push_back(x);
        dens.y.push_back(std::exp(log_normal(x, mu, bt)));
      }
      out.figures.push_back(Figure{"posterior_t" + std::to_string(t),
                                   "q(x_{t-1} | x_t, x_0) at t=" + std::to_string(t) + ", x_0=" + std::to_string(x0),
                                   "x_{t-1}", "density", false, false, {hist, dens}});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Residual test of a mean formula m(x_t): E[x_{t-1} - m] = 0 and E[(x_{t-1} - m) (x_t - E x_t)/sd(x_t)] = 0.
// The formula is given per draw (it may use x_0 and the true eps); each output also carries the mutants.
template <class F>
std::vector<Check> residual_checks(const MonteCarlo& mc, const std::string& stream, std::size_t n, const NoiseSchedule& s,
                                   int t, double x0, const std::vector<std::string>& forms, F&& formulas,
                                   const std::string& label) {
  const std::size_t k = forms.size();
  const double ab = s.alpha_bar(t), centre = std::sqrt(ab) * x0, sd = std::sqrt(1.0 - ab);
  const auto m = mc.means(stream, n, 2 * k, [&](Rng& r, std::span<double> o) {
    const Pair q = draw_pair(s, t, x0, r);
    const double eps = (q.cur - centre) / sd;  // the eps with x_t = sqrt(alpha_bar_t) x_0 + sqrt(1-alpha_bar_t) eps
    std::array<double, 8> f{};
    formulas(q.cur, eps, f);
    for (std::size_t i = 0; i < k; ++i) {
      o[2 * i] = q.prev - f[i];
      o[2 * i + 1] = (q.prev - f[i]) * eps;
    }
  });
  std::vector<Check> out;
  const double psd = std::sqrt(s.beta_tilde(t));
  for (std::size_t i = 0; i < k; ++i) {
    out.push_back(equality_check(forms[i], label, "E[x_{t-1} - formula] (data units)", m.estimates[2 * i], 0.0, psd,
                                 "posterior sd sqrt(beta_tilde_t)"));
    out.push_back(equality_check(forms[i], label, "E[(x_{t-1} - formula) eps] (data units)", m.estimates[2 * i + 1], 0.0,
                                 psd, "posterior sd sqrt(beta_tilde_t)"));
  }
  return out;
}

// posterior.eps_form: mu = (x_t - c_t eps)/sqrt(alpha_t), c_t = beta_t/sqrt(1-alpha_bar_t) (note 003 step 5) or
// (1-alpha_t)/sqrt(1-alpha_bar_t) (note 002 section 7, mu_theta with eps_theta = the true eps).
std::vector<Check> eps_form(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& p = c.params;
  const auto x0s = p.numbers("x0");
  const auto ts = p.steps("t", s);
  const std::string coef = p.string_or("coefficient", "beta");
  if (coef != "beta" && coef != "one_minus_alpha") p.fail("coefficient", "expected \"beta\" or \"one_minus_alpha\"");
  std::vector<Check> out;
  for (const int t : ts) {
    if (t == 1) p.fail("t", "t = 1: the posterior is a point mass (beta_tilde_1 = 0); the residual test needs t >= 2");
    const double a = s.alpha(t), ab = s.alpha_bar(t), ct = (coef == "beta" ? s.beta(t) : 1.0 - a) / std::sqrt(1 - ab);
    std::vector<std::string> forms{"as_written"};
    if (c.include_mutants)
      forms.insert(forms.end(), {"mutant:sign of the eps term flipped", "mutant:sqrt(1-alpha_bar_t) in the numerator",
                                 "mutant:1/sqrt(alpha_t) dropped"});
    for (std::size_t i = 0; i < x0s.size(); ++i) {
      const double x0 = x0s[i];
      const auto chk = residual_checks(
          mc, "eps_" + std::to_string(t) + "_" + std::to_string(i), c.samples, s, t, x0, forms,
          [&](double xt, double eps, std::array<double, 8>& f) {
            f[0] = (xt - ct * eps) / std::sqrt(a);
            if (forms.size() > 1) {
              f[1] = (xt + ct * eps) / std::sqrt(a);
              f[2] = (xt - s.beta(t) * std::sqrt(1 - ab) * eps) / std::sqrt(a);
              f[3] = xt - ct * eps;
            }
          },
          tlabel(t) + ", x0=" + std::to_string(x0));
      out.insert(out.end(), chk.begin(), chk.end());
      // Pointwise: the eps form equals mu_tilde(x_t, x_0) algebraically, including far-tail eps (posterior.regression
      // verified mu_tilde's coefficients). Rounding scale: 8 ulps of the sum of the magnitudes of the terms.
      for (const double e : {-6.0, -1.0, 0.5, 6.0}) {
        const double xt = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * e;
        const double lhs = (xt - ct * e) / std::sqrt(a);
        const double rhs = s.posterior_coef_xt(t) * xt + s.posterior_coef_x0(t) * x0;
        Estimate ex = Estimate::exact(lhs);
        // Rounding scale: 8 ulps of the summed magnitudes, times the amplification 1/(1 - alpha_bar_{t-1}) +
        // 1/(1 - alpha_bar_t) of the rounding in 1 - alpha_bar that both coefficient sets contain.
        ex.std_error = 8 * std::numeric_limits<double>::epsilon() *
                       (std::abs(xt / std::sqrt(a)) + std::abs(ct * e / std::sqrt(a)) + std::abs(rhs)) *
                       (1.0 / (1.0 - s.alpha_bar(t - 1)) + 1.0 / (1.0 - ab));
        out.push_back(equality_check("as_written", tlabel(t) + ", x0=" + std::to_string(x0) + ", eps=" + std::to_string(e),
                                     "eps form minus mu_tilde(x_t, x_0) formula, pointwise (data units)", ex, rhs));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// posterior.score_form (note 004 section 4.2), 1-D mixtures.
// mu_q = x_t/sqrt(alpha_t) + (1-alpha_t)/sqrt(alpha_t) * score, with score = the conditional score
// grad log q(x_t|x_0) = -(x_t - sqrt(alpha_bar_t) x_0)/(1 - alpha_bar_t) (as written: holds), or the marginal
// score grad log q_t(x_t) of the noised mixture (pointwise in x_0: refuted; averaged over p(x_0|x_t): Tweedie).
struct Mix1D {
  std::vector<double> lw, m, v;
  Mix1D(const GaussianMixture& g, double ab) {
    for (std::size_t k = 0; k < g.size(); ++k) {
      lw.push_back(std::log(g.weights()[k]));
      m.push_back(std::sqrt(ab) * g.components()[k].mean()[0]);
      v.push_back(ab * g.components()[k].cov()(0, 0) + 1.0 - ab);
    }
  }
  double score(double x) const {
    double mx = -std::numeric_limits<double>::infinity();
    double l[64];
    for (std::size_t k = 0; k < lw.size(); ++k) mx = std::max(mx, l[k] = lw[k] + log_normal(x, m[k], v[k]));
    double z = 0, num = 0;
    for (std::size_t k = 0; k < lw.size(); ++k) {
      const double e = std::exp(l[k] - mx);
      z += e;
      num += e * (-(x - m[k]) / v[k]);
    }
    return num / z;
  }
};

std::vector<Check> score_form(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  if (mix.dim() != 1) p.fail("t", "score_form uses 1-D mixtures");
  if (mix.size() > 64) p.fail("t", "score_form uses mixtures of at most 64 components");
  const auto x0s = p.numbers("x0");
  const auto xts = p.numbers("xt_points");
  const auto ts = p.steps("t", s);
  std::vector<Check> out;
  const double eps_m = std::numeric_limits<double>::epsilon();
  for (const int t : ts) {
    if (t == 1) p.fail("t", "t = 1: the posterior is a point mass (beta_tilde_1 = 0); the residual test needs t >= 2");
    const double a = s.alpha(t), ab = s.alpha_bar(t), k1 = 1 / std::sqrt(a), k2 = (1 - a) / std::sqrt(a);
    const Mix1D qt(mix, ab);
    // Fixed x_0: conditional score (as written) and marginal score (pointwise substitution).
    std::vector<std::string> forms{"as_written", "marginal_score_pointwise"};
    if (c.include_mutants) forms.insert(forms.end(), {"mutant:1-alpha_bar_t for 1-alpha_t", "mutant:score sign flipped"});
    for (std::size_t i = 0; i < x0s.size(); ++i) {
      const double x0 = x0s[i];
      const auto chk = residual_checks(
          mc, "score_" + std::to_string(t) + "_" + std::to_string(i), c.samples, s, t, x0, forms,
          [&](double xt, double, std::array<double, 8>& f) {
            const double cs = -(xt - std::sqrt(ab) * x0) / (1 - ab);
            f[0] = k1 * xt + k2 * cs;
            f[1] = k1 * xt + k2 * qt.score(xt);
            if (forms.size() > 2) {
              f[2] = k1 * xt + (1 - ab) / std::sqrt(a) * cs;
              f[3] = k1 * xt - k2 * cs;
            }
          },
          tlabel(t) + ", x0=" + std::to_string(x0));
      out.insert(out.end(), chk.begin(), chk.end());
    }
    // x_0 ~ mixture: residual x_{t-1} - (x_t/sqrt(alpha_t) + k2 grad log q_t(x_t)) has mean 0 and is uncorrelated with
    // x_t and with the indicator of x_t > 0 (E[x_{t-1}|x_t] = E[mu_tilde|x_t], Tweedie). Scale: residual sd.
    const auto m = mc.means("tweedie_" + std::to_string(t), c.samples, 3, [&](Rng& r, std::span<double> o) {
      const double x0 = mix.sample(r)[0];
      const Pair q = draw_pair(s, t, x0, r);
      const double res = q.prev - (k1 * q.cur + k2 * qt.score(q.cur));
      o[0] = res;
      o[1] = res * q.cur;
      o[2] = q.cur > 0 ? res : 0.0;
    });
    const char* qn[3] = {"E[x_{t-1} - formula], x_0 ~ mixture", "E[(x_{t-1} - formula) x_t], x_0 ~ mixture",
                         "E[(x_{t-1} - formula) 1{x_t > 0}], x_0 ~ mixture"};
    for (std::size_t j = 0; j < 3; ++j)
      out.push_back(equality_check("marginal_score_tweedie", tlabel(t), std::string(qn[j]) + " (data units)",
                                   m.estimates[j], 0.0, m.estimates[j].std_dev, "sd of the integrand"));
    // Pointwise in x_t (far tails included): E_{x_0 ~ p(x_0|x_t)}[mu_tilde(x_t, x_0)] from the exact mixture posterior
    // of x_0 (mu_tilde's formula verified by posterior.regression), against the marginal-score formula.
    const auto noise = LinearGaussianNoise::ddpm(s, t, 1);
    for (std::size_t i = 0; i < xts.size(); ++i) {
      const double xt = xts[i];
      const GaussianMixture post = posterior_of_x0(mix, noise, Vec::Constant(1, xt));
      std::vector<double> cw, pm, ps;  // cumulative weights, means, sds of p(x_0|x_t)
      double acc = 0;
      for (std::size_t j = 0; j < post.size(); ++j) {
        cw.push_back(acc += post.weights()[j]);
        pm.push_back(post.components()[j].mean()[0]);
        ps.push_back(std::sqrt(post.components()[j].cov()(0, 0)));
      }
      const Estimate e = mc.mean("tweedie_pt_" + std::to_string(t) + "_" + std::to_string(i), c.samples, [&](Rng& r) {
        const double u = r.uniform() * acc;
        std::size_t j = 0;
        while (j + 1 < cw.size() && u > cw[j]) ++j;
        return s.posterior_coef_xt(t) * xt + s.posterior_coef_x0(t) * (pm[j] + ps[j] * r.normal());
      });
      const double sc = std::max(e.std_dev, 1e-3 * std::sqrt(s.beta_tilde(t)));
      out.push_back(equality_check("marginal_score_tweedie", tlabel(t) + ", x_t=" + std::to_string(xt),
                                   "E[mu_tilde(x_t, x_0) | x_t] (data units)", e, k1 * xt + k2 * qt.score(xt), sc,
                                   "sd of mu_tilde over p(x_0|x_t)"));
      // Note 004's sqrt(alpha_bar_t) x_0 = x_t + (1 - alpha_bar_t) grad log p_{x_0}(x_t): algebraic with the
      // conditional score; rounding scale 8 ulps of the summed magnitudes.
      for (const double x0 : x0s) {
        const double cs = -(xt - std::sqrt(ab) * x0) / (1 - ab);
        Estimate ex = Estimate::exact(xt + (1 - ab) * cs);
        ex.std_error = 8 * eps_m * (std::abs(xt) + std::abs((1 - ab) * cs) + std::abs(std::sqrt(ab) * x0)) / (1 - ab);
        out.push_back(equality_check("conditional_tweedie_identity",
                                     tlabel(t) + ", x_t=" + std::to_string(xt) + ", x0=" + std::to_string(x0),
                                     "x_t + (1 - alpha_bar_t) grad log p_{x_0}(x_t) (data units)", ex, std::sqrt(ab) * x0));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// posterior.bayes_step (note 003 step 2): log q(x_t|x_{t-1}) = log q(x_{t-1}|x_t,x_0) + log q(x_t|x_0) - log q(x_{t-1}|x_0)
// pointwise on sampled trajectories. Estimated: E[(lhs - rhs)^2 / size^2], size = sum of the four |log-densities|;
// the claim (an exact identity) is that this stays below (rounding_ulps * eps)^2.
std::vector<Check> bayes_step(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  if (mix.dim() != 1) p.fail("t", "bayes_step uses 1-D mixtures");
  const auto ts = p.steps("t", s);
  const double ulps = p.positive("rounding_ulps");
  const double bound = std::pow(ulps * std::numeric_limits<double>::epsilon(), 2);
  std::vector<Check> out;
  for (const int t : ts) {
    if (t == 1) p.fail("t", "t = 1: q(x_0|x_1,x_0) is a point mass (beta_tilde_1 = 0) and has no log-density");
    const double a = s.alpha(t), ab = s.alpha_bar(t), abp = s.alpha_bar(t - 1), b = s.beta(t), bt = s.beta_tilde(t);
    const double cxt = s.posterior_coef_xt(t), cx0 = s.posterior_coef_x0(t);
    const std::size_t k = c.include_mutants ? 4 : 1;
    const auto m = mc.means("bayes_" + std::to_string(t), c.samples, k, [&](Rng& r, std::span<double> o) {
      const double x0 = mix.sample(r)[0];
      const Pair q = draw_pair(s, t, x0, r);
      const double lhs = log_normal(q.cur, std::sqrt(a) * q.prev, b);
      const double lpost = log_normal(q.prev, cxt * q.cur + cx0 * x0, bt);
      const double lt = log_normal(q.cur, std::sqrt(ab) * x0, 1 - ab);
      const double lp = log_normal(q.prev, std::sqrt(abp) * x0, 1 - abp);
      // Rounding scale of each log-density: |log N| plus the cancellation in (x - m)^2/(2v), about (|x|+|m|)|x-m|/v.
      auto rs = [](double x, double mm, double v, double l) { return std::abs(l) + (std::abs(x) + std::abs(mm)) * std::abs(x - mm) / v; };
      const double size = rs(q.cur, std::sqrt(a) * q.prev, b, lhs) + rs(q.prev, cxt * q.cur + cx0 * x0, bt, lpost) +
                          rs(q.cur, std::sqrt(ab) * x0, 1 - ab, lt) + rs(q.prev, std::sqrt(abp) * x0, 1 - abp, lp);
      auto sq = [&](double rhs) { return (lhs - rhs) * (lhs - rhs) / (size * size); };
      o[0] = sq(lpost + lt - lp);
      if (k > 1) {
        o[1] = sq(lpost + lt);
        o[2] = sq(log_normal(q.prev, cxt * q.cur + cx0 * x0, b) + lt - lp);
        o[3] = sq(lpost - lt + lp);
      }
    });
    const char* forms[4] = {"as_written", "mutant:log q(x_{t-1}|x_0) dropped", "mutant:beta_t for beta_tilde_t",
                            "mutant:marginal terms swapped"};
    for (std::size_t i = 0; i < k; ++i) {
      Check ch = equality_check(forms[i], tlabel(t), "E[((lhs - rhs)/S)^2], S = sum of the terms' rounding scales (dimensionless)",
                                m.estimates[i], bound, bound, "rounding bound (rounding_ulps * eps)^2");
      ch.kind = TestKind::at_most;
      if (i == 0)
        ch.notes.push_back("note 003 writes q(x_t|x_{t-1}); it equals q(x_t|x_{t-1},x_0) by the Markov property of the chain");
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

void register_posterior(Registry& r) {
  const std::string fam = "posterior";
  r.add({"posterior.regression", fam,
         "q(x_{t-1}|x_t,x_0) has mean coefficients posterior_coef_xt/x0 and variance beta_tilde_t (regression of simulated pairs).",
         {"forward_process.marginal"},
         {{"x0", "fixed x_0 (scalar)"}, {"t", "steps t"}, {"figure_t", "steps with a histogram figure (subset of t)"}},
         false, true, regression});
  r.add({"posterior.eps_form", fam,
         "mu_tilde = (x_t - c_t eps)/sqrt(alpha_t), c_t = beta_t/sqrt(1-alpha_bar_t), with the true eps.",
         {"forward_process.marginal", "posterior.regression"},
         {{"x0", "fixed x_0 values"}, {"t", "steps t >= 2"},
          {"coefficient", "\"beta\" (note 003: beta_t) or \"one_minus_alpha\" (note 002: 1 - alpha_t)"}},
         false, true, eps_form});
  r.add({"posterior.score_form", fam,
         "mu_q = x_t/sqrt(alpha_t) + (1-alpha_t)/sqrt(alpha_t) grad log p_{x_0}(x_t) (conditional score); marginal-score and Tweedie variants.",
         {"forward_process.marginal", "posterior.regression"},
         {{"x0", "fixed x_0 values"}, {"t", "steps t >= 2"}, {"xt_points", "x_t values for the pointwise Tweedie check"}},
         true, true, score_form});
  r.add({"posterior.bayes_step", fam,
         "log q(x_t|x_{t-1}) = log q(x_{t-1}|x_t,x_0) + log q(x_t|x_0) - log q(x_{t-1}|x_0) pointwise on trajectories.",
         {"forward_process.marginal", "posterior.regression"},
         {{"t", "steps t >= 2"}, {"rounding_ulps", "allowed RMS relative residual in units of machine epsilon"}}, true,
         true, bayes_step});
}

}  // namespace verify::claims
