#pragma once
// Reading LaTeX formulas: user macros (a note's own \newcommand definitions), then the PEGTL grammar.
#include <map>
#include <string>
#include <vector>

#include "verify/formula/syntax.hpp"

namespace verify::formula {

struct Macro {
  int nargs = 0;
  std::string body;  // may use #1 .. #9
};
// Keyed by the command with its backslash: "\E", "\sigmasqr", "\|".
using MacroTable = std::map<std::string, Macro>;

// \newcommand{\E}{\mathbb{E}}, \renewcommand, \newcommand{\f}[2]{...}, \def\E{...}, with or without the $...$
// that notes put around them. Throws LatexError.
MacroTable parse_macro_definitions(const std::string& text);
// A macro from a [macros] entry: name "\E", body "\mathbb{E}" (the number of arguments is the largest #n used).
Macro macro_from_body(const std::string& name, const std::string& body);

// Text after macro expansion, with the offset in the original text that produced each byte.
struct Expanded {
  std::string text;
  std::vector<std::size_t> origin;
};
Expanded expand_macros(const std::string& text, const MacroTable& macros);

// Position (line, column) of a byte offset in a text.
Pos position_in(const std::string& text, std::size_t offset);

// One formula: a relation (a = b, a \le b, a \propto b, ...) or an expression. Throws LatexError with the position
// in `text` (before expansion).
NodePtr parse_formula(const std::string& text, const MacroTable& macros = {});

// A derivation: \begin{align*} ... \end{align*} (or aligned / equation / gathered, or bare lines separated by \\),
// each line "lhs &= rhs" or "&= rhs" continuing the previous one. Returns the chain of expressions: the first
// line's left side, then each right side. Relations other than "=" are kept per step in `relations`.
struct Derivation {
  std::vector<NodePtr> lines;
  std::vector<std::string> relations;  // relations[i] links lines[i] and lines[i+1]
};
Derivation parse_derivation(const std::string& text, const MacroTable& macros = {});

// Every command the reader knows (for "did you mean" and the documentation).
const std::vector<std::string>& known_commands();

}  // namespace verify::formula
