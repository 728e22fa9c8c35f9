// Claim family: KL divergences between Gaussians.
//
// Notes: 004 section 1.1 (KL to a standard normal), 001 "KL formula between two Gaussians" (posterior vs
// model reverse step, and its fixed-variance special case), 000 "From KL collapses to a mean MSE" and
// 003 step 4 (with fixed covariances the KL is a squared mean distance over 2 sigma^2, plus a constant).
//
// Ground truth everywhere: KL(q || p) = E_q[log q(X) - log p(X)], estimated from samples of q with exact
// log-densities. The closed-form multivariate KL (gaussian_kl.closed_form) is itself checked that way,
// and later families that use Gaussian::kl_to depend on that claim.
#include <cmath>

#include "common.hpp"
#include "verify/gaussian.hpp"

namespace verify::claims {

namespace {

// log q(x) - log p(x) at x = m_q + L_q z, both densities evaluated at x from their definitions, without heap
// allocation per draw: precomputed inverse Cholesky factors P = L^{-1}, so log N(x; m, S) =
// -(d log 2 pi + log det S)/2 - |P (x - m)|^2 / 2. (Same value as Gaussian::log_density to rounding.)
class LogRatio {
 public:
  LogRatio(const Gaussian& q, const Gaussian& p)
      : d_(q.dim()), mq_(q.mean()), mp_(p.mean()), Lq_(q.chol()),
        Pq_(q.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(q.dim(), q.dim()))),
        Pp_(p.chol().triangularView<Eigen::Lower>().solve(Mat::Identity(p.dim(), p.dim()))),
        c_(0.5 * (p.log_det() - q.log_det())) {}
  // x ~ q (d values).
  void draw(Rng& rng, double* x) const {
    double z[256];  // Limits::max_dim
    rng.normals(z, static_cast<std::size_t>(d_));
    for (int i = 0; i < d_; ++i) {
      double v = mq_[i];
      for (int j = 0; j <= i; ++j) v += Lq_(i, j) * z[j];
      x[i] = v;
    }
  }
  // log q(x) - log p(x).
  double at(const double* x) const { return c_ - 0.5 * quad(Pq_, mq_, x) + 0.5 * quad(Pp_, mp_, x); }
  // log p(x) up to the constant shared by every p of the same covariance: -|P_p (x - m_p)|^2 / 2.
  double p_quad(const double* x) const { return -0.5 * quad(Pp_, mp_, x); }
  double operator()(Rng& rng) const {
    double x[256];
    draw(rng, x);
    return at(x);
  }

 private:
  double quad(const Mat& P, const Vec& m, const double* x) const {
    double q = 0;
    for (int i = 0; i < d_; ++i) {
      double a = 0;
      for (int j = 0; j <= i; ++j) a += P(i, j) * (x[j] - m[j]);
      q += a * a;
    }
    return q;
  }
  int d_;
  Vec mq_, mp_;
  Mat Lq_, Pq_, Pp_;
  double c_;
};

// E_q[log q - log p] by Monte Carlo.
Estimate kl_by_sampling(const MonteCarlo& mc, const std::string& stream, std::size_t n, const Gaussian& q,
                        const Gaussian& p) {
  const LogRatio f(q, p);
  return mc.mean(stream, n, f);
}

std::vector<Check> closed_form(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& p = c.params;
  const Vec mq = Eigen::Map<const Vec>(p.numbers("mean_q").data(), static_cast<Eigen::Index>(p.numbers("mean_q").size()));
  const int d = static_cast<int>(mq.size());
  Gaussian q(mq, p.matrix("cov_q", d));
  Gaussian pp(p.vector("mean_p", d), p.matrix("cov_p", d));
  const Estimate truth = kl_by_sampling(mc, "kl", c.samples, q, pp);
  const std::string label = "d=" + std::to_string(d), qty = "KL(q||p) in nats";
  std::vector<Check> out{equality_check("as_written", label, qty, truth, q.kl_to(pp))};
  if (c.include_mutants) {
    out.push_back(equality_check("mutant:arguments swapped", label, qty, truth, pp.kl_to(q)));
    out.push_back(equality_check("mutant:dropped 1/2", label, qty, truth, 2 * q.kl_to(pp)));
    out.push_back(equality_check("mutant:missing -d", label, qty, truth, q.kl_to(pp) + 0.5 * d));
  }
  return out;
}

std::vector<Check> standard_normal(const CaseSpec& c, const MonteCarlo& mc) {
  const double mu = c.params.number("mu"), s2 = c.params.positive("sigma2");
  const Gaussian q = Gaussian::isotropic(Vec::Constant(1, mu), s2);
  const Gaussian p = Gaussian::isotropic(Vec::Zero(1), 1.0);
  const Estimate truth = kl_by_sampling(mc, "kl", c.samples, q, p);
  const double note = 0.5 * (-std::log(s2) + mu * mu + s2 - 1.0);
  const std::string label = "mu=" + std::to_string(mu) + ", sigma^2=" + std::to_string(s2);
  const std::string qty = "KL(N(mu, sigma^2) || N(0, 1)) in nats";
  std::vector<Check> out{equality_check("as_written", label, qty, truth, note)};
  if (c.include_mutants) {
    // Wrong variants a careless derivation produces; each must be refuted on the same random numbers.
    out.push_back(equality_check("mutant:dropped 1/2", label, qty, truth, 2 * note));
    out.push_back(equality_check("mutant:sigma for sigma^2 in the log", label, qty, truth,
                                 0.5 * (-std::log(std::sqrt(s2)) + mu * mu + s2 - 1.0)));
    out.push_back(equality_check("mutant:sign of the log flipped", label, qty, truth,
                                 0.5 * (std::log(s2) + mu * mu + s2 - 1.0)));
  }
  return out;
}

// Note 001: posterior N(mu_tilde, beta_tilde_t) against model N(mu_theta, sigma_theta^2), one dimension.
std::vector<Check> note001_general(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const int t = c.params.step("t", s);
  const double bt = variance_param(c, "posterior_variance", t, "beta_tilde");
  const double s2 = variance_param(c, "model_variance", t, "beta");
  // The gap is given in units of the posterior standard deviation so that one case file suits any t.
  const double gap = c.params.number("mean_gap_sd") * std::sqrt(bt);
  const Gaussian q = Gaussian::isotropic(Vec::Zero(1), bt);
  const Gaussian p = Gaussian::isotropic(Vec::Constant(1, -gap), s2);
  const Estimate truth = kl_by_sampling(mc, "kl", c.samples, q, p);
  const double as_written = 0.5 * (std::log(s2 / bt) + bt / s2 + gap * gap / bt - 1.0);
  const double corrected = 0.5 * (std::log(s2 / bt) + bt / s2 + gap * gap / s2 - 1.0);
  const std::string label = "t=" + std::to_string(t) + ", sigma_theta^2/beta_tilde=" + std::to_string(s2 / bt);
  const std::string qty = "KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)) in nats";
  std::vector<Check> out{equality_check("as_written", label, qty, truth, as_written),
                         equality_check("corrected", label, qty, truth, corrected)};
  if (c.include_mutants) {
    out.push_back(equality_check("mutant:log ratio inverted", label, qty, truth,
                                 0.5 * (std::log(bt / s2) + bt / s2 + gap * gap / s2 - 1.0)));
    out.push_back(equality_check("mutant:dropped -1", label, qty, truth, corrected + 0.5));
    out.push_back(equality_check("mutant:variance ratio inverted", label, qty, truth,
                                 0.5 * (std::log(s2 / bt) + s2 / bt + gap * gap / s2 - 1.0)));
  }
  return out;
}

// Note 001: with sigma_theta^2 = beta_tilde_t the KL is ||mu_tilde - mu_theta||^2 / (2 beta_tilde_t), any dim.
std::vector<Check> note001_fixed_variance(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const int t = c.params.step("t", s);
  const double bt = variance_param(c, "posterior_variance", t, "beta_tilde");
  const Vec gap = Eigen::Map<const Vec>(c.params.numbers("mean_gap_sd").data(),
                                        static_cast<Eigen::Index>(c.params.numbers("mean_gap_sd").size())) *
                  std::sqrt(bt);
  const auto d = gap.size();
  const Gaussian q = Gaussian::isotropic(Vec::Zero(d), bt);
  const Gaussian p = Gaussian::isotropic(-gap, bt);
  const Estimate truth = kl_by_sampling(mc, "kl", c.samples, q, p);
  return {equality_check("as_written", "t=" + std::to_string(t) + ", d=" + std::to_string(d),
                         "KL with sigma_theta^2 = beta_tilde_t, in nats", truth, 0.5 * gap.squaredNorm() / bt)};
}

// "KL = ||mu_q - mu_p||^2 / (2 v) + const" means KL(gap a) - KL(gap b) = (||a||^2 - ||b||^2) / (2 v):
// the constant cancels. Truth: E_q[log p_b(X) - log p_a(X)] with X ~ q, on common samples.
Estimate kl_difference(const MonteCarlo& mc, const std::string& stream, std::size_t n, int d, double var_q,
                       double var_p, double gap_a) {
  const Gaussian q = Gaussian::isotropic(Vec::Zero(d), var_q);
  const Gaussian pa = Gaussian::isotropic(Vec::Constant(d, -gap_a / std::sqrt(d)), var_p);
  const Gaussian pb = Gaussian::isotropic(Vec::Zero(d), var_p);
  // log p_b(x) - log p_a(x): the two share a covariance, so their normalisers cancel exactly.
  const LogRatio ra(q, pa), rb(q, pb);
  return mc.mean(stream, n, [&](Rng& rng) {
    double x[256];
    ra.draw(rng, x);
    return rb.p_quad(x) - ra.p_quad(x);
  });
}

// Note 000: "for two Gaussians with identical covariance, KL = ||mu_tilde - mu_theta||^2 / (2 beta_t) + const".
std::vector<Check> note000_identical_covariance(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const int t = c.params.step("t", s);
  const int d = static_cast<int>(c.params.integer_or("dim", 1));
  if (d < 1 || d > Limits::max_dim) c.params.fail("dim", "must be in 1..256");
  if (t == 1) c.params.fail("t", "beta_tilde_1 = 0: the posterior at t = 1 is a point mass, the KL is undefined");
  const double bt = s.beta_tilde(t), b = s.beta(t);
  const double gap = c.params.number("mean_gap_sd") * std::sqrt(bt);
  const std::string label = "t=" + std::to_string(t) + ", d=" + std::to_string(d);
  const std::string qty = "KL(gap) - KL(0) in nats";
  // The covariance both Gaussians share is the posterior's, beta_tilde_t I.
  const Estimate identical = kl_difference(mc, "identical", c.samples, d, bt, bt, gap);
  // Reading the note's beta_t as the model variance (sigma_t^2 = beta_t, covariances then differ).
  const Estimate model_beta = kl_difference(mc, "model_beta", c.samples, d, bt, b, gap);
  std::vector<Check> out{equality_check("as_written", label, qty, identical, gap * gap / (2 * b)),
                         equality_check("corrected", label, qty, identical, gap * gap / (2 * bt)),
                         equality_check("model_variance_beta", label, qty, model_beta, gap * gap / (2 * b))};
  if (c.include_mutants) {
    out.push_back(equality_check("mutant:dropped 1/2", label, qty, identical, gap * gap / bt));
    out.push_back(equality_check("mutant:standard deviation for variance", label, qty, identical,
                                 gap * gap / (2 * std::sqrt(bt))));
    out.push_back(equality_check("mutant:missing square", label, qty, identical, gap / (2 * bt)));
  }
  return out;
}

// Note 003 step 4: KL(N(m1, s1^2 I) || N(m2, s2^2 I)) = ||m1 - m2||^2 / (2 s2^2) + const, variances fixed.
std::vector<Check> note003_fixed_variances(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& s = c.require_schedule();
  const int t = c.params.step("t", s);
  const int d = static_cast<int>(c.params.integer_or("dim", 1));
  if (d < 1 || d > Limits::max_dim) c.params.fail("dim", "must be in 1..256");
  const double v1 = variance_param(c, "posterior_variance", t, "beta_tilde");
  const double v2 = variance_param(c, "model_variance", t, "beta");
  const double gap = c.params.number("mean_gap_sd") * std::sqrt(v1);
  const Estimate truth = kl_difference(mc, "kl", c.samples, d, v1, v2, gap);
  return {equality_check("as_written", "t=" + std::to_string(t) + ", sigma_1^2/sigma_2^2=" + std::to_string(v1 / v2),
                         "KL(gap) - KL(0) in nats", truth, gap * gap / (2 * v2))};
}

}  // namespace

void register_gaussian_kl(Registry& r) {
  const std::string fam = "gaussian_kl";
  const std::pair<std::string, std::string> t_param{"t", "diffusion step t in 1..T"};
  const std::pair<std::string, std::string> gap_param{"mean_gap_sd", "mean gap in posterior standard deviations"};
  r.add({"gaussian_kl.closed_form", fam,
         "Closed-form KL between two multivariate Gaussians equals E_q[log q - log p].", {},
         {{"mean_q", "mean of q"}, {"cov_q", "covariance of q"}, {"mean_p", "mean of p"}, {"cov_p", "covariance of p"}},
         false, false, closed_form});
  r.add({"gaussian_kl.standard_normal", fam, "KL(N(mu, sigma^2) || N(0,1)) = (-log sigma^2 + mu^2 + sigma^2 - 1)/2.",
         {}, {{"mu", "mean"}, {"sigma2", "variance"}}, false, false, standard_normal});
  r.add({"gaussian_kl.note001_general", fam,
         "Note 001's KL between the posterior and the model reverse step (mean term over beta_tilde).", {},
         {t_param, gap_param,
          {"posterior_variance", "\"beta_tilde\" (default), \"beta\" or a number"},
          {"model_variance", "sigma_theta^2: \"beta\" (default), \"beta_tilde\" or a number"}},
         false, true, note001_general});
  r.add({"gaussian_kl.note001_fixed_variance", fam,
         "With sigma_theta^2 = beta_tilde_t, KL = ||mu_tilde - mu_theta||^2 / (2 beta_tilde_t).", {},
         {t_param, {"mean_gap_sd", "mean gap vector in posterior standard deviations"},
          {"posterior_variance", "\"beta_tilde\" (default) or a number"}},
         false, true, note001_fixed_variance});
  r.add({"gaussian_kl.note000_identical_covariance", fam,
         "Note 000: identical covariances give KL = ||mu_tilde - mu_theta||^2 / (2 beta_t) + const.", {},
         {t_param, gap_param, {"dim", "dimension (default 1)"}}, false, true, note000_identical_covariance});
  r.add({"gaussian_kl.note003_fixed_variances", fam,
         "Note 003 step 4: with fixed variances, KL = ||mu_1 - mu_2||^2 / (2 sigma_2^2) + const.", {},
         {t_param, gap_param, {"dim", "dimension (default 1)"},
          {"posterior_variance", "sigma_1^2: \"beta_tilde\" (default), \"beta\" or a number"},
          {"model_variance", "sigma_2^2: \"beta\" (default), \"beta_tilde\" or a number"}},
         false, true, note003_fixed_variances});
}

}  // namespace verify::claims
