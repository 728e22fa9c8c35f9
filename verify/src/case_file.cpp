#include "verify/edit_distance.hpp"
#include "verify/case_file.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <toml++/toml.h>

#include "verify/errors.hpp"
#include "verify/formula/formula_case.hpp"
#include "verify/shared_data.hpp"

namespace fs = std::filesystem;

namespace verify {

const GaussianMixture& CaseSpec::require_mixture() const {
  if (!mixture) throw InputError(path, "mixture", "this claim needs a [mixture] table");
  return *mixture;
}
void CaseSpec::fail(const std::string& key, const std::string& reason) const { throw InputError(path, key, reason); }

std::string CaseSpec::schedule_length_key() const {
  return schedule && schedule->kind() == "custom" ? "schedule.betas" : "schedule.T";
}

const NoiseSchedule& CaseSpec::require_schedule() const {
  if (!schedule) throw InputError(path, "schedule", "this claim needs a [schedule] table");
  return *schedule;
}

namespace {

std::string did_you_mean(const std::string& key, const std::vector<std::string>& allowed) {
  std::string best;
  std::size_t best_d = 3;  // suggest only close matches
  for (const auto& a : allowed) {
    const auto d = edit_distance(key, a);
    if (d < best_d) best_d = d, best = a;
  }
  std::string msg = "unknown key";
  if (!best.empty()) msg += " (did you mean '" + best + "'?)";
  else {
    msg += "; allowed:";
    for (const auto& a : allowed) msg += " " + a;
  }
  return msg;
}

// Reader over one TOML table that names the file and the dotted key in every error.
class Reader {
 public:
  Reader(std::string file, const toml::table& t, std::string prefix) : file_(std::move(file)), t_(t), prefix_(std::move(prefix)) {}

  std::string key(const std::string& k) const { return prefix_.empty() ? k : k.empty() ? prefix_ : prefix_ + "." + k; }
  [[noreturn]] void fail(const std::string& k, const std::string& reason) const { throw InputError(file_, key(k), reason); }

  void only(const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t_) {
      const std::string ks(k.str());
      if (std::find(allowed.begin(), allowed.end(), ks) == allowed.end()) fail(ks, did_you_mean(ks, allowed));
    }
  }
  bool has(const std::string& k) const { return t_.contains(k); }
  const toml::node& node(const std::string& k) const {
    const toml::node* n = t_.get(k);
    if (!n) fail(k, "missing required key");
    return *n;
  }
  double number_of(const toml::node& n, const std::string& k) const {
    double x;
    if (auto i = n.as_integer()) x = static_cast<double>(i->get());
    else if (auto f = n.as_floating_point()) x = f->get();
    else fail(k, std::string("expected a number, got ") + type_name(n));
    if (!std::isfinite(x)) fail(k, "value is not finite (NaN or Inf)");
    return x;
  }
  double number(const std::string& k) const { return number_of(node(k), k); }
  double number_or(const std::string& k, double d) const { return has(k) ? number(k) : d; }
  std::int64_t integer(const std::string& k) const {
    const auto& n = node(k);
    if (auto i = n.as_integer()) return i->get();
    if (auto f = n.as_floating_point()) {
      if (!std::isfinite(f->get())) fail(k, "value is not finite (NaN or Inf)");
      fail(k, "expected an integer, got a float");
    }
    fail(k, std::string("expected an integer, got ") + type_name(n));
  }
  std::string string(const std::string& k) const {
    const auto& n = node(k);
    if (auto s = n.as_string()) return s->get();
    fail(k, std::string("expected a string, got ") + type_name(n));
  }
  std::string string_or(const std::string& k, const std::string& d) const { return has(k) ? string(k) : d; }
  const toml::array& array(const std::string& k) const {
    const auto& n = node(k);
    auto a = n.as_array();
    if (!a) fail(k, std::string("expected an array, got ") + type_name(n));
    if (a->empty()) fail(k, "array is empty");
    return *a;
  }
  std::vector<double> numbers_of(const toml::node& n, const std::string& k) const {
    auto a = n.as_array();
    if (!a) fail(k, std::string("expected an array of numbers, got ") + type_name(n));
    if (a->empty()) fail(k, "array is empty");
    std::vector<double> out;
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(number_of(*a->get(i), k + "[" + std::to_string(i) + "]"));
    return out;
  }
  const std::string& file() const { return file_; }

  static const char* type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      default: return "a date or time";
    }
  }

 private:
  std::string file_;
  const toml::table& t_;
  std::string prefix_;
};

toml::table parse_text(const std::string& text, const std::string& path) {
  try {
    return toml::parse(std::string_view(text), path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, "", "TOML syntax error at line " + std::to_string(e.source().begin.line) + ", column " +
                                   std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
}

toml::table parse(const std::string& path, std::string* text_out = nullptr) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, "", "file does not exist");
  if (fs::is_directory(path, ec)) throw InputError(path, "", "is a directory, not a file");
  std::ifstream probe(path);
  if (!probe) throw InputError(path, "", "cannot be read");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > (16u << 20)) throw InputError(path, "", "file is larger than 16 MiB");
  std::string text((std::istreambuf_iterator<char>(probe)), std::istreambuf_iterator<char>());
  if (probe.bad()) throw InputError(path, "", "cannot be read");
  if (text.size() > (16u << 20)) throw InputError(path, "", "file is larger than 16 MiB");
  if (text_out) *text_out = text;
  return parse_text(text, path);
}

const toml::table& sub_table(const Reader& r, const toml::table& t, const std::string& k) {
  (void)t;
  const toml::node& n = r.node(k);  // "missing required key" when absent
  auto tt = n.as_table();
  if (!tt) r.fail(k, std::string("expected a table, got ") + Reader::type_name(n));
  return *tt;
}

std::string fmt_g(double x, int digits = 6) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

// Symmetric, positive definite, and well enough conditioned that its Cholesky factor, inverse and log-determinant
// are accurate in double precision; eigenvalues inside [min_variance, max_variance].
void check_covariance(const Reader& r, const std::string& ck, const Mat& S) {
  const Eigen::Index d = S.rows();
  for (Eigen::Index i = 0; i < d; ++i)
    for (Eigen::Index j = i + 1; j < d; ++j) {
      const double a = S(i, j), b = S(j, i);
      if (std::abs(a - b) > 1e-12 * std::max({1.0, std::abs(a), std::abs(b)}))
        r.fail(ck, "is not symmetric: entry [" + std::to_string(i) + "][" + std::to_string(j) + "] = " + fmt_g(a) +
                       " but [" + std::to_string(j) + "][" + std::to_string(i) + "] = " + fmt_g(b));
    }
  const Mat sym = 0.5 * (S + S.transpose());
  Eigen::SelfAdjointEigenSolver<Mat> es(sym, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) r.fail(ck, "eigenvalues could not be computed");
  const double lo = es.eigenvalues().minCoeff(), hi = es.eigenvalues().maxCoeff();
  if (!(lo > 0)) {
    if (std::abs(lo) <= 1e-14 * std::max(1.0, std::abs(hi)))
      r.fail(ck, "is singular (smallest eigenvalue " + fmt_g(lo) + "): not positive definite");
    r.fail(ck, "is not positive definite (indefinite: smallest eigenvalue " + fmt_g(lo) + ")");
  }
  if (hi / lo > Limits::max_condition)
    r.fail(ck, "is numerically singular: condition number " + fmt_g(hi / lo) + " exceeds " + fmt_g(Limits::max_condition));
  if (lo < Limits::min_variance)
    r.fail(ck, "smallest eigenvalue " + fmt_g(lo) + " is below the limit " + fmt_g(Limits::min_variance));
  if (hi > Limits::max_variance)
    r.fail(ck, "largest eigenvalue " + fmt_g(hi) + " exceeds the limit " + fmt_g(Limits::max_variance));
}

GaussianMixture mixture_from(const std::string& file, const toml::table& t, const std::string& prefix) {
  Reader r(file, t, prefix);
  r.only({"weights", "means", "covariances"});
  const auto weights = r.numbers_of(r.node("weights"), "weights");
  const auto& means = r.array("means");
  const auto& covs = r.array("covariances");
  if (static_cast<std::int64_t>(weights.size()) > Limits::max_components)
    r.fail("weights", "more than " + std::to_string(Limits::max_components) + " components");
  if (means.size() != weights.size())
    r.fail("means", std::to_string(means.size()) + " means for " + std::to_string(weights.size()) + " weights");
  if (covs.size() != weights.size())
    r.fail("covariances", std::to_string(covs.size()) + " covariances for " + std::to_string(weights.size()) + " weights");
  double sum = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (weights[k] <= 0) r.fail("weights[" + std::to_string(k) + "]", "weights must be positive");
    sum += weights[k];
  }
  if (std::abs(sum - 1.0) > 1e-12) r.fail("weights", "weights sum to " + fmt_g(sum, 15) + ", not 1 (within 1e-12)");
  std::vector<Gaussian> comps;
  std::size_t dim = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const std::string mk = "means[" + std::to_string(k) + "]", ck = "covariances[" + std::to_string(k) + "]";
    if (const auto* arr = means.get(k)->as_array(); arr && arr->size() > static_cast<std::size_t>(Limits::max_dim))
      r.fail(mk, "dimension " + std::to_string(arr->size()) + " exceeds the limit " + std::to_string(Limits::max_dim));
    const auto m = r.numbers_of(*means.get(k), mk);
    if (k == 0) dim = m.size();
    if (m.size() != dim)
      r.fail(mk, "dimension " + std::to_string(m.size()) + " differs from the first mean's " + std::to_string(dim));
    auto rows = covs.get(k)->as_array();
    if (!rows) r.fail(ck, "expected an array of rows");
    if (rows->size() != dim) r.fail(ck, "has " + std::to_string(rows->size()) + " rows, expected " + std::to_string(dim));
    Mat S(dim, dim);
    for (std::size_t i = 0; i < dim; ++i) {
      const auto row = r.numbers_of(*rows->get(i), ck + "[" + std::to_string(i) + "]");
      if (row.size() != dim)
        r.fail(ck + "[" + std::to_string(i) + "]", "has " + std::to_string(row.size()) + " entries, expected " + std::to_string(dim));
      for (std::size_t j = 0; j < dim; ++j) S(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = row[j];
    }
    for (std::size_t i = 0; i < dim; ++i)
      if (std::abs(m[i]) > Limits::max_abs_mean)
        r.fail(mk + "[" + std::to_string(i) + "]", "|mean| = " + fmt_g(std::abs(m[i])) + " exceeds the limit " +
                                                      fmt_g(Limits::max_abs_mean));
    check_covariance(r, ck, S);
    try {
      comps.emplace_back(Eigen::Map<const Vec>(m.data(), static_cast<Eigen::Index>(dim)), S);
    } catch (const std::invalid_argument& e) {
      r.fail(ck, e.what());
    }
  }
  try {
    return GaussianMixture(weights, std::move(comps));
  } catch (const std::invalid_argument& e) {
    r.fail("weights", e.what());
  }
}

NoiseSchedule schedule_from(const std::string& file, const toml::table& t, const std::string& prefix) {
  Reader r(file, t, prefix);
  const std::string kind = r.string("kind");
  auto read_T = [&] {
    const auto T = r.integer("T");
    if (T < 1) r.fail("T", "T = " + std::to_string(T) + ": T must be at least 1");
    if (T > Limits::max_T) r.fail("T", "T = " + std::to_string(T) + " exceeds the limit " + std::to_string(Limits::max_T));
    return static_cast<int>(T);
  };
  auto beta_in_range = [&](const std::string& k, double b) {
    if (!(b > 0 && b < 1)) r.fail(k, "beta = " + fmt_g(b) + " is outside (0, 1)");
    if (b < Limits::min_beta)
      r.fail(k, "beta = " + fmt_g(b) + " is below the limit " + fmt_g(Limits::min_beta) +
                    " (1 - alpha_bar would lose its relative accuracy in double precision)");
  };
  // A decreasing beta sequence is a valid Markov chain, but no schedule in the notes has one: it is almost always
  // a typo (e.g. swapped beta_start/beta_end). Refused unless the file opts in with allow_non_monotone = true.
  auto allow_non_monotone = [&] {
    if (!r.has("allow_non_monotone")) return false;
    const auto& n = r.node("allow_non_monotone");
    if (auto b = n.as_boolean()) return b->get();
    r.fail("allow_non_monotone", std::string("expected true or false, got ") + Reader::type_name(n));
  };
  auto finish = [&](const NoiseSchedule& s) {
    if (!(s.alpha_bar(s.T()) > 0))
      r.fail("", "alpha_bar_T underflows to 0 in double precision (the betas are too large for this T)");
    return s;
  };
  NoiseSchedule out = NoiseSchedule::custom({0.5});
  try {
    if (kind == "linear") {
      r.only({"kind", "T", "beta_start", "beta_end", "allow_non_monotone"});
      const int T = read_T();
      const double b0 = r.number_or("beta_start", 1e-4), b1 = r.number_or("beta_end", 0.02);
      beta_in_range("beta_start", b0);
      beta_in_range("beta_end", b1);
      if (b1 < b0 && !allow_non_monotone())
        r.fail("beta_end", "beta_end = " + fmt_g(b1) + " is smaller than beta_start = " + fmt_g(b0) +
                               ": the schedule is not monotone (set allow_non_monotone = true if intended)");
      return finish(NoiseSchedule::linear(T, b0, b1));
    }
    if (kind == "cosine") {
      r.only({"kind", "T", "s", "max_beta"});
      const int T = read_T();
      const double s = r.number_or("s", 0.008), mb = r.number_or("max_beta", 0.999);
      if (!(s >= 0 && s <= 1)) r.fail("s", "s = " + fmt_g(s) + " is outside [0, 1]");
      beta_in_range("max_beta", mb);
      out = NoiseSchedule::cosine(T, s, mb);
      for (int i = 1; i <= out.T(); ++i)
        if (!(out.beta(i) >= Limits::min_beta))
          r.fail("T", "beta_" + std::to_string(i) + " = " + fmt_g(out.beta(i)) + " is below the limit " +
                          fmt_g(Limits::min_beta) + " (T too large for this s)");
      return finish(out);
    }
    if (kind == "custom") {
      r.only({"kind", "betas", "allow_non_monotone"});
      if (const auto* a = t.get("betas"); a && a->is_array() && a->as_array()->size() > static_cast<std::size_t>(Limits::max_T))
        r.fail("betas", "more than " + std::to_string(Limits::max_T) + " betas");
      const auto betas = r.numbers_of(r.node("betas"), "betas");
      for (std::size_t i = 0; i < betas.size(); ++i) beta_in_range("betas[" + std::to_string(i) + "]", betas[i]);
      if (!allow_non_monotone())
        for (std::size_t i = 1; i < betas.size(); ++i)
          if (betas[i] < betas[i - 1])
            r.fail("betas[" + std::to_string(i) + "]",
                   "beta = " + fmt_g(betas[i]) + " is smaller than the previous " + fmt_g(betas[i - 1]) +
                       ": the schedule is not monotone (set allow_non_monotone = true if intended)");
      return finish(NoiseSchedule::custom(betas));
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(file, prefix, e.what());
  }
  r.fail("kind", "'" + kind + "' is not a schedule kind (linear, cosine, custom)");
}

ParamValue param_value(const Reader& r, const toml::node& n, const std::string& k, int depth) {
  ParamValue v;
  if (depth > 4) r.fail(k, "nested too deeply");
  if (auto i = n.as_integer()) {
    v.kind = ParamValue::Kind::integer;
    v.integer = i->get();
  } else if (auto f = n.as_floating_point()) {
    v.kind = ParamValue::Kind::number;
    v.number = f->get();
    if (!std::isfinite(v.number)) r.fail(k, "value is not finite (NaN or Inf)");
  } else if (auto b = n.as_boolean()) {
    v.kind = ParamValue::Kind::boolean;
    v.boolean = b->get();
  } else if (auto s = n.as_string()) {
    v.kind = ParamValue::Kind::string;
    v.string = s->get();
  } else if (auto a = n.as_array()) {
    v.kind = ParamValue::Kind::array;
    if (a->size() > 1'000'000) r.fail(k, "array is too long");
    for (std::size_t i = 0; i < a->size(); ++i)
      v.array.push_back(param_value(r, *a->get(i), k + "[" + std::to_string(i) + "]", depth + 1));
  } else {
    r.fail(k, std::string("unsupported value type: ") + Reader::type_name(n));
  }
  return v;
}

// A [mixture] or [schedule] entry: an inline table, or the name of a file holding that table, relative to the case
// file or else in the installed shared folder (resolve_data_file).
template <class T, class F>
T table_or_file(const Reader& r, const toml::table& root, const std::string& key, const std::string& file, F from) {
  const toml::node& n = r.node(key);
  if (auto s = n.as_string()) {
    const std::string ps = resolve_data_file(file, key, s->get());
    const toml::table t = parse(ps);
    Reader sub(ps, t, "");
    sub.only({key});
    if (!t.get(key) || !t.get(key)->is_table()) sub.fail(key, "missing [" + key + "] table");
    return from(ps, *t.get(key)->as_table(), key);
  }
  if (!n.is_table()) r.fail(key, "expected a table or a file name");
  return from(file, sub_table(r, root, key), key);
}

}  // namespace

GaussianMixture load_mixture_file(const std::string& path) {
  const toml::table t = parse(path);
  Reader r(path, t, "");
  if (!t.get("mixture")) r.fail("mixture", "missing [mixture] table");
  return table_or_file<GaussianMixture>(r, t, "mixture", path, mixture_from);
}

NoiseSchedule load_schedule_file(const std::string& path) {
  const toml::table t = parse(path);
  Reader r(path, t, "");
  if (!t.get("schedule")) r.fail("schedule", "missing [schedule] table");
  return table_or_file<NoiseSchedule>(r, t, "schedule", path, schedule_from);
}

namespace {
CaseSpec case_from(const toml::table& root, const std::string& path, const std::string& text, const ClaimSchemas& claims);
}

// The comment lines before the first TOML line (blank lines inside the block are kept as paragraph breaks).
static std::string leading_comment(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) {
      if (!out.empty()) out += "\n";
      continue;
    }
    if (line[first] != '#') break;
    std::string text = line.substr(first + 1);
    if (!text.empty() && text[0] == ' ') text.erase(0, 1);
    out += text + "\n";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

CaseSpec load_case(const std::string& path, const ClaimSchemas& claims) {
  std::string text;
  const toml::table root = parse(path, &text);
  return case_from(root, path, text, claims);
}

CaseSpec load_case_from_string(const std::string& text, const std::string& path, const ClaimSchemas& claims) {
  return case_from(parse_text(text, path), path, text, claims);
}

namespace {
CaseSpec case_from(const toml::table& root, const std::string& path, const std::string& text, const ClaimSchemas& claims) {
  Reader r(path, root, "");
  // A case names a claim registered in C++, or writes its formulas in LaTeX (no `claim`): docs/formulas.md.
  const bool formula_case = !root.contains("claim");
  if (formula_case)
    r.only({"claim", "description", "statement", "source", "budget", "mixture", "schedule", "params", "tolerance", "expect",
            "macros", "define", "grid", "model", "models", "forms", "mutants", "by_construction",
            "control_variates"});
  else
    r.only({"claim", "description", "statement", "source", "budget", "mixture", "schedule", "params", "tolerance", "expect",
            "by_construction"});
  CaseSpec c;
  c.path = path;
  c.name = fs::path(path).stem().string();
  // [params] of a formula case; their ranges are checked by the formula layer, which knows the relation they apply to.
  using PT = ParamSpec::Type;
  static const ClaimSchema formula_schema{.params = {
      {.key = "margin", .meaning = "allowed relative discrepancy of \\approx"},
      {.key = "margin_absolute", .meaning = "allowed absolute discrepancy of \\approx"},
      {.key = "levels", .meaning = "levels of a \\lim (2..8)", .type = PT::integer, .fallback = std::int64_t{3}},
      {.key = "order", .meaning = "leading error order of a \\lim (1..4)", .type = PT::integer, .fallback = std::int64_t{1}}}};
  c.claim = formula_case ? "" : r.string("claim");
  const ClaimSchema* info = nullptr;
  if (formula_case) info = &formula_schema;
  else if (auto it = claims.find(c.claim); it != claims.end()) info = &it->second;
  if (!info) {
    std::vector<std::string> names;
    for (const auto& [name, schema] : claims) names.push_back(name);
    const std::string hint = did_you_mean(c.claim, names);
    const auto close = hint.find(" (did you mean");
    r.fail("claim", "'" + c.claim + "' is not a registered claim" +
                        (close == std::string::npos ? std::string(" (`verify list` shows them; leave `claim` out to write the formulas in "
                                                     "LaTeX, docs/formulas.md)")
                                       : hint.substr(close)));
  }
  c.description = r.string_or("description", "");
  c.comment = leading_comment(text);
  c.statement = r.string("statement");
  if (c.statement.find_first_not_of(" \t\r\n") == std::string::npos) r.fail("statement", "must not be empty");
  {
    Reader s(path, sub_table(r, root, "source"), "source");
    (void)r.node("source");
    s.only({"note", "section", "line"});
    c.source = {s.string("note"), s.string("section"), 0};
    if (s.has("line")) {
      const auto line = s.integer("line");
      if (line < 1 || line > 1'000'000) s.fail("line", "must be a line number in 1..1000000");
      c.source.line = static_cast<int>(line);
    }
  }
  {
    (void)r.node("budget");
    Reader b(path, sub_table(r, root, "budget"), "budget");
    b.only({"samples", "seed", "method", "randomisations", "qmc_dims"});
    const auto n = b.integer("samples");
    if (n <= 0) b.fail("samples", "must be positive");
    if (n > Limits::max_samples)
      b.fail("samples", std::to_string(n) + " exceeds the limit " + std::to_string(Limits::max_samples));
    c.samples = static_cast<std::size_t>(n);
    const auto seed = b.integer("seed");
    if (seed < 0) b.fail("seed", "must be non-negative");
    c.seed = static_cast<std::uint64_t>(seed);
    // Variance reduction (see Method in sampling.hpp): plain | antithetic | rqmc, with rqmc's R and dimension.
    try {
      c.sampling.method = method_from_string(b.string_or("method", "plain"));
    } catch (const std::invalid_argument& e) {
      b.fail("method", e.what());
    }
    if (b.has("randomisations") || b.has("qmc_dims")) {
      if (c.sampling.method != Method::rqmc) b.fail(b.has("randomisations") ? "randomisations" : "qmc_dims", "only used with method = \"rqmc\"");
      const auto R = b.has("randomisations") ? b.integer("randomisations") : 64;
      if (R < 8 || R > 4096) b.fail("randomisations", "must be in 8..4096 (the SE has R - 1 degrees of freedom)");
      const auto D = b.has("qmc_dims") ? b.integer("qmc_dims") : 16;
      if (D < 1 || D > 1024) b.fail("qmc_dims", "must be in 1..1024");
      c.sampling.randomisations = static_cast<unsigned>(R);
      c.sampling.qmc_dims = static_cast<unsigned>(D);
    }
    if (c.sampling.method == Method::rqmc && c.samples < 2 * c.sampling.randomisations)
      b.fail("samples", "rqmc needs at least 2 points per randomisation");
  }
  c.tolerance = r.number_or("tolerance", 0.01);
  if (!(c.tolerance > 0 && c.tolerance <= 1)) r.fail("tolerance", "tolerance = " + fmt_g(c.tolerance) + " is outside (0, 1]");
  if (r.has("mixture")) c.mixture = table_or_file<GaussianMixture>(r, root, "mixture", path, mixture_from);
  if (r.has("schedule")) c.schedule = table_or_file<NoiseSchedule>(r, root, "schedule", path, schedule_from);
  if (info->needs_mixture && !c.mixture) r.fail("mixture", "claim " + c.claim + " needs a [mixture] table");
  if (info->needs_schedule && !c.schedule) r.fail("schedule", "claim " + c.claim + " needs a [schedule] table");
  {
    (void)r.node("expect");
    const auto& et = sub_table(r, root, "expect");
    Reader e(path, et, "expect");
    for (const auto& [k, v] : et) {
      const std::string ks(k.str());
      try {
        c.expect[ks] = verdict_from_string(e.string(ks));
      } catch (const std::invalid_argument& ex) {
        e.fail(ks, ex.what());
      }
    }
    if (c.expect.empty()) r.fail("expect", "states no expected verdict");
  }
  if (r.has("by_construction")) {
    // Forms that hold by construction, each with the reason (docs: cases/README.md).
    const auto& bt = sub_table(r, root, "by_construction");
    Reader e(path, bt, "by_construction");
    for (const auto& [k, v] : bt) {
      const std::string ks(k.str());
      const std::string why = e.string(ks);
      if (why.find_first_not_of(" \t\r\n") == std::string::npos) e.fail(ks, "give the reason the form holds by construction");
      c.by_construction[ks] = why;
    }
  }
  std::map<std::string, ParamValue> params;
  if (r.has("params")) {
    const auto& pt = sub_table(r, root, "params");
    Reader p(path, pt, "params");
    std::vector<std::string> allowed;
    for (const ParamSpec& spec : info->params) allowed.push_back(spec.key);
    if (formula_case)
      for (const auto& [k, v] : pt)
        if (std::find(allowed.begin(), allowed.end(), std::string(k.str())) == allowed.end())
          p.fail(std::string(k.str()), "unknown key: a case without `claim` writes its formulas in LaTeX and gives "
                                       "symbols their values in [define]; [params] takes only: margin, margin_absolute, levels, order");
    p.only(allowed);
    for (const auto& [k, v] : pt) params[std::string(k.str())] = param_value(p, v, std::string(k.str()), 0);
  }
  c.params = Params(path, std::move(params));
  if (!formula_case) c.params.check(info->params);
  if (formula_case) formula::read_formula_tables(c, path, &root, text);
  return c;
}
}  // namespace

std::vector<std::string> find_case_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir, "", "is not a directory of case files");
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".toml") continue;
    const std::string s = e.path().lexically_normal().string();
    // Only folders below `dir` count: a checkout under /home/me/mixtures/ still has its cases found.
    const std::string below = "/" + e.path().lexically_relative(dir).generic_string();
    if (below.find("/mixtures/") != std::string::npos || below.find("/schedules/") != std::string::npos) continue;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) throw InputError(dir, "", "contains no case files (*.toml)");
  return out;
}

}  // namespace verify
