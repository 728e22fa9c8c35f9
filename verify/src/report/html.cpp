// report.html: one self-contained file (inline CSS, plots inlined as SVG, no scripts, nothing fetched); LaTeX is
// shown as its source in a monospace font so it reads without a network or a math renderer.
#include <fmt/core.h>

#include <sstream>

#include "format.hpp"
#include "verify/report_document.hpp"

namespace verify::report {

namespace {

std::string esc(const std::string& s) { return escape_markup(s); }

std::string text(const Text& t) {
  std::string out;
  for (const auto& s : t) {
    std::string h;
    switch (s.kind) {
      case Span::Kind::text: h = esc(s.text); break;
      case Span::Kind::math: h = "<code class=\"math\">" + esc(s.text) + "</code>"; break;
      case Span::Kind::code: h = "<code>" + esc(s.text) + "</code>"; break;
      case Span::Kind::strong: h = "<strong>" + esc(s.text) + "</strong>"; break;
      case Span::Kind::link: h = "<a href=\"" + esc(s.href) + "\">" + esc(s.text) + "</a>"; break;
    }
    out += s.cls.empty() ? h : "<span class=\"" + esc(s.cls) + "\">" + h + "</span>";
  }
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

// gnuplot's SVG made fit for inlining: no XML prologue, ids made unique per plot (several plots share one page),
// the generic <title> replaced by the plot's.
std::string inline_svg(std::string svg, std::size_t k, const std::string& title) {
  const auto start = svg.find("<svg");
  if (start == std::string::npos) return {};
  svg.erase(0, start);
  const std::string p = fmt::format("p{}-", k);
  replace_all(svg, "id='gp", "id='" + p + "gp");
  replace_all(svg, "href='#gp", "href='#" + p + "gp");
  replace_all(svg, "id=\"gnuplot_canvas\"", "id=\"" + p + "canvas\"");
  replace_all(svg, "<title>Gnuplot</title>", "<title>" + esc(title) + "</title>");
  replace_all(svg, "<svg ", "<svg role=\"img\" ");
  return svg;
}

constexpr const char* kStyle = R"(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 1em 2em; color: #1f2328; line-height: 1.45; }
h1 { border-bottom: 2px solid #d0d7de; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .15em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 13px; margin: .6em 0 1.2em; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fbfcfd; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 90%; background: #f2f4f7;
       padding: 0 3px; border-radius: 3px; }
code.math { background: #eef5ff; }
pre.math { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #eef5ff; padding: .6em 1em;
           white-space: pre-wrap; border-left: 3px solid #8cb4e8; }
.v-holds { color: #1a7f37; } .v-refuted { color: #cf222e; } .v-inconclusive { color: #9a6700; }
.good { color: #1a7f37; } .bad { color: #cf222e; font-weight: bold; }
td .v-holds, td .v-refuted, td .v-inconclusive, td .good { white-space: nowrap; }
figure { margin: 1em 0 2em; } figure svg { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { font-size: 13px; color: #57606a; max-width: 60em; }
)";

}  // namespace

std::string render_html(const Document& d, const std::function<std::string(const std::string&)>& svg) {
  std::ostringstream os;
  std::string title = "diffusion-verify report";
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
     << esc(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  std::size_t plot_no = 0;
  for (const auto& b : d.blocks) {
    switch (b.kind) {
      case Block::Kind::heading: {
        const std::string tag = fmt::format("h{}", b.level);
        os << '<' << tag << (b.id.empty() ? "" : " id=\"" + esc(b.id) + "\"") << '>' << text(b.text) << "</" << tag << ">\n";
        break;
      }
      case Block::Kind::paragraph: os << "<p>" << text(b.text) << "</p>\n"; break;
      case Block::Kind::math: os << "<pre class=\"math\">" << esc(b.source) << "</pre>\n"; break;
      case Block::Kind::table: {
        const auto& t = b.table;
        os << "<table>\n<thead><tr>";
        for (const auto& h : t.header) os << "<th>" << esc(h) << "</th>";
        os << "</tr></thead>\n<tbody>\n";
        for (const auto& row : t.rows) {
          os << "<tr>";
          for (std::size_t i = 0; i < row.size(); ++i)
            os << (i < t.align.size() && t.align[i] == 'r' ? "<td class=\"r\">" : "<td>") << text(row[i]) << "</td>";
          os << "</tr>\n";
        }
        os << "</tbody>\n</table>\n";
        break;
      }
      case Block::Kind::bullets:
        os << "<ul>\n";
        for (const auto& it : b.items) os << "<li>" << text(it) << "</li>\n";
        os << "</ul>\n";
        break;
      case Block::Kind::plot: {
        ++plot_no;
        os << "<figure id=\"plot-" << esc(b.plot) << "\">\n";
        const std::string s = b.rendered ? inline_svg(svg(b.plot), plot_no, b.title) : std::string();
        if (!s.empty()) os << s << (s.back() == '\n' ? "" : "\n");
        else os << "<p>(not drawn: gnuplot was not available)</p>\n";
        os << "<figcaption><strong>" << esc(b.title) << ".</strong> " << esc(b.caption) << " Data: <code>plots/"
           << esc(b.plot) << ".dat</code>, gnuplot script: <code>plots/" << esc(b.plot) << ".gp</code>.</figcaption>\n";
        os << "</figure>\n";
        break;
      }
    }
  }
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace verify::report
