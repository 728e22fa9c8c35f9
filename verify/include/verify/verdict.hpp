#pragma once
// A check compares a Monte Carlo estimate of a ground-truth quantity with the value a claim's formula
// gives, and turns the comparison into one of three verdicts at a stated false-alarm rate.
#include <string>
#include <vector>

#include "verify/stats.hpp"

namespace verify {

enum class Verdict { holds, refuted, inconclusive };
std::string to_string(Verdict v);
Verdict verdict_from_string(const std::string& s);  // throws std::invalid_argument

enum class TestKind {
  equality,     // the claim says truth == reference exactly
  equivalence,  // the claim says truth ~= reference within +-margin (an approximation)
  at_most,      // the claim says truth <= reference
  at_least,     // the claim says truth >= reference
};
std::string to_string(TestKind k);

// An exact proof beside the numeric verdict (formula cases only; verify/src/formula/prove.cpp): none (no proof was
// attempted: not an equation, or no algebraic reading), proved (identically true under the notes' defining
// relations), disproved (an exact counterexample), undecided (attempted but not decided: the numeric check alone
// stands).
enum class ProofStatus { none, proved, disproved, undecided };
std::string to_string(ProofStatus p);

struct Check {
  std::string form;      // "as_written" or "corrected" (or another named variant)
  std::string label;     // what distinguishes this check within its form, e.g. "t=500, x0=tail"
  std::string quantity;  // what is estimated, in words, with units
  Estimate estimate;     // ground truth, estimated from definitions
  double reference = 0;  // the value of the formula under test
  double reference_se = 0;  // nonzero when the reference is itself estimated independently
  TestKind kind = TestKind::equality;
  double margin = 0;  // for equivalence: allowed |truth - reference|, absolute
  // The scale that relative discrepancies are stated against, and its name. Defaults to |reference|;
  // near-zero references must name another scale (e.g. the integrand's standard deviation).
  double scale = 0;
  std::string scale_name;
  std::vector<std::string> notes;  // extra facts for the report (e.g. "t=1: beta_tilde_1 = 0")
  // Decided exactly, not statistically: an identity evaluated in 50-digit arithmetic (or an equation between random
  // quantities checked draw by draw, doubtful draws re-evaluated in 50 digits). exact_difference is the relative
  // difference that arithmetic found (for inequalities: the relative violation, > 0 when violated); it refutes
  // when above exact_threshold. p is then 0 or 1.
  bool exact = false;
  double exact_difference = 0;
  static constexpr double exact_threshold = 1e-25;
  // The exact proof of the same statement at the same point (ProofStatus above) and what it rests on: the relations
  // a proof used, the counterexample of a disproof, or why it is undecided. Must agree with the verdict: a check
  // that holds is never disproved, a refuted one never proved (proof.agreement test).
  ProofStatus proof = ProofStatus::none;
  std::string proof_detail;
  // Non-empty when the check holds by construction (pure algebra, a rescaling of another check's estimate, or
  // sampling the closed form it then checks): why. Its verdict is then an algebraic identity evaluated, not a
  // Monte Carlo confirmation, and every report says so. Set from the case file's [by_construction] table.
  std::string by_construction;
  // Set by the code that produced the estimate when it saw its own arithmetic lose the quantity measured (e.g. the
  // formula evaluator: a law whose standard deviation is below the resolution of its mean, so that its draws round
  // to the mean). Non-empty: the check is "numerically degenerate" and gets no verdict but inconclusive.
  std::string degenerate;
  // The integrand takes a few discrete values (an indicator): all draws equal is possible without any rounding, so the
  // guard's SE and spread tests do not apply (non-finite estimates and a producer's note still do).
  bool discrete_integrand = false;
};

// What the statistics say about one check, given its own false-alarm level.
struct Assessment {
  double z = 0;
  double p_value = 1;
  double alpha = 0;           // level this check was compared at (Holm)
  double min_detectable = 0;  // smallest |discrepancy| detected with 99% power at level alpha_bonferroni
  double min_detectable_relative = 0;  // min_detectable / scale
  double discrepancy = 0;     // estimate - reference
  double relative_discrepancy = 0;  // discrepancy / scale
  Verdict verdict = Verdict::inconclusive;
  std::string reason;
};

// Why a check's numbers cannot support a verdict, or "" when they can. Exact checks (50-digit arithmetic) and
// deterministic values carried as Estimate::exact are never degenerate by their SE, which is legitimately 0 (only a
// producer's note, Check::degenerate, applies to them: an equation checked on draws that lost their random part). A Monte Carlo
// estimate is degenerate when its SE is at most kDegenerateUlps ulps of its magnitude (the integrand did not vary
// beyond rounding, which no non-constant integrand does over many draws), when the integrand's spread collapsed the
// same way, when it is not finite, or when its producer set Check::degenerate. The reason starts with
// "numerically degenerate: ".
std::string numerically_degenerate(const Check& c);
inline constexpr double kDegenerateUlps = 16;

// Per-check p-value of the refutation test (small p = evidence against the claim).
double refutation_p(const Check& c);
double combined_se(const Check& c);
double check_scale(const Check& c);

// Assess a family of checks at family-wise false-alarm rate alpha with Holm's step-down procedure.
// tolerance[i] is the relative discrepancy (to the check's scale) that check i must be able to detect;
// a check whose minimum detectable discrepancy is larger and that is not refuted is inconclusive.
std::vector<Assessment> assess(const std::vector<Check>& checks, const std::vector<double>& tolerance, double alpha,
                               double power = 0.99);

}  // namespace verify
