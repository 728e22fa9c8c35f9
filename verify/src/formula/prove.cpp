// Deciding a relation (prove.hpp): translate both sides, bring lhs - rhs to the canonical form, test it for zero;
// if it is not zero, try the case's declared values, then look for an exact counterexample.
#include "verify/formula/prove.hpp"

#include <chrono>
#include <functional>
#include <sstream>

#include "prove_translate.hpp"

namespace verify::formula {

using namespace proof;
using namespace GiNaC;

namespace {

std::string show(const ex& e) {
  std::string s = stable_text(e);
  if (s.size() > 240) s = s.substr(0, 237) + "...";
  return s;
}

std::string show_value(const numeric& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// A decimal approximation (6 significant digits) of an exact constant.
std::string approx(const ex& e) {
  const long saved = GiNaC::Digits;
  GiNaC::Digits = 30;
  ex v = evalf(e);
  GiNaC::Digits = saved;
  if (!is_a<numeric>(v)) return "?";
  std::ostringstream os;
  os.precision(6);
  os << ex_to<numeric>(v).to_double();
  return os.str();
}

template <class F>
void visit(const Expr& e, F&& f) {
  visit_tree(e, f);
}

std::string range_text(const Sym& s) {
  switch (s.dom) {
    case Dom::unit: return "0 < " + s.name + " < 1";
    case Dom::positive: return s.name + " > 0";
    case Dom::negative: return s.name + " < 0";
    case Dom::real: return s.name + " real";
  }
  return s.name;
}

// A component's name without its index: "x_0[2]" -> "x_0".
std::string base_name(const std::string& n) {
  if (n.empty() || n.back() != ']') return n;
  const auto p = n.rfind('[');
  if (p == std::string::npos || p + 2 >= n.size()) return n;
  for (std::size_t i = p + 1; i + 1 < n.size(); ++i)
    if (n[i] < '0' || n[i] > '9') return n;
  return n.substr(0, p);
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// The [define] entries a relation's expressions came from ("define.'\\mu_\\theta'" -> "[define] \\mu_\\theta").
void origins(const Relation& r, std::set<std::string>& out) {
  for (const ExprPtr& side : {r.lhs, r.rhs})
    visit(*side, [&](const Expr& e) {
      if (e.origin.empty()) return;
      std::string o = e.origin;
      const auto q = o.find('\'');
      const auto q2 = o.rfind('\'');
      if (q != std::string::npos && q2 > q) o = o.substr(0, q) + o.substr(q + 1, q2 - q - 1);
      out.insert("[" + o.substr(0, o.find('.')) + "] " + o.substr(o.find('.') + 1));
    });
}

// Values tried for counterexamples, by role: schedule steps (alpha_bar at the lowest step, the betas), x_0, the
// standard normals, other random quantities. Small rationals, several per point so that no two symbols coincide.
numeric candidate(const Sym& s, int point, int order, int beta_order) {
  static const int abar[][2] = {{1, 2}, {16, 25}, {1, 3}, {3, 4}, {9, 10}, {1, 5}};
  static const int beta[][2] = {{1, 10}, {9, 25}, {1, 4}, {2, 5}, {1, 20}, {3, 5}};
  static const int x0v[][2] = {{1, 1}, {-1, 2}, {2, 1}, {1, 3}, {-3, 2}, {5, 4}, {-2, 3}, {3, 1}};
  static const int gv[][2] = {{1, 2}, {1, 1}, {-1, 1}, {2, 1}, {-1, 3}, {3, 2}, {1, 4}, {-2, 1}};
  const int k = point % 6;
  if (s.dom == Dom::unit) {
    if (s.name.rfind("\\bar", 0) == 0) return numeric(abar[k][0], abar[k][1]);
    // Distinct betas: shrink each following one a little.
    return numeric(beta[k][0], beta[k][1]) * numeric(10, 10 + beta_order % 7);
  }
  const int j = (point + order) % 8;
  if (s.role == Role::x0) return numeric(x0v[j][0], x0v[j][1]);
  if (s.role == Role::gaussian) return numeric(gv[j][0], gv[j][1]);
  if (s.dom == Dom::positive) return numeric(gv[j][0] < 0 ? -gv[j][0] : gv[j][0], gv[j][1]);
  if (s.dom == Dom::negative) return numeric(gv[j][0] < 0 ? gv[j][0] : -gv[j][0], gv[j][1]);
  return numeric(x0v[(j + 3) % 8][0], x0v[(j + 3) % 8][1]);
}

class Decider {
 public:
  Decider(Symbols& syms, Canon& canon) : syms_(syms), canon_(canon) {}

  // The case's own values of the [define] / [grid] symbols the statement uses, as a substitution and as text.
  void declared_values(const std::set<ex, ex_is_less>& used, exmap& declared, std::vector<std::string>& text) const {
    for (const Sym& s : syms_.all())
      if (s.role == Role::data && s.value && used.count(s.s)) {
        declared[s.s] = *s.value;
        text.push_back(s.name + " = " + show_value(*s.value));
      }
  }

  // lhs[i] = rhs[i] for every component i; names for the report ("lhs", "rhs").
  ProofResult decide(const std::vector<ex>& lhs, const std::vector<ex>& rhs, const std::string& lname, const std::string& rname,
                     const std::map<ex, ex, ex_is_less>& opaque) {
    ProofResult out;
    const std::size_t n = lhs.size();
    std::vector<ex> D(n);
    std::vector<std::size_t> nonzero;
    for (std::size_t i = 0; i < n; ++i) {
      D[i] = canon_(lhs[i] - rhs[i]);
      if (!canon_.maybe_zero(D[i]) || !canon_.is_zero(D[i])) nonzero.push_back(i);
    }
    std::set<ex, ex_is_less> used;
    for (std::size_t i = 0; i < n; ++i)
      for (const ex& side : {lhs[i], rhs[i]}) collect(canon_.unfold(side), used);
    if (nonzero.empty()) {
      out.status = ProofStatus::proved;
      const std::string f = free_list(used);
      out.detail = f.empty() ? "exactly (no free symbols here)" : f;
      return out;
    }
    // An oracle quantity left in the difference: no closed form to decide it.
    std::set<std::string> left;
    for (std::size_t i : nonzero) {
      std::set<ex, ex_is_less> s;
      collect(canon_.unfold(D[i]), s);
      for (const auto& x : s)
        if (opaque.count(x)) left.insert(base_name(syms_.find(x)->name));
    }
    if (!left.empty()) {
      for (std::size_t i : nonzero)
        if (fresh_disproof(D[i], opaque, join({left.begin(), left.end()}), n > 1 ? " (component " + std::to_string(i + 1) + ")" : "", out))
          return out;
      out.status = ProofStatus::undecided;
      out.detail = "lhs - rhs still depends on " + join({left.begin(), left.end()}) +
                   ", which has no closed form; the numeric check alone stands";
      return out;
    }
    // Not an identity in the [define] / [grid] values: maybe at the case's own values.
    exmap declared;
    std::vector<std::string> declared_text;
    declared_values(used, declared, declared_text);
    if (!declared.empty()) {
      bool zero = true;
      for (std::size_t i : nonzero) {
        try {
          if (!canon_.is_zero(canon_(canon_.unfold(D[i]).subs(declared)))) zero = false;
        } catch (const DomainError&) {
          zero = false;
        }
        if (!zero) break;
      }
      if (zero) {
        out.status = ProofStatus::proved;
        std::set<ex, ex_is_less> rest;
        for (const auto& x : used)
          if (!declared.count(x)) rest.insert(x);
        out.detail = "at the case's values " + join(declared_text) + " (not an identity in them)" +
                     (free_list(rest).empty() ? std::string() : ", " + free_list(rest));
        return out;
      }
    }
    // An exact counterexample: the declared values, small rationals for everything else.
    for (int point = 0; point < 6; ++point) {
      exmap pt = declared;
      std::vector<std::string> shown;
      int order = 0, beta_order = 0;
      for (const Sym& s : syms_.all()) {
        if (!used.count(s.s) || declared.count(s.s)) continue;
        if (s.role == Role::atom || s.role == Role::pi || s.role == Role::opaque || s.role == Role::bound) continue;
        const bool beta = s.dom == Dom::unit && s.name.rfind("\\bar", 0) != 0;
        const numeric v = s.value ? *s.value : candidate(s, point, beta ? 0 : order++, beta ? beta_order++ : 0);
        pt[s.s] = v;
      }
      for (std::size_t i : nonzero) {
        ex lv, rv;
        try {
          lv = canon_(canon_.unfold(lhs[i]).subs(pt));
          rv = canon_(canon_.unfold(rhs[i]).subs(pt));
        } catch (const DomainError&) {
          break;  // outside the domain at this point: try the next
        }
        const ex diff = lv - rv;
        if (canon_.is_zero(diff)) continue;
        const bool numerically = canon_.numeric_only(diff);
        const ex pi = syms_.get("pi", "\\pi", Dom::positive, Role::pi);
        const ex le = canon_.unfold(lv).subs(pi == Pi), re = canon_.unfold(rv).subs(pi == Pi);
        if (numerically) {
          const long saved = GiNaC::Digits;
          GiNaC::Digits = 60;
          const ex dv = evalf(le - re), sc = evalf(abs(le) + abs(re) + 1);
          GiNaC::Digits = saved;
          if (!is_a<numeric>(dv) || !is_a<numeric>(sc) || abs(ex_to<numeric>(dv)) <= numeric(1, 1) / GiNaC::pow(numeric(10), 40) * ex_to<numeric>(sc))
            continue;
        }
        // The symbols this component depends on, with their values.
        std::set<ex, ex_is_less> here;
        collect(canon_.unfold(lhs[i]), here);
        collect(canon_.unfold(rhs[i]), here);
        for (const Sym& s : syms_.all())
          if (here.count(s.s) && pt.count(s.s)) shown.push_back(s.name + " = " + show_value(ex_to<numeric>(pt[s.s])));
        out.status = ProofStatus::disproved;
        bool has_oracle = false;
        for (const ex& side : {lv, rv})
          for (auto it = side.preorder_begin(); it != side.preorder_end(); ++it) has_oracle = has_oracle || opaque.count(*it) > 0;
        const std::string at = (shown.empty() ? std::string("exactly") : "at " + join(shown)) + (n > 1 ? " (component " + std::to_string(i + 1) + ")" : "");
        if (has_oracle) {
          // The oracle's quantities cancel in the difference only.
          const ex de = canon_.unfold(diff).subs(pi == Pi);
          out.detail = at + ", whatever the oracle's values: " + lname + " - " + rname + " = " + show(normal(de)) + " ≈ " + approx(de) +
                       (numerically ? " (not 0 at 60 digits)" : " (exact)");
        } else {
          out.detail = at + ": " + lname + " = " + show(normal(le)) + " ≈ " + approx(le) + ", " + rname + " = " + show(normal(re)) + " ≈ " +
                       approx(re) + (numerically ? " (they differ at 60 digits)" : " (exact)");
        }
        return out;
      }
    }
    out.status = ProofStatus::undecided;
    out.detail = "lhs - rhs is not identically 0, but no counterexample was found at the points tried; the numeric check alone stands";
    return out;
  }

  // lhs op rhs for op in <=, >=, <, >: the claim D >= 0 (or > 0) with D the right difference. Proved by a sign
  // certificate of D's numerator and denominator (or exactly when D is a constant), disproved at a point where D
  // has the wrong sign.
  ProofResult decide_inequality(const ex& lhs, const ex& rhs, const std::string& op, const std::map<ex, ex, ex_is_less>& opaque) {
    ProofResult out;
    const bool strict = op == "<" || op == ">";
    const ex raw = op == "<=" || op == "<" ? rhs - lhs : lhs - rhs;
    const std::string want = strict ? "> 0" : ">= 0";
    const std::string dname = op == "<=" || op == "<" ? "rhs - lhs" : "lhs - rhs";
    std::set<ex, ex_is_less> used;
    collect(canon_.unfold(lhs), used);
    collect(canon_.unfold(rhs), used);
    for (const auto& x : used)
      if (opaque.count(x)) {
        out.status = ProofStatus::undecided;
        out.detail = dname + " depends on " + base_name(syms_.find(x)->name) + ", which has no closed form; the numeric check alone stands";
        return out;
      }
    // The sign of D at the case's values, or everywhere.
    auto sign_certified = [&](const ex& D, bool strict_) {
      if (canon_.is_zero(D)) return !strict_;
      const ex nd = numer_denom(normal(canon_.merge_exp(D)));
      const ex N = canon_.reduced_numerator(D), den = nd.op(1);
      auto pos = [&](const ex& x) { return strict_ ? canon_.positive(x) : canon_.nonneg(x); };
      return (pos(N) && canon_.positive(den)) || (pos(-N) && canon_.positive(-den));
    };
    const ex D = canon_(raw);
    if (sign_certified(D, strict)) {
      out.status = ProofStatus::proved;
      const std::string f = free_list(used);
      out.detail = dname + " " + want + " " + (f.empty() ? "exactly" : f) + " (a sign certificate)";
      return out;
    }
    exmap declared;
    std::vector<std::string> declared_text;
    declared_values(used, declared, declared_text);
    // A constant (or the difference at a point): its sign exactly, or at 60 digits.
    auto sign_at = [&](const ex& value, bool& exact) -> int {
      exact = true;
      if (canon_.is_zero(value)) return 0;
      const ex n = normal(value);
      if (is_a<numeric>(n)) return ex_to<numeric>(n).is_positive() ? 1 : -1;
      exact = false;
      const ex pi = syms_.get("pi", "\\pi", Dom::positive, Role::pi);
      const long saved = GiNaC::Digits;
      GiNaC::Digits = 60;
      const ex v = evalf(canon_.unfold(value).subs(pi == Pi));
      GiNaC::Digits = saved;
      if (!is_a<numeric>(v) || !ex_to<numeric>(v).is_real()) return 2;
      const numeric x = ex_to<numeric>(v);
      if (abs(x) < numeric(1, 1) / GiNaC::pow(numeric(10), 40)) return 2;
      return x.is_positive() ? 1 : -1;
    };
    if (!declared.empty()) {
      try {
        const ex Dd = canon_(canon_.unfold(D).subs(declared));
        std::set<ex, ex_is_less> rest;
        collect(canon_.unfold(Dd), rest);
        bool free = false;
        for (const auto& x : rest)
          if (const Sym* sy = syms_.find(x); sy && sy->role != Role::atom && sy->role != Role::pi) free = true;
        if (!free) {
          bool exact;
          const int sg = sign_at(Dd, exact);
          if (sg != 2) {
            const bool ok = strict ? sg > 0 : sg >= 0;
            out.status = ok ? ProofStatus::proved : ProofStatus::disproved;
            out.detail = "at the case's values " + join(declared_text) + ": " + dname + " = " + show(normal(canon_.unfold(Dd).subs(pi_sym() == Pi))) +
                         " ≈ " + approx(canon_.unfold(Dd).subs(pi_sym() == Pi)) + (exact ? " (exact)" : " (its sign at 60 digits)");
            return out;
          }
        } else if (sign_certified(Dd, strict)) {
          out.status = ProofStatus::proved;
          out.detail = "at the case's values " + join(declared_text) + ", " + dname + " " + want + " " + free_list(used) + " (a sign certificate)";
          return out;
        }
      } catch (const DomainError&) {
      }
    }
    for (int point = 0; point < 6; ++point) {
      exmap pt = declared;
      int order = 0, beta_order = 0;
      for (const Sym& s : syms_.all()) {
        if (!used.count(s.s) || declared.count(s.s)) continue;
        if (s.role == Role::atom || s.role == Role::pi || s.role == Role::opaque || s.role == Role::bound) continue;
        const bool beta = s.dom == Dom::unit && s.name.rfind("\\bar", 0) != 0;
        pt[s.s] = s.value ? *s.value : candidate(s, point, beta ? 0 : order++, beta ? beta_order++ : 0);
      }
      ex dv;
      try {
        dv = canon_(canon_.unfold(raw).subs(pt));
      } catch (const DomainError&) {
        continue;
      }
      bool exact;
      const int sg = sign_at(dv, exact);
      if (sg == 2 || (strict ? sg > 0 : sg >= 0)) continue;
      std::vector<std::string> shown;
      for (const Sym& s : syms_.all())
        if (used.count(s.s) && pt.count(s.s)) shown.push_back(s.name + " = " + show_value(ex_to<numeric>(pt[s.s])));
      const ex le = canon_.unfold(canon_(canon_.unfold(lhs).subs(pt))).subs(pi_sym() == Pi);
      const ex re = canon_.unfold(canon_(canon_.unfold(rhs).subs(pt))).subs(pi_sym() == Pi);
      out.status = ProofStatus::disproved;
      out.detail = (shown.empty() ? std::string("exactly") : "at " + join(shown)) + ": lhs = " + show(normal(le)) + " ≈ " + approx(le) +
                   ", rhs = " + show(normal(re)) + " ≈ " + approx(re) + ", so " + dname + " is not " + want +
                   (exact ? " (exact)" : " (its sign at 60 digits)");
      return out;
    }
    out.status = ProofStatus::undecided;
    out.detail = "no sign certificate for " + dname + " " + want + " and no counterexample at the points tried; the numeric check alone stands";
    return out;
  }

 private:
  Symbols& syms_;
  Canon& canon_;

  ex pi_sym() { return syms_.get("pi", "\\pi", Dom::positive, Role::pi); }

  // lhs - rhs depends on oracle quantities (no closed form), but also on a random variable f that none of them
  // depends on. If, as a polynomial in f, its numerator has a coefficient of f^k (k >= 1) free of the oracle and
  // non-zero at some point, lhs - rhs is not 0 for almost every draw of f there, whatever the oracle's values are.
  bool fresh_disproof(const ex& D, const std::map<ex, ex, ex_is_less>& opaque, const std::string& oracle, const std::string& where,
                      ProofResult& out) {
    std::set<ex, ex_is_less> in;
    collect(canon_.unfold(D), in);
    auto oracle_free = [&](const ex& e) {
      for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it)
        if (opaque.count(*it)) return false;
      for (const auto& [o, deps] : opaque)
        if (canon_.depends_on(e, o)) return false;
      return true;
    };
    const ex N = canon_.reduced_numerator(D);
    for (const Sym& s : syms_.all()) {
      if (!in.count(s.s) || (s.role != Role::x0 && s.role != Role::gaussian && s.role != Role::fixed)) continue;
      bool depended = false;
      for (const auto& [o, deps] : opaque) depended = depended || canon_.depends_on(deps, s.s);
      if (depended || canon_.depends_on(N.subs(s.s == 0), s.s)) continue;  // f inside an atom: not a polynomial in f
      for (int k = N.degree(s.s); k >= 1; --k) {
        const ex c = expand(N.coeff(s.s, k));
        if (c.is_zero() || !oracle_free(c)) continue;
        // The coefficient at a point (the declared values, small rationals for the rest).
        std::set<ex, ex_is_less> cs;
        collect(canon_.unfold(c), cs);
        ex cv;
        std::vector<std::string> shown;
        bool found = false;
        for (int point = 0; point < 6 && !found; ++point) {
          exmap pt;
          shown.clear();
          int order = 0, beta_order = 0;
          for (const Sym& x : syms_.all()) {
            if (!cs.count(x.s) || x.role == Role::atom || x.role == Role::pi || x.role == Role::opaque || x.role == Role::bound) continue;
            const bool beta = x.dom == Dom::unit && x.name.rfind("\\bar", 0) != 0;
            const numeric v = x.value ? *x.value : candidate(x, point, beta ? 0 : order++, beta ? beta_order++ : 0);
            pt[x.s] = v;
            shown.push_back(x.name + " = " + show_value(v));
          }
          try {
            cv = canon_(canon_.unfold(c).subs(pt));
          } catch (const DomainError&) {
            continue;
          }
          found = !canon_.is_zero(cv);
        }
        if (!found) continue;
        const ex shown_cv = canon_.unfold(cv).subs(pi_sym() == Pi);
        out.status = ProofStatus::disproved;
        out.detail = "whatever " + oracle + " is" + where + ": the numerator of lhs - rhs is a polynomial in " + s.name + " whose " + s.name +
                     (k > 1 ? "^" + std::to_string(k) : std::string()) + " coefficient" + (shown.empty() ? "" : " at " + join(shown)) + " is " +
                     show(normal(shown_cv)) + " ≈ " + approx(shown_cv) + " (exact), not 0: lhs = rhs fails for almost every draw of " + s.name;
        return true;
      }
    }
    return false;
  }

  void collect(const ex& e, std::set<ex, ex_is_less>& out) const {
    for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it)
      if (is_a<symbol>(*it)) out.insert(*it);
  }

  std::string free_list(const std::set<ex, ex_is_less>& used) const {
    std::vector<std::string> vals, draws;
    for (const Sym& s : syms_.all()) {
      if (!used.count(s.s)) continue;
      const std::string b = base_name(s.name);
      if (s.role == Role::schedule || s.role == Role::data) {
        if (std::find(vals.begin(), vals.end(), b) == vals.end()) vals.push_back(b);
      } else if (s.role == Role::x0 || s.role == Role::gaussian || s.role == Role::fixed || s.role == Role::opaque) {
        if (std::find(draws.begin(), draws.end(), b) == draws.end()) draws.push_back(b);
      }
    }
    if (vals.empty() && draws.empty()) return "";
    std::string s = vals.empty() ? "for" : "for all values of " + join(vals);
    if (!draws.empty()) s += (vals.empty() ? " " : " and ") + std::string("every draw of ") + join(draws);
    return s;
  }
};

std::vector<std::string> relation_list(const std::set<std::string>& rels, const Canon& canon, const Symbols& syms,
                                       const std::set<std::string>& defs) {
  std::vector<std::string> out(rels.begin(), rels.end());
  for (const auto& d : defs) out.push_back(d);
  for (const auto& name : canon.ranges_used())
    for (const Sym& s : syms.all())
      if (s.name == name) {
        out.push_back(range_text(s));
        break;
      }
  return out;
}

using Body = std::function<ProofResult(Symbols&, Canon&, Budget&, std::set<std::string>&)>;

ProofResult guarded(const ProofOptions& opt, const Body& body) {
  const auto start = std::chrono::steady_clock::now();
  ProofResult out;
  Budget budget(opt.time_limit);
  Symbols syms;
  Canon canon(syms, budget);
  std::set<std::string> rels;
  try {
    out = body(syms, canon, budget, rels);
  } catch (const NotAlgebraic& e) {
    out = {};
    out.status = ProofStatus::none;
    out.detail = std::string("no algebraic reading: ") + e.what();
  } catch (const Timeout&) {
    out = {};
    out.status = ProofStatus::undecided;
    std::ostringstream os;
    os << "stopped at the time limit of " << opt.time_limit << " s; the numeric check alone stands";
    out.detail = os.str();
  } catch (const DomainError& e) {
    out = {};
    out.status = ProofStatus::undecided;
    out.detail = std::string("outside the formula's domain: ") + e.what();
  } catch (const std::exception& e) {
    out = {};
    out.status = ProofStatus::undecided;
    out.detail = std::string("the algebra failed: ") + e.what();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::vector<ex> components(const AVal& a) { return a.v; }

}  // namespace

ProofResult prove(const Relation& r, const Context& ctx, const ProofPoint& p, const ProofOptions& opt) {
  const bool inequality = r.op == "<=" || r.op == ">=" || r.op == "<" || r.op == ">";
  if ((r.op != "=" && !inequality) || r.rhs_const) {
    ProofResult out;
    out.detail = r.rhs_const ? "'+ const' is decided across the models"
                             : "'" + std::string(r.op == "approx" ? "\\approx" : r.op == "propto" ? "\\propto" : r.op) +
                                   "' is not an exact statement: the numeric check alone decides it";
    return out;
  }
  return guarded(opt, [&](Symbols& syms, Canon& canon, Budget& budget, std::set<std::string>&) {
    Translator tr(ctx, p, syms, canon, budget);
    tr.prepare(r);
    std::string key;
    if (opt.cache) {
      std::ostringstream os;
      os << &r << "|" << &ctx << "|" << tr.signature();
      key = os.str();
      if (auto it = opt.cache->proved.find(key); it != opt.cache->proved.end()) return it->second;
    }
    const AVal L = tr.value(*r.lhs), R = tr.value(*r.rhs);
    Decider dec(syms, canon);
    std::vector<ex> l = components(L), rr = components(R);
    while (l.size() < rr.size()) l.push_back(l[0]);
    while (rr.size() < l.size()) rr.push_back(rr[0]);
    ProofResult out = inequality ? dec.decide_inequality(l[0], rr[0], r.op, tr.opaque()) : dec.decide(l, rr, "lhs", "rhs", tr.opaque());
    std::set<std::string> defs;
    origins(r, defs);
    out.relations = relation_list(tr.relations(), canon, syms, defs);
    // Only results for all values carry over to other points of the same structure.
    if (opt.cache && out.status == ProofStatus::proved && out.detail.rfind("at the case's values", 0) != 0) opt.cache->proved[key] = out;
    return out;
  });
}

ProofResult prove_same_difference(const Relation& rm, const Context& cm, const Relation& rref, const Context& cref,
                                  const ProofPoint& p, const ProofOptions& opt) {
  if (rm.op != "=" || rref.op != "=") {
    ProofResult out;
    out.detail = "'\\propto ... + const' (an affine relation across the models): the numeric check alone decides it";
    return out;
  }
  // [define] values that differ between the two models are separate symbols.
  std::set<std::string> varying;
  for (const auto* a : {&cm, &cref})
    for (const auto& [k, d] : a->defines) {
      const Context& other = a == &cm ? cref : cm;
      auto it = other.defines.find(k);
      if (d.kind == Definition::Kind::value && (it == other.defines.end() || it->second.values != d.values)) varying.insert(k);
    }
  return guarded(opt, [&](Symbols& syms, Canon& canon, Budget& budget, std::set<std::string>&) {
    Translator tm(cm, p, syms, canon, budget, "model", varying), tr(cref, p, syms, canon, budget, "reference model", varying);
    tm.prepare(rm);
    tr.prepare(rref);
    const AVal Lm = tm.value(*rm.lhs), Rm = tm.value(*rm.rhs), Lr = tr.value(*rref.lhs), Rr = tr.value(*rref.rhs);
    std::vector<ex> a, b;
    const std::size_t n = std::max({Lm.v.size(), Rm.v.size(), Lr.v.size(), Rr.v.size()});
    auto c = [](const AVal& v, std::size_t i) { return v.v.size() == 1 ? v.v[0] : v.v[i]; };
    for (std::size_t i = 0; i < n; ++i) {
      a.push_back(c(Lm, i) - c(Rm, i));
      b.push_back(c(Lr, i) - c(Rr, i));
    }
    auto opaque = tm.opaque();
    for (const auto& [k, v] : tr.opaque()) opaque[k] = v;
    Decider dec(syms, canon);
    ProofResult out = dec.decide(a, b, "lhs - rhs under the model", "under the reference model", opaque);
    std::set<std::string> rels = tm.relations(), defs;
    for (const auto& x : tr.relations()) rels.insert(x);
    origins(rm, defs);
    origins(rref, defs);
    out.relations = relation_list(rels, canon, syms, defs);
    if (out.status == ProofStatus::proved) out.detail = "lhs - rhs is the same under both models, " + out.detail;
    return out;
  });
}

std::string detail_text(const ProofResult& r) {
  if (r.status == ProofStatus::proved && !r.relations.empty()) return r.detail + "; from: " + join(r.relations, "; ");
  return r.detail;
}

std::string describe(const ProofResult& r) {
  switch (r.status) {
    case ProofStatus::proved: return "proved " + detail_text(r);
    case ProofStatus::disproved: return "disproved: " + detail_text(r);
    case ProofStatus::undecided: return "undecided: " + detail_text(r);
    case ProofStatus::none: return "no proof: " + detail_text(r);
  }
  return detail_text(r);
}

}  // namespace verify::formula
