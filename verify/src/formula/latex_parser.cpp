// From LaTeX text to a syntax tree: macros expanded, the PEGTL grammar (latex_grammar.hpp) run with
// tao::pegtl::parse_tree, and the selected parse nodes folded into formula::Node (operators left-associative,
// scripts attached to their symbols). Errors carry the position in the text as the user wrote it.
#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "latex_grammar.hpp"
#include "verify/edit_distance.hpp"
#include "verify/formula/latex.hpp"

namespace verify::formula {

namespace g = grammar;

// What the parser could not take at a failure point (for the message), and a close known command.
std::string describe_failure(const std::string& text, std::size_t byte, const MacroTable& macros);
std::string suggest_command(const std::string& text, std::size_t byte, const MacroTable& macros);
namespace pt = tao::pegtl::parse_tree;
using tao::pegtl::memory_input;

namespace {

template <class Rule>
using selector =
    pt::selector<Rule,
                 pt::store_content::on<
                     g::number, g::single_digit, g::letter, g::greek_name, g::word, g::text_content, g::style_name,
                     g::accent_name, g::styled, g::accented, g::text_atom, g::symbol, g::callee, g::call,
                     g::call_paren, g::call_brack, g::arg_sep, g::frac, g::sqrt_op, g::root_degree, g::paren_group,
                     g::brack_group, g::set_group, g::brace_group, g::norm, g::abs_val, g::wrapper, g::colored,
                     g::postfix_atom, g::sub_script, g::sup_script, g::prime_mark, g::top_mark, g::sub_list,
                     g::sub_item, g::sim_op, g::range_op, g::assign_op, g::to_op, g::lim_op, g::func_name, g::func_op, g::sum_op,
                     g::prod_op, g::median_op, g::integral, g::differential, g::lead_differential, g::diff_var, g::expect_op,
                     g::expect_power, g::expect_body, g::expect_brack, g::cond_list, g::nabla_op, g::chain, g::term, g::mul_op,
                     g::sign, g::signed_chain, g::expr, g::add_op, g::rel_op, g::relation, g::frac_arg,
                     g::script_single, g::script_group, g::number_tok, g::closed_factor, g::event,
                     g::indicator_op, g::prob_op>>;

// The furthest byte any rule started at: where a failed parse most likely went wrong.
struct Furthest {
  std::size_t byte = 0;
};
template <class Rule>
struct track : tao::pegtl::normal<Rule> {
  template <class Input, class... States>
  static void start(const Input& in, States&&... st) {
    (note(in, st), ...);
  }
  template <class Input>
  static void note(const Input& in, Furthest& f) {
    f.byte = std::max(f.byte, in.byte());
  }
  template <class Input, class S>
  static void note(const Input&, S&) {}
};

using PNode = pt::node;

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Converts parse nodes to Nodes; positions are mapped back through the macro expansion.
class Builder {
 public:
  Builder(const std::string& original, const Expanded& ex) : original_(original), ex_(ex) {}

  Pos pos_of(std::size_t expanded_byte) const {
    const std::size_t b = std::min(expanded_byte, ex_.origin.size() - 1);
    return position_in(original_, ex_.origin[b]);
  }
  [[noreturn]] void fail(const PNode& n, const std::string& why) const {
    const Pos p = pos_of(n.begin().byte);
    throw LatexError(p, fragment(p.offset), why);
  }
  std::string fragment(std::size_t offset) const {
    std::string f = original_.substr(std::min(offset, original_.size()), 24);
    if (auto nl = f.find('\n'); nl != std::string::npos) f = f.substr(0, nl);
    return trim(f);
  }

  Node base(const PNode& n, Kind k) const {
    Node out;
    out.kind = k;
    out.begin = pos_of(n.begin().byte);
    out.end = pos_of(n.end().byte);
    return out;
  }
  static NodePtr P(Node n) { return std::make_shared<const Node>(std::move(n)); }

  NodePtr relation(const PNode& n) const {
    std::vector<NodePtr> exprs;
    std::vector<std::string> ops;
    for (const auto& c : n.children) {
      if (c->is_type<g::expr>()) exprs.push_back(expr(*c));
      else if (c->is_type<g::rel_op>()) ops.push_back(rel_name(trim(c->string())));
    }
    if (exprs.size() == 1) return exprs[0];
    Node r = base(n, Kind::relation);
    r.args = exprs;
    r.seps = ops;
    r.text = ops.size() == 1 ? ops[0] : "chain";
    return P(std::move(r));
  }
  static std::string rel_name(std::string s) {
    // The token may carry layout before it (align's &, spacing commands).
    s.erase(std::remove(s.begin(), s.end(), '&'), s.end());
    for (const char* sp : {"\\,", "\\;", "\\!", "\\quad", "\\qquad"})
      for (std::size_t at = s.find(sp); at != std::string::npos; at = s.find(sp)) s.erase(at, std::string(sp).size());
    s = trim(s);
    if (s == "=" || s == "\\triangleq" || s == "\\coloneqq" || s == ":=" || s == "\\equiv") return "=";
    if (s == "\\le" || s == "\\leq" || s == "\\leqslant") return "<=";
    if (s == "\\ge" || s == "\\geq" || s == "\\geqslant") return ">=";
    if (s == "\\approx" || s == "\\simeq") return "approx";
    if (s == "\\propto") return "propto";
    if (s == "\\ne" || s == "\\neq") return "!=";
    return s;  // < >
  }

  NodePtr expr(const PNode& n) const {
    NodePtr acc;
    bool negate = false;
    std::string pending;
    for (const auto& c : n.children) {
      if (c->is_type<g::sign>()) {
        negate = trim(c->string()) == "-";
      } else if (c->is_type<g::add_op>()) {
        pending = trim(c->string());
      } else if (c->is_type<g::term>()) {
        NodePtr t = term(*c);
        if (!acc) {
          if (negate) {
            Node ng = base(n, Kind::neg);
            ng.end = t->end;
            ng.args = {t};
            t = P(std::move(ng));
          }
          acc = t;
        } else {
          Node b = base(n, pending == "-" ? Kind::sub : Kind::add);
          b.end = t->end;
          b.args = {acc, t};
          acc = P(std::move(b));
        }
      }
    }
    return acc;
  }

  NodePtr term(const PNode& n) const {
    NodePtr acc;
    std::string op;
    for (const auto& c : n.children) {
      if (c->is_type<g::mul_op>()) {
        op = trim(c->string());
        continue;
      }
      NodePtr x = c->is_type<g::chain>() ? chain(*c) : signed_chain(*c);
      if (!acc) {
        acc = x;
        continue;
      }
      const bool division = op == "/" || op == "\\div";
      Node b = base(n, division ? Kind::div : Kind::mul);
      b.text = division ? "/" : (op == "\\times" ? "times" : "cdot");
      b.end = x->end;
      b.args = {acc, x};
      acc = P(std::move(b));
    }
    return acc;
  }

  NodePtr signed_chain(const PNode& n) const {
    bool neg = false;
    NodePtr x;
    for (const auto& c : n.children) {
      if (c->is_type<g::sign>()) neg = trim(c->string()) == "-";
      else x = chain(*c);
    }
    if (!neg) return x;
    Node ng = base(n, Kind::neg);
    ng.args = {x};
    return P(std::move(ng));
  }

  NodePtr chain(const PNode& n) const {
    NodePtr acc;
    for (const auto& c : n.children) {
      NodePtr f = factor(*c);
      if (!acc) {
        acc = f;
        continue;
      }
      Node m = base(n, Kind::mul);
      m.text = "implicit";
      m.begin = acc->begin;
      m.end = f->end;
      m.args = {acc, f};
      acc = P(std::move(m));
    }
    return acc;
  }

  NodePtr factor(const PNode& n) const {
    if (n.is_type<g::postfix_atom>()) return postfix_atom(n);
    if (n.is_type<g::func_op>()) {
      Node f = base(n, Kind::func);
      for (const auto& c : n.children) {
        if (c->is_type<g::func_name>()) {
          std::string name = trim(c->string()).substr(1);
          if (name == "ln") name = "log";
          if (name == "Var") name = "var";
          if (name == "Cov") name = "cov";
          f.text = name;
        } else if (c->is_type<g::closed_factor>()) {
          f.args.push_back(postfix_atom(*c));
        } else {
          f.args.push_back(chain(*c));
        }
      }
      return P(std::move(f));
    }
    if (n.is_type<g::sum_op>() || n.is_type<g::prod_op>() || n.is_type<g::lim_op>() || n.is_type<g::median_op>()) {
      Node s = base(n, n.is_type<g::sum_op>()      ? Kind::sum
                       : n.is_type<g::prod_op>()   ? Kind::prod
                       : n.is_type<g::median_op>() ? Kind::median
                                                   : Kind::limit);
      for (const auto& c : n.children) {
        if (c->is_type<g::sub_script>()) s.sub = script(*c);
        else if (c->is_type<g::sup_script>()) s.sup = script(*c);
        else if (c->is_type<g::term>()) s.args.push_back(term(*c));
      }
      return P(std::move(s));
    }
    if (n.is_type<g::integral>()) {
      Node s = base(n, Kind::integral);
      NodePtr body, var;
      for (const auto& c : n.children) {
        if (c->is_type<g::sub_script>()) s.sub = script(*c);
        else if (c->is_type<g::sup_script>()) s.sup = script(*c);
        else if (c->is_type<g::term>()) body = term(*c);
        else if (c->is_type<g::expr>()) body = expr(*c);
        else if (c->is_type<g::differential>() || c->is_type<g::lead_differential>()) var = diff_var(*c);
      }
      s.args = {body, var};
      return P(std::move(s));
    }
    if (n.is_type<g::expect_op>()) {
      Node e = base(n, Kind::expect);
      NodePtr power_of;
      for (const auto& c : n.children) {
        if (c->is_type<g::expect_power>()) {
          power_of = script(*c->children.at(0));
          continue;
        }
        if (c->is_type<g::sub_script>()) e.sub = script(*c);
        else if (c->is_type<g::sup_script>()) e.sup = script(*c);
        else if (c->is_type<g::chain>()) e.args.push_back(chain(*c));
        else if (c->is_type<g::expect_brack>()) {
          const std::string s = trim(c->string());
          e.text = s.find('[') != std::string::npos && s.find('[') < 8 ? "[" : "(";
          for (const auto& b : c->children) {  // expect_body
            for (const auto& x : b->children) {
              if (x->is_type<g::expr>()) e.args.push_back(expr(*x));
              else if (x->is_type<g::cond_list>())
                for (const auto& y : x->children) e.args.push_back(expr(*y));
            }
          }
        }
      }
      if (power_of) {
        Node p = base(n, Kind::pow);
        p.args = {P(std::move(e)), power_of};
        return P(std::move(p));
      }
      return P(std::move(e));
    }
    if (n.is_type<g::indicator_op>() || n.is_type<g::prob_op>()) {
      Node e = base(n, Kind::indicator);
      e.text = n.is_type<g::prob_op>() ? "P" : "1";
      for (const auto& c : n.children)
        if (c->is_type<g::event>()) e.args.push_back(relation(*c));
      if (e.args.size() != 1) fail(n, "internal: an indicator without its event");
      return P(std::move(e));
    }
    if (n.is_type<g::nabla_op>()) {
      Node e = base(n, Kind::nabla);
      for (const auto& c : n.children) {
        if (c->is_type<g::sub_script>()) e.sub = script(*c);
        else e.args.push_back(factor(*c));
      }
      return P(std::move(e));
    }
    fail(n, "internal: unexpected factor");
  }

  NodePtr diff_var(const PNode& d) const {
    for (const auto& c : d.children)
      if (c->is_type<g::diff_var>()) {
        Node s = symbol_core_of(*c);
        apply_postfix_children(s, *c);
        return P(std::move(s));
      }
    fail(d, "internal: differential without variable");
  }

  NodePtr group(const PNode& n, const std::string& bracket) const {
    Node gnode = base(n, Kind::group);
    gnode.text = bracket;
    for (const auto& c : n.children) {
      if (c->is_type<g::expr>()) gnode.args.push_back(expr(*c));
      else if (c->is_type<g::relation>()) gnode.args.push_back(relation(*c));
    }
    if (gnode.args.size() != 1) fail(n, "empty brackets");
    return P(std::move(gnode));
  }

  // symbol_core alternatives: letter, greek, word, text_atom, styled, accented.
  Node symbol_core(const PNode& n) const {
    Node s = base(n, Kind::symbol);
    if (n.is_type<g::letter>()) {
      s.sym.base = n.string();
    } else if (n.is_type<g::greek_name>()) {
      s.sym.base = n.string();
    } else if (n.is_type<g::word>()) {
      s.sym.base = n.string();
      s.sym.style = "rm";
    } else if (n.is_type<g::text_atom>()) {
      for (const auto& c : n.children)
        if (c->is_type<g::text_content>()) s.sym.base = trim(c->string());
      s.sym.style = "rm";
      if (s.sym.base.empty()) fail(n, "empty \\text{}");
    } else if (n.is_type<g::styled>() || n.is_type<g::accented>()) {
      std::string deco;
      for (const auto& c : n.children) {
        if (c->is_type<g::style_name>() || c->is_type<g::accent_name>()) {
          deco = c->string();
          continue;
        }
        s = symbol_core(*c);
        s.begin = pos_of(n.begin().byte);
        s.end = pos_of(n.end().byte);
      }
      if (n.is_type<g::styled>()) {
        if (deco == "mathcal" || deco == "mathscr") s.sym.style = "cal";
        else if (deco == "mathbb") s.sym.style = "bb";
        else if (deco == "mathfrak") s.sym.style = "frak";
        // \mathbf, \boldsymbol, \bm, \mathit, \mathsf: typography only (x and \mathbf{x} are the same vector).
      } else {
        if (deco == "overline") deco = "bar";
        if (deco == "widetilde") deco = "tilde";
        if (deco == "widehat") deco = "hat";
        s.sym.accents.insert(s.sym.accents.begin(), deco);
      }
    } else {
      fail(n, "internal: unexpected symbol");
    }
    return s;
  }
  Node symbol_core_of(const PNode& holder) const {
    for (const auto& c : holder.children)
      if (c->is_type<g::letter>() || c->is_type<g::greek_name>() || c->is_type<g::word>() || c->is_type<g::text_atom>() ||
          c->is_type<g::styled>() || c->is_type<g::accented>())
        return symbol_core(*c);
    fail(holder, "internal: no symbol");
  }

  // Scripts: the content of _{...} or ^{...} (one item, a list, or an item with \sim, :, =), or a top mark.
  NodePtr script(const PNode& n) const {
    for (const auto& c : n.children) {
      if (c->is_type<g::top_mark>()) {
        Node t = base(*c, Kind::text);
        t.text = trim(c->string());
        if (t.text == "\\intercal") t.text = "\\top";
        return P(std::move(t));
      }
      if (c->is_type<g::script_single>()) return script_single(*c);
      if (c->is_type<g::script_group>()) {
        for (const auto& l : c->children)
          if (l->is_type<g::sub_list>()) return sub_list(*l);
        Node empty = base(*c, Kind::list);
        return P(std::move(empty));
      }
    }
    fail(n, "internal: empty script");
  }
  NodePtr script_single(const PNode& n) const {
    const std::string s = trim(n.string());
    if (s.size() == 1 && std::isdigit(static_cast<unsigned char>(s[0]))) {
      Node num = base(n, Kind::number);
      num.text = s;
      return P(std::move(num));
    }
    return P(symbol_core_of(n));
  }
  NodePtr sub_list(const PNode& n) const {
    std::vector<NodePtr> items;
    for (const auto& c : n.children) items.push_back(sub_item(*c));
    if (items.size() == 1) return items[0];
    Node l = base(n, Kind::list);
    l.args = items;
    return P(std::move(l));
  }
  NodePtr sub_item(const PNode& n) const {
    std::vector<NodePtr> parts;
    Kind k = Kind::list;
    for (const auto& c : n.children) {
      if (c->is_type<g::expr>()) parts.push_back(expr(*c));
      else if (c->is_type<g::sim_op>()) k = Kind::sim;
      else if (c->is_type<g::range_op>()) k = Kind::range;
      else if (c->is_type<g::assign_op>()) k = Kind::assign;
      else if (c->is_type<g::to_op>()) k = Kind::tends;
    }
    if (parts.size() == 1) return parts[0];
    Node x = base(n, k);
    x.args = parts;
    return P(std::move(x));
  }

  void apply_postfix_children(Node& s, const PNode& holder) const {
    for (const auto& c : holder.children) {
      if (c->is_type<g::sub_script>()) {
        if (s.sub) fail(*c, "double subscript");
        s.sub = script(*c);
      } else if (c->is_type<g::sup_script>()) {
        NodePtr sup = script(*c);
        if (sup->kind == Kind::text && sup->text == "*") s.sym.star = true;
        else if (sup->kind == Kind::text && sup->text == "\\prime") ++s.sym.primes;
        else {
          if (s.sup) fail(*c, "double superscript");
          s.sup = sup;
        }
      } else if (c->is_type<g::prime_mark>()) {
        s.sym.primes += static_cast<int>(trim(c->string()).size());
      }
    }
  }

  NodePtr postfix_atom(const PNode& n) const {
    const PNode& a = *n.children.at(0);
    NodePtr x;
    bool is_symbol = false;
    Node sym;
    if (a.is_type<g::symbol>()) {
      sym = symbol_core_of(a);
      is_symbol = true;
    } else {
      x = atom(a);
    }
    for (std::size_t i = 1; i < n.children.size(); ++i) {
      const PNode& c = *n.children[i];
      if (is_symbol && (c.is_type<g::sub_script>() || c.is_type<g::sup_script>() || c.is_type<g::prime_mark>())) {
        // Scripts on a symbol belong to it (alpha_t^2: the square of alpha_t; resolution decides what ^ means).
        Node holder_copy;
        (void)holder_copy;
        if (c.is_type<g::sub_script>()) {
          if (sym.sub) {
            // x_t^2_s: a second subscript after a superscript is a power's base problem: refuse.
            fail(c, "double subscript");
          }
          sym.sub = script(c);
        } else if (c.is_type<g::sup_script>()) {
          NodePtr sup = script(c);
          if (sup->kind == Kind::text && sup->text == "*") sym.sym.star = true;
          else if (sup->kind == Kind::text && sup->text == "\\prime") ++sym.sym.primes;
          else if (sym.sup) {
            // x^a^b: the second superscript applies to the whole.
            x = P(sym);
            is_symbol = false;
            Node p = base(n, Kind::pow);
            p.args = {x, sup};
            x = P(std::move(p));
          } else {
            sym.sup = sup;
          }
        } else {
          sym.sym.primes += static_cast<int>(trim(c.string()).size());
        }
        sym.end = pos_of(c.end().byte);
        continue;
      }
      if (is_symbol) {
        x = P(sym);
        is_symbol = false;
      }
      if (c.is_type<g::sup_script>()) {
        NodePtr sup = script(c);
        Node p = base(n, Kind::pow);
        if (sup->kind == Kind::text && sup->text == "\\top") {
          p.kind = Kind::transpose;
          p.args = {x};
        } else if (sup->kind == Kind::text) {
          fail(c, "'" + sup->text + "' here is not supported");
        } else {
          p.args = {x, sup};
        }
        x = P(std::move(p));
      } else if (c.is_type<g::sub_script>()) {
        if (x->kind == Kind::norm && !x->sub) {
          Node nn = *x;
          nn.sub = script(c);
          x = P(std::move(nn));
        } else if (x->kind == Kind::pow && x->args[0]->kind == Kind::norm && !x->args[0]->sub) {
          // \|v\|^2_2: the subscript belongs to the norm.
          Node nn = *x->args[0];
          nn.sub = script(c);
          Node pw = *x;
          pw.args[0] = P(std::move(nn));
          x = P(std::move(pw));
        } else {
          fail(c, "a subscript here (after brackets) has no meaning");
        }
      } else if (c.is_type<g::prime_mark>()) {
        fail(c, "a prime after brackets has no meaning");
      }
    }
    if (is_symbol) return P(sym);
    return x;
  }

  NodePtr frac_arg(const PNode& n) const {
    for (const auto& c : n.children) {
      if (c->is_type<g::expr>()) return expr(*c);
      if (c->is_type<g::single_digit>()) {
        Node num = base(*c, Kind::number);
        num.text = trim(c->string());
        return P(std::move(num));
      }
    }
    return P(symbol_core_of(n));
  }

  NodePtr atom(const PNode& a) const {
    if (a.is_type<g::number_tok>()) {
      Node num = base(a, Kind::number);
      // The token includes the spacing before it (\, 4): the number is what follows.
      const std::string tok = a.string();
      num.text = trim(tok.substr(std::min(tok.size(), tok.find_first_of("0123456789."))));
      return P(std::move(num));
    }
    if (a.is_type<g::frac>()) {
      Node d = base(a, Kind::div);
      d.text = "frac";
      for (const auto& c : a.children)
        if (c->is_type<g::frac_arg>()) d.args.push_back(frac_arg(*c));
      return P(std::move(d));
    }
    if (a.is_type<g::sqrt_op>()) {
      Node f = base(a, Kind::func);
      f.text = "sqrt";
      NodePtr degree;
      for (const auto& c : a.children) {
        if (c->is_type<g::root_degree>()) {
          for (const auto& e : c->children)
            if (e->is_type<g::expr>()) degree = expr(*e);
        } else if (c->is_type<g::frac_arg>()) {
          f.args.push_back(frac_arg(*c));
        }
      }
      if (degree) {
        f.text = "root";
        f.args.push_back(degree);
      }
      return P(std::move(f));
    }
    if (a.is_type<g::call>()) {
      Node c = base(a, Kind::call);
      const PNode* callee = nullptr;
      const PNode* argsnode = nullptr;
      for (const auto& ch : a.children) {
        if (ch->is_type<g::callee>()) callee = ch.get();
        else argsnode = ch.get();
      }
      Node f = symbol_core_of(*callee);
      apply_postfix_children(f, *callee);
      c.args.push_back(P(std::move(f)));
      c.text = argsnode && argsnode->is_type<g::call_brack>() ? "[" : "(";
      if (argsnode)
        for (const auto& ch : argsnode->children) {
          if (ch->is_type<g::expr>()) c.args.push_back(expr(*ch));
          else if (ch->is_type<g::arg_sep>()) {
            std::string s = trim(ch->string());
            if (s == "," || s == ";") c.seps.push_back(s);
            else if (s.find('|') != std::string::npos && (s.find("||") != std::string::npos || s.find("\\|") != std::string::npos))
              c.seps.push_back("||");
            else if (s.find("parallel") != std::string::npos || s.find("Vert") != std::string::npos) c.seps.push_back("||");
            else c.seps.push_back("|");
          }
        }
      return P(std::move(c));
    }
    if (a.is_type<g::paren_group>()) return group(a, "(");
    if (a.is_type<g::brack_group>()) return group(a, "[");
    if (a.is_type<g::set_group>()) return group(a, "\\{");
    if (a.is_type<g::brace_group>()) return group(a, "{");
    if (a.is_type<g::norm>() || a.is_type<g::abs_val>()) {
      Node nn = base(a, a.is_type<g::norm>() ? Kind::norm : Kind::abs);
      for (const auto& c : a.children)
        if (c->is_type<g::expr>()) nn.args.push_back(expr(*c));
      return P(std::move(nn));
    }
    if (a.is_type<g::wrapper>() || a.is_type<g::colored>()) {
      for (const auto& c : a.children)
        if (c->is_type<g::relation>()) return relation(*c);
    }
    fail(a, "internal: unexpected atom");
  }

 private:
  const std::string& original_;
  const Expanded& ex_;
};

std::string closest(const std::string& s, const std::vector<std::string>& names, std::size_t max_d = 2) {
  std::string best;
  std::size_t bd = max_d + 1;
  for (const auto& n : names) {
    const auto d = edit_distance(s, n);
    if (d < bd) bd = d, best = n;
  }
  return best;
}

constexpr std::size_t kMaxFormula = 16384;

NodePtr parse_expanded(const std::string& original, const Expanded& ex, const MacroTable& macros) {
  if (ex.text.size() > kMaxFormula)
    throw LatexError({}, "", "formula longer than " + std::to_string(kMaxFormula) + " characters");
  // Brackets nested too deep would exhaust the parser's stack: refuse them first.
  int depth = 0, max_depth = 0;
  for (char ch : ex.text) {
    if (ch == '{' || ch == '(' || ch == '[') max_depth = std::max(max_depth, ++depth);
    if (ch == '}' || ch == ')' || ch == ']') --depth;
  }
  if (max_depth > 64) throw LatexError({}, "", "brackets nested more than 64 deep");
  {
    // Braces must balance (TeX requires it); say which one is open rather than where the parser gave up.
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < ex.text.size(); ++i) {
      if (ex.text[i] == '\\' && i + 1 < ex.text.size()) {
        ++i;
        continue;
      }
      if (ex.text[i] == '{') open.push_back(i);
      if (ex.text[i] == '}') {
        if (open.empty()) {
          const Pos p = position_in(original, ex.origin[i]);
          throw LatexError(p, original.substr(p.offset, 12), "'}' closes nothing");
        }
        open.pop_back();
      }
    }
    if (!open.empty()) {
      const Pos p = position_in(original, ex.origin[open.back()]);
      throw LatexError(p, original.substr(p.offset, 12), "'{' is never closed");
    }
  }
  memory_input<> in(ex.text, "formula");
  Furthest far;
  std::unique_ptr<pt::node> root;
  Builder b(original, ex);
  auto located = [&](std::size_t byte) {
    while (byte < ex.text.size() && std::isspace(static_cast<unsigned char>(ex.text[byte]))) ++byte;
    if (byte > 0 && byte <= ex.text.size() && ex.text[byte - 1] == '\\') --byte;
    const Pos p = b.pos_of(byte);
    return std::make_pair(p, b.fragment(p.offset));
  };
  try {
    root = pt::parse<g::formula, selector, tao::pegtl::nothing, track>(in, far);
  } catch (const tao::pegtl::parse_error& e) {
    const std::size_t byte = e.positions().empty() ? far.byte : std::max(far.byte, e.positions().front().byte);
    auto [p, frag] = located(byte);
    throw LatexError(p, frag, describe_failure(ex.text, byte, macros), suggest_command(ex.text, byte, macros));
  }
  if (!root) {
    auto [p, frag] = located(far.byte);
    throw LatexError(p, frag, describe_failure(ex.text, far.byte, macros), suggest_command(ex.text, far.byte, macros));
  }
  // formula -> relation
  for (const auto& c : root->children)
    if (c->is_type<g::relation>()) return b.relation(*c);
  throw LatexError({}, "", "empty formula");
}

}  // namespace


namespace {
std::string command_after(const std::string& text, std::size_t byte) {
  // Skip spaces to the token the parser could not take.
  while (byte < text.size() && std::isspace(static_cast<unsigned char>(text[byte]))) ++byte;
  if (byte >= text.size() || text[byte] != '\\') return {};
  std::size_t j = byte + 1;
  while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
  return text.substr(byte, j - byte);
}
}  // namespace

std::string describe_failure(const std::string& text, std::size_t byte, const MacroTable& macros) {
  while (byte < text.size() && std::isspace(static_cast<unsigned char>(text[byte]))) ++byte;
  if (byte > 0 && byte <= text.size() && text[byte - 1] == '\\') --byte;
  if (byte >= text.size()) return "the formula ends too early (an unclosed bracket, or an operator with nothing after it?)";
  const std::string cmd = command_after(text, byte);
  if (cmd.size() > 1) {
    const auto& known = known_commands();
    if (std::find(known.begin(), known.end(), cmd) == known.end() && !macros.count(cmd))
      return "unknown command " + cmd + " (define it in [macros] if the note defines it)";
    return "unexpected " + cmd + " here";
  }
  std::string ch(1, text[byte]);
  return "unexpected '" + ch + "' here";
}

std::string suggest_command(const std::string& text, std::size_t byte, const MacroTable& macros) {
  while (byte < text.size() && std::isspace(static_cast<unsigned char>(text[byte]))) ++byte;
  if (byte > 0 && byte <= text.size() && text[byte - 1] == '\\') --byte;
  const std::string cmd = command_after(text, byte);
  if (cmd.size() < 2) return {};
  std::vector<std::string> names = known_commands();
  for (const auto& [k, v] : macros) names.push_back(k);
  if (std::find(names.begin(), names.end(), cmd) != names.end()) return {};
  return closest(cmd, names);
}

const std::vector<std::string>& known_commands() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v = {
        "\\frac", "\\tfrac", "\\dfrac", "\\cfrac", "\\sqrt", "\\log", "\\ln", "\\exp", "\\det", "\\tr", "\\sin", "\\cos",
        "\\tanh", "\\sum", "\\prod", "\\lim", "\\to", "\\rightarrow", "\\int", "\\nabla", "\\partial", "\\mathbb", "\\mathcal", "\\mathbf", "\\boldsymbol",
        "\\bm", "\\mathrm", "\\text", "\\textrm", "\\textit", "\\textbf", "\\operatorname", "\\mathit", "\\mathsf",
        "\\mathscr", "\\mathfrak", "\\bar", "\\overline", "\\tilde", "\\widetilde", "\\hat", "\\widehat", "\\vec",
        "\\dot", "\\ddot", "\\check", "\\breve", "\\left", "\\right", "\\middle", "\\big", "\\Big", "\\bigg", "\\Bigg",
        "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\cdot", "\\times",
        "\\div", "\\le", "\\leq", "\\leqslant", "\\ge", "\\geq", "\\geqslant", "\\approx", "\\propto", "\\simeq",
        "\\triangleq", "\\coloneqq", "\\equiv", "\\ne", "\\neq", "\\sim", "\\mid", "\\vert", "\\lvert", "\\rvert",
        "\\Vert", "\\lVert", "\\rVert", "\\parallel", "\\top", "\\intercal", "\\prime", "\\ldots", "\\dots", "\\cdots",
        "\\quad", "\\qquad", "\\displaystyle", "\\textstyle", "\\scriptstyle", "\\nonumber", "\\notag", "\\limits",
        "\\nolimits", "\\label", "\\tag", "\\color", "\\textcolor", "\\colorbox", "\\underbrace", "\\overbrace",
        "\\boxed", "\\underline", "\\begin", "\\end"};
    for (const char* gk : {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
                           "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho",
                           "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma",
                           "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell",
                           "infty"})
      v.push_back(std::string("\\") + gk);
    for (const char* ind : {"\\Pr", "\\mathds"}) v.push_back(ind);  // probability, indicator (\mathds{1})
    return v;
  }();
  return k;
}

NodePtr parse_formula(const std::string& text, const MacroTable& macros) {
  const Expanded ex = expand_macros(text, macros);
  if (ex.text.find("\\\\") != std::string::npos) {
    const auto at = ex.text.find("\\\\");
    throw LatexError(position_in(text, ex.origin[at]), "\\\\", "a line break \\\\ in a single formula: write derivations in [derivation]");
  }
  return parse_expanded(text, ex, macros);
}

Derivation parse_derivation(const std::string& text, const MacroTable& macros) {
  const Expanded ex = expand_macros(text, macros);
  // Drop \begin{...} / \end{...} and split at \\ (outside braces).
  std::string t = ex.text;
  std::vector<std::size_t> origin = ex.origin;
  auto blank = [&](std::size_t from, std::size_t len) {
    for (std::size_t i = from; i < from + len && i < t.size(); ++i) t[i] = ' ';
  };
  for (const char* env : {"\\begin{", "\\end{"}) {
    for (std::size_t at = t.find(env); at != std::string::npos; at = t.find(env, at + 1)) {
      const std::size_t close = t.find('}', at);
      if (close == std::string::npos) break;
      const std::string name = t.substr(at + std::string(env).size(), close - at - std::string(env).size());
      static const std::set<std::string> ok = {"align", "align*", "aligned", "equation", "equation*", "gathered", "split",
                                               "eqnarray", "eqnarray*", "multline", "multline*"};
      if (!ok.count(name))
        throw LatexError(position_in(text, origin[at]), t.substr(at, close - at + 1),
                         "environment '" + name + "' is not a derivation (use align*, aligned or equation)");
      blank(at, close - at + 1);
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> pieces;  // [begin, end) in t
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') ++depth;
    if (t[i] == '}') --depth;
    if (depth == 0 && t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '\\') {
      pieces.push_back({start, i});
      start = i + 2;
      ++i;
    }
  }
  pieces.push_back({start, t.size()});
  Derivation d;
  bool first = true;
  for (const auto& [b, e] : pieces) {
    std::string line = t.substr(b, e - b);
    if (line.find_first_not_of(" \t\r\n&") == std::string::npos) continue;
    // A line that starts with a relation continues the previous one: "&= rhs".
    Expanded piece;
    piece.text = line;
    piece.origin.assign(origin.begin() + static_cast<long>(b), origin.begin() + static_cast<long>(e));
    piece.origin.push_back(origin[e]);
    std::size_t k = line.find_first_not_of(" \t\r\n&");
    std::string rel;
    for (const char* op : {"=", "\\le", "\\leq", "\\ge", "\\geq", "\\approx", "\\propto", "<", ">"}) {
      const std::string o(op);
      if (line.compare(k, o.size(), o) == 0 && (o[0] != '\\' || k + o.size() >= line.size() || !std::isalpha(static_cast<unsigned char>(line[k + o.size()])))) {
        rel = o;
        break;
      }
    }
    if (!rel.empty()) {
      if (first) throw LatexError(position_in(text, piece.origin[k]), line.substr(k, 20), "the first line of a derivation must start with an expression");
      for (std::size_t i = k; i < k + rel.size(); ++i) piece.text[i] = ' ';
      d.relations.push_back(Builder::rel_name(rel));
      d.lines.push_back(parse_expanded(text, piece, macros));
      continue;
    }
    NodePtr n = parse_expanded(text, piece, macros);
    if (n->kind == Kind::relation) {
      if (!first) {
        // "a = b" on a later line: a restatement; its left side must continue the chain.
        throw LatexError(n->begin, line.substr(k, 20), "a later line of a derivation should start with '&=' (it continues the previous line)");
      }
      for (std::size_t i = 0; i < n->args.size(); ++i) {
        d.lines.push_back(n->args[i]);
        if (i > 0) d.relations.push_back(n->seps[i - 1]);
      }
    } else {
      if (!first) throw LatexError(n->begin, line.substr(k, 20), "a later line of a derivation should start with '&=' (it continues the previous line)");
      d.lines.push_back(n);
    }
    first = false;
  }
  if (d.lines.size() < 2) throw LatexError({}, "", "a derivation needs at least two lines (a = b)");
  return d;
}

}  // namespace verify::formula
