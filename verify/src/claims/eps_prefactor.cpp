// Claim family: the prefactor of the epsilon-prediction loss (note 003 steps 4-6). Note 002 section 8's prefactor is
// checked by formulas in cases/eps_prefactor/eps_note002_*.toml; what is left here is note 003's step-5 ratio across
// two models at fixed t, the step-6 ratio against a reference step, and the weight profile (means and medians over
// halves of the schedule), which the formula vocabulary does not express yet.
//
// Statement. With x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, the model mean
// mu_theta = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_t) and model variance sigma_t^2,
//     L_{t-1} = E KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)) = lambda_t E||eps - eps_theta||^2 + C_t.
// Derivation: mu_tilde_t = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t), hence
//     mu_tilde - mu_theta = beta_t / (sqrt(alpha_t) sqrt(1 - alpha_bar_t)) (eps_theta - eps),
// and with the KL of two isotropic Gaussians (mean term over 2 sigma_t^2):
//     lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)),
//     C_t = d/2 (log(sigma_t^2 / beta_tilde_t) + beta_tilde_t / sigma_t^2 - 1)   (0 when sigma_t^2 = beta_tilde_t).
// Note 002 section 8 writes lambda_t = alpha_t^2 / (2 beta_tilde_t (1 - alpha_bar_t)); note 003 step 5 writes
// L_{t-1} proportional to beta_t^2/(alpha_t (1 - alpha_bar_t)) ||eps - eps_theta||^2 (true at fixed t, the constant
// being 1/(2 sigma_t^2)), and its step-6 table uses beta_t^2/(alpha_t (1 - alpha_bar_t)) as the VLB weight across t,
// which drops the t-dependent 1/(2 sigma_t^2).
//
// Ground truth: L_{t-1} - C_t = E[log q(x_{t-1}|x_t,x_0) - log p_theta(x_{t-1}|x_t)] - C_t over x_0 ~ mixture,
// eps ~ N(0, I), x_{t-1} ~ q(x_{t-1}|x_t,x_0): log-density ratios of samples, never the Gaussian KL formula. C_t is
// exactly known and subtracted. Compared with lambda * ||eps - eps_theta||^2 on the same draws (paired).
// The imperfect models: eps_theta = scale * eps*(x_t) + b, with eps* = -sqrt(1 - alpha_bar_t) grad log p_t(x_t)
// the exact optimum, and b a constant that alone moves the reverse mean by gap_sd posterior SDs, so that the KL per
// draw is O(gap^2/2) nats and the log-ratio estimator reaches 1% power (its relative SE per draw is about 2/gap).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "denoising_util.hpp"

namespace verify::claims {

namespace {

using namespace denoising;

// Model variance sigma_t^2 from the case ("beta_tilde" default).
double model_variance(const CaseSpec& c, int t) {
  if (t == 1)
    c.params.fail("steps", "t = 1: beta_tilde_1 = 0, the posterior q(x_0|x_1,x_0) is a point mass and L_0 is the "
                           "decoder term, not a KL; use t >= 2");
  return variance_param(c, "model_variance", t, "beta_tilde");
}

double true_lambda(const NoiseSchedule& s, int t, double sigma2) {
  const double b = s.beta(t);
  return b * b / (2 * sigma2 * s.alpha(t) * (1 - s.alpha_bar(t)));
}
double note002_lambda(const NoiseSchedule& s, int t) {
  const double a = s.alpha(t);
  return a * a / (2 * s.beta_tilde(t) * (1 - s.alpha_bar(t)));
}
double note003_weight(const NoiseSchedule& s, int t) {
  const double b = s.beta(t);
  return b * b / (s.alpha(t) * (1 - s.alpha_bar(t)));
}

// One imperfect epsilon model: eps_theta = scale * eps*(x_t) + bias (constant vector).
struct EpsModel {
  double scale;
  Vec bias;
};

// The setup of step t shared by the estimators.
struct Step {
  int t, d;
  double ab, sab, snab, bt, sigma2, c0, ct, mean_coef, alpha, C;
  ExactDenoiser den;
  Step(const GaussianMixture& mix, const NoiseSchedule& s, int t_, double sigma2_)
      : t(t_), d(mix.dim()), ab(s.alpha_bar(t_)), sab(std::sqrt(ab)), snab(std::sqrt(1 - ab)), bt(s.beta_tilde(t_)),
        sigma2(sigma2_), c0(s.posterior_coef_x0(t_)), ct(s.posterior_coef_xt(t_)),
        mean_coef(s.beta(t_) / std::sqrt(1 - ab)), alpha(s.alpha(t_)),
        C(0.5 * d * (std::log(sigma2_ / bt) + bt / sigma2_ - 1)), den(mix, LinearGaussianNoise::ddpm(s, t_, mix.dim())) {}
  // Bias that alone moves mu_theta by gap posterior SDs (split evenly over the coordinates, with a sign).
  Vec bias_for_gap(double gap) const {
    return Vec::Constant(d, gap * std::sqrt(bt) * std::sqrt(alpha) / mean_coef / std::sqrt(static_cast<double>(d)));
  }
};

// One draw: writes A = log q - log p_theta - C (nats) and B = ||eps - eps_theta||^2 for each model.
template <class Out>
void draw(const GaussianMixture& mix, const Step& st, const std::vector<EpsModel>& models, Rng& rng, Out&& out) {
  const int d = st.d;
  const Vec x0 = mix.sample(rng);
  Vec eps(d), z(d);
  rng.normals(eps.data(), static_cast<std::size_t>(d));
  const Vec xt = st.sab * x0 + st.snab * eps;
  const Vec eps_star = -st.snab * st.den.score(xt);
  const Vec mq = st.c0 * x0 + st.ct * xt;  // posterior mean mu_tilde(x_t, x_0)
  rng.normals(z.data(), static_cast<std::size_t>(d));
  const Vec x = mq + std::sqrt(st.bt) * z;  // x_{t-1} ~ q(x_{t-1} | x_t, x_0)
  const double lq = log_normal_iso(x, mq, st.bt);
  for (std::size_t i = 0; i < models.size(); ++i) {
    const Vec eth = models[i].scale * eps_star + models[i].bias;
    const Vec mp = (xt - st.mean_coef * eth) / std::sqrt(st.alpha);
    out(i, lq - log_normal_iso(x, mp, st.sigma2) - st.C, (eps - eth).squaredNorm());
  }
}

// R = (L - C) / (w E||eps - eps_theta||^2) for model i (means 2i, 2i+1 of m), with its delta-method SE.
Estimate ratio_R(const MonteCarlo::Multi& m, std::size_t i, double w, std::size_t k) {
  const double A = m.estimates[2 * i].mean, B = m.estimates[2 * i + 1].mean;
  std::vector<double> g(k, 0.0);
  g[2 * i] = 1 / (w * B);
  g[2 * i + 1] = -A / (w * B * B);
  return delta_method(m, A / (w * B), g);
}

// Note 003 steps 5-6: proportionality at fixed t (holds) and the table weight as the VLB weight across t.
ClaimOutput note003(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  const int ref = p.step("ref_step", s);
  const double gap = p.number_or("gap_sd", 6.0);
  std::vector<int> steps = p.steps("steps", s);
  std::vector<Check> out;
  struct AtT {
    int t;
    double sigma2;
    Estimate R;  // model a's R = (L - C) / (w_t E||.||^2), w_t = note 003's table weight
  };
  std::vector<AtT> at;
  bool have_ref = false;
  for (int t : steps) have_ref |= t == ref;
  if (!have_ref) steps.push_back(ref);
  for (int t : steps) {
    const Step st(mix, s, t, model_variance(c, t));
    // Two different imperfect models; the step-5 statement says (L - C)/(w E||.||^2) is the same for both.
    const std::vector<EpsModel> models{{1.1, st.bias_for_gap(gap)}, {0.8, 0.6 * st.bias_for_gap(gap)}};
    const auto m = mc.means("kl/t=" + std::to_string(t), c.samples, 4, [&](Rng& rng, std::span<double> o) {
      draw(mix, st, models, rng, [&](std::size_t i, double A, double B) {
        o[2 * i] = A;
        o[2 * i + 1] = B;
      });
    });
    const double w = note003_weight(s, t);
    const std::string label = "t=" + std::to_string(t) + ", sigma_t^2=" + num_label(st.sigma2);
    // Step 5 at fixed t: R_a / R_b = 1 (the proportionality constant does not depend on the model).
    {
      const double Aa = m.estimates[0].mean, Ba = m.estimates[1].mean, Ab = m.estimates[2].mean, Bb = m.estimates[3].mean;
      const double q = (Aa * Bb) / (Ba * Ab);
      const Estimate e = delta_method(m, q, {q / Aa, -q / Ba, -q / Ab, q / Bb});
      Check ch = equality_check("as_written_step5", label,
                                "ratio of (L-C)/(w_t E||eps-eps_theta||^2) between two eps models (dimensionless)", e, 1.0);
      ch.notes.push_back("model a: 1.1 eps* + b, model b: 0.8 eps* + 0.6 b; L_a - C = " + num_label(Aa) + ", L_b - C = " + num_label(Ab));
      out.push_back(std::move(ch));
    }
    const Estimate Ra = ratio_R(m, 0, w, 4);
    {
      // Corrected constant: (L - C)/(w E||.||^2) = 1/(2 sigma_t^2), i.e. 2 sigma_t^2 R = 1.
      Estimate e = Ra;
      e.mean *= 2 * st.sigma2;
      e.std_error *= 2 * st.sigma2;
      e.std_dev *= 2 * st.sigma2;
      Check ch = equality_check("corrected", label, "2 sigma_t^2 (L-C)/(w_t E||eps-eps_theta||^2) (dimensionless)", e, 1.0);
      ch.notes.push_back("measured (L-C)/(w_t E||.||^2) = " + num_label(Ra.mean) + " +- " + num_label(Ra.std_error) +
                         " vs 1/(2 sigma_t^2) = " + num_label(1 / (2 * st.sigma2)));
      out.push_back(std::move(ch));
    }
    at.push_back({t, st.sigma2, Ra});
  }
  const AtT* r = nullptr;
  for (const auto& a : at)
    if (a.t == ref) r = &a;
  for (const auto& a : at) {
    if (a.t == ref) continue;
    // Step 6: the table weight w_t as the VLB weight across t means R(t) / R(ref) = 1. Truth: sigma_ref^2/sigma_t^2.
    const Estimate q = ratio_of_independent(a.R, r->R);
    const std::string label = "t=" + std::to_string(a.t) + " vs t=" + std::to_string(ref);
    const std::string qty = "R(t)/R(ref), R = (L-C)/(w_t E||eps-eps_theta||^2) (dimensionless)";
    Check w6 = equality_check("as_written_step6", label, qty, q, 1.0);
    w6.notes.push_back("R(t) = " + num_label(a.R.mean) + ", R(ref) = " + num_label(r->R.mean) +
                       "; the table weight misses 1/(2 sigma_t^2), which varies with t");
    out.push_back(std::move(w6));
    out.push_back(equality_check("corrected_step6", label, qty, q, r->sigma2 / a.sigma2));
  }
  return out;
}

// Note 003 step 6, "VLB weighting emphasises early steps (high t)": exact weights over all t.
ClaimOutput weight_profile(const CaseSpec& c, const MonteCarlo&) {
  const auto& s = c.require_schedule();
  const int T = s.T();
  if (T < 4) c.fail(c.schedule_length_key(), "T = " + std::to_string(T) + ": needs T >= 4 to compare the halves of the schedule");
  std::vector<double> ts, ab, snr, lam_beta, lam_bt, w3, w2;
  for (int t = 1; t <= T; ++t) {
    ts.push_back(t);
    ab.push_back(s.alpha_bar(t));
    snr.push_back(s.snr(t));
    w3.push_back(note003_weight(s, t));
    lam_beta.push_back(true_lambda(s, t, s.beta(t)));
  }
  std::vector<double> ts2;
  for (int t = 2; t <= T; ++t) {  // beta_tilde_1 = 0: no KL and no lambda at t = 1 with sigma^2 = beta_tilde
    ts2.push_back(t);
    lam_bt.push_back(true_lambda(s, t, s.beta_tilde(t)));
    w2.push_back(note002_lambda(s, t));
  }
  // Statement tested: mean weight over the upper half t in (T/2, T] >= mean weight over the lower half t in [2, T/2].
  auto halves = [&](const std::vector<double>& w, int first_t) {
    double lo = 0, hi = 0;
    int nlo = 0, nhi = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const int t = first_t + static_cast<int>(i);
      if (t < 2) continue;
      if (t <= T / 2) lo += w[i], ++nlo;
      else hi += w[i], ++nhi;
    }
    return std::make_pair(lo / nlo, hi / nhi);
  };
  auto describe = [&](const std::vector<double>& w, int first_t) {
    std::size_t imax = 0, imin = 0, ndec = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i] > w[imax]) imax = i;
      if (w[i] < w[imin]) imin = i;
      if (i > 0 && w[i] < w[i - 1]) ++ndec;
    }
    return "weight at t=2: " + num_label(w[static_cast<std::size_t>(2 - first_t)]) + ", t=" + std::to_string(T / 2) + ": " +
           num_label(w[static_cast<std::size_t>(T / 2 - first_t)]) + ", t=" + std::to_string(T) + ": " + num_label(w.back()) +
           "; largest at t=" + std::to_string(first_t + static_cast<int>(imax)) + " (" + num_label(w[imax]) +
           "), smallest at t=" + std::to_string(first_t + static_cast<int>(imin)) + " (" + num_label(w[imin]) + "); " +
           std::to_string(ndec) + " of " + std::to_string(w.size() - 1) + " steps decrease";
  };
  struct W {
    std::string form, what;
    const std::vector<double>* w;
    int first_t;
  };
  std::vector<W> ws{{"as_written_table_weight", "note 003's table weight beta_t^2/(alpha_t(1-alpha_bar_t))", &w3, 1},
                    {"vlb_weight_sigma_beta", "true VLB weight lambda_t with sigma_t^2 = beta_t", &lam_beta, 1},
                    {"vlb_weight_sigma_beta_tilde", "true VLB weight lambda_t with sigma_t^2 = beta_tilde_t", &lam_bt, 2}};
  // Second reading, robust to a single extreme step: median over the upper half >= median over the lower half.
  auto median_halves = [&](const std::vector<double>& w, int first_t) {
    std::vector<double> lo, hi;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const int t = first_t + static_cast<int>(i);
      if (t < 2) continue;
      (t <= T / 2 ? lo : hi).push_back(w[i]);
    }
    auto med = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      const std::size_t n = v.size();
      return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    };
    return std::make_pair(med(lo), med(hi));
  };
  std::vector<Check> out;
  for (const auto& w : ws) {
    {
      const auto [lo, hi] = median_halves(*w.w, w.first_t);
      Check ch = equality_check(w.form + "_by_median", "median over t in (T/2,T] vs median over t in [2,T/2]",
                                "median loss weight on ||eps - eps_theta||^2 (nats per unit squared error), exact",
                                Estimate::exact(hi), lo);
      ch.kind = TestKind::at_least;
      ch.notes.push_back(w.what + ": upper-half median " + num_label(hi) + ", lower-half median " + num_label(lo) + " (ratio " +
                         num_label(hi / lo) + ")");
      out.push_back(std::move(ch));
    }
    const auto [lo, hi] = halves(*w.w, w.first_t);
    Check ch = equality_check(w.form + "_by_mean", "mean over t in (T/2,T] vs mean over t in [2,T/2]",
                              "mean loss weight on ||eps - eps_theta||^2 (nats per unit squared error), exact",
                              Estimate::exact(hi), lo);
    ch.kind = TestKind::at_least;
    ch.notes.push_back(w.what + ": upper-half mean " + num_label(hi) + ", lower-half mean " + num_label(lo) + " (ratio " +
                       num_label(hi / lo) + ")");
    ch.notes.push_back(describe(*w.w, w.first_t));
    out.push_back(std::move(ch));
  }
  Figure fa{"schedules_alpha_bar", "alpha_bar_t (" + s.kind() + ")", "t", "alpha_bar_t", false, false,
            {{"alpha_bar_t", "lines", ts, ab, {}}}};
  Figure fs{"schedules_snr", "SNR(t) = alpha_bar_t/(1-alpha_bar_t) (" + s.kind() + ")", "t", "SNR(t)", false, true,
            {{"SNR(t)", "lines", ts, snr, {}}}};
  Figure fw{"schedules_weights", "weight on ||eps - eps_theta||^2 (" + s.kind() + ")", "t", "weight", false, true,
            {{"lambda_t, sigma^2 = beta_t (correct)", "lines", ts, lam_beta, {}},
             {"lambda_t, sigma^2 = beta_tilde_t (correct)", "lines", ts2, lam_bt, {}},
             {"note 002 sec. 8: alpha_t^2/(2 beta_tilde_t (1-alpha_bar_t))", "lines", ts2, w2, {}},
             {"note 003 table: beta_t^2/(alpha_t (1-alpha_bar_t))", "lines", ts, w3, {}},
             {"L_simple: 1", "lines", {1.0, static_cast<double>(T)}, {1.0, 1.0}, {}}}};
  return {out, {fa, fs, fw}};
}

}  // namespace

void register_eps_prefactor(Registry& r) {
  const std::string fam = "eps_prefactor";
  const std::pair<std::string, std::string> steps{"steps", "diffusion steps t (2..T)"};
  const std::pair<std::string, std::string> var{"model_variance",
                                                "sigma_t^2: \"beta_tilde\" (default), \"beta\" or a number"};
  const std::pair<std::string, std::string> gap{"gap_sd",
                                                "the model's constant eps bias moves mu_theta by this many posterior SDs (default 6)"};
  r.add({"eps_prefactor.note003_weight", fam,
         "Note 003 steps 5-6: L_{t-1} is proportional to beta_t^2/(alpha_t(1-alpha_bar_t)) E||eps - eps_theta||^2, "
         "and that factor is the VLB weight across t.",
         {"fwd_marginal_linear50_1d", "post_regression_linear1000", "kl_closed_form_2d"},
         {steps, var, gap, {"ref_step", "step whose R the other steps are compared with (step 6)"}},
         true, true, note003});
  r.add({"eps_prefactor.weight_profile", fam,
         "Note 003 step 6: the VLB weighting emphasises high t (mean weight over the upper half of t >= lower half).",
         {},
         {},
         false, true, weight_profile});
}

}  // namespace verify::claims
