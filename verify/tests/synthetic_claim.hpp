#pragma once
// Tests of the pipeline around claims register small synthetic claims beside the real ones.
#include "verify/case_file.hpp"
#include "verify/claim.hpp"

namespace verify {

// Registers the real claims and then `info`, once: a second call with the same name is a no-op.
inline void register_synthetic_claim(ClaimInfo info) {
  register_all_claims();
  if (!Registry::instance().find(info.name)) Registry::instance().add(std::move(info));
}

// A [params] table with one number, as a case file would give it.
inline Params one_number_param(const std::string& file, const std::string& key, double x) {
  ParamValue v;
  v.kind = ParamValue::Kind::number;
  v.number = x;
  return Params(file, {{key, v}});
}

}  // namespace verify
