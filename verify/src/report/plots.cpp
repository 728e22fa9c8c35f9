#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <sstream>
#include <thread>

#include "format.hpp"
#include "labels.hpp"
#include "verify/interrupt.hpp"
#include "verify/report_plots.hpp"
#include "verify/stats.hpp"

namespace fs = std::filesystem;

namespace verify {

namespace {

constexpr std::size_t kMaxConvergencePanels = 4;
// Drawing limits per series: a scatter of more points, or a curve through more points, is drawn from every k-th
// point (the caption says so). Beyond these the SVG grows (about 100 bytes per point) without showing more at the
// figure's size: 300 points per cloud still show its shape, 250 points per curve are 2-3 pixels apart.
constexpr std::size_t kMaxScatterPoints = 300;
constexpr std::size_t kMaxCurvePoints = 250;

std::string safe_stem(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                    ch == '-' || ch == '.';
    out += ok ? ch : '_';
  }
  return out.empty() ? std::string("plot") : out;
}

// The critical value that the check's own (Holm) level corresponds to, so the band shows what "within noise" meant.
double critical_z(const CheckResult& c) {
  const double a = c.assessment.alpha;
  if (!(a > 0 && a < 1)) return 3.0;
  return c.check.kind == TestKind::equality ? normal_quantile(1.0 - a / 2) : normal_quantile(1.0 - a);
}

Figure convergence_panel(const CheckResult& c) {
  const Check& k = c.check;
  const double z = critical_z(c);
  Figure f;
  f.title = report::form_words(k.form) + (k.label.empty() ? "" : ": " + k.label);
  f.xlabel = "samples N";
  f.ylabel = "|estimate - reference|";
  f.logx = f.logy = true;
  Series band{fmt::format("+-{:.2f} SE (the check's level)", z), "band", {}, {}, {}};
  Series gap{"|estimate - reference|", "linespoints", {}, {}, {}};
  Series guide{"N^-1/2 guide", "guide", {}, {}, {}};
  double ymin = INFINITY;
  for (const auto& p : k.estimate.trace) {
    const double n = static_cast<double>(p.samples);
    const double se = std::hypot(p.std_error, k.reference_se);
    const double d = std::abs(p.mean - k.reference);
    band.x.push_back(n);
    band.y.push_back(z * se);
    gap.x.push_back(n);
    gap.y.push_back(d);
    if (z * se > 0) ymin = std::min(ymin, z * se);
    if (d > 0) ymin = std::min(ymin, d);
  }
  if (!k.estimate.trace.empty()) {
    const auto& last = k.estimate.trace.back();
    const double n_last = static_cast<double>(last.samples);
    const double se_last = std::hypot(last.std_error, k.reference_se);
    for (const auto& p : k.estimate.trace) {
      const double n = static_cast<double>(p.samples);
      guide.x.push_back(n);
      guide.y.push_back(z * se_last * std::sqrt(n_last / n));
    }
  }
  if (!std::isfinite(ymin)) ymin = 1e-300;
  const double floor = ymin / 3;
  band.err.assign(band.x.size(), floor);  // the band is filled from the bottom of the plot up to z * SE
  f.series = {band, gap, guide};
  if (k.kind == TestKind::equivalence && k.margin > 0 && !gap.x.empty())
    f.series.push_back({"margin", "lines", {gap.x.front(), gap.x.back()}, {k.margin, k.margin}, {}});
  return f;
}

struct Row {
  double x, y, e;
};

// The points of a series that can be drawn: finite, and positive on a logarithmic axis.
std::vector<Row> drawable(const Figure& f, const Series& s) {
  std::vector<Row> rows;
  const std::size_t n = std::min(s.x.size(), s.y.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double x = s.x[i], y = s.y[i], e = i < s.err.size() ? s.err[i] : 0.0;
    if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(e)) continue;
    if (f.logx && x <= 0) continue;
    if (f.logy && y <= 0) continue;
    rows.push_back({x, y, e});
  }
  return rows;
}

bool has_err(const Series& s) { return s.style == "errorbars" || s.style == "band"; }

// gnuplot single-quoted string: no escapes except '' for a quote; one line.
std::string q(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += "''";
    else if (ch == '\n' || ch == '\r') out += ' ';
    else out += ch;
  }
  return out + "'";
}

// A label in the claims' ASCII notation, typeset with gnuplot's enhanced text (see labels.hpp).
std::string label(const std::string& s) { return q(report::gnuplot_enhanced(report::parse_label(s))); }

// Every k-th point of a long series (and always its last), so that the SVG stays small; returns k (1: unchanged).
std::size_t thin(Series& s) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  const bool scatter = s.style == "points";
  const std::size_t limit = scatter ? kMaxScatterPoints : kMaxCurvePoints;
  if (n <= limit || s.style == "errorbars" || s.style == "band") return 1;
  const std::size_t k = (n + limit - 1) / limit;
  Series t{s.name, s.style, {}, {}, {}};
  for (std::size_t i = 0; i < n; i += k) {
    t.x.push_back(s.x[i]);
    t.y.push_back(s.y[i]);
    if (i < s.err.size()) t.err.push_back(s.err[i]);
  }
  if (!scatter && (n - 1) % k != 0) {
    t.x.push_back(s.x[n - 1]);
    t.y.push_back(s.y[n - 1]);
    if (n - 1 < s.err.size()) t.err.push_back(s.err[n - 1]);
  }
  s = std::move(t);
  return k;
}

std::string with_clause(const Series& s) {
  if (s.style == "points") return "using 1:2 with points pt 7 ps 0.6";
  if (s.style == "linespoints") return "using 1:2 with linespoints lw 1.5 pt 7 ps 0.6";
  if (s.style == "errorbars") return "using 1:2:3 with yerrorbars pt 7 ps 0.6";
  // Histograms as outlines: one path per series (filled boxes cost a polygon per bar) and overlapping ones stay
  // readable.
  if (s.style == "steps") return "using 1:2 with histeps lw 2";
  if (s.style == "band") return "using 1:3:2 with filledcurves fs transparent solid 0.5 noborder lc rgb '#9ecae1'";
  if (s.style == "guide") return "using 1:2 with lines dt 2 lw 1.5 lc rgb '#555555'";
  return "using 1:2 with lines lw 2";
}

}  // namespace

std::vector<Plot> plan_plots(const RunResult& r) {
  std::vector<Plot> out;
  std::map<std::string, std::set<std::string>> taken;  // case -> figure names used by the claim
  for (const auto& cf : r.figures)
    for (const auto& f : cf.figures) {
      Plot p;
      p.stem = safe_stem(cf.case_name) + "__" + safe_stem(f.name);
      p.case_name = cf.case_name;
      p.title = f.title.empty() ? f.name : f.title;
      p.panels = {f};
      std::string thinned;
      for (auto& ser : p.panels.front().series) {
        const std::size_t n = ser.x.size(), k = thin(ser);
        if (k > 1)
          thinned += fmt::format("{}{} “{}”: every {} of its {} points", thinned.empty() ? "" : "; ",
                                 ser.style == "points" ? "cloud" : "curve", ser.name, report::ordinal(k), n);
      }
      if (!thinned.empty()) p.caption = "Drawn from fewer points than computed (" + thinned + ").";
      taken[cf.case_name].insert(p.stem);
      out.push_back(std::move(p));
    }
  // Convergence: one plot per case, one panel per real (non-mutant) form, for the check that decides it: its largest
  // refutation when the form is refuted, else its least precise check (largest smallest-detectable discrepancy).
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> forms_of;  // case -> forms with a traced check, in run order
  std::map<std::pair<std::string, std::string>, const CheckResult*> decisive;
  std::map<std::string, std::size_t> traced;  // case -> checks with a trace
  for (const auto& c : r.checks) {
    if (is_mutant_form(c.check.form) || c.check.estimate.trace.size() < 2) continue;
    if (!forms_of.count(c.case_name)) order.push_back(c.case_name);
    ++traced[c.case_name];
    const CheckResult*& d = decisive[{c.case_name, c.check.form}];
    if (!d) forms_of[c.case_name].push_back(c.check.form);
    auto rank = [](const CheckResult& x) {
      const bool ref = x.assessment.verdict == Verdict::refuted;
      return std::pair{ref, ref ? std::abs(x.assessment.relative_discrepancy) : x.assessment.min_detectable_relative};
    };
    if (!d || rank(c) > rank(*d)) d = &c;
  }
  for (const auto& name : order) {
    const auto& forms = forms_of[name];
    Plot p;
    p.stem = safe_stem(name) + "__convergence";
    if (taken[name].count(p.stem)) p.stem = safe_stem(name) + "__mc_convergence";
    p.case_name = name;
    p.title = "Monte Carlo convergence";
    for (std::size_t i = 0; i < forms.size() && i < kMaxConvergencePanels; ++i)
      p.panels.push_back(convergence_panel(*decisive[{name, forms[i]}]));
    p.caption =
        "Distance between the running estimate and the formula's value as samples accumulate (log-log), for the check "
        "that decides each form: its largest refutation, or its least precise check. A formula that holds stays "
        "inside the shaded band (the check's critical value times the standard error), which shrinks like N^-1/2 "
        "(dashed guide); a refuted formula levels off at its discrepancy above the band.";
    const std::size_t drawn = std::min(forms.size(), kMaxConvergencePanels);
    if (traced[name] > drawn)
      p.caption += fmt::format(" {} of the case's {} checks with a trace are drawn.", drawn, traced[name]);
    out.push_back(std::move(p));
  }
  // Calibration: z-scores of holding equality checks that have a standard error.
  std::vector<double> z;
  for (const auto& c : r.checks)
    if (!is_mutant_form(c.check.form) && c.check.kind == TestKind::equality &&
        c.assessment.verdict == Verdict::holds && (c.check.estimate.std_error > 0 || c.check.reference_se > 0) &&
        std::isfinite(c.assessment.z))
      z.push_back(c.assessment.z);
  if (z.size() >= 3) {
    constexpr double lo = -5, width = 0.5;
    constexpr int bins = 20;
    std::vector<double> count(bins, 0.0);
    std::size_t outside = 0;
    for (double v : z) {
      const int b = static_cast<int>(std::floor((v - lo) / width));
      if (b < 0 || b >= bins) ++outside;
      else count[static_cast<std::size_t>(b)] += 1;
    }
    Series hist{"z-scores of holding checks", "steps", {}, {}, {}};
    for (int b = 0; b < bins; ++b) {
      hist.x.push_back(lo + (b + 0.5) * width);
      hist.y.push_back(count[static_cast<std::size_t>(b)] / (static_cast<double>(z.size()) * width));
    }
    Series normal{"standard normal density", "lines", {}, {}, {}};
    for (int i = 0; i <= 200; ++i) {
      const double x = lo + i * 0.05;
      normal.x.push_back(x);
      normal.y.push_back(std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi));
    }
    Figure f;
    f.name = "calibration";
    f.title = fmt::format("z-scores of {} holding equality checks", z.size());
    f.xlabel = "z = (estimate - reference) / SE";
    f.ylabel = "density";
    f.series = {hist, normal};
    Plot p;
    p.stem = "run__calibration";
    p.title = "Calibration of the standard errors";
    p.caption = fmt::format(
        "Histogram of the z-scores of the {} equality checks that hold, against the standard normal density. When "
        "the formulas are exact and the standard errors right, the bars follow the curve (the tails beyond the "
        "critical values are cut off by selecting holding checks); bars much wider than the curve would mean "
        "understated standard errors.{}",
        z.size(), outside ? fmt::format(" {} z-score(s) fall outside [-5, 5].", outside) : std::string());
    p.panels = {f};
    out.push_back(std::move(p));
  }
  return out;
}

std::string gnuplot_data(const Plot& p) {
  std::ostringstream os;
  os << "# " << p.title << "\n# One block per series (gnuplot `index k`); columns: x y [error or band floor].\n";
  int index = 0;
  for (std::size_t i = 0; i < p.panels.size(); ++i)
    for (const auto& s : p.panels[i].series) {
      const auto rows = drawable(p.panels[i], s);
      if (rows.empty()) continue;
      if (index > 0) os << "\n\n";
      os << fmt::format("# index {}: panel {}, series \"{}\" ({})\n", index, i + 1, s.name, s.style);
      for (const auto& r : rows) {
        // Seven significant digits: far finer than a plot shows (the checks' own numbers are in report.json).
        os << fmt::format("{:.7g} {:.7g}", r.x, r.y);
        if (has_err(s)) os << fmt::format(" {:.7g}", r.e);
        os << "\n";
      }
      ++index;
    }
  return os.str();
}

std::pair<int, int> plot_size(const Plot& p) {
  const std::size_t n = p.panels.size();
  const std::size_t cols = n <= 1 ? 1 : std::min<std::size_t>(n, 3), rows = n <= 1 ? 1 : (n + cols - 1) / cols;
  return {static_cast<int>(n <= 1 ? 720 : 400 * cols), static_cast<int>(n <= 1 ? 440 : 310 * rows + 30)};
}

std::string gnuplot_script(const Plot& p) {
  std::ostringstream os;
  const std::size_t n = p.panels.size();
  const std::size_t cols = n <= 1 ? 1 : std::min<std::size_t>(n, 3), rows = n <= 1 ? 1 : (n + cols - 1) / cols;
  const auto [width, height] = plot_size(p);
  os << "# " << p.title << "\n";
  os << "# Draws " << p.stem << ".svg from " << p.stem << ".dat; rerun in this folder with: gnuplot " << p.stem << ".gp\n";
  os << "reset session\nset encoding utf8\n";
  os << fmt::format("set terminal svg size {},{} font 'Helvetica,{}' background '#ffffff'\n", width, height,
                    n <= 1 ? 12 : 10);
  // Enhanced text: labels are typeset (subscripts, superscripts, Greek) the same way as in the report's captions.
  os << "set termoption enhanced\n";
  os << "set output " << q(p.stem + ".svg") << "\n";
  if (n > 1) os << fmt::format("set multiplot layout {},{} title {}\n", rows, cols, label(p.title));
  int index = 0;
  for (const auto& f : p.panels) {
    os << "\n# panel: " << f.title << "\n";
    // Ticks on the left and bottom only, no minor ticks: the same reading, half the SVG.
    os << "unset logscale\nset autoscale\nset grid\nset tics nomirror\nunset mxtics\nunset mytics\n"
          "set key top right font ',9' samplen 2\n";
    os << "set title " << label(f.title) << "\nset xlabel " << label(f.xlabel) << "\nset ylabel " << label(f.ylabel)
       << "\n";
    os << "set format x '%g'\nset format y '%g'\n";
    if (f.logx) os << "set logscale x\n";
    if (f.logy) os << "set logscale y\n";
    // Keep isolated points off the frame (curves, histograms and bands are meant to reach it).
    const bool discrete = std::all_of(f.series.begin(), f.series.end(), [](const Series& s) {
      return s.style == "points" || s.style == "errorbars" || s.style == "linespoints";
    });
    os << fmt::format("set offsets {}, {}, {}, {}\n", discrete && !f.logx ? "graph 0.03" : "0",
                      discrete && !f.logx ? "graph 0.03" : "0", discrete && !f.logy ? "graph 0.05" : "0",
                      discrete && !f.logy ? "graph 0.05" : "0");
    std::vector<std::string> parts;
    double band_floor = NAN;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (const auto& s : f.series) {
      const auto rows_ = drawable(f, s);
      if (rows_.empty()) continue;
      if (s.style == "band") band_floor = rows_.front().e;
      for (const auto& r : rows_) {
        xlo = std::min(xlo, r.x), xhi = std::max(xhi, r.x);
        const double e = s.style == "errorbars" ? std::abs(r.e) : 0.0;
        ylo = std::min(ylo, r.y - e), yhi = std::max(yhi, r.y + e);
      }
      parts.push_back(fmt::format("{} index {} {} title {}", q(p.stem + ".dat"), index, with_clause(s), label(s.name)));
      ++index;
    }
    // A panel whose points all share one x (or one y) would make gnuplot warn "empty x range" and pick a range
    // itself; give it one around the value instead.
    auto around = [](double v, bool log) {
      if (log) return std::pair{v / 2, v * 2};
      const double d = v == 0 ? 1.0 : std::abs(v) * 0.5;
      return std::pair{v - d, v + d};
    };
    if (xlo == xhi) {
      const auto [a, b] = around(xlo, f.logx);
      os << fmt::format("set xrange [{:.10g}:{:.10g}]\n", a, b);
    }
    if (std::isfinite(band_floor)) os << fmt::format("set yrange [{:.10g}:*]\n", band_floor);
    else if (ylo == yhi) {
      const auto [a, b] = around(ylo, f.logy);
      os << fmt::format("set yrange [{:.10g}:{:.10g}]\n", a, b);
    }
    if (parts.empty()) {
      os << "unset logscale\nset xrange [0:1]\nset yrange [0:1]\nset label 1 'no plottable data' at 0.5,0.5 center\n"
            "plot 2 notitle\nunset label 1\n";
      continue;
    }
    os << "plot ";
    for (std::size_t i = 0; i < parts.size(); ++i) os << (i ? ", \\\n     " : "") << parts[i];
    os << "\n";
  }
  if (n > 1) os << "unset multiplot\n";
  os << "unset output\n";
  return os.str();
}

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const std::string cand = dir + "/gnuplot";
    if (::access(cand.c_str(), X_OK) == 0) return cand;
  }
  return {};
}

namespace {

// Runs gnuplot on the scripts inside dir; stdout and stderr go to log. Returns the exit status (-1: not run).
int run_gnuplot(const std::string& gnuplot, const fs::path& dir, const std::vector<std::string>& scripts,
                const fs::path& log) {
  std::vector<std::string> args{gnuplot};
  args.insert(args.end(), scripts.begin(), scripts.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string dir_s = dir.string(), log_s = log.string();
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (::chdir(dir_s.c_str()) != 0) ::_exit(126);
    const int out = ::open(log_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out >= 0) ::dup2(out, 1), ::dup2(out, 2);
    if (in >= 0) ::dup2(in, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return -1;
    if (interrupted()) {
      ::kill(pid, SIGTERM);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw Interrupted();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool complete_svg(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  if (!in) return false;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = s.find_last_not_of(" \n\r\t");
  return end != std::string::npos && end >= 5 && s.compare(end - 5, 6, "</svg>") == 0;
}

std::string last_line(const fs::path& f) {
  std::ifstream in(f);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t^") != std::string::npos) last = line;
  return last;
}

// gnuplot's SVG without what does not draw: empty groups (one per line style it switches through) and the
// indentation. About a third smaller for axis-heavy plots; the picture is the same.
std::string minify_svg(const std::string& svg) {
  std::string out;
  out.reserve(svg.size());
  std::size_t i = 0;
  while (i < svg.size()) {
    const std::size_t eol = std::min(svg.find('\n', i), svg.size());
    std::size_t a = i;
    while (a < eol && (svg[a] == ' ' || svg[a] == '\t')) ++a;
    const std::string_view line(svg.data() + a, eol - a);
    // "<g ...>" alone on its line, followed by a line that is only "</g>": drop both.
    if (line.rfind("<g ", 0) == 0 && !line.empty() && line.back() == '>' && line.find("</g>") == std::string_view::npos &&
        eol < svg.size()) {
      const std::size_t eol2 = std::min(svg.find('\n', eol + 1), svg.size());
      std::size_t b = eol + 1;
      while (b < eol2 && (svg[b] == ' ' || svg[b] == '\t')) ++b;
      if (std::string_view(svg.data() + b, eol2 - b) == "</g>") {
        i = eol2 + 1;
        continue;
      }
    }
    if (line.rfind("<g ", 0) == 0) {
      // SVG's defaults, which gnuplot repeats on every group (its groups are not nested in ones that set others).
      std::string g(line);
      for (const char* def : {" stroke-width=\"1.00\"", " stroke-linecap=\"butt\"", " stroke-linejoin=\"miter\""})
        if (const auto at = g.find(def); at != std::string::npos) g.erase(at, std::string_view(def).size());
      out.append(g).append(1, '\n');
    } else if (!line.empty()) {
      out.append(line).append(1, '\n');
    }
    i = eol + 1;
  }
  return out;
}

std::string read_all(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& f, const std::string& text) {
  std::ofstream o(f, std::ios::binary);
  o << text;
  if (!o) throw std::runtime_error("cannot write " + f.filename().string());
}

}  // namespace

std::vector<std::string> render_plots(const std::vector<Plot>& plots, const fs::path& dir, const std::string& gnuplot) {
  std::vector<std::string> warnings;
  if (plots.empty()) return warnings;
  fs::create_directories(dir);
  std::vector<std::string> scripts;
  for (const auto& p : plots) {
    throw_if_interrupted();
    write_file(dir / (p.stem + ".dat"), gnuplot_data(p));
    write_file(dir / (p.stem + ".gp"), gnuplot_script(p));
    scripts.push_back(p.stem + ".gp");
  }
  if (gnuplot.empty()) return warnings;
  const fs::path log = dir / ".gnuplot.log";
  // One gnuplot process for all plots (start-up dominates); if it stops at a failing script, redo the rest one by
  // one so that one bad figure costs only itself.
  (void)run_gnuplot(gnuplot, dir, scripts, log);
  for (const auto& p : plots) {
    const fs::path svg = dir / (p.stem + ".svg");
    bool ok = complete_svg(svg);
    if (!ok) {
      throw_if_interrupted();
      ok = run_gnuplot(gnuplot, dir, {p.stem + ".gp"}, log) == 0 && complete_svg(svg);
    }
    if (ok) {
      write_file(svg, minify_svg(read_all(svg)));
      continue;
    }
    std::error_code ec;
    fs::remove(svg, ec);
    warnings.push_back("plot " + p.stem + " failed in gnuplot: " + last_line(log));
  }
  std::error_code ec;
  fs::remove(log, ec);
  return warnings;
}

}  // namespace verify
