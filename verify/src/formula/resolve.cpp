// Resolution: syntax tree -> typed expression. Order of lookup for a symbol: variables bound by an enclosing
// expectation / integral / sum, the case's [define] table, its [grid], then the vocabulary. The vocabulary's
// ground truths (posterior, reverse step, marginals) are computed from definitions (Bayes' rule on the Gaussian
// steps, the mixture), never from the notes' closed forms, so that the notes' formulas can be tested against them.
#include "verify/edit_distance.hpp"
#include "verify/formula/resolve.hpp"

#include <map>
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "verify/mixture.hpp"
#include "verify/schedule.hpp"

namespace verify::formula {

std::string to_string(Type t) {
  switch (t) {
    case Type::index: return "an integer index";
    case Type::scalar: return "a scalar";
    case Type::vector: return "a vector";
    case Type::matrix: return "a matrix";
    case Type::distribution: return "a distribution";
  }
  return "?";
}

namespace {

using E = Expr;

// Does a recurrence's step depend on a random variable other than through its neighbour y_{k+1} (or y_{k-1})?
bool random_apart_from_neighbour(const Expr& e) {
  if (e.op == Op::rec_prev) return false;
  if (e.op == Op::random || e.op == Op::bound || e.op == Op::recurrence) return e.random;
  if (e.op == Op::expect && e.text == "all") return false;
  for (const auto& a : e.args)
    if (a && random_apart_from_neighbour(*a)) return true;
  for (const auto& d : e.dists)
    for (const ExprPtr& p : {d->mean, d->cov, d->step, d->given})
      if (p && random_apart_from_neighbour(*p)) return true;
  return false;
}

ExprPtr P(Expr e) {
  for (const auto& a : e.args)
    if (a) {
      e.random = e.random || a->random;
      e.mc = e.mc || a->mc;
    }
  for (const auto& d : e.dists)
    for (const ExprPtr& p : {d->mean, d->cov, d->step, d->given})
      if (p) {
        e.random = e.random || p->random;
        e.mc = e.mc || p->mc;
      }
  if (e.rec && e.op == Op::recurrence)
    for (const ExprPtr& p : {e.rec->start, e.rec->step})
      if (p) {
        // The step's neighbour y_{k-1} is only as random as the start: a sequence without noise (an exact variance
        // recursion) is deterministic and is decided in 50 digits.
        e.random = e.random || (p == e.rec->step ? random_apart_from_neighbour(*p) : p->random);
        e.mc = e.mc || p->mc;
      }
  // An expectation written \mathbb{E}[...] averages over every random variable of the model: it is a number.
  if (e.op == Op::expect && e.text == "all") e.random = false;
  return std::make_shared<const Expr>(std::move(e));
}

// The same tree with `origin` set on every node that has none: positions inside a [define] body refer to that
// entry's text, not to the formula that used it.
ExprPtr stamp(const ExprPtr& e, const std::string& origin) {
  if (!e || !e->origin.empty() || origin.empty()) return e;
  Expr c = *e;
  c.origin = origin;
  for (auto& a : c.args) a = stamp(a, origin);
  for (auto& d : c.dists) {
    Dist dd = *d;
    dd.mean = stamp(dd.mean, origin);
    dd.cov = stamp(dd.cov, origin);
    dd.step = stamp(dd.step, origin);
    dd.given = stamp(dd.given, origin);
    d = std::make_shared<const Dist>(std::move(dd));
  }
  return std::make_shared<const Expr>(std::move(c));
}

ExprPtr number(double v, const std::string& text = {}) {
  Expr e;
  e.op = Op::number;
  e.type = Type::scalar;
  e.value = v;
  e.text = text;
  return P(std::move(e));
}

ExprPtr index_const(long v) {
  Expr e;
  e.op = Op::number;
  e.type = Type::index;
  e.value = static_cast<double>(v);
  e.text = std::to_string(v);
  return P(std::move(e));
}

// A text for messages: the node's LaTeX, shortened.
std::string frag(const Node& n) {
  std::string s = to_latex(n);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Letters of an implicit product of single letters, as one word: p_{data} -> "data", D_{KL} -> "KL".
std::string word_of(const Node& n) {
  if (n.kind == Kind::symbol && !n.sub && !n.sup && n.sym.accents.empty()) return n.sym.base;
  if (n.kind == Kind::mul && n.text == "implicit") {
    const std::string a = word_of(*n.args[0]), b = word_of(*n.args[1]);
    if (!a.empty() && !b.empty() && a.size() + b.size() < 32) return a + b;
  }
  return {};
}

// A subscript that names rather than indexes: several letters (p_{data}) or upright text (L_{\text{simple}}).
bool is_label(const Node& n) {
  if (n.kind == Kind::symbol) return n.sym.style == "rm";
  return n.kind == Kind::mul && word_of(n).size() > 1;
}

bool is_symbol(const Node& n, const std::string& base, const std::string& style = "") {
  return n.kind == Kind::symbol && n.sym.base == base && n.sym.style == style && n.sym.accents.empty() && !n.sym.star &&
         n.sym.primes == 0;
}

// Greek / decorated name of a symbol without scripts, for vocabulary matching: "alpha", "bar alpha", "tilde beta".
std::string core_name(const Node& n) {
  std::string s;
  for (const auto& a : n.sym.accents) s += a + " ";
  if (n.sym.style == "cal") s += "cal ";
  if (n.sym.style == "bb") s += "bb ";
  s += n.sym.base;
  if (n.sym.star) s += "*";
  for (int i = 0; i < n.sym.primes; ++i) s += "'";
  return s;
}

}  // namespace

Definition definition_key(const Node& lhs) {
  Definition d;
  const Node* sym = &lhs;
  if (lhs.kind == Kind::call) {
    sym = lhs.args[0].get();
    for (std::size_t i = 1; i < lhs.args.size(); ++i) {
      if (lhs.args[i]->kind != Kind::symbol)
        throw LatexError(lhs.args[i]->begin, frag(*lhs.args[i]), "a function's parameters must be symbols, e.g. f(x, s)");
      d.params.push_back(lhs.args[i]);
    }
    d.kind = Definition::Kind::function;
  } else if (lhs.kind == Kind::pow && lhs.args[0]->kind == Kind::symbol && lhs.args[1]->kind == Kind::number &&
             lhs.args[1]->text == "2") {
    sym = lhs.args[0].get();
    d.squared = true;
  } else if (lhs.kind == Kind::symbol && lhs.sup && lhs.sup->kind == Kind::number && lhs.sup->text == "2") {
    Node s = lhs;
    s.sup.reset();
    d.squared = true;
    d.key = symbol_name(s);
    if (s.sub && s.sub->kind == Kind::symbol && (s.sub->sym.base == "t" || s.sub->sym.base == "s") && s.sub->sym.style.empty()) {
      d.generic_index = s.sub->sym.base;
      Node bare = s;
      bare.sub.reset();
      d.key = symbol_name(bare) + "_{#}";
    }
    return d;
  }
  if (sym->kind != Kind::symbol)
    throw LatexError(lhs.begin, frag(lhs), "a [define] key must be a symbol (\\mu, v_t, \\sigma^2) or a function f(x, s)");
  Node bare = *sym;
  bare.sup.reset();
  d.key = symbol_name(bare);
  if (sym->sup && !d.squared) {
    // A superscript that is a label (M^x, p^{*}): part of the name.
    d.key = symbol_name(bare) + "^" + to_latex(*sym->sup);
    return d;
  }
  if (bare.sub && bare.sub->kind == Kind::symbol && !bare.sub->sub && !bare.sub->sup && bare.sub->sym.accents.empty() &&
      bare.sub->sym.style.empty() && d.kind != Definition::Kind::function) {
    d.sub_symbol = symbol_name(*bare.sub);
    Node b2 = bare;
    b2.sub.reset();
    d.bare_key = symbol_name(b2);
  }
  if (bare.sub && bare.sub->kind == Kind::symbol && (bare.sub->sym.base == "t" || bare.sub->sym.base == "s") &&
      bare.sub->sym.style.empty() && d.kind != Definition::Kind::function) {
    d.generic_index = bare.sub->sym.base;
    bare.sub.reset();
    d.key = symbol_name(bare) + "_{#}";
  }
  return d;
}

void make_generic_if_used(Definition& d) {
  if (!d.generic_index.empty() || d.sub_symbol.empty()) return;
  bool used = d.kind == Definition::Kind::recurrence;
  std::function<void(const NodePtr&)> go = [&](const NodePtr& p) {
    if (!p || used) return;
    if (p->kind == Kind::symbol && !p->sub && symbol_name(*p) == d.sub_symbol) used = true;
    for (const auto& a : p->args) go(a);
    go(p->sub);
    go(p->sup);
  };
  go(d.body);
  go(d.start);
  if (!used) return;
  d.generic_index = d.sub_symbol;
  d.key = d.bare_key + "_{#}";
}

namespace {

class Resolver {
 public:
  explicit Resolver(const Context& c) : ctx_(c), next_id_(c.first_id) {}

  ExprPtr run(const Node& n) { return value(n); }

  Relation relation(const Node& n) {
    if (n.kind != Kind::relation)
      throw LatexError(n.begin, frag(n), "expected a relation (a = b, a \\le b, a \\approx b, a \\propto b)");
    if (n.args.size() != 2)
      throw LatexError(n.begin, frag(n), "a chain of relations (a = b = c): write it as a [derivation], one step per line");
    Relation r;
    r.op = n.text;
    NodePtr lhs = n.args[0], rhs = n.args[1];
    r.rhs_const = strip_const(rhs) || strip_const(lhs);
    // A - B = \text{const} says A = B + const: the difference is the same under every model. Checked in that form, so
    // that the check's scale is how much A changes between the models (A - B itself does not change).
    if (r.rhs_const && lhs && !rhs && lhs->kind == Kind::sub) {
      rhs = lhs->args[1];
      lhs = lhs->args[0];
    }
    // const alone on one side, otherwise: 0 plus the constant.
    if (r.rhs_const && lhs && !rhs) {
      Node zero;
      zero.kind = Kind::number;
      zero.text = "0";
      zero.begin = n.begin;
      zero.end = n.end;
      rhs = std::make_shared<Node>(std::move(zero));
    }
    if (!lhs || !rhs) throw LatexError(n.begin, frag(n), "a side of the relation is only '+ const'");
    r.lhs = value(*lhs);
    r.rhs = value(*rhs);
    for (const ExprPtr* s : {&r.lhs, &r.rhs})
      if ((*s)->type == Type::distribution)
        throw LatexError(n.begin, frag(n), "a side of the relation is a distribution, not a value");
    r.lhs = as_scalar(r.lhs);
    r.rhs = as_scalar(r.rhs);
    scalar_beside_scalar(r.lhs, r.rhs);
    if (r.lhs->type != r.rhs->type || r.lhs->dim != r.rhs->dim)
      throw LatexError(n.begin, frag(n), "the two sides differ in type: " + describe(r.lhs) + " and " + describe(r.rhs));
    if (r.op != "=" && r.op != "approx" && r.op != "propto" && r.lhs->type != Type::scalar)
      throw LatexError(n.begin, frag(n), "an inequality needs scalar sides, got " + describe(r.lhs));
    if (r.op == "!=") throw LatexError(n.begin, frag(n), "'\\ne' is not a checkable claim here");
    return r;
  }

 private:
  struct BoundVar {
    std::string name;  // canonical symbol name
    int id;
    Type type;
    int dim;
    bool latent = false;  // bound to a categorical law: the discrete latent z (a number 1..K per draw)
  };
  struct IndexVar {
    std::string name;
    int id;
  };

  const Context& ctx_;
  std::vector<BoundVar> bound_;
  std::vector<IndexVar> indices_;
  int next_id_ = 0;
  int depth_ = 0;

  static std::string describe(const ExprPtr& e) {
    if (e->type == Type::vector) return "a vector of dimension " + std::to_string(e->dim);
    if (e->type == Type::matrix) return "a " + std::to_string(e->dim) + "x" + std::to_string(e->dim) + " matrix";
    return to_string(e->type);
  }

  [[noreturn]] void fail(const Node& n, const std::string& why, const std::string& suggestion = {}) const {
    throw LatexError(n.begin, frag(n), why, suggestion);
  }

  // "+ const" / "+ C": removes the term; returns whether one was there.
  static bool is_const_marker(const Node& n) {
    if (n.kind == Kind::symbol && n.sym.style == "rm" && (n.sym.base == "const" || n.sym.base == "const." || n.sym.base == "constant"))
      return true;
    if (n.kind == Kind::symbol && n.sym.base == "C" && n.sym.style.empty() && n.sym.accents.empty() && !n.sup) return true;
    return false;
  }
  bool strip_const(NodePtr& side) const {
    if (!side) return false;
    if ((side->kind == Kind::add || side->kind == Kind::sub) && is_const_marker(*side->args[1]) &&
        !ctx_.defines.count(symbol_name(*side->args[1]))) {
      side = side->args[0];
      return true;
    }
    if (is_const_marker(*side) && !ctx_.defines.count(symbol_name(*side))) {
      side = nullptr;
      return true;
    }
    return false;
  }

  ExprPtr make(Op op, Type type, int dim, std::vector<ExprPtr> args, const Node& at, std::string text = {}) const {
    Expr e;
    e.op = op;
    e.type = type;
    e.dim = dim;
    e.args = std::move(args);
    e.text = std::move(text);
    e.pos = at.begin;
    return P(std::move(e));
  }

  // Indices and one-dimensional (column) vectors take part in arithmetic as scalars: in 1-D, x_t is a number.
  ExprPtr as_scalar(const ExprPtr& e) const {
    const bool one = e->type == Type::vector && e->dim == 1 && e->text != "row";
    if (e->type != Type::index && !one) return e;
    Expr c = *e;
    c.type = Type::scalar;
    return P(std::move(c));
  }
  // In one dimension a 1x1 matrix (the note's I, a posterior variance) added to or compared with a number is a number.
  void scalar_beside_scalar(ExprPtr& a, ExprPtr& b) const {
    for (ExprPtr* m : {&a, &b}) {
      const ExprPtr& other = m == &a ? b : a;
      if ((*m)->type == Type::matrix && (*m)->dim == 1 && other->type == Type::scalar) {
        Expr c = **m;
        c.type = Type::scalar;
        *m = P(std::move(c));
      }
    }
  }
  // A point of the data space: a scalar is a point in 1-D.
  ExprPtr as_point(const ExprPtr& e) const {
    if (e->type == Type::scalar && ctx_.dim == 1) {
      Expr c = *e;
      c.type = Type::vector;
      c.dim = 1;
      return P(std::move(c));
    }
    return e;
  }

  // ---------- indices: integers built from t, T, d, bound summation indices and numbers
  ExprPtr index(const Node& n) {
    switch (n.kind) {
      case Kind::number: {
        const double v = std::stod(n.text);
        if (v != std::floor(v)) fail(n, "an index must be an integer");
        return index_const(static_cast<long>(v));
      }
      case Kind::symbol: {
        if (!n.sym.base.empty() && n.sym.base[0] == '\x01') {
          ExprPtr v = preset_.at(std::stoi(n.sym.base.substr(1)));
          if (v->type != Type::index) fail(n, "expected a step index");
          return v;
        }
        if (ExprPtr lv = limit_var(n, true)) return lv;
        if (n.sub || n.sup || !n.sym.accents.empty() || !n.sym.style.empty()) break;
        for (auto it = indices_.rbegin(); it != indices_.rend(); ++it)
          if (it->name == n.sym.base) {
            Expr e;
            e.op = Op::index_var;
            e.type = Type::index;
            e.id = it->id;
            e.text = n.sym.base;
            e.pos = n.begin;
            return P(std::move(e));
          }
        if (n.sym.base == "t" || n.sym.base == "T" || n.sym.base == "d") {
          if (n.sym.base != "d" && !ctx_.schedule) fail(n, "'" + n.sym.base + "' needs a [schedule] in the case");
          Expr e;
          e.op = Op::index_var;
          e.type = Type::index;
          e.text = n.sym.base;
          e.pos = n.begin;
          return P(std::move(e));
        }
        if (auto it = ctx_.grid.find(symbol_name(n)); it != ctx_.grid.end() && it->second.rows == 0) {
          Expr e;
          e.op = Op::data;
          e.type = Type::index;
          e.text = "grid:" + it->second.key;
          e.pos = n.begin;
          return P(std::move(e));
        }
        if (auto it = ctx_.defines.find(symbol_name(n)); it != ctx_.defines.end() && it->second.kind == Definition::Kind::value &&
                                                          it->second.rows == 0) {
          const double v = it->second.values[0];
          if (v != std::floor(v)) fail(n, "'" + symbol_name(n) + "' is used as an index but is not an integer");
          return index_const(static_cast<long>(v));
        }
        if (n.sym.base == "K" && has_latent()) return index_const(static_cast<long>(ctx_.mixture->size()));
        break;
      }
      case Kind::add:
      case Kind::sub: {
        ExprPtr a = index(*n.args[0]), b = index(*n.args[1]);
        return make(n.kind == Kind::add ? Op::add : Op::sub, Type::index, 1, {a, b}, n);
      }
      case Kind::neg: return make(Op::neg, Type::index, 1, {index(*n.args[0])}, n);
      case Kind::mul: return make(Op::mul, Type::index, 1, {index(*n.args[0]), index(*n.args[1])}, n);
      case Kind::div: return make(Op::div, Type::index, 1, {index(*n.args[0]), index(*n.args[1])}, n, "index");
      case Kind::group: return index(*n.args[0]);
      default: break;
    }
    fail(n, "expected a step index (an integer expression in t, T, s, ...), got '" + frag(n) + "'");
  }

  bool looks_like_index(const Node& n) const {
    switch (n.kind) {
      case Kind::number: return n.text.find('.') == std::string::npos;
      case Kind::symbol: {
        if (n.sub || n.sup || !n.sym.accents.empty() || !n.sym.style.empty()) return false;
        for (const auto& iv : indices_)
          if (iv.name == n.sym.base) return true;
        if (auto it = ctx_.grid.find(symbol_name(n)); it != ctx_.grid.end() && it->second.rows == 0) return true;
        return n.sym.base == "t" || n.sym.base == "T" || n.sym.base == "s";
      }
      case Kind::add:
      case Kind::sub:
      case Kind::mul: return looks_like_index(*n.args[0]) && looks_like_index(*n.args[1]);
      case Kind::neg:
      case Kind::group: return looks_like_index(*n.args[0]);
      default: return false;
    }
  }

  // ---------- values
  ExprPtr value(const Node& n) {
    if (++depth_ > 200) fail(n, "formula nests too deeply");
    struct Guard {
      int& d;
      ~Guard() { --d; }
    } guard{depth_};
    switch (n.kind) {
      case Kind::number: return number(std::stod(n.text), n.text);
      case Kind::group: return value(*n.args[0]);
      case Kind::symbol: return symbol(n);
      case Kind::add:
      case Kind::sub: return additive(n);
      case Kind::neg: {
        ExprPtr a = value(*n.args[0]);
        check_numeric(n, a);
        return make(Op::neg, a->type, a->dim, {a}, n);
      }
      case Kind::mul: return product(n);
      case Kind::div: return quotient(n);
      case Kind::pow: {
        // beta_t(1 - alpha_t)^2 is beta_t times (1 - alpha_t)^2 when beta_t is not a function: the call node tells
        // the juxtaposition below to raise only the bracket.
        const Node* saved = juxt_pow_;
        bool saved_done = juxt_pow_done_;
        juxt_pow_ = n.args[0]->kind == Kind::call ? &n : nullptr;
        juxt_pow_done_ = false;
        ExprPtr b = value(*n.args[0]);
        const bool done = juxt_pow_done_;
        juxt_pow_ = saved;
        juxt_pow_done_ = saved_done;
        return done ? b : power(n, b, *n.args[1]);
      }
      case Kind::transpose: {
        ExprPtr a = value(*n.args[0]);
        if (a->type == Type::matrix) return make(Op::transpose, Type::matrix, a->dim, {a}, n);
        if (a->type == Type::vector) {
          Expr t = *make(Op::transpose, Type::vector, a->dim, {a}, n);
          t.text = "row";
          return P(std::move(t));
        }
        fail(n, "transpose of " + describe(a));
      }
      case Kind::func: return function(n);
      case Kind::norm: {
        ExprPtr a = value(*n.args[0]);
        if (n.sub && !(n.sub->kind == Kind::number && n.sub->text == "2")) fail(n, "only the Euclidean norm \\|v\\|_2 is supported");
        if (a->type == Type::scalar) return make(Op::abs, Type::scalar, 1, {a}, n);
        if (a->type != Type::vector) fail(n, "the norm of " + describe(a));
        return make(Op::norm, Type::scalar, 1, {a}, n);
      }
      case Kind::abs: {
        ExprPtr a = value(*n.args[0]);
        if (a->type == Type::index) a = as_scalar(a);
        if (a->type == Type::scalar) return make(Op::abs, Type::scalar, 1, {a}, n);
        if (a->type == Type::matrix) return make(Op::det, Type::scalar, 1, {a}, n);
        if (a->type == Type::vector) return make(Op::norm, Type::scalar, 1, {a}, n);
        fail(n, "|.| of " + describe(a));
      }
      case Kind::call: return call(n);
      case Kind::sum:
      case Kind::prod:
      case Kind::median: return big_op(n);
      case Kind::limit: return limit(n);
      case Kind::expect: return expectation(n);
      case Kind::integral: return integral(n);
      case Kind::nabla: return nabla(n);
      case Kind::indicator: return indicator(n);
      case Kind::relation: fail(n, "a relation inside an expression");
      case Kind::text: fail(n, "'" + n.text + "' is not a value");
      default: break;
    }
    fail(n, "'" + frag(n) + "' cannot be evaluated");
  }

  void check_numeric(const Node& n, const ExprPtr& a) const {
    if (a->type == Type::distribution) fail(n, "'" + frag(n) + "' is a distribution; arithmetic needs values (its density is written q(x))");
  }

  ExprPtr additive(const Node& n) {
    ExprPtr a = value(*n.args[0]), b = value(*n.args[1]);
    check_numeric(*n.args[0], a);
    check_numeric(*n.args[1], b);
    if (a->type == Type::index && b->type == Type::index) return make(n.kind == Kind::add ? Op::add : Op::sub, Type::index, 1, {a, b}, n);
    a = as_scalar(a);
    b = as_scalar(b);
    scalar_beside_scalar(a, b);
    if (a->type != b->type || a->dim != b->dim)
      fail(n, "cannot " + std::string(n.kind == Kind::add ? "add " : "subtract ") + describe(b) + (n.kind == Kind::add ? " to " : " from ") + describe(a));
    if (a->type == Type::vector && (a->text == "row") != (b->text == "row")) fail(n, "cannot add a row vector and a column vector");
    return make(n.kind == Kind::add ? Op::add : Op::sub, a->type, a->dim, {a, b}, n);
  }

  // A derivative operator written as a fraction (d/dt or \partial/\partial x) applied by juxtaposition.
  static bool is_partial_operator(const Node& n) {
    return n.kind == Kind::div && n.text == "frac" && n.args[0]->kind == Kind::symbol && n.args[0]->sym.base == "partial";
  }

  // \frac{\partial^k}{\partial v^k}: (order, variable) of a derivative operator, or order 0.
  std::pair<int, NodePtr> partial_of(const Node& frac) const {
    const Node& num = *frac.args[0];
    int order = 1;
    if (num.sup) {
      if (num.sup->kind != Kind::number || (num.sup->text != "1" && num.sup->text != "2")) fail(frac, "derivatives of order 1 or 2 only");
      order = std::stoi(num.sup->text);
    }
    const Node* den = frac.args[1].get();
    // \partial v, \partial v^2, or d v
    if (den->kind == Kind::mul && den->args[0]->kind == Kind::symbol &&
        (den->args[0]->sym.base == "partial" || (den->args[0]->sym.base == "d" && !den->args[0]->sub))) {
      NodePtr var = den->args[1];
      if (var->kind == Kind::pow) {
        if (var->args[1]->kind != Kind::number || std::stoi(var->args[1]->text) != order) fail(frac, "the orders of numerator and denominator differ");
        var = var->args[0];
      } else if (var->kind == Kind::symbol && var->sup) {
        Node v = *var;
        if (v.sup->kind != Kind::number || std::stoi(v.sup->text) != order) fail(frac, "the orders of numerator and denominator differ");
        v.sup.reset();
        var = std::make_shared<const Node>(v);
      } else if (order != 1) {
        fail(frac, "write the second derivative as \\frac{\\partial^2}{\\partial x^2}");
      }
      if (var->kind != Kind::symbol) fail(frac, "a derivative with respect to a symbol");
      return {order, var};
    }
    fail(frac, "a derivative is written \\frac{\\partial}{\\partial x} f or \\frac{\\partial^2}{\\partial x^2} f");
  }

  // d^k F / dv^k at the current value of v: F is resolved with v bound to a scalar variable; evaluated by central
  // differences with Richardson extrapolation (in 50 digits to about 40 digits).
  ExprPtr derivative(const Node& n, int order, const Node& var, const Node& operand) {
    ExprPtr at = as_scalar(value(var));
    if (at->type != Type::scalar) fail(var, "a derivative with respect to a scalar only");
    const int id = next_id_++;
    const std::size_t saved = bound_.size();
    bound_.push_back({symbol_name(var), id, Type::scalar, 1});
    ExprPtr body = as_scalar(value(operand));
    bound_.resize(saved);
    if (body->type != Type::scalar) fail(operand, "the derivative of a non-scalar");
    Expr e;
    e.op = Op::derivative;
    e.type = Type::scalar;
    e.id = id;
    e.value = order;
    e.args = {body, at};
    e.pos = n.begin;
    e.latex = frag(n);
    return P(std::move(e));
  }

  ExprPtr product(const Node& n) {
    if (is_partial_operator(*n.args[0])) {
      auto [order, var] = partial_of(*n.args[0]);
      return derivative(n, order, *var, *n.args[1]);
    }
    ExprPtr a = value(*n.args[0]), b = value(*n.args[1]);
    if (a->type == Type::distribution && b->type == Type::distribution) return convolution(n, a->dists[0], b->dists[0]);
    check_numeric(*n.args[0], a);
    check_numeric(*n.args[1], b);
    if (a->type == Type::index && b->type == Type::index) return make(Op::mul, Type::index, 1, {a, b}, n);
    a = as_scalar(a);
    b = as_scalar(b);
    const bool dot_written = n.text == "cdot";
    if (a->type == Type::scalar || b->type == Type::scalar) {
      const ExprPtr& other = a->type == Type::scalar ? b : a;
      Expr e = *make(Op::mul, other->type, other->dim, {a, b}, n);
      if (other->type == Type::vector) e.text = other->text;  // keeps "row"
      return P(std::move(e));
    }
    if (a->type == Type::vector && b->type == Type::vector) {
      if (a->dim != b->dim) fail(n, "vectors of dimensions " + std::to_string(a->dim) + " and " + std::to_string(b->dim));
      if (a->text == "row" && b->text != "row") return make(Op::dot, Type::scalar, 1, {a, b}, n);
      if (dot_written && a->text != "row" && b->text != "row") return make(Op::dot, Type::scalar, 1, {a, b}, n);
      fail(n, "the product of two vectors is ambiguous: write u^\\top v or u \\cdot v for the inner product");
    }
    if (a->type == Type::matrix && b->type == Type::vector) {
      if (b->text == "row") fail(n, "a matrix times a row vector");
      if (a->dim != b->dim) fail(n, "matrix and vector dimensions differ");
      return make(Op::mul, Type::vector, b->dim, {a, b}, n);
    }
    if (a->type == Type::vector && b->type == Type::matrix) {
      if (a->text != "row") fail(n, "a column vector times a matrix: transpose it (v^\\top A)");
      Expr e = *make(Op::mul, Type::vector, a->dim, {a, b}, n);
      e.text = "row";
      return P(std::move(e));
    }
    if (a->type == Type::matrix && b->type == Type::matrix) return make(Op::mul, Type::matrix, a->dim, {a, b}, n);
    fail(n, "cannot multiply " + describe(a) + " by " + describe(b));
  }

  // p_{data} * \mathcal N(0, v): the law of x_0 + N(0, v I) (and of a diffused law plus more noise).
  ExprPtr convolution(const Node& n, DistPtr a, DistPtr b) const {
    if (b->kind != Dist::Kind::gaussian) fail(n, "a convolution of laws is supported as (data law) * \\mathcal N(0, v)");
    bool zero = b->mean->op == Op::data && std::all_of(b->mean->data.begin(), b->mean->data.end(), [](double x) { return x == 0; });
    if (b->mean->op == Op::number && b->mean->value == 0) zero = true;
    if (!zero || b->cov->type != Type::scalar) fail(n, "the Gaussian of a convolution must be \\mathcal N(0, v) with a scalar v (or v I)");
    Dist d;
    d.kind = Dist::Kind::diffused;
    d.dim = ctx_.dim;
    d.latex = frag(n);
    if (a->kind == Dist::Kind::data) {
      d.mean = number(1);
      d.cov = b->cov;
    } else if (a->kind == Dist::Kind::diffused) {
      d.mean = a->mean;
      d.cov = make(Op::add, Type::scalar, 1, {a->cov, b->cov}, n);
    } else {
      fail(n, "a convolution of laws is supported for the data law (p_{data} * \\mathcal N(0, v))");
    }
    Expr e;
    e.op = Op::number;
    e.type = Type::distribution;
    e.dists = {law(d)};
    e.pos = n.begin;
    return P(std::move(e));
  }

  ExprPtr quotient(const Node& n) {
    if (is_partial_operator(n)) {
      // \frac{\partial F}{\partial v}: the numerator is \partial times F.
      const Node& num = *n.args[0];
      if (num.kind == Kind::symbol) fail(n, "a derivative operator needs something to act on: \\frac{\\partial}{\\partial x} f");
      fail(n, "internal: partial derivative shape");
    }
    if (n.kind == Kind::div && n.text == "frac" && n.args[0]->kind == Kind::mul && n.args[0]->args[0]->kind == Kind::symbol &&
        n.args[0]->args[0]->sym.base == "partial") {
      Node op = n;
      op.args = {n.args[0]->args[0], n.args[1]};
      auto [order, var] = partial_of(op);
      return derivative(n, order, *var, *n.args[0]->args[1]);
    }
    ExprPtr a = value(*n.args[0]), b = value(*n.args[1]);
    check_numeric(*n.args[0], a);
    check_numeric(*n.args[1], b);
    a = as_scalar(a);
    b = as_scalar(b);
    if (b->type != Type::scalar) fail(*n.args[1], "division by " + describe(b));
    Expr e = *make(Op::div, a->type, a->dim, {a, b}, n);
    if (a->type == Type::vector) e.text = a->text;
    return P(std::move(e));
  }

  ExprPtr power(const Node& n, ExprPtr base, const Node& expo) {
    check_numeric(n, base);
    if (expo.kind == Kind::text && expo.text == "\\top") {
      if (base->type == Type::matrix) return make(Op::transpose, Type::matrix, base->dim, {base}, n);
      if (base->type == Type::vector) {
        Expr t = *make(Op::transpose, Type::vector, base->dim, {base}, n);
        t.text = "row";
        return P(std::move(t));
      }
      fail(n, "transpose of " + describe(base));
    }
    if (base->type == Type::vector && base->dim == 1 && !is_symbol(expo, "T")) base = as_scalar(base);
    if (base->type == Type::matrix) {
      if (expo.kind == Kind::neg && expo.args[0]->kind == Kind::number && expo.args[0]->text == "1")
        return make(Op::inverse, Type::matrix, base->dim, {base}, n);
      if (is_symbol(expo, "T")) return make(Op::transpose, Type::matrix, base->dim, {base}, n);
      if (expo.kind == Kind::number && expo.text == "2") return make(Op::mul, Type::matrix, base->dim, {base, base}, n);
      fail(n, "a matrix power other than ^{-1}, ^T, ^2");
    }
    if (base->type == Type::vector) {
      if (is_symbol(expo, "T")) {
        Expr t = *make(Op::transpose, Type::vector, base->dim, {base}, n);
        t.text = "row";
        return P(std::move(t));
      }
      fail(n, "a power of a vector: write \\|v\\|^2 for its squared length");
    }
    ExprPtr e = value(expo);
    check_numeric(expo, e);
    if (base->type == Type::index && e->type == Type::index) return make(Op::pow, Type::index, 1, {base, e}, n);
    base = as_scalar(base);
    e = as_scalar(e);
    if (e->type != Type::scalar) fail(expo, "an exponent must be a scalar, got " + describe(e));
    return make(Op::pow, Type::scalar, 1, {base, e}, n);
  }

  ExprPtr split_log(const ExprPtr& a, const Node& n) const {
    std::vector<ExprPtr> num, den, up, down;
    std::function<void(const ExprPtr&, bool)> factors = [&](const ExprPtr& e, bool inv) {
      if (e->type == Type::scalar && e->op == Op::mul && e->args[0]->type == Type::scalar && e->args[1]->type == Type::scalar) {
        factors(e->args[0], inv);
        factors(e->args[1], inv);
      } else if (e->type == Type::scalar && e->op == Op::div) {
        factors(e->args[0], inv);
        factors(e->args[1], !inv);
      } else if (e->op == Op::exp) {
        (inv ? down : up).push_back(e->args[0]);
      } else {
        (inv ? den : num).push_back(e);
      }
    };
    factors(a, false);
    if (up.empty() && down.empty()) return make(Op::log, Type::scalar, 1, {a}, n);
    auto product = [&](const std::vector<ExprPtr>& v) {
      ExprPtr p = v[0];
      for (std::size_t i = 1; i < v.size(); ++i) p = make(Op::mul, Type::scalar, 1, {p, v[i]}, n);
      return p;
    };
    ExprPtr out;
    if (!num.empty() || !den.empty()) {
      ExprPtr arg = num.empty() ? number(1) : product(num);
      if (!den.empty()) arg = make(Op::div, Type::scalar, 1, {arg, product(den)}, n);
      out = make(Op::log, Type::scalar, 1, {arg}, n);
    }
    for (const auto& u : up) out = out ? make(Op::add, Type::scalar, 1, {out, u}, n) : u;
    for (const auto& v : down) out = out ? make(Op::sub, Type::scalar, 1, {out, v}, n) : make(Op::neg, Type::scalar, 1, {v}, n);
    return out;
  }

  ExprPtr function(const Node& n) {
    const std::string& f = n.text;
    if (f == "root") {
      ExprPtr a = as_scalar(value(*n.args[0])), k = as_scalar(value(*n.args[1]));
      if (a->type != Type::scalar) fail(n, "a root of " + describe(a));
      return make(Op::pow, Type::scalar, 1, {a, make(Op::div, Type::scalar, 1, {number(1), k}, n)}, n);
    }
    ExprPtr a = value(*n.args[0]);
    check_numeric(*n.args[0], a);
    a = as_scalar(a);
    if (f == "log" || f == "exp" || f == "sqrt") {
      if (a->type != Type::scalar) fail(n, "\\" + f + " of " + describe(a) + " (it needs a scalar)");
      // log of a density written out: log q(x) -> the log-density itself (no exp/log round trip, no underflow), and
      // log(A e^u / (B e^v)) -> log(A / B) + u - v: exact, since e^u > 0, and finite where A e^u underflows.
      if (f == "log") return split_log(a, n);
      return make(f == "log" ? Op::log : f == "exp" ? Op::exp : Op::sqrt, Type::scalar, 1, {a}, n);
    }
    if (f == "det") {
      if (a->type == Type::scalar) return a;
      if (a->type != Type::matrix) fail(n, "\\det of " + describe(a));
      return make(Op::det, Type::scalar, 1, {a}, n);
    }
    if (f == "tr") {
      if (a->type != Type::matrix) fail(n, "the trace of " + describe(a));
      return make(Op::trace, Type::scalar, 1, {a}, n);
    }
    if (f == "cos") {
      if (a->type != Type::scalar) fail(n, "\\cos of " + describe(a) + " (it needs a scalar)");
      return make(Op::cos, Type::scalar, 1, {a}, n);
    }
    fail(n, "\\" + f + " is not supported");
  }

  // ---------- symbols
  ExprPtr symbol(const Node& n) {
    if (!n.sym.base.empty() && n.sym.base[0] == '\x01') return preset_.at(std::stoi(n.sym.base.substr(1)));
    const std::string name = symbol_name(n);
    // Variables bound by an enclosing expectation / integral.
    for (auto it = bound_.rbegin(); it != bound_.rend(); ++it)
      if (it->name == name) {
        Expr e;
        e.op = Op::bound;
        e.id = it->id;
        e.type = it->type;
        e.dim = it->dim;
        e.pos = n.begin;
        e.latex = name;
        if (it->latent) e.text = "latent";
        ExprPtr v = P(std::move(e));
        return n.sup ? power(n, v, *n.sup) : v;
      }
    // A summation or sequence index used as a number (\frac{k}{K}).
    if (!n.sub && n.sym.accents.empty() && n.sym.style.empty())
      for (auto it = indices_.rbegin(); it != indices_.rend(); ++it)
        if (it->name == n.sym.base) {
          Node bare = n;
          bare.sup.reset();
          ExprPtr v = as_scalar(index(bare));
          return n.sup ? power(n, v, *n.sup) : v;
        }
    // x^t (time as a superscript, note 004 section 2): the superscript is the step.
    if (ctx_.superscript_time && n.sup && !n.sub && n.sym.base == "x" && n.sym.accents.empty()) {
      Node s = n;
      s.sub = n.sup;
      s.sup.reset();
      return symbol(s);
    }
    if (ExprPtr lv = limit_var(n, false)) return lv;
    // Definitions: exact key, then the generic-index form v_t.
    if (ExprPtr d = defined(n)) return d;
    if (ExprPtr g = vocabulary(n)) return g;
    suggest_and_fail(n, "unknown symbol '" + name + "'");
  }

  [[noreturn]] void suggest_and_fail(const Node& n, const std::string& why) const {
    const std::string name = symbol_name(n);
    std::vector<std::string> names = vocabulary_names();
    for (const auto& [k, d] : ctx_.defines) names.push_back(k);
    for (const auto& [k, d] : ctx_.grid) names.push_back(k);
    for (const auto& b : bound_) names.push_back(b.name);
    std::string best;
    std::size_t bd = 3;
    for (const auto& c : names) {
      const auto dd = edit_distance(name, c);
      if (dd < bd) bd = dd, best = c;
    }
    // The vocabulary's functions, written without their arguments (as notes often do).
    static const std::map<std::string, std::string> calls = {
        {"\\tilde{\\mu}_{t}", "\\tilde\\mu_t(x_t, x_0)"}, {"\\mu_{\\theta}", "\\mu_\\theta(x_t, t)"},
        {"\\epsilon_{\\theta}", "\\epsilon_\\theta(x_t, t)"}, {"s_{\\theta}", "s_\\theta(x_t, t)"},
        {"\\hat{x}_{0}", "\\hat x_0(x_t, t)"}};
    if (auto it = calls.find(best); it != calls.end())
      fail(n, why + ": the vocabulary's " + it->first + " is a function: write " + it->second +
                  ", or define the bare symbol in [define] (for example '" + name + "' = '" + it->second + "')");
    fail(n, why + " (define it in [define], or see the vocabulary in docs/formulas.md)", best);
  }

  const Definition* find_definition(const Node& n, NodePtr* index_arg) const {
    if (n.sup)
      if (auto it = ctx_.defines.find(symbol_name(n) + "^" + to_latex(*n.sup)); it != ctx_.defines.end()) return &it->second;
    Node bare = n;
    bare.sup.reset();
    const std::string key = symbol_name(bare);
    if (auto it = ctx_.defines.find(key); it != ctx_.defines.end()) return &it->second;
    // A generic definition v_t takes any index or value as its subscript, but not a label (p_{data}).
    if (bare.sub && !is_label(*bare.sub)) {
      Node nosub = bare;
      nosub.sub.reset();
      if (auto it = ctx_.defines.find(symbol_name(nosub) + "_{#}"); it != ctx_.defines.end()) {
        *index_arg = bare.sub;
        return &it->second;
      }
    }
    return nullptr;
  }

  ExprPtr defined(const Node& n) {
    NodePtr index_arg;
    const Definition* d = find_definition(n, &index_arg);
    const Definition* gd = nullptr;
    if (!d) {
      Node bare = n;
      bare.sup.reset();
      if (auto it = ctx_.grid.find(symbol_name(bare)); it != ctx_.grid.end()) gd = &it->second;
    }
    if (!d && !gd) return nullptr;
    const Definition& def = d ? *d : *gd;
    if (def.kind == Definition::Kind::function) fail(n, "'" + def.key + "' is a function: call it with arguments");
    if (def.kind == Definition::Kind::recurrence) {
      if (!index_arg) fail(n, "'" + def.key + "' is a sequence: give its index, y_k");
      ExprPtr i = index(*index_arg);
      // Inside its own step, y_{k+1} (or y_{k-1}) is the neighbouring value.
      for (auto it = in_rec_.rbegin(); it != in_rec_.rend(); ++it)
        if (it->key == def.key) {
          const long off = index_offset(i, it->k);
          if (!index_comparable(i, it->k) || (off != 1 && off != -1))
            fail(n, "a step of '" + def.key + "' may use only its neighbour y_{k+1} or y_{k-1}");
          if (it->direction == 0) it->direction = off > 0 ? -1 : 1;
          else if ((off > 0 ? -1 : 1) != it->direction) fail(n, "a step uses both y_{k+1} and y_{k-1}");
          Expr e;
          e.op = Op::rec_prev;
          e.type = it->type;
          e.dim = it->dim;
          e.pos = n.begin;
          e.random = true;
          return P(std::move(e));
        }
      RecurrencePtr rec = recurrence(def, n);
      Expr e;
      e.op = Op::recurrence;
      e.type = rec->type;
      e.dim = rec->dim;
      e.rec = rec;
      e.args = {i};
      e.pos = n.begin;
      e.latex = frag(n);
      ExprPtr v = P(std::move(e));
      return n.sup ? power(n, v, *n.sup) : v;
    }
    ExprPtr v;
    bool sup_used = false;
    if (def.kind == Definition::Kind::value) {
      Expr e;
      e.op = Op::data;
      e.data = def.values;
      e.text = gd ? "grid:" + def.key : def.key;
      e.type = def.rows == 0 ? Type::scalar : def.cols == 0 ? Type::vector : Type::matrix;
      e.dim = def.rows == 0 ? 1 : def.rows;
      e.pos = n.begin;
      e.latex = def.key;
      v = P(std::move(e));
      if (def.squared) {
        if (n.sup && n.sup->kind == Kind::number && n.sup->text == "2") sup_used = true;
        else v = make(Op::sqrt, Type::scalar, 1, {v}, n);
      }
    } else {
      NodePtr body = def.body;
      if (!def.generic_index.empty() && index_arg) body = substitute(body, {{def.generic_index, index_arg}});
      try {
        v = stamp(value(*body), def.origin);
      } catch (LatexError& e) {
        if (e.origin().empty()) e.set_origin(def.origin);
        throw;
      }
      if (def.squared) {
        if (n.sup && n.sup->kind == Kind::number && n.sup->text == "2") sup_used = true;
        else v = make(Op::sqrt, Type::scalar, 1, {v}, n);
      }
    }
    if (n.sup && !sup_used && !(d && d->key.find('^') != std::string::npos)) return power(n, v, *n.sup);
    return v;
  }

  struct InRec {
    std::string key;
    ExprPtr k;
    Type type;
    int dim;
    int direction;
  };
  std::vector<InRec> in_rec_;
  bool in_step_ = false;
  int step_index_id_ = -1;
  std::map<std::string, RecurrencePtr> recurrences_;

  ExprPtr rv_step_z(const Node& n) const {
    Expr k;
    k.op = Op::index_var;
    k.type = Type::index;
    k.id = step_index_id_;
    k.text = "k";
    Expr e;
    e.op = Op::random;
    e.type = Type::vector;
    e.dim = ctx_.dim;
    e.text = "zk";
    e.args = {P(std::move(k))};
    e.random = true;
    e.pos = n.begin;
    e.latex = "z";
    return P(std::move(e));
  }

  // Resolves a recurrence once: its start, and its step with k bound and y_{k+-1} as the neighbour.
  RecurrencePtr recurrence(const Definition& def, const Node& n) {
    // Inside a limit the sequence depends on the limit's variable: resolved once per limit.
    const std::string cache_key = def.key + (limits_.empty() ? "" : "|lim:" + limits_.back().key);
    if (auto it = recurrences_.find(cache_key); it != recurrences_.end()) return it->second;
    auto rec = std::make_shared<Recurrence>();
    rec->key = def.key;
    rec->cache_key = cache_key;
    std::string part = ".from";
    try {
      rec->from = index(*def.from);
      part = ".start";
      rec->start = stamp(value(*def.start), def.origin + part);
      part = ".step";
      rec->type = rec->start->type;
      rec->dim = rec->start->dim;
      const int id = next_id_++;
      rec->index_id = id;
      indices_.push_back({def.generic_index, id});
      Expr kv;
      kv.op = Op::index_var;
      kv.type = Type::index;
      kv.id = id;
      kv.text = def.generic_index;
      in_rec_.push_back({def.key, P(std::move(kv)), rec->type, rec->dim, 0});
      const bool saved_step = in_step_;
      const int saved_id = step_index_id_;
      in_step_ = true;
      step_index_id_ = id;
      rec->step = stamp(value(*def.body), def.origin + part);
      in_step_ = saved_step;
      step_index_id_ = saved_id;
      rec->direction = in_rec_.back().direction == 0 ? -1 : in_rec_.back().direction;
      in_rec_.pop_back();
      indices_.pop_back();
    } catch (LatexError& e) {
      if (e.origin().empty()) e.set_origin(def.origin + part);
      throw;
    }
    // In 1-D a step that is arithmetic on the previous point is a number; the sequence's points stay points.
    if (rec->type == Type::vector && rec->dim == 1) rec->step = as_point(rec->step);
    if (rec->step->type != rec->type || rec->step->dim != rec->dim)
      fail(n, "the step of '" + def.key + "' gives " + describe(rec->step) + " but its start is " + describe(rec->start));
    recurrences_[cache_key] = rec;
    return rec;
  }

  // Replaces symbols (by canonical name, without scripts when the parameter has none) with argument trees.
  NodePtr substitute(const NodePtr& body, const std::vector<std::pair<std::string, NodePtr>>& subs) const {
    std::function<NodePtr(const NodePtr&)> go = [&](const NodePtr& p) -> NodePtr {
      if (!p) return p;
      if (p->kind == Kind::symbol) {
        const std::string full = symbol_name(*p);
        Node bare = *p;
        bare.sup.reset();
        for (const auto& [name, arg] : subs) {
          if (symbol_name(bare) == name) {
            if (!p->sup) return arg;
            Node pw;
            pw.kind = Kind::pow;
            pw.begin = p->begin;
            pw.end = p->end;
            Node g;
            g.kind = Kind::group;
            g.text = "(";
            g.args = {arg};
            pw.args = {std::make_shared<const Node>(g), go(p->sup)};
            return std::make_shared<const Node>(pw);
          }
          if (name.size() == 1 && p->sym.base == name && !p->sub && p->sym.accents.empty() && p->sym.style.empty() && !p->sup)
            return arg;
        }
        (void)full;
      }
      Node c = *p;
      for (auto& a : c.args) a = go(a);
      // A subscript that is a word (p_{data}) is a label: its letters are not the parameters.
      if (!(c.sub && is_label(*c.sub))) c.sub = go(c.sub);
      c.sup = go(c.sup);
      return std::make_shared<const Node>(c);
    };
    return go(body);
  }

  // ---------- the vocabulary
  ExprPtr sched(const std::string& what, ExprPtr step, const Node& n) const {
    if (!ctx_.schedule) fail(n, "'" + frag(n) + "' needs a [schedule] in the case");
    Expr e = *make(Op::schedule, Type::scalar, 1, {std::move(step)}, n, what);
    e.latex = frag(n);
    return P(std::move(e));
  }
  ExprPtr rv(const std::string& what, ExprPtr step, const Node& n) const {
    if (!ctx_.mixture && (what == "x")) fail(n, "'" + frag(n) + "' needs a [mixture] (the data distribution) in the case");
    if (!ctx_.schedule && step && what != "z" && !(what == "x" && index_is(step, 0)))
      fail(n, "'" + frag(n) + "' needs a [schedule] in the case");
    Expr e;
    e.op = Op::random;
    e.type = Type::vector;
    e.dim = ctx_.dim;
    e.text = what;
    if (step) e.args = {step};
    e.random = true;
    e.pos = n.begin;
    e.latex = frag(n);
    return P(std::move(e));
  }

  ExprPtr vocabulary(const Node& n) {
    const std::string c = core_name(n);
    const bool has_sub = bool(n.sub);
    ExprPtr v;
    bool sup_used = false;
    auto step_of = [&]() { return index(*n.sub); };
    if (c == "pi" && !has_sub) v = make(Op::pi, Type::scalar, 1, {}, n);
    else if ((c == "t" || c == "T" || c == "d") && !has_sub) v = as_scalar(index(n.sup ? [&] { Node b = n; b.sup.reset(); return b; }() : n));
    else if (c == "e" && !has_sub && n.sup) {
      ExprPtr x = as_scalar(value(*n.sup));
      if (x->type != Type::scalar) fail(n, "e^{...} needs a scalar exponent");
      return make(Op::exp, Type::scalar, 1, {x}, n);
    } else if (c == "e" && !has_sub) v = make(Op::exp, Type::scalar, 1, {number(1)}, n);
    else if (c == "beta" && has_sub) v = sched("beta", step_of(), n);
    else if (c == "alpha" && has_sub) v = sched("alpha", step_of(), n);
    else if ((c == "bar alpha") && has_sub) v = sched("alpha_bar", step_of(), n);
    else if (c == "tilde beta" && has_sub) v = sched("beta_tilde", step_of(), n);
    else if (c == "sigma" && has_sub && looks_like_index(*n.sub)) {
      // sigma_t^2: the reverse model's variance, as the case's [model] sigma2 chooses.
      ExprPtr s2 = sched("sigma2", step_of(), n);
      if (n.sup && n.sup->kind == Kind::number && n.sup->text == "2") {
        v = s2;
        sup_used = true;
      } else {
        v = make(Op::sqrt, Type::scalar, 1, {s2}, n);
      }
    } else if (c == "x" && has_sub) v = rv("x", step_of(), n);
    else if ((c == "epsilon" || c == "varepsilon") && !has_sub) {
      if (!ctx_.schedule) fail(n, "'\\epsilon' (the noise of x_t) needs a [schedule] in the case");
      v = rv("eps", t_index(n), n);
    } else if ((c == "epsilon" || c == "varepsilon") && has_sub && looks_like_index(*n.sub)) v = rv("eps", step_of(), n);
    else if (c == "z" && !has_sub && !in_step_ && has_latent())
      fail(n, "'z' is the discrete latent in this case (a [define]d law of z): bind it, \\mathbb{E}_{z \\sim q(z \\mid x)}[...], "
              "\\int ... dz or \\sum_{z=1}^{K}; a standard normal needs another name here");
    else if (c == "z" && !has_sub) v = in_step_ ? rv_step_z(n) : rv("z", nullptr, n);
    else if (ExprPtr lv = latent_vocabulary(n, c)) return lv;
    else if (c == "U" && !has_sub) v = uniform_rv(n);
    else if (c == "p" && has_sub && (word_of(*n.sub) == "data" || (n.sub->kind == Kind::symbol && n.sub->sym.style == "rm" && n.sub->sym.base == "data"))) {
      Expr e;
      e.op = Op::number;
      e.type = Type::distribution;
      e.dists = {data_law(n)};
      e.pos = n.begin;
      v = P(std::move(e));
    }
    else if (c == "W" && has_sub) v = rv("W", step_of(), n);
    else if (c == "I" && !has_sub) {
      Expr e;
      e.op = Op::identity;
      e.type = Type::matrix;
      e.dim = ctx_.dim;
      e.pos = n.begin;
      v = P(std::move(e));
    }
    if (!v) return nullptr;
    if (n.sup && !sup_used) return power(n, v, *n.sup);
    return v;
  }

  // U: a uniform random variable on (0, 1), one per draw (the same value wherever it appears in the draw, sequences
  // included); with F^{-1}_P(U) it gives an exact draw of P, and several laws' quantiles of one U are coupled
  // monotonically (the quantile coupling).
  ExprPtr uniform_rv(const Node& n) const {
    Expr e;
    e.op = Op::random;
    e.type = Type::scalar;
    e.dim = 1;
    e.text = "U";
    e.random = true;
    e.pos = n.begin;
    e.latex = "U";
    return P(std::move(e));
  }

  // F^{-1}_P or F_P^{-1} (superscript -1, the law in the subscript), or \operatorname{quantile}_P.
  static bool is_minus_one(const Node& s) {
    const Node* n = &s;
    while (n->kind == Kind::group) n = n->args[0].get();
    if (n->kind == Kind::number) return n->text == "-1";
    return n->kind == Kind::neg && n->args[0]->kind == Kind::number && n->args[0]->text == "1";
  }
  static bool is_quantile_name(const Node& f) {
    if (f.sym.style == "rm" && f.sym.base == "quantile") return true;
    return f.sym.base == "F" && f.sym.style.empty() && f.sym.accents.empty() && !f.sym.star && f.sup && is_minus_one(*f.sup);
  }

  ExprPtr quantile(const Node& n, const Node& f, const std::vector<NodePtr>& args) {
    if (!f.sub)
      fail(n, "the quantile function F^{-1}_P(u) names its law in the subscript, e.g. F^{-1}_{\\mathcal N(0, 1)}(u) or "
              "F^{-1}_{p_{data} * \\mathcal N(0, \\tau^2)}(U)");
    if (args.size() != 1 || !n.seps.empty()) fail(n, "the quantile function F^{-1}_P(u) takes one argument, u in (0, 1)");
    DistPtr L = law_of(*f.sub).first;
    if (L->dim != 1)
      fail(*f.sub, "the quantile function F^{-1}_P is defined for laws on the real line; this law has dimension " +
                       std::to_string(L->dim) + " (project it first, or use a 1-D mixture)");
    const bool known = L->kind == Dist::Kind::data || L->kind == Dist::Kind::marginal || L->kind == Dist::Kind::diffused ||
                       (L->kind == Dist::Kind::gaussian && L->cov && L->cov->type == Type::scalar);
    if (!known)
      fail(*f.sub, "the quantile of '" + frag(*f.sub) + "' is not available (known for \\mathcal N(m, v), p_{data}, "
                   "p_{data} * \\mathcal N(0, v) and the marginals q(x_s))");
    ExprPtr u = value(*args[0]);
    check_numeric(*args[0], u);
    u = as_scalar(u);
    if (u->type != Type::scalar) fail(*args[0], "the quantile's argument must be a number in (0, 1), not " + describe(u));
    if (u->op == Op::number && !(u->value > 0 && u->value < 1))
      fail(*args[0], "the quantile's argument u = " + frag(*args[0]) + " is outside (0, 1) (F^{-1}(0) and F^{-1}(1) are infinite)");
    Expr e;
    e.op = Op::quantile;
    e.type = Type::scalar;
    e.args = {u};
    e.dists = {L};
    e.pos = n.begin;
    e.latex = frag(n);
    return P(std::move(e));
  }

  // \mathbb{1}[a < b] (a chain a < b < c: the product of its comparisons); P(A) = E[1[A]] over every random variable.
  ExprPtr indicator(const Node& n) {
    const Node& ev = *n.args[0];
    if (n.text == "P") {
      Node one = n;
      one.text = "1";
      Node ex;
      ex.kind = Kind::expect;
      ex.args = {std::make_shared<const Node>(std::move(one))};
      ex.begin = n.begin;
      ex.end = n.end;
      ExprPtr body = indicator(*ex.args[0]);
      if (!body->random && !body->mc)
        fail(n, "P(" + frag(ev) + ") of an event that does not depend on the draw (write \\mathbb{1}[...] for a fixed condition)");
      return value(ex);
    }
    if (ev.kind != Kind::relation) fail(n, "an indicator needs an event with a comparison: \\mathbb{1}[X < c]");
    ExprPtr out;
    for (std::size_t i = 0; i + 1 < ev.args.size(); ++i) {
      const std::string& op = ev.seps[i];
      if (op != "<" && op != "<=" && op != ">" && op != ">=" && op != "=" && op != "!=")
        fail(ev, "an indicator's event compares with <, \\le, >, \\ge, = or \\ne (not '" + op + "')");
      ExprPtr a = as_scalar(value(*ev.args[i])), b = as_scalar(value(*ev.args[i + 1]));
      check_numeric(*ev.args[i], a);
      check_numeric(*ev.args[i + 1], b);
      if (a->type != Type::scalar || b->type != Type::scalar)
        fail(ev, "an indicator compares numbers (" + describe(a) + " and " + describe(b) + " given); compare a component or a norm");
      ExprPtr one = make(Op::indicator, Type::scalar, 1, {a, b}, n, op);
      out = out ? make(Op::mul, Type::scalar, 1, {out, one}, n) : one;
    }
    return out;
  }

  ExprPtr t_index(const Node& n) const {
    Expr e;
    e.op = Op::index_var;
    e.type = Type::index;
    e.text = "t";
    e.pos = n.begin;
    return P(std::move(e));
  }

  // ---------- calls: functions, densities, laws, the model
  struct CallParts {
    const Node* callee;
    std::vector<NodePtr> args;
    std::vector<std::string> seps;
  };

  // Var(f) with no conditioning, f a scalar: E[f^2] - E[f]^2, both expectations on the same draws (so its standard
  // error comes from the delta method like any formula of expectations). A vector's covariance is read one direction
  // at a time, Var(u^\top X).
  ExprPtr plain_variance(const Node& n, const NodePtr& f) {
    auto node = [&](Kind k, std::vector<NodePtr> a, std::string text) {
      Node m;
      m.kind = k;
      m.args = std::move(a);
      m.text = std::move(text);
      m.begin = n.begin;
      m.end = n.end;
      return std::make_shared<const Node>(std::move(m));
    };
    const NodePtr two = node(Kind::number, {}, "2");
    const NodePtr second = node(Kind::expect, {node(Kind::pow, {node(Kind::group, {f}, "("), two}, "")}, "");
    const NodePtr mean_sq = node(Kind::pow, {node(Kind::expect, {f}, ""), two}, "");
    ExprPtr body = as_scalar(value(*f));
    if (body->type != Type::scalar)
      fail(n, "\\operatorname{Var}(f) without conditioning takes a scalar f (" + describe(body) +
                  " given); read a vector's covariance one direction at a time: \\operatorname{Var}(u^\\top X)");
    if (!body->random) fail(n, "\\operatorname{Var}(f) of a quantity that is not random (it would be 0)");
    return value(*node(Kind::sub, {second, mean_sq}, ""));
  }

  ExprPtr call(const Node& n) {
    const Node& f = *n.args[0];
    std::vector<NodePtr> args(n.args.begin() + 1, n.args.end());
    const std::string fname = symbol_name(f);
    // User functions first.
    {
      Node bare = f;
      bare.sup.reset();
      auto it = f.sup ? ctx_.defines.find(symbol_name(f) + "^" + to_latex(*f.sup)) : ctx_.defines.end();
      const bool labelled = it != ctx_.defines.end() && it->second.kind == Definition::Kind::function;
      if (!labelled) it = ctx_.defines.find(symbol_name(bare));
      if (it != ctx_.defines.end() && it->second.kind == Definition::Kind::function) {
        const Definition& d = it->second;
        // q(z \mid x) at a value of the latent: the entry of its table (the same numbers as the law it defines).
        if (has_latent() && !d.params.empty() && symbol_name(*d.params[0]) == "z" && args.size() == d.params.size() &&
            latent_syntax(*args[0]))
          if (ExprPtr k = latent_arg(*args[0])) {
            ExprPtr v = make(Op::component, Type::scalar, 1, {k, latent_table(d, n)}, n, "entry");
            return f.sup && !labelled ? power(f, v, *f.sup) : v;
          }
        for (const auto& s : n.seps)
          if (s != "," && s != "|") fail(n, "a function's arguments are separated by commas (or a bar, q(z \\mid x))");
        if (args.size() != d.params.size())
          fail(n, "'" + d.key + "' takes " + std::to_string(d.params.size()) + " argument(s), got " + std::to_string(args.size()));
        std::vector<std::pair<std::string, NodePtr>> subs;
        for (std::size_t i = 0; i < args.size(); ++i) {
          Node g;
          g.kind = Kind::group;
          g.text = "(";
          g.args = {args[i]};
          g.begin = args[i]->begin;
          g.end = args[i]->end;
          subs.push_back({symbol_name(*d.params[i]), std::make_shared<const Node>(g)});
        }
        ExprPtr v;
        try {
          v = stamp(value(*substitute(d.body, subs)), d.origin);
        } catch (LatexError& e) {
          if (e.origin().empty()) e.set_origin(d.origin);
          throw;
        }
        return f.sup && !labelled ? power(f, v, *f.sup) : v;
      }
    }
    const std::string w = word_of(f);
    const std::string sub_word = f.sub ? word_of(*f.sub) : "";
    if (f.sym.style == "rm" && f.sym.base == "Var" && !f.sub && args.size() == 1 && n.seps.empty()) return plain_variance(n, args[0]);
    if (f.sym.style == "rm" && f.sym.base == "Cat" && !f.sub) return categorical_of_vector(n, args);
    // \Phi(z): the standard normal CDF (unless the case defines \Phi).
    if (core_name(f) == "Phi" && !f.sub) {
      if (args.size() != 1 || !n.seps.empty()) fail(n, "\\Phi (the standard normal CDF) takes one argument");
      ExprPtr a = value(*args[0]);
      check_numeric(*args[0], a);
      a = as_scalar(a);
      if (a->type != Type::scalar) fail(n, "\\Phi of " + describe(a) + " (the standard normal CDF needs a scalar)");
      ExprPtr v = make(Op::norm_cdf, Type::scalar, 1, {a}, n);
      return f.sup ? power(f, v, *f.sup) : v;
    }
    // F^{-1}_P(u), \operatorname{quantile}_P(u): the quantile function of a 1-D law (unless the case defines F).
    if (is_quantile_name(f)) {
      ExprPtr v = quantile(n, f, args);
      return f.sup && !(f.sym.base == "F") ? power(f, v, *f.sup) : v;
    }
    // Var[x_0 | x_t], Var[x_{t-1} | x_t]: the exact posterior covariance (a matrix; a number in one dimension).
    if (f.sym.style == "rm" && (f.sym.base == "Var" || f.sym.base == "Cov") && !f.sub) {
      if (args.size() != 2 || n.seps.size() != 1 || n.seps[0] != "|")
        fail(n, "\\mathrm{Var}[f \\mid x_t] takes one variable and its conditioning (only conditional variances are exact)");
      NodePtr ti = step_of_x(*args[0]), si = step_of_x(*args[1]);
      if (!ti || !si) fail(n, "\\mathrm{Var}[x_s \\mid x_t] is known for x_0 or x_{t-1} given x_t");
      ExprPtr i = index(*ti), s = index(*si), at = as_point(value(*args[1]));
      std::string what;
      if (index_is(i, 0)) what = "x0";
      else if (index_comparable(i, s) && index_offset(s, i) == 1) what = "xprev";
      else fail(n, "\\mathrm{Var}[x_s \\mid x_t] is known for x_0 or x_{t-1} given x_t");
      if (!ctx_.mixture || !ctx_.schedule) fail(n, "the exact posterior needs a [mixture] and a [schedule]");
      Expr e;
      e.op = Op::post_cov;
      e.type = ctx_.dim == 1 ? Type::scalar : Type::matrix;
      e.dim = ctx_.dim;
      e.text = what;
      e.args = {s, at};
      e.pos = n.begin;
      return P(std::move(e));
    }
    // \epsilon^*(x, s): the exact noise predictor E[eps_s | x_s = x].
    if ((core_name(f) == "epsilon*" || core_name(f) == "varepsilon*") && !f.sub) {
      if (args.size() != 2) fail(n, "\\epsilon^*(x, s) takes a point and a step");
      ExprPtr a = as_point(value(*args[0]));
      if (a->type != Type::vector || a->dim != ctx_.dim) fail(*args[0], "\\epsilon^*'s first argument must be a point of dimension " + std::to_string(ctx_.dim));
      return post_mean("eps", index(*args[1]), a, n);
    }
    // \operatorname{tr}(A), \mathrm{det}(A): the named functions written as words.
    if (f.sym.style == "rm" && !f.sub && (f.sym.base == "tr" || f.sym.base == "det" || f.sym.base == "log" || f.sym.base == "exp")) {
      if (args.size() != 1 || !n.seps.empty()) fail(n, "\\" + f.sym.base + " takes one argument");
      Node fn;
      fn.kind = Kind::func;
      fn.text = f.sym.base;
      fn.begin = n.begin;
      fn.end = n.end;
      Node g;
      g.kind = Kind::group;
      g.text = "(";
      g.args = {args[0]};
      fn.args = {std::make_shared<const Node>(g)};
      ExprPtr v = function(fn);
      return f.sup ? power(f, v, *f.sup) : v;
    }
    // KL divergences.
    if ((f.sym.base == "D" && f.sub && (sub_word == "KL" || (f.sub->kind == Kind::symbol && f.sub->sym.base == "KL"))) ||
        f.sym.base == "KL") {
      if (n.args.size() != 3 || n.seps.size() != 1 || n.seps[0] != "||")
        fail(n, "a KL divergence is written D_{KL}(P \\| Q) with two laws");
      return kl(n, *n.args[1], *n.args[2]);
    }
    // Densities and laws.
    if (f.sym.base == "N" && f.sym.style == "cal") return normal(n, args);
    if (f.sym.base == "SNR" && !f.sub) {
      if (args.size() != 1) fail(n, "SNR(t) takes one step");
      ExprPtr ab = sched("alpha_bar", index(*args[0]), n);
      return make(Op::div, Type::scalar, 1, {ab, make(Op::sub, Type::scalar, 1, {number(1), ab}, n)}, n);
    }
    // A [define]d law (q = \mathcal N(...), p_\tau = p_{data} * \mathcal N(0, \tau^2)) evaluated at a point.
    if (ExprPtr L = defined_law(f)) {
      if (args.size() != 1 || !n.seps.empty()) fail(n, "a law defined in [define] is evaluated at one point: q(x)");
      ExprPtr v = density_of(L->dists[0], as_point(value(*args[0])), n);
      return f.sup ? power(f, v, *f.sup) : v;
    }
    if (is_density_name(f)) return density_value(n, f, args);
    // The model: epsilon_theta, mu_theta, s_theta, \hat x_0.
    if (ExprPtr m = model_function(n, f, args)) return f.sup ? power(f, m, *f.sup) : m;
    // mu_tilde_t(x_t, x_0): the exact posterior mean (Bayes' rule).
    if (core_name(f) == "tilde mu" && f.sub && args.size() == 2) {
      ExprPtr a = value(*args[0]), b = value(*args[1]);
      return posterior_step_mean(index(*f.sub), a, b, n);
    }
    (void)fname;
    (void)w;
    // Not a function: juxtaposition with brackets, beta_t (x) = beta_t x.
    if (args.size() == 1 && n.seps.empty()) {
      ExprPtr a = value(f);
      ExprPtr b = value(*args[0]);
      Node fake;
      fake.kind = Kind::mul;
      fake.text = "implicit";
      fake.begin = n.begin;
      fake.end = n.end;
      Node ga;
      ga.kind = Kind::group;
      ga.text = "(";
      ga.args = {args[0]};
      ga.begin = args[0]->begin;
      ga.end = args[0]->end;
      NodePtr rhs = std::make_shared<const Node>(ga);
      if (juxt_pow_ && juxt_pow_->args[0].get() == &n) {
        Node pw;
        pw.kind = Kind::pow;
        pw.begin = ga.begin;
        pw.end = juxt_pow_->end;
        pw.args = {rhs, juxt_pow_->args[1]};
        rhs = std::make_shared<const Node>(pw);
        juxt_pow_done_ = true;
      }
      fake.args = {n.args[0], rhs};
      return product(fake);
    }
    suggest_and_fail(f, "'" + symbol_name(f) + "' is not a known function or law");
  }

  // A [define]d symbol whose value is a law, or null. A definition may call the vocabulary function of the same
  // name (\hat x_0 = \hat x_0(x_t, t)): while its own body is being read, it is not a law.
  std::set<std::string> reading_laws_;
  ExprPtr defined_law(const Node& f) {
    NodePtr idx;
    Node bare = f;
    bare.sup.reset();
    const Definition* d = find_definition(bare, &idx);
    if (!d || d->kind != Definition::Kind::expression || reading_laws_.count(d->key)) return nullptr;
    reading_laws_.insert(d->key);
    ExprPtr v;
    try {
      v = defined(bare);
    } catch (...) {
      reading_laws_.erase(d->key);
      throw;
    }
    reading_laws_.erase(d->key);
    return v && v->type == Type::distribution ? v : nullptr;
  }

  static bool is_density_name(const Node& f) {
    if (f.sym.style == "cal" || !f.sym.accents.empty()) return false;
    return f.sym.base == "q" || f.sym.base == "p";
  }

  // x_i (as written in a density's argument list): the step i, or null.
  NodePtr step_of_x(const Node& a) const {
    const Node* s = &a;
    if (s->kind == Kind::group) s = s->args[0].get();
    if (s->kind != Kind::symbol || s->sym.base != "x" || !s->sym.accents.empty()) return nullptr;
    if (s->sub) return s->sub;
    if (ctx_.superscript_time && s->sup) return s->sup;
    return nullptr;
  }

  // The law named by q(x_i | x_j, ...), p_theta(x_i | x_j), p(x_T), p_data, p_t(.), q(x_i):
  // returns the law of the first argument, with the conditioning values resolved.
  DistPtr named_law(const Node& n, const Node& f, const std::vector<NodePtr>& args, const std::vector<std::string>& seps) {
    const std::string sub = f.sub ? word_of(*f.sub) : "";
    const bool theta = f.sub && f.sub->kind == Kind::symbol && f.sub->sym.base == "theta";
    std::vector<NodePtr> target, given;
    bool after_bar = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i > 0 && seps[i - 1] == "|") after_bar = true;
      else if (i > 0 && seps[i - 1] != ",") fail(n, "a density is written q(x | y, z)");
      (after_bar ? given : target).push_back(args[i]);
    }
    if (target.size() != 1) fail(n, "a density of several variables (or of a trajectory) is not supported here");
    // p_data(x), q(x_0), p_0(x): the data distribution.
    if (f.sym.base == "p" && (sub == "data" || (f.sub && f.sub->kind == Kind::symbol && f.sub->sym.style == "rm" && f.sub->sym.base == "data"))) {
      if (!given.empty()) fail(n, "p_data takes no conditioning");
      return data_law(n);
    }
    // p_s(x): the marginal at step s, of any argument.
    if (f.sym.base == "p" && f.sub && !theta && looks_like_index(*f.sub) && given.empty()) return marginal_law(index(*f.sub), n);
    NodePtr ti = step_of_x(*target[0]);
    if (!ti) fail(*target[0], "the variable of a named density must be x with its step (x_t, x_{t-1}, x_0)");
    ExprPtr i = index(*ti);
    std::vector<std::pair<ExprPtr, ExprPtr>> cond;  // (step, value)
    for (const auto& g : given) {
      NodePtr gi = step_of_x(*g);
      if (!gi) fail(*g, "a named density conditions on x at some step (x_t, x_0)");
      cond.push_back({index(*gi), as_point(value(*g))});
    }
    auto is_prev = [&](const ExprPtr& a, const ExprPtr& b) { return index_offset(b, a) == 1; };  // a = b - 1
    auto is_zero = [&](const ExprPtr& a) { return index_is(a, 0); };
    // Notes write p for the forward process's conditionals too: p(x_t | x_0), p(x_t | x_{t-1}), p(x_{t-1} | x_t, x_0),
    // p(x_0 | x_t) are q's (p(x_{t-1} | x_t) is the exact reverse step either way).
    const bool p_as_q = f.sym.base == "p" && !theta && !f.sub && !cond.empty() && !(cond.size() == 1 && is_prev(i, cond[0].first));
    if (f.sym.base == "p" && (theta || !f.sub) && !p_as_q) {
      if (cond.empty()) {
        if (index_is_T(i)) return prior_law(n);  // p(x_T) = N(0, I)
        if (!theta) return marginal_law(i, n);   // p(x_t): the marginal
        fail(n, "p_theta(x_t) (the model's marginal) has no closed form; only p_theta(x_{t-1} | x_t) and p(x_T) are known");
      }
      if (theta && cond.size() == 1 && is_prev(i, cond[0].first)) return model_step_law(cond[0].first, cond[0].second, n);
      if (!theta && cond.size() == 1 && is_prev(i, cond[0].first)) return reverse_law(cond[0].first, cond[0].second, n);
      fail(n, "unknown law '" + frag(n) + "' (known: p(x_T), p_\\theta(x_{t-1} | x_t), p(x_t), p_{data}(x))");
    }
    if ((f.sym.base == "q" || p_as_q) && !f.sub) {
      if (cond.empty()) return is_zero(i) ? data_law(n) : marginal_law(i, n);
      if (cond.size() == 1) {
        const auto& [j, xj] = cond[0];
        if (index_offset(i, j) > 0 || !index_comparable(i, j)) {
          // forward: x_i | x_j with i > j
          return forward_law(i, j, xj, n);
        }
        if (is_prev(i, j)) return reverse_law(j, xj, n);
        if (is_zero(i)) return posterior_x0_law(j, xj, n);
      }
      if (cond.size() == 2) {
        // q(x_{t-1} | x_t, x_0) in either order.
        int a = 0, b = 1;
        if (is_zero(cond[0].first)) std::swap(a, b);
        if (is_zero(cond[b].first) && is_prev(i, cond[a].first)) return posterior_step_law(cond[a].first, cond[a].second, cond[b].second, n);
      }
      fail(n, "unknown law '" + frag(n) + "' (known: q(x_t | x_0), q(x_t | x_{t-1}), q(x_{t-1} | x_t, x_0), q(x_{t-1} | x_t), q(x_0 | x_t), q(x_t))");
    }
    // A user-defined law symbol used as a density: q_\phi(x) etc.
    fail(n, "unknown density '" + frag(f) + "'");
  }

  // Index arithmetic for recognising law patterns: offset b - a when both are var + constant with the same var.
  static bool affine_index(const ExprPtr& e, std::string& var, long& off) {
    if (e->op == Op::number && e->type == Type::index) {
      var = "";
      off = static_cast<long>(e->value);
      return true;
    }
    if (e->op == Op::index_var) {
      var = e->text + "#" + std::to_string(e->id);
      off = 0;
      return true;
    }
    if ((e->op == Op::add || e->op == Op::sub) && e->type == Type::index) {
      std::string v1, v2;
      long o1, o2;
      if (!affine_index(e->args[0], v1, o1) || !affine_index(e->args[1], v2, o2)) return false;
      if (!v2.empty()) {
        if (e->op == Op::add && v1.empty()) {
          var = v2;
          off = o1 + o2;
          return true;
        }
        return false;
      }
      var = v1;
      off = e->op == Op::add ? o1 + o2 : o1 - o2;
      return true;
    }
    return false;
  }
  static long index_offset(const ExprPtr& a, const ExprPtr& b) {  // a - b, or 0 when not comparable
    std::string va, vb;
    long oa, ob;
    if (!affine_index(a, va, oa) || !affine_index(b, vb, ob) || va != vb) return 0;
    return oa - ob;
  }
  static bool index_comparable(const ExprPtr& a, const ExprPtr& b) {
    std::string va, vb;
    long oa, ob;
    return affine_index(a, va, oa) && affine_index(b, vb, ob) && va == vb;
  }
  static bool index_is(const ExprPtr& a, long v) {
    std::string va;
    long oa;
    return affine_index(a, va, oa) && va.empty() && oa == v;
  }
  static bool index_is_T(const ExprPtr& a) { return a->op == Op::index_var && a->text == "T"; }

  DistPtr law(Dist d) const { return std::make_shared<const Dist>(std::move(d)); }
  DistPtr data_law(const Node& n) const {
    if (!ctx_.mixture) fail(n, "the data distribution needs a [mixture] in the case");
    Dist d;
    d.kind = Dist::Kind::data;
    d.dim = ctx_.dim;
    d.latex = "p_{data}";
    return law(d);
  }
  DistPtr marginal_law(ExprPtr step, const Node& n) const {
    if (!ctx_.mixture || !ctx_.schedule) fail(n, "the marginal q(x_t) needs a [mixture] and a [schedule]");
    Dist d;
    d.kind = Dist::Kind::marginal;
    d.step = step;
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }
  DistPtr prior_law(const Node& n) const {
    Dist d;
    d.kind = Dist::Kind::gaussian;
    d.mean = zero_vector(n);
    d.cov = number(1);
    d.dim = ctx_.dim;
    d.latex = "p(x_T)";
    return law(d);
  }
  ExprPtr zero_vector(const Node& n) const {
    Expr e;
    e.op = Op::data;
    e.type = Type::vector;
    e.dim = ctx_.dim;
    e.data.assign(static_cast<std::size_t>(ctx_.dim), 0.0);
    e.text = "0";
    e.pos = n.begin;
    return P(std::move(e));
  }
  // x_i | x_j = v, i > j: N(sqrt(abar_i / abar_j) v, (1 - abar_i / abar_j) I).
  DistPtr forward_law(ExprPtr i, ExprPtr j, ExprPtr v, const Node& n) const {
    ExprPtr ai = sched("alpha_bar", i, n), aj = sched("alpha_bar", j, n);
    ExprPtr ratio = make(Op::div, Type::scalar, 1, {ai, aj}, n);
    Dist d;
    d.kind = Dist::Kind::gaussian;
    d.mean = make(Op::mul, Type::vector, ctx_.dim, {make(Op::sqrt, Type::scalar, 1, {ratio}, n), v}, n);
    d.cov = make(Op::sub, Type::scalar, 1, {number(1), ratio}, n);
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }
  // Bayes' rule for x_{s-1} given x_s = a and x_0 = b (prior N(sqrt(abar_{s-1}) b, (1 - abar_{s-1}) I), observation
  // x_s = sqrt(alpha_s) x_{s-1} + sqrt(beta_s) n): the Kalman gain and variance, not the notes' closed form.
  ExprPtr posterior_step_mean(ExprPtr s, ExprPtr a, ExprPtr b, const Node& n) const {
    a = as_point(a);
    b = as_point(b);
    if (a->type != Type::vector || b->type != Type::vector) fail(n, "\\tilde\\mu_t(x_t, x_0) takes two vectors");
    ExprPtr prior_mean = make(Op::mul, Type::vector, ctx_.dim, {make(Op::sqrt, Type::scalar, 1, {sched("alpha_bar", prev(s), n)}, n), b}, n);
    ExprPtr gain = sched("gain", s, n);
    ExprPtr innov = make(Op::sub, Type::vector, ctx_.dim, {a, make(Op::mul, Type::vector, ctx_.dim, {make(Op::sqrt, Type::scalar, 1, {sched("alpha", s, n)}, n), prior_mean}, n)}, n);
    return make(Op::add, Type::vector, ctx_.dim, {prior_mean, make(Op::mul, Type::vector, ctx_.dim, {gain, innov}, n)}, n);
  }
  ExprPtr prev(ExprPtr s) const {
    Expr e;
    e.op = Op::sub;
    e.type = Type::index;
    e.args = {s, index_const(1)};
    e.pos = s->pos;
    return P(std::move(e));
  }
  DistPtr posterior_step_law(ExprPtr s, ExprPtr a, ExprPtr b, const Node& n) const {
    Dist d;
    d.kind = Dist::Kind::gaussian;
    d.mean = posterior_step_mean(s, a, b, n);
    d.cov = sched("post_var", s, n);
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }
  DistPtr reverse_law(ExprPtr s, ExprPtr given, const Node& n) const {
    if (!ctx_.mixture || !ctx_.schedule) fail(n, "the reverse step q(x_{t-1} | x_t) needs a [mixture] and a [schedule]");
    Dist d;
    d.kind = Dist::Kind::reverse;
    d.step = s;
    d.given = given;
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }
  DistPtr posterior_x0_law(ExprPtr s, ExprPtr given, const Node& n) const {
    if (!ctx_.mixture || !ctx_.schedule) fail(n, "the posterior q(x_0 | x_t) needs a [mixture] and a [schedule]");
    Dist d;
    d.kind = Dist::Kind::posterior_x0;
    d.step = s;
    d.given = given;
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }
  // p_theta(x_{s-1} | x_s = a) = N(mu_theta(a, s), sigma_s^2 I).
  DistPtr model_step_law(ExprPtr s, ExprPtr a, const Node& n) {
    Dist d;
    d.kind = Dist::Kind::gaussian;
    d.mean = model_mean(s, a, n);
    d.cov = sched("sigma2", s, n);
    d.dim = ctx_.dim;
    d.latex = frag(n);
    return law(d);
  }

  // The model's functions. Defaults (the case may [define] any of them): eps_theta(x, s) = E[eps_s | x_s = x]
  // (the exact optimum), mu_theta(x, s) = (x - beta_s / sqrt(1 - abar_s) eps_theta(x, s)) / sqrt(alpha_s) (Ho et al.'s
  // parameterisation), s_theta(x, s) = -eps_theta(x, s) / sqrt(1 - abar_s), \hat x_0(x, s) = (x - sqrt(1 - abar_s)
  // eps_theta(x, s)) / sqrt(abar_s).
  ExprPtr user_call(const std::string& key, std::vector<NodePtr> args, const Node& n) {
    auto it = ctx_.defines.find(key);
    if (it == ctx_.defines.end() || it->second.kind != Definition::Kind::function) return nullptr;
    Node c;
    c.kind = Kind::call;
    c.begin = n.begin;
    c.end = n.end;
    Node f = *parse_formula(key);
    c.args.push_back(std::make_shared<const Node>(f));
    for (auto& a : args) c.args.push_back(a);
    c.seps.assign(args.size() > 0 ? args.size() - 1 : 0, ",");
    return call(c);
  }
  ExprPtr eps_theta(ExprPtr s, ExprPtr a, const Node& n) {
    if (ctx_.defines.count("\\epsilon_{\\theta}")) {
      // Defined by the case: call it with nodes that resolve to these values.
      return call_defined("\\epsilon_{\\theta}", {a, s}, n);
    }
    return post_mean("eps", s, a, n);
  }
  ExprPtr call_defined(const std::string& key, std::vector<ExprPtr> vals, const Node& n) {
    const Definition& d = ctx_.defines.at(key);
    if (d.params.size() != vals.size())
      fail(n, "'" + key + "' must take " + std::to_string(vals.size()) + " parameters (x, s) to serve as the model");
    // Bind the parameters as pre-resolved values through temporary defines of a private scope.
    std::vector<std::pair<std::string, NodePtr>> subs;
    std::vector<BoundVar> saved = bound_;
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const std::string pname = symbol_name(*d.params[i]);
      const int id = next_id_++;
      preset_[id] = vals[i];
      Node marker;
      marker.kind = Kind::symbol;
      marker.sym.base = "\x01" + std::to_string(id);
      subs.push_back({pname, std::make_shared<const Node>(marker)});
    }
    ExprPtr out;
    try {
      out = stamp(value(*substitute(d.body, subs)), d.origin);
    } catch (LatexError& e) {
      if (e.origin().empty()) e.set_origin(d.origin);
      throw;
    }
    bound_ = saved;
    return out;
  }
  std::map<int, ExprPtr> preset_;
  const Node* juxt_pow_ = nullptr;  // the power node whose base is the call being resolved (see Kind::pow)
  bool juxt_pow_done_ = false;

  ExprPtr post_mean(const std::string& what, ExprPtr s, ExprPtr at, const Node& n) const {
    if (!ctx_.mixture || !ctx_.schedule) fail(n, "the exact posterior needs a [mixture] and a [schedule]");
    Expr e;
    e.op = Op::post_mean;
    e.type = Type::vector;
    e.dim = ctx_.dim;
    e.text = what;
    e.args = {s, at};
    e.pos = n.begin;
    return P(std::move(e));
  }
  ExprPtr model_mean(ExprPtr s, ExprPtr a, const Node& n) {
    if (ctx_.defines.count("\\mu_{\\theta}")) return call_defined("\\mu_{\\theta}", {a, s}, n);
    ExprPtr eps = eps_theta(s, a, n);
    ExprPtr coef = make(Op::div, Type::scalar, 1,
                        {sched("beta", s, n), make(Op::sqrt, Type::scalar, 1, {make(Op::sub, Type::scalar, 1, {number(1), sched("alpha_bar", s, n)}, n)}, n)}, n);
    ExprPtr inner = make(Op::sub, Type::vector, ctx_.dim, {a, make(Op::mul, Type::vector, ctx_.dim, {coef, eps}, n)}, n);
    return make(Op::div, Type::vector, ctx_.dim, {inner, make(Op::sqrt, Type::scalar, 1, {sched("alpha", s, n)}, n)}, n);
  }

  ExprPtr model_function(const Node& n, const Node& f, const std::vector<NodePtr>& args) {
    const bool theta = f.sub && f.sub->kind == Kind::symbol && f.sub->sym.base == "theta";
    const std::string c = core_name(f);
    const bool x0hat = (c == "hat x") && f.sub && ((f.sub->kind == Kind::number && f.sub->text == "0") || theta);
    if (!(theta && (c == "epsilon" || c == "varepsilon" || c == "mu" || c == "s")) && !x0hat) return nullptr;
    if (args.size() != 2) fail(n, "'" + symbol_name(f) + "' takes two arguments, (x_t, t)");
    ExprPtr a = as_point(value(*args[0]));
    ExprPtr s = index(*args[1]);
    if (a->type != Type::vector || a->dim != ctx_.dim) fail(*args[0], "the model's first argument must be a point (a vector of dimension " + std::to_string(ctx_.dim) + ")");
    if (c == "mu") return model_mean(s, a, n);
    ExprPtr eps = eps_theta(s, a, n);
    if (c == "epsilon" || c == "varepsilon") return eps;
    ExprPtr snab = make(Op::sqrt, Type::scalar, 1, {make(Op::sub, Type::scalar, 1, {number(1), sched("alpha_bar", s, n)}, n)}, n);
    if (c == "s") {
      if (ctx_.defines.count("s_{\\theta}")) return call_defined("s_{\\theta}", {a, s}, n);
      return make(Op::neg, Type::vector, ctx_.dim, {make(Op::div, Type::vector, ctx_.dim, {eps, snab}, n)}, n);
    }
    ExprPtr inner = make(Op::sub, Type::vector, ctx_.dim, {a, make(Op::mul, Type::vector, ctx_.dim, {snab, eps}, n)}, n);
    return make(Op::div, Type::vector, ctx_.dim, {inner, make(Op::sqrt, Type::scalar, 1, {sched("alpha_bar", s, n)}, n)}, n);
  }

  // \mathcal N(x; m, v): the density at x; \mathcal N(m, v): the law (v a variance, v I, or a covariance matrix).
  ExprPtr normal(const Node& n, const std::vector<NodePtr>& args) {
    const bool density = !n.seps.empty() && n.seps[0] == ";";
    if (density && args.size() == 3) {
      DistPtr d = gaussian_law(n, *args[1], *args[2]);
      ExprPtr at = value(*args[0]);
      return density_of(d, at, n);
    }
    if (!density && args.size() == 2) {
      Expr e;
      e.op = Op::number;
      e.type = Type::distribution;
      e.dists = {gaussian_law(n, *args[0], *args[1])};
      e.pos = n.begin;
      return P(std::move(e));
    }
    fail(n, "write \\mathcal N(m, v) for a law or \\mathcal N(x; m, v) for its density");
  }
  DistPtr gaussian_law(const Node& n, const Node& mean, const Node& cov) {
    ExprPtr m = value(mean), v = value(cov);
    check_numeric(mean, m);
    check_numeric(cov, v);
    m = as_scalar(m);
    v = as_scalar(v);
    Dist d;
    d.kind = Dist::Kind::gaussian;
    d.latex = frag(n);
    if (m->type == Type::scalar) {
      // In 1-D, I is the number 1: N(0, I) and N(m, c I) are the scalar Gaussians N(0, 1) and N(m, c).
      if (v->type == Type::matrix && v->dim == 1) {
        if (v->op == Op::identity) v = number(1);
        else if (v->op == Op::mul && v->args[0]->type == Type::scalar && v->args[1]->op == Op::identity) v = v->args[0];
      }
      if (v->type != Type::scalar) fail(cov, "a scalar Gaussian needs a scalar variance");
      if (ctx_.dim != 1 && !ctx_.mixture) {
        // 1-D law in a case whose dimension is set by vectors elsewhere: fine, it stays 1-D.
      }
      d.dim = 1;
      Expr one = *m;
      one.type = Type::vector;
      one.dim = 1;
      d.mean = P(std::move(one));
      d.cov = v;
      return law(d);
    }
    if (m->type != Type::vector) fail(mean, "the mean of a Gaussian must be a scalar or a vector");
    d.dim = m->dim;
    d.mean = m;
    if (v->type == Type::matrix) {
      if (v->op == Op::identity) d.cov = number(1);
      else if (v->op == Op::mul && v->args[0]->type == Type::scalar && v->args[1]->op == Op::identity) d.cov = v->args[0];
      else if (v->dim != m->dim) fail(cov, "covariance and mean dimensions differ");
      else d.cov = v;
    } else if (v->type == Type::scalar) {
      d.cov = v;
    } else {
      fail(cov, "a covariance must be a scalar variance, v I, or a matrix");
    }
    return law(d);
  }

  ExprPtr density_of(DistPtr d, ExprPtr at, const Node& n) {
    if (at->type == Type::scalar && d->dim == 1) {
      Expr one = *at;
      one.type = Type::vector;
      one.dim = 1;
      at = P(std::move(one));
    }
    if (at->type != Type::vector || at->dim != d->dim)
      fail(n, "the density of a law of dimension " + std::to_string(d->dim) + " evaluated at " + describe(at));
    Expr e;
    e.op = Op::log_density;
    e.type = Type::scalar;
    e.args = {at};
    e.dists = {d};
    e.pos = n.begin;
    ExprPtr ld = P(std::move(e));
    return make(Op::exp, Type::scalar, 1, {ld}, n);
  }

  ExprPtr density_value(const Node& n, const Node& f, const std::vector<NodePtr>& args) {
    if (ExprPtr v = latent_density(n, f)) return f.sup ? power(f, v, *f.sup) : v;
    // A user-defined law symbol (q = \mathcal N(...)) used as q(x).
    DistPtr d = named_law(n, f, args, n.seps);
    ExprPtr at = as_point(value(*args[0]));
    ExprPtr v = density_of(d, at, n);
    return f.sup ? power(f, v, *f.sup) : v;
  }

  // A law written as an argument of D_KL or under E_{x \sim ...}: \mathcal N(m, v), a named density q(x_{t-1} | ...),
  // or a [define]d law symbol. Returns the law and the variable it is over (null for \mathcal N and symbols).
  std::pair<DistPtr, NodePtr> law_of(const Node& a) {
    const Node* n = &a;
    while (n->kind == Kind::group) n = n->args[0].get();
    if (n->kind == Kind::call) {
      const Node& f = *n->args[0];
      if (f.sym.base == "N" && f.sym.style == "cal") {
        if (n->args.size() != 3 || n->seps.size() != 1 || n->seps[0] != ",") fail(*n, "a law is written \\mathcal N(m, v)");
        return {gaussian_law(*n, *n->args[1], *n->args[2]), nullptr};
      }
      if (DistPtr L = latent_law(*n)) return {L, n->args[1]};
      // A [define]d law written with its variable, p_\theta(x) with p_\theta = \mathcal N(m, v): the defined law
      // wins over the vocabulary's p_theta(x_{t-1} | x_t), as definitions do everywhere else.
      if (n->args.size() == 2 && n->seps.empty())
        if (ExprPtr L = defined_law(f)) return {L->dists[0], n->args[1]};
      if (is_density_name(f)) {
        std::vector<NodePtr> args(n->args.begin() + 1, n->args.end());
        return {named_law(*n, f, args, n->seps), args[0]};
      }
    }
    ExprPtr v = value(*n);
    if (v->type != Type::distribution) fail(*n, "'" + frag(*n) + "' is not a law (write \\mathcal N(m, v), q(x_{t-1} | x_t, x_0), or [define] it)");
    return {v->dists[0], nullptr};
  }

  // D_KL(P || Q) = E_{y ~ P}[log P(y) - log Q(y)], from its definition.
  ExprPtr kl(const Node& n, const Node& pa, const Node& qa) {
    auto [P1, var1] = law_of(pa);
    auto [Q1, var2] = law_of(qa);
    if (P1->dim != Q1->dim) fail(n, "the two laws of the KL have different dimensions");
    if ((P1->kind == Dist::Kind::categorical) != (Q1->kind == Dist::Kind::categorical))
      fail(n, "a KL between a discrete law (of the latent z) and a continuous one");
    const int id = next_id_++;
    Expr y;
    y.op = Op::bound;
    y.id = id;
    y.type = Type::vector;
    y.dim = P1->dim;
    y.pos = n.begin;
    ExprPtr yv = P(std::move(y));
    auto logd = [&](DistPtr d) {
      Expr e;
      e.op = Op::log_density;
      e.type = Type::scalar;
      e.args = {yv};
      e.dists = {d};
      e.pos = n.begin;
      return P(std::move(e));
    };
    ExprPtr body = make(Op::sub, Type::scalar, 1, {logd(P1), logd(Q1)}, n);
    Expr e;
    e.op = Op::expect;
    e.type = Type::scalar;
    e.args = {body};
    e.dists = {P1};
    e.bound_ids = {id};
    e.pos = n.begin;
    e.latex = frag(n);
    e.mc = true;
    return P(std::move(e));
  }

  // \mathbb{E}_{sub}[body | cond]
  ExprPtr expectation(const Node& n) {
    std::vector<NodePtr> binds;
    if (n.sub) {
      if (n.sub->kind == Kind::list) binds = n.sub->args;
      else binds = {n.sub};
    }
    std::vector<DistPtr> laws;
    std::vector<int> ids;
    const std::size_t saved = bound_.size();
    for (const auto& b : binds) {
      if (b->kind == Kind::sim) {
        // x \sim law: a fresh variable with that law.
        auto [L, var] = law_of(*b->args[1]);
        const Node& v = *b->args[0];
        if (v.kind != Kind::symbol) fail(v, "the variable before \\sim must be a symbol");
        const int id = next_id_++;
        laws.push_back(L);
        ids.push_back(id);
        if (L->kind == Dist::Kind::categorical) bound_.push_back({symbol_name(v), id, Type::scalar, 1, true});
        else bound_.push_back({symbol_name(v), id, Type::vector, L->dim});
      }
      // Other subscripts (q, x_0, t, \epsilon, q(x_{1:T}|x_0)) name what the expectation is over: the model's own
      // random variables, which every draw samples anyway.
    }
    if (n.args.empty()) fail(n, "an expectation needs a body");
    ExprPtr body = value(*n.args[0]);
    check_numeric(*n.args[0], body);
    body = as_scalar(body);
    bound_.resize(saved);
    if (n.args.size() > 1) {
      // Conditional expectation E[f | x_s]: exact when f is affine in the variables the posterior averages over.
      if (n.args.size() != 2) fail(n, "conditioning on several variables is not supported");
      NodePtr si = step_of_x(*n.args[1]);
      if (!si) fail(*n.args[1], "an expectation conditions on x at some step (E[f | x_t])");
      ExprPtr s = index(*si), at = as_point(value(*n.args[1]));
      return conditional(n, body, s, at);
    }
    if (!body->random && !body->mc && laws.empty()) return body;  // E of a constant
    Expr e;
    e.op = Op::expect;
    e.text = "all";
    e.type = body->type;
    e.dim = body->dim;
    e.args = {body};
    e.dists = laws;
    e.bound_ids = ids;
    for (const DistPtr& L : laws)
      if (L->kind == Dist::Kind::categorical) {
        // Draws of a discrete law are keyed by the variable's name (see checks.cpp): name every variable.
        for (std::size_t i = 0; i < binds.size(); ++i)
          if (binds[i]->kind == Kind::sim) e.bound_names.push_back(symbol_name(*binds[i]->args[0]));
        break;
      }
    e.pos = n.begin;
    e.latex = frag(n);
    e.mc = true;
    return P(std::move(e));
  }

  // E[f | x_s = at]: f must be affine in x_0 and eps_s (then f(E[x_0|x_s], E[eps_s|x_s]) is exact).
  ExprPtr conditional(const Node& n, ExprPtr body, ExprPtr s, ExprPtr at) {
    std::function<int(const ExprPtr&)> degree = [&](const ExprPtr& e) -> int {
      if (!e->random) return 0;
      switch (e->op) {
        case Op::random:
          if (e->text == "x" && index_comparable(e->args[0], s) && index_offset(s, e->args[0]) == 1) return 1;  // x_{s-1}
          if (e->text == "x" && (index_is(e->args[0], 0) || index_offset(e->args[0], s) == 0)) return index_is(e->args[0], 0) ? 1 : 0;
          if (e->text == "eps" && index_offset(e->args[0], s) == 0 && index_comparable(e->args[0], s)) return 1;
          return 99;
        case Op::add:
        case Op::sub: return std::max(degree(e->args[0]), degree(e->args[1]));
        case Op::neg:
        case Op::transpose: return degree(e->args[0]);
        case Op::mul:
        case Op::dot: return degree(e->args[0]) + degree(e->args[1]);
        case Op::div: return degree(e->args[1]) ? 99 : degree(e->args[0]);
        default: return 99;
      }
    };
    if (degree(body) > 1)
      fail(n, "E[f | x_t] is computed exactly only for f affine in x_0 and epsilon; write the expectation over the posterior law instead: E_{x \\sim q(x_0 | x_t)}[...]");
    std::function<ExprPtr(const ExprPtr&)> subst = [&](const ExprPtr& e) -> ExprPtr {
      if (!e->random) return e;
      if (e->op == Op::random) {
        if (e->text == "x" && index_is(e->args[0], 0)) return post_mean("x0", s, at, n);
        if (e->text == "eps") return post_mean("eps", s, at, n);
        // x_{s-1} given x_s and x_0 has mean mu_tilde_s(x_s, x_0), affine in x_0.
        if (e->text == "x" && index_comparable(e->args[0], s) && index_offset(s, e->args[0]) == 1)
          return posterior_step_mean(s, at, post_mean("x0", s, at, n), n);
        if (e->text == "x") return at;
      }
      Expr c = *e;
      c.random = false;
      c.mc = false;
      for (auto& a : c.args) a = subst(a);
      return P(std::move(c));
    };
    return subst(body);
  }

  ExprPtr integral(const Node& n) {
    const Node& var = *n.args[1];
    if (var.kind == Kind::symbol && var.sym.base == "z" && !var.sub && !var.sup && var.sym.accents.empty() && has_latent()) {
      // \int f dz over the discrete latent: the sum over its values 1..K (the counting measure).
      if (n.sub || n.sup) fail(n, "an integral over the discrete latent z is the sum over all its values: give no limits");
      const int id = next_id_++;
      indices_.push_back({"z", id});
      ExprPtr body;
      try {
        body = as_scalar(value(*n.args[0]));
      } catch (...) {
        indices_.pop_back();
        throw;
      }
      indices_.pop_back();
      check_numeric(*n.args[0], body);
      if (body->type != Type::scalar) fail(n, "the integrand must be a scalar");
      Expr e;
      e.op = Op::sum;
      e.type = Type::scalar;
      e.id = id;
      e.args = {index_const(1), index_const(static_cast<long>(ctx_.mixture->size())), body};
      e.random = body->random;
      e.mc = body->mc;
      e.pos = n.begin;
      e.latex = frag(n);
      return P(std::move(e));
    }
    if (var.kind != Kind::symbol || var.sub)
      fail(var, "only integrals over one scalar variable (dx) are supported; write trajectories as expectations E_{q(x_{1:T}|x_0)}[...]");
    ExprPtr lo, hi;
    if (n.sub) lo = as_scalar(value(*n.sub));
    if (n.sup) hi = as_scalar(value(*n.sup));
    if (bool(lo) != bool(hi)) fail(n, "give both limits of the integral, or none (the whole real line)");
    const int id = next_id_++;
    const std::size_t saved = bound_.size();
    bound_.push_back({symbol_name(var), id, Type::scalar, 1});
    ExprPtr body = as_scalar(value(*n.args[0]));
    bound_.resize(saved);
    if (body->type != Type::scalar) fail(n, "the integrand must be a scalar");
    if (body->random || body->mc)
      fail(n, "an integral of a random quantity or of an estimated expectation is not supported (only deterministic integrands)");
    Expr e;
    e.op = Op::integral;
    e.type = Type::scalar;
    e.id = id;
    e.args = {body};
    if (lo) e.args.push_back(lo), e.args.push_back(hi);
    e.pos = n.begin;
    e.latex = frag(n);
    return P(std::move(e));
  }

  // \lim_{h \to 0} f or \lim_{K \to \infty} f: h (or K) is a [define] number, the coarsest level; f is evaluated with
  // h, h/2, h/4, ... (K, 2K, 4K, ...) and extrapolated. A sequence whose step count is K (or tau/h) then shares its
  // noise across the levels: the finest level's fresh normals, summed in groups, drive the coarser ones.
  struct ActiveLimit {
    std::string key;
    double base;
    bool to_infinity;
  };
  std::vector<ActiveLimit> limits_;

  ExprPtr limit_var(const Node& n, bool as_index) {
    if (limits_.empty()) return nullptr;
    Node bare = n;
    if (!as_index) bare.sup.reset();
    if (symbol_name(bare) != limits_.back().key) return nullptr;
    const ActiveLimit& a = limits_.back();
    if (as_index && (a.base != std::floor(a.base) || !a.to_infinity)) return nullptr;
    Expr e;
    e.op = Op::limit_var;
    e.type = as_index ? Type::index : Type::scalar;
    e.text = a.key;
    e.pos = n.begin;
    e.latex = a.key;
    ExprPtr v = P(std::move(e));
    return !as_index && n.sup ? power(n, v, *n.sup) : v;
  }

  ExprPtr limit(const Node& n) {
    if (!n.sub || n.sub->kind != Kind::tends) fail(n, "a limit needs its variable: \\lim_{h \\to 0} or \\lim_{K \\to \\infty}");
    if (!limits_.empty()) fail(n, "a limit inside a limit is not supported");
    const Node& var = *n.sub->args[0];
    const Node& target = *n.sub->args[1];
    if (var.kind != Kind::symbol) fail(var, "the variable of a limit must be a symbol");
    const std::string key = symbol_name(var);
    auto it = ctx_.defines.find(key);
    if (it == ctx_.defines.end() || it->second.kind != Definition::Kind::value || it->second.rows != 0)
      fail(var, "the variable of a limit must be a number in [define]: its value is the coarsest level ('" + key + "' = ...)");
    const double base = it->second.values[0];
    bool to_infinity;
    if (target.kind == Kind::number && std::stod(target.text) == 0) to_infinity = false;
    else if (target.kind == Kind::symbol && target.sym.base == "infty") to_infinity = true;
    else fail(target, "a limit is taken as the variable goes to 0 (a step size) or to \\infty (a step count)");
    if (!(base > 0)) fail(var, "the coarsest level of a limit must be positive ('" + key + "' = " + std::to_string(base) + ")");
    if (to_infinity && base != std::floor(base))
      fail(var, "a limit to \\infty is over a step count: its coarsest level must be a whole number ('" + key + "' = " +
                    std::to_string(base) + ")");
    limits_.push_back({key, base, to_infinity});
    ExprPtr body;
    try {
      body = value(*n.args[0]);
    } catch (...) {
      limits_.pop_back();
      throw;
    }
    limits_.pop_back();
    check_numeric(*n.args[0], body);
    body = as_scalar(body);
    Expr e;
    e.op = Op::limit;
    e.type = body->type;
    e.dim = body->dim;
    e.text = key;
    e.value = ctx_.limit_levels;
    e.data = {static_cast<double>(ctx_.limit_order), base, to_infinity ? 1.0 : -1.0};
    e.args = {body};
    e.random = body->random;
    e.mc = body->mc;
    e.pos = n.begin;
    e.latex = frag(n);
    return P(std::move(e));
  }

  ExprPtr big_op(const Node& n) {
    if (!n.sub || n.sub->kind != Kind::assign || !n.sup)
      fail(n, n.kind == Kind::median ? std::string("a median needs its range: \\operatorname{median}_{s=1}^{t}")
                                     : std::string("a ") + (n.kind == Kind::sum ? "sum" : "product") + " needs its range: \\sum_{s=1}^{t}");
    const Node& var = *n.sub->args[0];
    if (var.kind != Kind::symbol || var.sub || var.sup || !var.sym.accents.empty()) fail(var, "the summation index must be a plain letter");
    ExprPtr lo = index(*n.sub->args[1]), hi = index(*n.sup);
    const int id = next_id_++;
    indices_.push_back({var.sym.base, id});
    ExprPtr body = value(*n.args[0]);
    indices_.pop_back();
    check_numeric(*n.args[0], body);
    body = as_scalar(body);
    if (n.kind == Kind::prod && body->type != Type::scalar) fail(n, "a product of non-scalars");
    if (n.kind == Kind::median && (body->type != Type::scalar || body->random || body->mc))
      fail(n, "a median is taken of numbers that do not depend on the draw (an index range of a deterministic scalar)");
    Expr e;
    e.op = n.kind == Kind::sum ? Op::sum : n.kind == Kind::prod ? Op::prod : Op::median;
    e.type = body->type;
    e.dim = body->dim;
    e.id = id;
    e.args = {lo, hi, body};
    e.pos = n.begin;
    return P(std::move(e));
  }

  // \nabla_x \log D(x): the score of a law, exactly.
  ExprPtr nabla(const Node& n) {
    const Node* a = n.args[0].get();
    while (a->kind == Kind::group) a = a->args[0].get();
    if (a->kind == Kind::func && a->text == "log") {
      const Node* dn = a->args[0].get();
      while (dn->kind == Kind::group) dn = dn->args[0].get();
      if (dn->kind == Kind::call) {
        const Node& f = *dn->args[0];
        std::vector<NodePtr> args(dn->args.begin() + 1, dn->args.end());
        DistPtr d;
        if (DistPtr L = latent_law(*dn))
          d = L;
        else if (f.sym.base == "N" && f.sym.style == "cal" && dn->seps.size() == 2 && dn->seps[0] == ";")
          d = gaussian_law(*dn, *args[1], *args[2]);
        else if (ExprPtr L = defined_law(f))
          d = L->dists[0];
        else if (is_density_name(f))
          d = named_law(*dn, f, args, dn->seps);
        if (d && d->kind == Dist::Kind::categorical) fail(n, "a discrete law (of the latent z) has no score");
        if (d) {
          // The variable of differentiation must be the density's argument.
          // \nabla_x \log p(y) with x not in y is the usual shorthand for the score at y; \nabla_x \log p(2x) would
          // need the chain rule, which is not supported.
          if (n.sub) {
            const std::string wrt = symbol_name(*n.sub), arg = to_latex(*args[0]);
            bool inside = false;
            std::function<void(const NodePtr&)> find = [&](const NodePtr& p) {
              if (!p || inside) return;
              if (p->kind == Kind::symbol && symbol_name(*p) == wrt) inside = true;
              for (const auto& c : p->args) find(c);
              find(p->sub);
            };
            const Node* a0 = args[0].get();
            while (a0->kind == Kind::group) a0 = a0->args[0].get();
            if (symbol_name(*a0) != wrt && to_latex(*n.sub) != arg) {
              find(args[0]);
              if (inside)
                fail(n, "\\nabla_{" + to_latex(*n.sub) + "} of a density of " + arg + ": the chain rule is not supported; differentiate with respect to the density's own variable");
            }
          }
          ExprPtr at = value(*args[0]);
          if (at->type == Type::scalar && d->dim == 1) {
            Expr one = *at;
            one.type = Type::vector;
            one.dim = 1;
            at = P(std::move(one));
          }
          Expr e;
          e.op = Op::score;
          e.type = Type::vector;
          e.dim = d->dim;
          e.args = {at};
          e.dists = {d};
          e.pos = n.begin;
          return P(std::move(e));
        }
      }
    }
    fail(n, "\\nabla is supported for the log-density of a law: \\nabla_x \\log p_t(x), \\nabla_{x_t} \\log q(x_t | x_0)");
  }
  // ---------- the discrete latent z of a mixture: the component number 1..K (note 004 sections 1.2-1.3). p(z) is
  // the weights, p(x | z) the component density, p(z | x) the responsibilities (Bayes' rule on the mixture), and a
  // [define] function of z (q(z \mid x) = ...) a law over 1..K whose probabilities are its values.

  // Does the case define a law of z (a [define] function whose first parameter is z)? Then z is the latent.
  bool has_latent() const {
    if (!ctx_.mixture) return false;
    for (const auto& [k, d] : ctx_.defines)
      if (d.kind == Definition::Kind::function && !d.params.empty() && d.params[0]->kind == Kind::symbol &&
          d.params[0]->sym.base == "z" && !d.params[0]->sub && d.params[0]->sym.accents.empty())
        return true;
    return false;
  }
  long latent_count(const Node& n) const {
    if (!ctx_.mixture) fail(n, "the discrete latent z (a mixture component 1..K) needs a [mixture] in the case");
    return static_cast<long>(ctx_.mixture->size());
  }
  ExprPtr component(const std::string& what, std::vector<ExprPtr> args, const Node& n) const {
    Type type = Type::scalar;
    int dim = 1;
    if (what == "mean") type = Type::vector, dim = ctx_.dim;
    if (what == "cov") type = ctx_.dim == 1 ? Type::scalar : Type::matrix, dim = ctx_.dim;
    if (what == "posterior") type = Type::vector, dim = static_cast<int>(latent_count(n));
    return make(Op::component, type, dim, std::move(args), n, what);
  }
  // A value of the latent: a variable bound to a categorical law, a summation index, or a whole number; else null.
  ExprPtr latent_arg(const Node& a) {
    const Node* s = &a;
    while (s->kind == Kind::group) s = s->args[0].get();
    if (s->kind == Kind::symbol && s->sym.base == "z" && !s->sub && !s->sup && s->sym.accents.empty()) {
      bool bound = false;
      for (const auto& b : bound_)
        if (b.name == symbol_name(*s)) bound = true;
      for (const auto& iv : indices_)
        if (iv.name == "z" && s->sym.primes == 0) bound = true;
      if (!bound && !ctx_.defines.count(symbol_name(*s)) && !ctx_.grid.count(symbol_name(*s)))
        fail(a, "the latent z is not bound here: write \\mathbb{E}_{z \\sim q(z \\mid x)}[...], \\int ... dz or \\sum_{z=1}^{K}");
    }
    if (s->kind == Kind::number) {
      if (s->text.find('.') != std::string::npos) return nullptr;
      return as_scalar(index(*s));
    }
    if (s->kind != Kind::symbol && s->kind != Kind::add && s->kind != Kind::sub) return nullptr;
    ExprPtr v = value(a);
    if (v->type == Type::index || v->op == Op::index_var) return as_scalar(v);
    if (v->op == Op::bound && v->text == "latent") return v;
    return nullptr;
  }
  // K, \pi_k, \mu_k, \Sigma_k: the mixture's number of components, weights, means and covariances.
  ExprPtr latent_vocabulary(const Node& n, const std::string& c) {
    if (!has_latent()) return nullptr;  // only where the case defines a law of z: elsewhere \mu_1 may be a typo for \mu
    if (c == "K" && !n.sub) {
      Node b = n;
      b.sup.reset();
      ExprPtr v = as_scalar(index(b));
      return n.sup ? power(n, v, *n.sup) : v;
    }
    if (!n.sub || (c != "pi" && c != "mu" && c != "Sigma") || !latent_syntax(*n.sub)) return nullptr;
    ExprPtr k = latent_arg(*n.sub);
    if (!k) return nullptr;
    ExprPtr v = component(c == "pi" ? "weight" : c == "mu" ? "mean" : "cov", {k}, n);
    return n.sup ? power(n, v, *n.sup) : v;
  }
  // \operatorname{Cat}(w): the law on 1..K with probabilities w (a vector; K is its length).
  ExprPtr categorical_of_vector(const Node& n, const std::vector<NodePtr>& args) {
    if (args.size() != 1 || !n.seps.empty()) fail(n, "\\operatorname{Cat}(w) takes one vector of probabilities");
    ExprPtr w = value(*args[0]);
    check_numeric(*args[0], w);
    if (w->type != Type::vector || w->dim < 2)
      fail(*args[0], "\\operatorname{Cat}(w) takes a vector of at least two probabilities, got " + describe(w));
    Expr e;
    e.op = Op::number;
    e.type = Type::distribution;
    e.dists = {categorical_law(w, n)};
    e.pos = n.begin;
    return P(std::move(e));
  }
  DistPtr categorical_law(ExprPtr probs, const Node& n) const {
    Dist d;
    d.kind = Dist::Kind::categorical;
    d.mean = std::move(probs);
    d.dim = 1;
    d.latex = frag(n);
    return law(d);
  }
  struct LatentParts {
    std::vector<NodePtr> target, given;
  };
  LatentParts split_density_args(const Node& n) const {
    LatentParts p;
    bool after_bar = false;
    for (std::size_t i = 1; i < n.args.size(); ++i) {
      if (i > 1 && n.seps[i - 2] == "|") after_bar = true;
      (after_bar ? p.given : p.target).push_back(n.args[i]);
    }
    return p;
  }
  static bool plain_point_name(const Node& a) {
    const Node* s = &a;
    while (s->kind == Kind::group) s = s->args[0].get();
    return s->kind == Kind::symbol && !s->sub && !s->sup && s->sym.base != "z";
  }
  // Could this argument be a value of the latent (before resolving it)? z, a number, a summation index, a variable
  // bound to a categorical law.
  bool latent_syntax(const Node& a) const {
    const Node* s = &a;
    while (s->kind == Kind::group) s = s->args[0].get();
    if (s->kind == Kind::number) return s->text.find('.') == std::string::npos;
    if (s->kind != Kind::symbol || s->sub || s->sup || !s->sym.accents.empty()) return false;
    if (s->sym.base == "z" || (!s->sym.base.empty() && s->sym.base[0] == '\x02')) return true;
    for (const auto& b : bound_)
      if (b.latent && b.name == symbol_name(*s)) return true;
    for (const auto& iv : indices_)
      if (iv.name == s->sym.base) return true;
    return false;
  }
  // p(z), p(x \mid z), p(z \mid x), p(x, z), p(z, x) with z a value of the latent, and p(x) at a point x that is not
  // a step of the forward process: the mixture's pieces. Null when the density is not one of them.
  ExprPtr latent_density(const Node& n, const Node& f) {
    if (f.sym.base != "p" || f.sub || !f.sym.accents.empty() || !f.sym.style.empty() || !ctx_.mixture) return nullptr;
    for (const auto& sep : n.seps)
      if (sep != "," && sep != "|") return nullptr;
    const LatentParts parts = split_density_args(n);
    bool latent_written = false;
    for (const auto& a : parts.target) latent_written = latent_written || latent_syntax(*a);
    for (const auto& a : parts.given) latent_written = latent_written || latent_syntax(*a);
    if (!latent_written) {
      // p(x): the data density at a point that is not x_t (a [define]d or [grid] point, or a bound variable).
      if (parts.target.size() != 1 || !parts.given.empty() || !plain_point_name(*parts.target[0])) return nullptr;
      return density_of(data_law(n), as_point(value(*parts.target[0])), n);
    }
    std::vector<ExprPtr> tz, gz;
    std::vector<NodePtr> tx, gx;
    for (const auto& a : parts.target) {
      if (ExprPtr k = latent_syntax(*a) ? latent_arg(*a) : nullptr) tz.push_back(k);
      else tx.push_back(a);
    }
    for (const auto& a : parts.given) {
      if (ExprPtr k = latent_syntax(*a) ? latent_arg(*a) : nullptr) gz.push_back(k);
      else gx.push_back(a);
    }
    auto point = [&](const NodePtr& a) {
      ExprPtr x = as_point(value(*a));
      if (x->type != Type::vector || x->dim != ctx_.dim)
        fail(*a, "a point of the data (dimension " + std::to_string(ctx_.dim) + ") beside the latent z, got " + describe(x));
      return x;
    };
    auto lik = [&](ExprPtr k, ExprPtr x) { return make(Op::exp, Type::scalar, 1, {component("log_density", {k, x}, n)}, n); };
    if (tz.size() == 1 && tx.empty() && gz.empty() && gx.empty()) return component("weight", {tz[0]}, n);  // p(z)
    if (tx.size() == 1 && tz.empty() && gz.size() == 1 && gx.empty()) return lik(gz[0], point(tx[0]));  // p(x | z)
    if (tz.size() == 1 && tx.empty() && gz.empty() && gx.size() == 1)  // p(z | x)
      return component("responsibility", {tz[0], point(gx[0])}, n);
    if (tz.size() == 1 && tx.size() == 1 && parts.given.empty())  // p(x, z) = p(z) p(x | z)
      return make(Op::mul, Type::scalar, 1, {component("weight", {tz[0]}, n), lik(tz[0], point(tx[0]))}, n);
    fail(n, "with the latent z the mixture's densities are p(z), p(x \\mid z), p(z \\mid x) and p(x, z)");
  }
  // The probabilities (f(1), ..., f(K)) of a [define]d function of the latent, f(z, ...) = ..., called as n = f(z, a, ...):
  // its body at z = 1..K with the other parameters bound to the call's arguments.
  ExprPtr latent_table(const Definition& d, const Node& n) {
    const long K = latent_count(n);
    const int id = next_id_++;
    const std::string kname = "\x02";  // one name for every table (canonical keys must not depend on the id)
    Node kn;
    kn.kind = Kind::symbol;
    kn.sym.base = kname;
    kn.begin = n.begin;
    kn.end = n.end;
    std::vector<std::pair<std::string, NodePtr>> subs = {{symbol_name(*d.params[0]), std::make_shared<const Node>(kn)}};
    for (std::size_t i = 1; i < d.params.size(); ++i) {
      Node g;
      g.kind = Kind::group;
      g.text = "(";
      g.args = {n.args[i + 1]};
      g.begin = n.args[i + 1]->begin;
      g.end = n.args[i + 1]->end;
      subs.push_back({symbol_name(*d.params[i]), std::make_shared<const Node>(g)});
    }
    indices_.push_back({kname, id});
    ExprPtr body;
    try {
      body = stamp(as_scalar(value(*substitute(d.body, subs))), d.origin);
    } catch (LatexError& e) {
      indices_.pop_back();
      if (e.origin().empty()) e.set_origin(d.origin);
      throw;
    }
    indices_.pop_back();
    if (body->type != Type::scalar) fail(n, "the law '" + d.key + "' of the latent z needs a scalar probability, got " + describe(body));
    Expr t;
    t.op = Op::tabulate;
    t.type = Type::vector;
    t.dim = static_cast<int>(K);
    t.id = id;
    t.args = {body};
    t.pos = n.begin;
    // A table that depends on nothing but the draw's own variables (no bound variable, outer index or limit) is the
    // same wherever the law is written: the evaluator computes it once per block, keyed by its canonical text.
    std::set<int> inner = {id};  // indices and variables bound inside the body (its own sums, expectations)
    visit_tree(*body, [&](const Expr& x) {
      if (x.op == Op::sum || x.op == Op::prod || x.op == Op::median || x.op == Op::tabulate || x.op == Op::integral ||
          x.op == Op::derivative)
        inner.insert(x.id);
      for (int b : x.bound_ids) inner.insert(b);
    });
    bool local = true;
    visit_tree(*body, [&](const Expr& x) {
      if (x.op == Op::limit_var || x.op == Op::rec_prev || x.op == Op::recurrence || (x.op == Op::random && x.text == "zk") ||
          ((x.op == Op::index_var || x.op == Op::bound) && x.id >= 0 && !inner.count(x.id)))
        local = false;
    });
    if (local) t.latex = canonical(t);
    return P(std::move(t));
  }
  // A law of the latent written with its variable z: p(z) (the weights), p(z \mid x) (the responsibilities at x),
  // or a [define]d function of z, q(z \mid x) = ... (its values at z = 1..K are the probabilities). Null otherwise.
  DistPtr latent_law(const Node& n) {
    if (n.args.size() < 2) return nullptr;
    const Node* v = n.args[1].get();
    while (v->kind == Kind::group) v = v->args[0].get();
    if (v->kind != Kind::symbol || v->sym.base != "z" || v->sub || v->sup || !v->sym.accents.empty()) return nullptr;
    if (n.seps.size() > 0 && n.seps[0] != "|") return nullptr;
    const Node& f = *n.args[0];
    Node bare = f;
    bare.sup.reset();
    if (auto it = ctx_.defines.find(symbol_name(bare)); it != ctx_.defines.end() && it->second.kind == Definition::Kind::function) {
      const Definition& d = it->second;
      if (n.args.size() - 1 != d.params.size())
        fail(n, "'" + d.key + "' takes " + std::to_string(d.params.size()) + " argument(s), got " + std::to_string(n.args.size() - 1));
      return categorical_law(latent_table(d, n), n);
    }
    // A [define]d p (p = p_{data}, say) wins over the vocabulary, as everywhere.
    if (f.sym.base != "p" || f.sub || !f.sym.accents.empty() || !f.sym.style.empty() || ctx_.defines.count(symbol_name(bare)))
      return nullptr;
    const long K = latent_count(n);  // p(z) without a mixture: an error naming it
    if (n.args.size() == 2) {  // p(z): the weights
      Expr w;
      w.op = Op::data;
      w.type = Type::vector;
      w.dim = static_cast<int>(K);
      w.data = ctx_.mixture->weights();
      w.pos = n.begin;
      return categorical_law(P(std::move(w)), n);
    }
    if (n.args.size() == 3 && n.seps[0] == "|") {  // p(z | x): the responsibilities
      ExprPtr x = as_point(value(*n.args[2]));
      if (x->type != Type::vector || x->dim != ctx_.dim) fail(*n.args[2], "p(z \\mid x) conditions on a point of the data");
      return categorical_law(component("posterior", {x}, n), n);
    }
    fail(n, "the laws of the latent z are p(z), p(z \\mid x) and [define]d functions of z, q(z \\mid x) = ...");
  }
};

}  // namespace

ExprPtr resolve(const Node& n, const Context& ctx) {
  Resolver r(ctx);
  return r.run(n);
}

Relation resolve_relation(const Node& n, const Context& ctx) {
  Resolver r(ctx);
  return r.relation(n);
}

const std::vector<std::string>& vocabulary_names() {
  static const std::vector<std::string> v = {
      "t", "T", "d", "\\beta_{t}", "\\alpha_{t}", "\\bar{\\alpha}_{t}", "\\tilde{\\beta}_{t}", "\\sigma_{t}", "x_{t}",
      "x_{0}", "x_{t-1}", "\\epsilon", "\\epsilon_{t}", "z", "W_{t}", "I", "\\pi", "e", "\\tilde{\\mu}_{t}",
      "\\mu_{\\theta}", "\\epsilon_{\\theta}", "s_{\\theta}", "\\hat{x}_{0}", "p_{data}", "q", "p", "p_{\\theta}",
      "\\mathcal{N}", "D_{KL}", "SNR", "\\mathbb{E}"};
  return v;
}

}  // namespace verify::formula
