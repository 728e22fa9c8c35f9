#include "verify/runner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>

#include "verify/claim.hpp"
#include "verify/errors.hpp"
#include "verify/formula/formula_case.hpp"
#include "verify/interrupt.hpp"
#include "verify/version.hpp"

namespace verify {

std::string version_string() { return VERIFY_VERSION_STRING; }

bool RunResult::all_match() const {
  for (const auto& f : forms)
    if (!f.matches()) return false;
  return true;
}

RunResult run_cases(std::vector<CaseSpec> cases, const RunOptions& options) {
  register_all_claims();
  if (!(options.alpha > 0 && options.alpha < 1)) throw InputError("--alpha", "", "alpha must be in (0, 1)");
  RunResult out;
  out.options = options;
  std::vector<Check> all;
  std::vector<double> tolerance;
  std::size_t case_index = 0;
  for (auto& c : cases) {
    throw_if_interrupted();
    if (options.progress) options.progress(case_index++, cases.size(), c.name);
    c.include_mutants = options.include_mutants;
    c.prove = options.proofs;
    const ClaimInfo* info = c.formula ? nullptr : Registry::instance().find(c.claim);
    if (!info && !c.formula) throw InputError(c.path, "claim", "'" + c.claim + "' is not a registered claim");
    const MonteCarlo mc(options.seed.value_or(c.seed), options.threads, c.name, c.sampling);
    const auto start = std::chrono::steady_clock::now();
    std::vector<Check> checks;
    try {
      ClaimOutput produced_output = c.formula ? formula::run_formula_case(c, mc) : info->run(c, mc);
      checks = std::move(produced_output.checks);
      if (!produced_output.figures.empty()) out.figures.push_back({c.name, std::move(produced_output.figures)});
    } catch (const InputError&) {
      throw_if_interrupted();  // a claim cut short by an interrupt may fail on its partial estimates
      throw;
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      // Input is validated before a claim runs and a claim refuses bad input with InputError, so anything else
      // (std::out_of_range, std::invalid_argument, ...) is a bug in verify, not a fault of the case file.
      throw_if_interrupted();
      throw InternalError(c.path + ": " + (c.formula ? std::string("formula case") : "claim " + c.claim) + ": " + e.what());
    }
    throw_if_interrupted();  // the engine stops drawing once interrupted, so these estimates are partial
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (checks.empty()) throw InputError(c.path, "", "claim " + c.claim + " produced no checks for this case");
    std::set<std::string> produced;
    for (auto& ch : checks) {
      produced.insert(ch.form);
      if (auto it = c.by_construction.find(ch.form); it != c.by_construction.end() && ch.by_construction.empty())
        ch.by_construction = it->second;
      CheckResult r;
      r.case_name = c.name;
      r.claim = c.claim;
      r.source = c.source;
      r.check = ch;
      r.seconds = secs;
      if (auto it = c.expect.find(ch.form); it != c.expect.end()) r.expect = it->second;
      else if (is_mutant_form(ch.form)) r.expect = Verdict::refuted;
      out.checks.push_back(std::move(r));
      all.push_back(ch);
      tolerance.push_back(c.tolerance);
      if (auto w = ch.estimate.clt_warning(); !w.empty()) out.warnings.push_back(c.name + " [" + ch.form + " " + ch.label + "]: " + w);
    }
    for (const auto& [form, v] : c.expect)
      if (!produced.count(form)) {
        std::string forms;
        for (const auto& f : produced) forms += " " + f;
        throw InputError(c.path, "expect." + form, (c.formula ? "the case" : "claim " + c.claim) + " produces no form '" + form + "' (it produces:" + forms + ")");
      }
    for (const auto& [form, why] : c.by_construction)
      if (!produced.count(form))
        throw InputError(c.path, "by_construction." + form, (c.formula ? "the case" : "claim " + c.claim) + " produces no form '" + form + "'");
  }
  if (options.progress) options.progress(cases.size(), cases.size(), "");
  // The real checks are one family at the run's alpha. Mutants (a power analysis, present only with --mutants)
  // form a second family of their own, so asking for them never changes the real checks' levels or verdicts.
  for (const bool mutants : {false, true}) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (is_mutant_form(all[i].form) == mutants) idx.push_back(i);
    if (idx.empty()) continue;
    std::vector<Check> fam;
    std::vector<double> tol;
    for (std::size_t i : idx) {
      fam.push_back(all[i]);
      tol.push_back(tolerance[i]);
    }
    const auto assessed = assess(fam, tol, options.alpha);
    for (std::size_t j = 0; j < idx.size(); ++j) out.checks[idx[j]].assessment = assessed[j];
  }
  // Form verdicts, in order of first appearance.
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& r : out.checks) {
    const auto key = std::make_pair(r.case_name, r.check.form);
    auto it = index.find(key);
    if (it == index.end()) {
      index[key] = out.forms.size();
      out.forms.push_back({.case_name = r.case_name, .form = r.check.form, .verdict = r.assessment.verdict, .expect = r.expect});
      continue;
    }
    Verdict& v = out.forms[it->second].verdict;
    if (r.assessment.verdict == Verdict::refuted || v == Verdict::refuted) v = Verdict::refuted;
    else if (r.assessment.verdict == Verdict::inconclusive) v = Verdict::inconclusive;
  }
  // Proofs beside the verdicts: per form, and every disagreement as a warning.
  for (auto& f : out.forms) {
    std::vector<const CheckResult*> cs;
    for (const auto& r : out.checks)
      if (r.case_name == f.case_name && r.check.form == f.form) cs.push_back(&r);
    auto count = [&](ProofStatus s) { return std::count_if(cs.begin(), cs.end(), [&](const CheckResult* r) { return r->check.proof == s; }); };
    auto first = [&](auto pred) { return *std::find_if(cs.begin(), cs.end(), pred); };
    auto detail = [](const CheckResult* r) { return r->check.proof_detail + (r->check.label.empty() ? "" : " (" + r->check.label + ")"); };
    const auto n = static_cast<long>(cs.size());
    if (count(ProofStatus::disproved) > 0) {
      f.proof = ProofStatus::disproved;
      f.proof_detail = detail(first([](const CheckResult* r) { return r->check.proof == ProofStatus::disproved; }));
    } else if (count(ProofStatus::proved) == n) {
      f.proof = ProofStatus::proved;
      f.proof_detail = cs.front()->check.proof_detail;
    } else if (count(ProofStatus::none) == n) {
      f.proof_detail = cs.front()->check.proof_detail;
    } else {
      f.proof = ProofStatus::undecided;
      f.proof_detail = detail(first([](const CheckResult* r) { return r->check.proof != ProofStatus::proved; }));
    }
  }
  for (const auto& r : out.checks)
    if (proof_disagrees(r))
      out.warnings.push_back("proof disagrees with the numeric verdict: " + r.case_name + " [" + r.check.form +
                             (r.check.label.empty() ? "" : " " + r.check.label) + "]: verdict " + to_string(r.assessment.verdict) +
                             ", proof " + to_string(r.check.proof) + ": " + r.check.proof_detail);
  out.cases = std::move(cases);
  return out;
}

bool proof_disagrees(const CheckResult& c) {
  return (c.assessment.verdict == Verdict::holds && c.check.proof == ProofStatus::disproved) ||
         (c.assessment.verdict == Verdict::refuted && c.check.proof == ProofStatus::proved);
}

}  // namespace verify
