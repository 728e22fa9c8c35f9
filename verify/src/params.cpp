#include "verify/params.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "verify/errors.hpp"
#include "verify/schedule.hpp"

namespace verify {

void Params::fail(const std::string& key, const std::string& reason) const {
  throw InputError(file_, "params." + key, reason);
}

std::string to_string(ParamSpec::Type t) {
  switch (t) {
    case ParamSpec::Type::number: return "number";
    case ParamSpec::Type::integer: return "integer";
    case ParamSpec::Type::boolean: return "true or false";
    case ParamSpec::Type::string: return "string";
    case ParamSpec::Type::points: return "array of d-vectors";
  }
  return "?";
}

namespace {

std::string number_text(double x) {
  char buf[40];
  // Whole numbers as they are written in a case file (a sample budget of 10000000, not 1e+07).
  std::snprintf(buf, sizeof buf, std::abs(x) < 1e15 && x == std::floor(x) ? "%.0f" : "%.6g", x);
  return buf;
}

bool has_range(const ParamSpec& s) { return std::isfinite(s.lo) || std::isfinite(s.hi); }

std::string range_text(const ParamSpec& s) {
  if (std::isfinite(s.lo) && !std::isfinite(s.hi)) return (s.lo_open ? "> " : ">= ") + number_text(s.lo);
  if (!std::isfinite(s.lo) && std::isfinite(s.hi)) return (s.hi_open ? "< " : "<= ") + number_text(s.hi);
  const bool whole = s.type == ParamSpec::Type::integer && !s.lo_open && !s.hi_open;
  if (whole) return "in " + number_text(s.lo) + ".." + number_text(s.hi);
  return std::string("in ") + (s.lo_open ? "(" : "[") + number_text(s.lo) + ", " + number_text(s.hi) + (s.hi_open ? ")" : "]");
}

std::string choices_text(const ParamSpec& s) {
  std::string out;
  for (std::size_t i = 0; i < s.choices.size(); ++i) out += (i ? ", \"" : "\"") + s.choices[i] + "\"";
  return out;
}

std::string default_text(const ParamSpec::Default& d) {
  struct V {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(double x) const { return number_text(x); }
    std::string operator()(std::int64_t x) const { return std::to_string(x); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& x) const { return "\"" + x + "\""; }
  };
  return std::visit(V{}, d);
}

bool in_range(const ParamSpec& s, double x) {
  if (!std::isfinite(x)) return false;
  if (s.lo_open ? !(x > s.lo) : !(x >= s.lo)) return false;
  if (s.hi_open ? !(x < s.hi) : !(x <= s.hi)) return false;
  return true;
}

}  // namespace

std::string describe(const ParamSpec& s) {
  std::string out = s.choices.empty() ? to_string(s.type) : "one of " + choices_text(s);
  if (has_range(s)) out += " " + range_text(s);
  if (const std::string d = default_text(s.fallback); !d.empty()) out += ", default " + d;
  return out;
}

void Params::check(const std::vector<ParamSpec>& specs) const {
  for (const ParamSpec& s : specs) {
    if (!has(s.key)) continue;
    switch (s.type) {
      case ParamSpec::Type::number:
      case ParamSpec::Type::integer: {
        const double x = s.type == ParamSpec::Type::number ? number(s.key) : static_cast<double>(integer(s.key));
        if (!in_range(s, x))
          fail(s.key, number_text(x) + " is outside the accepted range: must be " + range_text(s) + (s.why.empty() ? "" : " (" + s.why + ")"));
        break;
      }
      case ParamSpec::Type::boolean: (void)boolean_or(s.key, false); break;
      case ParamSpec::Type::string: {
        const std::string v = string(s.key);
        if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end())
          fail(s.key, "expected one of " + choices_text(s) + ", got \"" + v + "\"");
        break;
      }
      case ParamSpec::Type::points: break;  // the dimension is the case's: checked when the claim reads them
    }
  }
}

namespace {
template <class T>
const T* fallback_of(const ParamSpec& s) {
  return std::get_if<T>(&s.fallback);
}
}  // namespace

double Params::number(const ParamSpec& s) const {
  if (has(s.key)) return number(s.key);
  if (const double* d = fallback_of<double>(s)) return *d;
  if (const std::int64_t* i = fallback_of<std::int64_t>(s)) return static_cast<double>(*i);
  return number(s.key);  // "missing required parameter"
}
std::int64_t Params::integer(const ParamSpec& s) const {
  if (has(s.key)) return integer(s.key);
  if (const std::int64_t* i = fallback_of<std::int64_t>(s)) return *i;
  return integer(s.key);
}
bool Params::boolean(const ParamSpec& s) const {
  if (has(s.key)) return boolean_or(s.key, false);
  if (const bool* b = fallback_of<bool>(s)) return *b;
  (void)get(s.key);  // "missing required parameter"
  return false;
}
std::string Params::string(const ParamSpec& s) const {
  if (has(s.key)) return string(s.key);
  if (const std::string* d = fallback_of<std::string>(s)) return *d;
  return string(s.key);
}
std::vector<Vec> Params::points(const ParamSpec& s, int dim) const { return points(s.key, dim); }

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
