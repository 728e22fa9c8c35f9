#pragma once
// Runs cases through their claims and assesses every check as one family at the run's false-alarm rate.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "verify/case_file.hpp"
#include "verify/figure.hpp"
#include "verify/verdict.hpp"

namespace verify {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides every case's seed when set
  int threads = 1;
  double alpha = 1e-3;  // family-wise false-alarm rate over all checks of the run (Holm)
  bool include_mutants = false;  // also run the claims' registered mutants (forms "mutant:*", expected refuted)
  bool proofs = true;            // formula cases: exact proofs beside the estimates (--no-proofs: skip them)
  // Called before each case (index 0..total-1) and once more with index == total at the end; for progress display.
  std::function<void(std::size_t index, std::size_t total, const std::string& case_name)> progress;
};

inline bool is_mutant_form(const std::string& form) { return form.rfind("mutant:", 0) == 0; }

struct CheckResult {
  std::string case_name;
  std::string claim;
  Source source;
  Check check;
  Assessment assessment;
  std::optional<Verdict> expect;  // expectation for this check's form, if the case states one
  double seconds = 0;             // wall time of the case's claim evaluation, shared by its checks
};

struct FormResult {
  std::string case_name;
  std::string form;
  Verdict verdict = Verdict::inconclusive;  // refuted if any check refuted, holds if all hold
  std::optional<Verdict> expect;
  // The exact proof over the form's checks: disproved if any check is, proved if all are, none if none was
  // attempted, undecided otherwise; the detail of the check that decided it (with its label).
  ProofStatus proof = ProofStatus::none;
  std::string proof_detail;
  bool matches() const { return !expect || *expect == verdict; }
};

// A check whose exact proof contradicts its numeric verdict (holds but disproved, refuted but proved): a bug in one.
bool proof_disagrees(const CheckResult& c);

struct CaseFigures {
  std::string case_name;
  std::vector<Figure> figures;
};

struct RunResult {
  RunOptions options;
  std::vector<CaseSpec> cases;
  std::vector<CheckResult> checks;
  std::vector<FormResult> forms;
  std::vector<CaseFigures> figures;  // per case, in case order (cases without figures omitted)
  std::vector<std::string> warnings;
  bool all_match() const;
};

// Validates claim names and parameters of every case first (InputError), then runs them.
RunResult run_cases(std::vector<CaseSpec> cases, const RunOptions& options);

std::string version_string();

}  // namespace verify
