#include "verify/sweep.hpp"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/errors.hpp"
#include "verify/params.hpp"
#include "verify/rng.hpp"
#include "verify/runner.hpp"

namespace fs = std::filesystem;

namespace verify {

bool SweepResult::ok() const {
  return std::all_of(families.begin(), families.end(), [](const SweepFamily& f) { return f.ok(); });
}

std::size_t binomial_band(std::size_t n, double p, double level) {
  if (n == 0) return 0;
  const boost::math::binomial_distribution<> b(static_cast<double>(n), std::clamp(p, 0.0, 1.0));
  // P(X >= k + 1) = 1 - cdf(k): the smallest k with that at most level.
  for (std::size_t k = 0; k < n; ++k)
    if (boost::math::cdf(boost::math::complement(b, static_cast<double>(k))) <= level) return k;
  return n;
}

namespace {

std::vector<std::string> case_paths(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& f : files.empty() ? std::vector<std::string>{"cases"} : files) {
    std::error_code ec;
    if (fs::is_directory(f, ec))
      for (auto& p : find_case_files(f)) out.push_back(p);
    else
      out.push_back(f);
  }
  return out;
}

// Log-uniform on [lo, hi] (both > 0).
double log_uniform(Rng& rng, double lo, double hi) {
  const double a = std::log(lo), b = std::log(hi);
  return std::exp(a + (b - a) * rng.uniform());
}

struct Swept {
  std::string key;  // "define.<name>" or "params.<name>"
  double lo, hi;    // magnitude range drawn log-uniformly
  bool negative;    // the case's own value is negative: keep the sign
};

// The numbers a draw replaces: a formula case's floating-point [define] entries; a C++ claim's [params] entries whose
// ParamSpec has a finite positive range, drawn over that range widened by `widen` so that some fall outside it.
std::vector<Swept> sweepable(const toml::table& root, const SweepOptions& o) {
  std::vector<Swept> out;
  const bool formula = !root.contains("claim");
  if (formula) {
    if (const toml::table* d = root["define"].as_table())
      for (const auto& [k, v] : *d)
        if (const auto* f = v.as_floating_point(); f && f->get() != 0 && std::isfinite(f->get()))
          out.push_back({"define." + std::string(k.str()), o.define_lo, o.define_hi, f->get() < 0});
  } else if (const toml::table* p = root["params"].as_table()) {
    const ClaimSchemas schemas = claim_schemas();
    const auto it = schemas.find(root["claim"].value_or(std::string()));
    if (it == schemas.end()) return out;  // the loader names the unknown claim
    for (const auto& [k, v] : *p)
      for (const ParamSpec& r : it->second.params) {
        if (r.key != k.str() || !(v.is_floating_point() || v.is_integer())) continue;
        if (!(std::isfinite(r.hi) && r.hi > 0)) continue;
        const double hi = r.hi * o.widen, lo = std::max(r.lo, r.hi * 1e-12) / o.widen;
        out.push_back({"params." + std::string(k.str()), lo, hi, false});
      }
  }
  return out;
}

std::vector<std::string> holding_forms(const toml::table& root) {
  std::vector<std::string> out;
  if (const toml::table* e = root["expect"].as_table())
    for (const auto& [k, v] : *e)
      if (v.value<std::string>() == std::optional<std::string>("holds")) out.emplace_back(k.str());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

SweepResult sweep(const std::vector<std::string>& files, const SweepOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  SweepResult res;
  res.options = o;
  std::map<std::string, SweepFamily> fam;
  std::vector<std::string> fam_order;
  for (const std::string& path : case_paths(files)) {
    (void)load_case(path);  // the case must load at its own values: a broken case file is an input error of the sweep
    toml::table root;
    try {
      root = toml::parse(read_text(path), path);
    } catch (const toml::parse_error& e) {
      throw InputError(path, "", std::string("not valid TOML: ") + std::string(e.description()));
    }
    const std::vector<std::string> forms = holding_forms(root);
    if (forms.empty()) {
      res.skipped.push_back(path);
      continue;
    }
    const std::string family = fs::path(path).parent_path().filename().string();
    if (!fam.count(family)) fam_order.push_back(family);
    SweepFamily& F = fam[family];
    F.family = family;
    ++F.cases;
    const std::vector<Swept> keys = sweepable(root, o);
    for (std::size_t k = 0; k < o.draws; ++k) {
      if (o.only_draw >= 0 && static_cast<std::size_t>(o.only_draw) != k) continue;
      Rng rng(o.seed, stream_id("sweep/" + fs::path(path).lexically_normal().generic_string()), k);
      SweepDraw d;
      d.file = path;
      d.family = family;
      d.index = k;
      d.run_seed = stream_id("sweep-seed/" + std::to_string(o.seed) + "/" + path + "/" + std::to_string(k)) >> 1;
      toml::table t = root;
      for (const Swept& s : keys) {
        double v = log_uniform(rng, s.lo, s.hi);
        if (s.negative) v = -v;
        const auto dot = s.key.find('.');
        toml::table* sub = t[s.key.substr(0, dot)].as_table();
        sub->insert_or_assign(s.key.substr(dot + 1), v);
        d.values.emplace_back(s.key, v);
      }
      std::ostringstream text;
      text << t;
      try {
        CaseSpec c = load_case_from_string(text.str(), path);
        if (o.samples) c.samples = std::min(c.samples, o.samples);
        RunOptions ro;
        ro.seed = d.run_seed;
        ro.threads = o.threads;
        ro.alpha = o.alpha;
        const RunResult r = run_cases({std::move(c)}, ro);
        d.outcome = "holds";
        for (const auto& f : r.forms) {
          if (std::find(forms.begin(), forms.end(), f.form) == forms.end()) continue;
          if (f.verdict == Verdict::refuted) d.outcome = "refuted";
          else if (f.verdict == Verdict::inconclusive && d.outcome == "holds") d.outcome = "inconclusive";
        }
        for (const auto& ch : r.checks) {
          if (std::find(forms.begin(), forms.end(), ch.check.form) == forms.end()) continue;
          if (ch.assessment.verdict == Verdict::holds) continue;
          if ((d.outcome == "refuted") != (ch.assessment.verdict == Verdict::refuted)) continue;
          d.reason = ch.check.form + " [" + ch.check.label + "]: " + ch.assessment.reason;
          break;
        }
      } catch (const InputError& e) {
        d.outcome = "input error";
        d.reason = e.what();
      } catch (const std::exception& e) {
        // Not a clean refusal (exit 2 with file and key): a defect the sweep found. Counted apart and fails the sweep.
        d.outcome = "error";
        d.reason = e.what();
      }
      ++F.draws;
      if (d.outcome == "holds") ++F.holds;
      else if (d.outcome == "refuted") ++F.refuted;
      else if (d.outcome == "input error") ++F.input_errors;
      else if (d.outcome == "error") ++F.errors;
      else {
        ++F.inconclusive;
        if (d.reason.find("numerically degenerate") != std::string::npos) ++F.degenerate;
      }
      res.draws.push_back(std::move(d));
    }
  }
  for (const auto& name : fam_order) {
    SweepFamily f = fam[name];
    // Each draw is one run at family-wise rate alpha: a true formula is refuted in at most a fraction alpha of draws.
    f.band = binomial_band(f.draws, o.alpha, o.band_level);
    res.families.push_back(f);
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace verify
