#pragma once
// The human-readable report as a small document model, built once from a RunResult and rendered twice: as
// GitHub/GitLab Markdown (report.md, math in $...$ and $$...$$) and as one HTML file (report.html, math typeset by
// KaTeX inlined in the file, plots referenced from plots/). The two renderings therefore say the same.
// Order: a one-page summary per note, the errata (one section per note, its claims in the note's order), then the
// appendix (per case: the checks and their numbers; collapsed in HTML, open when printed; in Markdown one line per
// case with the verdicts of its forms).
// Nothing here depends on time, host or absolute paths, so equal runs give byte-identical files.
#include <set>
#include <string>
#include <vector>

#include "verify/report_plots.hpp"
#include "verify/runner.hpp"

namespace verify::report {

struct Span {
  // rich: plain text in the claims' ASCII notation (beta_tilde_t, x_{t-1}), shown with Greek letters, subscripts and
  // superscripts (see labels.hpp); math: LaTeX, typeset.
  enum class Kind { text, math, code, strong, link, rich } kind = Kind::text;
  std::string text;
  std::string href;  // link target
  std::string cls;   // HTML class hint (e.g. verdict colour); ignored by Markdown
};
using Text = std::vector<Span>;

struct Table {
  std::vector<std::string> header;
  std::string align;  // one of 'l', 'r' per column
  std::vector<std::vector<Text>> rows;
  std::string cls;    // HTML class of the table
};

// One side of a side-by-side comparison: a formula (LaTeX), or text where no formula is known.
struct Pane {
  std::string label;
  std::string latex;
  std::vector<Text> paragraphs;
};

struct Block {
  enum class Kind {
    heading, paragraph, math, table, bullets, plot,
    open,     // a container: <details> when `details` (text = its summary line), else a <section class=cls>
    close,    // ends the innermost container
    compare,  // panes side by side
  } kind = Kind::paragraph;
  int level = 0;       // heading level
  std::string id;      // heading / container anchor
  std::string cls;     // container or paragraph class (HTML only)
  bool details = false;
  Text text;           // heading / paragraph / details summary
  std::string source;  // display math (LaTeX)
  Table table;
  std::vector<Text> items;  // bullets
  std::vector<Pane> panes;  // compare
  std::string plot;         // plot stem (plots/<stem>.svg)
  std::string title, caption;  // plot title (ASCII notation, see labels.hpp) and caption
  int width = 0, height = 0;   // plot size in pixels
  bool rendered = false;    // the SVG exists
  bool html_only = false;   // the appendix of per-check detail: left out of report.md (it is in report.json)
  bool md_only = false;     // report.md's short list of the cases, in place of that appendix
};

struct Document {
  std::vector<Block> blocks;
};

// rendered: stems of plots whose SVG exists (others are linked as data + script only, or omitted when no plots
// were planned at all).
Document build_document(const RunResult& r, const std::vector<Plot>& plots, const std::set<std::string>& rendered);

std::string render_markdown(const Document& d);

// The KaTeX to inline: katex.min.js deflated and base64-encoded, and its CSS with the fonts as data: URIs; when
// `found` is false formulas are shown as their LaTeX source, marked as such.
struct MathAssets {
  bool found = false;
  std::string js_deflated_base64, css;
};
std::string render_html(const Document& d, const MathAssets& math);

// All LaTeX of the document (to choose the KaTeX fonts it needs).
std::string all_latex(const Document& d);

// Anchor of a case's section (GitHub's heading-anchor rule applied to the case name).
std::string anchor(const std::string& s);

}  // namespace verify::report
