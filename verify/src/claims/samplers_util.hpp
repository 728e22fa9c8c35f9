#pragma once
// Shared machinery of the sampler family ve_consistency: a fast mixture oracle for d <= 2,
// distribution functionals with exact values, and the coupled multi-level estimator that turns
// "this sampler's law converges to the target as the step shrinks" into checks with standard errors.
//
// Why functionals: a sampler is right when the law of its output equals the target law. A Kolmogorov-Smirnov
// statistic is not a mean, so instead we compare a fixed set of distribution functionals E[f(X)] whose exact
// target values are known in closed form: for each projection u.x (u = e1 in 1-D; e1, e2, (e1+e2)/sqrt2,
// (e1-e2)/sqrt2 in 2-D, so that by Cramer-Wold they probe the joint law) the mean, the second moment, the CDF
// at a few points and the real part of the characteristic function at a few frequencies. The projection of a
// Gaussian mixture is a 1-D Gaussian mixture, so every reference is exact (Boost.Math normal CDF).
//
// Why coupling: every estimate is E[f(X_sampler) - f(X_c)] + E_target[f], where X_c is a draw that has the
// target law EXACTLY and is built from the same random numbers (the sampler's own start point for stationary
// dynamics, the exact forward-noised pair for reverse processes, the monotone quantile map for 1-D
// deterministic flows). E[f(X_c)] is known, so this is an unbiased control-variate estimator whose variance is
// that of the difference only.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "common.hpp"
#include "verify/errors.hpp"
#include "verify/mixture.hpp"
#include "verify/montecarlo.hpp"
#include "verify/stats.hpp"

namespace verify::claims {

using P2 = std::array<double, 2>;  // a point in d <= 2 dimensions (second coordinate 0 when d = 1)

// 1-D Gaussian mixture with closed-form CDF, quantile and functionals.
struct Mix1 {
  std::vector<double> w, m, v;  // weights, means, variances

  double pdf(double x) const {
    double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k)
      s += w[k] * std::exp(-0.5 * (x - m[k]) * (x - m[k]) / v[k]) / std::sqrt(2 * std::numbers::pi * v[k]);
    return s;
  }
  double cdf(double x) const {
    double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k) s += w[k] * normal_cdf((x - m[k]) / std::sqrt(v[k]));
    return s;
  }
  // Inverse CDF by safeguarded Newton (bisection fallback); u in (0, 1).
  double quantile(double u) const {
    double lo = 1e300, hi = -1e300;
    for (std::size_t k = 0; k < w.size(); ++k) {
      lo = std::min(lo, m[k] - 40 * std::sqrt(v[k]));
      hi = std::max(hi, m[k] + 40 * std::sqrt(v[k]));
    }
    return newton(u, mean(), lo, hi);
  }
  // Safeguarded Newton from the start x inside the bracket [lo, hi] with F(lo) <= u <= F(hi): quantile() starts it at
  // the mean; the tabulated inverse below starts it accurate to ~1e-10, so it ends in 2 steps.
  double newton(double u, double x, double lo, double hi) const {
    for (int it = 0; it < 200; ++it) {
      const double F = cdf(x) - u;
      if (F > 0) hi = x; else lo = x;
      const double d = pdf(x);
      double nx = d > 0 ? x - F / d : 0.5 * (lo + hi);
      if (!(nx > lo && nx < hi)) nx = 0.5 * (lo + hi);
      if (std::abs(nx - x) <= 1e-14 * (1 + std::abs(x)) || hi - lo < 1e-14 * (1 + std::abs(x))) return nx;
      x = nx;
    }
    return x;
  }
  double mean() const { double s = 0; for (std::size_t k = 0; k < w.size(); ++k) s += w[k] * m[k]; return s; }
  double second() const { double s = 0; for (std::size_t k = 0; k < w.size(); ++k) s += w[k] * (m[k] * m[k] + v[k]); return s; }
  double fourth() const {
    double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k) s += w[k] * (std::pow(m[k], 4) + 6 * m[k] * m[k] * v[k] + 3 * v[k] * v[k]);
    return s;
  }
  // E[cos(om X)] = sum_k w_k exp(-om^2 v_k / 2) cos(om m_k).
  double cosine(double om) const {
    double s = 0;
    for (std::size_t k = 0; k < w.size(); ++k) s += w[k] * std::exp(-0.5 * om * om * v[k]) * std::cos(om * m[k]);
    return s;
  }
};

// Fast inverse CDF of a Mix1 for the quantile couplings (called once or more per draw): the CDF and density are
// tabulated on a uniform grid over [min m_k - 12 sd_k, max m_k + 12 sd_k]; a draw u is located in its cell by
// binary search, the cubic Hermite interpolant of the CDF in that cell is inverted (Newton on the cubic, no special
// functions) and the result is polished by safeguarded Newton on the exact CDF (Mix1::newton, bracket = the cell),
// so the answer agrees with Mix1::quantile to ~1e-14 relative while costing ~1 CDF evaluation instead of ~3-30.
// u outside the tabulated range (|z| > 12 for every component) falls back to Mix1::quantile.
class QuantileTable {
 public:
  QuantileTable() = default;
  explicit QuantileTable(Mix1 mix, int cells = 8192) : m_(std::move(mix)) {
    double lo = 1e300, hi = -1e300;
    for (std::size_t k = 0; k < m_.w.size(); ++k) {
      lo = std::min(lo, m_.m[k] - 12 * std::sqrt(m_.v[k]));
      hi = std::max(hi, m_.m[k] + 12 * std::sqrt(m_.v[k]));
    }
    for (int i = 0; i <= cells; ++i) {
      const double x = i == cells ? hi : lo + (hi - lo) * i / cells;
      x_.push_back(x);
      F_.push_back(m_.cdf(x));
      f_.push_back(m_.pdf(x));
    }
  }
  const Mix1& mix() const { return m_; }
  double operator()(double u) const {
    if (!(u > F_.front() && u < F_.back())) return m_.quantile(u);
    const std::size_t j = static_cast<std::size_t>(std::upper_bound(F_.begin(), F_.end(), u) - F_.begin());
    const std::size_t i = j - 1;  // F_[i] <= u < F_[j]
    const double h = x_[j] - x_[i], dF = F_[j] - F_[i];
    // Cubic Hermite H(s), s in [0, 1]: H(0) = F_i, H(1) = F_j, H'(0) = h f_i, H'(1) = h f_j.
    const double a = h * f_[i], b = h * f_[j];
    double s = dF > 0 ? (u - F_[i]) / dF : 0.5;
    for (int it = 0; it < 8; ++it) {
      const double s2 = s * s, s3 = s2 * s;
      const double H = F_[i] + a * s + (3 * dF - 2 * a - b) * s2 + (a + b - 2 * dF) * s3;
      const double dH = a + 2 * (3 * dF - 2 * a - b) * s + 3 * (a + b - 2 * dF) * s2;
      if (!(dH > 0)) break;
      const double ns = std::clamp(s - (H - u) / dH, 0.0, 1.0);
      const bool done = std::abs(ns - s) < 1e-13;
      s = ns;
      if (done) break;
    }
    // One Newton step on the exact CDF; when it moves the start by <= 1e-10 (1 + |x|) the start was already in
    // the quadratic regime, so the stepped point is accurate to ~1e-18 and is returned; otherwise full Newton.
    double x = x_[i] + s * h;
    const double F = m_.cdf(x) - u, d = m_.pdf(x);
    if (d > 0) {
      const double nx = x - F / d;
      if (std::abs(nx - x) <= 1e-10 * (1 + std::abs(x)) && nx >= x_[i] && nx <= x_[j]) return nx;
      if (nx > x_[i] && nx < x_[j]) x = nx;
    }
    return m_.newton(u, x, x_[i], x_[j]);
  }

 private:
  Mix1 m_;
  std::vector<double> x_, F_, f_;
};

// Gaussian mixture in d = 1 or 2 with explicit 2x2 algebra (no allocation per call; safe from many threads).
class SmallMix {
 public:
  static SmallMix from(const GaussianMixture& g, const Params& p) {
    if (g.dim() > 2) throw InputError(p.file(), "mixture", "the sampler claims support mixtures of dimension 1 or 2");
    SmallMix s;
    s.d = g.dim();
    for (std::size_t k = 0; k < g.size(); ++k) {
      const auto& c = g.components()[k];
      s.w.push_back(g.weights()[k]);
      s.mu.push_back({c.mean()(0), s.d == 2 ? c.mean()(1) : 0.0});
      s.cov.push_back({c.cov()(0, 0), s.d == 2 ? c.cov()(0, 1) : 0.0, s.d == 2 ? c.cov()(1, 1) : 1.0});
    }
    s.finish();
    return s;
  }
  // Law of a X + N(0, s2 I).
  SmallMix noisy(double a, double s2) const {
    SmallMix o = *this;
    for (std::size_t k = 0; k < w.size(); ++k) {
      o.mu[k] = {a * mu[k][0], a * mu[k][1]};
      o.cov[k] = {a * a * cov[k][0] + s2, a * a * cov[k][1], d == 2 ? a * a * cov[k][2] + s2 : 1.0};
    }
    o.finish();
    return o;
  }
  int dim() const { return d; }
  // Density and score together (score = grad log p).
  double density_score(const P2& x, P2& score) const {
    double lmax = -1e300;
    std::array<double, 64> l{};
    const std::size_t K = w.size();
    std::vector<double> lv;
    double* L = K <= 64 ? l.data() : (lv.resize(K), lv.data());
    for (std::size_t k = 0; k < K; ++k) {
      const double a = x[0] - mu[k][0], b = x[1] - mu[k][1];
      const double q = d == 2 ? prec[k][0] * a * a + 2 * prec[k][1] * a * b + prec[k][2] * b * b : prec[k][0] * a * a;
      L[k] = logc[k] - 0.5 * q;
      lmax = std::max(lmax, L[k]);
    }
    double z = 0, s0 = 0, s1 = 0;
    for (std::size_t k = 0; k < K; ++k) {
      const double r = std::exp(L[k] - lmax);
      const double a = x[0] - mu[k][0], b = x[1] - mu[k][1];
      z += r;
      s0 -= r * (prec[k][0] * a + prec[k][1] * b);
      s1 -= r * (prec[k][1] * a + prec[k][2] * b);
    }
    score = {s0 / z, d == 2 ? s1 / z : 0.0};
    return z * std::exp(lmax);
  }
  P2 score(const P2& x) const { P2 s; density_score(x, s); return s; }
  P2 sample(Rng& r) const {
    const double u = r.uniform();
    std::size_t k = 0;
    for (double acc = w[0]; k + 1 < w.size() && u > acc; acc += w[++k]) {}
    const double z0 = r.normal();
    if (d == 1) return {mu[k][0] + std::sqrt(cov[k][0]) * z0, 0.0};
    const double z1 = r.normal();
    const double l11 = std::sqrt(cov[k][0]), l21 = cov[k][1] / l11, l22 = std::sqrt(cov[k][2] - l21 * l21);
    return {mu[k][0] + l11 * z0, mu[k][1] + l21 * z0 + l22 * z1};
  }
  // Law of u.X: a 1-D mixture.
  Mix1 project(const P2& u) const {
    Mix1 m;
    for (std::size_t k = 0; k < w.size(); ++k) {
      m.w.push_back(w[k]);
      m.m.push_back(u[0] * mu[k][0] + u[1] * mu[k][1]);
      m.v.push_back(d == 2 ? u[0] * u[0] * cov[k][0] + 2 * u[0] * u[1] * cov[k][1] + u[1] * u[1] * cov[k][2]
                           : u[0] * u[0] * cov[k][0]);
    }
    return m;
  }
  Mix1 marginal1() const { return project({1.0, 0.0}); }

 private:
  void finish() {
    prec.clear();
    logc.clear();
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double det = d == 2 ? cov[k][0] * cov[k][2] - cov[k][1] * cov[k][1] : cov[k][0];
      if (d == 2) prec.push_back({cov[k][2] / det, -cov[k][1] / det, cov[k][0] / det});
      else prec.push_back({1.0 / cov[k][0], 0.0, 0.0});
      logc.push_back(std::log(w[k]) - 0.5 * std::log(det) - 0.5 * d * std::log(2 * std::numbers::pi));
    }
  }
  int d = 1;
  std::vector<double> w, logc;
  std::vector<P2> mu;
  std::vector<std::array<double, 3>> cov, prec;  // (11, 12, 22)
};

// The functionals compared between a sampler's output law and the target law.
class Functionals {
 public:
  enum class Kind { mean, second, below, cosine };
  struct Item {
    std::string name;
    int dir;
    Kind kind;
    double c;
  };

  // 1-D: mean, second moment, CDF at the target's 10/30/50/70/90% quantiles, E cos(om X) at om = 0.5/sd, 1/sd.
  // 2-D: the same (CDF at 25/50/75%) for each of the four projections listed at the top of this file.
  explicit Functionals(const SmallMix& target) {
    if (target.dim() == 1) dirs_ = {{1.0, 0.0}};
    else {
      const double h = std::sqrt(0.5);
      dirs_ = {{1.0, 0.0}, {0.0, 1.0}, {h, h}, {h, -h}};
    }
    const char* dn[] = {"x1", "x2", "(x1+x2)/sqrt2", "(x1-x2)/sqrt2"};
    for (int j = 0; j < static_cast<int>(dirs_.size()); ++j) {
      const Mix1 m = target.project(dirs_[j]);
      proj_.push_back(m);
      const std::string u = target.dim() == 1 ? "X" : dn[j];
      const double sd = std::sqrt(m.second() - m.mean() * m.mean());
      items_.push_back({"E[" + u + "]", j, Kind::mean, 0});
      items_.push_back({"E[" + u + "^2]", j, Kind::second, 0});
      const std::vector<double> qs = target.dim() == 1 ? std::vector<double>{0.1, 0.3, 0.5, 0.7, 0.9}
                                                        : std::vector<double>{0.25, 0.5, 0.75};
      for (double q : qs) {
        const double c = m.quantile(q);
        items_.push_back({"P(" + u + " < " + fmt(c) + ")", j, Kind::below, c});
      }
      for (double k : {0.5, 1.0}) items_.push_back({"E[cos(" + fmt(k / sd) + " " + u + ")]", j, Kind::cosine, k / sd});
    }
  }
  std::size_t size() const { return items_.size(); }
  const Item& item(std::size_t i) const { return items_[i]; }
  double value(std::size_t i, const P2& x) const {
    const Item& it = items_[i];
    const double y = dirs_[it.dir][0] * x[0] + dirs_[it.dir][1] * x[1];
    switch (it.kind) {
      case Kind::mean: return y;
      case Kind::second: return y * y;
      case Kind::below: return y < it.c ? 1.0 : 0.0;
      case Kind::cosine: return std::cos(it.c * y);
    }
    return 0;
  }
  double exact(std::size_t i) const {
    const Item& it = items_[i];
    const Mix1& m = proj_[it.dir];
    switch (it.kind) {
      case Kind::mean: return m.mean();
      case Kind::second: return m.second();
      case Kind::below: return m.cdf(it.c);
      case Kind::cosine: return m.cosine(it.c);
    }
    return 0;
  }
  // Standard deviation of f(X) under the target: the scale discrepancies are stated against.
  double sd(std::size_t i) const {
    const Item& it = items_[i];
    const Mix1& m = proj_[it.dir];
    double var = 0;
    switch (it.kind) {
      case Kind::mean: var = m.second() - m.mean() * m.mean(); break;
      case Kind::second: var = m.fourth() - m.second() * m.second(); break;
      case Kind::below: { const double p = m.cdf(it.c); var = p * (1 - p); break; }
      case Kind::cosine: { const double e = m.cosine(it.c); var = 0.5 * (1 + m.cosine(2 * it.c)) - e * e; break; }
    }
    return std::sqrt(std::max(var, 0.0));
  }
  static std::string fmt(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", x);
    return b;
  }

 private:
  std::vector<P2> dirs_;
  std::vector<Mix1> proj_;
  std::vector<Item> items_;
};

// One draw of a coupled multi-level experiment: the sampler's output at each level (levels refine the step by
// 2 each time, or double T) from the same random numbers, and a control point with exactly the target law.
constexpr int kMaxLevels = 8;
struct LevelDraw {
  std::array<P2, kMaxLevels> x{};
  P2 control{};
};
using LevelSampler = std::function<void(Rng&, LevelDraw&)>;

// What the multi-level estimator reports for one form of a claim.
struct LevelSpec {
  std::string form;         // check form
  std::string label;        // prefix of every check label
  int levels = 1;           // L; the finest level is L - 1
  std::vector<double> h;    // step size (or 1/T) of each level, for the order fit
  int order = 1;            // expected convergence order p (Richardson with 2^p)
  bool extrapolate = true;  // compare the Richardson limit (else the finest level itself)
  double margin_rel = -1;   // >= 0: equivalence with margin margin_rel x SD(f) instead of equality
  int slope_item = 1;       // functional whose error's log-log slope is fitted (default E[X^2]); -1: none
  double slope_margin = 0.25;  // the fitted order must lie within +-slope_margin of `order`
  std::vector<std::string> notes;
};

// Runs the coupled levels and turns them into checks: one per functional (the Richardson-extrapolated
// h -> 0 limit, or the finest level, against the exact target value) plus one order-of-convergence check.
inline std::vector<Check> level_checks(const MonteCarlo& mc, const std::string& stream, std::size_t n,
                                       const Functionals& F, const LevelSpec& spec, const LevelSampler& sampler) {
  const std::size_t K = F.size(), L = static_cast<std::size_t>(spec.levels);
  const auto multi = mc.means(stream, n, K * L, [&](Rng& r, std::span<double> out) {
    LevelDraw d;
    sampler(r, d);
    for (std::size_t j = 0; j < K; ++j) {
      const double fc = F.value(j, d.control);
      for (std::size_t l = 0; l < L; ++l) out[j * L + l] = F.value(j, d.x[l]) - fc;
    }
  });
  const double nn = static_cast<double>(multi.samples);
  auto combo = [&](std::size_t j, const std::vector<double>& c) {  // c over levels of functional j
    double mean = 0, var = 0;
    for (std::size_t a = 0; a < L; ++a) {
      mean += c[a] * multi.estimates[j * L + a].mean;
      for (std::size_t b = 0; b < L; ++b) var += c[a] * c[b] * multi.cov(j * L + a, j * L + b);
    }
    Estimate e;
    e.mean = mean;
    e.std_dev = std::sqrt(std::max(var, 0.0));
    e.std_error = e.std_dev / std::sqrt(nn);
    e.samples = multi.samples;
    e.method = EstimateMethod::coupled_control_variate;
    return e;
  };
  std::vector<double> coef(L, 0.0);
  const double r = std::pow(2.0, spec.order);
  if (spec.extrapolate && L >= 2) {
    coef[L - 1] = r / (r - 1);
    coef[L - 2] = -1 / (r - 1);
  } else {
    coef[L - 1] = 1;
  }
  std::vector<Check> out;
  for (std::size_t j = 0; j < K; ++j) {
    Estimate e = combo(j, coef);
    const double exact = F.exact(j);
    e.mean += exact;
    std::string what = spec.extrapolate && L >= 2 ? "Richardson limit h->0 of " : "sampler's ";
    Check c = equality_check(spec.form, spec.label + ", " + F.item(j).name, what + F.item(j).name + " (target law: exact)",
                             e, exact, F.sd(j), "SD of f(X) under the target");
    if (spec.margin_rel >= 0) {
      c.kind = TestKind::equivalence;
      c.margin = spec.margin_rel * F.sd(j);
    }
    std::vector<double> c1(L, 0.0);
    c1[L - 1] = 1;
    const Estimate fin = combo(j, c1);
    c.notes.push_back("finest level error " + Functionals::fmt(fin.mean) + " +- " + Functionals::fmt(fin.std_error) +
                      " (SD(f) = " + Functionals::fmt(F.sd(j)) + ")");
    for (const auto& s : spec.notes) c.notes.push_back(s);
    // An indicator's level differences take the values -1, 0, 1: identical draws are real (a collapsed sampler puts
    // every draw on one side), not rounding, so the degenerate-estimate guard must not discard them.
    c.discrete_integrand = F.item(j).kind == Functionals::Kind::below;
    out.push_back(std::move(c));
  }
  if (spec.slope_item >= 0 && L >= 3) {
    // The level errors e_l share the (large) noise of the control, so the order is fitted on the successive
    // differences D_l = e_l - e_{l+1} = E[f(X^{h_l}) - f(X^{h_l/2})], which the coupling makes precise:
    // if e(h) = c h^p + o(h^p) then D_l = c (1 - 2^-p) h_l^p, so log|D_l| has slope p in log h_l.
    // OLS slope of log|D_l| on log h_l; SE by the delta method with the full covariance of the e_l.
    const std::size_t j = static_cast<std::size_t>(spec.slope_item);
    const std::size_t M = L - 1;
    double xbar = 0;
    for (std::size_t l = 0; l < M; ++l) xbar += std::log(spec.h[l]) / static_cast<double>(M);
    double sxx = 0;
    for (std::size_t l = 0; l < M; ++l) sxx += (std::log(spec.h[l]) - xbar) * (std::log(spec.h[l]) - xbar);
    std::vector<double> g(L, 0.0);
    double slope = 0;
    std::string errs;
    for (std::size_t l = 0; l < M; ++l) {
      std::vector<double> dl(L, 0.0);
      dl[l] = 1;
      dl[l + 1] = -1;
      const Estimate D = combo(j, dl);
      const double a = (std::log(spec.h[l]) - xbar) / sxx;
      slope += a * std::log(std::abs(D.mean));
      g[l] += a / D.mean;
      g[l + 1] -= a / D.mean;
      errs += (l ? ", " : "") + Functionals::fmt(D.mean) + "+-" + Functionals::fmt(D.std_error);
    }
    Estimate s = combo(j, g);
    s.mean = slope;
    s.method = EstimateMethod::delta_method;
    Check c = equality_check(spec.form, spec.label + ", order of convergence",
                             "log-log slope of |e(h) - e(h/2)| for " + F.item(j).name + " against the step h", s,
                             static_cast<double>(spec.order), 1.0, "convergence order");
    c.kind = TestKind::equivalence;
    c.margin = spec.slope_margin;
    c.notes.push_back("differences between successive levels (coarse to fine): " + errs);
    out.push_back(std::move(c));
  }
  return out;
}

// Histogram of a 1-D sampler's output (first coordinate) against the exact target density, for figures.
// Uses its own stream through the engine's Rng directly, single-threaded, so it is deterministic.
inline Series histogram_series(const MonteCarlo& mc, const std::string& stream, std::size_t n, double lo, double hi,
                               int bins, const std::string& name, const std::function<double(Rng&)>& draw) {
  std::vector<double> count(static_cast<std::size_t>(bins), 0.0);
  Rng r(mc.seed(), mc.stream(stream), 0);
  const double w = (hi - lo) / bins;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = draw(r);
    const int b = static_cast<int>(std::floor((x - lo) / w));
    if (b >= 0 && b < bins) count[static_cast<std::size_t>(b)] += 1;
  }
  Series s{name, "steps", {}, {}, {}};
  for (int b = 0; b < bins; ++b) {
    s.x.push_back(lo + (b + 0.5) * w);
    s.y.push_back(count[static_cast<std::size_t>(b)] / (static_cast<double>(n) * w));
  }
  return s;
}

inline Series density_series(const Mix1& m, double lo, double hi, const std::string& name, int points = 400) {
  Series s{name, "lines", {}, {}, {}};
  for (int i = 0; i <= points; ++i) {
    const double x = lo + (hi - lo) * i / points;
    s.x.push_back(x);
    s.y.push_back(m.pdf(x));
  }
  return s;
}

}  // namespace verify::claims
