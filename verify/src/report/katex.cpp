#include "katex.hpp"

#include "packed.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace verify::report {

namespace {

bool read(const fs::path& f, std::string& out) {
  std::ifstream in(f, std::ios::binary);
  if (!in) return false;
  out.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return static_cast<bool>(in) || in.eof();
}

std::set<std::string> fonts_for(const std::string& latex) {
  std::set<std::string> f{"KaTeX_Main-Regular",  "KaTeX_Math-Italic",   "KaTeX_Size1-Regular",      "KaTeX_Size2-Regular",
                          "KaTeX_Size3-Regular", "KaTeX_Size4-Regular", "KaTeX_AMS-Regular", "KaTeX_Caligraphic-Regular"};
  auto uses = [&](const char* cmd) { return latex.find(cmd) != std::string::npos; };
  if (uses("\\mathbf") || uses("\\textbf") || uses("\\bf") || uses("\\bm{") || uses("\\boldsymbol")) f.insert("KaTeX_Main-Bold");
  if (uses("\\textit") || uses("\\mathit") || uses("\\emph") || uses("\\it")) f.insert("KaTeX_Main-Italic");
  if (uses("\\boldsymbol") || uses("\\bm{")) f.insert({"KaTeX_Math-BoldItalic", "KaTeX_Main-BoldItalic"});
  if (uses("\\mathfrak")) f.insert("KaTeX_Fraktur-Regular");
  if (uses("\\mathsf") || uses("\\textsf")) f.insert({"KaTeX_SansSerif-Regular", "KaTeX_SansSerif-Bold"});
  if (uses("\\mathtt") || uses("\\texttt")) f.insert("KaTeX_Typewriter-Regular");
  if (uses("\\mathscr")) f.insert("KaTeX_Script-Regular");
  return f;
}

}  // namespace

Katex load_katex(const std::string& latex) {
  Katex k;
  const char* env = std::getenv("VERIFY_KATEX_DIR");
  const fs::path dir = env && *env ? fs::path(env) : fs::path("/usr/share/javascript/katex");
  std::string css;
  if (!read(dir / "katex.min.js", k.js) || !read(dir / "katex.min.css", css)) {
    k.problem = "KaTeX not found in " + dir.string() + " (install libjs-katex and fonts-katex)";
    k.js.clear();
    return k;
  }
  const std::set<std::string> wanted = fonts_for(latex);
  // Each @font-face rule names its font files as url(fonts/<name>.woff2) (and .woff, .ttf): keep the wanted ones,
  // with the woff2 inlined; drop the rest.
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = css.find("@font-face{", pos);
    if (at == std::string::npos) {
      out.append(css, pos, std::string::npos);
      break;
    }
    out.append(css, pos, at - pos);
    const std::size_t end = css.find('}', at);
    if (end == std::string::npos) break;
    const std::string rule = css.substr(at, end + 1 - at);
    pos = end + 1;
    const std::size_t u = rule.find("url(fonts/");
    const std::size_t w = rule.find(".woff2)", u);
    if (u == std::string::npos || w == std::string::npos) continue;
    const std::string name = rule.substr(u + 10, w - (u + 10));
    if (!wanted.count(name)) continue;
    std::string font;
    if (!read(dir / "fonts" / (name + ".woff2"), font) &&
        !read(fs::path("/usr/share/fonts/truetype/katex") / (name + ".woff2"), font))
      continue;
    const std::size_t src = rule.find("src:"), semi = rule.find(';', src);
    if (src == std::string::npos || semi == std::string::npos) continue;
    out += rule.substr(0, src) + "src:url(data:font/woff2;base64," + base64(font) + ") format('woff2')" +
           rule.substr(semi);
    k.fonts.push_back(name);
  }
  if (k.fonts.empty()) {
    k.problem = "KaTeX fonts not found beside " + dir.string() + " or in /usr/share/fonts/truetype/katex (install fonts-katex)";
    k.js.clear();
    return k;
  }
  k.css = std::move(out);
  k.js = deflate_base64(k.js);
  if (k.js.empty()) {
    k.problem = "could not compress katex.min.js";
    return k;
  }
  k.found = true;
  return k;
}

}  // namespace verify::report
