#pragma once
// `verify compare`: a run's report.json against a baseline report.json, for CI gates. Fails on a changed verdict
// (check or form), on a check or form that disappeared, and on a holding check that got weaker (its smallest
// detectable relative discrepancy grew by more than a factor); new checks and forms are reported, never failures.
#include <cstddef>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

namespace verify {

// One check (label set) or one form (label empty) of a report.json.
struct ReportEntry {
  std::string case_name, form, label;
  std::string quantity;  // checks only: what was estimated (two checks of a form may share a label)
  std::string verdict;
  double min_detectable_relative = std::numeric_limits<double>::quiet_NaN();  // checks only; NaN for null
};

// What compare needs of a report.json.
struct ReportDigest {
  std::string origin;   // file name, for messages
  std::string version;  // run.version
  std::string seed;     // run.seed, as text ("per-case" or the number)
  double alpha = std::numeric_limits<double>::quiet_NaN();
  std::vector<ReportEntry> checks, forms;
};

// Parses the text of a report.json (verify/src/report_json.cpp writes it). Throws InputError(origin, key, reason)
// when it is not JSON or lacks what compare reads.
ReportDigest parse_report_digest(const std::string& json_text, const std::string& origin);
// The same from a file (InputError when it cannot be read).
ReportDigest load_report_digest(const std::string& path);

enum class Change { verdict, form_verdict, weaker, missing_check, missing_form, new_check, new_form };
std::string to_string(Change c);

struct Difference {
  Change change;
  std::string case_name, form, label;  // label empty for forms
  std::string before, after;           // verdicts, or for `weaker` the two smallest detectable relative discrepancies
  double ratio = 0;                    // `weaker`: report / baseline
  std::string quantity;                // checks: what was estimated
  long baseline_index = -1;            // index into the baseline's checks or forms; -1 for new entries
  bool fails() const { return change != Change::new_check && change != Change::new_form; }
};

struct CompareOptions {
  // A holding check fails the gate when its min_detectable_relative grew by more than this factor. The detectable
  // discrepancy is proportional to the standard error, so 1.5 means the check now needs 2.25x the variance per
  // sample (or 1/2.25 of the samples) to resolve what it did; see the README for the run-to-run noise it tolerates.
  double weaker_factor = 1.5;
  // Detectable relative discrepancies below this are rounding level (exact checks: 0 or ~1e-10, varying with the
  // seed's points), far below any tolerance; they are raised to it before the ratio is taken.
  double rounding_floor = 1e-8;
};

struct Comparison {
  std::size_t checks_compared = 0, forms_compared = 0;  // entries of the baseline found in the report
  std::vector<Difference> differences;                  // baseline order, then the new entries in report order
  std::vector<std::string> notes;  // run settings that differ (version, seed, alpha): context, never failures
  double weaker_factor = 1.5;
  std::size_t failures() const;
};

Comparison compare_reports(const ReportDigest& baseline, const ReportDigest& report, const CompareOptions& options = {});

// The short table of differences and a one-line summary.
void print_comparison(const Comparison& c, const ReportDigest& baseline, const ReportDigest& report, std::ostream& os);
// JUnit XML: one <testcase> per check and per form of the baseline (failed when its difference fails the gate),
// plus one passing <testcase> per new check or form.
std::string comparison_junit(const Comparison& c, const ReportDigest& baseline, const ReportDigest& report);

}  // namespace verify
