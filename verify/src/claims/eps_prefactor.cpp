// Claim family: the prefactor of the epsilon-prediction loss (note 003 steps 4-6). Note 002 section 8's prefactor and
// note 003's steps 5-6 (the ratio across models at fixed t, the ratio against a reference step) are checked by formulas
// in cases/eps_prefactor/eps_note00*.toml; what is left here is the weight profile (means and medians of the exact
// weights over the halves of the schedule), whose medians the formula vocabulary does not express yet.
//
// The weights on ||eps - eps_theta||^2: the correct VLB weight lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)),
// note 002 section 8's alpha_t^2 / (2 beta_tilde_t (1 - alpha_bar_t)), note 003's table beta_t^2 / (alpha_t (1 - alpha_bar_t)).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "denoising_util.hpp"

namespace verify::claims {

namespace {

using namespace denoising;

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
  r.add({"eps_prefactor.weight_profile", fam,
         "Note 003 step 6: the VLB weighting emphasises high t (mean weight over the upper half of t >= lower half).",
         {},
         {},
         false, true, weight_profile});
}

}  // namespace verify::claims
