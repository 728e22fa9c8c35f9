#pragma once
// A case file: one scenario for one registered claim. See cases/README.md for the schema.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "verify/mixture.hpp"
#include "verify/params.hpp"
#include "verify/sampling.hpp"
#include "verify/schedule.hpp"
#include "verify/verdict.hpp"

namespace verify {

namespace formula {
struct FormulaCase;
}

// One form of a case as the report prints it: its name, its LaTeX (empty for forms defined in C++) and its role
// (as_written, corrected, reading, mutant, step).
struct FormSpec {
  std::string name, latex, role;
};

struct Source {
  std::string note;     // file name under the notes folder
  std::string section;  // section heading or number in that note
  int line = 0;         // line of the note where the statement appears (0: not given); orders the errata
};

struct CaseSpec {
  std::string path;  // as given on the command line (never made absolute, so reports stay portable)
  std::string name;  // file stem; also the CTest name suffix
  std::string claim;
  Source source;
  std::string statement;    // LaTeX
  std::string description;  // free text
  // The case file's leading '#' comment block, '#' and one following space removed, lines joined with '\n'
  // (blank comment lines separate paragraphs): the case's explanation, shown in the report.
  std::string comment;
  std::optional<GaussianMixture> mixture;
  std::optional<NoiseSchedule> schedule;
  std::size_t samples = 0;
  Sampling sampling;  // [budget] method / randomisations / qmc_dims (default: plain Monte Carlo)
  std::uint64_t seed = 0;
  double tolerance = 0.01;  // relative discrepancy each check must be able to detect
  std::map<std::string, Verdict> expect;  // form -> expected verdict
  // [by_construction]: form -> why its checks hold by construction (copied into Check::by_construction).
  std::map<std::string, std::string> by_construction;
  Params params;
  // Set by the runner for `verify mutants` / --mutants: claims then also emit deliberately wrong variants
  // of their formulas as forms named "mutant:<what was broken>", each of which must be refuted.
  bool include_mutants = false;
  // Set by the runner (--no-proofs clears it): formula cases also decide their equations exactly (formula/prove.hpp).
  bool prove = true;
  // Formula cases (no `claim`): the forms written in LaTeX in the case file, and what the checks need of them.
  std::vector<FormSpec> forms;
  std::shared_ptr<const formula::FormulaCase> formula;
  std::string statement_latex;  // the statement as parsed and printed (macros expanded; aligned lines for derivations)

  const GaussianMixture& require_mixture() const;
  const NoiseSchedule& require_schedule() const;
  // Refuses the case for a reason in a table outside [params]: `key` is the dotted key as the case file writes
  // it ("mixture", "schedule.T"); [params] keys go through Params::fail, which adds the "params." prefix.
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  // Where the schedule's length is written: "schedule.T", or "schedule.betas" for a custom schedule.
  std::string schedule_length_key() const;
};

// Hard limits that refuse absurd sizes before anything is allocated.
struct Limits {
  static constexpr std::int64_t max_samples = 100'000'000;
  static constexpr std::int64_t max_T = 100'000;
  static constexpr std::int64_t max_dim = 256;
  static constexpr std::int64_t max_components = 1024;
  // Numerical sanity of mixtures and schedules (beyond these, double precision cannot represent the oracle's
  // quantities accurately): covariance eigenvalues in [min_variance, max_variance], condition number at most
  // max_condition, |mean entries| at most max_abs_mean, every beta at least min_beta.
  static constexpr double min_variance = 1e-20;
  static constexpr double max_variance = 1e20;
  static constexpr double max_condition = 1e12;
  static constexpr double max_abs_mean = 1e8;
  static constexpr double min_beta = 1e-10;
};

// What the loader needs to know of a claim to validate a case of it: the [params] it accepts (ParamSpec) and whether it
// needs a mixture and a schedule. The claim layer builds these from its registry (claim_schemas() in claim.hpp)
// and passes them in, so that the loader knows no claims and data flows one way (cases below claims' registry).
struct ClaimSchema {
  std::vector<ParamSpec> params;
  bool needs_mixture = false;
  bool needs_schedule = false;
};
using ClaimSchemas = std::map<std::string, ClaimSchema>;  // claim name -> schema

// Parses and validates a case file against the claims' schemas (a formula case needs none). Throws InputError
// naming file, key and reason. claim.hpp has overloads that pass the registered claims.
CaseSpec load_case(const std::string& path, const ClaimSchemas& claims);
// The same from the text of a case file; `path` names it in errors and anchors relative mixture/schedule paths.
CaseSpec load_case_from_string(const std::string& text, const std::string& path, const ClaimSchemas& claims);
// A mixture or schedule from a standalone file or from the [mixture]/[schedule] table of a case file.
GaussianMixture load_mixture_file(const std::string& path);
NoiseSchedule load_schedule_file(const std::string& path);

// All case files under a directory (recursively), skipping the shared mixtures/ and schedules/ folders,
// sorted by path.
std::vector<std::string> find_case_files(const std::string& dir);

}  // namespace verify
