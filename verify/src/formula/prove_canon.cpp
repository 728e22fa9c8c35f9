// The canonical form of prove_algebra.hpp. Why atoms: GiNaC's normal() decides rational functions, but it keeps
// sqrt(8) and 2 sqrt(2), or sqrt(a b) and sqrt(a) sqrt(b), apart, and does not know that log(a b) = log a + log b
// for positive a, b. Rewriting every square root as a product of square roots of irreducible factors (each a new
// symbol r with r^2 = f), every logarithm as a sum of logarithms of irreducible factors and of primes, and every
// exponential of a sum as one exponential, leaves normal() an expression in independent symbols, which it decides.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <functional>
#include <optional>
#include <sstream>

#include "prove_algebra.hpp"

namespace verify::formula::proof {

using namespace GiNaC;

std::string stable_text(const ex& e) {
  auto plain = [](const ex& x) {
    std::ostringstream os;
    os << x;
    return os.str();
  };
  auto key = [](const std::string& t) { return t.empty() || t[0] != '-' ? t : t.substr(1); };
  if (is_a<add>(e)) {
    std::vector<std::string> terms;
    for (std::size_t i = 0; i < e.nops(); ++i) terms.push_back(stable_text(e.op(i)));
    std::stable_sort(terms.begin(), terms.end(), [&](const std::string& a, const std::string& b) {
      return key(a) != key(b) ? key(a) < key(b) : a < b;
    });
    std::string out;
    for (const auto& t : terms) out += out.empty() || t[0] == '-' ? t : "+" + t;
    return out;
  }
  if (is_a<mul>(e)) {
    numeric coef = 1;
    std::vector<std::string> factors;
    for (std::size_t i = 0; i < e.nops(); ++i) {
      if (is_a<numeric>(e.op(i))) {
        coef *= ex_to<numeric>(e.op(i));
        continue;
      }
      std::string f = stable_text(e.op(i));
      if (is_a<add>(e.op(i))) f = "(" + f + ")";
      factors.push_back(f);
    }
    std::sort(factors.begin(), factors.end());
    std::string body;
    for (const auto& f : factors) body += (body.empty() ? "" : "*") + f;
    if (body.empty()) return plain(coef);
    if (coef == 1) return body;
    if (coef == -1) return "-" + body;
    return plain(coef) + "*" + body;
  }
  if (is_a<power>(e)) {
    const ex b = e.op(0), x = e.op(1);
    // Powers of atoms print as GiNaC prints them (sqrt(2), x^(-1)): their text does not depend on hashes.
    if (!is_a<add>(b) && !is_a<mul>(b) && !is_a<add>(x) && !is_a<mul>(x)) return plain(e);
    std::string bs = stable_text(b), xs = stable_text(x);
    const bool simple_base = is_a<symbol>(b) || is_a<function>(b) || (is_a<numeric>(b) && ex_to<numeric>(b).is_nonneg_integer());
    if (!simple_base) bs = "(" + bs + ")";
    if (!(is_a<numeric>(x) && ex_to<numeric>(x).is_nonneg_integer()) && !is_a<symbol>(x)) xs = "(" + xs + ")";
    return bs + "^" + xs;
  }
  if (is_a<function>(e)) {
    std::string out = ex_to<function>(e).get_name() + "(";
    for (std::size_t i = 0; i < e.nops(); ++i) out += (i ? "," : "") + stable_text(e.op(i));
    return out + ")";
  }
  return plain(e);
}

namespace {
std::string ex_to_string(const ex& e) { return stable_text(e); }
}  // namespace

// ---------- symbols

symbol Symbols::get(const std::string& key, const std::string& name, Dom dom, Role role, std::optional<numeric> value) {
  if (auto it = by_key_.find(key); it != by_key_.end()) return syms_[it->second].s;
  std::string ascii;
  for (char c : name)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') ascii += c;
  if (ascii.empty()) ascii = "s";
  Sym s;
  s.s = symbol(ascii + "_" + std::to_string(syms_.size()));
  s.name = name;
  s.dom = dom;
  s.role = role;
  s.value = value;
  by_key_[key] = syms_.size();
  by_sym_[s.s] = syms_.size();
  syms_.push_back(s);
  return syms_.back().s;
}

const Sym* Symbols::find(const ex& s) const {
  auto it = by_sym_.find(s);
  return it == by_sym_.end() ? nullptr : &syms_[it->second];
}

Sym* Symbols::mutable_find(const ex& s) {
  auto it = by_sym_.find(s);
  return it == by_sym_.end() ? nullptr : &syms_[it->second];
}

long Symbols::index_of(const ex& s) const {
  auto it = by_sym_.find(s);
  return it == by_sym_.end() ? -1 : static_cast<long>(it->second);
}

const Sym* Symbols::find_key(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &syms_[it->second];
}

// ---------- exact numbers

numeric rational_of(const std::string& text) {
  std::size_t i = 0;
  bool neg = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
  std::string digits;
  long exp10 = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      if (dot) --exp10;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if (c == 'e' || c == 'E') {
      long e = 0;
      std::size_t j = i + 1;
      if (j < text.size() && text[j] == '+') ++j;
      const auto r = std::from_chars(text.data() + j, text.data() + text.size(), e);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) throw NotAlgebraic("the number '" + text + "'");
      exp10 += e;
      break;
    } else {
      throw NotAlgebraic("the number '" + text + "'");
    }
  }
  if (digits.empty() || exp10 > 400 || exp10 < -400) throw NotAlgebraic("the number '" + text + "'");
  while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
  numeric n(digits.c_str());
  const numeric scale = GiNaC::pow(numeric(10), numeric(exp10 < 0 ? -exp10 : exp10));
  n = exp10 < 0 ? n / scale : n * scale;
  return neg ? -n : n;
}

numeric rational_of(double v) {
  if (!std::isfinite(v)) throw NotAlgebraic("a number that is not finite");
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return rational_of(std::string(buf, r.ptr));
}

std::vector<std::pair<numeric, int>> factor_integer(const numeric& n0) {
  std::vector<std::pair<numeric, int>> out;
  numeric n = GiNaC::abs(n0);
  if (!n.is_integer() || n.is_zero()) return out;
  auto push = [&](const numeric& p, int e) {
    if (e > 0) out.push_back({p, e});
  };
  if (n < numeric(LONG_MAX)) {
    long m = n.to_long();
    for (long p = 2; p <= 1000000 && p * p <= m; p += (p == 2 ? 1 : 2)) {
      int e = 0;
      while (m % p == 0) m /= p, ++e;
      push(numeric(p), e);
    }
    if (m > 1) push(numeric(m), 1);
    return out;
  }
  for (long p = 2; p <= 10000; p += (p == 2 ? 1 : 2)) {
    int e = 0;
    const numeric np(p);
    while (GiNaC::irem(n, np).is_zero()) n = GiNaC::iquo(n, np), ++e;
    push(np, e);
  }
  if (n > 1) push(n, 1);
  return out;
}

// ---------- atoms

symbol Canon::make_atom(Atom a, const std::string& prefix, std::map<ex, symbol, ex_is_less>& table, const ex& key) {
  if (auto it = table.find(key); it != table.end()) return it->second;
  const Dom dom = a.kind == Atom::Kind::log ? Dom::real : Dom::positive;
  const symbol s = syms_.get("atom:" + std::to_string(counter_), prefix + std::to_string(counter_), dom, Role::atom);
  ++counter_;
  table[key] = s;
  atoms_[s] = a;
  return s;
}

const Atom* Canon::atom(const ex& s) const {
  auto it = atoms_.find(s);
  return it == atoms_.end() ? nullptr : &it->second;
}

ex Canon::root_atom(const ex& f, bool independent) {
  Atom a;
  a.kind = Atom::Kind::root;
  a.arg = f;
  a.independent = independent;
  return make_atom(a, "r", roots_, f);
}

ex Canon::log_atom(const ex& f) {
  Atom a;
  a.kind = Atom::Kind::log;
  a.arg = f;
  return make_atom(a, "L", logs_, f);
}

ex Canon::exp_atom(const ex& r) {
  // The exponent as given (normal() of a large exponent is the expensive step); equal exponents written differently
  // are matched below by the zero test, after the cheap numeric filter.
  const ex key = r;
  if (key.is_zero()) return 1;
  if (auto it = exps_.find(key); it != exps_.end()) return it->second;
  // Exponents equal only modulo r^2 = f (square roots in them) are the same atom.
  if (maybe_zero(key) && is_zero(key)) return 1;
  {
    // Candidates: existing exponents with the same values at the generic points.
    // (The atoms' own values e^k are cached; compare e^key with them.)
    std::optional<numeric> v[2];
    for (int p = 0; p < 2; ++p)
      if (auto x = point_value(key, p); x && *x < 200) v[p] = ex_to<numeric>(evalf(GiNaC::exp(ex(*x))));
    auto close = [](const std::optional<numeric>& a, const std::optional<numeric>& b) {
      if (!a || !b) return true;
      return abs(*a - *b) <= numeric(1, 1000000000) * (abs(*a) + abs(*b));
    };
    for (const auto& [k, s] : exps_)
      if (close(v[0], point_value(s, 0)) && close(v[1], point_value(s, 1)) && is_zero(key - k)) return s;
  }
  Atom a;
  a.kind = Atom::Kind::exp;
  a.arg = key;
  return make_atom(a, "E", exps_, key);
}

ex Canon::sqrt_rational(const numeric& q) {
  if (q.is_zero()) return 0;
  if (q.is_negative()) throw DomainError("square root of the negative number " + ex_to_string(q));
  // sqrt(a / b) = sqrt(a b) / b; a b = s^2 k with k square-free: s sqrt(p_1) ... sqrt(p_m) / b.
  const numeric a = q.numer(), b = q.denom();
  numeric s = 1;
  ex roots = 1;
  std::vector<std::pair<numeric, int>> e = factor_integer(a);
  for (const auto& pk : factor_integer(b)) {
    // (No structured binding here: clang 14, which builds the fuzzers, rejects capturing one in a lambda.)
    const numeric& p = pk.first;
    auto it = std::find_if(e.begin(), e.end(), [&](const auto& x) { return x.first == p; });
    if (it == e.end()) e.push_back(pk);
    else it->second += pk.second;
  }
  for (const auto& [p, k] : e) {
    s *= GiNaC::pow(p, numeric(k / 2));
    if (k % 2) roots *= root_atom(p, true);
  }
  return s / b * roots;
}

ex Canon::log_rational(const numeric& q0) {
  if (!q0.is_positive()) throw DomainError("logarithm of the non-positive number " + ex_to_string(q0));
  ex out = 0;
  for (const auto& [p, k] : factor_integer(q0.numer())) out += k * log_atom(p);
  for (const auto& [p, k] : factor_integer(q0.denom())) out -= k * log_atom(p);
  return out;
}

void Canon::factors(const ex& poly, numeric& content, std::vector<std::pair<ex, int>>& out) {
  budget_.check();
  // factor() is the expensive step: large polynomials are taken whole (still correct, only less complete).
  ex f = poly.nops() > 300 ? poly : factor(poly);
  budget_.check();
  auto one = [&](const ex& x, int k) {
    if (is_a<numeric>(x)) {
      content *= GiNaC::pow(ex_to<numeric>(x), numeric(k));
      return;
    }
    out.push_back({x, k});
  };
  auto part = [&](const ex& x) {
    if (is_a<power>(x) && is_a<numeric>(x.op(1)) && ex_to<numeric>(x.op(1)).is_integer())
      one(x.op(0), static_cast<int>(ex_to<numeric>(x.op(1)).to_long()));
    else
      one(x, 1);
  };
  if (is_a<mul>(f))
    for (std::size_t i = 0; i < f.nops(); ++i) part(f.op(i));
  else
    part(f);
}

ex Canon::operator()(const ex& e) {
  budget_.tick();
  if (is_a<numeric>(e)) {
    if (!ex_to<numeric>(e).is_rational()) throw NotAlgebraic("a floating-point number");
    return e;
  }
  if (is_a<symbol>(e)) return e;
  if (is_a<constant>(e)) {
    if (e.is_equal(Pi)) return syms_.get("pi", "\\pi", Dom::positive, Role::pi);
    throw NotAlgebraic("the constant " + ex_to_string(e));
  }
  if (is_a<add>(e)) {
    ex s = 0;
    for (std::size_t i = 0; i < e.nops(); ++i) s += (*this)(e.op(i));
    return s;
  }
  if (is_a<mul>(e)) {
    ex p = 1;
    for (std::size_t i = 0; i < e.nops(); ++i) p *= (*this)(e.op(i));
    return p;
  }
  if (is_a<power>(e)) {
    const ex b = (*this)(e.op(0));
    const ex x = e.op(1);
    if (is_a<numeric>(x) && ex_to<numeric>(x).is_rational()) {
      const numeric q = ex_to<numeric>(x);
      if (q.is_integer()) {
        if (q.is_negative() && b.is_zero()) throw DomainError("division by zero");
        return GiNaC::pow(b, q);
      }
      return pow_of(b, q);
    }
    return exp_of(expand((*this)(x) * log_of(b)));
  }
  if (is_a<function>(e)) {
    const std::string name = ex_to<function>(e).get_name();
    if (name == "log") return log_of((*this)(e.op(0)));
    if (name == "exp") return exp_of((*this)(e.op(0)));
    if (name == "abs") {
      const ex a = (*this)(e.op(0));
      return sqrt_of(a * a);
    }
    throw NotAlgebraic("the function " + name);
  }
  throw NotAlgebraic("the expression " + ex_to_string(e));
}

ex Canon::pow_of(const ex& c, const numeric& q) {
  if (q.is_integer()) return GiNaC::pow(c, q);
  if (q.denom() == 2) return GiNaC::pow(sqrt_of(c), q.numer());
  // Other roots (\sqrt[3]{.}): a generic atom, with no relation used.
  const ex key = lst{normal(c), q};
  if (auto it = powers_.find(key); it != powers_.end()) return it->second;
  Atom a;
  a.kind = Atom::Kind::power;
  a.arg = normal(c);
  a.exponent = q;
  return make_atom(a, "P", powers_, key);
}

ex Canon::sqrt_of(const ex& c) {
  budget_.check();
  const ex nd = numer_denom(normal(c));
  const ex num = nd.op(0), den = nd.op(1);
  if (num.is_zero()) return 0;
  numeric content = 1;
  std::vector<std::pair<ex, int>> fs;
  {
    numeric cn = 1, cd = 1;
    std::vector<std::pair<ex, int>> fn, fd;
    factors(num, cn, fn);
    factors(den, cd, fd);
    content = cn / cd;
    fs = fn;
    for (auto& [f, k] : fd) fs.push_back({f, -k});
  }
  ex out = 1, unknown = 1;  // unknown: factors of odd power and unknown sign, under one generic root
  for (const auto& [f, k] : fs) {
    const Atom* at = atom(f);
    const Sym* sy = syms_.find(f);
    if (at && at->kind == Atom::Kind::exp) {
      out *= exp_atom(at->arg * k / 2);
      continue;
    }
    const bool positive_symbol = is_a<symbol>(f) && ((at && at->kind != Atom::Kind::log) || (sy && sy->dom != Dom::real && sy->dom != Dom::negative));
    ex g = f;
    bool known = positive_symbol;
    if (!known && is_a<symbol>(f) && sy && sy->dom == Dom::negative) {
      g = -f;
      known = true;
      if (k % 2) content = -content;
    }
    if (!known && nonneg(f)) known = true;
    if (!known && nonneg(-f)) {
      g = -f;
      known = true;
      if (k % 2) content = -content;
    }
    if (!known) {
      if (k % 2 == 0) {
        out *= GiNaC::pow(root_atom(expand(f * f), false), k / 2);
      } else {
        out *= GiNaC::pow(root_atom(expand(f * f), false), (k - 1) / 2);
        unknown *= f;
      }
      continue;
    }
    if (sy && sy->role != Role::atom && sy->dom != Dom::real) ranges_.insert(sy->name);
    const int half = k >= 0 ? k / 2 : -((-k) / 2);
    out *= GiNaC::pow(g, half);
    if (k % 2) out *= GiNaC::pow(root_atom(g, !at), k > 0 ? 1 : -1);
  }
  if (!unknown.is_equal(1)) {
    // sqrt(c u) with the sign of u unknown: one generic root of c u, c's square part taken out.
    const numeric cs = content.is_negative() ? numeric(-1) : numeric(1);
    out *= root_atom(expand(cs * unknown), false);
    content = content * cs;
  }
  if (content.is_negative()) throw DomainError("square root of a quantity that is negative wherever it is defined");
  return out * sqrt_rational(content);
}

// An upper bound on the number of terms of expand(e) (saturating): GiNaC's normal() and expand() cannot be interrupted
// by the budget, and a log of 1 - alpha_bar_s over many steps (alpha_bar_s = alpha_bar_1 prod (1 - beta_r)) expands to
// 2^(s-1) terms, which hung the prover on cases/elbo/elbo_entropy_telescoping_linear50 (T = 50).
static double expanded_terms_bound(const ex& e) {
  constexpr double cap = 1e12;
  if (is_a<GiNaC::add>(e)) {
    double n = 0;
    for (std::size_t i = 0; i < e.nops(); ++i) n = std::min(cap, n + expanded_terms_bound(e.op(i)));
    return n;
  }
  if (is_a<GiNaC::mul>(e)) {
    double n = 1;
    for (std::size_t i = 0; i < e.nops(); ++i) n = std::min(cap, n * expanded_terms_bound(e.op(i)));
    return n;
  }
  if (is_a<GiNaC::power>(e) && is_a<numeric>(e.op(1)) && ex_to<numeric>(e.op(1)).is_pos_integer())
    return std::min(cap, std::pow(expanded_terms_bound(e.op(0)), ex_to<numeric>(e.op(1)).to_double()));
  return 1;
}

ex Canon::log_of(const ex& c) {
  budget_.check();
  if (expanded_terms_bound(c) > 1e5)
    throw std::runtime_error("a logarithm's argument would expand to more than 1e5 terms (a product over many schedule steps)");
  const ex nd = numer_denom(normal(c));
  const ex num = nd.op(0), den = nd.op(1);
  if (num.is_zero()) throw DomainError("logarithm of 0");
  numeric cn = 1, cd = 1;
  std::vector<std::pair<ex, int>> fn, fd;
  factors(num, cn, fn);
  factors(den, cd, fd);
  for (auto& [f, k] : fd) fn.push_back({f, -k});
  // log c = log|content| + sum k log|f| wherever c > 0.
  ex out = log_rational(GiNaC::abs(cn / cd));
  for (const auto& [f, k] : fn) {
    if (const Atom* at = atom(f)) {
      if (at->kind == Atom::Kind::root) {
        out += numeric(k, 2) * (is_a<numeric>(at->arg) ? log_rational(ex_to<numeric>(at->arg)) : log_of(at->arg));
        continue;
      }
      if (at->kind == Atom::Kind::exp) {
        out += k * at->arg;
        continue;
      }
      if (at->kind == Atom::Kind::power) {
        out += k * at->exponent * log_of(at->arg);
        continue;
      }
    }
    // One orientation of +-f for the key: log|f| = log|-f|.
    ex g = expand(f), h = expand(-f);
    const ex key = g.compare(h) <= 0 ? g : h;
    out += k * log_atom(key);
  }
  return out;
}

ex Canon::exp_of(const ex& c) {
  budget_.check();
  const ex x = expand(c);
  ex factor_out = 1, rest = 0;
  auto term = [&](const ex& t) {
    // k * log-atom with rational k: |f|^k; everything else stays in the exponent.
    ex k = 1, atom_sym;
    int n_atoms = 0;
    bool ok = true;
    auto part = [&](const ex& f) {
      if (is_a<numeric>(f)) {
        k *= f;
        return;
      }
      const Atom* at = atom(f);
      if (at && at->kind == Atom::Kind::log) {
        ++n_atoms;
        atom_sym = f;
        return;
      }
      ok = false;
    };
    if (is_a<mul>(t))
      for (std::size_t i = 0; i < t.nops(); ++i) part(t.op(i));
    else
      part(t);
    if (!ok || n_atoms != 1 || !is_a<numeric>(k) || !ex_to<numeric>(k).is_rational()) {
      rest += t;
      return;
    }
    const Atom& at = *atom(atom_sym);
    const numeric q = ex_to<numeric>(k);
    ex base = at.arg;
    if (is_a<numeric>(base)) {
      factor_out *= pow_of(base, q);
      return;
    }
    // |f|^q: the sign of f decides.
    if (nonneg(base)) factor_out *= pow_of(base, q);
    else if (nonneg(-base)) factor_out *= pow_of(-base, q);
    else factor_out *= pow_of(expand(base * base), q / 2);
  };
  if (is_a<add>(x))
    for (std::size_t i = 0; i < x.nops(); ++i) term(x.op(i));
  else
    term(x);
  return factor_out * exp_atom(rest);
}

ex Canon::merge_exp(const ex& e) {
  const ex x = expand(e);
  if (exps_.empty()) return x;
  auto one = [&](const ex& t) -> ex {
    ex other = 1, expo = 0;
    bool any = false;
    auto part = [&](const ex& f) {
      ex b = f;
      numeric k = 1;
      if (is_a<power>(f) && is_a<numeric>(f.op(1)) && ex_to<numeric>(f.op(1)).is_integer()) {
        b = f.op(0);
        k = ex_to<numeric>(f.op(1));
      }
      const Atom* at = atom(b);
      if (at && at->kind == Atom::Kind::exp) {
        expo += k * at->arg;
        any = true;
      } else {
        other *= f;
      }
    };
    if (is_a<mul>(t))
      for (std::size_t i = 0; i < t.nops(); ++i) part(t.op(i));
    else
      part(t);
    if (!any) return t;
    return other * exp_atom(expo);
  };
  ex out = 0;
  if (is_a<add>(x))
    for (std::size_t i = 0; i < x.nops(); ++i) out += one(x.op(i));
  else
    out = one(x);
  return expand(out);
}

ex Canon::reduce_roots(const ex& poly) {
  ex p = expand(poly);
  // Latest atoms first: an atom's argument may hold older atoms, which are reduced after it.
  std::vector<std::pair<int, std::pair<symbol, ex>>> rs;
  for (const auto& [key, s] : roots_) rs.push_back({std::stoi(syms_.find(s)->name.substr(1)), {s, atoms_.at(s).arg}});
  std::sort(rs.begin(), rs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int pass = 0; pass < 4; ++pass) {
    bool changed = false;
    for (const auto& [order, rf] : rs) {
      const auto& [r, f] = rf;
      budget_.check();
      if (p.degree(r) >= 2) {
        p = expand(rem(p, GiNaC::pow(r, 2) - f, r));
        changed = true;
      }
    }
    if (!changed) break;
  }
  return p;
}

ex Canon::reduced_numerator(const ex& c) {
  budget_.check();
  const ex nd = numer_denom(normal(merge_exp(c)));
  budget_.check();
  ex num = reduce_roots(merge_exp(nd.op(0)));
  num = merge_exp(num);
  return num;
}

namespace {
// A numerator of c over a common denominator built factor by factor (each denominator factor at its largest power),
// without the multivariate gcds of normal(): c = N / L. Empty when c has nested fractions.
std::optional<ex> plain_numerator(const ex& c) {
  const ex x = expand(c);
  std::map<ex, int, ex_is_less> den;
  std::vector<ex> terms;
  if (is_a<add>(x))
    for (std::size_t i = 0; i < x.nops(); ++i) terms.push_back(x.op(i));
  else
    terms.push_back(x);
  auto factor_of = [&](const ex& f) {
    if (is_a<power>(f) && is_a<numeric>(f.op(1)) && ex_to<numeric>(f.op(1)).is_integer() && ex_to<numeric>(f.op(1)).is_negative() &&
        !is_a<numeric>(f.op(0))) {
      int& k = den[f.op(0)];
      k = std::max(k, static_cast<int>(-ex_to<numeric>(f.op(1)).to_long()));
    }
  };
  for (const auto& t : terms) {
    if (is_a<mul>(t))
      for (std::size_t i = 0; i < t.nops(); ++i) factor_of(t.op(i));
    else
      factor_of(t);
  }
  ex L = 1;
  for (const auto& [b, k] : den) L *= GiNaC::pow(b, k);
  ex N = 0;
  for (const auto& t : terms) N += t * L;
  N = expand(N);
  for (auto it = N.preorder_begin(); it != N.preorder_end(); ++it)
    if (is_a<power>(*it) && is_a<numeric>(it->op(1)) && ex_to<numeric>(it->op(1)).is_negative() && !is_a<numeric>(it->op(0)))
      return std::nullopt;
  return N;
}
}  // namespace

bool Canon::is_zero(const ex& c) {
  budget_.check();
  if (auto n = plain_numerator(merge_exp(c))) {
    ex num = reduce_roots(merge_exp(*n));
    num = merge_exp(num);
    if (num.is_zero()) return true;
    if (auto m = plain_numerator(num); m && !roots_.empty()) {
      ex again = merge_exp(reduce_roots(*m));
      if (again.is_zero()) return true;
    }
    // Not zero in this form: normal() below may still cancel (merged exponentials leave common factors).
  }
  const ex nd = numer_denom(normal(merge_exp(c)));
  budget_.check();
  const ex den = reduce_roots(merge_exp(nd.op(1)));
  if (den.is_zero()) throw NotAlgebraic("a division by a quantity that is identically 0");
  ex num = reduce_roots(merge_exp(nd.op(0)));
  num = merge_exp(num);
  if (num.is_zero()) return true;
  // A second pass through normal(): merged exponentials can leave common factors.
  return normal(num).is_zero();
}

std::optional<numeric> Canon::point_value(const ex& e, int point) {
  // Generic values: in (0, 1) for unit symbols, positive for positive ones, by the symbol's creation order.
  static const int unit[][2] = {{37, 101}, {59, 103}, {71, 107}, {23, 109}, {83, 113}, {47, 127}, {13, 131}, {89, 137}};
  static const int real[][2] = {{-43, 89}, {131, 97}, {-61, 83}, {17, 79}, {-113, 73}, {97, 71}, {-29, 67}, {53, 61}};
  exmap m;
  for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it) {
    if (!is_a<symbol>(*it) || m.count(*it)) continue;
    if (const Atom* at = atom(*it)) {
      auto& cache = point_cache_[point];
      auto c = cache.find(*it);
      if (c == cache.end()) {
        std::optional<numeric> v;
        if (auto a = point_value(at->arg, point)) {
          const long saved = GiNaC::Digits;
          GiNaC::Digits = 40;
          ex r;
          switch (at->kind) {
            case Atom::Kind::root: r = a->is_negative() ? ex() : ex(GiNaC::sqrt(*a)); break;
            case Atom::Kind::log: r = a->is_zero() ? ex() : ex(GiNaC::log(abs(*a))); break;
            case Atom::Kind::exp: r = *a > 200 ? ex() : ex(GiNaC::exp(*a)); break;
            case Atom::Kind::power: r = a->is_negative() ? ex() : evalf(GiNaC::pow(ex(*a), at->exponent)); break;
          }
          GiNaC::Digits = saved;
          if (is_a<numeric>(r) && ex_to<numeric>(r).is_real()) v = ex_to<numeric>(r);
        }
        c = cache.emplace(*it, v).first;
      }
      if (!c->second) return std::nullopt;
      m[*it] = *c->second;
      continue;
    }
    const Sym* sy = syms_.find(*it);
    if (sy && sy->role == Role::pi) {
      m[*it] = Pi;
      continue;
    }
    const long k = ((sy ? syms_.index_of(*it) : 0) + 3 * point) % 8;
    numeric v = numeric(real[k][0], real[k][1]);
    if (sy && sy->dom == Dom::unit) v = numeric(unit[k][0], unit[k][1]);
    else if (sy && sy->dom == Dom::positive) v = abs(v);
    else if (sy && sy->dom == Dom::negative) v = -abs(v);
    m[*it] = v;
  }
  const long saved = GiNaC::Digits;
  GiNaC::Digits = 40;
  ex v;
  try {
    v = evalf(e.subs(m));
  } catch (const std::exception&) {
    GiNaC::Digits = saved;
    return std::nullopt;
  }
  GiNaC::Digits = saved;
  if (!is_a<numeric>(v) || !ex_to<numeric>(v).is_real()) return std::nullopt;
  return ex_to<numeric>(v);
}

bool Canon::maybe_zero(const ex& c) {
  for (int point = 0; point < 2; ++point) {
    const auto v = point_value(c, point);
    if (v && abs(*v) > numeric(1, 1000000000)) return false;
  }
  return true;
}

// ---------- sign certificates

bool Canon::bernstein_nonneg(const ex& p, const std::vector<symbol>& vars) {
  // p on [0, 1]^k: all coefficients in the Bernstein basis >= 0 implies p >= 0 there.
  const std::size_t k = vars.size();
  if (k == 0) return is_a<numeric>(p) && !ex_to<numeric>(p).is_negative();
  std::vector<int> deg(k);
  std::size_t n = 1;
  for (std::size_t i = 0; i < k; ++i) {
    deg[i] = p.degree(vars[i]);
    if (p.ldegree(vars[i]) < 0) return false;
    n *= static_cast<std::size_t>(deg[i] + 1);
    if (n > 4096) return false;
  }
  std::vector<numeric> a(n, 0);
  // Monomial coefficients, indexed mixed-radix.
  std::function<bool(const ex&, std::size_t, std::size_t, std::size_t)> fill = [&](const ex& q, std::size_t var, std::size_t idx,
                                                                                  std::size_t stride) -> bool {
    if (var == k) {
      if (!is_a<numeric>(q)) return false;
      a[idx] = ex_to<numeric>(q);
      return true;
    }
    for (int d = 0; d <= deg[var]; ++d)
      if (!fill(q.coeff(vars[var], d), var + 1, idx + static_cast<std::size_t>(d) * stride, stride * static_cast<std::size_t>(deg[var] + 1)))
        return false;
    return true;
  };
  if (!fill(expand(p), 0, 0, 1)) return false;
  std::vector<int> j(k, 0), i(k, 0);
  for (std::size_t J = 0; J < n; ++J) {
    budget_.tick();
    std::size_t r = J;
    for (std::size_t v = 0; v < k; ++v) {
      j[v] = static_cast<int>(r % static_cast<std::size_t>(deg[v] + 1));
      r /= static_cast<std::size_t>(deg[v] + 1);
    }
    numeric b = 0;
    for (std::size_t I = 0; I < n; ++I) {
      std::size_t rr = I;
      bool le = true;
      numeric w = 1;
      for (std::size_t v = 0; v < k && le; ++v) {
        i[v] = static_cast<int>(rr % static_cast<std::size_t>(deg[v] + 1));
        rr /= static_cast<std::size_t>(deg[v] + 1);
        if (i[v] > j[v]) le = false;
        else w *= GiNaC::binomial(numeric(j[v]), numeric(i[v])) / GiNaC::binomial(numeric(deg[v]), numeric(i[v]));
      }
      if (le && !a[I].is_zero()) b += w * a[I];
    }
    if (b.is_negative()) return false;
  }
  return true;
}

bool Canon::certify(const ex& p0, bool strict) {
  budget_.tick();
  ex p = expand(p0);
  if (is_a<numeric>(p)) return strict ? ex_to<numeric>(p).is_positive() : !ex_to<numeric>(p).is_negative();
  // Classify the symbols; negative ones are flipped to positive.
  std::vector<symbol> unit, all;
  std::set<ex, ex_is_less> positive, real;
  for (auto it = p.preorder_begin(); it != p.preorder_end(); ++it)
    if (is_a<symbol>(*it) && std::find(all.begin(), all.end(), ex_to<symbol>(*it)) == all.end()) all.push_back(ex_to<symbol>(*it));
  exmap flip;
  for (const auto& s : all) {
    const Atom* at = atom(s);
    const Sym* sy = syms_.find(s);
    Dom d = Dom::real;
    if (at) d = at->kind == Atom::Kind::log ? Dom::real : Dom::positive;
    else if (sy) d = sy->dom;
    if (d == Dom::unit) unit.push_back(s);
    else if (d == Dom::positive) positive.insert(s);
    else if (d == Dom::negative) flip[s] = -s, positive.insert(s);
    else real.insert(s);
  }
  if (!flip.empty()) p = expand(p.subs(flip));
  // Group the terms by their monomial in the non-unit symbols; each group's coefficient is a polynomial on the box.
  std::map<ex, ex, ex_is_less> groups;
  auto term = [&](const ex& t) -> bool {
    ex mono = 1, coef = 1;
    auto part = [&](const ex& f) -> bool {
      ex b = f;
      if (is_a<power>(f)) {
        if (!is_a<numeric>(f.op(1)) || !ex_to<numeric>(f.op(1)).is_integer() || ex_to<numeric>(f.op(1)).is_negative()) return false;
        b = f.op(0);
      }
      if (is_a<numeric>(f)) {
        coef *= f;
        return true;
      }
      if (!is_a<symbol>(b)) return false;
      if (std::find(unit.begin(), unit.end(), ex_to<symbol>(b)) != unit.end()) coef *= f;
      else mono *= f;
      return true;
    };
    if (is_a<mul>(t)) {
      for (std::size_t i = 0; i < t.nops(); ++i)
        if (!part(t.op(i))) return false;
    } else if (!part(t)) {
      return false;
    }
    groups[mono] += coef;
    return true;
  };
  if (is_a<add>(p)) {
    for (std::size_t i = 0; i < p.nops(); ++i)
      if (!term(p.op(i))) return false;
  } else if (!term(p)) {
    return false;
  }
  bool strictly = false;  // a group free of real symbols with a coefficient not identically 0
  for (const auto& [mono, coef] : groups) {
    bool has_real = false;
    for (const auto& r : real) {
      if (mono.degree(r) % 2) return false;
      has_real = has_real || mono.has(r);
    }
    std::vector<symbol> uv;
    for (const auto& u : unit)
      if (coef.has(u)) uv.push_back(u);
    const ex c = expand(coef);
    if (!bernstein_nonneg(c, uv)) return false;
    if (!has_real && !c.is_zero()) strictly = true;
  }
  if (strict && !strictly) return false;
  for (const auto& s : all)
    if (const Sym* sy = syms_.find(s); sy && sy->role != Role::atom && (sy->dom == Dom::unit || sy->dom == Dom::positive || sy->dom == Dom::negative))
      ranges_.insert(sy->name);
  return true;
}

// ---------- dependencies and unfolding

bool Canon::depends_on(const ex& e, const ex& s) const {
  if (e.has(s)) return true;
  for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it)
    if (is_a<symbol>(*it))
      if (const Atom* at = atom(*it); at && depends_on(at->arg, s)) return true;
  return false;
}

ex Canon::unfold(const ex& e) const {
  exmap m;
  for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it) {
    if (!is_a<symbol>(*it) || m.count(*it)) continue;
    const Atom* at = atom(*it);
    if (!at) continue;
    const ex a = unfold(at->arg);
    switch (at->kind) {
      case Atom::Kind::root: m[*it] = GiNaC::sqrt(a); break;
      case Atom::Kind::log: m[*it] = GiNaC::log(GiNaC::abs(a)); break;
      case Atom::Kind::exp: m[*it] = GiNaC::exp(a); break;
      case Atom::Kind::power: m[*it] = GiNaC::pow(a, at->exponent); break;
    }
  }
  return m.empty() ? e : e.subs(m);
}

bool Canon::numeric_only(const ex& c) const {
  // Exactly decided: rational functions of square roots of integers, and expressions linear in logarithms of
  // integers. Anything else (pi, exponentials, generic powers, products of logarithms) is compared numerically.
  const ex x = expand(c);
  std::vector<ex> logs;
  for (auto it = x.preorder_begin(); it != x.preorder_end(); ++it) {
    if (!is_a<symbol>(*it)) continue;
    const Atom* at = atom(*it);
    const Sym* sy = syms_.find(*it);
    if (sy && sy->role == Role::pi) return true;
    if (!at) continue;
    if (at->kind == Atom::Kind::exp || at->kind == Atom::Kind::power || !is_a<numeric>(at->arg)) return true;
    if (at->kind == Atom::Kind::log) logs.push_back(*it);
  }
  for (const auto& l : logs)
    if (x.degree(l) > 1) return true;
  for (std::size_t i = 0; i < logs.size(); ++i)
    for (std::size_t j = i + 1; j < logs.size(); ++j)
      if (!x.coeff(logs[i], 1).coeff(logs[j], 1).is_zero()) return true;
  return false;
}

// ---------- moments

ex gaussian_moments(const ex& p, const std::vector<symbol>& w, const std::vector<ex>& cov, Budget& budget) {
  const std::size_t n = w.size();
  if (n == 0) return p;
  const ex q = expand(p);
  lst vars;
  for (const auto& s : w) vars.append(s);
  if (!q.is_polynomial(vars)) throw NotAlgebraic("an expectation of a function that is not a polynomial in its Gaussian variables");
  bool diagonal = true;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (i != j && !cov[i * n + j].is_zero()) diagonal = false;
  std::map<std::vector<int>, ex> memo;
  // E[w_{i_1} ... w_{i_2k}] = sum over pairings of products of covariances (Isserlis).
  std::function<ex(std::vector<int>)> pairings = [&](std::vector<int> idx) -> ex {
    if (idx.empty()) return 1;
    if (idx.size() % 2) return 0;
    if (auto it = memo.find(idx); it != memo.end()) return it->second;
    budget.tick();
    ex s = 0;
    const int a = idx[0];
    for (std::size_t j = 1; j < idx.size(); ++j) {
      const ex c = cov[static_cast<std::size_t>(a) * n + static_cast<std::size_t>(idx[j])];
      if (c.is_zero()) continue;
      std::vector<int> rest;
      for (std::size_t k = 1; k < idx.size(); ++k)
        if (k != j) rest.push_back(idx[k]);
      s += c * pairings(rest);
    }
    return memo[idx] = s;
  };
  auto moment = [&](const std::vector<int>& a) -> ex {
    int total = 0;
    for (int x : a) total += x;
    if (total % 2) return 0;
    if (total > 16) throw NotAlgebraic("a moment of order above 16");
    if (diagonal) {
      ex m = 1;
      for (std::size_t i = 0; i < n; ++i) {
        if (a[i] % 2) return 0;
        numeric df = 1;  // (a_i - 1)!!
        for (int k = a[i] - 1; k > 1; k -= 2) df *= k;
        m *= df * GiNaC::pow(cov[i * n + i], a[i] / 2);
      }
      return m;
    }
    std::vector<int> idx;
    for (std::size_t i = 0; i < n; ++i)
      for (int k = 0; k < a[i]; ++k) idx.push_back(static_cast<int>(i));
    return pairings(idx);
  };
  exmap ones;
  for (const auto& s : w) ones[s] = 1;
  ex out = 0;
  auto term = [&](const ex& t) {
    budget.tick();
    std::vector<int> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = t.degree(w[i]);
    const ex m = moment(a);
    if (!m.is_zero()) out += t.subs(ones) * m;
  };
  if (is_a<add>(q))
    for (std::size_t i = 0; i < q.nops(); ++i) term(q.op(i));
  else
    term(q);
  return out;
}

}  // namespace verify::formula::proof
