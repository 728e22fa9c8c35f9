#pragma once
// The algebra behind prove.hpp: symbols with domains, the canonical form (atoms for square roots, logarithms and
// exponentials), sign certificates, moments of Gaussians, and the budget that stops a long proof.
#include <ginac/ginac.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace verify::formula::proof {

using GiNaC::ex;
using GiNaC::numeric;
using GiNaC::symbol;

// The form (or a part of it) has no algebraic reading here; the message names the part.
struct NotAlgebraic : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The time limit passed.
struct Timeout : std::runtime_error {
  Timeout() : std::runtime_error("time limit") {}
};
// A point outside the formula's domain (division by 0, square root of a negative, log of a non-positive value).
struct DomainError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Budget {
 public:
  explicit Budget(double seconds)
      : deadline_(std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                          std::chrono::duration<double>(seconds))) {}
  void check() const {
    if (std::chrono::steady_clock::now() > deadline_) throw Timeout();
  }
  void tick() {
    if ((++n_ & 255) == 0) check();
  }

 private:
  std::chrono::steady_clock::time_point deadline_;
  unsigned n_ = 0;
};

// Where a symbol's values lie: unit (0, 1), positive, negative, real.
enum class Dom { unit, positive, negative, real };
enum class Role {
  schedule,  // a schedule quantity at a step (alpha_bar at the lowest step used, betas above it)
  data,      // a [define] or [grid] value (declared value kept)
  x0,        // a component of x_0 from the data mixture
  gaussian,  // a component of an independent standard normal (eps, z, Brownian increments, the x_{t-1} noise)
  fixed,     // a random quantity with no usable law (x_{t-1} of the forward chain), or pinned
  bound,     // a variable bound by an expectation or integral (integrated out)
  opaque,    // an exact-oracle quantity with no closed form (the mixture's posterior mean, ...)
  pi,        // pi
  atom,      // created by the canonical form (sqrt / log / exp of its argument)
};

struct Sym {
  symbol s;
  std::string name;  // as shown in details ("\\beta_t", "x_{0,1}", "\\mu")
  Dom dom = Dom::real;
  Role role = Role::data;
  std::optional<numeric> value;  // declared value (data, grid, pinned)
};

class Symbols {
 public:
  // The symbol of `key`, created on first use.
  symbol get(const std::string& key, const std::string& name, Dom dom, Role role, std::optional<numeric> value = {});
  const Sym* find(const ex& s) const;
  const Sym* find_key(const std::string& key) const;
  long index_of(const ex& s) const;  // creation order, -1 if unknown
  // A copy, in creation order: loops over it may create symbols (canonical forms make atoms).
  std::vector<Sym> all() const { return {syms_.begin(), syms_.end()}; }
  Sym* mutable_find(const ex& s);

 private:
  std::map<std::string, std::size_t> by_key_;
  std::map<ex, std::size_t, GiNaC::ex_is_less> by_sym_;
  std::deque<Sym> syms_;  // a deque: pointers returned by find stay valid while symbols are added
};

// An atom of the canonical form: a symbol standing for sqrt(arg), log|arg|, exp(arg) (or a generic power).
struct Atom {
  enum class Kind { root, log, exp, power } kind = Kind::root;
  ex arg;             // the polynomial / constant / exponent it stands for
  ex exponent;        // power: the (non-half-integer) exponent
  bool independent = true;  // root: arg is an irreducible polynomial certified >= 0, or a prime
};

// The canonical form: a rational function in free symbols and atoms. Every sqrt, log and exp is replaced by
// atoms whose arguments are irreducible polynomials (or primes), so that the zero test below is complete for
// expressions built from independent atoms.
class Canon {
 public:
  Canon(Symbols& syms, Budget& budget) : syms_(syms), budget_(budget) {}

  ex operator()(const ex& e);  // the canonical form of e
  ex sqrt_of(const ex& c);     // sqrt of a canonical expression
  ex log_of(const ex& c);      // log of a (positive) canonical expression
  ex exp_of(const ex& c);      // exp of a canonical expression
  ex pow_of(const ex& c, const numeric& q);  // c^q for rational q
  // Expanded, with the exponential atoms of each term merged into one.
  ex merge_exp(const ex& e);
  // Is the canonical expression identically zero? (numerator reduced modulo r^2 = f for every root atom)
  bool is_zero(const ex& c);
  // A cheap filter before is_zero: false when c is certainly not 0 (its value at two fixed generic points, at 40
  // digits, is not 0); true when it may be. Never used to prove anything, only to skip work.
  bool maybe_zero(const ex& c);
  // The value of e at generic point 0 or 1 (40 digits; atoms through their cached values), or none when it is not a
  // real number there.
  std::optional<numeric> point_value(const ex& e, int point);
  // The numerator of c, reduced (multilinear in root atoms, one exponential per term).
  ex reduced_numerator(const ex& c);
  // Sign certificate: is the polynomial p >= 0 wherever its symbols lie in their domains? positive: > 0 on the open
  // domain (a non-zero polynomial with Bernstein coefficients >= 0 is > 0 inside the box).
  bool nonneg(const ex& p) { return certify(p, false); }
  bool positive(const ex& p) { return certify(p, true); }
  // Does e depend on symbol s (directly or through the arguments of atoms)?
  bool depends_on(const ex& e, const ex& s) const;
  // e with its atoms replaced by sqrt / log / exp of their arguments (recursively).
  ex unfold(const ex& e) const;
  const Atom* atom(const ex& s) const;
  // The symbols whose domains a certificate relied on (for the list of assumptions).
  const std::set<std::string>& ranges_used() const { return ranges_; }
  // Were any constants decided only numerically (pi, e^q, products of logs)?
  bool numeric_only(const ex& c) const;

 private:
  Symbols& syms_;
  Budget& budget_;
  std::map<ex, symbol, GiNaC::ex_is_less> roots_, logs_, exps_, powers_;
  std::map<ex, Atom, GiNaC::ex_is_less> atoms_;  // by atom symbol
  std::set<std::string> ranges_;
  int counter_ = 0;
  std::map<ex, std::optional<numeric>, GiNaC::ex_is_less> point_cache_[2];  // atoms' values at the generic points

  symbol make_atom(Atom a, const std::string& prefix, std::map<ex, symbol, GiNaC::ex_is_less>& table, const ex& key);
  ex root_atom(const ex& f, bool independent);
  ex log_atom(const ex& f);
  ex exp_atom(const ex& r);
  ex sqrt_rational(const numeric& q);
  ex log_rational(const numeric& q);
  // factor() of a canonical polynomial into (factor, exponent) with a numeric content.
  void factors(const ex& poly, numeric& content, std::vector<std::pair<ex, int>>& out);
  bool bernstein_nonneg(const ex& p, const std::vector<symbol>& unit_vars);
  bool certify(const ex& p, bool strict);
  ex reduce_roots(const ex& poly);
};

// Exact rationals from decimal text ("1.3", "-2e-3") and from doubles (their shortest round-trip decimal).
numeric rational_of(const std::string& decimal);
numeric rational_of(double v);
// Prime factorisation by trial division (the last factor may be composite beyond 10^6: then it counts as a prime).
std::vector<std::pair<GiNaC::numeric, int>> factor_integer(const numeric& n);

// E over w ~ N(0, cov) (cov: n x n, entries exact or symbolic) of the polynomial p in the symbols w (expanded):
// Isserlis' theorem, monomial by monomial. Throws NotAlgebraic when p is not a polynomial in w.
ex gaussian_moments(const ex& p, const std::vector<symbol>& w, const std::vector<ex>& cov, Budget& budget);

// GiNaC's own printing orders the terms of a sum by hash, which depends on the order in which symbols were created
// (and so on threads): proof details are printed with every sum's and product's operands sorted by their text.
std::string stable_text(const GiNaC::ex& e);

}  // namespace verify::formula::proof
