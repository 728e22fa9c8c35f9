#include "verify/montecarlo.hpp"

#include <cmath>
#include <limits>

#include <Eigen/Dense>

namespace verify {

void MonteCarlo::BlockMulti::add(const std::vector<double>& x) {
  const std::size_t k = m.size();
  // Co-moment update uses the mean before and after the point (Welford's bivariate form).
  std::vector<double> before(k);
  for (std::size_t i = 0; i < k; ++i) before[i] = x[i] - m[i].mean;
  for (std::size_t i = 0; i < k; ++i) m[i].add(x[i]);
  for (std::size_t i = 0; i < k; ++i) {
    const double after_i = x[i] - m[i].mean;
    for (std::size_t j = 0; j < k; ++j) c[i * k + j] += after_i * before[j];
  }
}

void MonteCarlo::BlockMulti::add_rows(const double* x, std::size_t rows) {
  if (rows == 0) return;
  const auto k = static_cast<Eigen::Index>(m.size());
  const auto r = static_cast<Eigen::Index>(rows);
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> X(x, r, k);
  Eigen::RowVectorXd mu = X.colwise().sum() / static_cast<double>(rows);
  RowMat D = X.rowwise() - mu;
  mu += D.colwise().sum() / static_cast<double>(rows);  // second pass: corrects the rounding of the mean
  D = X.rowwise() - mu;
  BlockMulti chunk(m.size());
  for (Eigen::Index i = 0; i < k; ++i) {
    Moments& mi = chunk.m[static_cast<std::size_t>(i)];
    mi.n = static_cast<double>(rows);
    mi.mean = mu[i];
    const auto d = D.col(i).array();
    const auto d2 = (d * d).eval();
    mi.m2 = d2.sum();
    mi.m3 = (d2 * d).sum();
    mi.m4 = (d2 * d2).sum();
  }
  if (k == 1) {
    chunk.c[0] = chunk.m[0].m2;  // the co-moment of one output is its M2 (no rank update machinery)
  } else {
    Eigen::MatrixXd C = Eigen::MatrixXd::Zero(k, k);
    C.selfadjointView<Eigen::Lower>().rankUpdate(D.transpose());
    for (Eigen::Index i = 0; i < k; ++i)
      for (Eigen::Index j = 0; j < k; ++j)
        chunk.c[static_cast<std::size_t>(i * k + j)] = i >= j ? C(i, j) : C(j, i);
  }
  merge(chunk);
}

void MonteCarlo::BlockMulti::merge(const BlockMulti& o) {
  const std::size_t k = m.size();
  if (o.m.empty() || o.m[0].n == 0) return;
  if (m[0].n == 0) {
    *this = o;
    return;
  }
  const double na = m[0].n, nb = o.m[0].n, nx = na + nb;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double di = o.m[i].mean - m[i].mean, dj = o.m[j].mean - m[j].mean;
      c[i * k + j] += o.c[i * k + j] + di * dj * na * nb / nx;
    }
  for (std::size_t i = 0; i < k; ++i) m[i].merge(o.m[i]);
}

MonteCarlo::Multi MonteCarlo::BlockMulti::finish() const {
  Multi out;
  const std::size_t k = m.size();
  out.samples = k ? static_cast<std::size_t>(m[0].n) : 0;
  for (const auto& mi : m) out.estimates.push_back(Estimate::from_moments(mi));
  out.covariance.resize(k * k);
  const double denom = out.samples > 1 ? static_cast<double>(out.samples) - 1.0 : 1.0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) out.covariance[i * k + j] = 0.5 * (c[i * k + j] + c[j * k + i]) / denom;
  return out;
}

}  // namespace verify

// ---- sampling methods -------------------------------------------------------------------------------

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/random/sobol.hpp>
#include <stdexcept>

namespace verify {

std::string to_string(Method m) {
  switch (m) {
    case Method::plain: return "plain";
    case Method::antithetic: return "antithetic";
    case Method::rqmc: return "rqmc";
  }
  return "plain";
}

Method method_from_string(const std::string& s) {
  if (s == "plain") return Method::plain;
  if (s == "antithetic") return Method::antithetic;
  if (s == "rqmc") return Method::rqmc;
  throw std::invalid_argument("'" + s + "' is not a sampling method (plain, antithetic, rqmc)");
}

double t_inflation(double dof) {
  const double p = 1.0 - 0.5e-6;
  return boost::math::quantile(boost::math::students_t(dof), p) / boost::math::quantile(boost::math::normal(), p);
}

struct QmcPoints::Impl {
  Impl(unsigned d, std::uint64_t first, const std::uint64_t* s) : sobol(d), shift(s), u(d) { sobol.seed(first); }
  boost::random::sobol sobol;
  const std::uint64_t* shift;
  std::vector<double> u;
};

QmcPoints::QmcPoints(unsigned dims, std::uint64_t first, const std::uint64_t* shift)
    : impl_(std::make_unique<Impl>(dims, first, shift)) {}
QmcPoints::~QmcPoints() = default;

const double* QmcPoints::next() {
  auto& im = *impl_;
  for (std::size_t d = 0; d < im.u.size(); ++d) {
    // Cranley-Patterson rotation modulo 1 in 64-bit fixed point, then 53 bits centred as Rng::uniform.
    const std::uint64_t x = static_cast<std::uint64_t>(im.sobol()) + im.shift[d];
    im.u[d] = (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
  }
  return im.u.data();
}

std::vector<std::uint64_t> MonteCarlo::qmc_shifts(std::uint64_t sid) const {
  const std::size_t R = sampling_.randomisations, D = sampling_.qmc_dims;
  std::vector<std::uint64_t> s(R * D);
  for (std::size_t r = 0; r < R; ++r) {
    Rng rng(seed_, sid, (std::uint64_t{1} << 40) + r);  // counters disjoint from the sampling blocks
    for (std::size_t d = 0; d < D; ++d) s[r * D + d] = rng.bits64();
  }
  return s;
}

Estimate MonteCarlo::finish_blocks(const std::vector<Moments>& partial, EstimateMethod method) {
  Moments total;
  std::vector<TracePoint> trace;
  for (std::size_t b = 0; b < partial.size(); ++b) {
    total.merge(partial[b]);
    if (((b + 1) & b) == 0 || b + 1 == partial.size()) {
      const Estimate e = Estimate::from_moments(total);
      trace.push_back({e.samples, e.mean, e.std_error});
    }
  }
  Estimate out = Estimate::from_moments(total);
  out.trace = std::move(trace);
  out.method = method;
  return out;
}

Estimate MonteCarlo::finish_antithetic(const std::vector<Moments>& partial, const std::vector<Moments>& singles) {
  Estimate out = finish_blocks(partial, EstimateMethod::antithetic);
  Moments s;
  for (const auto& m : singles) s.merge(m);
  out.std_dev = std::sqrt(s.variance());
  const double floor = 64.0 * std::numeric_limits<double>::epsilon() * (std::abs(out.mean) + out.std_dev);
  out.std_error = std::max(out.std_error, floor);
  for (auto& t : out.trace) t.std_error = std::max(t.std_error, floor);
  return out;
}

namespace {
// Mean and SE from the first count randomisation means (SE inflated for count - 1 degrees of freedom).
std::pair<double, double> randomisation_summary(const std::vector<double>& means, std::size_t count) {
  double mu = 0;
  for (std::size_t r = 0; r < count; ++r) mu += means[r];
  mu /= static_cast<double>(count);
  double ss = 0;
  for (std::size_t r = 0; r < count; ++r) ss += (means[r] - mu) * (means[r] - mu);
  const double var = count > 1 ? ss / static_cast<double>(count - 1) : 0.0;
  const double se = count > 1 ? std::sqrt(var / static_cast<double>(count)) * t_inflation(static_cast<double>(count - 1)) : 0.0;
  return {mu, se};
}
}  // namespace

Estimate MonteCarlo::finish_rqmc(const std::vector<Moments>& partial, std::size_t R, std::size_t bpr) const {
  std::vector<double> means(R);
  Moments pooled;
  for (std::size_t r = 0; r < R; ++r) {
    Moments per;
    for (std::size_t j = 0; j < bpr; ++j) per.merge(partial[r * bpr + j]);
    means[r] = per.mean;
    pooled.merge(per);
  }
  Estimate out = Estimate::from_moments(pooled);  // integrand SD, skewness, kurtosis over all points
  const auto [mu, se] = randomisation_summary(means, R);
  out.mean = mu;
  out.std_error = se;
  out.method = EstimateMethod::rqmc;
  for (std::size_t c = 2;; c *= 2) {
    const std::size_t cc = std::min(c, R);
    const auto [m, s] = randomisation_summary(means, cc);
    out.trace.push_back({static_cast<std::size_t>(pooled.n / static_cast<double>(R) * static_cast<double>(cc)), m, s});
    if (cc == R) break;
  }
  return out;
}

MonteCarlo::Multi MonteCarlo::finish_rqmc_multi(const std::vector<BlockMulti>& partial, std::size_t R, std::size_t bpr,
                                                std::size_t k) const {
  std::vector<std::vector<double>> means(k, std::vector<double>(R));
  BlockMulti pooled(k);
  for (std::size_t r = 0; r < R; ++r) {
    BlockMulti per(k);
    for (std::size_t j = 0; j < bpr; ++j) per.merge(partial[r * bpr + j]);
    for (std::size_t i = 0; i < k; ++i) means[i][r] = per.m[i].mean;
    pooled.merge(per);
  }
  Multi out = pooled.finish();
  const double infl = t_inflation(static_cast<double>(R - 1));
  std::vector<double> mu(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto [m, s] = randomisation_summary(means[i], R);
    mu[i] = m;
    out.estimates[i].mean = m;
    out.estimates[i].std_error = s;
    out.estimates[i].method = EstimateMethod::rqmc;
  }
  const double n = static_cast<double>(out.samples);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      double c = 0;
      for (std::size_t r = 0; r < R; ++r) c += (means[i][r] - mu[i]) * (means[j][r] - mu[j]);
      c /= static_cast<double>(R - 1);
      out.covariance[i * k + j] = n * c / static_cast<double>(R) * infl * infl;
    }
  return out;
}

}  // namespace verify
