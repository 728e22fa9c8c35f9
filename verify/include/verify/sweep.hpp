#pragma once
// A property test over hostile parameters (`verify sweep`): for every form a case expects to hold, draw the case's
// numbers log-uniformly across their declared range, run the case, and count what comes out. A true formula may come
// out holds, inconclusive (too little resolution, or numerically degenerate) or an input error (a value outside its
// representable range); the count of refuted draws must stay within the binomial band of the false-alarm rate.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace verify {

struct SweepOptions {
  std::size_t draws = 20;      // parameter draws per case
  std::uint64_t seed = 1;      // the sweep's seed: draw k of a case is a function of (seed, case file, k) only
  std::size_t samples = 0;     // cap on each case's sample budget (0: the case's own)
  double alpha = 1e-3;         // family-wise false-alarm rate of each run (the rate the refutations are held to)
  double band_level = 1e-3;    // the band: refuted counts above the (1 - band_level) binomial quantile fail
  double widen = 1e3;          // C++ claim parameters are drawn over [lo / widen, hi * widen]: some fall outside
  double define_lo = 1e-100, define_hi = 1e100;  // magnitude range of formula cases' [define] numbers (sign kept)
  long only_draw = -1;         // replay one draw (its index) instead of all
  int threads = 1;
};

struct SweepDraw {
  std::string file, family;
  std::size_t index = 0;
  std::uint64_t run_seed = 0;
  std::vector<std::pair<std::string, double>> values;  // key -> drawn value
  std::string outcome;  // holds | inconclusive | input error | refuted | error (an unexpected exception: a defect)
  std::string reason;   // the first inconclusive or refuted check's reason, or the input error
};

struct SweepFamily {
  std::string family;
  std::size_t cases = 0, draws = 0, holds = 0, inconclusive = 0, degenerate = 0, input_errors = 0, refuted = 0;
  std::size_t errors = 0;  // exceptions other than a clean input error: defects
  std::size_t band = 0;    // largest refuted count consistent with the false-alarm rate
  bool ok() const { return refuted <= band && errors == 0; }
};

struct SweepResult {
  SweepOptions options;
  std::vector<SweepDraw> draws;
  std::vector<SweepFamily> families;
  std::vector<std::string> skipped;  // case files with no holding form
  double seconds = 0;
  bool ok() const;
};

// files: case files or folders. Throws InputError for files that cannot be read as case files at their own values.
SweepResult sweep(const std::vector<std::string>& files, const SweepOptions& options);

// The largest k with P(Binomial(n, p) >= k) > level: more than k refutations in n draws is evidence, at that level,
// that the refutation rate exceeds p.
std::size_t binomial_band(std::size_t n, double p, double level);

}  // namespace verify
