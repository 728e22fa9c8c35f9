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

}  // namespace verify
