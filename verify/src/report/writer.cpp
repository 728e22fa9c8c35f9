#include "verify/report_writer.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "katex.hpp"
#include "verify/errors.hpp"
#include "verify/interrupt.hpp"
#include "verify/report_document.hpp"
#include "verify/report_json.hpp"
#include "verify/report_junit.hpp"
#include "verify/report_plots.hpp"

namespace fs = std::filesystem;

namespace verify {

ReportOptions parse_formats(const std::string& list) {
  ReportOptions o{false, false, false, false, true};
  std::stringstream ss(list);
  std::string f;
  bool any = false;
  while (std::getline(ss, f, ',')) {
    const auto a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
    if (f == "all") o.json = o.markdown = o.html = o.junit = true;
    else if (f == "json") o.json = true;
    else if (f == "md" || f == "markdown") o.markdown = true;
    else if (f == "html") o.html = true;
    else if (f == "junit") o.junit = true;
    else throw InputError("--format", "", "unknown format '" + f + "' (choose from json, md, html, junit, all)");
    any = true;
  }
  if (!any) throw InputError("--format", "", "no format given (choose from json, md, html, junit, all)");
  return o;
}

namespace {

void write_file(const fs::path& f, const std::string& text) {
  throw_if_interrupted();
  std::ofstream o(f, std::ios::binary);
  o << text;
  o.close();
  if (!o) throw std::runtime_error("cannot write " + f.string());
}

// Puts the finished folder tmp in place of out. With an existing out the two are exchanged in one atomic step
// (Linux renameat2), so there is no moment without a report; the old one is then deleted.
void swap_into_place(const fs::path& tmp, const fs::path& out) {
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(out, ec));
  if (!exists) {
    fs::rename(tmp, out);
    return;
  }
  if (!fs::is_directory(out, ec)) throw std::runtime_error("--out " + out.string() + " exists and is not a folder");
#ifdef RENAME_EXCHANGE
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(tmp, ec);  // now holds the previous report
    return;
  }
#endif
  // Fallback: two renames; the window without a report is one system call wide.
  fs::path old = tmp;
  old += ".old";
  fs::rename(out, old);
  fs::rename(tmp, out);
  fs::remove_all(old, ec);
}

}  // namespace

std::vector<std::string> write_reports(const RunResult& r, const fs::path& out, const ReportOptions& opt,
                                       const std::function<void(const std::string&)>& status) {
  std::vector<std::string> warnings;
  if (out.empty() || out.filename().empty() || out.filename() == "." || out.filename() == "..")
    throw InputError("--out", "", "'" + out.string() + "' does not name a folder");
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp = parent / (out.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    if (opt.json) write_file(tmp / "report.json", report_json(r));
    // Test hook (scripts/check-interrupt.sh): pause here so that a signal can be sent while the report is half written.
    if (const char* d = std::getenv("VERIFY_TEST_WRITE_DELAY_MS")) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atol(d));
      while (std::chrono::steady_clock::now() < until) {
        throw_if_interrupted();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (opt.junit) write_file(tmp / "junit.xml", report_junit(r));
    if (opt.markdown || opt.html) {
      std::vector<Plot> plots;
      std::set<std::string> rendered;
      if (opt.plots) {
        plots = plan_plots(r);
        const std::string gnuplot = find_gnuplot();
        if (gnuplot.empty())
          warnings.push_back("gnuplot not found on PATH: plots/ holds the data and gnuplot scripts but no SVGs "
                             "(install gnuplot-nox, or pass --no-plots)");
        if (status) status("drawing " + std::to_string(plots.size()) + " plots");
        for (auto& w : render_plots(plots, tmp / "plots", gnuplot)) warnings.push_back(std::move(w));
        for (const auto& p : plots)
          if (fs::exists(tmp / "plots" / (p.stem + ".svg"))) rendered.insert(p.stem);
      }
      if (status) status("writing reports");
      const auto doc = report::build_document(r, plots, rendered);
      if (opt.markdown) write_file(tmp / "report.md", report::render_markdown(doc));
      if (opt.html) {
        const report::Katex k = report::load_katex(report::all_latex(doc));
        if (!k.found) warnings.push_back(k.problem + ": report.html shows its formulas as LaTeX source");
        write_file(tmp / "report.html", report::render_html(doc, {k.found, k.js, k.css}));
      }
    }
    throw_if_interrupted();
    swap_into_place(tmp, out);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return warnings;
}

}  // namespace verify
