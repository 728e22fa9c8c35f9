#pragma once
// How a case spends its sample budget ([budget] method in the case file). Its own header so that the case loader
// knows the choice without depending on the Monte Carlo engine that implements it (montecarlo.hpp).
#include <string>

namespace verify {

// How the engine spends a sample budget (chosen per case: [budget] method in the case file).
//  plain      n independent draws; SE from the integrand's sample variance.
//  antithetic n/2 pairs; each pair averages f on the stream and on its mirror (uniforms 1 - u, normals -z);
//             SE from the sample variance of the pair means. Exact for integrands odd in the normals, so
//             never use it where f is linear in them (the SE would be rounding noise).
//  rqmc       R independent randomisations of n/R points each: the first qmc_dims uniforms of every draw
//             come from a Sobol point with a random Cranley-Patterson shift (normals by inverse CDF), the
//             rest from Philox. SE from the spread of the R randomisation means, inflated by the ratio of
//             the Student-t(R-1) to the normal quantile at two-sided level 1e-6, so that z-tests at any
//             level down to 1e-6 stay conservative with R - 1 degrees of freedom.
enum class Method { plain, antithetic, rqmc };
std::string to_string(Method m);
Method method_from_string(const std::string& s);  // throws std::invalid_argument

struct Sampling {
  Method method = Method::plain;
  unsigned randomisations = 64;  // rqmc: R
  unsigned qmc_dims = 16;        // rqmc: quasi-random uniforms per draw
};

}  // namespace verify
