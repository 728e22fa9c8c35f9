#include "labels.hpp"

#include <cctype>
#include <map>

#include "format.hpp"

namespace verify::report {

namespace {

const std::map<std::string, std::string>& greek() {
  static const std::map<std::string, std::string> g{
      {"alpha", "α"}, {"beta", "β"},   {"gamma", "γ"}, {"delta", "δ"}, {"epsilon", "ε"}, {"eps", "ε"},
      {"theta", "θ"}, {"lambda", "λ"}, {"mu", "μ"},    {"pi", "π"},    {"rho", "ρ"},     {"sigma", "σ"},
      {"tau", "τ"},   {"phi", "φ"},    {"omega", "ω"}, {"Sigma", "Σ"}, {"Delta", "Δ"},   {"nabla", "∇"},
      {"grad", "∇"}};
  return g;
}

// Combining accents written as a suffix word: beta_tilde -> β̃, alpha_bar -> ᾱ.
const std::map<std::string, std::string>& accents() {
  static const std::map<std::string, std::string> a{{"tilde", "\u0303"}, {"bar", "\u0304"}, {"hat", "\u0302"}};
  return a;
}

bool alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::string word_at(const std::string& s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && alpha(s[j])) ++j;
  return s.substr(i, j - i);
}

std::string symbol(const std::string& w) {
  const auto it = greek().find(w);
  return it == greek().end() ? w : it->second;
}

// The text of a {...} group starting at s[i] == '{'; i is left after the closing brace.
std::string group(const std::string& s, std::size_t& i) {
  int depth = 0;
  const std::size_t start = i + 1;
  for (; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    else if (s[i] == '}' && --depth == 0) break;
  }
  const std::string inner = s.substr(start, i - start);
  if (i < s.size()) ++i;
  return inner;
}

// A script's text: a {...} group, or one token (optionally signed number with a /denominator, or a word).
std::string script(const std::string& s, std::size_t& i) {
  if (i < s.size() && s[i] == '{') return label_plain(parse_label(group(s, i)));
  std::string out;
  if (i < s.size() && s[i] == '-' && i + 1 < s.size() && (digit(s[i + 1]) || alpha(s[i + 1]))) out += s[i++];
  if (i < s.size() && digit(s[i])) {
    while (i < s.size() && (digit(s[i]) || (s[i] == '.' && i + 1 < s.size() && digit(s[i + 1])))) out += s[i++];
    if (i + 1 < s.size() && s[i] == '/' && digit(s[i + 1])) {
      out += s[i++];
      while (i < s.size() && digit(s[i])) out += s[i++];
    }
  } else if (i < s.size() && alpha(s[i])) {
    const std::string w = word_at(s, i);
    i += w.size();
    out += symbol(w);
  }
  return out;
}

}  // namespace

Label parse_label(const std::string& s) {
  Label out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back({LabelRun::Kind::normal, cur});
    cur.clear();
  };
  bool scriptable = false;  // the last token may carry a subscript or superscript
  bool identifier = false;  // inside a name joined by underscores (as_written, model_variance_beta): no symbols
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (alpha(c)) {
      const std::string w = word_at(s, i);
      i += w.size();
      if (identifier) {
        cur += w;
        scriptable = false;
        if (!(i + 1 < s.size() && s[i] == '_' && alpha(s[i + 1]))) identifier = false;
        else cur += s[i++];  // the next underscore and word belong to the name too
        continue;
      }
      const bool is_greek = greek().count(w) > 0;
      if (w == "sqrt") {
        cur += "√";
        scriptable = false;
        continue;
      }
      if (!is_greek && w.size() > 1 && i + 1 < s.size() && s[i] == '_' && alpha(s[i + 1])) {
        cur += w + '_';  // a name such as as_written: keep it whole
        ++i;
        identifier = true;
        scriptable = false;
        continue;
      }
      cur += symbol(w);
      scriptable = is_greek || w.size() == 1;
      // Accent suffixes (only on a symbol, and only as whole words: "x_bar", not "x_barrier").
      while (scriptable && i + 1 < s.size() && s[i] == '_' && alpha(s[i + 1])) {
        const std::string a = word_at(s, i + 1);
        const auto it = accents().find(a);
        if (it == accents().end()) break;
        cur += it->second;
        i += 1 + a.size();
      }
      continue;
    }
    if ((c == '_' || c == '^') && scriptable && i + 1 < s.size() &&
        (s[i + 1] == '{' || alpha(s[i + 1]) || digit(s[i + 1]) || (c == '^' && s[i + 1] == '-'))) {
      ++i;
      const std::string t = script(s, i);
      if (t.empty()) {
        cur += c;
        continue;
      }
      flush();
      out.push_back({c == '_' ? LabelRun::Kind::sub : LabelRun::Kind::sup, t});
      scriptable = true;  // x_t^2
      continue;
    }
    if (c == '+' && i + 1 < s.size() && s[i + 1] == '-') {
      cur += "±";
      i += 2;
      scriptable = false;
      continue;
    }
    if ((c == '<' || c == '>') && i + 1 < s.size() && s[i + 1] == '=') {
      cur += c == '<' ? "≤" : "≥";
      i += 2;
      scriptable = false;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '>') {
      cur += "→";
      i += 2;
      scriptable = false;
      continue;
    }
    cur += c;
    scriptable = c == ')' || c == ']' || c == '|' || digit(c);
    ++i;
  }
  flush();
  return out;
}

namespace {
// One label in a markup: each run escaped, subscripts and superscripts wrapped in the markup's brackets.
struct Markup {
  std::string (*escape)(const std::string&);
  const char *sub_open, *sub_close, *sup_open, *sup_close;
};

std::string render(const Label& l, const Markup& m) {
  std::string out;
  for (const auto& r : l) {
    const std::string t = m.escape(r.text);
    if (r.kind == LabelRun::Kind::sub) out += m.sub_open + t + m.sub_close;
    else if (r.kind == LabelRun::Kind::sup) out += m.sup_open + t + m.sup_close;
    else out += t;
  }
  return out;
}

std::string gnuplot_escape(const std::string& t) {
  std::string o;
  for (char ch : t) {
    if (std::string_view("^_@&~{}\\").find(ch) != std::string_view::npos) o += '\\';
    o += ch;
  }
  return o;
}
std::string html_escape(const std::string& t) { return escape_markup(t); }
}  // namespace

std::string gnuplot_enhanced(const Label& l) { return render(l, {gnuplot_escape, "_{", "}", "^{", "}"}); }

std::string label_html(const Label& l) { return render(l, {html_escape, "<sub>", "</sub>", "<sup>", "</sup>"}); }

std::string label_plain(const Label& l) {
  std::string out;
  for (const auto& r : l) {
    if (r.kind == LabelRun::Kind::sub) out += "_" + (r.text.size() == 1 ? r.text : "{" + r.text + "}");
    else if (r.kind == LabelRun::Kind::sup) out += "^" + (r.text.size() == 1 ? r.text : "{" + r.text + "}");
    else out += r.text;
  }
  return out;
}

std::string form_words(const std::string& form) {
  std::string out = form;
  for (char& ch : out)
    if (ch == '_') ch = ' ';
  return out;
}

}  // namespace verify::report
