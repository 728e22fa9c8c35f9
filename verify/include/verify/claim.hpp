#pragma once
// The registry of claims. A claim turns a case into checks; it does not format output.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "verify/case_file.hpp"
#include "verify/figure.hpp"
#include "verify/montecarlo.hpp"
#include "verify/verdict.hpp"

namespace verify {

// What a claim produces for one case: the checks (one per compared quantity and form) and optional figures.
struct ClaimOutput {
  std::vector<Check> checks;
  std::vector<Figure> figures;
  ClaimOutput() = default;
  ClaimOutput(std::vector<Check> c, std::vector<Figure> f = {}) : checks(std::move(c)), figures(std::move(f)) {}
  ClaimOutput(std::initializer_list<Check> c) : checks(c) {}
};

struct ClaimInfo {
  std::string name;     // registered name used by case files, e.g. "gaussian_kl.closed_form"
  std::string family;   // derived by Registry::add from the name's prefix, e.g. "gaussian_kl"
  std::string summary;  // one sentence
  std::vector<std::string> depends_on;  // claims ("family.claim") or case ids whose truth this check relies on
  std::vector<ParamSpec> params;  // the [params] it accepts: validated at load, read through Params::number(spec) ...
  bool needs_mixture = false;
  bool needs_schedule = false;
  std::function<ClaimOutput(const CaseSpec&, const MonteCarlo&)> run;
};

class Registry {
 public:
  static Registry& instance();
  // Derives the family from the name ("<family>.<claim>"); a name without a family or a mismatching family is a bug.
  void add(ClaimInfo info);
  // Every depends_on entry of the form "<family>.<claim>" names a registered claim (run once all are registered);
  // entries without a dot are case ids of formula cases.
  void check_dependencies() const;
  const ClaimInfo* find(const std::string& name) const;
  const std::vector<ClaimInfo>& all() const { return claims_; }

 private:
  std::vector<ClaimInfo> claims_;
};

// Registers every claim family (defined in src/claims/registry.cpp). Idempotent.
void register_all_claims();

// The [params] schema of every registered claim (registering them first), for the case loader.
ClaimSchemas claim_schemas();
// load_case / load_case_from_string against the registered claims.
CaseSpec load_case(const std::string& path);
CaseSpec load_case_from_string(const std::string& text, const std::string& path);

}  // namespace verify
