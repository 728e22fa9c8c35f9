#include "verify/claim.hpp"

#include <stdexcept>

namespace verify {

Registry& Registry::instance() {
  static Registry r;
  return r;
}

void Registry::add(ClaimInfo info) {
  if (find(info.name)) throw std::logic_error("claim registered twice: " + info.name);
  claims_.push_back(std::move(info));
}

const ClaimInfo* Registry::find(const std::string& name) const {
  for (const auto& c : claims_)
    if (c.name == name) return &c;
  return nullptr;
}

ClaimSchemas claim_schemas() {
  register_all_claims();
  ClaimSchemas out;
  for (const auto& c : Registry::instance().all()) {
    ClaimSchema& s = out[c.name];
    for (const auto& [key, meaning] : c.params) s.params.push_back(key);
    s.needs_mixture = c.needs_mixture;
    s.needs_schedule = c.needs_schedule;
  }
  return out;
}

CaseSpec load_case(const std::string& path) { return load_case(path, claim_schemas()); }
CaseSpec load_case_from_string(const std::string& text, const std::string& path) {
  return load_case_from_string(text, path, claim_schemas());
}

}  // namespace verify
