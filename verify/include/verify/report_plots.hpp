#pragma once
// Plots of a run, drawn with gnuplot. Each plot is written as three files in plots/: <stem>.dat (the numbers),
// <stem>.gp (a gnuplot script a reader can restyle and rerun from that folder) and <stem>.svg.
// Planning only rearranges what RunResult holds; it computes no mathematics.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "verify/figure.hpp"
#include "verify/runner.hpp"

namespace verify {

struct Plot {
  std::string stem;       // file stem under plots/, e.g. "kl_standard_normal__convergence"
  std::string case_name;  // the case it belongs to; empty for run-wide plots (calibration)
  std::string title;      // heading of the plot
  std::string caption;    // one or two sentences: what is drawn and how to read it
  std::vector<Figure> panels;  // one panel, or several drawn as a grid
};

// Every Figure that a claim attached (plots/<case>__<figure>), one Monte Carlo convergence plot per case that has
// checks with a trace, and the run-wide calibration histogram of z-scores of the holding checks.
std::vector<Plot> plan_plots(const RunResult& r);

// The data file and the gnuplot script of a plot (the script reads <stem>.dat and writes <stem>.svg).
std::string gnuplot_data(const Plot& p);
std::string gnuplot_script(const Plot& p);
// Width and height of the plot's SVG in pixels (as the script sets them).
std::pair<int, int> plot_size(const Plot& p);

// Path of the gnuplot executable found on PATH, or empty.
std::string find_gnuplot();

// Writes .dat and .gp for each plot into dir and, when gnuplot is given, runs it there to make the SVGs.
// Returns the warnings (plots that failed). Polls the interrupt flag; throws Interrupted.
std::vector<std::string> render_plots(const std::vector<Plot>& plots, const std::filesystem::path& dir,
                                      const std::string& gnuplot);

}  // namespace verify
