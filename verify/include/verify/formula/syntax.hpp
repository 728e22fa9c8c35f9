#pragma once
// The syntax tree of a LaTeX formula as the notes write it: what was written, before any meaning is given to the
// symbols (that is resolve.hpp's job). Built by the PEGTL grammar in src/formula/latex_grammar.hpp.
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace verify::formula {

// A place in the formula's text: byte offset into the text as written (before macro expansion), 1-based line and
// column within that text. Turned into a file position by the case loader.
struct Pos {
  std::size_t offset = 0;
  int line = 1, column = 1;
};

// Bad LaTeX: where, the offending fragment, why, and a suggestion when a known name is close.
class LatexError : public std::runtime_error {
 public:
  LatexError(Pos pos, std::string fragment, std::string reason, std::string suggestion = {})
      : std::runtime_error(reason), pos_(pos), fragment_(std::move(fragment)), reason_(std::move(reason)),
        suggestion_(std::move(suggestion)) {}
  const Pos& pos() const { return pos_; }
  const std::string& fragment() const { return fragment_; }
  const std::string& reason() const { return reason_; }
  const std::string& suggestion() const { return suggestion_; }
  // The [define] entry whose text pos refers to (empty: the formula being read).
  const std::string& origin() const { return origin_; }
  void set_origin(std::string o) { origin_ = std::move(o); }

 private:
  Pos pos_;
  std::string fragment_, reason_, suggestion_, origin_;
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

enum class Kind {
  number,     // text = the literal ("0.5")
  symbol,     // a letter, Greek letter or word with decorations (see Symbol)
  add,        // args[0] + args[1]
  sub,        // args[0] - args[1]
  neg,        // -args[0]
  mul,        // args[0] args[1] (text: "implicit", "cdot", "times")
  div,        // args[0] / args[1] (text: "frac" or "/")
  pow,        // args[0] ^ args[1]
  func,       // text = log | exp | sqrt | root (args: radicand, degree) | det | var | cov | sin | cos | ...
  group,      // brackets: text = "(" | "[" | "{" ; args[0] the content
  norm,       // ||args[0]||, sub may hold the norm's index (2)
  abs,        // |args[0]|
  call,       // args[0] = the callee (a symbol), then the arguments; seps[i] is the separator before args[i+1]
              // ("," ";" "|" "||")
  sum,        // \sum_{sub}^{sup} args[0]
  prod,       // \prod_{sub}^{sup} args[0]
  median,     // \operatorname{median}_{sub}^{sup} args[0]
  limit,      // \lim_{sub} args[0] (sub a `tends` item)
  integral,   // \int_{sub}^{sup} args[0] d(args[1])
  expect,     // \mathbb{E}_{sub}[args[0] | args[1..]]  (conditioning after the bar)
  nabla,      // \nabla_{sub} args[0]
  partial,    // \frac{\partial^n}{\partial x^n} args[0]: args[0] the operand, args[1] the variable, text = order
  relation,   // args[0] text args[1]; text = "=" "<=" ">=" "<" ">" "approx" "propto"
  assign,     // sub/sup items: args[0] = args[1]   (\sum_{t=1})
  tends,      // sub items: args[0] \to args[1]     (\lim_{h \to 0})
  sim,        // args[0] \sim args[1]
  range,      // args[0] : args[1]   (x_{1:T})
  list,       // args separated by commas (subscripts of \mathbb{E})
  transpose,  // args[0]^\top
  prime,      // args[0]' (count in text)
  text,       // \text{...} that is not a symbol name (e.g. "const"), text = the words
  indicator,  // \mathbb{1}[args[0]] (text "1") or P(args[0]) (text "P"): args[0] the event, a relation
};

// A symbol's identity: base letter or name with its decorations. Subscript and superscript are kept as trees on
// the node, since they may be indices (alpha_{t-1}), labels (p_{data}) or exponents (sigma^2).
struct Symbol {
  std::string base;    // "x", "alpha", "N", "KL", "const"
  std::string style;   // "" | "cal" | "bb" | "rm" (\mathrm, \text, \operatorname) | "bf" (ignored for identity)
  std::vector<std::string> accents;  // outermost first: \bar{\tilde{x}} -> {"bar", "tilde"}
  int primes = 0;
  bool star = false;  // x^*
};

struct Node {
  Kind kind = Kind::number;
  std::string text;
  Symbol sym;
  std::vector<NodePtr> args;
  std::vector<std::string> seps;
  NodePtr sub, sup;  // subscript / superscript (symbols, sums, integrals, expectations, nabla, norms)
  Pos begin, end;    // end is one past the last byte
};

// LaTeX for a tree (normalised spacing; used to print forms, highlight differences and test round trips).
std::string to_latex(const Node& n);
// Structural equality (positions ignored).
bool same(const Node& a, const Node& b);
// Both trees printed with each smallest differing subtree wrapped by mark() (the errata's highlight).
std::pair<std::string, std::string> latex_with_differences(const Node& a, const Node& b,
                                                           const std::function<std::string(const std::string&)>& mark);
// Canonical name of a symbol with its decorations and subscript, e.g. "\bar{\alpha}_{t-1}" (for messages).
std::string symbol_name(const Node& n, bool with_sub = true);

}  // namespace verify::formula
