#include "verify/claim.hpp"

#include <stdexcept>

namespace verify {

Registry& Registry::instance() {
  static Registry r;
  return r;
}

void Registry::add(ClaimInfo info) {
  if (find(info.name)) throw std::logic_error("claim registered twice: " + info.name);
  // The family is the name's prefix: case folders, CTest labels and power tests are keyed by it.
  const auto dot = info.name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == info.name.size())
    throw std::logic_error("claim name '" + info.name + "' is not <family>.<claim>");
  const std::string family = info.name.substr(0, dot);
  if (!info.family.empty() && info.family != family)
    throw std::logic_error("claim '" + info.name + "' registered under family '" + info.family + "'");
  info.family = family;
  for (const ParamSpec& p : info.params)
    if (!p.choices.empty() && p.type != ParamSpec::Type::string)
      throw std::logic_error("claim '" + info.name + "': params." + p.key + " has choices but is not a string");
  claims_.push_back(std::move(info));
}

void Registry::check_dependencies() const {
  // "<family>.<claim>" names a registered claim; a name without a dot is a case id (a formula case under cases/),
  // which the registry cannot see — the test "depends_on names existing cases" checks those against cases/.
  for (const auto& c : claims_)
    for (const auto& d : c.depends_on)
      if (d.find('.') != std::string::npos && !find(d))
        throw std::logic_error("claim '" + c.name + "' depends on '" + d + "', which is not registered");
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
    s.params = c.params;
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
