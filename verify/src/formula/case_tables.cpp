// Reading a formula case's tables: [macros], [define], [grid], [model] / [[models]], [forms], [mutants], and the
// statement itself (a relation, or a derivation: lines separated by \\). Every formula is parsed and resolved here,
// so a bad formula stops the run before anything is computed, with file:line:column.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <toml++/toml.h>

#include "verify/case_file.hpp"
#include "verify/errors.hpp"
#include "verify/formula/formula_case.hpp"

namespace verify::formula {

std::string locate(const Where& w, const Pos& p) {
  int line = w.line, col = w.column;
  for (std::size_t i = 0; i < p.offset && i < w.text.size(); ++i) {
    if (w.text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col) + ": ";
}

namespace {

struct Reader {
  const std::string& file;
  const std::string& text;
  std::vector<std::string> lines;

  Reader(const std::string& f, const std::string& t) : file(f), text(t) {
    std::stringstream ss(t);
    std::string l;
    while (std::getline(ss, l)) lines.push_back(l);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& why) const { throw InputError(file, key, why); }

  // The position of a string value's first character, from its TOML source position and delimiter.
  Where where(const toml::node& n, const std::string& key, const std::string& value) const {
    Where w;
    w.file = file;
    w.key = key;
    w.text = value;
    const auto& src = n.source();
    w.line = static_cast<int>(src.begin.line);
    w.column = static_cast<int>(src.begin.column);
    const std::size_t li = static_cast<std::size_t>(w.line - 1);
    if (li < lines.size()) {
      const std::string& L = lines[li];
      const std::size_t c = static_cast<std::size_t>(w.column - 1);
      if (L.compare(c, 3, "'''") == 0 || L.compare(c, 3, "\"\"\"") == 0) {
        if (c + 3 >= L.size() || L.find_first_not_of(" \t\r", c + 3) == std::string::npos) {
          ++w.line;  // TOML drops a newline right after the opening delimiter
          w.column = 1;
        } else {
          w.column += 3;
        }
      } else {
        w.column += 1;
      }
    }
    return w;
  }

  const std::map<std::string, Where>* wheres = nullptr;
  [[noreturn]] void latex_fail(const Where& w0, const LatexError& e) const {
    const Where* wp = &w0;
    if (wheres && !e.origin().empty())
      if (auto it = wheres->find(e.origin()); it != wheres->end()) wp = &it->second;
    const Where& w = *wp;
    std::string msg = locate(w, e.pos()) + e.reason();
    if (!e.fragment().empty()) msg += " (at '" + e.fragment() + "')";
    if (!e.suggestion().empty()) msg += "; did you mean '" + e.suggestion() + "'?";
    throw InputError(file, w.key, msg);
  }
};

std::string str_of(const Reader& r, const toml::node& n, const std::string& key) {
  if (auto s = n.as_string()) return s->get();
  r.fail(key, "expected a LaTeX string");
}

// A [define] value: number, vector, matrix, or LaTeX.
Definition definition_of(const Reader& r, const std::string& key_text, const toml::node& n, const std::string& key,
                         const MacroTable& macros) {
  Where kw;
  kw.file = r.file;
  kw.key = key;
  kw.text = key_text;
  NodePtr lhs;
  try {
    lhs = parse_formula(key_text, macros);
  } catch (const LatexError& e) {
    r.fail(key, "the key '" + key_text + "' is not a symbol: " + e.reason());
  }
  Definition d;
  try {
    d = definition_key(*lhs);
  } catch (const LatexError& e) {
    r.fail(key, e.reason());
  }
  d.origin = key;
  auto number_of = [&](const toml::node& x, const std::string& k) {
    double v;
    if (auto i = x.as_integer()) v = static_cast<double>(i->get());
    else if (auto f = x.as_floating_point()) v = f->get();
    else r.fail(k, "expected a number");
    if (!std::isfinite(v)) r.fail(k, "value is not finite (NaN or Inf)");
    return v;
  };
  if (n.is_integer() || n.is_floating_point()) {
    if (d.kind == Definition::Kind::function) r.fail(key, "a function needs a LaTeX body");
    d.kind = Definition::Kind::value;
    d.values = {number_of(n, key)};
    if (d.squared && d.values[0] < 0) r.fail(key, "'" + key_text + "' is a square: it cannot be negative");
    return d;
  }
  if (auto a = n.as_array()) {
    if (d.kind == Definition::Kind::function) r.fail(key, "a function needs a LaTeX body");
    if (d.squared) r.fail(key, "only a scalar can be defined by its square");
    if (a->empty()) r.fail(key, "array is empty");
    d.kind = Definition::Kind::value;
    if (a->get(0)->is_array()) {
      const std::size_t rows = a->size();
      for (std::size_t i = 0; i < rows; ++i) {
        auto row = a->get(i)->as_array();
        if (!row || row->size() != rows) r.fail(key + "[" + std::to_string(i) + "]", "a matrix must be square, " + std::to_string(rows) + " entries per row");
        for (std::size_t j = 0; j < rows; ++j) d.values.push_back(number_of(*row->get(j), key + "[" + std::to_string(i) + "][" + std::to_string(j) + "]"));
      }
      d.rows = d.cols = static_cast<int>(rows);
    } else {
      for (std::size_t i = 0; i < a->size(); ++i) d.values.push_back(number_of(*a->get(i), key + "[" + std::to_string(i) + "]"));
      d.rows = static_cast<int>(a->size());
    }
    if (d.rows > 256) r.fail(key, "dimension above the limit 256");
    return d;
  }
  if (auto s = n.as_string()) {
    const Where w = r.where(n, key, s->get());
    try {
      d.body = parse_formula(s->get(), macros);
    } catch (const LatexError& e) {
      r.latex_fail(w, e);
    }
    if (d.body->kind == Kind::relation) r.fail(key, "a definition is an expression, not a relation");
    if (d.kind != Definition::Kind::function) d.kind = Definition::Kind::expression;
    make_generic_if_used(d);
    return d;
  }
  if (auto t = n.as_table()) {
    // A sequence: y_k = step (in terms of y_{k+1} or y_{k-1}), starting from y_{from} = start.
    if (d.kind == Definition::Kind::function || d.squared || d.sub_symbol.empty())
      r.fail(key, "a sequence is defined on a symbol with its index, e.g. [define.'y_k'] with from, start and step");
    for (const auto& [k, v] : *t)
      if (k.str() != "from" && k.str() != "start" && k.str() != "step")
        r.fail(key + "." + std::string(k.str()), "unknown key; a sequence takes from, start and step");
    auto part = [&](const char* name) {
      const toml::node* x = t->get(name);
      if (!x || !x->is_string()) r.fail(key + "." + name, "missing (a LaTeX string)");
      const std::string text = x->as_string()->get();
      try {
        NodePtr p = parse_formula(text, macros);
        if (p->kind == Kind::relation) r.fail(key + "." + name, "an expression, not a relation");
        return p;
      } catch (const LatexError& e) {
        r.latex_fail(r.where(*x, key + "." + name, text), e);
      }
    };
    d.kind = Definition::Kind::recurrence;
    d.from = part("from");
    d.start = part("start");
    d.body = part("step");
    make_generic_if_used(d);
    return d;
  }
  r.fail(key, "expected a number, an array (vector or matrix) or a LaTeX string");
}

bool is_x_key(const std::string& k, const std::string& step) { return k == "x_{" + step + "}" || k == "x_" + step; }

}  // namespace

// A table entry's LaTeX string, parsed (errors at its line and column); `w` receives where it sits.
NodePtr parse_entry(const Reader& r, const toml::node& v, const std::string& key, const MacroTable& macros, Where& w) {
  const std::string text = str_of(r, v, key);
  w = r.where(v, key, text);
  try {
    return parse_formula(text, macros);
  } catch (const LatexError& e) {
    r.latex_fail(w, e);
  }
}

// [control_variates]: name = '\mathbb{E}[h] = m', an expectation whose exact value m is known (from definitions
// other than the formula under test). Each is estimated on the same draws as the forms and regressed out of every
// Monte Carlo check of the case (checks.cpp, with_control_variates); resolved under every model like a form.
void read_control_variates(const Reader& r, const toml::table& root, const MacroTable& macros, FormulaCase& fc) {
  const toml::node* n = root.get("control_variates");
  if (!n) return;
  auto t = n->as_table();
  if (!t || t->empty()) r.fail("control_variates", "expected a table of name = '\\mathbb{E}[h] = m' (an expectation and its exact value)");
  if (t->size() > 32) r.fail("control_variates", "at most 32 control variates");
  for (const auto& [k, v] : *t) {
    const std::string name(k.str()), key = "control_variates." + name;
    Where w;
    const NodePtr tree = parse_entry(r, v, key, macros, w);
    if (tree->kind != Kind::relation || tree->args.size() != 2 || tree->text != "=")
      r.fail(key, locate(w, tree->begin) + "a control variate is an equation E[h] = m: an expectation and its exact value");
    FormulaForm f;
    f.name = name;
    f.role = "control_variate";
    f.tree = tree;
    f.latex = to_latex(*tree);
    f.where = w;
    fc.control_variates.push_back(f);
  }
  for (auto& m : fc.models)
    for (const auto& f : fc.control_variates) {
      Relation rel;
      try {
        rel = resolve_relation(*f.tree, m.context);
      } catch (const LatexError& e) {
        r.latex_fail(f.where, e);
      }
      if (rel.rhs_const) r.fail(f.where.key, "a control variate's mean must be known exactly: no '+ \\text{const}'");
      if (rel.lhs->op != Op::expect || rel.lhs->type != Type::scalar)
        r.fail(f.where.key, locate(f.where, f.tree->args[0]->begin) +
                                "the left side of a control variate must be one scalar expectation \\mathbb{E}[h]");
      // The exact mean may use x_0 where [grid] pins it (checked when the grid point is run); nothing else random.
      bool other_random = rel.rhs->mc;
      visit_tree(*rel.rhs, [&](const Expr& x) {
        if (x.op == Op::random && !(x.text == "x" && !x.args.empty() && x.args[0]->op == Op::number && x.args[0]->value == 0))
          other_random = true;
      });
      if (other_random)
        r.fail(f.where.key, locate(f.where, f.tree->args[1]->begin) +
                                "the right side of a control variate is its exact mean: it may not be random or estimated");
      m.control_variates.push_back(rel);
    }
}

void read_formula_tables(CaseSpec& c, const std::string& path, const void* root_ptr, const std::string& file_text) {
  const toml::table& root = *static_cast<const toml::table*>(root_ptr);
  Reader r(path, file_text);
  auto fc = std::make_shared<FormulaCase>();
  r.wheres = &fc->wheres;
  // Macros: a table of \name = body, or a string of \newcommand definitions.
  MacroTable macros;
  if (const toml::node* m = root.get("macros")) {
    if (auto t = m->as_table()) {
      for (const auto& [k, v] : *t) {
        const std::string name(k.str());
        auto s = v.as_string();
        if (!s) r.fail("macros." + name, "expected the macro's body as a string");
        try {
          macros[name] = macro_from_body(name, s->get());
        } catch (const LatexError& e) {
          r.fail("macros." + name, e.reason());
        }
      }
    } else if (auto s = m->as_string()) {
      try {
        macros = parse_macro_definitions(s->get());
      } catch (const LatexError& e) {
        r.latex_fail(r.where(*m, "macros", s->get()), e);
      }
    } else {
      r.fail("macros", "expected a table (\\E = '\\mathbb{E}') or a string of \\newcommand lines");
    }
  }
  // Base context: dimension, schedule, mixture, definitions.
  Context base;
  base.schedule = c.schedule ? &*c.schedule : nullptr;
  base.mixture = c.mixture ? &*c.mixture : nullptr;
  base.dim = c.mixture ? c.mixture->dim() : 0;
  auto read_defines = [&](const toml::table& t, const std::string& prefix, Context& ctx, const std::set<std::string>& skip) {
    for (const auto& [k, v] : t) {
      const std::string key_text(k.str());
      if (skip.count(key_text)) continue;
      const std::string key = prefix + "'" + key_text + "'";
      if (auto sv = v.as_string()) fc->wheres[key] = r.where(v, key, sv->get());
      if (auto tv = v.as_table())
        for (const char* part : {"from", "start", "step"})
          if (const toml::node* st = tv->get(part); st && st->is_string())
            fc->wheres[key + "." + part] = r.where(*st, key + "." + part, st->as_string()->get());
      Definition d = definition_of(r, key_text, v, key, macros);
      if (d.kind == Definition::Kind::value && d.rows > 0) {
        if (ctx.dim == 0) ctx.dim = d.rows;
        else if (d.rows != ctx.dim)
          r.fail(key, "dimension " + std::to_string(d.rows) + " differs from the case's dimension " + std::to_string(ctx.dim));
      }
      if (key_text == "d" && d.kind == Definition::Kind::value && d.rows == 0) {
        const double dv = d.values[0];
        if (dv != std::floor(dv) || dv < 1 || dv > 256) r.fail(key, "the dimension d must be an integer in 1..256");
        if (ctx.dim != 0 && ctx.dim != static_cast<int>(dv)) r.fail(key, "d differs from the dimension of the case's vectors");
        ctx.dim = static_cast<int>(dv);
        continue;
      }
      ctx.defines[d.key] = d;
    }
  };
  if (const toml::node* dn = root.get("define")) {
    auto t = dn->as_table();
    if (!t) r.fail("define", "expected a table of symbol = value");
    read_defines(*t, "define.", base, {});
  }
  // [model]: the reverse model's variance.
  auto read_sigma2 = [&](const toml::table& t, const std::string& key, Context& ctx) {
    if (const toml::node* s = t.get("sigma2")) {
      if (auto str = s->as_string()) {
        if (str->get() != "beta" && str->get() != "beta_tilde")
          r.fail(key + ".sigma2", "expected \"beta\", \"beta_tilde\" or a positive number");
        ctx.sigma2 = str->get();
      } else if (s->is_number()) {
        const double v = s->is_integer() ? static_cast<double>(s->as_integer()->get()) : s->as_floating_point()->get();
        if (!(v > 0) || !std::isfinite(v)) r.fail(key + ".sigma2", "must be positive");
        std::ostringstream os;
        os.precision(17);
        os << v;
        ctx.sigma2 = os.str();
      } else {
        r.fail(key + ".sigma2", "expected \"beta\", \"beta_tilde\" or a number");
      }
    }
  };
  if (const toml::node* mn = root.get("model")) {
    auto t = mn->as_table();
    if (!t) r.fail("model", "expected a table");
    for (const auto& [k, v] : *t)
      if (k.str() != "sigma2") r.fail("model." + std::string(k.str()), "unknown key (the [model] table takes sigma2; put definitions in [define])");
    read_sigma2(*t, "model", base);
  }
  // [grid]
  std::vector<long> ts;
  std::vector<std::pair<std::string, std::vector<std::vector<double>>>> grid_vals;  // name -> values
  std::vector<std::vector<double>> xt_vals, x0_vals;
  if (const toml::node* gn = root.get("grid")) {
    auto t = gn->as_table();
    if (!t) r.fail("grid", "expected a table");
    for (const auto& [k, v] : *t) {
      const std::string name(k.str()), key = "grid.'" + name + "'";
      if (name == "t" && c.schedule) {
        if (auto s = v.as_string()) {
          if (s->get() == "all") {
            fc->all_t = true;
            continue;
          }
          // "a..b": every step from a to b (b may be T), e.g. "2..T" where t = 1 is undefined.
          const std::string str = s->get();
          const auto dots = str.find("..");
          auto step_of = [&](const std::string& x) -> long {
            if (x == "T") return c.schedule->T();
            if (x.empty() || x.find_first_not_of("0123456789") != std::string::npos)
              r.fail("grid.t", "expected a list of steps, \"all\" or a range \"a..b\" (b a step or T), got \"" + str + "\"");
            return std::stol(x);
          };
          if (dots == std::string::npos) step_of("");
          const long lo = step_of(str.substr(0, dots)), hi = step_of(str.substr(dots + 2));
          if (lo < 1 || hi > c.schedule->T() || lo > hi)
            r.fail("grid.t", "the range \"" + str + "\" is not inside 1.." + std::to_string(c.schedule->T()));
          for (long k = lo; k <= hi; ++k) ts.push_back(k);
          continue;
        }
        auto a = v.as_array();
        std::vector<long> vals;
        if (v.is_integer()) vals.push_back(v.as_integer()->get());
        else if (a) {
          for (std::size_t i = 0; i < a->size(); ++i) {
            auto iv = a->get(i)->as_integer();
            if (!iv) r.fail("grid.t[" + std::to_string(i) + "]", "a step must be an integer");
            vals.push_back(iv->get());
          }
        } else if (v.is_floating_point()) {
          r.fail("grid.t", "a step must be an integer");
        } else {
          r.fail("grid.t", "expected a list of steps, or \"all\"");
        }
        if (vals.empty()) r.fail("grid.t", "array is empty");
        if (!c.schedule) r.fail("grid.t", "steps need a [schedule] in the case");
        for (long s : vals)
          if (s < 1 || s > c.schedule->T()) r.fail("grid.t", "t = " + std::to_string(s) + " is outside 1.." + std::to_string(c.schedule->T()));
        ts = vals;
        continue;
      }
      auto a = v.as_array();
      if (!a || a->empty()) r.fail(key, "expected a non-empty list of values (one check per value)");
      std::vector<std::vector<double>> vals;
      for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        std::vector<double> one;
        auto num = [&](const toml::node& x, const std::string& kk) {
          double d;
          if (auto iv = x.as_integer()) d = static_cast<double>(iv->get());
          else if (auto fv = x.as_floating_point()) d = fv->get();
          else r.fail(kk, "expected a number");
          if (!std::isfinite(d)) r.fail(kk, "value is not finite (NaN or Inf)");
          return d;
        };
        if (auto ea = e.as_array())
          for (std::size_t j = 0; j < ea->size(); ++j) one.push_back(num(*ea->get(j), key + "[" + std::to_string(i) + "][" + std::to_string(j) + "]"));
        else one.push_back(num(e, key + "[" + std::to_string(i) + "]"));
        vals.push_back(one);
      }
      NodePtr lhs;
      try {
        lhs = parse_formula(name, macros);
      } catch (const LatexError& e) {
        r.fail(key, "not a symbol: " + e.reason());
      }
      Definition d;
      try {
        d = definition_key(*lhs);
      } catch (const LatexError& e) {
        r.fail(key, e.reason());
      }
      if (is_x_key(d.key, "t") || d.key == "x_{#}") {
        if (!d.generic_index.empty() && d.generic_index != "t") r.fail(key, "only x_t and x_0 can be pinned");
        xt_vals = vals;
      } else if (is_x_key(d.key, "0")) {
        x0_vals = vals;
      } else {
        grid_vals.push_back({d.key, vals});
        Definition gd;
        gd.kind = Definition::Kind::value;
        gd.values = vals[0];
        gd.rows = vals[0].size() > 1 ? static_cast<int>(vals[0].size()) : 0;
        gd.key = d.key;
        base.grid[d.key] = gd;
      }
    }
  }
  if (base.dim == 0) {
    for (const auto& v : {xt_vals, x0_vals})
      if (!v.empty()) base.dim = static_cast<int>(v[0].size());
  }
  if (base.dim == 0) base.dim = 1;
  for (const auto& v : {xt_vals, x0_vals})
    for (std::size_t i = 0; i < v.size(); ++i)
      if (static_cast<int>(v[i].size()) != base.dim)
        r.fail("grid", "a pinned point has " + std::to_string(v[i].size()) + " coordinates; the data have dimension " + std::to_string(base.dim));
  // [params]: margin for \approx.
  if (c.params.has("margin")) {
    fc->approx_margin = c.params.positive("margin");
  }
  if (c.params.has("margin_absolute")) {
    fc->approx_margin_abs = c.params.positive("margin_absolute");
  }
  // [params]: levels and error order of \lim (Richardson extrapolation over step halvings).
  if (c.params.has("levels")) {
    const auto L = c.params.integer("levels");
    if (L < 2 || L > 8) c.params.fail("levels", "must be in 2..8 (the limit extrapolates from this many step halvings)");
    base.limit_levels = static_cast<int>(L);
  }
  if (c.params.has("order")) {
    const auto p = c.params.integer("order");
    if (p < 1 || p > 4) c.params.fail("order", "must be in 1..4 (the leading power of the step in the error)");
    base.limit_order = static_cast<int>(p);
  }
  // Models.
  if (const toml::node* ms = root.get("models")) {
    auto arr = ms->as_array();
    if (!arr || arr->empty()) r.fail("models", "expected [[models]] tables (each with a name and its definitions)");
    if (arr->size() > 16) r.fail("models", "at most 16 models");
    std::set<std::string> names;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto t = arr->get(i)->as_table();
      const std::string key = "models[" + std::to_string(i) + "]";
      if (!t) r.fail(key, "expected a table");
      FormulaModel fm;
      fm.context = base;
      const toml::node* nm = t->get("name");
      if (!nm || !nm->is_string()) r.fail(key + ".name", "each model needs a name");
      fm.name = nm->as_string()->get();
      if (!names.insert(fm.name).second) r.fail(key + ".name", "two models named '" + fm.name + "'");
      read_sigma2(*t, key, fm.context);
      read_defines(*t, key + ".", fm.context, {"name", "sigma2"});
      fc->models.push_back(std::move(fm));
    }
  } else {
    FormulaModel fm;
    fm.context = base;
    fc->models.push_back(std::move(fm));
  }
  // Forms: the statement (a relation, or a derivation), [forms], [mutants].
  const toml::node& st = *root.get("statement");
  const std::string statement = st.as_string()->get();
  const Where sw = r.where(st, "statement", statement);
  NodePtr stmt;
  // A derivation: lines separated by \\, or a chain of relations on one line (a = b = c).
  bool derivation = statement.find("\\\\") != std::string::npos;
  Derivation dv;
  if (!derivation) {
    try {
      stmt = parse_formula(statement, macros);
    } catch (const LatexError& e) {
      r.latex_fail(sw, e);
    }
    if (stmt->kind != Kind::relation) r.fail("statement", locate(sw, stmt->begin) + "the statement must be a relation (lhs = rhs, lhs \\le rhs, ...)");
    if (stmt->args.size() > 2) {
      derivation = true;
      dv.lines = stmt->args;
      dv.relations = stmt->seps;
      stmt = nullptr;
    }
  } else {
    try {
      dv = parse_derivation(statement, macros);
    } catch (const LatexError& e) {
      r.latex_fail(sw, e);
    }
  }
  auto step_form = [&](std::size_t i, std::size_t j, const std::string& rel) {
    Node n;
    n.kind = Kind::relation;
    n.text = rel;
    n.seps = {rel};
    n.args = {dv.lines[i], dv.lines[j]};
    n.begin = dv.lines[j]->begin;
    n.end = dv.lines[j]->end;
    FormulaForm f;
    f.tree = std::make_shared<const Node>(n);
    f.latex = to_latex(n);
    f.where = sw;
    return f;
  };
  if (derivation) {
    for (const auto& l : dv.lines) fc->lines.push_back(to_latex(*l));
    fc->line_relations = dv.relations;
    // Each step: line k follows from line k - 1.
    for (std::size_t i = 1; i < dv.lines.size(); ++i) {
      FormulaForm f = step_form(i - 1, i, dv.relations[i - 1]);
      f.name = "line_" + std::to_string(i + 1);
      f.role = "step";
      f.step = static_cast<int>(i + 1);
      fc->forms.push_back(f);
    }
    // Lines that are not adjacent, compared when every step between them is an equality: which still agree.
    bool all_equal = std::all_of(dv.relations.begin(), dv.relations.end(), [](const std::string& x) { return x == "="; });
    if (all_equal)
      for (std::size_t i = 0; i < dv.lines.size(); ++i)
        for (std::size_t j = i + 2; j < dv.lines.size(); ++j) {
          FormulaForm f = step_form(i, j, "=");
          f.name = "lines_" + std::to_string(i + 1) + "_" + std::to_string(j + 1);
          f.role = "agreement";
          fc->forms.push_back(f);
        }
  } else {
    FormulaForm f;
    f.name = "as_written";
    f.role = "as_written";
    f.tree = stmt;
    f.latex = to_latex(*stmt);
    f.where = sw;
    fc->forms.push_back(f);
    c.statement_latex = f.latex;
  }
  if (derivation) {
    std::string al = "\\begin{aligned}" + fc->lines[0];
    for (std::size_t i = 1; i < fc->lines.size(); ++i) {
      const std::string& op = fc->line_relations[i - 1];
      const std::string o = op == "<=" ? "\\le" : op == ">=" ? "\\ge" : op == "approx" ? "\\approx" : op == "propto" ? "\\propto" : op;
      al += (i == 1 ? " &" : " \\\\ &") + o + " " + fc->lines[i];
    }
    c.statement_latex = al + "\\end{aligned}";
  }
  auto read_forms = [&](const char* table, bool mutants) {
    const toml::node* n = root.get(table);
    if (!n) return;
    auto t = n->as_table();
    if (!t) r.fail(table, "expected a table of name = LaTeX");
    for (const auto& [k, v] : *t) {
      const std::string name(k.str()), key = std::string(table) + "." + name;
      Where w;
      NodePtr tree = parse_entry(r, v, key, macros, w);
      if (tree->kind != Kind::relation) {
        // A right-hand side alone replaces the statement's.
        if (!stmt) r.fail(key, "with a derivation as the statement, a form must be a whole relation (lhs = rhs)");
        Node rel = *stmt;
        rel.args = {stmt->args[0], tree};
        tree = std::make_shared<const Node>(rel);
      }
      FormulaForm f;
      f.name = mutants ? "mutant:" + name : name;
      f.role = mutants ? "mutant" : (name.rfind("corrected", 0) == 0 ? "corrected" : "reading");
      f.mutant = mutants;
      f.tree = tree;
      f.latex = to_latex(*tree);
      f.where = w;
      if (name == "as_written" || name.rfind("line_", 0) == 0 || name.rfind("lines_", 0) == 0)
        r.fail(key, "'" + name + "' is reserved for the statement's own forms");
      fc->forms.push_back(f);
    }
  };
  read_forms("forms", false);
  read_forms("mutants", true);
  // Resolve every form under every model (errors point into the file).
  for (auto& m : fc->models) {
    for (const auto& f : fc->forms) {
      try {
        m.context.first_id = static_cast<int>(m.relations.size()) * 100000;  // bound ids unique across the forms
        m.relations.push_back(resolve_relation(*f.tree, m.context));
      } catch (const LatexError& e) {
        r.latex_fail(f.where, e);
      }
    }
  }
  read_control_variates(r, root, macros, *fc);
  // Does any form use t? Then the grid must give it.
  bool uses_t = false;
  for (const auto& m : fc->models)
    for (const auto& rel : m.relations)
      for (const ExprPtr& side : {rel.lhs, rel.rhs}) {
        std::function<void(const Expr&)> go = [&](const Expr& e) {
          if (e.op == Op::index_var && e.text == "t" && e.id < 0) uses_t = true;
          for (const auto& a : e.args)
            if (a) go(*a);
          for (const auto& d : e.dists)
            for (const ExprPtr& p : {d->mean, d->cov, d->step, d->given})
              if (p) go(*p);
        };
        go(*side);
      }
  if (uses_t && ts.empty() && !fc->all_t) r.fail("grid.t", "the formulas use t: give the steps to check, [grid] t = [...] (or \"all\")");
  if (fc->all_t) {
    if (!c.schedule) r.fail("grid.t", "\"all\" needs a [schedule]");
    for (long s = 1; s <= c.schedule->T(); ++s) ts.push_back(s);
  }
  if (ts.empty()) ts.push_back(0);
  // The grid: steps x pinned points x other values (Cartesian product).
  std::size_t combos = ts.size() * std::max<std::size_t>(1, xt_vals.size()) * std::max<std::size_t>(1, x0_vals.size());
  for (const auto& [k, v] : grid_vals) combos *= v.size();
  if (combos > 100000) r.fail("grid", "more than 100000 grid points");
  for (long t : ts) {
    std::vector<GridPoint> pts(1);
    pts[0].t = t;
    if (t > 0) pts[0].label = "t=" + std::to_string(t);
    auto extend = [&](const std::string& name, const std::vector<std::vector<double>>& vals, int which) {
      std::vector<GridPoint> next;
      for (const auto& p : pts)
        for (const auto& v : vals) {
          GridPoint q = p;
          std::ostringstream os;
          os.precision(6);
          os << name << "=";
          if (v.size() > 1) os << "(";
          for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
          if (v.size() > 1) os << ")";
          q.label += (q.label.empty() ? "" : ", ") + os.str();
          if (which == 0) q.xt = v;
          else if (which == 1) q.x0 = v;
          else q.values["grid:" + name] = v;
          next.push_back(q);
        }
      pts = next;
    };
    if (!xt_vals.empty()) extend("x_t", xt_vals, 0);
    if (!x0_vals.empty()) extend("x_0", x0_vals, 1);
    for (const auto& [k, v] : grid_vals) extend(k, v, 2);
    for (auto& p : pts) fc->grid.push_back(p);
  }
  // Expected verdicts must name forms that exist.
  for (const auto& expected : c.expect) {
    const std::string& form = expected.first;
    const bool known = std::any_of(fc->forms.begin(), fc->forms.end(), [&](const FormulaForm& f) { return f.name == form; });
    if (!known) {
      std::string names;
      for (const auto& f : fc->forms)
        if (!f.mutant) names += " " + f.name;
      r.fail("expect." + form, "no form '" + form + "' in this case (its forms:" + names + ")");
    }
  }
  for (const auto& f : fc->forms)
    if (!f.mutant && f.role != "agreement" && !c.expect.count(f.name))
      r.fail("expect", "no expected verdict for form '" + f.name + "': record the verdict you measured");
  for (const auto& f : fc->forms) c.forms.push_back({f.name, f.latex, f.role});
  c.formula = fc;
}

}  // namespace verify::formula
