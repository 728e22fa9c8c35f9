#pragma once
// Small helpers shared by the claim families. Nothing here decides a verdict or formats output.
#include <string>

#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/verdict.hpp"

namespace verify::claims {

// A check comparing an estimated truth with a formula's value under an exact-identity test.
inline Check equality_check(std::string form, std::string label, std::string quantity, Estimate truth, double formula,
                            double scale = 0, std::string scale_name = {}) {
  Check c;
  c.form = std::move(form);
  c.label = std::move(label);
  c.quantity = std::move(quantity);
  c.estimate = std::move(truth);
  c.reference = formula;
  c.scale = scale;
  c.scale_name = std::move(scale_name);
  return c;
}

// Resolves a variance parameter that may be written as "beta", "beta_tilde" or a positive number.
inline double variance_param(const CaseSpec& c, const std::string& key, int t, const std::string& fallback) {
  const auto& s = c.require_schedule();
  const auto& p = c.params;
  if (p.has(key) && p.values().at(key).kind != ParamValue::Kind::string) return p.positive(key);
  const std::string v = p.string_or(key, fallback);
  if (v == "beta") return s.beta(t);
  if (v == "beta_tilde") {
    if (t == 1) p.fail(key, "beta_tilde_1 = 0: the posterior at t = 1 is a point mass, so this KL is undefined");
    return s.beta_tilde(t);
  }
  p.fail(key, "expected \"beta\", \"beta_tilde\" or a positive number, got \"" + v + "\"");
}

}  // namespace verify::claims
