// Claim family: the ELBO's end terms. Prior matching L_T (note 001 "First Term - Prior KL", note 003 step 3) is checked
// by formulas in cases/prior_decoder/prior_kl_*.toml; what is left here is the discretised decoder L_0.
//
// Note 001 "Third Term - Reconstruction term": the discretised Gaussian decoder over 256 bins on [-1, 1].
// Ground truth: the bin probabilities by direct Gauss-Kronrod quadrature of the Gaussian density over each bin
// (Boost.Math), against differences of the exact normal CDF (Boost.Math).
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "common.hpp"
#include "verify/mixture.hpp"

namespace verify::claims {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kEps = std::numeric_limits<double>::epsilon();

// ---------------------------------------------------------------------------------------------------------
// prior_decoder.decoder: discretised Gaussian decoder, 256 levels x_k = -1 + 2k/255, bin edges x_k -/+ 1/255, the
// lowest bin open to -inf and the highest to +inf.
struct Bins {
  double half;  // half-width 1/255 (as written) or a mutant's
  bool open_edges;
  double lo(int k) const { return (k == 0 && open_edges) ? -std::numeric_limits<double>::infinity() : level(k) - half; }
  double hi(int k) const { return (k == 255 && open_edges) ? std::numeric_limits<double>::infinity() : level(k) + half; }
  static double level(int k) { return -1.0 + 2.0 * k / 255.0; }
};

// P(bin) = Phi((hi - mu)/sigma) - Phi((lo - mu)/sigma); upper-tail bins through the complementary CDF to keep
// relative precision.
double p_cdf(double lo, double hi, double mu, double sigma) {
  const boost::math::normal_distribution<double> n(mu, sigma);
  if (lo > mu) {
    const double ql = boost::math::cdf(boost::math::complement(n, lo));
    const double qh = std::isinf(hi) ? 0.0 : boost::math::cdf(boost::math::complement(n, hi));
    return ql - qh;
  }
  const double ph = std::isinf(hi) ? 1.0 : boost::math::cdf(n, hi);
  const double pl = std::isinf(lo) ? 0.0 : boost::math::cdf(n, lo);
  return ph - pl;
}

// P(bin) by adaptive Gauss-Kronrod quadrature of the density; *err receives the quadrature's error estimate.
double p_quad(double lo, double hi, double mu, double sigma, double* err) {
  auto f = [&](double x) { return std::exp(-0.5 * (x - mu) * (x - mu) / (sigma * sigma)) / (sigma * std::sqrt(2 * kPi)); };
  // Open bins are cut at 40 sigma from the mean: the density mass beyond is below 1e-340, under double's range.
  lo = std::max(lo, mu - 40 * sigma);
  hi = std::min(hi, mu + 40 * sigma);
  *err = 0;
  if (!(lo < hi)) return 0.0;
  double e = 0;
  const double v = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, lo, hi, 10, 1e-13, &e);
  *err = e;
  return v;
}

double tanh_cdf(double x) {
  return 0.5 * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
}

std::vector<Check> decoder(const CaseSpec& c, const MonteCarlo&) {
  const auto& p = c.params;
  const auto& mix = c.require_mixture();
  if (mix.dim() != 1) c.fail("mixture", "the decoder check uses a 1-D mixture");
  const auto sigmas = p.numbers("sigmas");
  const auto means = p.numbers("means");
  const auto offsets = p.numbers("mean_offsets");
  const double data_scale = p.positive("data_scale");
  const double tanh_margin = p.positive("tanh_margin");
  for (double sg : sigmas)
    if (!(sg > 0)) p.fail("sigmas", "sigmas must be > 0");
  const Bins bins{1.0 / 255.0, true};
  std::vector<Check> out;
  // 1. Normalisation: the bin probabilities sum to 1 (telescoping CDF differences).
  for (double sg : sigmas)
    for (double mu : means) {
      auto total = [&](const Bins& b) {
        double sum = 0;
        for (int k = 0; k < 256; ++k) sum += p_cdf(b.lo(k), b.hi(k), mu, sg);
        return sum;
      };
      const std::string lab = "sigma=" + std::to_string(sg) + ", mu=" + std::to_string(mu);
      const std::string q = "sum of the 256 bin probabilities";
      out.push_back(equality_check("as_written", lab, q, Estimate::exact(total(bins)), 1.0));
      if (c.include_mutants) {
        out.push_back(equality_check("mutant:edge bins closed", lab, q, Estimate::exact(total(Bins{1.0 / 255.0, false})), 1.0));
        out.push_back(equality_check("mutant:half-width 1/256", lab, q, Estimate::exact(total(Bins{1.0 / 256.0, true})), 1.0));
      }
    }
  // 2. Log-likelihood of quantised data: the 1-D mixture divided by data_scale and rounded to the nearest level (the
  // open edge bins collect everything outside); level weights exact from the mixture CDF. Decoder mean x_k + offset.
  std::vector<double> w(256, 0.0);
  for (int k = 0; k < 256; ++k)
    for (std::size_t j = 0; j < mix.size(); ++j) {
      const double mj = mix.components()[j].mean()[0] / data_scale, sj = std::sqrt(mix.components()[j].cov()(0, 0)) / data_scale;
      w[static_cast<std::size_t>(k)] += mix.weights()[j] * p_cdf(bins.lo(k), bins.hi(k), mj, sj);
    }
  for (double sg : sigmas)
    for (double off : offsets) {
      double ll_cdf = 0, ll_quad = 0, err = 0, mag = 0, ll_mut = 0;
      for (int k = 0; k < 256; ++k) {
        const double mu = Bins::level(k) + off, wk = w[static_cast<std::size_t>(k)];
        double e = 0;
        const double pq = p_quad(bins.lo(k), bins.hi(k), mu, sg, &e);
        const double pc = p_cdf(bins.lo(k), bins.hi(k), mu, sg);
        ll_quad += wk * std::log(pq);
        ll_cdf += wk * std::log(pc);
        ll_mut += wk * std::log(p_cdf(Bins::level(k) - 1.0 / 256, Bins::level(k) + 1.0 / 256, mu, sg));
        err += wk * e / pq;  // first-order error of log pq
        mag += wk * std::abs(std::log(pq));
      }
      Estimate truth = Estimate::exact(ll_quad);
      truth.std_error = std::max(err, 8 * kEps * mag);
      truth.method = EstimateMethod::quadrature;
      const std::string lab = "sigma=" + std::to_string(sg) + ", mean offset=" + std::to_string(off);
      const std::string q = "E_data[log p(x_0|x_1)] in nats (quantised mixture data)";
      out.push_back(equality_check("as_written", lab, q, truth, ll_cdf));
      if (c.include_mutants) {
        out.push_back(equality_check("mutant:half-width 1/256", lab, q, truth, ll_mut));
        double ll_t = 0;
        for (int k = 0; k < 256; ++k) {
          const double mu = Bins::level(k) + off;
          const double hi = k == 255 ? 1.0 : tanh_cdf((bins.hi(k) - mu) / sg);
          const double lo = k == 0 ? 0.0 : tanh_cdf((bins.lo(k) - mu) / sg);
          ll_t += w[static_cast<std::size_t>(k)] * std::log(std::max(hi - lo, 1e-300));
        }
        out.push_back(equality_check("mutant:tanh CDF approximation in the decoder", lab, q, truth, ll_t));
      }
    }
  // 3. The tanh approximation of the normal CDF used by the reference implementation: max |tanh - Phi| on a grid
  // z in [-8, 8] with step 1e-3 (as an exact identity: refuted; within tanh_margin: holds).
  double maxdiff = 0, argmax = 0;
  for (int i = -8000; i <= 8000; ++i) {
    const double z = i * 1e-3, dlt = std::abs(tanh_cdf(z) - boost::math::cdf(boost::math::normal_distribution<double>(), z));
    if (dlt > maxdiff) {
      maxdiff = dlt;
      argmax = z;
    }
  }
  const std::string q = "max over z in [-8,8] (step 1e-3) of |tanh CDF - Phi(z)| (probability)";
  Check ex = equality_check("tanh_cdf_exact", "grid max at z=" + std::to_string(argmax), q, Estimate::exact(maxdiff), 0.0,
                            1.0, "probability scale 1");
  Check eq = ex;
  eq.form = "tanh_cdf_within_margin";
  eq.kind = TestKind::equivalence;
  eq.margin = tanh_margin;
  eq.scale = tanh_margin;
  eq.scale_name = "margin";
  out.push_back(ex);
  out.push_back(eq);
  return out;
}

}  // namespace

void register_prior_decoder(Registry& r) {
  const std::string fam = "prior_decoder";
  r.add({"prior_decoder.decoder", fam,
         "The 256-bin discretised Gaussian decoder sums to 1 and its log-likelihood equals quadrature of the density over each bin.",
         {},
         {{"sigmas", "decoder standard deviations"}, {"means", "decoder means for the normalisation check"},
          {"mean_offsets", "decoder mean = level + offset for the likelihood check"},
          {"data_scale", "mixture data are divided by this before quantisation to [-1, 1]"},
          {"tanh_margin", "allowed max |tanh CDF - Phi| for the approximation form"}},
         true, false, decoder});
}

}  // namespace verify::claims
