#pragma once
// Claim-specific parameters from a case file's [params] table, read through typed getters that name the
// file and key in every error.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "verify/gaussian.hpp"

namespace verify {

class NoiseSchedule;

struct ParamValue {
  enum class Kind { number, integer, boolean, string, array } kind = Kind::number;
  double number = 0;
  std::int64_t integer = 0;
  bool boolean = false;
  std::string string;
  std::vector<ParamValue> array;
};

// One [params] key a claim accepts, declared where the claim is registered. The same spec validates the case when
// it is loaded (type, range, choices: an error names params.<key>, the rule and why, exit 2) and reads the value in the
// claim (the default when the case leaves the key out), so a claim holds no hand-written checks of its own, and
// `verify list` prints every spec. Designated initialisers read as the definition:
//   {.key = "q_uniform", .meaning = "weight of the uniform part of q(z|x)", .fallback = 0.2, .lo = 0, .hi = 1,
//    .hi_open = true}
struct ParamSpec {
  enum class Type { number, integer, boolean, string, points };
  using Default = std::variant<std::monostate, double, std::int64_t, bool, std::string>;
  std::string key;
  std::string meaning;
  Type type = Type::number;
  Default fallback;  // the value when the key is absent; monostate: the key is required (or the claim decides)
  double lo = -std::numeric_limits<double>::infinity();  // numbers and integers: the accepted range
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;  // (lo, ...] / [..., hi)
  std::vector<std::string> choices;       // strings: the accepted values (empty: any string)
  std::string why;                        // why the range: appended to the error
};
std::string to_string(ParamSpec::Type t);
// "number in (0, 1], default 0.5" / "one of \"001\", \"002\", default \"001\"" / "points (array of d-vectors)".
std::string describe(const ParamSpec& s);

class Params {
 public:
  Params() = default;
  Params(std::string file, std::map<std::string, ParamValue> values) : file_(std::move(file)), values_(std::move(values)) {}

  const std::string& file() const { return file_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, ParamValue>& values() const { return values_; }

  double number(const std::string& key) const;  // integers are accepted as numbers
  double number_or(const std::string& key, double fallback) const;
  double positive(const std::string& key) const;  // > 0 and finite
  std::int64_t integer(const std::string& key) const;
  std::int64_t integer_or(const std::string& key, std::int64_t fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  std::string string(const std::string& key) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<std::int64_t> integers(const std::string& key) const;
  Vec vector(const std::string& key, int dim) const;             // length must equal dim
  std::vector<Vec> points(const std::string& key, int dim) const;  // array of arrays of length dim
  Mat matrix(const std::string& key, int dim) const;              // dim x dim
  // A diffusion step t in 1..T of the schedule.
  int step(const std::string& key, const NoiseSchedule& s) const;
  std::vector<int> steps(const std::string& key, const NoiseSchedule& s) const;

  // Bad input in [params]: the error names 'params.<key>'. A claim that refuses the case because of another
  // table (its mixture, its schedule) says so with CaseSpec::fail, which names that table's own key.
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  // Every value present has its spec's type and lies in its range / choices (keys without a spec are the loader's
  // concern: it rejects unknown keys before this).
  void check(const std::vector<ParamSpec>& specs) const;
  // The value of a spec'd key, or its default (a required key without a default: "missing required parameter").
  double number(const ParamSpec& s) const;
  std::int64_t integer(const ParamSpec& s) const;
  bool boolean(const ParamSpec& s) const;
  std::string string(const ParamSpec& s) const;
  std::vector<Vec> points(const ParamSpec& s, int dim) const;

 private:
  const ParamValue& get(const std::string& key) const;
  std::string file_;
  std::map<std::string, ParamValue> values_;
};

}  // namespace verify
