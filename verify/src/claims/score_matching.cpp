// Claim family: denoising score matching (note 004 section 7.4, "DDPM in Langevin Dynamics").
//
// The note says that E_{x_0}[|| grad log p(x_t) - s_theta(x_t,t) ||]^2 - E_{x_0}[|| grad log p(x_t|x_0) - s_theta ||]^2
// "equals a constant independent of theta", so minimising either loss is the same.
//
// Derivation (squares inside the expectations; x_0 ~ data, x_t ~ q(x_t|x_0), S = grad log p_t(x_t) the marginal
// score, c = grad log q(x_t|x_0) = -eps / sqrt(1 - alpha_bar_t) the conditional score):
//     J(s) = E||S - s||^2 - E||c - s||^2 = E||S||^2 - E||c||^2 + 2 E[(c - S) . s(x_t)],
// and E[c | x_t] = S (the score of a mixture of Gaussians is the posterior average of the component scores), so the
// last term vanishes for every s: J(s) = E||S||^2 - E||c||^2 = E||grad log p_t||^2 - d/(1 - alpha_bar_t) <= 0.
// As written, with the norms unsquared inside and the squares outside, J'(s) = (E||S - s||)^2 - (E||c - s||)^2
// depends on s.
//
// Ground truth: expectations over x_0 ~ mixture and eps ~ N(0, I) by Monte Carlo, with the exact marginal score of the
// diffused mixture. Independence of s is tested by paired differences J(s_k) - J(s_0) on common random numbers.
#include <cmath>
#include <sstream>

#include "denoising_util.hpp"

namespace verify::claims {

namespace {

using namespace denoising;

ClaimOutput independence(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const int d = mix.dim();
  std::vector<Check> out;
  // No closed form for the mutants' departure: each mutant is shown at the (t, s) of largest |estimate| / scale.
  MutantPicker picker;
  for (int t : c.params.steps("steps", s)) {
    const double ab = s.alpha_bar(t), sab = std::sqrt(ab), snab = std::sqrt(1 - ab);
    const ExactDenoiser den(mix, LinearGaussianNoise::ddpm(s, t, d));
    // Four score models s_0..s_3: zero, the true marginal score, a linear map, a nonlinear map.
    const std::vector<std::string> names{"s=0", "s=true marginal score", "s=-0.5x+0.3", "s=1.5tanh(x)+0.2sin(2x)"};
    auto models = [&](const Vec& x, const Vec& S, std::vector<Vec>& m) {
      m[0] = Vec::Zero(d);
      m[1] = S;
      m[2] = (-0.5 * x.array() + 0.3).matrix();
      m[3] = (1.5 * x.array().tanh() + 0.2 * (2.0 * x.array()).sin()).matrix();
    };
    // Mutant conditional / marginal scores, each breaking one piece of the derivation.
    const std::vector<std::string> mutants{"conditional score with 1/(1-alpha_bar) for 1/sqrt(1-alpha_bar)",
                                           "conditional score sign flipped",
                                           "marginal score of the data (t=0) for that of x_t"};
    const std::size_t nm = c.include_mutants ? mutants.size() : 0;
    // Outputs: 3 paired differences J(s_k)-J(s_0); 3 constant checks; 8 means of unsquared norms; 3 nm mutants.
    const std::size_t k = 3 + 3 + 8 + 3 * nm + 5;  // then ||S||^2 - ||c||^2 and ||c - s_i||^2, i = 0..3
    const auto m = mc.means("dsm/t=" + std::to_string(t), c.samples, k, [&](Rng& rng, std::span<double> o) {
      int comp = 0;
      const Vec x0 = mix.sample(rng, &comp);
      Vec eps(d);
      rng.normals(eps.data(), static_cast<std::size_t>(d));
      const Vec xt = sab * x0 + snab * eps;
      const Vec S = den.score(xt);
      const Vec cs = -eps / snab;
      std::vector<Vec> sm(4);
      models(xt, S, sm);
      auto j = [&](const Vec& marg, const Vec& cond, const Vec& sv) {
        return (marg - sv).squaredNorm() - (cond - sv).squaredNorm();
      };
      const double j0 = j(S, cs, sm[0]);
      for (int i = 1; i <= 3; ++i) {
        const double ji = j(S, cs, sm[static_cast<std::size_t>(i)]);
        o[static_cast<std::size_t>(i) - 1] = ji - j0;
        o[static_cast<std::size_t>(i) + 2] = ji - (cs.squaredNorm() - S.squaredNorm());
      }
      for (std::size_t i = 0; i < 4; ++i) {
        o[6 + 2 * i] = (S - sm[i]).norm();
        o[7 + 2 * i] = (cs - sm[i]).norm();
      }
      o[k - 5] = S.squaredNorm() - cs.squaredNorm();
      for (std::size_t i = 0; i < 4; ++i) o[k - 4 + i] = (cs - sm[i]).squaredNorm();
      for (std::size_t mu = 0; mu < nm; ++mu) {
        Vec cm = cs, Sm = S;
        if (mu == 0) cm = -eps / (1 - ab);
        if (mu == 1) cm = eps / snab;
        if (mu == 2) Sm = mix.score(xt);
        const double jm0 = j(Sm, cm, sm[0]);
        for (std::size_t i = 1; i <= 3; ++i) o[14 + 3 * mu + i - 1] = j(Sm, cm, sm[i]) - jm0;
      }
    });
    // Scale: the largest of the expected squared norms that J(s_k) - J(s_0) is made of (E||c - s||^2 >= E||S - s||^2).
    auto term = [&](std::size_t i) { return m.estimates[k - 4 + i].mean; };
    const std::string scale_name = "largest expected squared norm in J(s_k) - J(s_0): max(E||c - s_k||^2, E||c - s_0||^2)";
    const std::string tl = "t=" + std::to_string(t) + ", ";
    const double cval = m.estimates[k - 5].mean, cse = m.estimates[k - 5].std_error, c2 = d / (1 - ab);
    for (std::size_t i = 0; i < 3; ++i) {
      const double scale = std::max(term(i + 1), term(0));
      Check ch = equality_check("corrected", tl + names[i + 1] + " vs " + names[0],
                                "J(s_k) - J(s_0), J(s) = E||grad log p_t - s||^2 - E||grad log q(x_t|x_0) - s||^2",
                                m.estimates[i], 0.0, scale, scale_name);
      ch.notes.push_back("J(s=0) = E||S||^2 - E||c||^2 = " + num_label(cval) + " +- " + num_label(cse) +
                         " (the constant; E||c||^2 = d/(1-alpha_bar_t) = " + num_label(c2) + ")");
      out.push_back(std::move(ch));
      if (c.include_mutants)
        picker.offer(equality_check("mutant:constant = E||c||^2 - E||S||^2 (sign flipped)", tl + names[i + 1],
                                    "J(s_k) - (E||c||^2 - E||S||^2), paired", m.estimates[3 + i], 0.0, scale, scale_name),
                     std::abs(m.estimates[3 + i].mean) / scale);
    }
    // As written: J'(s) = (E||S - s||)^2 - (E||c - s||)^2; differences J'(s_k) - J'(s_0) by the delta method.
    auto a = [&](std::size_t i) { return m.estimates[6 + 2 * i].mean; };
    auto b = [&](std::size_t i) { return m.estimates[7 + 2 * i].mean; };
    for (std::size_t i = 1; i <= 3; ++i) {
      std::vector<double> g(k, 0.0);
      g[6 + 2 * i] = 2 * a(i);
      g[7 + 2 * i] = -2 * b(i);
      g[6] = -2 * a(0);
      g[7] = 2 * b(0);
      const double val = a(i) * a(i) - b(i) * b(i) - a(0) * a(0) + b(0) * b(0);
      Check ch = equality_check("as_written", tl + names[i] + " vs " + names[0],
                                "J'(s_k) - J'(s_0), J'(s) = (E||grad log p_t - s||)^2 - (E||grad log q(x_t|x_0) - s||)^2",
                                delta_method(m, val, g), 0.0, std::max(term(i), term(0)), scale_name);
      ch.notes.push_back("J'(" + names[i] + ") = " + num_label(a(i) * a(i) - b(i) * b(i)) + ", J'(s=0) = " +
                         num_label(a(0) * a(0) - b(0) * b(0)));
      out.push_back(std::move(ch));
    }
    for (std::size_t mu = 0; mu < nm; ++mu)
      for (std::size_t i = 0; i < 3; ++i)
        picker.offer(equality_check("mutant:" + mutants[mu], tl + names[i + 1] + " vs " + names[0],
                                    "J(s_k) - J(s_0) with a broken score", m.estimates[14 + 3 * mu + i], 0.0,
                                    std::max(term(i + 1), term(0)), scale_name),
                     std::abs(m.estimates[14 + 3 * mu + i].mean) / std::max(term(i + 1), term(0)));
  }
  picker.append_to(out);
  return out;
}

}  // namespace

void register_score_matching(Registry& r) {
  r.add({"score_matching.dsm_constant", "score_matching",
         "Note 004 7.4: E||grad log p(x_t) - s||^2 - E||grad log p(x_t|x_0) - s||^2 does not depend on s.",
         {"forward_process.marginal"},
         {{"steps", "diffusion steps t (1..T)"}},
         true, true, independence});
}

}  // namespace verify::claims
