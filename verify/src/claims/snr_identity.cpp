// Claim family: the SNR form of the x0-prediction loss weight (note 004, section 2.4 "Simplify Training").
//
// The note states the coefficient identity
//     alpha_bar_{t-1} (1 - alpha_t)^2 / (1 - alpha_bar_t)^2 = SNR(t-1) - SNR(t),   SNR(t) = alpha_bar_t/(1 - alpha_bar_t),
// and uses it to write the KL term of the bound as (SNR(t-1) - SNR(t)) ||x_hat_theta(x_t, t) - x_0||^2.
//
// Derivation. With the x0-parameterised model mean mu_theta = mu_tilde_t(x_t, x_hat) and sigma_t^2 = beta_tilde_t,
//     KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)) = ||mu_tilde(x_t,x_0) - mu_tilde(x_t,x_hat)||^2 / (2 beta_tilde_t)
//       = alpha_bar_{t-1} beta_t^2 / (2 beta_tilde_t (1 - alpha_bar_t)^2) ||x_hat - x_0||^2,
// and SNR(t-1) - SNR(t) = alpha_bar_{t-1} beta_t / ((1 - alpha_bar_{t-1})(1 - alpha_bar_t)), so that
//     alpha_bar_{t-1} beta_t^2 / (2 beta_tilde_t (1 - alpha_bar_t)^2) = (1/2)(SNR(t-1) - SNR(t)).
// The note's left side lacks the factor 1/(2 beta_tilde_t): it equals beta_tilde_t (SNR(t-1) - SNR(t)).
// At t = 1, SNR(0) = +inf and beta_tilde_1 = 0: both sides are infinite and the KL is undefined (point-mass
// posterior), so t = 1 is excluded and said so.
//
// Ground truth: the coefficient identity is algebra, checked exactly at every t of the schedule in 50-digit
// arithmetic from the schedule's own (double) betas, each side rounded once to double and compared to 8 ulps.
// The loss identity is checked by Monte Carlo: the KL term is E[log q(x_{t-1}|x_t,x_0) - log p_theta(x_{t-1}|x_t)]
// over x_0 ~ mixture, x_t ~ q(x_t|x_0), x_{t-1} ~ q(x_{t-1}|x_t,x_0), never from the Gaussian KL formula.
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <functional>
#include <cmath>
#include <limits>
#include <sstream>

#include "denoising_util.hpp"

namespace verify::claims {

namespace {

using HP = boost::multiprecision::cpp_bin_float_50;
using namespace denoising;

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

// Coefficient identity at every t = 2..T, each side in 50 digits, rounded to double.
ClaimOutput coefficient(const CaseSpec& c, const MonteCarlo&) {
  const auto& s = c.require_schedule();
  const int T = s.T();
  if (T < 2) c.fail(c.schedule_length_key(), "T = " + std::to_string(T) + ": needs T >= 2: at t = 1 SNR(0) = +inf and beta_tilde_1 = 0");
  struct Side {
    double lhs, rhs;
  };
  // One named form: its two sides at t, and whether the check reports the t of largest (holds-type) or
  // smallest (refuted-type) relative deviation.
  struct Form {
    std::string form, what;
    bool worst;
    std::function<Side(const HP&, const HP&, const HP&, const HP&)> eval;  // (ab_prev, ab, beta, beta_tilde)
  };
  auto dsnr = [](const HP& abp, const HP& ab) { return abp / (1 - abp) - ab / (1 - ab); };
  std::vector<Form> forms{
      {"as_written", "alpha_bar_{t-1}(1-alpha_t)^2/(1-alpha_bar_t)^2 vs SNR(t-1)-SNR(t)", false,
       [&](const HP& abp, const HP& ab, const HP& b, const HP&) {
         return Side{static_cast<double>(abp * b * b / ((1 - ab) * (1 - ab))), static_cast<double>(dsnr(abp, ab))};
       }},
      {"corrected", "alpha_bar_{t-1} beta_t^2/(2 beta_tilde_t (1-alpha_bar_t)^2) vs (SNR(t-1)-SNR(t))/2", true,
       [&](const HP& abp, const HP& ab, const HP& b, const HP& bt) {
         return Side{static_cast<double>(abp * b * b / (2 * bt * (1 - ab) * (1 - ab))),
                     static_cast<double>(dsnr(abp, ab) / 2)};
       }},
  };
  if (c.include_mutants) {
    forms.push_back({"mutant:dropped 1/2", "corrected left side vs SNR(t-1)-SNR(t)", false,
                     [&](const HP& abp, const HP& ab, const HP& b, const HP& bt) {
                       return Side{static_cast<double>(abp * b * b / (2 * bt * (1 - ab) * (1 - ab))),
                                   static_cast<double>(dsnr(abp, ab))};
                     }});
    forms.push_back({"mutant:alpha_t for alpha_bar_{t-1}", "alpha_t in place of alpha_bar_{t-1}", false,
                     [&](const HP& abp, const HP& ab, const HP& b, const HP& bt) {
                       return Side{static_cast<double>((1 - b) * b * b / (2 * bt * (1 - ab) * (1 - ab))),
                                   static_cast<double>(dsnr(abp, ab) / 2)};
                     }});
    forms.push_back({"mutant:beta_t for beta_tilde_t", "beta_t in place of beta_tilde_t", false,
                     [&](const HP& abp, const HP& ab, const HP& b, const HP&) {
                       return Side{static_cast<double>(abp * b * b / (2 * b * (1 - ab) * (1 - ab))),
                                   static_cast<double>(dsnr(abp, ab) / 2)};
                     }});
    forms.push_back({"mutant:(1-alpha_bar_t) not squared", "denominator (1-alpha_bar_t) instead of its square", false,
                     [&](const HP& abp, const HP& ab, const HP& b, const HP& bt) {
                       return Side{static_cast<double>(abp * b * b / (2 * bt * (1 - ab))),
                                   static_cast<double>(dsnr(abp, ab) / 2)};
                     }});
  }
  // 50-digit schedule from the double betas.
  std::vector<HP> ab(static_cast<std::size_t>(T) + 1);
  ab[0] = 1;
  for (int t = 1; t <= T; ++t) ab[static_cast<std::size_t>(t)] = ab[static_cast<std::size_t>(t) - 1] * (1 - HP(s.beta(t)));
  std::vector<Check> out;
  for (const auto& f : forms) {
    int pick = 2;
    double pick_dev = f.worst ? -1.0 : std::numeric_limits<double>::infinity();
    double dev_min = std::numeric_limits<double>::infinity(), dev_max = 0, ratio_min = 1e300, ratio_max = -1e300;
    Side at{};
    for (int t = 2; t <= T; ++t) {
      const HP b = s.beta(t), abp = ab[static_cast<std::size_t>(t) - 1], abt = ab[static_cast<std::size_t>(t)];
      const HP bt = b * (1 - abp) / (1 - abt);
      const Side sd = f.eval(abp, abt, b, bt);
      const double dev = std::abs(sd.lhs - sd.rhs) / std::abs(sd.rhs);
      dev_min = std::min(dev_min, dev);
      dev_max = std::max(dev_max, dev);
      ratio_min = std::min(ratio_min, sd.lhs / sd.rhs);
      ratio_max = std::max(ratio_max, sd.lhs / sd.rhs);
      if (f.worst ? dev > pick_dev : dev < pick_dev) {
        pick_dev = dev;
        pick = t;
        at = sd;
      }
    }
    Check ch = equality_check(f.form,
                              std::string(f.worst ? "largest" : "smallest") + " relative deviation over t=2.." +
                                  std::to_string(T) + ": t=" + std::to_string(pick),
                              "loss-weight coefficient (dimensionless), exact", Estimate::exact(at.lhs), at.rhs);
    ch.notes.push_back(f.what);
    ch.notes.push_back("relative deviation |lhs-rhs|/|rhs| over t=2.." + std::to_string(T) + ": min " + fmt(dev_min) +
                       ", max " + fmt(dev_max) + "; lhs/rhs ranges over [" + fmt(ratio_min) + ", " + fmt(ratio_max) +
                       "]");
    ch.notes.push_back("both sides evaluated in 50-digit arithmetic from the schedule's double betas, rounded once");
    ch.notes.push_back("t=1 excluded: SNR(0) = +inf and beta_tilde_1 = 0, so both sides are infinite there "
                       "(the note's left side is 1 at t=1, finite, while its right side is +inf)");
    out.push_back(std::move(ch));
  }
  return out;
}

// Loss identity by Monte Carlo: KL term vs coefficient * E||x_hat - x_0||^2, paired on the same draws.
ClaimOutput loss(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const auto& mix = c.require_mixture();
  const auto& p = c.params;
  const int d = mix.dim();
  const double shrink = p.number_or("shrink", 0.9);
  const double gap = p.number_or("gap_sd", 6.0);
  std::vector<Check> out;
  MutantPicker mutants;
  for (int t : p.steps("steps", s)) {
    if (t == 1) p.fail("steps", "t = 1: beta_tilde_1 = 0 (point-mass posterior) and SNR(0) = +inf, the KL term is undefined");
    const double bt = s.beta_tilde(t), c0 = s.posterior_coef_x0(t), ct = s.posterior_coef_xt(t);
    const double ab = s.alpha_bar(t), sab = std::sqrt(ab), snab = std::sqrt(1 - ab);
    const double dsnr = s.snr(t - 1) - s.snr(t);
    const double note_coef = s.alpha_bar(t - 1) * s.beta(t) * s.beta(t) / ((1 - ab) * (1 - ab));
    const ExactDenoiser den(mix, LinearGaussianNoise::ddpm(s, t, d));
    // Constant offset that alone moves the model's reverse mean by gap_sd posterior standard deviations.
    const Vec offset = Vec::Constant(d, gap * std::sqrt(bt) / c0 / std::sqrt(static_cast<double>(d)));
    struct F {
      std::string form;
      double coef;
    };
    std::vector<F> fs{{"as_written", dsnr}, {"as_written_coefficient", note_coef}, {"corrected", 0.5 * dsnr}};
    if (c.include_mutants) {
      fs.push_back({"mutant:dropped 1/2", dsnr});
      fs.push_back({"mutant:SNR(t)-SNR(t+1) (t for t-1)", 0.5 * (s.snr(t) - (t < s.T() ? s.snr(t + 1) : 0.0))});
      fs.push_back({"mutant:beta_t for beta_tilde_t", 0.5 * dsnr * bt / s.beta(t)});
    }
    const auto m = mc.means("kl/t=" + std::to_string(t), c.samples, 2 + fs.size(), [&](Rng& rng, std::span<double> o) {
      const Vec x0 = mix.sample(rng);
      Vec eps(d);
      rng.normals(eps.data(), static_cast<std::size_t>(d));
      const Vec xt = sab * x0 + snab * eps;
      const Vec xhat = shrink * den.posterior_mean(xt) + offset;
      const Vec mq = c0 * x0 + ct * xt, mp = c0 * xhat + ct * xt;
      Vec z(d);
      rng.normals(z.data(), static_cast<std::size_t>(d));
      const Vec x = mq + std::sqrt(bt) * z;
      const double lr = log_normal_iso(x, mq, bt) - log_normal_iso(x, mp, bt);
      const double b2 = (xhat - x0).squaredNorm();
      o[0] = lr;
      o[1] = b2;
      for (std::size_t i = 0; i < fs.size(); ++i) o[2 + i] = lr - fs[i].coef * b2;
    });
    const double kl = m.estimates[0].mean;
    const std::string label = "t=" + std::to_string(t);
    for (std::size_t i = 0; i < fs.size(); ++i) {
      Check ch = equality_check(fs[i].form, label,
                                "E[KL_t] - coef * E||x_hat - x_0||^2 in nats (paired on the same draws)",
                                m.estimates[2 + i], 0.0, kl, "the KL term E[KL_t] itself");
      ch.notes.push_back("E[KL_t] = " + fmt(kl) + " +- " + fmt(m.estimates[0].std_error) + " nats; E||x_hat-x_0||^2 = " +
                         fmt(m.estimates[1].mean) + "; coef = " + fmt(fs[i].coef) + "; implied coefficient KL/E||.||^2 = " +
                         fmt(kl / m.estimates[1].mean));
      if (fs[i].form.rfind("mutant:", 0) == 0)
        mutants.offer(std::move(ch), std::abs(fs[i].coef / (0.5 * dsnr) - 1));
      else
        out.push_back(std::move(ch));
    }
  }
  mutants.append_to(out);
  return out;
}

}  // namespace

void register_snr_identity(Registry& r) {
  const std::string fam = "snr_identity";
  r.add({"snr_identity.coefficient", fam,
         "Note 004 2.4: alpha_bar_{t-1}(1-alpha_t)^2/(1-alpha_bar_t)^2 = SNR(t-1) - SNR(t), at every t of a schedule.",
         {},
         {},
         false, true, coefficient});
  r.add({"snr_identity.loss", fam,
         "Note 004 2.4: the KL term equals (SNR(t-1) - SNR(t)) ||x_hat - x_0||^2 (sigma_t^2 = beta_tilde_t).",
         {"forward_process.marginal", "post_regression_linear1000"},
         {{"steps", "diffusion steps t (2..T) to check"},
          {"shrink", "x_hat = shrink * E[x0|x_t] + offset (default 0.9)"},
          {"gap_sd", "the offset moves the model's reverse mean by this many posterior SDs (default 6)"}},
         true, true, loss});
}

}  // namespace verify::claims
