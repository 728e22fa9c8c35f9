// Claim family: the denoising term L_{t-1} as a mean-squared error, at the level of the training loss.
//
// Notes: 002 section 6 "Simplifying KL Terms" (Sigma_theta = beta_tilde_t I: L_t = E||mu_tilde - mu_theta||^2 /
// (2 beta_tilde_t) + const); 000 "From KL collapses to a mean MSE" (identical covariances: 1/(2 beta_t));
// 003 "Step 4: KL Between Gaussians" (model variance sigma_t^2: L_{t-1} = ||mu_tilde - mu_theta||^2/(2 sigma_t^2) + C).
// The Gaussian-formula level is gaussian_kl's; here the expectation over x_0 ~ data and x_t ~ q(x_t|x_0) is taken.
//
// Ground truth: L_{t-1} = E_{x_0, x_t, x_{t-1}}[log q(x_{t-1}|x_t,x_0) - log p_theta(x_{t-1}|x_t)] with x_{t-1}
// drawn from the posterior, i.e. the KL from log-density ratios of samples, not from the Gaussian KL formula.
// Model means: mu_b(x_t) = (x_t + beta_t score_t(x_t)) / sqrt(alpha_t), the exact E[x_{t-1}|x_t] (Tweedie, exact
// mixture score), and mu_a = mu_b + A sqrt(beta_tilde_t) sin(x_t) (elementwise): a smooth, deliberately wrong
// model. "+ const" is tested on L(a) - L(b), where any constant that depends only on the variances cancels; the
// explicit constant C = d/2 (r - 1 - log r), r = beta_tilde_t / sigma_t^2, is tested on L(a) itself. Both models
// are evaluated on the same (x_0, x_t, x_{t-1}), so the comparison is paired.
// t = 1 is refused: beta_tilde_1 = 0, the posterior is a point mass and its KL to any Gaussian is infinite.
#include <cmath>

#include "common.hpp"
#include "elbo_util.hpp"
#include "verify/diffused.hpp"

namespace verify::claims {

namespace {

using elbo_util::combine;

enum Out : std::size_t { kTa, kTb, kMa, kMb, kNa, kNb, kOuts };

ClaimOutput training_loss(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const int d = mix.dim();
  const auto steps = c.params.steps("steps", s);
  const std::string note = c.params.string_or("note", "002");
  if (note != "000" && note != "002" && note != "003") c.params.fail("note", "expected \"000\", \"002\" or \"003\"");
  const double amp = c.params.number_or("amplitude", 4.0);
  if (!(amp > 0) || !std::isfinite(amp)) c.params.fail("amplitude", "must be positive");
  const std::string var_default = note == "003" ? "beta" : "beta_tilde";
  if (note != "003" && c.params.string_or("model_variance", var_default) != "beta_tilde")
    c.params.fail("model_variance", "notes 000 and 002 state the loss for Sigma_theta = beta_tilde_t I");
  ClaimOutput out;
  for (int t : steps) {
    if (t == 1)
      c.params.fail("steps", "t = 1: beta_tilde_1 = 0, q(x_0|x_1,x_0) is a point mass and KL(q || p_theta) is infinite; "
                             "the loss at t = 1 is the decoder term L_0, not a KL");
    const double bt = s.beta_tilde(t), beta = s.beta(t);
    const double v = variance_param(c, "model_variance", t, var_default);
    const double sab = std::sqrt(s.alpha_bar(t)), sd = std::sqrt(1.0 - s.alpha_bar(t)), sbt = std::sqrt(bt);
    const GaussianMixture qt = diffused_mixture(mix, s, t);
    const double c0 = s.posterior_coef_x0(t), ct = s.posterior_coef_xt(t), salpha = std::sqrt(s.alpha(t));
    const auto m = mc.means("t/" + std::to_string(t), c.samples, kOuts, [&](Rng& r, std::span<double> o) {
      const Vec x0 = mix.sample(r);
      Vec e(d), u(d);
      r.normals(e.data(), static_cast<std::size_t>(d));
      r.normals(u.data(), static_cast<std::size_t>(d));
      const Vec xt = sab * x0 + sd * e;
      const Vec mu_tilde = c0 * x0 + ct * xt;
      const Vec xprev = mu_tilde + sbt * u;
      const Vec mu_b = (xt + beta * qt.score(xt)) / salpha;
      const Vec mu_a = mu_b + amp * sbt * xt.array().sin().matrix();
      const double lq = elbo_util::iso_log_density(xprev, mu_tilde, bt);
      o[kTa] = lq - elbo_util::iso_log_density(xprev, mu_a, v);
      o[kTb] = lq - elbo_util::iso_log_density(xprev, mu_b, v);
      o[kMa] = (mu_tilde - mu_a).squaredNorm();
      o[kMb] = (mu_tilde - mu_b).squaredNorm();
      o[kNa] = std::sqrt(o[kMa]);
      o[kNb] = std::sqrt(o[kMb]);
    });
    const auto& E = m.estimates;
    const double r = bt / v, C = 0.5 * d * (r - 1.0 - std::log(r));
    const std::string label = "t=" + std::to_string(t) + ", sigma_t^2/beta_tilde_t=" + std::to_string(v / bt).substr(0, 6);
    using W = std::vector<std::pair<std::size_t, double>>;
    // truth = sum a_i E[out_i]; claim = sum b_i E[out_i] + k. The estimate reads as the truth and carries the SE of
    // the paired difference truth - claim; the reference is the claim's value.
    auto add = [&](const std::string& form, const std::string& qty, W truth, W claim, double k, double scale,
                   const std::string& sname) {
      double ref = k, tmean = 0;
      for (auto [i, b] : claim) ref += b * E[i].mean;
      for (auto [i, a] : truth) tmean += a * E[i].mean;
      W diff = truth;
      for (auto [i, b] : claim) diff.push_back({i, -b});
      Check ch = equality_check(form, label, qty, combine(m, diff, ref - k), ref, scale, sname);
      ch.notes.push_back("beta_t = " + std::to_string(beta) + ", beta_tilde_t = " + std::to_string(bt) +
                         ", C = " + std::to_string(C) + " nats, truth " + std::to_string(tmean));
      out.checks.push_back(std::move(ch));
    };
    const double dL = std::abs(E[kTa].mean - E[kTb].mean);
    const std::string qd = "L_{t-1}(mu_a) - L_{t-1}(mu_b) in nats (KL from log-density ratios)";
    const std::string qa = "L_{t-1}(mu_a) in nats (KL from log-density ratios)";
    const std::string sd_name = "|L(mu_a) - L(mu_b)| (nats)", sa_name = "L(mu_a) (nats)";
    const W tdiff{{kTa, 1}, {kTb, -1}};
    auto mse_diff = [&](double coef) { return W{{kMa, coef}, {kMb, -coef}}; };
    if (note == "002") {
      add("as_written", qd, tdiff, mse_diff(0.5 / bt), 0.0, dL, sd_name);
      add("as_written_constant_zero", qa, {{kTa, 1}}, {{kMa, 0.5 / bt}}, 0.0, E[kTa].mean, sa_name);
    } else if (note == "000") {
      add("as_written", qd, tdiff, mse_diff(0.5 / beta), 0.0, dL, sd_name);
      add("corrected", qd, tdiff, mse_diff(0.5 / bt), 0.0, dL, sd_name);
    } else {
      add("as_written", qd, tdiff, mse_diff(0.5 / v), 0.0, dL, sd_name);
      add("constant_explicit", qa, {{kTa, 1}}, {{kMa, 0.5 / v}}, C, E[kTa].mean, sa_name);
    }
    if (c.include_mutants) {
      add("mutant:dropped 1/2", qd, tdiff, mse_diff(1.0 / v), 0.0, dL, sd_name);
      // Only where sigma and sigma^2 differ by more than 10% (near the clipped cosine end sigma_T^2 = 0.999).
      if (std::abs(std::sqrt(v) - v) > 0.1 * v)
        add("mutant:std-dev for variance", qd, tdiff, mse_diff(0.5 / std::sqrt(v)), 0.0, dL, sd_name);
      add("mutant:missing square", qd, tdiff, W{{kNa, 0.5 / v}, {kNb, -0.5 / v}}, 0.0, dL, sd_name);
    }
  }
  return out;
}

}  // namespace

void register_kl_mse(Registry& r) {
  r.add({"kl_mse.training_loss", "kl_mse",
         "L_{t-1} = E||mu_tilde - mu_theta||^2 / (2 sigma_t^2) + C over x_0 ~ data, x_t ~ q(x_t|x_0), KL from samples.",
         {"post_bayes_step", "forward_process.marginal"},
         {{"steps", "diffusion steps t in 2..T (t = 1 is refused: point-mass posterior)"},
          {"note", "which note's statement: \"002\" (default), \"000\" or \"003\""},
          {"model_variance", "sigma_t^2: \"beta_tilde\" (notes 000, 002), \"beta\" (default for 003) or a number"},
          {"amplitude", "perturbation of the model mean in posterior standard deviations (default 4)"}},
         true, true, training_loss});
}

}  // namespace verify::claims
