// User macros: the \newcommand definitions a note makes for itself (note 004 defines \E, \ba, \sigmasqr, ...),
// expanded before parsing so that a note's LaTeX can be pasted unchanged. Every expanded byte remembers the
// offset of the text that produced it, so errors point into what the user wrote.
#include <algorithm>
#include <cctype>

#include "verify/formula/latex.hpp"

namespace verify::formula {

Pos position_in(const std::string& text, std::size_t offset) {
  Pos p;
  p.offset = offset;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

namespace {

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// The command starting at text[i] == '\\': "\name" (letters) or "\c" (one other character).
std::string command_at(const std::string& text, std::size_t i) {
  std::size_t j = i + 1;
  if (j >= text.size()) return "\\";
  if (!is_letter(text[j])) return text.substr(i, 2);
  while (j < text.size() && is_letter(text[j])) ++j;
  return text.substr(i, j - i);
}

void skip_spaces(const std::string& t, std::size_t& i) {
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
}

// A braced group starting at t[i] == '{' (returns its content, i moves past the closing brace).
std::string braced(const std::string& t, std::size_t& i, const std::string& what) {
  const std::size_t start = i;
  int depth = 0;
  for (; i < t.size(); ++i) {
    if (t[i] == '\\' && i + 1 < t.size()) {
      ++i;
      continue;
    }
    if (t[i] == '{') ++depth;
    if (t[i] == '}' && --depth == 0) {
      ++i;
      return t.substr(start + 1, i - start - 2);
    }
  }
  throw LatexError(position_in(t, start), t.substr(start, 20), "unbalanced braces in " + what);
}

}  // namespace

Macro macro_from_body(const std::string& name, const std::string& body) {
  if (name.size() < 2 || name[0] != '\\' || (name.size() > 2 && !std::all_of(name.begin() + 1, name.end(), is_letter)))
    throw LatexError({}, name, "a macro name is a backslash followed by letters (or by one other character)");
  Macro m;
  m.body = body;
  for (std::size_t i = 0; i + 1 < body.size(); ++i)
    if (body[i] == '#' && body[i + 1] >= '1' && body[i + 1] <= '9') m.nargs = std::max(m.nargs, body[i + 1] - '0');
  return m;
}

MacroTable parse_macro_definitions(const std::string& t) {
  MacroTable out;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i] != '\\') {
      ++i;
      continue;
    }
    const std::size_t at = i;
    const std::string cmd = command_at(t, i);
    i += cmd.size();
    if (cmd == "\\newcommand" || cmd == "\\renewcommand" || cmd == "\\providecommand" || cmd == "\\def") {
      skip_spaces(t, i);
      std::string name;
      if (i < t.size() && t[i] == '{') {
        name = braced(t, i, cmd);
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.erase(0, 1);
      } else if (i < t.size() && t[i] == '\\') {
        name = command_at(t, i);
        i += name.size();
      }
      if (name.size() < 2 || name[0] != '\\')
        throw LatexError(position_in(t, at), t.substr(at, 30), cmd + " needs a command name such as \\E");
      skip_spaces(t, i);
      int nargs = -1;
      if (i < t.size() && t[i] == '[') {
        const std::size_t close = t.find(']', i);
        if (close == std::string::npos) throw LatexError(position_in(t, i), t.substr(i, 10), "unclosed [ in " + cmd);
        const std::string n = t.substr(i + 1, close - i - 1);
        if (n.size() != 1 || n[0] < '0' || n[0] > '9')
          throw LatexError(position_in(t, i), n, "the number of arguments must be a digit 0..9");
        nargs = n[0] - '0';
        i = close + 1;
        skip_spaces(t, i);
      }
      if (i >= t.size() || t[i] != '{')
        throw LatexError(position_in(t, at), t.substr(at, 30), cmd + " " + name + " needs its definition in braces");
      Macro m = macro_from_body(name, braced(t, i, cmd));
      if (nargs >= 0) m.nargs = std::max(m.nargs, nargs);
      out[name] = m;
    }
  }
  return out;
}

namespace {

struct Expander {
  const MacroTable& macros;
  const std::string& original;
  int budget = 100000;  // bytes of expansion output allowed: stops runaway recursive macros

  // Appends the expansion of src (whose byte k came from origin[k]) to out.
  void run(const std::string& src, const std::vector<std::size_t>& origin, Expanded& out, int depth) {
    if (depth > 32) throw LatexError(position_in(original, origin.empty() ? 0 : origin[0]), "", "macros nest more than 32 deep (a macro that uses itself?)");
    std::size_t i = 0;
    while (i < src.size()) {
      if (src[i] != '\\') {
        out.text.push_back(src[i]);
        out.origin.push_back(origin[i]);
        ++i;
        continue;
      }
      const std::string cmd = command_at(src, i);
      auto it = macros.find(cmd);
      if (it == macros.end()) {
        for (std::size_t k = 0; k < cmd.size(); ++k) {
          out.text.push_back(src[i + k]);
          out.origin.push_back(origin[i + k]);
        }
        i += cmd.size();
        continue;
      }
      const std::size_t at = origin[i];
      i += cmd.size();
      // Arguments: braced groups or single tokens, as TeX reads them.
      std::vector<std::pair<std::string, std::vector<std::size_t>>> args;
      for (int a = 0; a < it->second.nargs; ++a) {
        while (i < src.size() && std::isspace(static_cast<unsigned char>(src[i]))) ++i;
        if (i >= src.size())
          throw LatexError(position_in(original, at), cmd, "macro " + cmd + " needs " + std::to_string(it->second.nargs) + " argument(s)");
        std::size_t start = i, stop;
        if (src[i] == '{') {
          int depth2 = 0;
          for (; i < src.size(); ++i) {
            if (src[i] == '\\' && i + 1 < src.size()) {
              ++i;
              continue;
            }
            if (src[i] == '{') ++depth2;
            if (src[i] == '}' && --depth2 == 0) break;
          }
          if (i >= src.size()) throw LatexError(position_in(original, origin[start]), src.substr(start, 20), "unbalanced braces in an argument of " + cmd);
          ++start;
          stop = i;
          ++i;
        } else if (src[i] == '\\') {
          stop = i + command_at(src, i).size();
          i = stop;
        } else {
          stop = ++i;
        }
        args.push_back({src.substr(start, stop - start),
                        std::vector<std::size_t>(origin.begin() + static_cast<long>(start), origin.begin() + static_cast<long>(stop))});
      }
      // Substitute #n, then expand the result again (macros may use other macros).
      std::string body;
      std::vector<std::size_t> body_origin;
      const std::string& b = it->second.body;
      for (std::size_t k = 0; k < b.size(); ++k) {
        if (b[k] == '#' && k + 1 < b.size() && b[k + 1] >= '1' && b[k + 1] <= '9') {
          const auto& [atext, aorig] = args[static_cast<std::size_t>(b[k + 1] - '1')];
          body += atext;
          body_origin.insert(body_origin.end(), aorig.begin(), aorig.end());
          ++k;
          continue;
        }
        body.push_back(b[k]);
        body_origin.push_back(at);
      }
      // A macro name glued to a following letter must stay a separate token ("\ba_t" is fine, "\E x" too).
      body.push_back(' ');
      body_origin.push_back(at);
      budget -= static_cast<int>(body.size());
      if (budget < 0) throw LatexError(position_in(original, at), cmd, "macro expansion is too long (a macro that uses itself?)");
      run(body, body_origin, out, depth + 1);
    }
  }
};

}  // namespace

Expanded expand_macros(const std::string& text, const MacroTable& macros) {
  Expanded out;
  std::vector<std::size_t> origin(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) origin[i] = i;
  if (macros.empty()) {
    out.text = text;
    out.origin = origin;
    out.origin.push_back(text.size());
    return out;
  }
  Expander e{macros, text};
  e.run(text, origin, out, 0);
  out.origin.push_back(text.size());  // one past the end
  return out;
}

}  // namespace verify::formula
