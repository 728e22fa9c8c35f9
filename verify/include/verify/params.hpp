#pragma once
// Claim-specific parameters from a case file's [params] table, read through typed getters that name the
// file and key in every error.
#include <cstdint>
#include <map>
#include <string>
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

// The numeric range in which a claim parameter stays representable: outside it, double precision cannot resolve the
// quantity the claim's estimator computes (a variance so small next to the mean it is added to that draws round to the
// mean, an SD gap so large that the integrand's unit-size parts fall below rounding). Enforced at load: a value
// outside is an input error naming params.<key>, the range and why (exit 2). One table for every C++ claim (a key
// means the same thing wherever it appears); `verify list` prints it under the claims that accept the key.
struct ParamRange {
  std::string key;
  double lo = 0, hi = 0;
  std::string why;
};
const std::vector<ParamRange>& param_ranges();
const ParamRange* param_range(const std::string& key);  // nullptr: the key has no declared range

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
  // Every numeric value whose key has a ParamRange must lie in it (strings, e.g. model_variance = "beta", pass).
  void check_ranges() const;

 private:
  const ParamValue& get(const std::string& key) const;
  std::string file_;
  std::map<std::string, ParamValue> values_;
};

}  // namespace verify
