// Canonical keys of expressions: the same meaning prints the same (bound variables renumbered by first
// appearance), so that one expectation written in several forms is estimated once, on the same draws.
#include <functional>
#include <map>
#include <sstream>

#include "verify/formula/expr.hpp"

namespace verify::formula {

namespace {

const char* op_name(Op op) {
  switch (op) {
    case Op::number: return "num";
    case Op::pi: return "pi";
    case Op::data: return "data";
    case Op::index_var: return "idx";
    case Op::schedule: return "sched";
    case Op::random: return "rv";
    case Op::bound: return "bound";
    case Op::identity: return "I";
    case Op::add: return "+";
    case Op::sub: return "-";
    case Op::neg: return "neg";
    case Op::mul: return "*";
    case Op::div: return "/";
    case Op::pow: return "^";
    case Op::log: return "log";
    case Op::exp: return "exp";
    case Op::sqrt: return "sqrt";
    case Op::abs: return "abs";
    case Op::cos: return "cos";
    case Op::norm: return "norm";
    case Op::dot: return "dot";
    case Op::det: return "det";
    case Op::trace: return "tr";
    case Op::inverse: return "inv";
    case Op::transpose: return "T";
    case Op::max_op: return "max";
    case Op::min_op: return "min";
    case Op::norm_cdf: return "Phi";
    case Op::log_density: return "logp";
    case Op::score: return "score";
    case Op::post_mean: return "E|";
    case Op::post_cov: return "Cov|";
    case Op::sum: return "sum";
    case Op::prod: return "prod";
    case Op::median: return "median";
    case Op::expect: return "E";
    case Op::integral: return "int";
    case Op::const_term: return "const";
    case Op::derivative: return "d/dv";
    case Op::recurrence: return "rec";
    case Op::rec_prev: return "prev";
    case Op::limit: return "lim";
    case Op::limit_var: return "limvar";
    case Op::component: return "comp";
    case Op::tabulate: return "tab";
    case Op::quantile: return "quantile";
    case Op::indicator: return "1[]";
  }
  return "?";
}

struct Printer {
  std::map<int, int> ids;
  int rename(int id) {
    auto it = ids.find(id);
    if (it != ids.end()) return it->second;
    const int n = static_cast<int>(ids.size());
    ids[id] = n;
    return n;
  }
  void expr(const Expr& e, std::ostream& os) {
    os << '(' << op_name(e.op);
    if (e.op == Op::number) os << ' ' << (e.text.empty() ? std::to_string(e.value) : e.text);
    if (!e.text.empty() && e.op != Op::number) os << ' ' << e.text;
    if (e.op == Op::data && e.text.empty())
      for (double v : e.data) os << ' ' << v;
    if (e.op == Op::derivative) os << " n=" << e.value;
    if (e.op == Op::limit) os << " L=" << e.value << " p=" << e.data[0] << " from=" << e.data[1] << (e.data[2] > 0 ? " up" : " down");
    if (e.op == Op::bound || e.op == Op::integral || e.op == Op::derivative || e.op == Op::sum || e.op == Op::prod || e.op == Op::median || (e.op == Op::index_var && e.id >= 0) || e.op == Op::tabulate)
      os << " #" << rename(e.id);
    for (int id : e.bound_ids) os << " #" << rename(id);
    for (const auto& name : e.bound_names) os << " @" << name;
    if (e.rec) {
      // The same sequence inside a limit (its step count the limit's variable) is another object.
      bool in_limit = false;
      std::function<void(const Expr&)> find = [&](const Expr& x) {
        if (x.op == Op::limit_var) in_limit = true;
        for (const auto& a : x.args)
          if (a && !in_limit) find(*a);
      };
      for (const ExprPtr& p : {e.rec->from, e.rec->start, e.rec->step})
        if (p) find(*p);
      os << " {" << e.rec->key << (in_limit ? " in limit" : "") << "}";
    }
    for (const auto& d : e.dists) {
      os << ' ';
      dist(*d, os);
    }
    for (const auto& a : e.args) {
      os << ' ';
      if (a) expr(*a, os);
      else os << "null";
    }
    os << ')';
  }
  void dist(const Dist& d, std::ostream& os) {
    os << "{law " << static_cast<int>(d.kind) << ' ' << d.dim;
    for (const ExprPtr& p : {d.mean, d.cov, d.step, d.given}) {
      os << ' ';
      if (p) expr(*p, os);
      else os << '-';
    }
    os << '}';
  }
};

}  // namespace

std::string canonical(const Expr& e) {
  Printer p;
  std::ostringstream os;
  p.expr(e, os);
  return os.str();
}

std::string canonical(const Dist& d) {
  Printer p;
  std::ostringstream os;
  p.dist(d, os);
  return os.str();
}

}  // namespace verify::formula
