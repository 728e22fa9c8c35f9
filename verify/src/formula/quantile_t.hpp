#pragma once
// The quantile function F^{-1}_P(u) of a one-dimensional Gaussian mixture (the laws of the formula layer: p_{data},
// its diffused marginals p_{data} * N(0, v), q(x_s), N(m, v)), in double and in 50 digits.
//
// Solved from the exact CDF: a bracket [lo, hi] with F(lo) <= u <= F(hi), then Newton on log F(x) = log u (on
// log S(x) = log(1 - u) above the median, S = 1 - F from erfc, so that both tails keep full relative precision),
// safeguarded by bisection whenever a step leaves the bracket. In double the start comes from a table of the CDF
// (QuantileTable: cubic Hermite inversion in the cell, then the same Newton, ending in one or two steps), since a
// sampler coupled through quantiles calls it once or twice per draw; in 50 digits from the double answer.
#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace verify::formula {

template <class T>
struct Mix1T {
  std::vector<T> w, m, s;  // weights, means, standard deviations (all s > 0)

  // F(x), or S(x) = 1 - F(x) when upper: each component's tail from erfc, without cancellation.
  T tail(const T& x, bool upper) const {
    using std::sqrt;
    const T r2 = sqrt(T(2));
    T c = T(0);
    for (std::size_t k = 0; k < w.size(); ++k) {
      const T z = (x - m[k]) / s[k];
      // In double the C library's erfc (correctly rounded to about an ulp, and several times faster than Boost's,
      // which promotes to long double); in 50 digits Boost's.
      if constexpr (std::is_same_v<T, double>) c += w[k] * std::erfc((upper ? z : -z) / r2) / 2;
      else c += w[k] * boost::math::erfc((upper ? z : -z) / r2) / T(2);
    }
    return c;
  }
  T pdf(const T& x) const {
    using std::exp;
    using std::sqrt;
    const T c = sqrt(2 * T(std::numbers::pi_v<double>));
    T p = T(0);
    for (std::size_t k = 0; k < w.size(); ++k) {
      const T z = (x - m[k]) / s[k];
      p += w[k] * exp(-z * z / 2) / (s[k] * c);
    }
    return p;
  }

  // Safeguarded Newton from x inside [lo, hi] (F(lo) <= u <= F(hi)); returns the root to a few ulps of T.
  T solve(const T& u, T x, T lo, T hi) const {
    using std::abs;
    using std::log;
    const bool upper = u > T(0.5);
    const T p = upper ? T(1) - u : u, lp = log(p);
    const T tol = 4 * std::numeric_limits<T>::epsilon();
    for (int it = 0; it < 400; ++it) {
      const T c = tail(x, upper);
      // g(x) = log F(x) - log u (or log(1 - u) - log S(x)): increasing in x, 0 at the quantile.
      const T g = c > 0 ? (upper ? lp - log(c) : log(c) - lp) : (upper ? T(1) : T(-1)) * std::numeric_limits<T>::infinity();
      if (g == 0) return x;
      if (g > 0) hi = x;
      else lo = x;
      const T d = pdf(x);
      const T scale = T(1) + abs(x);
      T nx = d > 0 && c > 0 && abs(g) < std::numeric_limits<T>::infinity() ? x - g * c / d : (lo + hi) / 2;
      // Done when the Newton step is at rounding, or when log F itself agrees to rounding (a wide law near its
      // centre: F is then known only to a few ulps, and its root no better than their ratio to the density).
      if (nx >= lo && nx <= hi && (abs(nx - x) <= tol * scale || abs(g) <= 2 * tol)) return nx;
      if (!(nx > lo && nx < hi)) nx = (lo + hi) / 2;
      if (hi - lo <= tol * scale) return nx;
      x = nx;
    }
    return x;
  }

  // F^{-1}(u), u in (0, 1): bracket from the components, widened until it holds u, then solve from `start`
  // (the bracket's middle when start is not finite).
  T quantile(const T& u, T start = std::numeric_limits<T>::quiet_NaN()) const {
    using std::abs;
    if (!(u > 0 && u < 1)) throw std::domain_error("u outside (0, 1)");
    const bool upper = u > T(0.5);
    const T p = upper ? T(1) - u : u;
    T lo = m[0] - 8 * s[0], hi = m[0] + 8 * s[0];
    for (std::size_t k = 1; k < w.size(); ++k) {
      lo = std::min(lo, T(m[k] - 8 * s[k]));
      hi = std::max(hi, T(m[k] + 8 * s[k]));
    }
    // F(lo) <= u: lower tail below u (or, above the median, S(lo) >= 1 - u); likewise at hi.
    for (int i = 0; i < 200 && (upper ? tail(lo, true) < p : tail(lo, false) > p); ++i) lo -= (hi - lo);
    for (int i = 0; i < 200 && (upper ? tail(hi, true) > p : tail(hi, false) < p); ++i) hi += (hi - lo);
    T x = start;
    if (!(x > lo && x < hi)) x = (lo + hi) / 2;
    return solve(u, x, lo, hi);
  }
};

// Fast inverse CDF of a double mixture for quantile couplings: the CDF and density tabulated on a uniform grid over
// [min m_k - 12 s_k, max m_k + 12 s_k]; a draw u is located in its cell by binary search, the cubic Hermite
// interpolant of the CDF in that cell is inverted (Newton on the cubic, no special functions) and the result is
// polished by Mix1T::solve with the cell as the bracket, so the answer agrees with Mix1T::quantile to a few ulps
// while costing about one CDF evaluation. u outside the tabulated range falls back to Mix1T::quantile.
class QuantileTable {
 public:
  explicit QuantileTable(Mix1T<double> mix, int cells = 8192) : m_(std::move(mix)) {
    double lo = m_.m[0] - 12 * m_.s[0], hi = m_.m[0] + 12 * m_.s[0];
    for (std::size_t k = 1; k < m_.w.size(); ++k) {
      lo = std::min(lo, m_.m[k] - 12 * m_.s[k]);
      hi = std::max(hi, m_.m[k] + 12 * m_.s[k]);
    }
    for (int i = 0; i <= cells; ++i) {
      const double x = i == cells ? hi : lo + (hi - lo) * i / cells;
      x_.push_back(x);
      F_.push_back(m_.tail(x, false));
      f_.push_back(m_.pdf(x));
    }
  }
  const Mix1T<double>& mix() const { return m_; }
  double operator()(double u) const {
    if (!(u > 0 && u < 1)) throw std::domain_error("u outside (0, 1)");
    if (!(u > F_.front() && u < F_.back())) return m_.quantile(u);
    const std::size_t j = static_cast<std::size_t>(std::upper_bound(F_.begin(), F_.end(), u) - F_.begin());
    const std::size_t i = j - 1;  // F_[i] <= u < F_[j]
    const double h = x_[j] - x_[i], dF = F_[j] - F_[i];
    // Cubic Hermite H(s), s in [0, 1]: H(0) = F_i, H(1) = F_j, H'(0) = h f_i, H'(1) = h f_j.
    const double a = h * f_[i], b = h * f_[j];
    double s = dF > 0 ? (u - F_[i]) / dF : 0.5;
    for (int it = 0; it < 8; ++it) {
      const double s2 = s * s, s3 = s2 * s;
      const double H = (2 * s3 - 3 * s2 + 1) * F_[i] + (s3 - 2 * s2 + s) * a + (-2 * s3 + 3 * s2) * F_[j] + (s3 - s2) * b;
      const double dH = (6 * s2 - 6 * s) * F_[i] + (3 * s2 - 4 * s + 1) * a + (-6 * s2 + 6 * s) * F_[j] + (3 * s2 - 2 * s) * b;
      if (!(dH > 0)) break;
      const double ns = std::clamp(s - (H - u) / dH, 0.0, 1.0);
      const bool done = std::abs(ns - s) < 1e-13;
      s = ns;
      if (done) break;
    }
    return m_.solve(u, x_[i] + s * h, x_[i], x_[j]);
  }

 private:
  Mix1T<double> m_;
  std::vector<double> x_, F_, f_;
};

}  // namespace verify::formula
