#pragma once
// The human-readable report as a small document model, built once from a RunResult and rendered twice: as
// GitHub/GitLab Markdown (report.md, math in $...$ and $$...$$) and as one self-contained HTML file (report.html,
// plots inlined as SVG, LaTeX shown as source in a monospace font). The two renderings therefore say the same.
// Nothing here depends on time, host or absolute paths, so equal runs give byte-identical files.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "verify/report_plots.hpp"
#include "verify/runner.hpp"

namespace verify::report {

struct Span {
  enum class Kind { text, math, code, strong, link } kind = Kind::text;
  std::string text;
  std::string href;  // link target
  std::string cls;   // HTML class hint (e.g. verdict colour); ignored by Markdown
};
using Text = std::vector<Span>;

struct Table {
  std::vector<std::string> header;
  std::string align;  // one of 'l', 'r' per column
  std::vector<std::vector<Text>> rows;
};

struct Block {
  enum class Kind { heading, paragraph, math, table, bullets, plot } kind = Kind::paragraph;
  int level = 0;       // heading level
  std::string id;      // heading anchor
  Text text;           // heading / paragraph
  std::string source;  // display math (LaTeX)
  Table table;
  std::vector<Text> items;  // bullets
  std::string plot;         // plot stem (plots/<stem>.svg)
  std::string title, caption;
  bool rendered = false;    // the SVG exists
};

struct Document {
  std::vector<Block> blocks;
};

// rendered: stems of plots whose SVG exists (others are linked as data + script only, or omitted when no plots
// were planned at all).
Document build_document(const RunResult& r, const std::vector<Plot>& plots, const std::set<std::string>& rendered);

std::string render_markdown(const Document& d);
// svg(stem) returns the SVG text of a rendered plot.
std::string render_html(const Document& d, const std::function<std::string(const std::string&)>& svg);

// Anchor of a case's section (GitHub's heading-anchor rule applied to the case name).
std::string anchor(const std::string& s);

}  // namespace verify::report
