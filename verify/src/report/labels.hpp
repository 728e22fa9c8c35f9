#pragma once
// Plot titles, axis labels and legend entries, typeset one way everywhere (private to src/report).
// Claims name their figures in plain ASCII notation ("alpha_bar_t", "L_{t-1}", "sigma_theta^2", "N^-1/2",
// "grad log p", "+-4.56 SE"). The same label is drawn by gnuplot (enhanced text: real subscripts and
// superscripts) and written in the HTML and Markdown captions (<sub>/<sup>), with Greek letters as Unicode in both,
// so a title never shows `L_{t-1}` while the axis beside it shows L with a subscript.
#include <string>
#include <vector>

namespace verify::report {

struct LabelRun {
  enum class Kind { normal, sub, sup } kind = Kind::normal;
  std::string text;  // UTF-8, Greek letters and accents already substituted
};
using Label = std::vector<LabelRun>;

// Greek names (alpha, beta_tilde, ...) become letters, `_x` / `_{...}` after a symbol a subscript, `^x` /
// `^{...}` / `^-1/2` a superscript, `+-` ±, `grad` ∇, `sqrt` √. An underscore inside a word ("as_written") stays.
Label parse_label(const std::string& ascii);

std::string gnuplot_enhanced(const Label& l);  // for a single-quoted gnuplot string with `set termoption enhanced`
std::string label_html(const Label& l);         // escaped HTML with <sub>/<sup>
std::string label_plain(const Label& l);        // text only (e.g. SVG <title>, alt text)

// A form name as words: "as_written" -> "as written", "marginal_score_tweedie" -> "marginal score tweedie".
std::string form_words(const std::string& form);

}  // namespace verify::report
