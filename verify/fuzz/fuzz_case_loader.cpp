// libFuzzer harness for the case-file loader and validator (scripts/fuzz.sh builds and runs it).
// Contract under test: for ANY input text, load_case_from_string either returns a validated case or throws
// InputError. Anything else -- a crash, another exception, undefined behaviour (ASan/UBSan), or a validated case
// whose oracle quantities are not finite -- is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/diffused.hpp"
#include "verify/errors.hpp"

using namespace verify;

namespace {

[[noreturn]] void finding(const char* what, int t = -1) {
  std::fprintf(stderr, "FINDING: validated input gives a non-finite %s (t = %d)\n", what, t);
  std::abort();
}

void check_schedule(const NoiseSchedule& s) {
  for (int t = 1; t <= s.T(); ++t) {
    if (!(s.alpha_bar(t) > 0 && s.alpha_bar(t) < 1)) finding("alpha_bar", t);
    if (!std::isfinite(s.beta_tilde(t)) || s.beta_tilde(t) < 0) finding("beta_tilde", t);
    if (!std::isfinite(s.snr(t))) finding("snr", t);
    if (!std::isfinite(s.posterior_coef_x0(t)) || !std::isfinite(s.posterior_coef_xt(t))) finding("posterior coefficient", t);
  }
}

void check_mixture(const GaussianMixture& m, const NoiseSchedule* s) {
  const Vec mean = m.mean();
  if (!mean.allFinite()) finding("mixture mean");
  const Vec far = mean + Vec::Constant(m.dim(), 1e3);
  for (const Vec& x : {mean, far}) {
    if (!std::isfinite(m.log_density(x))) finding("log_density");
    if (!m.score(x).allFinite()) finding("score");
  }
  if (!s) return;
  for (int t : {1, s->T()}) {
    const auto noise = LinearGaussianNoise::ddpm(*s, t, m.dim());
    const GaussianMixture q = noisy_marginal(m, noise);
    if (!std::isfinite(q.log_density(far))) finding("diffused log_density", t);
    if (!q.score(far).allFinite()) finding("diffused score", t);
    if (!posterior_mean(m, noise, far).allFinite()) finding("posterior mean", t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // A path inside cases/ so that the seed cases' relative mixture/schedule paths (../mixtures/...) resolve.
    static const ClaimSchemas schemas = claim_schemas();
    const CaseSpec c = load_case_from_string(text, "cases/fuzz/input.toml", schemas);
    if (c.schedule) check_schedule(*c.schedule);
    if (c.mixture) check_mixture(*c.mixture, c.schedule ? &*c.schedule : nullptr);
  } catch (const InputError&) {
    // Expected: the input was refused with file, key and reason.
  }
  return 0;
}
