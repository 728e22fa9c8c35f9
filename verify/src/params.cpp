#include "verify/params.hpp"

#include <cmath>
#include <cstdio>

#include "verify/errors.hpp"
#include "verify/schedule.hpp"

namespace verify {

void Params::fail(const std::string& key, const std::string& reason) const {
  throw InputError(file_, "params." + key, reason);
}

const std::vector<ParamRange>& param_ranges() {
  // Bounds keep the unit-size parts of each integrand at least 1e4 ulps above rounding (relative 1e-4 / eps =
  // 4.5e11 between the largest and the unit-size terms).
  static const std::vector<ParamRange> table = {
      // None today: the claims that had such parameters (eps_prefactor.note003_weight's model_variance and gap_sd) are
      // formula cases, where the evaluator's degenerate-draw test applies to the numbers in [define] instead.
  };
  return table;
}

const ParamRange* param_range(const std::string& key) {
  for (const auto& r : param_ranges())
    if (r.key == key) return &r;
  return nullptr;
}

void Params::check_ranges() const {
  for (const auto& [key, v] : values_) {
    const ParamRange* r = param_range(key);
    if (!r || (v.kind != ParamValue::Kind::number && v.kind != ParamValue::Kind::integer)) continue;
    const double x = v.kind == ParamValue::Kind::number ? v.number : static_cast<double>(v.integer);
    if (std::isfinite(x) && x >= r->lo && x <= r->hi) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s = %.6g is outside its representable range [%g, %g]: ", key.c_str(), x, r->lo, r->hi);
    fail(key, buf + r->why);
  }
}

const ParamValue& Params::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) fail(key, "missing required parameter");
  return it->second;
}

namespace {
bool as_number(const ParamValue& v, double& out) {
  if (v.kind == ParamValue::Kind::number) out = v.number;
  else if (v.kind == ParamValue::Kind::integer) out = static_cast<double>(v.integer);
  else return false;
  return true;
}
}  // namespace

double Params::number(const std::string& key) const {
  double x;
  if (!as_number(get(key), x)) fail(key, "expected a number");
  return x;
}
double Params::number_or(const std::string& key, double fallback) const { return has(key) ? number(key) : fallback; }
double Params::positive(const std::string& key) const {
  const double x = number(key);
  if (!(x > 0)) fail(key, "must be positive");
  return x;
}
std::int64_t Params::integer(const std::string& key) const {
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::integer) fail(key, "expected an integer");
  return v.integer;
}
std::int64_t Params::integer_or(const std::string& key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}
bool Params::boolean_or(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::boolean) fail(key, "expected true or false");
  return v.boolean;
}
std::string Params::string(const std::string& key) const {
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::string) fail(key, "expected a string");
  return v.string;
}
std::string Params::string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}
std::vector<double> Params::numbers(const std::string& key) const {
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::array) fail(key, "expected an array of numbers");
  if (v.array.empty()) fail(key, "array is empty");
  std::vector<double> out;
  for (const auto& e : v.array) {
    double x;
    if (!as_number(e, x)) fail(key, "expected an array of numbers");
    out.push_back(x);
  }
  return out;
}
std::vector<std::int64_t> Params::integers(const std::string& key) const {
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::array || v.array.empty()) fail(key, "expected a non-empty array of integers");
  std::vector<std::int64_t> out;
  for (const auto& e : v.array) {
    if (e.kind != ParamValue::Kind::integer) fail(key, "expected an array of integers");
    out.push_back(e.integer);
  }
  return out;
}
Vec Params::vector(const std::string& key, int dim) const {
  const auto xs = numbers(key);
  if (static_cast<int>(xs.size()) != dim)
    fail(key, "has " + std::to_string(xs.size()) + " entries, expected dimension " + std::to_string(dim));
  return Eigen::Map<const Vec>(xs.data(), dim);
}
std::vector<Vec> Params::points(const std::string& key, int dim) const {
  const auto& v = get(key);
  if (v.kind != ParamValue::Kind::array || v.array.empty()) fail(key, "expected a non-empty array of points");
  std::vector<Vec> out;
  for (std::size_t i = 0; i < v.array.size(); ++i) {
    const auto& row = v.array[i];
    const std::string k = key + "[" + std::to_string(i) + "]";
    if (row.kind != ParamValue::Kind::array) fail(k, "expected an array of " + std::to_string(dim) + " numbers");
    if (static_cast<int>(row.array.size()) != dim)
      fail(k, "has " + std::to_string(row.array.size()) + " entries, expected dimension " + std::to_string(dim));
    Vec p(dim);
    for (int j = 0; j < dim; ++j)
      if (!as_number(row.array[static_cast<std::size_t>(j)], p[j])) fail(k, "expected numbers");
    out.push_back(p);
  }
  return out;
}
Mat Params::matrix(const std::string& key, int dim) const {
  const auto rows = points(key, dim);
  if (static_cast<int>(rows.size()) != dim) fail(key, "expected a " + std::to_string(dim) + "x" + std::to_string(dim) + " matrix");
  Mat m(dim, dim);
  for (int i = 0; i < dim; ++i) m.row(i) = rows[static_cast<std::size_t>(i)].transpose();
  return m;
}
int Params::step(const std::string& key, const NoiseSchedule& s) const {
  const auto t = integer(key);
  if (t < 1 || t > s.T()) fail(key, "t = " + std::to_string(t) + " is outside 1.." + std::to_string(s.T()));
  return static_cast<int>(t);
}
std::vector<int> Params::steps(const std::string& key, const NoiseSchedule& s) const {
  std::vector<int> out;
  for (auto t : integers(key)) {
    if (t < 1 || t > s.T()) fail(key, "t = " + std::to_string(t) + " is outside 1.." + std::to_string(s.T()));
    out.push_back(static_cast<int>(t));
  }
  return out;
}

}  // namespace verify
