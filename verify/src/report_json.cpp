#include "verify/report_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace verify {

namespace {
// JSON has no NaN or Inf; a non-finite number is written as null and flagged by the caller's warnings.
nlohmann::json num(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
}  // namespace

std::string report_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["run"] = {{"version", version_string()},
              {"seed", r.options.seed ? nlohmann::json(*r.options.seed) : nlohmann::json("per-case")},
              {"alpha", r.options.alpha},
              {"correction", "holm"},
              {"power", 0.99},
              {"threads", r.options.threads},
              {"cases", r.cases.size()},
              {"checks", r.checks.size()},
              {"all_match", r.all_match()}};
  std::vector<nlohmann::ordered_json> checks;
  for (const auto& c : r.checks) {
    const auto& k = c.check;
    const auto& a = c.assessment;
    nlohmann::ordered_json o;
    o["case"] = c.case_name;
    o["claim"] = c.claim;
    o["form"] = k.form;
    o["label"] = k.label;
    o["quantity"] = k.quantity;
    o["verdict"] = to_string(a.verdict);
    o["expect"] = c.expect ? nlohmann::json(to_string(*c.expect)) : nlohmann::json(nullptr);
    o["test"] = to_string(k.kind);
    o["estimate"] = num(k.estimate.mean);
    o["std_error"] = num(k.estimate.std_error);
    o["reference"] = num(k.reference);
    o["reference_se"] = num(k.reference_se);
    o["margin"] = num(k.margin);
    o["discrepancy"] = num(a.discrepancy);
    o["relative_discrepancy"] = num(a.relative_discrepancy);
    o["scale"] = num(check_scale(k));
    o["scale_name"] = k.scale_name.empty() ? "|reference|" : k.scale_name;
    o["z"] = num(a.z);
    o["p_value"] = num(a.p_value);
    o["alpha"] = num(a.alpha);
    o["min_detectable"] = num(a.min_detectable);
    o["min_detectable_relative"] = num(a.min_detectable_relative);
    o["samples"] = k.estimate.samples;
    o["method"] = to_string(k.estimate.method);
    o["integrand_std_dev"] = num(k.estimate.std_dev);
    o["skewness"] = num(k.estimate.skewness);
    o["excess_kurtosis"] = num(k.estimate.excess_kurtosis);
    o["clt_warning"] = k.estimate.clt_warning();
    o["reason"] = a.reason;
    o["notes"] = k.notes;
    o["proof"] = to_string(k.proof);
    o["proof_detail"] = k.proof_detail;
    // null: the estimate is evidence for or against the formula; a string: the check holds by construction (why).
    o["by_construction"] = k.by_construction.empty() ? nlohmann::json(nullptr) : nlohmann::json(k.by_construction);
    o["source"] = {{"note", c.source.note}, {"section", c.source.section}};
    o["seconds"] = c.seconds;
    checks.push_back(o);
  }
  std::vector<nlohmann::ordered_json> forms;
  for (const auto& f : r.forms)
    forms.push_back({{"case", f.case_name},
                     {"form", f.form},
                     {"verdict", to_string(f.verdict)},
                     {"expect", f.expect ? nlohmann::json(to_string(*f.expect)) : nlohmann::json(nullptr)},
                     {"matches", f.matches()},
                     {"proof", to_string(f.proof)},
                     {"proof_detail", f.proof_detail}});
  // One check (and one form) per line: compact enough for a large run (about 1 kB per check), still greppable
  // and diffable line by line.
  std::string out = "{\"run\": " + j["run"].dump() + ",\n\"checks\": [";
  for (std::size_t i = 0; i < checks.size(); ++i) out += (i ? ",\n" : "\n") + checks[i].dump();
  out += "\n],\n\"forms\": [";
  for (std::size_t i = 0; i < forms.size(); ++i) out += (i ? ",\n" : "\n") + forms[i].dump();
  return out + "\n]}\n";
}

}  // namespace verify
