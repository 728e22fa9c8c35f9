// report.md: GitHub/GitLab-flavoured Markdown with $...$ / $$...$$ math and plots linked from plots/. The appendix's
// collapsed cases are <details> blocks, which GitHub renders (with the Markdown inside them).
#include <sstream>

#include "format.hpp"
#include "labels.hpp"
#include "verify/report_document.hpp"

namespace verify::report {

namespace {

std::string one_line(const std::string& s) {
  std::string out;
  for (char ch : s) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  return out;
}

std::string esc(const std::string& s) {
  std::string out;
  for (char ch : one_line(s)) {
    if (std::string_view("\\`*_[]<>$|#").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

std::string code(const std::string& s, bool in_table) {
  std::string body;
  for (char ch : one_line(s)) {
    if (in_table && ch == '|') body += "\\|";
    else body += ch;
  }
  const std::string ticks = body.find('`') == std::string::npos ? "`" : "``";
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return ticks + (pad ? " " : "") + body + (pad ? " " : "") + ticks;
}

std::string inline_math(const std::string& s, bool in_table) {
  std::string body = one_line(s);
  while (!body.empty() && body.front() == ' ') body.erase(0, 1);
  while (!body.empty() && body.back() == ' ') body.pop_back();
  if (in_table) {
    std::string t;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '|') t += "\\Vert ", ++i;
      else if (body[i] == '|') t += "\\vert ";
      else t += body[i];
    }
    body = t;
  }
  return "$" + body + "$";
}

// A label in the claims' ASCII notation: Greek letters as Unicode, scripts as <sub>/<sup> (inline HTML).
std::string rich(const std::string& s) {
  std::string out;
  for (const auto& r : parse_label(s)) {
    if (r.kind == LabelRun::Kind::normal) out += esc(r.text);
    else {
      const char* tag = r.kind == LabelRun::Kind::sub ? "sub" : "sup";
      out += std::string("<") + tag + ">" + escape_markup(r.text) + "</" + tag + ">";
    }
  }
  return out;
}

std::string display_math(const std::string& latex) {
  // Blank lines would end the math block; LaTeX does not need them.
  std::string src;
  std::istringstream in(latex);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) src += line + "\n";
  return "$$\n" + src + "$$\n\n";
}

std::string text(const Text& t, bool in_table = false) {
  std::string out;
  for (const auto& s : t) {
    if (s.cls == "anchor") {  // a link target for the errata's "Checks and numbers"
      out += "<a id=\"" + s.text + "\"></a>";
      continue;
    }
    if (s.cls.rfind("badge", 0) == 0) {  // a verdict badge (a pill in HTML)
      const auto a = s.text.find_first_not_of(' ');
      out += " [" + esc(a == std::string::npos ? s.text : s.text.substr(a)) + "]";
      continue;
    }
    switch (s.kind) {
      case Span::Kind::text: out += esc(s.text); break;
      case Span::Kind::rich: out += rich(s.text); break;
      case Span::Kind::math: out += inline_math(s.text, in_table); break;
      case Span::Kind::code: out += code(s.text, in_table); break;
      case Span::Kind::strong: {
        // Emphasis markers must touch the text (CommonMark flanking rules): keep outer spaces outside them.
        const auto a = s.text.find_first_not_of(' '), z = s.text.find_last_not_of(' ');
        if (a == std::string::npos) {
          out += s.text;
          break;
        }
        out.append(a, ' ').append("**").append(esc(s.text.substr(a, z - a + 1))).append("**");
        out.append(s.text.size() - 1 - z, ' ');
        break;
      }
      case Span::Kind::link: out.append(1, '[').append(esc(s.text)).append("](").append(s.href).append(1, ')'); break;
    }
  }
  return out;
}

// A <details> summary is HTML, where Markdown is not processed.
std::string summary_html(const Text& t) {
  std::string out;
  for (const auto& s : t)
    out += s.kind == Span::Kind::strong ? "<b>" + escape_markup(s.text) + "</b>" : escape_markup(s.text);
  return out;
}

}  // namespace

std::string render_markdown(const Document& d) {
  std::ostringstream os;
  std::vector<bool> open_details;  // per open container: is it a <details>
  for (const auto& b : d.blocks) {
    if (b.html_only) continue;
    switch (b.kind) {
      case Block::Kind::heading: os << std::string(static_cast<std::size_t>(b.level), '#') << ' ' << text(b.text) << "\n\n"; break;
      case Block::Kind::paragraph: os << text(b.text) << "\n\n"; break;
      case Block::Kind::math: os << display_math(b.source); break;
      case Block::Kind::open:
        open_details.push_back(b.details);
        if (b.details) os << "<details" << (b.id.empty() ? "" : " id=\"" + b.id + "\"") << "><summary>" << summary_html(b.text)
                          << "</summary>\n\n";
        else if (!b.id.empty()) os << "<a id=\"" << b.id << "\"></a>\n\n";
        break;
      case Block::Kind::close:
        if (!open_details.empty() && open_details.back()) os << "</details>\n\n";
        if (!open_details.empty()) open_details.pop_back();
        break;
      case Block::Kind::compare:
        for (const auto& p : b.panes) {
          os << "*" << esc(p.label) << ":*\n\n";
          if (!p.latex.empty()) os << display_math(p.latex);
          for (const auto& t : p.paragraphs) os << "> " << text(t) << "\n>\n";
          if (!p.paragraphs.empty()) os << "\n";
        }
        break;
      case Block::Kind::table: {
        const auto& t = b.table;
        os << '|';
        for (const auto& h : t.header) os << ' ' << esc(h) << " |";
        os << "\n|";
        for (std::size_t i = 0; i < t.header.size(); ++i) os << (i < t.align.size() && t.align[i] == 'r' ? " ---: |" : " --- |");
        os << '\n';
        for (const auto& row : t.rows) {
          os << '|';
          for (const auto& cell : row) os << ' ' << text(cell, true) << " |";
          os << '\n';
        }
        os << '\n';
        break;
      }
      case Block::Kind::bullets:
        for (const auto& it : b.items) os << "- " << text(it) << '\n';
        os << '\n';
        break;
      case Block::Kind::plot: {
        const std::string base = "plots/" + b.plot;
        os << "**" << rich(b.title) << "**\n\n";
        if (b.rendered) os << "![" << esc(label_plain(parse_label(b.title))) << "](" << base << ".svg)\n\n";
        else os << "(not drawn: gnuplot was not available)\n\n";
        if (!b.caption.empty()) os << rich(b.caption) << ' ';
        os << "Data: [" << b.plot << ".dat](" << base << ".dat), gnuplot script: [" << b.plot << ".gp](" << base
           << ".gp).\n\n";
        break;
      }
    }
  }
  std::string s = os.str();
  while (s.size() > 1 && s[s.size() - 1] == '\n' && s[s.size() - 2] == '\n') s.pop_back();
  return s;
}

}  // namespace verify::report
