// Printing and comparing syntax trees. to_latex writes normalised LaTeX that parses back to the same tree
// (tested in test_latex.cpp); it is what reports show for a form and what the difference highlighter wraps.
#include <functional>
#include <set>

#include "verify/formula/syntax.hpp"

namespace verify::formula {

namespace {

const std::set<std::string>& greek() {
  static const std::set<std::string> g = {
      "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
      "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma", "varsigma", "tau", "upsilon", "phi",
      "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
      "Psi", "Omega", "ell", "infty", "partial"};
  return g;
}

std::string braced(const std::string& s) { return s.size() == 1 ? s : "{" + s + "}"; }

std::string script_latex(const Node& n) {
  if (n.kind == Kind::text) return n.text;
  return to_latex(n);
}

std::string core_latex(const Symbol& s) {
  std::string b;
  if (greek().count(s.base)) b = "\\" + s.base;
  else if (s.style == "rm" || s.base.size() > 1) b = "\\mathrm{" + s.base + "}";
  else b = s.base;
  if (s.style == "cal") b = "\\mathcal{" + b + "}";
  else if (s.style == "bb") b = "\\mathbb{" + b + "}";
  else if (s.style == "frak") b = "\\mathfrak{" + b + "}";
  for (auto it = s.accents.rbegin(); it != s.accents.rend(); ++it) b = "\\" + *it + "{" + b + "}";
  for (int i = 0; i < s.primes; ++i) b += "'";
  return b;
}

// Operator precedence for parenthesising: relation 0, add 1, mul 2, unary 3, pow 4, atom 5.
int prec(const Node& n) {
  switch (n.kind) {
    case Kind::relation: return 0;
    case Kind::add:
    case Kind::sub: return 1;
    case Kind::mul:
    case Kind::div: return n.kind == Kind::div && n.text == "frac" ? 5 : 2;
    case Kind::neg: return 3;
    case Kind::sum:
    case Kind::prod:
    case Kind::median:
    case Kind::limit:
    case Kind::integral:
    case Kind::expect:
    case Kind::nabla: return 2;
    case Kind::func: return n.text == "sqrt" || n.text == "root" ? 5 : 2;
    case Kind::pow:
    case Kind::transpose: return 4;
    default: return 5;
  }
}

std::string wrap(const Node& n, int min_prec) {
  const std::string s = to_latex(n);
  return prec(n) < min_prec ? "\\left(" + s + "\\right)" : s;
}

std::string args_latex(const Node& n, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < n.args.size(); ++i) {
    if (i > from) {
      const std::string& sep = n.seps[i - from - 1];
      s += sep == "|" ? " \\mid " : sep == "||" ? " \\,\\|\\, " : sep + " ";
    }
    s += to_latex(*n.args[i]);
  }
  return s;
}

}  // namespace

namespace {
// While printing with differences marked: the nodes to wrap, and how.
thread_local const std::set<const Node*>* g_marked = nullptr;
thread_local const std::function<std::string(const std::string&)>* g_mark = nullptr;
std::string to_latex_plain(const Node& n);
}  // namespace

std::string to_latex(const Node& n) {
  if (g_marked && g_marked->count(&n)) {
    const auto* saved = g_marked;
    g_marked = nullptr;  // the subtree inside a mark is printed plain
    std::string inner = to_latex_plain(n);
    g_marked = saved;
    return (*g_mark)(inner);
  }
  return to_latex_plain(n);
}

namespace {
std::string to_latex_plain(const Node& n) {
  switch (n.kind) {
    case Kind::number: return n.text;
    case Kind::symbol: {
      std::string s = core_latex(n.sym);
      if (n.sub) s += "_" + braced(script_latex(*n.sub));
      if (n.sym.star) s += "^{*}";
      if (n.sup) s += "^" + braced(script_latex(*n.sup));
      return s;
    }
    case Kind::text: return "\\text{" + n.text + "}";
    case Kind::add: return to_latex(*n.args[0]) + " + " + wrap(*n.args[1], 2);
    case Kind::sub: return to_latex(*n.args[0]) + " - " + wrap(*n.args[1], 2);
    case Kind::neg: return "-" + wrap(*n.args[0], 2);
    case Kind::mul: {
      const std::string op = n.text == "cdot" ? " \\cdot " : n.text == "times" ? " \\times " : " ";
      std::string right = wrap(*n.args[1], 3);
      // Brackets right after a symbol would read back as a call, sigma^2 (x) as sigma^2 applied to x: brace them.
      if (op == " " && (right.rfind("\\left(", 0) == 0 || right.rfind("\\left[", 0) == 0)) right = "{" + right + "}";
      return wrap(*n.args[0], 2) + op + right;
    }
    case Kind::div:
      if (n.text == "frac") return "\\frac{" + to_latex(*n.args[0]) + "}{" + to_latex(*n.args[1]) + "}";
      return wrap(*n.args[0], 2) + " / " + wrap(*n.args[1], 3);
    case Kind::pow: return wrap(*n.args[0], 5) + "^{" + to_latex(*n.args[1]) + "}";
    case Kind::transpose: return wrap(*n.args[0], 5) + "^{\\top}";
    case Kind::prime: return wrap(*n.args[0], 5) + "'";
    case Kind::func:
      if (n.text == "sqrt") return "\\sqrt{" + to_latex(*n.args[0]) + "}";
      if (n.text == "root") return "\\sqrt[" + to_latex(*n.args[1]) + "]{" + to_latex(*n.args[0]) + "}";
      {
        std::string name = n.text == "var" ? "\\mathrm{Var}" : n.text == "cov" ? "\\mathrm{Cov}" : "\\" + n.text;
        const Node& a = *n.args[0];
        if (a.kind == Kind::group) return name + to_latex(a);
        // A wrapped argument reads back as a bracket group: print it the way the group prints (fuzzer finding).
        const std::string arg = wrap(a, 3);
        return arg.rfind("\\left(", 0) == 0 ? name + arg : name + " " + arg;
      }
    case Kind::group: {
      const std::string& b = n.text;
      const std::string inner = to_latex(*n.args[0]);
      if (b == "(") return "\\left(" + inner + "\\right)";
      if (b == "[") return "\\left[" + inner + "\\right]";
      if (b == "\\{") return "\\left\\{" + inner + "\\right\\}";
      return "{" + inner + "}";
    }
    case Kind::norm: {
      std::string s = "\\left\\|" + to_latex(*n.args[0]) + "\\right\\|";
      if (n.sub) s += "_" + braced(script_latex(*n.sub));
      return s;
    }
    case Kind::abs: return "\\left|" + to_latex(*n.args[0]) + "\\right|";
    case Kind::call: {
      const std::string open = n.text == "[" ? "\\left[" : "\\left(", close = n.text == "[" ? "\\right]" : "\\right)";
      return to_latex(*n.args[0]) + open + args_latex(n, 1) + close;
    }
    case Kind::sum:
    case Kind::prod:
    case Kind::median: {
      std::string s = n.kind == Kind::sum ? "\\sum" : n.kind == Kind::prod ? "\\prod" : "\\operatorname{median}";
      if (n.sub) s += "_{" + script_latex(*n.sub) + "}";
      if (n.sup) s += "^{" + script_latex(*n.sup) + "}";
      return s + " " + wrap(*n.args[0], 2);
    }
    case Kind::limit: return (n.sub ? "\\lim_{" + script_latex(*n.sub) + "} " : std::string("\\lim ")) + wrap(*n.args[0], 2);
    case Kind::integral: {
      std::string s = "\\int";
      if (n.sub) s += "_{" + script_latex(*n.sub) + "}";
      if (n.sup) s += "^{" + script_latex(*n.sup) + "}";
      return s + " " + to_latex(*n.args[0]) + " \\, d" + to_latex(*n.args[1]);
    }
    case Kind::expect: {
      std::string s = "\\mathbb{E}";
      if (n.sub) s += "_{" + script_latex(*n.sub) + "}";
      std::string body = to_latex(*n.args[0]);
      for (std::size_t i = 1; i < n.args.size(); ++i) body += (i == 1 ? " \\mid " : ", ") + to_latex(*n.args[i]);
      return s + "\\left[" + body + "\\right]";
    }
    case Kind::nabla: {
      std::string s = "\\nabla";
      if (n.sub) s += "_{" + script_latex(*n.sub) + "}";
      return s + " " + wrap(*n.args[0], 3);
    }
    case Kind::partial: return "\\frac{\\partial}{\\partial " + to_latex(*n.args[1]) + "} " + wrap(*n.args[0], 3);
    case Kind::relation: {
      std::string s = to_latex(*n.args[0]);
      for (std::size_t i = 1; i < n.args.size(); ++i) {
        const std::string& op = n.seps[i - 1];
        const std::string o = op == "<=" ? "\\le" : op == ">=" ? "\\ge" : op == "approx" ? "\\approx" : op == "propto" ? "\\propto" : op == "!=" ? "\\ne" : op;
        s += " " + o + " " + to_latex(*n.args[i]);
      }
      return s;
    }
    case Kind::assign: return to_latex(*n.args[0]) + "=" + to_latex(*n.args[1]);
    case Kind::sim: return to_latex(*n.args[0]) + " \\sim " + to_latex(*n.args[1]);
    case Kind::tends: return to_latex(*n.args[0]) + " \\to " + to_latex(*n.args[1]);
    case Kind::range: return to_latex(*n.args[0]) + ":" + to_latex(*n.args[1]);
    case Kind::list: {
      std::string s;
      for (std::size_t i = 0; i < n.args.size(); ++i) s += (i ? ", " : "") + to_latex(*n.args[i]);
      return s;
    }
    case Kind::indicator:
      return n.text == "P" ? "P\\left(" + to_latex(*n.args[0]) + "\\right)" : "\\mathbb{1}\\left[" + to_latex(*n.args[0]) + "\\right]";
  }
  return "?";
}

}  // namespace

bool same(const Node& a, const Node& b) {
  if (a.kind != b.kind || a.text != b.text || a.seps != b.seps || a.args.size() != b.args.size()) return false;
  if (a.sym.base != b.sym.base || a.sym.style != b.sym.style || a.sym.accents != b.sym.accents ||
      a.sym.primes != b.sym.primes || a.sym.star != b.sym.star)
    return false;
  if (bool(a.sub) != bool(b.sub) || bool(a.sup) != bool(b.sup)) return false;
  if (a.sub && !same(*a.sub, *b.sub)) return false;
  if (a.sup && !same(*a.sup, *b.sup)) return false;
  for (std::size_t i = 0; i < a.args.size(); ++i)
    if (!same(*a.args[i], *b.args[i])) return false;
  return true;
}

std::string symbol_name(const Node& n, bool with_sub) {
  if (n.kind != Kind::symbol) return to_latex(n);
  std::string s = core_latex(n.sym);
  if (with_sub && n.sub) s += "_" + braced(script_latex(*n.sub));
  if (n.sym.star) s += "^{*}";
  return s;
}

}  // namespace verify::formula

namespace verify::formula {

namespace {
// Collects the smallest subtrees where a and b differ: equal nodes are skipped, nodes of the same shape are compared
// child by child, anything else is a difference as a whole.
void differences(const Node& a, const Node& b, std::set<const Node*>& ma, std::set<const Node*>& mb) {
  if (same(a, b)) return;
  const bool shape = a.kind == b.kind && a.text == b.text && a.seps == b.seps && a.args.size() == b.args.size() &&
                     a.sym.base == b.sym.base && a.sym.style == b.sym.style && a.sym.accents == b.sym.accents &&
                     a.sym.primes == b.sym.primes && a.sym.star == b.sym.star && bool(a.sub) == bool(b.sub) &&
                     bool(a.sup) == bool(b.sup) && a.kind != Kind::number && a.kind != Kind::symbol;
  if (!shape) {
    ma.insert(&a);
    mb.insert(&b);
    return;
  }
  for (std::size_t i = 0; i < a.args.size(); ++i) differences(*a.args[i], *b.args[i], ma, mb);
  if (a.sub) differences(*a.sub, *b.sub, ma, mb);
  if (a.sup) differences(*a.sup, *b.sup, ma, mb);
}
}  // namespace

std::pair<std::string, std::string> latex_with_differences(const Node& a, const Node& b,
                                                           const std::function<std::string(const std::string&)>& mark) {
  std::set<const Node*> ma, mb;
  differences(a, b, ma, mb);
  g_mark = &mark;
  g_marked = &ma;
  std::string sa = to_latex(a);
  g_marked = &mb;
  std::string sb = to_latex(b);
  g_marked = nullptr;
  g_mark = nullptr;
  return {sa, sb};
}

}  // namespace verify::formula
