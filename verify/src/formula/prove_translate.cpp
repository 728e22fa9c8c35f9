// Typed expression -> GiNaC. The schedule is one free symbol per step it uses (alpha_bar at the lowest step, the
// betas above it, the rest through alpha_bar_s = alpha_bar_{s-1} (1 - beta_s)), so that every relation of the
// notes holds by construction and the remaining symbols are free. The model's random variables follow the
// evaluator's representation (evaluate.cpp): x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps and
// x_{t-1} from Bayes' rule, or, when W is used, the forward chain driven by the Brownian path.
#include "prove_translate.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

namespace verify::formula::proof {

using namespace GiNaC;

namespace {

const char* kAlpha = "\\alpha_t = 1 - \\beta_t";
const char* kChainAbar = "\\bar\\alpha_t = \\bar\\alpha_{t-1}\\alpha_t (\\bar\\alpha_0 = 1)";
const char* kBetaTilde = "\\tilde\\beta_t = (1 - \\bar\\alpha_{t-1})\\beta_t / (1 - \\bar\\alpha_t)";
const char* kSnr = "SNR(t) = \\bar\\alpha_t / (1 - \\bar\\alpha_t)";
const char* kBayes =
    "q(x_{t-1} | x_t, x_0) by Bayes' rule: gain \\sqrt{\\alpha_t}(1 - \\bar\\alpha_{t-1}) / (\\alpha_t(1 - \\bar\\alpha_{t-1}) + "
    "\\beta_t), variance (1 - \\bar\\alpha_{t-1})\\beta_t / (\\alpha_t(1 - \\bar\\alpha_{t-1}) + \\beta_t)";
const char* kForward = "x_t = \\sqrt{\\bar\\alpha_t} x_0 + \\sqrt{1 - \\bar\\alpha_t}\\epsilon";
const char* kChain = "x_t = \\sqrt{\\alpha_t} x_{t-1} + \\sqrt{\\beta_t}(W_t - W_{t-1}), W_0 = 0, independent increments W_s - W_r ~ N(0, (s - r) I)";
const char* kGaussLog = "\\log N(y; m, v) = -d/2 \\log(2\\pi v) - |y - m|^2 / (2v) (the density's definition)";
const char* kMoments = "E over Gaussian variables by their moments (Isserlis)";
const char* kMixture = "E over x_0 ~ p_{data} by the mixture's moments";
const char* kIntegral = "\\int p(x) e^{-a x^2 + b x + c} dx = \\sqrt{\\pi / a} e^{c + b^2/(4a)} E_{N(b/(2a), 1/(2a))}[p] (a > 0)";

std::string str(long v) { return std::to_string(v); }

ex at(const AVal& a, int i) { return a.v.size() == 1 ? a.v[0] : a.v[static_cast<std::size_t>(i)]; }

AVal scalar(const ex& v) {
  AVal a;
  a.v = {v};
  return a;
}

AVal shaped(Type t, int dim) {
  AVal a;
  a.type = t;
  a.dim = dim;
  const int n = t == Type::matrix ? dim * dim : t == Type::vector ? dim : 1;
  a.v.assign(static_cast<std::size_t>(n), ex(0));
  return a;
}

template <class F>
AVal map2(const AVal& a, const AVal& b, const Expr& e, F f) {
  AVal out;
  out.type = e.type == Type::index ? Type::scalar : e.type;
  out.dim = e.dim;
  const std::size_t n = std::max(a.v.size(), b.v.size());
  for (std::size_t i = 0; i < n; ++i) out.v.push_back(f(at(a, static_cast<int>(i)), at(b, static_cast<int>(i))));
  return out;
}

template <class F>
AVal map1(const AVal& a, F f) {
  AVal out = a;
  for (auto& x : out.v) x = f(x);
  return out;
}

matrix to_matrix(const AVal& a, int d) {
  matrix m(static_cast<unsigned>(d), static_cast<unsigned>(d));
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) m(static_cast<unsigned>(i), static_cast<unsigned>(j)) = a.v[static_cast<std::size_t>(i * d + j)];
  return m;
}

AVal from_matrix(const matrix& m, int d) {
  AVal a;
  a.type = Type::matrix;
  a.dim = d;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) a.v.push_back(m(static_cast<unsigned>(i), static_cast<unsigned>(j)));
  return a;
}

// Visits an expression and the parameters of its laws.
template <class F>
void visit(const Expr& e, F&& f) {
  visit_tree(e, f);
}

}  // namespace

Translator::Translator(const Context& ctx, const ProofPoint& p, Symbols& syms, Canon& canon, Budget& budget, std::string tag,
                       std::set<std::string> varying)
    : ctx_(ctx), p_(p), syms_(syms), canon_(canon), budget_(budget), tag_(std::move(tag)), varying_(std::move(varying)) {
  schedule_ = p.schedule ? p.schedule : ctx.schedule;
  mixture_ = p.mixture ? p.mixture : ctx.mixture;
  T_ = schedule_ ? schedule_->T() : 0;
}

// ---------- preparation

void Translator::scan(const Expr& e) {
  visit(e, [&](const Expr& x) {
    if (x.op == Op::recurrence || x.op == Op::rec_prev) throw NotAlgebraic("a sequence defined by a recurrence (a sampler)");
    if (x.op != Op::random) return;
    if (x.text == "zk") throw NotAlgebraic("the fresh noise of a sampler's steps");
    if (x.text == "z") return;
    if (x.text == "U") throw NotAlgebraic("the uniform U (used through quantiles and indicators)");
    long s;
    try {
      s = index(*x.args[0]);
    } catch (const NotAlgebraic&) {
      throw NotAlgebraic("a random variable whose step is a summation index");
    }
    if (x.text == "W") {
      chain_ = true;
      if (s > 0) w_steps_.push_back(s);
      return;
    }
    if (x.text == "x" && s != 0 && s != p_.t && s != p_.t - 1)
      throw NotAlgebraic("x_" + str(s) + " (only x_0, x_{t-1} and x_t have an algebraic representation here)");
    if (x.text == "eps" && s != p_.t) throw NotAlgebraic("\\epsilon_" + str(s) + " at a step other than t");
  });
}

void Translator::prepare(const Relation& r) {
  pinned_xt_ = !p_.xt.empty();
  pinned_x0_ = !p_.x0.empty();
  scan(*r.lhs);
  scan(*r.rhs);
  if (chain_) {
    if (pinned_xt_) throw NotAlgebraic("the forward chain with x_t pinned");
    bool uses_x = false;
    for (const ExprPtr& side : {r.lhs, r.rhs})
      visit(*side, [&](const Expr& x) { uses_x = uses_x || (x.op == Op::random && (x.text == "x" || x.text == "eps")); });
    if (uses_x && p_.t >= 1) {
      w_steps_.push_back(p_.t);
      if (p_.t > 1) w_steps_.push_back(p_.t - 1);
    }
    std::sort(w_steps_.begin(), w_steps_.end());
    w_steps_.erase(std::unique(w_steps_.begin(), w_steps_.end()), w_steps_.end());
  }
  // The oracle at x_t, and no expectation over the model: x_t becomes the free variable (see centered_).
  if (!chain_ && !pinned_xt_ && !gaussian_data()) {
    bool oracle = false, model_expectation = false;
    for (const ExprPtr& side : {r.lhs, r.rhs})
      visit(*side, [&](const Expr& x) {
        if (x.op == Op::expect && x.text == "all") model_expectation = true;
        const bool opaque_law = (x.op == Op::log_density || x.op == Op::score) && x.dists[0]->kind != Dist::Kind::gaussian;
        if (x.op == Op::post_mean || x.op == Op::post_cov || opaque_law) oracle = true;
      });
    centered_ = oracle && !model_expectation;
  }
  // First pass: which alpha_bar steps are used (the lowest becomes the free symbol).
  collect_ = true;
  value(*r.lhs);
  value(*r.rhs);
  collect_ = false;
  env_.clear();
  idx_.clear();
  low_ = -1;
  for (long s : a_steps_)
    if (s > 0 && (low_ < 0 || s < low_)) low_ = s;
  // alpha_bar at the lowest step is free unless every beta below it is used too: then it is their product.
  bool all_below = low_ > 0;
  for (long j = 1; j <= low_ && all_below; ++j) all_below = b_steps_.count(j) > 0;
  if (all_below) low_ = 0;
}

std::string Translator::signature() const {
  std::ostringstream os;
  os << chain_ << pinned_xt_ << pinned_x0_ << centered_ << "|" << (low_ < 0 ? -99999 : low_ == 0 ? -88888 : low_ - p_.t) << "|";
  for (long s : a_steps_) os << s - p_.t << ",";
  os << "|";
  for (long s : b_steps_) os << s - p_.t << ",";
  os << "|";
  for (long s : w_steps_) os << s - p_.t << ",";
  os << "|";
  for (const auto& [k, v] : p_.grid)
    if (std::all_of(v.begin(), v.end(), [](double x) { return x == std::floor(x); }))
      for (double x : v) os << k << "=" << x << ",";
  return os.str();
}

// ---------- indices and the schedule

long Translator::index(const Expr& e) {
  switch (e.op) {
    case Op::number: return static_cast<long>(e.value);
    case Op::data: {
      auto it = p_.grid.find(e.text);
      if (it == p_.grid.end() || it->second.size() != 1 || it->second[0] != std::floor(it->second[0]))
        throw NotAlgebraic("the index " + e.text);
      return static_cast<long>(it->second[0]);
    }
    case Op::index_var:
      if (e.id >= 0) {
        auto it = idx_.find(e.id);
        if (it == idx_.end()) throw NotAlgebraic("an unbound summation index");
        return it->second;
      }
      if (e.text == "t") return p_.t;
      if (e.text == "T") return T_;
      if (e.text == "d") return ctx_.dim;
      throw NotAlgebraic("the index " + e.text);
    case Op::add: return index(*e.args[0]) + index(*e.args[1]);
    case Op::sub: return index(*e.args[0]) - index(*e.args[1]);
    case Op::neg: return -index(*e.args[0]);
    case Op::mul: return index(*e.args[0]) * index(*e.args[1]);
    case Op::pow: {
      long b = index(*e.args[0]), x = index(*e.args[1]), r = 1;
      if (x < 0 || x > 64) throw NotAlgebraic("an index power");
      while (x-- > 0) r *= b;
      return r;
    }
    case Op::div: {
      const long a = index(*e.args[0]), b = index(*e.args[1]);
      if (b == 0 || a % b != 0) throw NotAlgebraic("an index that is not an integer");
      return a / b;
    }
    default: throw NotAlgebraic("an index expression");
  }
}

std::string Translator::step_name(long s) const {
  if (p_.t > 0 && std::abs(s - p_.t) <= 9) {
    if (s == p_.t) return "t";
    return "{t" + std::string(s > p_.t ? "+" : "-") + str(std::abs(s - p_.t)) + "}";
  }
  return s < 10 ? str(s) : "{" + str(s) + "}";
}

ex Translator::A(long s) {
  if (s == 0) return 1;
  if (s < 0 || s > T_) throw NotAlgebraic("\\bar\\alpha_" + str(s) + " (outside the schedule's steps 0.." + str(T_) + ")");
  if (collect_) {
    a_steps_.insert(s);
    return syms_.get("raw:abar:" + str(s), "a", Dom::unit, Role::schedule);
  }
  if (s < low_ || low_ < 0) throw NotAlgebraic("internal: alpha_bar step " + str(s) + " not scanned");
  const ex a = low_ == 0 ? ex(1) : ex(syms_.get("abar:" + str(low_), "\\bar\\alpha_" + step_name(low_), Dom::unit, Role::schedule));
  if (s == low_) return a;
  relations_.insert(kChainAbar);
  ex out = a;
  for (long j = low_ + 1; j <= s; ++j) out *= 1 - B(j);
  return out;
}

ex Translator::B(long s) {
  if (s < 1 || s > T_) throw NotAlgebraic("\\beta_" + str(s) + " (outside the schedule's steps 1.." + str(T_) + ")");
  if (collect_) {
    b_steps_.insert(s);
    return syms_.get("raw:beta:" + str(s), "b", Dom::unit, Role::schedule);
  }
  return syms_.get("beta:" + str(s), "\\beta_" + step_name(s), Dom::unit, Role::schedule);
}

ex Translator::sched(const std::string& q, long s) {
  if (!schedule_) throw NotAlgebraic("a schedule quantity without a schedule");
  if (q == "beta") return B(s);
  if (q == "alpha") {
    relations_.insert(kAlpha);
    return 1 - B(s);
  }
  if (q == "alpha_bar") return A(s);
  if (q == "snr") {
    if (s == 0) throw NotAlgebraic("SNR(0) (infinite)");
    relations_.insert(kSnr);
    return A(s) / (1 - A(s));
  }
  auto tilde = [&] {
    relations_.insert(kBetaTilde);
    return (1 - A(s - 1)) * B(s) / (1 - A(s));
  };
  if (q == "beta_tilde") return tilde();
  if (q == "gain" || q == "post_var") {
    relations_.insert(kBayes);
    relations_.insert(kAlpha);
    const ex a = 1 - B(s), denom = a * (1 - A(s - 1)) + B(s);
    return q == "gain" ? GiNaC::sqrt(a) * (1 - A(s - 1)) / denom : (1 - A(s - 1)) * B(s) / denom;
  }
  if (q == "sigma2") {
    if (ctx_.sigma2 == "beta") {
      relations_.insert("\\sigma_t^2 = \\beta_t (the case's model)");
      return B(s);
    }
    if (ctx_.sigma2 == "beta_tilde") {
      relations_.insert("\\sigma_t^2 = \\tilde\\beta_t (the case's model)");
      return tilde();
    }
    relations_.insert("\\sigma_t^2 = " + ctx_.sigma2 + " (the case's model)");
    return rational_of(ctx_.sigma2);
  }
  throw NotAlgebraic("the schedule quantity " + q);
}

ex Translator::data_symbol(const std::string& key, const std::string& name, double value) {
  const Dom dom = value > 0 ? Dom::positive : value < 0 ? Dom::negative : Dom::real;
  return syms_.get(key, name, dom, Role::data, rational_of(value));
}

// ---------- the model's random variables

AVal Translator::symbols(const std::string& key, const std::string& name, Role role, Dom dom, const std::vector<double>* values) {
  const int d = ctx_.dim;
  AVal a;
  a.type = Type::vector;
  a.dim = d;
  for (int i = 0; i < d; ++i) {
    std::optional<numeric> v;
    if (values) v = rational_of((*values)[static_cast<std::size_t>(i)]);
    const std::string nm = d == 1 ? name : name + "[" + str(i + 1) + "]";
    a.v.push_back(syms_.get(key + ":" + str(i), nm, dom, role, v));
  }
  return a;
}

AVal Translator::x0() {
  if (pinned_x0_) return symbols("x0", "x_0", Role::data, Dom::real, &p_.x0);
  return symbols("x0", "x_0", pinned_xt_ || centered_ ? Role::fixed : Role::x0, Dom::real);
}

AVal Translator::eps() {
  if (!chain_ && !pinned_xt_ && !centered_) return symbols("eps", "\\epsilon", Role::gaussian, Dom::real);
  relations_.insert(kForward);
  const AVal a = xt(), b = x0();
  const ex sa = GiNaC::sqrt(A(p_.t)), sn = GiNaC::sqrt(1 - A(p_.t));
  AVal out = a;
  for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] = (a.v[i] - sa * b.v[i]) / sn;
  return out;
}

AVal Translator::xt() {
  if (pinned_xt_) return symbols("xt", "x_t", Role::data, Dom::real, &p_.xt);
  if (centered_) {
    relations_.insert(kForward);
    return symbols("xt", "x_t", Role::fixed, Dom::real);
  }
  AVal out = x0();
  if (chain_) {
    relations_.insert(kChain);
    relations_.insert(kAlpha);
    const AVal prev = xprev(), w1 = brownian(p_.t), w0 = brownian(p_.t - 1);
    for (std::size_t i = 0; i < out.v.size(); ++i)
      out.v[i] = GiNaC::sqrt(1 - B(p_.t)) * prev.v[i] + GiNaC::sqrt(B(p_.t)) * (w1.v[i] - w0.v[i]);
    return out;
  }
  relations_.insert(kForward);
  const AVal e = eps();
  const ex sa = GiNaC::sqrt(A(p_.t)), sn = GiNaC::sqrt(1 - A(p_.t));
  for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] = sa * out.v[i] + sn * e.v[i];
  return out;
}

AVal Translator::xprev() {
  if (p_.t - 1 == 0) return x0();
  if (chain_) return symbols("xprev", "x_{t-1}", Role::fixed, Dom::real);
  // x_{t-1} ~ q(x_{t-1} | x_t, x_0): prior N(sqrt(abar_{t-1}) x_0, (1 - abar_{t-1}) I) updated by x_t.
  relations_.insert(kBayes);
  const AVal a = xt(), b = x0(), n = symbols("xi", "\\xi", Role::gaussian, Dom::real);
  const ex gain = sched("gain", p_.t), var = sched("post_var", p_.t), sabp = GiNaC::sqrt(A(p_.t - 1));
  const ex sa = GiNaC::sqrt(1 - B(p_.t));
  AVal out = b;
  for (std::size_t i = 0; i < out.v.size(); ++i) {
    const ex prior = sabp * b.v[i];
    out.v[i] = prior + gain * (a.v[i] - sa * prior) + GiNaC::sqrt(var) * n.v[i];
  }
  return out;
}

AVal Translator::z() { return symbols("z", "z", Role::gaussian, Dom::real); }

AVal Translator::brownian(long s) {
  AVal out = shaped(Type::vector, ctx_.dim);
  if (s == 0) return out;
  relations_.insert(kChain);
  long prev = 0;
  for (long r : w_steps_) {
    if (r > s) break;
    const std::string name = r - prev == 1 ? "W_{" + str(r) + "}-W_{" + str(prev) + "}"
                                           : "(W_{" + str(r) + "}-W_{" + str(prev) + "})/\\sqrt{" + str(r - prev) + "}";
    const AVal g = symbols("dW:" + str(r), name, Role::gaussian, Dom::real);
    const ex scale = GiNaC::sqrt(ex(numeric(r - prev)));
    for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] += scale * g.v[i];
    prev = r;
  }
  if (prev != s) throw NotAlgebraic("internal: W_" + str(s) + " not scanned");
  return out;
}

AVal Translator::random(const Expr& e) {
  if (e.text == "z") return z();
  if (e.text == "U") throw NotAlgebraic("the uniform U (used through quantiles and indicators)");
  const long s = index(*e.args[0]);
  if (e.text == "W") return brownian(s);
  if (e.text == "eps") return eps();
  if (e.text == "x") {
    if (s == 0) return x0();
    if (s == p_.t) return xt();
    if (s == p_.t - 1) return xprev();
  }
  throw NotAlgebraic("the random variable " + e.latex);
}

// ---------- laws and the oracle

std::string Translator::law_name(const Dist& d) const {
  if (!d.latex.empty()) return d.latex;
  switch (d.kind) {
    case Dist::Kind::data: return "p_{data}";
    case Dist::Kind::marginal: return "q(x_s)";
    case Dist::Kind::diffused: return "p_{data} * N(0, v)";
    case Dist::Kind::posterior_x0: return "q(x_0 | x_s)";
    case Dist::Kind::reverse: return "q(x_{s-1} | x_s)";
    case Dist::Kind::gaussian: return "N(m, v)";
    case Dist::Kind::categorical: return "the law of the latent z";
  }
  return "a law";
}

Translator::Law Translator::gaussian(const Dist& d) {
  Law g;
  g.dim = d.dim;
  g.mean = value(*d.mean);
  const AVal c = value(*d.cov);
  const int n = d.dim;
  g.cov.assign(static_cast<std::size_t>(n * n), ex(0));
  if (c.type == Type::matrix) {
    g.isotropic = false;
    g.cov = c.v;
  } else {
    for (int i = 0; i < n; ++i) g.cov[static_cast<std::size_t>(i * n + i)] = c.v[0];
  }
  return g;
}

ex Translator::log_gauss(const Law& g, const AVal& y) {
  relations_.insert(kGaussLog);
  const int d = g.dim;
  if (g.isotropic) {
    const ex v = g.cov[0];
    ex q = 0;
    for (int i = 0; i < d; ++i) q += GiNaC::pow(at(y, i) - at(g.mean, i), 2);
    return -numeric(d, 2) * GiNaC::log(2 * Pi * v) - q / (2 * v);
  }
  AVal cv;
  cv.v = g.cov;
  const matrix S = to_matrix(cv, d);
  const ex det = S.determinant();
  if (det.is_zero()) throw NotAlgebraic("a singular covariance");
  const matrix Si = S.inverse();
  ex q = 0;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      q += (at(y, i) - at(g.mean, i)) * Si(static_cast<unsigned>(i), static_cast<unsigned>(j)) * (at(y, j) - at(g.mean, j));
  return -numeric(d, 2) * GiNaC::log(2 * Pi) - GiNaC::log(det) / 2 - q / 2;
}

bool Translator::gaussian_data() const { return mixture_ && mixture_->size() == 1; }

namespace {
matrix identity(int d) {
  matrix m(static_cast<unsigned>(d), static_cast<unsigned>(d));
  for (int i = 0; i < d; ++i) m(static_cast<unsigned>(i), static_cast<unsigned>(i)) = 1;
  return m;
}
std::vector<ex> entries(const matrix& m) {
  std::vector<ex> v;
  for (unsigned i = 0; i < m.rows(); ++i)
    for (unsigned j = 0; j < m.cols(); ++j) v.push_back(m(i, j));
  return v;
}
}  // namespace

// Gaussian data x_0 ~ N(m, S) observed as y = sqrt(a) x_0 + sqrt(1 - a) e: x_0 | y ~ N(C (S^-1 m + sqrt(a)/(1-a) y), C)
// with C = (S^-1 + a/(1-a) I)^-1.
Translator::Law Translator::posterior_x0(long s, const AVal& y) {
  const auto& c = mixture_->components()[0];
  const int d = mixture_->dim();
  matrix S(static_cast<unsigned>(d), static_cast<unsigned>(d)), m(static_cast<unsigned>(d), 1);
  for (int i = 0; i < d; ++i) {
    m(static_cast<unsigned>(i), 0) = rational_of(c.mean()[i]);
    for (int j = 0; j < d; ++j) S(static_cast<unsigned>(i), static_cast<unsigned>(j)) = rational_of(c.cov()(i, j));
  }
  const ex a = A(s);
  const matrix Si = S.inverse();
  const matrix C = Si.add(identity(d).mul_scalar(a / (1 - a))).inverse();
  matrix yv(static_cast<unsigned>(d), 1);
  for (int i = 0; i < d; ++i) yv(static_cast<unsigned>(i), 0) = at(y, i);
  const matrix mean = C.mul(Si.mul(m).add(yv.mul_scalar(GiNaC::sqrt(a) / (1 - a))));
  Law g;
  g.dim = d;
  g.isotropic = false;
  g.mean.type = Type::vector;
  g.mean.dim = d;
  for (int i = 0; i < d; ++i) g.mean.v.push_back(mean(static_cast<unsigned>(i), 0));
  g.cov = entries(C);
  return g;
}

std::optional<Translator::Law> Translator::exact_law(const Dist& dist) {
  if (dist.kind == Dist::Kind::gaussian) return gaussian(dist);
  if (!gaussian_data()) return std::nullopt;
  relations_.insert("the data law is one Gaussian: the model's laws are Gaussian, by Bayes' rule for Gaussians");
  const auto& c = mixture_->components()[0];
  const int d = mixture_->dim();
  matrix S(static_cast<unsigned>(d), static_cast<unsigned>(d)), m(static_cast<unsigned>(d), 1);
  for (int i = 0; i < d; ++i) {
    m(static_cast<unsigned>(i), 0) = rational_of(c.mean()[i]);
    for (int j = 0; j < d; ++j) S(static_cast<unsigned>(i), static_cast<unsigned>(j)) = rational_of(c.cov()(i, j));
  }
  // The law of sqrt(a) x_0 + N(0, r I).
  auto scaled = [&](const ex& sa, const ex& r) {
    Law g;
    g.dim = d;
    g.isotropic = false;
    g.mean.type = Type::vector;
    g.mean.dim = d;
    for (int i = 0; i < d; ++i) g.mean.v.push_back(sa * m(static_cast<unsigned>(i), 0));
    g.cov = entries(S.mul_scalar(sa * sa).add(identity(d).mul_scalar(r)));
    return g;
  };
  switch (dist.kind) {
    case Dist::Kind::data: return scaled(1, 0);
    case Dist::Kind::marginal: {
      const ex a = A(index(*dist.step));
      relations_.insert(kForward);
      return scaled(GiNaC::sqrt(a), 1 - a);
    }
    case Dist::Kind::diffused: {
      const ex a = value(*dist.mean).v[0], r = value(*dist.cov).v[0];
      return scaled(a, r);
    }
    case Dist::Kind::posterior_x0: return posterior_x0(index(*dist.step), value(*dist.given));
    case Dist::Kind::reverse: {
      // x_{s-1} ~ N(sqrt(abar_{s-1}) m, abar_{s-1} S + (1 - abar_{s-1}) I), observed as x_s = sqrt(alpha_s) x_{s-1} + sqrt(beta_s) n.
      const long s = index(*dist.step);
      const AVal y = value(*dist.given);
      relations_.insert(kAlpha);
      const ex ap = A(s - 1), al = 1 - B(s), be = B(s);
      const Law prior = scaled(GiNaC::sqrt(ap), 1 - ap);
      AVal pc;
      pc.v = prior.cov;
      const matrix Pi_ = to_matrix(pc, d).inverse();
      const matrix C = Pi_.add(identity(d).mul_scalar(al / be)).inverse();
      matrix mp(static_cast<unsigned>(d), 1), yv(static_cast<unsigned>(d), 1);
      for (int i = 0; i < d; ++i) {
        mp(static_cast<unsigned>(i), 0) = prior.mean.v[static_cast<std::size_t>(i)];
        yv(static_cast<unsigned>(i), 0) = at(y, i);
      }
      const matrix mean = C.mul(Pi_.mul(mp).add(yv.mul_scalar(GiNaC::sqrt(al) / be)));
      Law g;
      g.dim = d;
      g.isotropic = false;
      g.mean.type = Type::vector;
      g.mean.dim = d;
      for (int i = 0; i < d; ++i) g.mean.v.push_back(mean(static_cast<unsigned>(i), 0));
      g.cov = entries(C);
      return g;
    }
    case Dist::Kind::gaussian:
    case Dist::Kind::categorical: break;
  }
  return std::nullopt;
}

AVal Translator::opaque(const Expr& e, Type type, int dim, const std::vector<AVal>& deps, const std::string& name) {
  AVal out = shaped(type, dim);
  ex dep_list = lst{};
  lst l;
  for (const auto& d : deps)
    for (const auto& x : d.v)
      for (auto it = x.preorder_begin(); it != x.preorder_end(); ++it)
        if (is_a<symbol>(*it)) l.append(*it);
  dep_list = l;
  const std::string key = "opaque:" + canonical(e) + "|" + str(p_.t);
  for (std::size_t i = 0; i < out.v.size(); ++i) {
    const std::string nm = out.v.size() == 1 ? name : name + "[" + str(static_cast<long>(i) + 1) + "]";
    const symbol s = syms_.get(key + "#" + str(static_cast<long>(i)), nm, Dom::real, Role::opaque);
    out.v[i] = s;
    opaque_deps_[s] = dep_list;
  }
  return out;
}

// ---------- values

AVal Translator::value(const Expr& e) {
  budget_.tick();
  const int d = e.dim;
  switch (e.op) {
    case Op::number:
      if (e.type == Type::index) return scalar(numeric(static_cast<long>(e.value)));
      return scalar(e.text.empty() ? rational_of(e.value) : rational_of(e.text));
    case Op::pi: return scalar(Pi);
    case Op::data: {
      AVal out;
      out.type = e.type == Type::index ? Type::scalar : e.type;
      out.dim = d;
      if (e.type == Type::index) return scalar(numeric(index(e)));
      const bool grid = e.text.rfind("grid:", 0) == 0;
      const std::vector<double>* vals = &e.data;
      if (grid) {
        auto it = p_.grid.find(e.text);
        if (it == p_.grid.end()) throw NotAlgebraic("internal: grid value " + e.text);
        vals = &it->second;
      }
      // Integer grid values are counts and steps (W_{t+k}, = k): numbers, not free symbols.
      const bool integers = grid && std::all_of(vals->begin(), vals->end(), [](double x) { return x == std::floor(x); });
      if (e.text.empty() || e.text == "0" || e.type == Type::matrix || integers) {
        for (double x : *vals) out.v.push_back(rational_of(x));
        return out;
      }
      std::string name = grid ? e.text.substr(5) : e.text;
      if (!grid)
        if (auto it = ctx_.defines.find(e.text); it != ctx_.defines.end()) {
          if (const auto h = name.find("{#}"); h != std::string::npos) name.replace(h, 3, it->second.generic_index.empty() ? "t" : it->second.generic_index);
          if (it->second.squared) name += "^2";
        }
      const std::string key = "data:" + e.text + (varying_.count(e.text) ? "@" + tag_ : "");
      const std::string shown = varying_.count(e.text) ? name + " (" + tag_ + ")" : name;
      for (std::size_t i = 0; i < vals->size(); ++i)
        out.v.push_back(data_symbol(key + "#" + str(static_cast<long>(i)), vals->size() == 1 ? shown : shown + "[" + str(static_cast<long>(i) + 1) + "]",
                                    (*vals)[i]));
      return out;
    }
    case Op::index_var: return scalar(numeric(index(e)));
    case Op::schedule: return scalar(sched(e.text, index(*e.args[0])));
    case Op::random: return random(e);
    case Op::bound: {
      auto it = env_.find(e.id);
      if (it == env_.end()) throw NotAlgebraic("internal: unbound variable");
      return it->second;
    }
    case Op::identity: {
      AVal out = shaped(Type::matrix, d);
      for (int i = 0; i < d; ++i) out.v[static_cast<std::size_t>(i * d + i)] = 1;
      return out;
    }
    case Op::add:
      if (e.type == Type::index) return scalar(numeric(index(e)));
      return map2(value(*e.args[0]), value(*e.args[1]), e, [](const ex& a, const ex& b) { return a + b; });
    case Op::sub:
      if (e.type == Type::index) return scalar(numeric(index(e)));
      return map2(value(*e.args[0]), value(*e.args[1]), e, [](const ex& a, const ex& b) { return a - b; });
    case Op::neg:
      if (e.type == Type::index) return scalar(numeric(index(e)));
      return map1(value(*e.args[0]), [](const ex& a) { return -a; });
    case Op::mul: {
      if (e.type == Type::index) return scalar(numeric(index(e)));
      const Expr& A0 = *e.args[0];
      const Expr& B0 = *e.args[1];
      const AVal a = value(A0), b = value(B0);
      if (A0.type == Type::scalar || B0.type == Type::scalar || A0.type == Type::index || B0.type == Type::index || a.v.size() == 1 ||
          b.v.size() == 1)
        return map2(a, b, e, [](const ex& x, const ex& y) { return x * y; });
      if (A0.type == Type::matrix && B0.type == Type::vector) {
        AVal out = shaped(Type::vector, d);
        for (int i = 0; i < d; ++i)
          for (int j = 0; j < d; ++j) out.v[static_cast<std::size_t>(i)] += a.v[static_cast<std::size_t>(i * d + j)] * b.v[static_cast<std::size_t>(j)];
        return out;
      }
      if (A0.type == Type::vector && B0.type == Type::matrix) {
        AVal out = shaped(Type::vector, d);
        for (int j = 0; j < d; ++j)
          for (int i = 0; i < d; ++i) out.v[static_cast<std::size_t>(j)] += a.v[static_cast<std::size_t>(i)] * b.v[static_cast<std::size_t>(i * d + j)];
        return out;
      }
      return from_matrix(to_matrix(a, d).mul(to_matrix(b, d)), d);
    }
    case Op::div: {
      if (e.type == Type::index) return scalar(numeric(index(e)));
      return map2(value(*e.args[0]), value(*e.args[1]), e, [](const ex& x, const ex& y) {
        if (y.is_zero()) throw DomainError("division by zero");
        return x / y;
      });
    }
    case Op::pow: {
      if (e.type == Type::index) return scalar(numeric(index(e)));
      return map2(value(*e.args[0]), value(*e.args[1]), e, [](const ex& x, const ex& y) { return GiNaC::pow(x, y); });
    }
    case Op::log: return map1(value(*e.args[0]), [](const ex& x) { return GiNaC::log(x); });
    case Op::exp: return map1(value(*e.args[0]), [](const ex& x) { return GiNaC::exp(x); });
    case Op::sqrt: return map1(value(*e.args[0]), [](const ex& x) { return GiNaC::sqrt(x); });
    case Op::abs: return map1(value(*e.args[0]), [](const ex& x) { return GiNaC::abs(x); });
    case Op::cos: return map1(value(*e.args[0]), [](const ex& x) { return GiNaC::cos(x); });
    case Op::norm:
    case Op::dot: {
      const AVal a = value(*e.args[0]);
      const AVal b = e.op == Op::dot ? value(*e.args[1]) : a;
      const std::size_t n = std::max(a.v.size(), b.v.size());
      ex s = 0;
      for (std::size_t i = 0; i < n; ++i) s += at(a, static_cast<int>(i)) * at(b, static_cast<int>(i));
      return scalar(e.op == Op::norm ? GiNaC::sqrt(s) : s);
    }
    case Op::det:
    case Op::trace:
    case Op::inverse: {
      const AVal a = value(*e.args[0]);
      const int n = e.args[0]->dim;
      const matrix m = to_matrix(a, n);
      if (e.op == Op::det) return scalar(m.determinant());
      if (e.op == Op::trace) return scalar(m.trace());
      if (m.determinant().is_zero()) throw DomainError("a singular matrix");
      return from_matrix(m.inverse(), n);
    }
    case Op::transpose: {
      const AVal a = value(*e.args[0]);
      if (e.type == Type::vector) return a;
      return from_matrix(to_matrix(a, d).transpose(), d);
    }
    case Op::max_op:
    case Op::min_op: throw NotAlgebraic("max / min");
    case Op::norm_cdf: throw NotAlgebraic("the normal CDF \\Phi");
    case Op::quantile: throw NotAlgebraic("a quantile function F^{-1}");
    case Op::indicator: throw NotAlgebraic("an indicator 1[...]");
    case Op::log_density: {
      const Dist& dist = *e.dists[0];
      if (auto g = exact_law(dist)) return scalar(log_gauss(*g, value(*e.args[0])));
      return opaque(e, Type::scalar, 1, {value(*e.args[0])}, "\\log " + law_name(dist));
    }
    case Op::score: {
      const Dist& dist = *e.dists[0];
      const AVal y = value(*e.args[0]);
      if (auto law = exact_law(dist)) {
        relations_.insert(kGaussLog);
        const Law g = *law;
        AVal out = shaped(Type::vector, dist.dim);
        if (g.isotropic) {
          for (int i = 0; i < dist.dim; ++i) out.v[static_cast<std::size_t>(i)] = -(at(y, i) - at(g.mean, i)) / g.cov[0];
          return out;
        }
        AVal cv;
        cv.v = g.cov;
        const matrix Si = to_matrix(cv, dist.dim).inverse();
        for (int i = 0; i < dist.dim; ++i)
          for (int j = 0; j < dist.dim; ++j)
            out.v[static_cast<std::size_t>(i)] -= Si(static_cast<unsigned>(i), static_cast<unsigned>(j)) * (at(y, j) - at(g.mean, j));
        return out;
      }
      return opaque(e, Type::vector, dist.dim, {y}, "\\nabla\\log " + law_name(dist));
    }
    case Op::post_mean:
    case Op::post_cov: {
      const AVal y = value(*e.args[1]);
      const long s = index(*e.args[0]);
      if (gaussian_data()) {
        relations_.insert("the data law is one Gaussian: the model's laws are Gaussian, by Bayes' rule for Gaussians");
        if (e.text == "xprev") {
          Dist rd;
          rd.kind = Dist::Kind::reverse;
          rd.step = e.args[0];
          rd.given = e.args[1];
          rd.dim = d;
          const Law g = *exact_law(rd);
          AVal out = shaped(e.type, d);
          for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] = g.cov[i];
          return out;
        }
        const Law g = posterior_x0(s, y);
        AVal out = shaped(e.type, d);
        if (e.op == Op::post_cov) {
          for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] = g.cov[i];
          return out;
        }
        for (int i = 0; i < d; ++i) {
          const ex x0 = g.mean.v[static_cast<std::size_t>(i)];
          out.v[static_cast<std::size_t>(i)] = e.text == "eps" ? (at(y, i) - GiNaC::sqrt(A(s)) * x0) / GiNaC::sqrt(1 - A(s)) : x0;
        }
        return out;
      }
      const std::string what = e.op == Op::post_mean ? (e.text == "eps" ? "E[\\epsilon_" + step_name(s) + " | x_" + step_name(s) + "]"
                                                                          : "E[x_0 | x_" + step_name(s) + "]")
                                                     : "Cov[" + std::string(e.text == "x0" ? "x_0" : "x_{s-1}") + " | x_" + step_name(s) + "]";
      return opaque(e, e.type, d, {y}, what + " (the mixture's)");
    }
    case Op::sum:
    case Op::prod: return big_op(e);
    case Op::median: throw NotAlgebraic("a median (an order statistic)");
    case Op::expect: return expect(e);
    case Op::integral: return integral(e);
    case Op::derivative: return derivative(e);
    case Op::const_term: throw NotAlgebraic("'+ const'");
    case Op::recurrence:
    case Op::rec_prev: throw NotAlgebraic("a sequence defined by a recurrence (a sampler)");
    case Op::limit:
    case Op::limit_var: throw NotAlgebraic("a limit (extrapolated numerically, not taken symbolically)");
    case Op::component:
    case Op::tabulate: throw NotAlgebraic("the discrete latent z (the mixture's components)");
  }
  throw NotAlgebraic("an operation");
}

AVal Translator::big_op(const Expr& e) {
  const long lo = index(*e.args[0]), hi = index(*e.args[1]);
  if (hi - lo + 1 > 64) throw NotAlgebraic("a " + std::string(e.op == Op::sum ? "sum" : "product") + " of " + str(hi - lo + 1) + " terms (at most 64 are expanded)");
  AVal acc = shaped(e.type == Type::index ? Type::scalar : e.type, e.dim);
  if (e.op == Op::prod) acc.v[0] = 1;
  for (long k = lo; k <= hi; ++k) {
    idx_[e.id] = k;
    const AVal v = value(*e.args[2]);
    if (e.op == Op::sum) {
      if (acc.v.size() < v.v.size()) acc.v.resize(v.v.size(), ex(0));
      for (std::size_t i = 0; i < acc.v.size(); ++i) acc.v[i] += at(v, static_cast<int>(i));
    } else {
      acc.v[0] *= v.v[0];
    }
  }
  idx_.erase(e.id);
  return acc;
}

// d^n/dv^n of the body at v = args[1], exactly (GiNaC differentiates sqrt, log, exp).
AVal Translator::derivative(const Expr& e) {
  const symbol v = syms_.get("bound:" + str(counter_++), "v", Dom::real, Role::bound);
  env_[e.id] = scalar(v);
  const AVal body = value(*e.args[0]);
  env_.erase(e.id);
  const AVal at = value(*e.args[1]);
  for (const auto& [s, deps] : opaque_deps_)
    if (body.v[0].has(s) && deps.has(v)) throw NotAlgebraic("a derivative of an exact-oracle quantity (no closed form)");
  const int n = static_cast<int>(e.value);
  return scalar(GiNaC::diff(body.v[0], v, static_cast<unsigned>(n)).subs(v == at.v[0]));
}

// ---------- expectations and integrals

bool Translator::depends(const ex& e, const std::vector<symbol>& ys) const {
  for (const auto& y : ys)
    if (canon_.depends_on(e, y)) return true;
  for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it)
    if (auto o = opaque_deps_.find(*it); o != opaque_deps_.end())
      for (const auto& y : ys)
        if (canon_.depends_on(o->second, y)) return true;
  return false;
}

// E over y ~ N(mean, cov) of the canonical b: y = mean + w; terms with one exponential of an affine function of w
// by the Cameron-Martin shift E[p(w) e^{a.w}] = e^{a'Sa/2} E[p(w + S a)], the rest by moments.
ex Translator::integrate_gaussian(const ex& b, const std::vector<symbol>& ys, const std::vector<ex>& mean, const std::vector<ex>& cov) {
  const std::size_t n = ys.size();
  std::vector<symbol> w;
  exmap shift;
  for (std::size_t i = 0; i < n; ++i) {
    w.push_back(syms_.get("w:" + str(counter_++), "w", Dom::real, Role::bound));
    shift[ys[i]] = mean[i] + w[i];
  }
  const ex x = canon_.merge_exp(b);
  ex poly = 0, out = 0;
  auto term = [&](const ex& t) {
    budget_.tick();
    ex e_atom, rest = 1;
    auto part = [&](const ex& f) {
      const Atom* a = canon_.atom(f);
      if (a && a->kind == Atom::Kind::exp && depends(f, ys)) e_atom = f;
      else rest *= f;
    };
    if (is_a<mul>(t))
      for (std::size_t i = 0; i < t.nops(); ++i) part(t.op(i));
    else
      part(t);
    // Non-polynomial dependence on y (through a root, a log, or an oracle quantity) has no moments here.
    for (auto it = rest.preorder_begin(); it != rest.preorder_end(); ++it)
      if (is_a<symbol>(*it) && (canon_.atom(*it) || opaque_deps_.count(*it)) && depends(*it, ys))
        throw NotAlgebraic("an expectation of a function that is not a polynomial in its Gaussian variables (a root, a "
                           "logarithm or an exact-oracle quantity of them)");
    if (e_atom.is_zero()) {
      poly += rest.subs(shift);
      return;
    }
    const ex R = expand(canon_.atom(e_atom)->arg.subs(shift));
    ex lin = 0;
    std::vector<ex> a(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (R.degree(w[i]) > 1) throw NotAlgebraic("an expectation of the exponential of a non-affine function of Gaussian variables");
      a[i] = R.coeff(w[i], 1);
      lin += a[i] * w[i];
    }
    const ex r0 = expand(R - lin);
    if (depends(r0, w)) throw NotAlgebraic("an expectation of the exponential of a non-affine function of Gaussian variables");
    ex quad = 0;
    exmap cm;
    for (std::size_t i = 0; i < n; ++i) {
      ex sa = 0;
      for (std::size_t j = 0; j < n; ++j) sa += cov[i * n + j] * a[j];
      quad += a[i] * sa;
      cm[w[i]] = w[i] + sa;
    }
    out += canon_.exp_of(canon_(r0 + quad / 2)) * gaussian_moments(expand(rest.subs(shift).subs(cm)), w, cov, budget_);
  };
  if (is_a<add>(x))
    for (std::size_t i = 0; i < x.nops(); ++i) term(x.op(i));
  else
    term(x);
  relations_.insert(kMoments);
  return out + gaussian_moments(expand(poly), w, cov, budget_);
}

ex Translator::integrate_mixture(const ex& b, const std::vector<symbol>& ys) {
  if (!mixture_) throw NotAlgebraic("an expectation over the data without a mixture");
  const GaussianMixture& m = *mixture_;
  if (static_cast<std::size_t>(m.dim()) != ys.size()) throw NotAlgebraic("internal: mixture dimension");
  relations_.insert(kMixture);
  ex out = 0;
  const int d = m.dim();
  for (std::size_t k = 0; k < m.size(); ++k) {
    const auto& c = m.components()[k];
    std::vector<ex> mean, cov;
    for (int i = 0; i < d; ++i) mean.push_back(rational_of(c.mean()[i]));
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j) cov.push_back(rational_of(c.cov()(i, j)));
    out += rational_of(m.weights()[k]) * integrate_gaussian(b, ys, mean, cov);
  }
  return out;
}

ex Translator::integrate_model(const ex& b) {
  // The model's random variables in b (directly or through atoms and oracle quantities): standard normals first,
  // then x_0 from the mixture; they are independent.
  std::vector<symbol> gs, xs;
  for (const Sym& s : syms_.all()) {
    if (s.role != Role::gaussian && s.role != Role::x0 && s.role != Role::fixed) continue;
    if (!depends(b, {s.s})) continue;
    if (s.role == Role::fixed)
      throw NotAlgebraic(s.name == "x_0" ? "an expectation over x_0 given the pinned x_t (the mixture's posterior)"
                                         : "an expectation over " + s.name + " of the forward chain (no closed-form law here)");
    (s.role == Role::gaussian ? gs : xs).push_back(s.s);
  }
  ex out = b;
  if (!gs.empty()) {
    std::vector<ex> zero(gs.size(), ex(0)), eye(gs.size() * gs.size(), ex(0));
    for (std::size_t i = 0; i < gs.size(); ++i) eye[i * gs.size() + i] = 1;
    out = integrate_gaussian(out, gs, zero, eye);
  }
  if (!xs.empty()) {
    if (static_cast<int>(xs.size()) != ctx_.dim) {
      // Some components of x_0 do not appear: integrate all of them anyway.
      xs = {};
      for (int i = 0; i < ctx_.dim; ++i) xs.push_back(ex_to<symbol>(x0().v[static_cast<std::size_t>(i)]));
    }
    out = integrate_mixture(out, xs);
  }
  return out;
}

AVal Translator::expect(const Expr& e) {
  struct Var {
    std::vector<symbol> ys;
    const Dist* law;
    std::vector<ex> mean, cov;
  };
  std::vector<Var> vars;
  for (std::size_t i = 0; i < e.bound_ids.size(); ++i) {
    const Dist& dist = *e.dists[i];
    Var v;
    v.law = &dist;
    const bool mixture_law = dist.kind == Dist::Kind::data && !gaussian_data();
    if (!mixture_law) {
      const auto g = exact_law(dist);
      if (!g) throw NotAlgebraic("an expectation over " + law_name(dist) + " (no closed form)");
      for (int c = 0; c < dist.dim; ++c) v.mean.push_back(collect_ ? ex(0) : canon_(at(g->mean, c)));
      for (const auto& c : g->cov) v.cov.push_back(collect_ ? ex(0) : canon_(c));
    }
    AVal y;
    y.type = Type::vector;
    y.dim = dist.dim;
    for (int c = 0; c < dist.dim; ++c) {
      v.ys.push_back(syms_.get("bound:" + str(counter_++), "y", Dom::real, Role::bound));
      y.v.push_back(v.ys.back());
    }
    env_[e.bound_ids[i]] = y;
    vars.push_back(v);
  }
  const AVal body = value(*e.args[0]);
  for (int id : e.bound_ids) env_.erase(id);
  AVal out = body;
  if (collect_) {
    // A stand-in (not 0: the first pass must not divide by it or take its log).
    for (auto& x : out.v) x = syms_.get("raw:expect", "e", Dom::positive, Role::bound);
    return out;
  }
  for (auto& x : out.v) {
    ex b = canon_(x);
    for (auto it = vars.rbegin(); it != vars.rend(); ++it)
      b = !it->mean.empty() ? integrate_gaussian(b, it->ys, it->mean, it->cov) : integrate_mixture(b, it->ys);
    if (e.text == "all") b = integrate_model(b);
    x = b;
  }
  return out;
}

AVal Translator::integral(const Expr& e) {
  const symbol x = syms_.get("bound:" + str(counter_++), "x", Dom::real, Role::bound);
  env_[e.id] = scalar(x);
  const AVal body = value(*e.args[0]);
  env_.erase(e.id);
  ex lo, hi;
  const bool finite = e.args.size() == 3;
  if (finite) {
    lo = value(*e.args[1]).v[0];
    hi = value(*e.args[2]).v[0];
  }
  if (collect_) return scalar(syms_.get("raw:integral", "i", Dom::positive, Role::bound));
  const ex b = canon_.merge_exp(canon_(body.v[0]));
  ex out = 0, poly = 0;
  const std::vector<symbol> xs{x};
  auto term = [&](const ex& t) {
    budget_.tick();
    ex e_atom, rest = 1;
    auto part = [&](const ex& f) {
      const Atom* a = canon_.atom(f);
      if (a && a->kind == Atom::Kind::exp && depends(f, xs)) e_atom = f;
      else rest *= f;
    };
    if (is_a<mul>(t))
      for (std::size_t i = 0; i < t.nops(); ++i) part(t.op(i));
    else
      part(t);
    for (auto it = rest.preorder_begin(); it != rest.preorder_end(); ++it)
      if (is_a<symbol>(*it) && (canon_.atom(*it) || opaque_deps_.count(*it)) && depends(*it, xs))
        throw NotAlgebraic("an integrand that is not a polynomial times a Gaussian factor");
    if (e_atom.is_zero()) {
      poly += rest;
      return;
    }
    if (finite) throw NotAlgebraic("an integral of a Gaussian factor over a finite range");
    const ex R = expand(canon_.atom(e_atom)->arg);
    if (R.degree(x) != 2) throw NotAlgebraic("an integrand whose exponential is not quadratic in the variable");
    const ex a = canon_(-R.coeff(x, 2)), b1 = R.coeff(x, 1), c0 = R.coeff(x, 0);
    const ex nd = numer_denom(normal(a));
    if (!canon_.nonneg(nd.op(0)) || !canon_.nonneg(nd.op(1)) || nd.op(0).is_zero())
      throw NotAlgebraic("a Gaussian integral whose convergence (a > 0) could not be shown");
    relations_.insert(kIntegral);
    const symbol w = syms_.get("w:" + str(counter_++), "w", Dom::real, Role::bound);
    const ex mu = b1 / (2 * a), var = 1 / (2 * a);
    const ex pi = canon_(Pi);
    out += canon_.sqrt_of(pi / a) * canon_.exp_of(canon_(c0 + b1 * b1 / (4 * a))) *
           gaussian_moments(expand(rest.subs(x == mu + w)), {w}, {canon_(var)}, budget_);
  };
  if (is_a<add>(b))
    for (std::size_t i = 0; i < b.nops(); ++i) term(b.op(i));
  else
    term(b);
  if (!expand(poly).is_zero()) {
    if (!finite) throw NotAlgebraic("an integral over the real line of a function without a Gaussian factor");
    const ex p = expand(poly);
    if (!p.is_polynomial(x)) throw NotAlgebraic("an integrand that is not a polynomial");
    const ex l = canon_(lo), h = canon_(hi);
    for (int k = p.ldegree(x); k <= p.degree(x); ++k) {
      const ex c = p.coeff(x, k);
      out += c * (GiNaC::pow(h, k + 1) - GiNaC::pow(l, k + 1)) / (k + 1);
    }
  }
  return scalar(out);
}

}  // namespace verify::formula::proof
