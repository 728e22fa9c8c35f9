#pragma once
// Writes a run's report folder atomically: everything goes into a temporary folder beside the target, which then
// replaces the target in one rename, so an interrupted or failed run never leaves a half-written report where a
// good one was. Files: report.json, report.md, report.html, junit.xml, plots/ (<stem>.dat, .gp, .svg).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "verify/runner.hpp"

namespace verify {

struct ReportOptions {
  bool json = true, markdown = true, html = true, junit = true;
  bool plots = true;  // false: no plots/ at all (--no-plots)
};

// "all" or a comma-separated subset of json, md, html, junit. Throws InputError naming --format.
ReportOptions parse_formats(const std::string& list);

// Returns warnings to show once (e.g. gnuplot missing, a plot that failed). status(text) is called before slow
// steps. Polls the interrupt flag and throws Interrupted after removing the temporary folder.
std::vector<std::string> write_reports(const RunResult& r, const std::filesystem::path& out, const ReportOptions& opt,
                                       const std::function<void(const std::string&)>& status = {});

}  // namespace verify
