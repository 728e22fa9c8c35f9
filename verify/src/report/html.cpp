// report.html: one file with its CSS and KaTeX inlined (fonts as data: URIs), so it opens with no network; plots are
// referenced from plots/ beside it (the SVGs are not duplicated inside). The summary and the errata are plain HTML;
// the KaTeX script and the appendix (per-check tables, most of the file) are inlined compressed (packed.hpp) and
// unpacked by the page's script. Formulas are written as their LaTeX source in elements of class "tex" and typeset
// by KaTeX when the page loads; a formula KaTeX cannot parse stays as its source, visibly marked (class
// tex-failed). Without KaTeX (not installed when the report was written) every formula is shown as source and a
// banner says why. The number of formulas is in body[data-formulas] and the number typeset in
// body[data-formulas-rendered], for the browser test.
#include <fmt/core.h>

#include <sstream>

#include "format.hpp"
#include "packed.hpp"
#include "labels.hpp"
#include "verify/report_document.hpp"

namespace verify::report {

namespace {

std::string esc(const std::string& s) { return escape_markup(s); }

// Text inside <script> or <style> must not close the element early.
std::string raw_element_safe(std::string s, const std::string& tag) {
  const std::string close = "</" + tag;
  for (std::size_t pos = 0; (pos = s.find(close, pos)) != std::string::npos; pos += 2) s.replace(pos, 2, "<\\/");
  return s;
}

struct Writer {
  std::size_t formulas = 0;

  std::string tex(const std::string& latex, bool display) {
    ++formulas;
    return std::string(display ? "<div class=\"tex tex-display\">" : "<span class=\"tex\">") + esc(latex) +
           (display ? "</div>" : "</span>");
  }

  std::string text(const Text& t) {
    std::string out;
    for (const auto& s : t) {
      std::string h;
      switch (s.kind) {
        case Span::Kind::text: h = esc(s.text); break;
        case Span::Kind::rich: h = label_html(parse_label(s.text)); break;
        case Span::Kind::math: h = tex(s.text, false); break;
        case Span::Kind::code: h = "<code>" + esc(s.text) + "</code>"; break;
        case Span::Kind::strong: h = "<strong>" + esc(s.text) + "</strong>"; break;
        case Span::Kind::link: h = "<a href=\"" + esc(s.href) + "\">" + esc(s.text) + "</a>"; break;
      }
      out += s.cls.empty() ? h : "<span class=\"" + esc(s.cls) + "\">" + h + "</span>";
    }
    return out;
  }
};

constexpr const char* kStyle = R"(
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --holds: #1a7f37; --wrong: #cf222e; --undecided: #9a6700; }
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 62em;
       padding: 1.2em 2em 3em; color: var(--ink); line-height: 1.5; font-size: 16px; }
h1 { font-size: 1.7em; margin: .2em 0 .4em; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: .15em; margin-top: 2.2em; }
h2 .file, td .file { color: var(--muted); font-size: .6em; font-weight: normal; margin-left: .4em; }
td .file { font-size: .85em; }
h3 { font-size: 1.08em; margin: 0 0 .3em; }
h3 .line { color: var(--muted); font-weight: normal; }
p.lead { font-size: 1.08em; }
.small { font-size: 13px; color: var(--muted); }
a { color: #0969da; }
table { border-collapse: collapse; font-size: 13px; margin: .6em 0 1em; }
th, td { border: 1px solid var(--line); padding: 3px 7px; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; }
table.summary { font-size: 15px; min-width: 60%; }
table.summary td { padding: 4px 10px; }
table.checks { width: 100%; }
table.checks td { overflow-wrap: break-word; }
table.checks td:nth-child(n+3):nth-last-child(n+2) { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; max-width: 100%; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 88%; background: #f2f4f7;
       padding: 0 3px; border-radius: 3px; }
.tex { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 90%; }
.tex-display { display: block; margin: .5em 0; overflow-x: auto; overflow-y: hidden; }
.tex.tex-done { font-family: inherit; font-size: inherit; }
.tex-display.tex-done { padding: .1em 0; }
.tex-failed, body.math-missing .tex { background: #fff8c5; border: 1px dashed #d4a72c; padding: 0 .3em;
       white-space: pre-wrap; overflow-wrap: anywhere; }
.tex-failed::before, body.math-missing .tex::before { content: "LaTeX: "; color: var(--muted); font-style: italic; }
.packed-note { color: var(--muted); font-style: italic; }
.math-banner { background: #fff8c5; border: 1px solid #d4a72c; padding: .5em 1em; border-radius: 6px; }
.katex-display { margin: .3em 0; }
.st-holds { color: var(--holds); } .st-wrong { color: var(--wrong); } .st-undecided { color: var(--undecided); }
.v-holds { color: var(--holds); } .v-refuted { color: var(--wrong); } .v-inconclusive { color: var(--undecided); }
.good { color: var(--holds); } .bad { color: var(--wrong); font-weight: bold; }
td .v-holds, td .v-refuted, td .v-inconclusive, td .good { white-space: nowrap; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px;
         border: 1px solid currentColor; margin-left: .6em; vertical-align: 2px; }
section.entry { border-left: 4px solid var(--line); padding: .6em 0 .4em 1em; margin: 1.4em 0; }
section.entry.st-wrong { border-left-color: var(--wrong); } section.entry.st-holds { border-left-color: var(--holds); }
section.entry.st-undecided { border-left-color: var(--undecided); }
section.entry, section.summary { color: var(--ink); }
p.claim-summary { color: var(--muted); margin: 0 0 .4em; }
p.verdict { margin: .4em 0 .2em; }
.compare { display: grid; grid-template-columns: minmax(0, 1fr); gap: .6em; margin: .4em 0; }
.compare.formulas { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.pane { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .4em .8em; min-width: 0; }
.pane p { margin: .3em 0; font-size: 14px; }
.lbl { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
figure { margin: .8em 0 1.2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
section.entry figure img { max-width: min(100%, 600px); }
figcaption { font-size: 13px; color: var(--muted); max-width: 48em; }
details.case { border: 1px solid var(--line); border-radius: 6px; margin: .5em 0; padding: .2em .9em; }
details.case > summary { cursor: pointer; padding: .3em 0; }
details.case[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: .5em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  section.note, section.appendix { break-before: page; }
  section.entry { break-inside: avoid; }
  figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  details.case { border: none; padding: 0; break-before: auto; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; font-weight: 600; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
  .math-banner { display: none; }
}
)";

// Unpacks KaTeX and the appendix (both inlined compressed, see packed.hpp), typesets every .tex element, keeps the
// source of any formula it cannot parse, opens the collapsed appendix for printing, and opens a collapsed case when
// a link points into it. A browser without DecompressionStream (before 2023) shows the formulas as their source and
// says that the appendix needs a newer browser.
constexpr const char* kScript = R"(
(async function () {
  async function unpack(id) {
    var el = document.getElementById(id);
    if (!el || !window.DecompressionStream) return null;
    try {
      var bin = atob(el.textContent.trim()), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).text();
    } catch (x) { return null; }
  }
  var js = window.katex ? null : await unpack('katex-deflated');
  if (js) { try { (0, eval)(js); } catch (x) {} }  // global scope: the bundle defines window.katex
  var appendix = await unpack('appendix-deflated'), note = document.getElementById('appendix-note');
  if (appendix !== null) { document.getElementById('appendix-body').innerHTML = appendix; if (note) note.remove(); }
  else if (note) note.textContent = 'The appendix is stored compressed in this file and this browser cannot unpack it '
      + '(it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later). The same numbers are in report.json.';
  var els = document.querySelectorAll('.tex'), done = 0;
  if (window.katex) {
    for (var i = 0; i < els.length; i++) {
      var e = els[i], src = e.textContent;
      try {
        katex.render(src, e, {displayMode: e.classList.contains('tex-display'), throwOnError: false, strict: 'ignore'});
      } catch (x) {}
      if (e.querySelector('.katex') && !e.querySelector('.katex-error')) { e.classList.add('tex-done'); done++; }
      else { e.textContent = src; e.classList.add('tex-failed'); e.title = 'KaTeX could not typeset this formula; its LaTeX source is shown'; }
    }
  }
  document.body.setAttribute('data-formulas-rendered', String(done));
  var opened = [];
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener('afterprint', function () { opened.forEach(function (d) { d.open = false; }); opened = []; });
  function reveal() {
    var t = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    for (var n = t; n; n = n.parentElement) if (n.tagName === 'DETAILS') n.open = true;
    if (t) t.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);
  if (location.hash) reveal();
})();
)";

}  // namespace

std::string render_html(const Document& d, const MathAssets& math) {
  Writer w;
  std::ostringstream main, packed;
  std::ostringstream* out = &main;
  std::size_t packed_depth = 0;  // nesting depth of the appendix container while inside it (0: outside)
  std::vector<std::string> open_tags;  // containers nest; each close ends the innermost
  for (const auto& b : d.blocks) {
    if (b.md_only) continue;
    std::ostream& os = *out;
    switch (b.kind) {
      case Block::Kind::heading: {
        const std::string tag = fmt::format("h{}", b.level);
        os << '<' << tag << (b.id.empty() ? "" : " id=\"" + esc(b.id) + "\"") << '>' << w.text(b.text) << "</" << tag << ">\n";
        break;
      }
      case Block::Kind::paragraph:
        os << (b.cls.empty() ? "<p>" : "<p class=\"" + esc(b.cls) + "\">") << w.text(b.text) << "</p>\n";
        break;
      case Block::Kind::math: os << w.tex(b.source, true) << "\n"; break;
      case Block::Kind::table: {
        const auto& t = b.table;
        os << "<div class=\"table-wrap\"><table" << (t.cls.empty() ? "" : " class=\"" + esc(t.cls) + "\"") << ">\n<thead><tr>";
        for (const auto& h : t.header) os << "<th>" << esc(h) << "</th>";
        os << "</tr></thead>\n<tbody>\n";
        // The checks tables (most of the file) are aligned by the stylesheet, not per cell.
        const bool styled = t.cls == "checks";
        for (const auto& row : t.rows) {
          os << "<tr>";
          for (std::size_t i = 0; i < row.size(); ++i)
            os << (!styled && i < t.align.size() && t.align[i] == 'r' ? "<td class=\"r\">" : "<td>") << w.text(row[i]) << "</td>";
          os << "</tr>\n";
        }
        os << "</tbody>\n</table></div>\n";
        break;
      }
      case Block::Kind::bullets:
        os << "<ul>\n";
        for (const auto& it : b.items) os << "<li>" << w.text(it) << "</li>\n";
        os << "</ul>\n";
        break;
      case Block::Kind::open:
        open_tags.push_back(b.details ? "details" : "section");
        if (!b.details && b.cls == "appendix" && !packed_depth) {
          // The appendix goes into the page compressed; a note stands in for it until the script unpacks it.
          os << "<section class=\"appendix\"" << (b.id.empty() ? "" : " id=\"" + esc(b.id) + "\"")
             << ">\n<p class=\"packed-note\" id=\"appendix-note\">Unpacking the appendix…</p>\n<div id=\"appendix-body\"></div>\n";
          packed_depth = open_tags.size();
          out = &packed;
          break;
        }
        if (b.details)
          os << "<details" << (b.cls.empty() ? "" : " class=\"" + esc(b.cls) + "\"") << (b.id.empty() ? "" : " id=\"" + esc(b.id) + "\"")
             << ">\n<summary>" << w.text(b.text) << "</summary>\n";
        else
          os << "<section" << (b.cls.empty() ? "" : " class=\"" + esc(b.cls) + "\"") << (b.id.empty() ? "" : " id=\"" + esc(b.id) + "\"")
             << ">\n";
        break;
      case Block::Kind::close:
        if (open_tags.empty()) break;
        if (packed_depth == open_tags.size()) {
          packed_depth = 0;
          out = &main;
          *out << "<script id=\"appendix-deflated\" type=\"application/octet-stream\">" << deflate_base64(packed.str())
               << "</script>\n</section>\n";
        } else {
          os << "</" << open_tags.back() << ">\n";
        }
        open_tags.pop_back();
        break;
      case Block::Kind::compare: {
        const bool formulas = b.panes.size() == 2 && !b.panes[0].latex.empty() && !b.panes[1].latex.empty();
        os << "<div class=\"compare" << (formulas ? " formulas" : "") << "\">\n";
        for (const auto& p : b.panes) {
          os << "<div class=\"pane\"><div class=\"lbl\">" << esc(p.label) << "</div>\n";
          if (!p.latex.empty()) os << w.tex(p.latex, true) << "\n";
          for (const auto& t : p.paragraphs) os << "<p>" << w.text(t) << "</p>\n";
          os << "</div>\n";
        }
        os << "</div>\n";
        break;
      }
      case Block::Kind::plot: {
        const Label title = parse_label(b.title);
        os << "<figure id=\"plot-" << esc(b.plot) << "\">\n";
        if (b.rendered)
          os << "<img src=\"plots/" << esc(b.plot) << ".svg\" width=\"" << b.width << "\" height=\"" << b.height
             << "\" alt=\"" << esc(label_plain(title)) << "\">\n";
        else
          os << "<p>(not drawn: gnuplot was not available)</p>\n";
        os << "<figcaption><strong>" << label_html(title) << ".</strong> " << label_html(parse_label(b.caption))
           << (b.caption.empty() ? "" : " ") << "Data: <code>plots/" << esc(b.plot) << ".dat</code>, gnuplot script: <code>plots/"
           << esc(b.plot) << ".gp</code>.</figcaption>\n";
        os << "</figure>\n";
        break;
      }
    }
  }
  for (; !open_tags.empty(); open_tags.pop_back()) *out << "</" << open_tags.back() << ">\n";
  const std::string body = main.str();
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>Errata for the teaching notes on diffusion models (diffusion-verify)</title>\n";
  if (math.found) page << "<style>" << raw_element_safe(math.css, "style") << "</style>\n";
  page << "<style>" << kStyle << "</style>\n</head>\n";
  page << "<body data-formulas=\"" << w.formulas << "\"" << (math.found ? "" : " class=\"math-missing\"") << ">\n";
  if (!math.found)
    page << "<p class=\"math-banner\">Formulas are shown as their LaTeX source: KaTeX (Debian packages libjs-katex and "
            "fonts-katex) was not installed when this report was written.</p>\n";
  page << body;
  if (math.found) page << "<script id=\"katex-deflated\" type=\"application/octet-stream\">" << math.js_deflated_base64 << "</script>\n";
  page << "<script>" << kScript << "</script>\n</body>\n</html>\n";
  return page.str();
}

}  // namespace verify::report
