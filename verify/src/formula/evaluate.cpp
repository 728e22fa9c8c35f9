// The block evaluator (see evaluate.hpp). Operations loop over lanes inside each node, so the cost of walking
// the tree is paid once per block of up to 256 draws.
#include "evaluate.hpp"

#include <algorithm>
#include <boost/math/quadrature/sinh_sinh.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <sstream>
#include <type_traits>

namespace verify::formula {

template <class T>
const MixtureT<T>& World<T>::marginal(long s) const {
  std::lock_guard<std::mutex> g(lock);
  auto it = marginals.find(s);
  if (it != marginals.end()) return *it->second;
  using std::sqrt;
  const T ab = schedule.get("alpha_bar", s);
  auto m = std::make_shared<MixtureT<T>>(data.diffused(sqrt(ab), T(1) - ab));
  return *(marginals[s] = m);
}
template <class T>
const PosteriorT<T>& World<T>::posterior(long s) const {
  std::lock_guard<std::mutex> g(lock);
  auto it = posteriors.find(s);
  if (it != posteriors.end()) return *it->second;
  using std::sqrt;
  const T ab = schedule.get("alpha_bar", s);
  if (!(T(1) - ab > 0)) throw std::out_of_range("the posterior of x_0 given x_" + std::to_string(s) + " is a point mass");
  auto p = std::make_shared<PosteriorT<T>>(data, sqrt(ab), T(1) - ab);
  return *(posteriors[s] = p);
}
template <class T>
const PosteriorT<T>& World<T>::reverse(long s) const {
  std::unique_lock<std::mutex> g(lock);
  auto it = reverses.find(s);
  if (it != reverses.end()) return *it->second;
  using std::sqrt;
  const T b = schedule.get("beta", s);
  g.unlock();
  const MixtureT<T>& prev = s - 1 == 0 ? data : marginal(s - 1);
  auto p = std::make_shared<PosteriorT<T>>(prev, sqrt(T(1) - b), b);
  g.lock();
  if (auto again = reverses.find(s); again != reverses.end()) return *again->second;
  return *(reverses[s] = p);
}

template <class T>
const MixtureT<T>& World<T>::diffused_law(const T& a, const T& r) const {
  std::lock_guard<std::mutex> g(lock);
  auto key = std::make_pair(a, r);
  auto it = diffused.find(key);
  if (it != diffused.end()) return *it->second;
  if (diffused.size() > 4096) diffused.clear();  // a sampler may visit many noise levels; keep the cache bounded
  auto m = std::make_shared<MixtureT<T>>(data.diffused(a, r));
  return *(diffused[key] = m);
}

namespace {

template <class T>
T floor_t(const T& x) {
  using std::floor;
  return floor(x);
}

template <class T>
std::string num(const T& x) {
  std::ostringstream os;
  os.precision(6);
  os << static_cast<double>(x);
  return os.str();
}

template <class T, class F>
Val<T> map1(const Val<T>& a, F f) {
  Val<T> out(a.lanes, a.width);
  for (std::size_t i = 0; i < a.v.size(); ++i) out.v[i] = f(a.v[i]);
  return out;
}

// Elementwise binary with broadcasting of one-lane values; widths must agree or one side is a scalar.
template <class T, class F>
Val<T> map2(const Val<T>& a, const Val<T>& b, F f) {
  const int lanes = std::max(a.lanes, b.lanes), width = std::max(a.width, b.width);
  Val<T> out(lanes, width);
  for (int c = 0; c < width; ++c) {
    const int ca = a.width == 1 ? 0 : c, cb = b.width == 1 ? 0 : c;
    T* o = out.v.data() + static_cast<std::size_t>(c) * static_cast<std::size_t>(lanes);
    const T* pa = a.v.data() + static_cast<std::size_t>(ca) * static_cast<std::size_t>(a.lanes);
    const T* pb = b.v.data() + static_cast<std::size_t>(cb) * static_cast<std::size_t>(b.lanes);
    if (a.lanes == lanes && b.lanes == lanes)
      for (int l = 0; l < lanes; ++l) o[l] = f(pa[l], pb[l]);
    else if (a.lanes == lanes)
      for (int l = 0; l < lanes; ++l) o[l] = f(pa[l], pb[0]);
    else if (b.lanes == lanes)
      for (int l = 0; l < lanes; ++l) o[l] = f(pa[0], pb[l]);
    else
      o[0] = f(pa[0], pb[0]);
  }
  return out;
}

template <class T>
Val<T> scalar_val(const T& x) {
  Val<T> v(1, 1);
  v.v[0] = x;
  return v;
}

// A lane's vector or matrix as an Eigen object.
template <class T>
VecT<T> lane_vec(const Val<T>& a, int l) {
  VecT<T> v(a.width);
  for (int c = 0; c < a.width; ++c) v[c] = a.at(c, l);
  return v;
}
template <class T>
MatT<T> lane_mat(const Val<T>& a, int d, int l) {
  MatT<T> m(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) m(i, j) = a.at(i * d + j, l);
  return m;
}
template <class T>
void put_vec(Val<T>& out, int l, const VecT<T>& v) {
  for (int c = 0; c < out.width; ++c) out.at(c, l) = v[c];
}
template <class T>
void put_mat(Val<T>& out, int d, int l, const MatT<T>& m) {
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) out.at(i * d + j, l) = m(i, j);
}

}  // namespace

namespace {

// A 1-D mixture law as weights, means and standard deviations (for its quantile function).
template <class T>
Mix1T<T> mix1_of(const MixtureT<T>& m) {
  using std::sqrt;
  Mix1T<T> out;
  for (std::size_t k = 0; k < m.size(); ++k) {
    out.w.push_back(m.weights()[k]);
    out.m.push_back(m.components()[k].mean[0]);
    out.s.push_back(sqrt(m.components()[k].cov(0, 0)));
  }
  return out;
}

// F^{-1}(u) per lane; mixes holds one law for every lane or one per lane. Double: the tabulated inverse (one table per
// law, kept by the world); 50 digits: Newton from the double answer. Returns false at the first u outside (0, 1).
template <class T>
bool quantile_lanes(const World<T>& w, const std::vector<Mix1T<T>>& mixes, const Val<T>& u, Val<T>& out, T& bad) {
  const int L = std::max(u.lanes, static_cast<int>(mixes.size()));
  out = Val<T>(L, 1);
  std::shared_ptr<const QuantileTable> table;
  for (int l = 0; l < L; ++l) {
    const T ul = u.at(0, l);
    if (!(ul > 0 && ul < 1)) {
      bad = ul;
      return false;
    }
    const Mix1T<T>& m = mixes[mixes.size() == 1 ? 0 : static_cast<std::size_t>(l)];
    if constexpr (std::is_same_v<T, double>) {
      if (mixes.size() == 1) {
        if (!table) {
          std::vector<double> key = m.w;
          key.insert(key.end(), m.m.begin(), m.m.end());
          key.insert(key.end(), m.s.begin(), m.s.end());
          std::lock_guard<std::mutex> g(w.lock);
          auto& slot = w.quantile_tables[key];
          if (!slot) slot = std::make_shared<const QuantileTable>(m);
          table = slot;
        }
        out.at(0, l) = (*table)(ul);
      } else {
        out.at(0, l) = m.quantile(ul);
      }
    } else {
      Mix1T<double> md;
      for (std::size_t k = 0; k < m.w.size(); ++k) {
        md.w.push_back(static_cast<double>(m.w[k]));
        md.m.push_back(static_cast<double>(m.m[k]));
        md.s.push_back(static_cast<double>(m.s[k]));
      }
      const double ud = static_cast<double>(ul);
      T start = std::numeric_limits<T>::quiet_NaN();
      if (ud > 0 && ud < 1) start = T(md.quantile(ud));
      out.at(0, l) = m.quantile(ul, start);
    }
  }
  return true;
}

}  // namespace

template <class T>
long Evaluator<T>::index(const Expr& e) {
  switch (e.op) {
    case Op::number: return static_cast<long>(e.value);
    case Op::data: {
      auto it = w_.grid.find(e.text);
      if (it == w_.grid.end() || it->second.size() != 1) fail(e, "internal: grid index " + e.text + " not set");
      const double v = static_cast<double>(it->second[0]);
      if (v != std::floor(v)) fail(e, "the grid value " + num(v) + " is used as an index but is not an integer");
      return static_cast<long>(v);
    }
    case Op::limit_var: {
      const Val<T> v = eval(e);
      const double x = static_cast<double>(v.v[0]);
      if (x != std::floor(x)) fail(e, "the limit's variable " + e.text + " = " + num(x) + " is used as an index but is not an integer");
      return static_cast<long>(x);
    }
    case Op::index_var:
      if (e.id >= 0) {
        auto it = indices_.find(e.id);
        if (it == indices_.end()) fail(e, "internal: unbound index " + e.text);
        return it->second;
      }
      if (e.text == "t") return w_.t;
      if (e.text == "T") return w_.schedule.T_();
      if (e.text == "d") return w_.dim;
      fail(e, "unknown index " + e.text);
    case Op::add: return index(*e.args[0]) + index(*e.args[1]);
    case Op::sub: return index(*e.args[0]) - index(*e.args[1]);
    case Op::neg: return -index(*e.args[0]);
    case Op::mul: return index(*e.args[0]) * index(*e.args[1]);
    case Op::pow: {
      long b = index(*e.args[0]), x = index(*e.args[1]), r = 1;
      if (x < 0) fail(e, "negative integer power of an index");
      while (x-- > 0) r *= b;
      return r;
    }
    case Op::div: {
      const long a = index(*e.args[0]), b = index(*e.args[1]);
      if (b == 0) fail(e, "division by zero in an index");
      if (a % b != 0) fail(e, std::to_string(a) + "/" + std::to_string(b) + " is not an integer (an index must be)");
      return a / b;
    }
    default: fail(e, "not an index expression");
  }
}

template <class T>
Val<T> Evaluator<T>::x0() {
  auto it = x_.find(0);
  if (it != x_.end()) return it->second;
  const int d = plan_.dim;
  Val<T> out(lanes_, d);
  if (plan_.pin_x0) {
    Val<T> p(1, d);
    for (int i = 0; i < d; ++i) p.v[static_cast<std::size_t>(i)] = w_.pinned_x0[static_cast<std::size_t>(i)];
    return x_[0] = p;
  }
  if (!plan_.x0) throw std::logic_error("x_0 used but not planned");
  if (shared && !plan_.pin_xt && shared->have_x0) return x_[0] = shared->x0;
  std::vector<T> n(static_cast<std::size_t>(d)), x(static_cast<std::size_t>(d)), y(static_cast<std::size_t>(d));
  for (int l = 0; l < lanes_; ++l) {
    const T u = main_noise(l, 0);
    for (int i = 0; i < d; ++i) n[static_cast<std::size_t>(i)] = main_noise(l, 1 + i);
    if (plan_.pin_xt) {
      for (int i = 0; i < d; ++i) y[static_cast<std::size_t>(i)] = w_.pinned_xt[static_cast<std::size_t>(i)];
      w_.posterior(w_.t).sample(y.data(), u, n.data(), x.data());
    } else {
      w_.data.sample(u, n.data(), x.data());
    }
    for (int i = 0; i < d; ++i) out.at(i, l) = x[static_cast<std::size_t>(i)];
  }
  if (shared && !plan_.pin_xt) {
    shared->x0 = out;
    shared->have_x0 = true;
  }
  return x_[0] = out;
}

template <class T>
Val<T> Evaluator<T>::eps_t() {
  if (have_eps_) return eps_;
  using std::sqrt;
  const int d = plan_.dim;
  if (plan_.pin_xt || plan_.chain) {
    // Derived: eps = (x_t - sqrt(abar) x_0) / sqrt(1 - abar).
    const T ab = w_.schedule.get("alpha_bar", w_.t);
    const Val<T> a = xt(), b = x0();
    const T sa = sqrt(ab), sn = sqrt(T(1) - ab);
    eps_ = map2(a, b, [&](const T& p, const T& q) { return (p - sa * q) / sn; });
  } else {
    if (!plan_.eps) throw std::logic_error("eps used but not planned");
    eps_ = Val<T>(lanes_, d);
    const int off = offset_after_x0();
    for (int l = 0; l < lanes_; ++l)
      for (int i = 0; i < d; ++i) eps_.at(i, l) = main_noise(l, off + i);
  }
  have_eps_ = true;
  return eps_;
}

template <class T>
Val<T> Evaluator<T>::xt() {
  auto it = x_.find(w_.t);
  if (it != x_.end()) return it->second;
  const int d = plan_.dim;
  if (plan_.pin_xt) {
    Val<T> p(1, d);
    for (int i = 0; i < d; ++i) p.v[static_cast<std::size_t>(i)] = w_.pinned_xt[static_cast<std::size_t>(i)];
    return x_[w_.t] = p;
  }
  if (plan_.chain) return x_[w_.t] = chain_x(w_.t);
  using std::sqrt;
  const T ab = w_.schedule.get("alpha_bar", w_.t);
  const T sa = sqrt(ab), sn = sqrt(T(1) - ab);
  const Val<T> a = x0(), e = eps_t();
  return x_[w_.t] = map2(a, e, [&](const T& p, const T& q) { return sa * p + sn * q; });
}

template <class T>
Val<T> Evaluator<T>::xprev() {
  const long s = w_.t - 1;
  auto it = x_.find(s);
  if (it != x_.end()) return it->second;
  if (s == 0) return x0();
  if (plan_.chain) return x_[s] = chain_x(s);
  if (!plan_.xprev) throw std::logic_error("x_{t-1} used but not planned");
  // x_{t-1} ~ q(x_{t-1} | x_t, x_0): Bayes' rule on the two Gaussian steps.
  using std::sqrt;
  const int d = plan_.dim;
  const T gain = w_.schedule.get("gain", w_.t), var = w_.schedule.get("post_var", w_.t);
  const T sabp = sqrt(w_.schedule.get("alpha_bar", s)), sa = sqrt(w_.schedule.get("alpha", w_.t));
  const T sd = sqrt(var);
  const Val<T> a = xt(), b = x0();
  Val<T> out(lanes_, d);
  const int off = offset_after_x0() + (plan_.eps ? d : 0);
  for (int l = 0; l < lanes_; ++l)
    for (int i = 0; i < d; ++i) {
      const T prior = sabp * b.at(i, l);
      out.at(i, l) = prior + gain * (a.at(i, l) - sa * prior) + sd * main_noise(l, off + i);
    }
  return x_[s] = out;
}

template <class T>
Val<T> Evaluator<T>::chain_x(long s) {
  if (s == 0) return x0();
  auto it = chain_.find(s);
  if (it != chain_.end()) return it->second;
  if (s < 0 || s > plan_.chain_steps) throw std::out_of_range("x_" + std::to_string(s) + " is outside the simulated chain 0.." + std::to_string(plan_.chain_steps));
  using std::sqrt;
  const int d = plan_.dim;
  Val<T> prev = chain_x(s - 1);
  const T b = w_.schedule.get("beta", s), sa = sqrt(T(1) - b), sb = sqrt(b);
  Val<T> out(lanes_, d);
  const int off = offset_after_x0() + static_cast<int>(s - 1) * d;
  for (int l = 0; l < lanes_; ++l)
    for (int i = 0; i < d; ++i) out.at(i, l) = sa * prev.at(i, l) + sb * main_noise(l, off + i);
  return chain_[s] = out;
}

template <class T>
Val<T> Evaluator<T>::wv(long s) {
  // The Brownian path at integer times whose unit increments drive the chain: x_s = sqrt(alpha_s) x_{s-1} +
  // sqrt(beta_s) (W_s - W_{s-1}).
  const int d = plan_.dim;
  Val<T> out(lanes_, d);
  for (auto& v : out.v) v = T(0);
  if (s < 0 || s > plan_.chain_steps) throw std::out_of_range("W_" + std::to_string(s) + " is outside 0.." + std::to_string(plan_.chain_steps));
  for (long r = 1; r <= s; ++r) {
    const int off = offset_after_x0() + static_cast<int>(r - 1) * d;
    for (int l = 0; l < lanes_; ++l)
      for (int i = 0; i < d; ++i) out.at(i, l) += main_noise(l, off + i);
  }
  return out;
}

template <class T>
Val<T> Evaluator<T>::zv() {
  if (have_z_) return z_;
  const int d = plan_.dim;
  int off = offset_after_x0();
  if (plan_.chain) off += plan_.chain_steps * d;
  else off += (plan_.eps ? d : 0) + (plan_.xprev ? d : 0);
  z_ = Val<T>(lanes_, d);
  for (int l = 0; l < lanes_; ++l)
    for (int i = 0; i < d; ++i) z_.at(i, l) = main_noise(l, off + i);
  have_z_ = true;
  return z_;
}

template <class T>
Val<T> Evaluator<T>::zstep(long k) {
  const int d = plan_.dim;
  if (k < 0 || k >= plan_.zsteps) throw std::out_of_range("step " + std::to_string(k) + " of a sequence has no noise planned");
  int off = offset_after_x0();
  if (plan_.chain) off += plan_.chain_steps * d;
  else off += (plan_.eps ? d : 0) + (plan_.xprev ? d : 0);
  if (plan_.z) off += d;
  // At a coarse level of a limit, step k's normal is the normalised sum of the finest level's normals of the steps it
  // spans: the levels then share their Brownian path (the coupling that makes the differences between levels small).
  // Step k of a falling sequence covers [k, k + 1] on the index line, of a rising one [k - 1, k]: the fine steps
  // inside that interval are k s .. k s + s - 1, or (k - 1) s + 1 .. k s.
  const long s = levels_.empty() ? 1 : levels_.back().coarsen;
  const long first = zdir_ < 0 ? k * s : (k - 1) * s + 1;
  if (first < 0 || first + s > plan_.zsteps)
    throw std::out_of_range("step " + std::to_string(k) + " at a coarse level of a limit spans no finest-level noise: the step count "
                            "must double with each level (K, 2K, 4K, ... or h, h/2, h/4, ...)");
  Val<T> out(lanes_, d);
  using std::sqrt;
  const T norm = s == 1 ? T(1) : T(1) / sqrt(T(static_cast<double>(s)));
  for (int l = 0; l < lanes_; ++l)
    for (int i = 0; i < d; ++i) {
      T acc = T(0);
      for (long j = 0; j < s; ++j) acc += main_noise(l, off + static_cast<int>((first + j) * d) + i);
      out.at(i, l) = s == 1 ? acc : acc * norm;
    }
  return out;
}

namespace {
// Richardson weights: A = sum_l w_l F(h_l) exactly when F(h) = A + c_0 h^p + ... + c_{L-2} h^{p+L-2}, h_l = 2^-l.
template <class T>
std::vector<T> richardson_weights(int L, int p) {
  std::vector<std::vector<T>> a(static_cast<std::size_t>(L), std::vector<T>(static_cast<std::size_t>(L) + 1, T(0)));
  // Row 0: sum w = 1; row q (1..L-1): sum w_l h_l^(p+q-1) = 0.
  for (int l = 0; l < L; ++l) {
    a[0][static_cast<std::size_t>(l)] = T(1);
    for (int q = 1; q < L; ++q) {
      T h = T(1);
      for (int i = 0; i < l * (p + q - 1); ++i) h /= T(2);
      a[static_cast<std::size_t>(q)][static_cast<std::size_t>(l)] = h;
    }
  }
  a[0][static_cast<std::size_t>(L)] = T(1);
  using std::abs;
  for (int c = 0; c < L; ++c) {
    int piv = c;
    for (int r = c + 1; r < L; ++r)
      if (abs(a[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]) > abs(a[static_cast<std::size_t>(piv)][static_cast<std::size_t>(c)])) piv = r;
    std::swap(a[static_cast<std::size_t>(c)], a[static_cast<std::size_t>(piv)]);
    for (int r = 0; r < L; ++r) {
      if (r == c) continue;
      const T f = a[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] / a[static_cast<std::size_t>(c)][static_cast<std::size_t>(c)];
      for (int k = c; k <= L; ++k) a[static_cast<std::size_t>(r)][static_cast<std::size_t>(k)] -= f * a[static_cast<std::size_t>(c)][static_cast<std::size_t>(k)];
    }
  }
  std::vector<T> w(static_cast<std::size_t>(L));
  for (int l = 0; l < L; ++l) w[static_cast<std::size_t>(l)] = a[static_cast<std::size_t>(l)][static_cast<std::size_t>(L)] / a[static_cast<std::size_t>(l)][static_cast<std::size_t>(l)];
  return w;
}
}  // namespace

template <class T>
void Evaluator<T>::enter_level(const Expr& e, int level) {
  const int L = static_cast<int>(e.value);
  const bool up = e.data[2] > 0;
  T v = T(e.data[1]);
  for (int i = 0; i < level; ++i) v = up ? v * T(2) : v / T(2);
  levels_.push_back({e.text, v, level, 1L << (L - 1 - level)});
}

template <class T>
void Evaluator<T>::leave_level() {
  levels_.pop_back();
}

template <class T>
void Evaluator<T>::set_finest(const Expr& e) {
  const int L = static_cast<int>(e.value);
  const bool up = e.data[2] > 0;
  T v = T(e.data[1]);
  for (int i = 0; i < L - 1; ++i) v = up ? v * T(2) : v / T(2);
  finest_[e.text] = v;
}

template <class T>
Val<T> Evaluator<T>::limit(const Expr& e) {
  const int L = static_cast<int>(e.value), p = static_cast<int>(e.data[0]);
  std::vector<Val<T>> at;
  for (int l = 0; l < L; ++l) {
    enter_level(e, l);
    try {
      at.push_back(eval(*e.args[0]));
    } catch (...) {
      leave_level();
      throw;
    }
    leave_level();
  }
  auto combine = [&](int first) {
    const std::vector<T> w = richardson_weights<T>(L - first, p);
    int lanes = 1;
    for (const auto& v : at) lanes = std::max(lanes, v.lanes);
    Val<T> out(lanes, at[0].width);
    for (int c = 0; c < out.width; ++c)
      for (int ln = 0; ln < lanes; ++ln) {
        T acc = T(0);
        for (int l = first; l < L; ++l) acc += w[static_cast<std::size_t>(l - first)] * at[static_cast<std::size_t>(l)].at(c, ln);
        out.at(c, ln) = acc;
      }
    return out;
  };
  Val<T> best = combine(0), coarse = combine(1);
  using std::abs;
  for (std::size_t i = 0; i < best.v.size(); ++i) limit_error_ = std::max(limit_error_, T(abs(best.v[i] - coarse.v[i])));
  return best;
}

// Terms of a recurrence, computed from its start by iterating the step (memoised for the block).
template <class T>
Val<T> Evaluator<T>::recurrence(const Expr& e) {
  const Recurrence& r = *e.rec;
  const long target = index(*e.args[0]);
  // Keyed by the definition (not the object): every form of this model that uses the sequence shares its terms.
  const std::string key = r.cache_key.empty() ? "@" + std::to_string(reinterpret_cast<std::uintptr_t>(&r)) : r.cache_key;
  auto& memo = shared && point_free(r) ? shared->rec[{key, level()}] : rec_[{key, level()}];
  if (auto it = memo.find(target); it != memo.end()) return it->second;
  const long from = index(*r.from);
  if ((r.direction < 0 && target > from) || (r.direction > 0 && target < from))
    fail(e, "'" + r.key + "' is defined from index " + std::to_string(from) + (r.direction < 0 ? " down" : " up") +
                ", not at " + std::to_string(target));
  if (std::abs(target - from) > 1'000'000) fail(e, "a sequence of more than 10^6 steps");
  if (!memo.count(from)) memo[from] = eval(*r.start);
  long k = from;
  // The last term already computed on the way to the target.
  for (long j = target; j != from; j -= r.direction)
    if (memo.count(j)) {
      k = j;
      break;
    }
  while (k != target) {
    const long next = k + r.direction;
    const Val<T>& prev = memo.at(k);
    indices_[r.index_id] = next;
    prev_.push_back(&prev);
    const int saved_dir = zdir_;
    zdir_ = r.direction;
    Val<T> v;
    try {
      v = eval(*r.step);
    } catch (...) {
      zdir_ = saved_dir;
      prev_.pop_back();
      throw;
    }
    zdir_ = saved_dir;
    prev_.pop_back();
    indices_.erase(r.index_id);
    memo[next] = std::move(v);
    k = next;
  }
  return memo.at(target);
}

template <class T>
bool Evaluator<T>::point_free(const Recurrence& r) {
  if (auto it = point_free_.find(&r); it != point_free_.end()) return it->second;
  bool free = true;
  const bool unpinned = !plan_.pin_x0 && !plan_.pin_xt;
  for (const ExprPtr& p : {r.from, r.start, r.step})
    if (p)
      visit_tree(*p, [&](const Expr& x) {
        if ((x.op == Op::index_var && x.id < 0 && x.text == "t") || (x.op == Op::data && x.text.rfind("grid:", 0) == 0) ||
            x.op == Op::bound)
          free = false;
        if (x.op == Op::random && x.text != "z" && x.text != "zk" &&
            !(x.text == "x" && unpinned && x.args[0]->op == Op::number && x.args[0]->value == 0))
          free = false;
      }, true);
  return point_free_[&r] = free;
}

template <class T>
const Val<T>& Evaluator<T>::x_at(long s) {
  if (s == 0) x0();
  else if (s == w_.t) xt();
  else if (s == w_.t - 1) xprev();
  else chain_x(s);
  return x_.count(s) ? x_[s] : chain_[s];
}

// Samples the bound variable `id` from d, using its slot of the plan.
template <class T>
void Evaluator<T>::note_resolution(const Expr& cov, const T& mean, const T& sd) {
  // Only double arithmetic loses draws this way (50 digits resolve about 1e-49 of the mean).
  if constexpr (std::is_same_v<T, double>) {
    if (!degenerate_.empty() || !(sd < kResolutionUlps * std::numeric_limits<double>::epsilon() * std::abs(mean))) return;
    std::ostringstream w;
    w.precision(3);
    w << "a law's standard deviation " << sd << " (its variance "
      << (cov.origin.empty() ? "written in the form" : "from [define] " + cov.origin) << ") is below " << kResolutionUlps << " ulps of its mean " << mean
      << (w_.t > 0 ? " at t = " + std::to_string(w_.t) : std::string())
      << ": in double precision its draws round to the mean, so the random part is lost (keep sigma >= "
      << kResolutionUlps << " ulp(|mean|), i.e. sigma^2 >= "
      << (kResolutionUlps * std::numeric_limits<double>::epsilon() * std::abs(mean)) *
             (kResolutionUlps * std::numeric_limits<double>::epsilon() * std::abs(mean))
      << " here)";
    degenerate_ = w.str();
  }
}

template <class T>
Val<T> Evaluator<T>::sample(const Dist& d, int id) {
  using std::sqrt;
  const Plan::Bound* slot = nullptr;
  for (const auto& b : plan_.bound)
    if (b.id == id) slot = &b;
  if (!slot) throw std::logic_error("bound variable without a noise slot");
  const bool extra = slot->extra;
  const int o = slot->offset;
  auto nz = [&](int l, int k) { return extra ? extra_noise(l, o + k) : main_noise(l, o + k); };
  const int dim = d.dim;
  Val<T> out(lanes_, dim);
  std::vector<T> n(static_cast<std::size_t>(dim)), x(static_cast<std::size_t>(dim)), g(static_cast<std::size_t>(dim));
  switch (d.kind) {
    case Dist::Kind::gaussian: {
      const Val<T> m = eval(*d.mean), c = eval(*d.cov);
      if (d.cov->type == Type::matrix) {
        // One Cholesky factor when the covariance is the same for every lane.
        MatT<T> L;
        for (int l = 0; l < lanes_; ++l) {
          if (l == 0 || c.lanes > 1) {
            Eigen::LLT<MatT<T>> llt(lane_mat(c, dim, l));
            if (llt.info() != Eigen::Success) fail(*d.cov, "the covariance is not positive definite");
            L = llt.matrixL();
          }
          for (int i = 0; i < dim; ++i) {
            T v = m.at(m.width == 1 ? 0 : i, l);
            note_resolution(*d.cov, v, L(i, i));
            for (int j = 0; j <= i; ++j) v += L(i, j) * nz(l, j);
            out.at(i, l) = v;
          }
        }
      } else {
        for (int l = 0; l < lanes_; ++l) {
          const T var = c.at(0, l);
          if (var == 0) fail(*d.cov, "the variance of this law is 0 at t = " + std::to_string(w_.t) + " (a point mass has no density)");
          if (!(var > 0)) fail(*d.cov, "the variance " + num(var) + " is not positive");
          const T sd = sqrt(var);
          for (int i = 0; i < dim; ++i) {
            note_resolution(*d.cov, m.at(m.width == 1 ? 0 : i, l), sd);
            out.at(i, l) = m.at(m.width == 1 ? 0 : i, l) + sd * nz(l, i);
          }
        }
      }
      return out;
    }
    case Dist::Kind::data:
    case Dist::Kind::marginal: {
      const long s = d.kind == Dist::Kind::data ? 0 : index(*d.step);
      const MixtureT<T>& mix = s == 0 ? w_.data : w_.marginal(s);
      for (int l = 0; l < lanes_; ++l) {
        for (int i = 0; i < dim; ++i) n[static_cast<std::size_t>(i)] = nz(l, 1 + i);
        mix.sample(nz(l, 0), n.data(), x.data());
        for (int i = 0; i < dim; ++i) out.at(i, l) = x[static_cast<std::size_t>(i)];
      }
      return out;
    }
    case Dist::Kind::diffused: {
      // a x_0 + sqrt(r) n: x_0 from the mixture (1 uniform, d normals), n from the next d normals.
      const Val<T> a = eval(*d.mean), r = eval(*d.cov);
      for (int l = 0; l < lanes_; ++l) {
        for (int i = 0; i < dim; ++i) n[static_cast<std::size_t>(i)] = nz(l, 1 + i);
        w_.data.sample(nz(l, 0), n.data(), x.data());
        const T av = a.at(0, l), rv = r.at(0, l);
        if (!(rv > 0)) fail(*d.cov, "the added noise variance " + num(rv) + " is not positive");
        for (int i = 0; i < dim; ++i) out.at(i, l) = av * x[static_cast<std::size_t>(i)] + sqrt(rv) * nz(l, 1 + dim + i);
      }
      return out;
    }
    case Dist::Kind::categorical: {
      // The inverse CDF of the probabilities at one uniform: z = the first k with w_1 + ... + w_k > u.
      const Val<T> w = categorical_probs(d, lanes_);
      const int K = w.width;
      for (int l = 0; l < lanes_; ++l) {
        const T u = nz(l, 0);
        T acc = T(0);
        int k = K;
        for (int j = 0; j < K; ++j) {
          acc += w.at(j, l);
          if (u < acc) {
            k = j + 1;
            break;
          }
        }
        while (k > 1 && !(w.at(k - 1, l) > 0)) --k;  // rounding at the top end: never a value of probability 0
        out.at(0, l) = T(k);
      }
      return out;
    }
    case Dist::Kind::posterior_x0:
    case Dist::Kind::reverse: {
      const long s = index(*d.step);
      const PosteriorT<T>& post = d.kind == Dist::Kind::posterior_x0 ? w_.posterior(s) : w_.reverse(s);
      const Val<T> y = eval(*d.given);
      for (int l = 0; l < lanes_; ++l) {
        for (int i = 0; i < dim; ++i) {
          n[static_cast<std::size_t>(i)] = nz(l, 1 + i);
          g[static_cast<std::size_t>(i)] = y.at(i, l);
        }
        post.sample(g.data(), nz(l, 0), n.data(), x.data());
        for (int i = 0; i < dim; ++i) out.at(i, l) = x[static_cast<std::size_t>(i)];
      }
      return out;
    }
  }
  return out;
}

template <class T>
Val<T> Evaluator<T>::log_density(const Dist& d, const Val<T>& at) {
  using std::log;
  const int dim = d.dim;
  const int lanes = at.lanes;
  std::vector<T> x(static_cast<std::size_t>(dim)), g(static_cast<std::size_t>(dim));
  switch (d.kind) {
    case Dist::Kind::gaussian: {
      const Val<T> m = eval(*d.mean), c = eval(*d.cov);
      const int L = std::max({lanes, m.lanes, c.lanes});
      Val<T> out(L, 1);
      if (d.cov->type == Type::matrix) {
        // Factor the covariance once when it is the same for every lane; shift by each lane's mean.
        GaussT<T> gg;
        for (int l = 0; l < L; ++l) {
          if (l == 0 || c.lanes > 1) {
            try {
              gg = GaussT<T>::make(VecT<T>::Zero(dim), lane_mat(c, dim, l));
            } catch (const std::invalid_argument&) {
              fail(*d.cov, "the covariance is not positive definite");
            }
          }
          for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = at.at(i, l) - m.at(m.width == 1 ? 0 : i, l);
          out.at(0, l) = gg.log_density(x.data());
        }
        return out;
      }
      const T log2pi = log(2 * pi_t<T>());
      for (const T& v : c.v) {
        if (v == 0) fail(*d.cov, "the variance of this law is 0 at t = " + std::to_string(w_.t) + " (a point mass has no density)");
        if (!(v > 0)) fail(*d.cov, "the variance " + num(v) + " is not positive (the density is not defined)");
      }
      if (c.lanes == 1) {
        // The same variance for every lane (the usual case): its log once, then a loop per coordinate.
        const T v = c.v[0], inv = T(1) / v, norm = -T(dim) * (log2pi + log(v)) / 2;
        T* o = out.v.data();
        for (int l = 0; l < L; ++l) o[l] = norm;
        for (int i = 0; i < dim; ++i) {
          const T* a = at.v.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(at.lanes);
          const int mi = m.width == 1 ? 0 : i;
          const T* mm = m.v.data() + static_cast<std::size_t>(mi) * static_cast<std::size_t>(m.lanes);
          const bool al = at.lanes > 1, ml = m.lanes > 1;
          for (int l = 0; l < L; ++l) {
            const T r = a[al ? l : 0] - mm[ml ? l : 0];
            o[l] -= r * r * inv / 2;
          }
        }
        return out;
      }
      for (int l = 0; l < L; ++l) {
        const T v = c.at(0, l);
        T q = T(0);
        for (int i = 0; i < dim; ++i) {
          const T r = at.at(i, l) - m.at(m.width == 1 ? 0 : i, l);
          q += r * r;
        }
        out.at(0, l) = -(T(dim) * (log2pi + log(v)) + q / v) / 2;
      }
      return out;
    }
    case Dist::Kind::diffused: {
      const Val<T> a = eval(*d.mean), r = eval(*d.cov);
      const MixtureT<T>* mixp = nullptr;
      const int L = std::max({lanes, a.lanes, r.lanes});
      Val<T> out(L, 1);
      for (int l = 0; l < L; ++l) {
        const T rv = r.at(0, l);
        if (!(rv > 0)) fail(*d.cov, "the added noise variance " + num(rv) + " is not positive");
        if (!mixp || a.lanes > 1 || r.lanes > 1) mixp = &w_.diffused_law(a.at(0, l), rv);
        const MixtureT<T>& mix = *mixp;
        for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = at.at(i, l);
        out.at(0, l) = mix.log_density(x.data());
      }
      return out;
    }
    case Dist::Kind::data:
    case Dist::Kind::marginal: {
      const long s = d.kind == Dist::Kind::data ? 0 : index(*d.step);
      const MixtureT<T>& mix = s == 0 ? w_.data : w_.marginal(s);
      Val<T> out(lanes, 1);
      for (int l = 0; l < lanes; ++l) {
        for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = at.at(i, l);
        out.at(0, l) = mix.log_density(x.data());
      }
      return out;
    }
    case Dist::Kind::posterior_x0:
    case Dist::Kind::reverse: {
      const long s = index(*d.step);
      const PosteriorT<T>& post = d.kind == Dist::Kind::posterior_x0 ? w_.posterior(s) : w_.reverse(s);
      const Val<T> y = eval(*d.given);
      const int L = std::max(lanes, y.lanes);
      Val<T> out(L, 1);
      for (int l = 0; l < L; ++l) {
        for (int i = 0; i < dim; ++i) {
          x[static_cast<std::size_t>(i)] = at.at(i, l);
          g[static_cast<std::size_t>(i)] = y.at(i, l);
        }
        out.at(0, l) = post.log_density(g.data(), x.data());
      }
      return out;
    }
    case Dist::Kind::categorical: {
      const Val<T> w = categorical_probs(d, 1);
      const int L = std::max(lanes, w.lanes);
      Val<T> out(L, 1);
      for (int l = 0; l < L; ++l) out.at(0, l) = log(w.at(static_cast<int>(latent_value(*d.mean, at.at(0, l), w.width)) - 1, l));
      return out;
    }
  }
  return Val<T>();
}

template <class T>
Val<T> Evaluator<T>::score(const Dist& d, const Val<T>& at) {
  const int dim = d.dim;
  std::vector<T> x(static_cast<std::size_t>(dim)), g(static_cast<std::size_t>(dim)), o(static_cast<std::size_t>(dim));
  switch (d.kind) {
    case Dist::Kind::gaussian: {
      const Val<T> m = eval(*d.mean), c = eval(*d.cov);
      const int L = std::max({at.lanes, m.lanes, c.lanes});
      Val<T> out(L, dim);
      for (int l = 0; l < L; ++l) {
        if (d.cov->type == Type::matrix) {
          VecT<T> r(dim);
          for (int i = 0; i < dim; ++i) r[i] = at.at(i, l) - m.at(m.width == 1 ? 0 : i, l);
          const VecT<T> s = lane_mat(c, dim, l).llt().solve(r);
          for (int i = 0; i < dim; ++i) out.at(i, l) = -s[i];
        } else {
          const T v = c.at(0, l);
          for (int i = 0; i < dim; ++i) out.at(i, l) = -(at.at(i, l) - m.at(m.width == 1 ? 0 : i, l)) / v;
        }
      }
      return out;
    }
    case Dist::Kind::diffused: {
      const Val<T> a = eval(*d.mean), r = eval(*d.cov);
      const MixtureT<T>* mixp = nullptr;
      const int L = std::max({at.lanes, a.lanes, r.lanes});
      Val<T> out(L, dim);
      for (int l = 0; l < L; ++l) {
        const T rv = r.at(0, l);
        if (!(rv > 0)) fail(*d.cov, "the added noise variance " + num(rv) + " is not positive");
        if (!mixp || a.lanes > 1 || r.lanes > 1) mixp = &w_.diffused_law(a.at(0, l), rv);
        const MixtureT<T>& mix = *mixp;
        for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = at.at(i, l);
        mix.score(x.data(), o.data());
        for (int i = 0; i < dim; ++i) out.at(i, l) = o[static_cast<std::size_t>(i)];
      }
      return out;
    }
    case Dist::Kind::data:
    case Dist::Kind::marginal: {
      const long s = d.kind == Dist::Kind::data ? 0 : index(*d.step);
      const MixtureT<T>& mix = s == 0 ? w_.data : w_.marginal(s);
      Val<T> out(at.lanes, dim);
      for (int l = 0; l < at.lanes; ++l) {
        for (int i = 0; i < dim; ++i) x[static_cast<std::size_t>(i)] = at.at(i, l);
        mix.score(x.data(), o.data());
        for (int i = 0; i < dim; ++i) out.at(i, l) = o[static_cast<std::size_t>(i)];
      }
      return out;
    }
    case Dist::Kind::posterior_x0:
    case Dist::Kind::reverse: {
      const long s = index(*d.step);
      const PosteriorT<T>& post = d.kind == Dist::Kind::posterior_x0 ? w_.posterior(s) : w_.reverse(s);
      const Val<T> y = eval(*d.given);
      const int L = std::max(at.lanes, y.lanes);
      Val<T> out(L, dim);
      for (int l = 0; l < L; ++l) {
        for (int i = 0; i < dim; ++i) {
          x[static_cast<std::size_t>(i)] = at.at(i, l);
          g[static_cast<std::size_t>(i)] = y.at(i, l);
        }
        post.score(g.data(), x.data(), o.data());
        for (int i = 0; i < dim; ++i) out.at(i, l) = o[static_cast<std::size_t>(i)];
      }
      return out;
    }
    case Dist::Kind::categorical: fail(*d.mean, "a discrete law (of the latent z) has no score");
  }
  return Val<T>();
}

template <class T>
long Evaluator<T>::latent_value(const Expr& where, const T& k, long K) const {
  const long r = k >= T(1) && k <= T(K) ? static_cast<long>(k) : 0;
  if (r == 0 || !(T(r) == k)) fail(where, "the latent z takes the values 1.." + std::to_string(K) + ", got " + num(k));
  return r;
}

// The probabilities of a categorical law, checked: non-negative and summing to 1.
template <class T>
Val<T> Evaluator<T>::categorical_probs(const Dist& d, int lanes_needed) {
  using std::abs;
  (void)lanes_needed;
  const Val<T> w = eval(*d.mean);
  // A table computed once per block is checked once.
  const bool keyed = d.mean->op == Op::tabulate && !d.mean->latex.empty();
  if (keyed && !checked_tables_.insert(d.mean->latex).second) return w;
  for (int l = 0; l < w.lanes; ++l) {
    T sum = T(0);
    for (int j = 0; j < w.width; ++j) {
      const T p = w.at(j, l);
      if (!(p >= 0) || !(p <= 1)) fail(*d.mean, "the probability of z = " + std::to_string(j + 1) + " is " + num(p) + ", not in [0, 1]");
      sum += p;
    }
    if (!(abs(sum - T(1)) <= T(1e-9)))
      fail(*d.mean, "the probabilities of the law of z sum to " + num(sum) + ", not 1 (over z = 1.." + std::to_string(w.width) + ")");
  }
  return w;
}

// pi_k, log N(x; mu_k, Sigma_k), mu_k, Sigma_k, p(k | x) and the vector of responsibilities, with k per lane.
template <class T>
Val<T> Evaluator<T>::component(const Expr& e) {
  const MixtureT<T>& mix = w_.data;
  const long K = static_cast<long>(mix.size());
  if (K == 0) fail(e, "internal: the latent z without a mixture");
  const int d = mix.dim();
  if (e.text == "posterior") return responsibilities(eval(*e.args[0]));
  if (e.text == "entry") {  // the k-th entry of a table of probabilities
    const Val<T> kv = eval(*e.args[0]), tab = eval(*e.args[1]);
    const int L = std::max(kv.lanes, tab.lanes);
    Val<T> out(L, 1);
    for (int l = 0; l < L; ++l) out.at(0, l) = tab.at(static_cast<int>(latent_value(e, kv.at(0, l), tab.width)) - 1, l);
    return out;
  }
  enum { weight, mean, cov, log_density, responsibility } what = e.text == "weight" ? weight : e.text == "mean" ? mean
                                                           : e.text == "cov" ? cov : e.text == "log_density" ? log_density : responsibility;
  const Val<T> kv = eval(*e.args[0]);
  Val<T> xv;
  if (what == log_density || what == responsibility) xv = eval(*e.args[1]);
  const int L = std::max(kv.lanes, xv.lanes);
  const Val<T>* resp = what == responsibility ? &responsibilities(xv) : nullptr;
  const int width = what == mean ? d : what == cov ? d * d : 1;
  Val<T> out(L, width);
  Scratch<T> xs(static_cast<std::size_t>(d));
  T* x = xs.data();
  for (int l = 0; l < L; ++l) {
    const std::size_t k = static_cast<std::size_t>(latent_value(e, kv.at(0, l), K) - 1);
    const auto& c = mix.components()[k];
    if (what == weight) {
      out.at(0, l) = mix.weights()[k];
    } else if (what == mean) {
      for (int i = 0; i < d; ++i) out.at(i, l) = c.mean[i];
    } else if (what == cov) {
      for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) out.at(i * d + j, l) = c.cov(i, j);
    } else {
      for (int i = 0; i < d; ++i) x[i] = xv.at(i, l);
      if (what == log_density) {
        out.at(0, l) = c.log_density(x);
      } else {
        out.at(0, l) = resp->at(static_cast<int>(k), l);
      }
    }
  }
  return out;
}

// The responsibilities at x for every lane. A formula of the latent asks for them many times at the same x (every
// term of q(z | x) = ... p(z | x)^tau / sum_k p(k | x)^tau, at every z): computed once per block of draws.
template <class T>
const Val<T>& Evaluator<T>::responsibilities(const Val<T>& xv) {
  if (resp_x_.lanes == xv.lanes && resp_x_.width == xv.width && resp_x_.v == xv.v && !resp_.v.empty()) return resp_;
  const MixtureT<T>& mix = w_.data;
  const int K = static_cast<int>(mix.size()), d = mix.dim();
  std::vector<T> x(static_cast<std::size_t>(d)), r(static_cast<std::size_t>(K));
  Val<T> out(xv.lanes, K);
  for (int l = 0; l < xv.lanes; ++l) {
    for (int i = 0; i < d; ++i) x[static_cast<std::size_t>(i)] = xv.at(i, l);
    mix.responsibilities(x.data(), r.data());
    for (int k = 0; k < K; ++k) out.at(k, l) = r[static_cast<std::size_t>(k)];
  }
  resp_x_ = xv;
  resp_ = std::move(out);
  return resp_;
}

// (f(1), ..., f(K)): the body at each value of its bound index, one column per value.
template <class T>
Val<T> Evaluator<T>::tabulate(const Expr& e) {
  if (!e.latex.empty())
    if (auto it = tables_.find(e.latex); it != tables_.end()) return it->second;
  std::vector<Val<T>> cols;
  int L = 1;
  for (int k = 1; k <= e.dim; ++k) {
    indices_[e.id] = k;
    cols.push_back(eval(*e.args[0]));
    L = std::max(L, cols.back().lanes);
  }
  indices_.erase(e.id);
  Val<T> out(L, e.dim);
  for (int k = 0; k < e.dim; ++k)
    for (int l = 0; l < L; ++l) out.at(k, l) = cols[static_cast<std::size_t>(k)].at(0, l);
  if (!e.latex.empty()) tables_[e.latex] = out;
  return out;
}

// 1-D quadrature of a deterministic integrand over the real line (sinh-sinh) or [lo, hi] (tanh-sinh).
template <class T>
std::string Evaluator<T>::integral_key(const Expr& e) {
  auto it = integral_keys_.find(&e);
  if (it == integral_keys_.end()) {
    IntegralKey k;
    k.memo = true;
    visit_tree(e, [&](const Expr& x) {
      if (x.op == Op::index_var && x.id >= 0 && std::find(k.indices.begin(), k.indices.end(), x.id) == k.indices.end())
        k.indices.push_back(x.id);
      if ((x.op == Op::bound && x.id != e.id) || x.op == Op::limit_var || x.op == Op::recurrence || x.op == Op::rec_prev ||
          x.random || x.mc)
        k.memo = false;
    });
    if (k.memo) k.text = canonical(e);
    it = integral_keys_.emplace(&e, std::move(k)).first;
  }
  if (!it->second.memo) return {};
  std::string key = it->second.text;
  for (int id : it->second.indices) {
    auto v = indices_.find(id);
    if (v == indices_.end()) return {};
    key += "|" + std::to_string(v->second);
  }
  return key;
}

template <class T>
Val<T> Evaluator<T>::integral(const Expr& e) {
  std::string memo_key;
  if (integral_memo) {
    memo_key = integral_key(e);
    if (!memo_key.empty())
      if (auto it = integral_memo->find(memo_key); it != integral_memo->end()) return scalar_val(it->second);
  }
  Val<T> v = integral_uncached(e);
  if (!memo_key.empty()) (*integral_memo)[memo_key] = v.v[0];
  return v;
}

template <class T>
Val<T> Evaluator<T>::integral_uncached(const Expr& e) {
  using std::abs;
  const Expr& body = *e.args[0];
  ++in_integral_;
  struct Leave {
    int& n;
    ~Leave() { --n; }
  } leave{in_integral_};
  auto f = [&](const T& x) -> T {
    bound_[e.id] = scalar_val(x);
    const Val<T> v = eval(body);
    const T r = v.v[0];
    if (!(r == r)) {
      // Where double precision cannot evaluate the integrand at all (inf - inf far out), it is taken as 0: the
      // quadrature probes |x| up to 1e308, far beyond any mass of the notes' integrands.
      if (abs(x) > T(1e30)) return T(0);
      throw EvalError(e.pos, "the integrand is not a number at x = " + num(x), e.origin);
    }
    return r;
  };
  const double tol = std::is_same_v<T, double> ? 1e-12 : 1e-40;
  T result, err = T(0), l1 = T(0);
  try {
    if (e.args.size() == 3) {
      const T lo = eval(*e.args[1]).v[0], hi = eval(*e.args[2]).v[0];
      // The integrator's nodes and weights are the same for every integral (built once per thread, refined on
      // demand; in 50 digits building them cost more than most integrals).
      static thread_local boost::math::quadrature::tanh_sinh<T> q;
      result = q.integrate(f, lo, hi, T(tol), &err, &l1);
    } else {
      static thread_local boost::math::quadrature::sinh_sinh<T> q;
      result = q.integrate(f, T(tol), &err, &l1);
    }
  } catch (const EvalError&) {
    throw;
  } catch (const std::exception& ex) {
    fail(e, std::string("the integral could not be computed: ") + ex.what());
  }
  bound_.erase(e.id);
  // Zero at every node: the quadrature never saw the integrand's mass (a spike narrower than its nodes resolve, or
  // beyond |x| = 1e30 where unevaluable points count as 0). A value of 0 would then be a confident wrong answer
  // (sweep finding: a Gaussian of variance 6.9e-60 at mu = 6.6e89 integrated to 0).
  if (l1 == T(0))
    fail(e, "the integrand is 0 at every quadrature node: its mass is narrower than the quadrature resolves or lies "
            "beyond |x| = 1e30, so the integral cannot be computed");
  if (!(abs(err) <= T(1e3 * tol) * (abs(l1) + T(1e-300))))
    fail(e, "the integral did not converge (error estimate " + num(err) + " for a value " + num(result) + ")");
  return scalar_val(result);
}

template <class T>
Val<T> Evaluator<T>::eval(const Expr& e) {
  using std::abs;
  using std::exp;
  using std::log;
  using std::pow;
  using std::sqrt;
  if (!substitutes.empty())
    if (auto it = substitutes.find({&e, level()}); it != substitutes.end()) return scalar_val(it->second);
  const int d = e.dim;
  switch (e.op) {
    case Op::number:
      if (e.type == Type::index) return scalar_val(T(static_cast<long>(e.value)));
      if constexpr (!std::is_same_v<T, double>)
        if (!e.text.empty()) return scalar_val(T(e.text));  // the exact decimal
      return scalar_val(T(e.value));
    case Op::pi: return scalar_val(pi_t<T>());
    case Op::data: {
      const std::vector<double>* src = &e.data;
      std::vector<T> tmp;
      if (e.text.rfind("grid:", 0) == 0) {
        auto it = w_.grid.find(e.text);
        if (it == w_.grid.end()) fail(e, "internal: grid value " + e.text + " not set");
        Val<T> v(1, static_cast<int>(it->second.size()));
        v.v = it->second;
        return v;
      }
      Val<T> v(1, static_cast<int>(src->size()));
      for (std::size_t i = 0; i < src->size(); ++i) v.v[i] = T((*src)[i]);
      return v;
    }
    case Op::index_var: return scalar_val(T(index(e)));
    case Op::schedule: {
      const long s = index(*e.args[0]);
      try {
        return scalar_val(w_.schedule.get(e.text, s));
      } catch (const std::out_of_range& ex) {
        fail(e, "'" + e.latex + "' at t = " + std::to_string(w_.t) + ": " + ex.what());
      }
    }
    case Op::random: {
      if (e.text == "z") return zv();
      if (e.text == "U") {
        if (!plan_.u) fail(e, "internal: U outside the noise plan");
        Val<T> out(lanes_, 1);
        for (int l = 0; l < lanes_; ++l) out.at(0, l) = main_noise(l, plan_.u_offset);
        return out;
      }
      if (e.text == "zk") {
        try {
          return zstep(index(*e.args[0]));
        } catch (const std::out_of_range& ex) {
          fail(e, ex.what());
        }
      }
      const long s = index(*e.args[0]);
      try {
        if (e.text == "x") {
          if (s == 0) return x0();
          if (plan_.chain) return chain_x(s);
          if (s == w_.t) return xt();
          if (s == w_.t - 1) return xprev();
          fail(e, "internal: x_" + std::to_string(s) + " outside the plan");
        }
        if (e.text == "eps") {
          if (s == w_.t) return eps_t();
          using std::sqrt;
          const T ab = w_.schedule.get("alpha_bar", s);
          const Val<T> a = chain_x(s), b = x0();
          const T sa = sqrt(ab), sn = sqrt(T(1) - ab);
          return map2(a, b, [&](const T& p, const T& q) { return (p - sa * q) / sn; });
        }
        if (e.text == "W") return wv(s);
      } catch (const std::out_of_range& ex) {
        fail(e, "'" + e.latex + "' at t = " + std::to_string(w_.t) + ": " + ex.what());
      }
      fail(e, "internal: unknown random variable");
    }
    case Op::bound: {
      auto it = bound_.find(e.id);
      if (it == bound_.end()) fail(e, "internal: unbound variable");
      return it->second;
    }
    case Op::identity: {
      Val<T> v(1, d * d);
      for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) v.v[static_cast<std::size_t>(i * d + j)] = T(i == j ? 1 : 0);
      return v;
    }
    case Op::add:
      if (e.type == Type::index) return scalar_val(T(index(e)));
      return map2(eval(*e.args[0]), eval(*e.args[1]), [](const T& a, const T& b) { return a + b; });
    case Op::sub:
      if (e.type == Type::index) return scalar_val(T(index(e)));
      return map2(eval(*e.args[0]), eval(*e.args[1]), [](const T& a, const T& b) { return a - b; });
    case Op::neg:
      if (e.type == Type::index) return scalar_val(T(index(e)));
      return map1(eval(*e.args[0]), [](const T& a) { return -a; });
    case Op::mul: {
      if (e.type == Type::index) return scalar_val(T(index(e)));
      const Expr& A = *e.args[0];
      const Expr& B = *e.args[1];
      if (A.type == Type::scalar || B.type == Type::scalar || A.type == Type::index || B.type == Type::index) {
        // Inside an integral a factor that underflowed to 0 wins over one that overflowed: far in the tails a density
        // times its log-ratio is 0, not 0 * inf = NaN.
        if (in_integral_ > 0)
          return map2(eval(A), eval(B), [](const T& a, const T& b) { return (a == 0 || b == 0) ? T(0) : a * b; });
        return map2(eval(A), eval(B), [](const T& a, const T& b) { return a * b; });
      }
      const Val<T> a = eval(A), b = eval(B);
      const int L = std::max(a.lanes, b.lanes);
      if (A.type == Type::matrix && B.type == Type::vector) {
        Val<T> out(L, d);
        for (int l = 0; l < L; ++l) put_vec(out, l, VecT<T>(lane_mat(a, d, l) * lane_vec(b, l)));
        return out;
      }
      if (A.type == Type::vector && B.type == Type::matrix) {  // row vector times matrix
        Val<T> out(L, d);
        for (int l = 0; l < L; ++l) put_vec(out, l, VecT<T>(lane_mat(b, d, l).transpose() * lane_vec(a, l)));
        return out;
      }
      Val<T> out(L, d * d);
      for (int l = 0; l < L; ++l) put_mat(out, d, l, MatT<T>(lane_mat(a, d, l) * lane_mat(b, d, l)));
      return out;
    }
    case Op::div: {
      if (e.type == Type::index) return scalar_val(T(index(e)));
      const Val<T> a = eval(*e.args[0]), b = eval(*e.args[1]);
      for (const T& x : b.v)
        if (x == 0) fail(*e.args[1], "division by zero: '" + e.args[1]->latex + (e.args[1]->latex.empty() ? "" : "' ") + "is 0 at t = " + std::to_string(w_.t));
      return map2(a, b, [](const T& p, const T& q) { return p / q; });
    }
    case Op::pow: {
      if (e.type == Type::index) return scalar_val(T(index(e)));
      const Val<T> a = eval(*e.args[0]), b = eval(*e.args[1]);
      return map2(a, b, [&](const T& p, const T& q) {
        if (p < 0 && q != floor_t(q)) throw EvalError(e.pos, "a non-integer power of a negative number (" + num(p) + ")");
        if (p == 0 && q < 0) throw EvalError(e.pos, "a negative power of zero");
        // Integer exponents by repeated multiplication: exact where pow() might not be.
        if (q == floor_t(q) && abs(q) <= 64) {
          long k = static_cast<long>(q >= 0 ? q : -q);
          T r = T(1);
          for (long i = 0; i < k; ++i) r *= p;
          return q >= 0 ? r : T(1) / r;
        }
        return pow(p, q);
      });
    }
    case Op::log: {
      const Val<T> a = eval(*e.args[0]);
      for (const T& x : a.v)
        if (!(x > 0)) fail(e, "log of a non-positive value (" + num(x) + ")" + (a.lanes > 1 ? " on a draw" : "") + " at t = " + std::to_string(w_.t));
      return map1(a, [](const T& x) { return log(x); });
    }
    case Op::exp: return map1(eval(*e.args[0]), [](const T& x) { return exp(x); });
    case Op::sqrt: {
      const Val<T> a = eval(*e.args[0]);
      for (const T& x : a.v)
        if (x < 0) fail(e, "square root of a negative value (" + num(x) + ")" + (a.lanes > 1 ? " on a draw" : "") + " at t = " + std::to_string(w_.t));
      return map1(a, [](const T& x) { return sqrt(x); });
    }
    case Op::abs: return map1(eval(*e.args[0]), [](const T& x) { return abs(x); });
    case Op::cos: return map1(eval(*e.args[0]), [](const T& x) { using std::cos; return cos(x); });
    case Op::indicator: {
      const std::string& op = e.text;
      return map2(eval(*e.args[0]), eval(*e.args[1]), [&op](const T& a, const T& b) {
        const bool h = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : op == ">=" ? a >= b : op == "=" ? a == b : a != b;
        return h ? T(1) : T(0);
      });
    }
    case Op::quantile: {
      // Every form of a case may use the same F^{-1}_P(U): computed once per block, when nothing in it varies within
      // the block (no bound variable, summation index, limit variable or sequence; not inside a quadrature).
      std::string memo;
      bool fixed = in_integral_ == 0 && e.args[0]->op == Op::random;
      visit_tree(e, [&](const Expr& x) {
        if (x.op == Op::bound || (x.op == Op::index_var && x.id >= 0) || x.op == Op::limit_var || x.op == Op::rec_prev ||
            x.op == Op::recurrence)
          fixed = false;
      });
      if (fixed) {
        memo = canonical(e);
        if (auto it = quantiles_.find(memo); it != quantiles_.end()) return it->second;
      }
      // The law's 1-D mixture: one for all lanes, or one per lane when its parameters depend on the draw.
      const Dist& dist = *e.dists[0];
      std::vector<Mix1T<T>> mixes;
      switch (dist.kind) {
        case Dist::Kind::data: mixes.push_back(mix1_of(w_.data)); break;
        case Dist::Kind::marginal: {
          const long s = index(*dist.step);
          try {
            mixes.push_back(mix1_of(w_.marginal(s)));
          } catch (const std::out_of_range& ex) {
            fail(e, std::string("the law of the quantile: ") + ex.what());
          }
          break;
        }
        case Dist::Kind::diffused: {
          const Val<T> a = eval(*dist.mean), r = eval(*dist.cov);
          const int L = std::max(a.lanes, r.lanes);
          for (int l = 0; l < L; ++l) {
            if (!(r.at(0, l) > 0)) fail(*dist.cov, "the added noise variance " + num(r.at(0, l)) + " is not positive");
            mixes.push_back(mix1_of(w_.diffused_law(a.at(0, l), r.at(0, l))));
          }
          break;
        }
        case Dist::Kind::gaussian: {
          const Val<T> m = eval(*dist.mean), v = eval(*dist.cov);
          const int L = std::max(m.lanes, v.lanes);
          for (int l = 0; l < L; ++l) {
            if (!(v.at(0, l) > 0)) fail(*dist.cov, "the variance " + num(v.at(0, l)) + " is not positive (the quantile is not defined)");
            mixes.push_back(Mix1T<T>{{T(1)}, {m.at(0, l)}, {sqrt(v.at(0, l))}});
          }
          break;
        }
        default: fail(e, "internal: the quantile of this law is not available");
      }
      Val<T> out;
      T bad = T(0);
      if (!quantile_lanes(w_, mixes, eval(*e.args[0]), out, bad))
        fail(*e.args[0], "the quantile's argument u = " + num(bad) + " is outside (0, 1)");
      if (!memo.empty()) quantiles_[memo] = out;
      return out;
    }
    case Op::norm:
    case Op::dot: {
      const Val<T> a = eval(*e.args[0]);
      const Val<T> b = e.op == Op::dot ? eval(*e.args[1]) : a;
      const int L = std::max(a.lanes, b.lanes), w = std::max(a.width, b.width);
      Val<T> out(L, 1);
      for (int l = 0; l < L; ++l) {
        T s = T(0);
        for (int c = 0; c < w; ++c) s += a.at(a.width == 1 ? 0 : c, l) * b.at(b.width == 1 ? 0 : c, l);
        out.at(0, l) = e.op == Op::norm ? sqrt(s) : s;
      }
      return out;
    }
    case Op::det:
    case Op::trace:
    case Op::inverse: {
      const Val<T> a = eval(*e.args[0]);
      const int n = e.args[0]->dim;
      Val<T> out(a.lanes, e.op == Op::inverse ? n * n : 1);
      for (int l = 0; l < a.lanes; ++l) {
        const MatT<T> m = lane_mat(a, n, l);
        if (e.op == Op::det) out.at(0, l) = m.determinant();
        else if (e.op == Op::trace) out.at(0, l) = m.trace();
        else {
          if (m.determinant() == 0) fail(e, "the matrix is singular");
          put_mat(out, n, l, MatT<T>(m.inverse()));
        }
      }
      return out;
    }
    case Op::transpose: {
      const Val<T> a = eval(*e.args[0]);
      if (e.type == Type::vector) return a;  // a row vector has the same numbers
      Val<T> out(a.lanes, d * d);
      for (int l = 0; l < a.lanes; ++l) put_mat(out, d, l, MatT<T>(lane_mat(a, d, l).transpose()));
      return out;
    }
    case Op::max_op:
    case Op::min_op:
      return map2(eval(*e.args[0]), eval(*e.args[1]), [&](const T& a, const T& b) { return (e.op == Op::max_op) == (a > b) ? a : b; });
    case Op::norm_cdf:
      // Phi(x) = erfc(-x / sqrt 2) / 2: full relative precision in the lower tail (Phi(-30) = 4.9e-198), and
      // Phi(+-inf) = 1, 0. Boost.Math, in double and in 50 digits.
      return map1(eval(*e.args[0]), [](const T& x) { return boost::math::erfc(-x / sqrt(T(2))) / T(2); });
    case Op::log_density: return log_density(*e.dists[0], eval(*e.args[0]));
    case Op::score: return score(*e.dists[0], eval(*e.args[0]));
    case Op::post_mean: {
      const long s = index(*e.args[0]);
      const Val<T> y = eval(*e.args[1]);
      const int dim = e.dim;
      Val<T> out(y.lanes, dim);
      std::vector<T> g(static_cast<std::size_t>(dim)), o(static_cast<std::size_t>(dim));
      const PosteriorT<T>* post;
      try {
        post = &w_.posterior(s);
      } catch (const std::out_of_range& ex) {
        fail(e, ex.what());
      }
      const T ab = w_.schedule.get("alpha_bar", s);
      for (int l = 0; l < y.lanes; ++l) {
        for (int i = 0; i < dim; ++i) g[static_cast<std::size_t>(i)] = y.at(i, l);
        post->mean(g.data(), o.data());
        for (int i = 0; i < dim; ++i) {
          const T m0 = o[static_cast<std::size_t>(i)];
          out.at(i, l) = e.text == "x0" ? m0 : (g[static_cast<std::size_t>(i)] - sqrt(ab) * m0) / sqrt(T(1) - ab);
        }
      }
      return out;
    }
    case Op::post_cov: {
      const long s = index(*e.args[0]);
      const Val<T> y = eval(*e.args[1]);
      const int dim = e.dim;
      Val<T> out(y.lanes, dim * dim);
      std::vector<T> g(static_cast<std::size_t>(dim));
      const PosteriorT<T>* post;
      try {
        post = e.text == "x0" ? &w_.posterior(s) : &w_.reverse(s);
      } catch (const std::out_of_range& ex) {
        fail(e, ex.what());
      }
      for (int l = 0; l < y.lanes; ++l) {
        for (int i = 0; i < dim; ++i) g[static_cast<std::size_t>(i)] = y.at(i, l);
        put_mat(out, dim, l, post->cov(g.data()));
      }
      return out;
    }
    case Op::sum:
    case Op::prod: {
      const long lo = index(*e.args[0]), hi = index(*e.args[1]);
      Val<T> acc = scalar_val(T(e.op == Op::sum ? 0 : 1));
      if (e.op == Op::sum && d > 1 && e.type != Type::scalar) {
        acc = Val<T>(1, e.type == Type::matrix ? d * d : d);
        for (auto& v : acc.v) v = T(0);
      }
      if (hi - lo > 10'000'000) fail(e, "a sum over more than 10^7 terms");
      for (long s = lo; s <= hi; ++s) {
        indices_[e.id] = s;
        const Val<T> term = eval(*e.args[2]);
        acc = e.op == Op::sum ? map2(acc, term, [](const T& a, const T& b) { return a + b; })
                              : map2(acc, term, [](const T& a, const T& b) { return a * b; });
      }
      indices_.erase(e.id);
      return acc;
    }
    case Op::median: {
      const long lo = index(*e.args[0]), hi = index(*e.args[1]);
      if (hi < lo) fail(e, "a median over an empty range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
      if (hi - lo > 10'000'000) fail(e, "a median over more than 10^7 terms");
      std::vector<T> v;
      for (long s = lo; s <= hi; ++s) {
        indices_[e.id] = s;
        v.push_back(eval(*e.args[2]).v[0]);
      }
      indices_.erase(e.id);
      std::sort(v.begin(), v.end());
      const std::size_t n = v.size();
      return scalar_val(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / T(2));
    }
    case Op::expect: {
      // Inside a draw, an expectation is estimated by its integrand at one sample of its bound variables (the
      // top-level ones are averaged by the engine; see checks.cpp).
      for (std::size_t i = 0; i < e.bound_ids.size(); ++i) bound_[e.bound_ids[i]] = sample(*e.dists[i], e.bound_ids[i]);
      Val<T> v = eval(*e.args[0]);
      for (int id : e.bound_ids) bound_.erase(id);
      return v;
    }
    case Op::integral: return integral(e);
    case Op::recurrence: return recurrence(e);
    case Op::derivative: {
      // Central differences, two step sizes, Richardson: error O(h^4); h relative to the point.
      const Val<T> at = eval(*e.args[1]);
      const int order = static_cast<int>(e.value);
      const T rel = std::is_same_v<T, double> ? T(1e-3) : T(1e-10);
      auto f = [&](const Val<T>& v) {
        bound_[e.id] = v;
        Val<T> r = eval(*e.args[0]);
        bound_.erase(e.id);
        return r;
      };
      auto diff = [&](const T& scale) {
        Val<T> hv(at.lanes, 1), up(at.lanes, 1), dn(at.lanes, 1);
        for (int l = 0; l < at.lanes; ++l) {
          using std::abs;
          const T h = scale * (abs(at.v[static_cast<std::size_t>(l)]) > T(1) ? abs(at.v[static_cast<std::size_t>(l)]) : T(1));
          hv.v[static_cast<std::size_t>(l)] = h;
          up.v[static_cast<std::size_t>(l)] = at.v[static_cast<std::size_t>(l)] + h;
          dn.v[static_cast<std::size_t>(l)] = at.v[static_cast<std::size_t>(l)] - h;
        }
        const Val<T> fu = f(up), fd = f(dn);
        if (order == 1) return map2(map2(fu, fd, [](const T& a, const T& b) { return a - b; }), hv, [](const T& a, const T& h) { return a / (2 * h); });
        const Val<T> f0 = f(at);
        Val<T> num = map2(map2(fu, fd, [](const T& a, const T& b) { return a + b; }), f0, [](const T& a, const T& b) { return a - 2 * b; });
        return map2(num, hv, [](const T& a, const T& h) { return a / (h * h); });
      };
      const Val<T> d1 = diff(rel), d2 = diff(rel / 2);
      return map2(d2, d1, [](const T& a, const T& b) { return (4 * a - b) / 3; });
    }
    case Op::rec_prev:
      if (prev_.empty()) fail(e, "internal: a neighbour outside a step");
      return *prev_.back();
    case Op::limit: return limit(e);
    case Op::limit_var: {
      for (auto it = levels_.rbegin(); it != levels_.rend(); ++it)
        if (it->key == e.text) return scalar_val(it->value);
      if (auto it = finest_.find(e.text); it != finest_.end()) return scalar_val(it->second);
      fail(e, "internal: the variable of a limit outside its limit");
    }
    case Op::const_term: fail(e, "internal: a constant term reached the evaluator");
    case Op::component: return component(e);
    case Op::tabulate: return tabulate(e);
  }
  fail(e, "internal: unknown operation");
}

template class Evaluator<double>;
template class Evaluator<mp50>;
template struct World<double>;
template struct World<mp50>;

}  // namespace verify::formula
