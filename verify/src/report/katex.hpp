#pragma once
// KaTeX for report.html, read from the Debian packages libjs-katex and fonts-katex at report time and inlined, so the
// report typesets its formulas with no network and no files beside it (private to src/report).
#include <string>
#include <vector>

namespace verify::report {

struct Katex {
  bool found = false;
  std::string js;        // katex.min.js, zlib-compressed (deflate, level 9) and base64-encoded: 270 kB become 100 kB
  std::string css;       // katex.min.css with the chosen fonts as woff2 data: URIs and every other @font-face removed
  std::string problem;   // why it was not found (for the warning), when !found
  std::vector<std::string> fonts;  // font files inlined, e.g. "KaTeX_Main-Regular"
};

// Looks in $VERIFY_KATEX_DIR if set (tests use it to exercise the fallback), else /usr/share/javascript/katex; fonts
// in <dir>/fonts, else /usr/share/fonts/truetype/katex. Only woff2 fonts are inlined: the ones every formula needs
// (Main regular, Math italic, Size1-4 for large operators and delimiters, AMS for \mathbb, Caligraphic for \mathcal),
// plus the others only when some formula in `latex` uses a command that needs them (bold, italic text, \mathfrak,
// \mathsf, \mathtt, \mathscr, \boldsymbol). A font left out is never requested: its @font-face rule is dropped, and the browser
// falls back to a system font for that alphabet.
Katex load_katex(const std::string& latex);

}  // namespace verify::report
