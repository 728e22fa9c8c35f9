// Claim family: Tweedie's formula (note 004 sections 4.1, 4.2 and 7.4).
//
// 4.1 Theorem: z ~ N(mu_z, Sigma_z), mu_z ~ pi  =>  E[mu_z | z] = z + Sigma_z grad_z log p(z).
// Proof intermediate: grad_z L = int p(z|mu) Sigma_z^{-1} (mu - z) pi(mu) dmu with L = p(z), i.e.
// grad log p(z) = E[Sigma_z^{-1}(mu - z) | z]. The note's normaliser (2 pi)^k |Sigma_z| with k = rank(Sigma_z): for a
// positive-definite Sigma_z, k = d; the normaliser does not depend on z and drops out of grad log L.
// 4.2 DDPM form (a = sqrt(alpha_bar_t), Sigma = (1 - alpha_bar_t) I): sqrt(alpha_bar_t) E[x_0|x_t] =
// x_t + (1 - alpha_bar_t) grad log p_t(x_t) with the MARGINAL score. (With the note's conditional measure p_{x_0}
// the statement reduces to the algebraic identity grad log q(x_t|x_0) = -(x_t - sqrt(alpha_bar) x_0)/(1 - alpha_bar)
// and needs no check.)
// 7.4: eps*(x_t) = E[eps|x_t] = -sqrt(1 - alpha_bar_t) grad log p_t(x_t), and the x_0-predictor
// f(x_t) = (x_t - sqrt(1 - alpha_bar_t) eps*(x_t)) / sqrt(alpha_bar_t) equals E[x_0|x_t].
//
// Ground truth: E[mu | z] by self-normalised importance sampling from the definition of the posterior
// (prior density times likelihood, Bayes' rule), with a defensive proposal (uniform mixture of the per-component
// Gaussian posteriors with inflated covariance, plus 10% of the prior) so that the weights stay bounded in the tails;
// delta-method SE; the exact mixture posterior mean is reported alongside. The reference uses the exact score of the
// noisy marginal (verify/diffused.hpp).
#include <cmath>
#include <sstream>

#include "denoising_util.hpp"

namespace verify::claims {

namespace {

using namespace denoising;

std::string vec_str(const Vec& v) {
  std::string s = "(";
  for (Eigen::Index i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num_label(v[i]);
  return s + ")";
}

ClaimOutput general(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& mix = c.require_mixture();
  const int d = mix.dim();
  const Mat Sigma = c.params.matrix("sigma_z", d);
  Eigen::LLT<Mat> llt(Sigma);
  if (llt.info() != Eigen::Success) c.params.fail("sigma_z", "must be symmetric positive definite");
  const Mat Sinv = llt.solve(Mat::Identity(d, d));
  const ExactDenoiser den(mix, LinearGaussianNoise{1.0, Sigma});
  std::vector<Check> out;
  MutantPicker mutants;
  int pi = 0;
  for (const Vec& z : c.params.points("points", d)) {
    const DefensiveProposal g(mix, den, z);
    const double logp = den.marginal().log_density(z);
    const auto est = snis_posterior_mean(mc, "is/point" + std::to_string(pi), c.samples, g, logp, d,
                                         [](const Vec& x) { return x; });
    // Proof intermediate: E_g[w Sigma^{-1}(mu - z)] with w = pi N / (g p(z)) estimates grad L / L (4x the case's
    // samples: this unnormalised estimator is noisier than the self-normalised one).
    const auto inter = weighted_mean_cv(mc, "grad/point" + std::to_string(pi), 4 * c.samples, g, logp, d,
                                        [&](const Vec& x) { return Vec(Sinv * (x - z)); });
    const Vec score = den.score(z);
    const Vec corr = Sigma * score;
    const Vec exact = den.posterior_mean(z);
    const std::string pl = "z=" + vec_str(z);
    for (int i = 0; i < d; ++i) {
      const std::string lab = pl + ", coordinate " + std::to_string(i);
      const double scale = std::abs(z[i]) + std::abs(corr[i]);
      const std::string sname = "size of the terms |z_i| + |(Sigma grad log p)_i|";
      const std::string qty = "E[mu_z | z]_i";
      const Estimate& e = est[static_cast<std::size_t>(i)];
      Check ch = equality_check("as_written", lab, qty, e, z[i] + corr[i], scale, sname);
      ch.notes.push_back("exact mixture posterior mean " + num_label(exact[i]) + "; Sigma_z is non-isotropic (full matrix)");
      if (pi == 0 && i == 0)
        ch.notes.push_back("k = rank(Sigma_z) = " + std::to_string(Eigen::FullPivLU<Mat>(Sigma).rank()) + " = d = " +
                           std::to_string(d) + " for this positive-definite Sigma_z; the normaliser is constant in z "
                           "and cancels in grad log L");
      out.push_back(std::move(ch));
      const double gscale = std::abs(score[i]) + std::sqrt(Sinv(i, i));
      out.push_back(equality_check("proof_intermediate", lab,
                                   "(1/L) int p(z|mu) (Sigma^{-1}(mu - z))_i pi(mu) dmu vs (grad log p(z))_i",
                                   inter[static_cast<std::size_t>(i)], score[i], gscale,
                                   "|grad log p(z)_i| + 1/(noise SD along i)"));
      if (c.include_mutants) {
        const Vec m1 = Sinv * score, m3 = Sigma.diagonal().asDiagonal() * score;
        const double ok = z[i] + corr[i];
        auto offer = [&](const std::string& f, double ref) {
          mutants.offer(equality_check(f, lab, qty, e, ref, scale, sname), std::abs(ref - ok) / scale);
        };
        offer("mutant:Sigma^{-1} for Sigma", z[i] + m1[i]);
        offer("mutant:dropped Sigma", z[i] + score[i]);
        offer("mutant:diag(Sigma) only", z[i] + m3[i]);
        offer("mutant:sign flipped", z[i] - corr[i]);
      }
    }
    ++pi;
  }
  mutants.append_to(out);
  return out;
}

ClaimOutput ddpm(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const int d = mix.dim();
  const auto points = c.params.points("points", d);
  const std::vector<int> steps = c.params.steps("steps", s);
  const int fig_t = c.params.has("figure_step") ? c.params.step("figure_step", s) : steps[steps.size() / 2];
  std::vector<Check> out;
  MutantPicker mutants;
  Series mc_pts{"importance sampling (+-2 SE)", "errorbars", {}, {}, {}};
  for (int t : steps) {
    const double ab = s.alpha_bar(t), sab = std::sqrt(ab), snab = std::sqrt(1 - ab);
    const ExactDenoiser den(mix, LinearGaussianNoise::ddpm(s, t, d));
    int pi = 0;
    for (const Vec& xt : points) {
      const DefensiveProposal g(mix, den, xt);
      const auto est = snis_posterior_mean(mc, "is/t=" + std::to_string(t) + "/point" + std::to_string(pi), c.samples,
                                           g, den.marginal().log_density(xt), d, [](const Vec& x) { return x; });
      const Vec S = den.score(xt), exact = den.posterior_mean(xt), data_score = mix.score(xt);
      for (int i = 0; i < d; ++i) {
        const std::string lab = "t=" + std::to_string(t) + ", x_t=" + vec_str(xt) + (d > 1 ? ", coordinate " + std::to_string(i) : "");
        const Estimate& e0 = est[static_cast<std::size_t>(i)];  // E[x0|x_t]_i
        auto lin = [&](double a, double b) {  // Estimate of a + b * E[x0|x_t]_i
          Estimate e = e0;
          e.mean = a + b * e0.mean;
          e.std_error = std::abs(b) * e0.std_error;
          e.std_dev = std::abs(b) * e0.std_dev;
          return e;
        };
        const double tsz = std::abs(xt[i]) + (1 - ab) * std::abs(S[i]);
        const std::string note = "exact posterior mean E[x0|x_t]_i = " + num_label(exact[i]);
        // 4.2: sqrt(ab) E[x0|x_t] = x_t + (1-ab) S.
        Check a = equality_check("marginal_score", lab, "sqrt(alpha_bar_t) E[x_0|x_t]_i", lin(0, sab),
                                 xt[i] + (1 - ab) * S[i], tsz, "size of the terms |x_t,i| + (1-alpha_bar_t)|S_i|");
        a.notes.push_back(note);
        out.push_back(std::move(a));
        // 7.4: E[eps|x_t] = (x_t - sqrt(ab) E[x0|x_t]) / sqrt(1-ab) = -sqrt(1-ab) S.
        const Estimate eps = lin(xt[i] / snab, -sab / snab);
        out.push_back(equality_check("eps_relation", lab, "E[eps|x_t]_i", eps, -snab * S[i], tsz / snab,
                                     "size of the terms (|x_t,i| + (1-alpha_bar_t)|S_i|)/sqrt(1-alpha_bar_t)"));
        // 7.4: f(x_t) = (x_t - sqrt(1-ab) eps*)/sqrt(ab) with eps* = -sqrt(1-ab) S equals E[x0|x_t].
        const double f = (xt[i] - snab * (-snab * S[i])) / sab;
        out.push_back(equality_check("x0_predictor", lab, "E[x_0|x_t]_i", e0, f, tsz / sab,
                                     "size of the terms (|x_t,i| + (1-alpha_bar_t)|S_i|)/sqrt(alpha_bar_t)"));
        if (c.include_mutants) {
          const std::string sn = "size of the terms";
          const double r1 = xt[i] + (1 - ab) * S[i], r2 = -(1 - ab) * S[i], r3 = xt[i] + (1 - ab) * data_score[i];
          mutants.offer(equality_check("mutant:dropped sqrt(alpha_bar_t)", lab, "E[x_0|x_t]_i", e0, r1, tsz / sab, sn),
                        std::abs(r1 - f) / (tsz / sab));
          mutants.offer(equality_check("mutant:(1-alpha_bar_t) for sqrt(1-alpha_bar_t) in eps*", lab, "E[eps|x_t]_i",
                                       eps, r2, tsz / snab, sn),
                        std::abs(r2 + snab * S[i]) / (tsz / snab));
          mutants.offer(equality_check("mutant:score of the data for that of x_t", lab, "sqrt(alpha_bar_t) E[x_0|x_t]_i",
                                       lin(0, sab), r3, tsz, sn),
                        std::abs(r3 - xt[i] - (1 - ab) * S[i]) / tsz);
        }
        if (d == 1 && t == fig_t) {
          mc_pts.x.push_back(xt[0]);
          mc_pts.y.push_back(e0.mean);
          mc_pts.err.push_back(2 * e0.std_error);
        }
      }
      ++pi;
    }
  }
  mutants.append_to(out);
  std::vector<Figure> figs;
  if (d == 1) {
    const double ab = s.alpha_bar(fig_t);
    const ExactDenoiser den(mix, LinearGaussianNoise::ddpm(s, fig_t, d));
    double lo = 1e300, hi = -1e300;
    for (const Vec& p : points) lo = std::min(lo, p[0]), hi = std::max(hi, p[0]);
    lo -= 1, hi += 1;
    Series ex{"E[x_0|x_t], exact mixture posterior", "lines", {}, {}, {}};
    Series tw{"Tweedie: (x_t + (1-alpha_bar_t) grad log p_t(x_t))/sqrt(alpha_bar_t)", "lines", {}, {}, {}};
    for (int k = 0; k <= 200; ++k) {
      const double x = lo + (hi - lo) * k / 200.0;
      const Vec v = Vec::Constant(1, x);
      ex.x.push_back(x);
      ex.y.push_back(den.posterior_mean(v)[0]);
      tw.x.push_back(x);
      tw.y.push_back((x + (1 - ab) * den.score(v)[0]) / std::sqrt(ab));
    }
    figs.push_back({"tweedie", "E[x_0 | x_t] at t = " + std::to_string(fig_t) + " (" + s.kind() + ")", "x_t",
                    "E[x_0 | x_t]", false, false, {ex, tw, mc_pts}});
  }
  return {out, figs};
}

}  // namespace

void register_tweedie(Registry& r) {
  const std::string fam = "tweedie";
  r.add({"tweedie.general", fam,
         "Note 004 4.1: z ~ N(mu, Sigma_z), mu ~ pi => E[mu|z] = z + Sigma_z grad log p(z), non-isotropic Sigma_z.",
         {},
         {{"sigma_z", "noise covariance Sigma_z (d x d, positive definite)"}, {"points", "observation points z"}},
         true, false, general});
  r.add({"tweedie.ddpm", fam,
         "Note 004 4.2/7.4: sqrt(ab) E[x0|x_t] = x_t + (1-ab) grad log p_t; E[eps|x_t] = -sqrt(1-ab) grad log p_t; "
         "the x0-predictor from eps* is E[x0|x_t].",
         {"forward_process.marginal"},
         {{"steps", "diffusion steps t"}, {"points", "points x_t"}, {"figure_step", "step drawn in the figure (1-D)"}},
         true, true, ddpm});
}

}  // namespace verify::claims
