// Claim family: Tweedie's formula (note 004 section 4.1, general Gaussian noise Sigma_z). Sections 4.2 and 7.4 (the
// DDPM forms) are formulas in cases/tweedie/tweedie_ddpm_*.toml, checked exactly against the mixture's posterior mean;
// the general form stays here because the vocabulary has no observation model z ~ N(mu, Sigma_z) with a full Sigma_z.
//
// 4.1 Theorem: z ~ N(mu_z, Sigma_z), mu_z ~ pi  =>  E[mu_z | z] = z + Sigma_z grad_z log p(z).
// Proof intermediate: grad_z L = int p(z|mu) Sigma_z^{-1} (mu - z) pi(mu) dmu with L = p(z), i.e.
// grad log p(z) = E[Sigma_z^{-1}(mu - z) | z]. The note's normaliser (2 pi)^k |Sigma_z| with k = rank(Sigma_z): for a
// positive-definite Sigma_z, k = d; the normaliser does not depend on z and drops out of grad log L.
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

}  // namespace

void register_tweedie(Registry& r) {
  const std::string fam = "tweedie";
  r.add({"tweedie.general", fam,
         "Note 004 4.1: z ~ N(mu, Sigma_z), mu ~ pi => E[mu|z] = z + Sigma_z grad log p(z), non-isotropic Sigma_z.",
         {},
         {{"sigma_z", "noise covariance Sigma_z (d x d, positive definite)"}, {"points", "observation points z"}},
         true, false, general});
}

}  // namespace verify::claims
