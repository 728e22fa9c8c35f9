// Noise schedules. Reference numbers: REFERENCES.md (diffusers' scheduler tests give beta_tilde = 0.00979 at
// note step 488 of the linear schedule; the cosine schedule clips exactly its last beta at T = 1000).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "verify/schedule.hpp"

using namespace verify;

TEST_CASE("Linear schedule endpoints and beta_tilde at t = 488") {
  const auto s = NoiseSchedule::linear(1000);
  CHECK(s.T() == 1000);
  CHECK(s.beta(1) == doctest::Approx(1e-4).epsilon(1e-15));
  CHECK(s.beta(1000) == doctest::Approx(0.02).epsilon(1e-15));
  CHECK(s.alpha_bar(0) == 1.0);
  CHECK(s.beta_tilde(488) == doctest::Approx(0.00979).epsilon(5e-4));  // 3 significant digits
  CHECK(s.beta_tilde(1) == 0.0);
}

TEST_CASE("Cosine schedule: exactly the last beta is clipped; alpha_bar_T and beta_1 as in improved-diffusion") {
  const auto s = NoiseSchedule::cosine(1000);
  REQUIRE(s.clipped().size() == 1);
  CHECK(s.clipped()[0] == 1000);
  CHECK(s.beta(1000) == 0.999);
  CHECK(s.alpha_bar(1000) == doctest::Approx(2.4e-9).epsilon(0.05));
  CHECK(s.beta(1) == doctest::Approx(4.1e-5).epsilon(0.01));
}

TEST_CASE("Posterior coefficients and SNR agree with their definitions at every t") {
  for (const auto& s : {NoiseSchedule::linear(1000), NoiseSchedule::cosine(1000)}) {
    for (int t = 2; t <= s.T(); ++t) {
      const double ab = s.alpha_bar(t), abp = s.alpha_bar(t - 1), b = s.beta(t);
      CHECK(s.alpha(t) * abp == doctest::Approx(ab).epsilon(1e-14));
      CHECK(s.posterior_coef_x0(t) == doctest::Approx(std::sqrt(abp) * b / (1 - ab)).epsilon(1e-14));
      CHECK(s.snr(t) == doctest::Approx(ab / (1 - ab)).epsilon(1e-14));
      CHECK(s.beta_tilde(t) <= b);
    }
  }
}

TEST_CASE("Bad schedules are rejected") {
  CHECK_THROWS_AS(NoiseSchedule::custom({0.1, 1.0}), std::invalid_argument);
  CHECK_THROWS_AS(NoiseSchedule::custom({0.0}), std::invalid_argument);
  CHECK_THROWS_AS(NoiseSchedule::custom({}), std::invalid_argument);
  CHECK_THROWS_AS(NoiseSchedule::linear(0), std::invalid_argument);
  const auto s = NoiseSchedule::linear(10);
  CHECK_THROWS_AS(s.beta(0), std::out_of_range);
  CHECK_THROWS_AS(s.beta(11), std::out_of_range);
}
