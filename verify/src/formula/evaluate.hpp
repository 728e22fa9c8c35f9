#pragma once
// Evaluation of a typed expression over a block of Monte Carlo draws ("lanes"), in double (the blocks of the
// engine, vectorised over lanes: one tree walk per block, not per draw) or in 50-digit arithmetic (one lane:
// identities and the re-evaluation of doubtful draws). Random inputs are pre-drawn per lane in a fixed order
// (the Plan), so that a lane's numbers do not depend on the order of evaluation, and so that a doubtful draw can
// be replayed exactly in 50 digits from its stored double inputs.
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "oracle_t.hpp"
#include "quantile_t.hpp"
#include "verify/formula/expr.hpp"

namespace verify::formula {

// A value for every lane: lanes == 1 means the same for all lanes. Layout v[c * lanes + l], c < width
// (width 1 for scalars and indices, d for vectors, d * d row-major for matrices).
template <class T>
struct Val {
  int lanes = 1, width = 1;
  std::vector<T> v;
  Val() = default;
  Val(int l, int w) : lanes(l), width(w), v(static_cast<std::size_t>(l) * static_cast<std::size_t>(w)) {}
  T& at(int c, int l) { return v[static_cast<std::size_t>(c) * static_cast<std::size_t>(lanes) + static_cast<std::size_t>(lanes == 1 ? 0 : l)]; }
  const T& at(int c, int l) const {
    return v[static_cast<std::size_t>(c) * static_cast<std::size_t>(lanes) + static_cast<std::size_t>(lanes == 1 ? 0 : l)];
  }
};

// An evaluation that cannot proceed: division by zero, log of a non-positive value, an index out of range.
// Carries the position of the offending operation in its formula.
class EvalError : public std::runtime_error {
 public:
  EvalError(Pos p, std::string why, std::string origin = {}) : std::runtime_error(why), pos_(p), origin_(std::move(origin)) {}
  const Pos& pos() const { return pos_; }
  const std::string& origin() const { return origin_; }

 private:
  Pos pos_;
  std::string origin_;
};

// The random inputs of one grid point: which model variables are used and the noise each lane draws for them.
struct Plan {
  bool chain = false;     // x_s for steps other than 0, t, t-1 (or W_s): simulate the forward chain
  int chain_steps = 0;    // steps simulated in chain mode (x_1 .. x_chain_steps)
  bool x0 = false, eps = false, xprev = false, z = false;
  int zsteps = 0;  // fresh normals z for the steps k = 0 .. zsteps - 1 of recurrences (d each), after z
  bool pin_xt = false, pin_x0 = false;  // x_t or x_0 fixed by the grid
  struct Bound {
    int id;
    int uniforms, normals;
    bool extra;       // used only by mutants: drawn from a separate stream so that they never shift the real forms' draws
    int offset = 0;   // where its numbers start in the lane's main (or extra) noise
  };
  std::vector<Bound> bound;
  int dim = 1;
  // Per-lane sizes, in draw order: x0 (1 uniform + d normals), chain (chain_steps x d normals) or eps (d) and
  // xprev (d), z (d), then the laws of the bound variables (uniforms, normals); extra laws in the extra noise.
  int main_size = 0, extra_size = 0;
  // U (a uniform on (0, 1), one per draw): after everything above in the main noise, at u_offset.
  bool u = false;
  int u_offset = 0;
};

// Pre-drawn standard normals and uniforms of a block, per lane, in plan order. Double inputs for every T.
struct Noise {
  int lanes = 0;
  std::vector<double> main, extra;  // lane-major: lane l's numbers at [l * per_lane, (l + 1) * per_lane)
  int main_per_lane = 0, extra_per_lane = 0;
};

// Everything fixed for one grid point: the step t, pinned points, grid values, and the oracle in T.
template <class T>
struct World {
  long t = 0;
  int dim = 1;
  ScheduleT<T> schedule;
  const GaussianMixture* mixture = nullptr;
  MixtureT<T> data;
  std::vector<T> pinned_xt, pinned_x0;
  std::map<std::string, std::vector<T>> grid;  // grid values by name ("grid:\\mu")
  // Caches by step, filled on first use (by any of the engine's threads: hence the lock).
  mutable std::mutex lock;
  mutable std::map<long, std::shared_ptr<MixtureT<T>>> marginals;
  mutable std::map<long, std::shared_ptr<PosteriorT<T>>> posteriors;  // x_0 | x_s
  mutable std::map<long, std::shared_ptr<PosteriorT<T>>> reverses;    // x_{s-1} | x_s
  mutable std::map<std::pair<T, T>, std::shared_ptr<MixtureT<T>>> diffused;  // a x_0 + N(0, r I), by (a, r)
  // Tabulated inverse CDFs of 1-D laws (double only), by the laws' (weights, means, sds).
  mutable std::map<std::vector<double>, std::shared_ptr<const QuantileTable>> quantile_tables;
  const MixtureT<T>& marginal(long s) const;
  const PosteriorT<T>& posterior(long s) const;
  const PosteriorT<T>& reverse(long s) const;
  const MixtureT<T>& diffused_law(const T& a, const T& r) const;
};

template <class T>
class Evaluator {
 public:
  Evaluator(const World<T>& w, const Plan& plan, const Noise& noise, int lanes)
      : w_(w), plan_(plan), noise_(noise), lanes_(lanes) {}

  Val<T> eval(const Expr& e);
  long index(const Expr& e);  // an index expression's value (integer)

  // Values to use for expectation nodes (by address and limit level, -1 outside a limit) instead of their per-lane
  // estimates: the Monte Carlo means when the outer function of the means is evaluated.
  std::map<std::pair<const Expr*, int>, T> substitutes;

  // Where set, deterministic integrals are remembered here by their canonical text and the values of the summation
  // indices they use, so that the outer functions of a check (evaluated many times by the delta method, and once
  // per form) compute each integral once per grid point. The caller owns it (one per World).
  std::map<std::string, T>* integral_memo = nullptr;

  // Limits (\lim_{h \to 0}): evaluation at one level of a limit node (0 the coarsest); and, for planning the noise, the
  // value a limit's variable takes at its finest level when it is evaluated outside its limit.
  void enter_level(const Expr& limit, int level);
  void leave_level();
  int level() const { return levels_.empty() ? -1 : levels_.back().level; }
  void set_finest(const Expr& limit);
  // The extrapolation error of the limits evaluated since the last reset: |A_L - A_{L-1}| (largest over lanes and
  // limits), the extrapolation from all L levels against the one from the finest L - 1.
  T limit_error() const { return limit_error_; }
  void reset_limit_error() { limit_error_ = T(0); }

  // The model's random variables of this block (after eval has drawn them), for reports and replays.
  const Val<T>& x_at(long s);

  // Non-empty once a draw lost its random part to rounding (a law whose standard deviation is below
  // kResolutionUlps ulps of its mean): the first such event, in words. The estimates of this block then measure
  // rounding, and the checks built on them are numerically degenerate (Check::degenerate).
  const std::string& degenerate() const { return degenerate_; }
  static constexpr double kResolutionUlps = 64;

  // What the evaluators of one block of draws share across the grid points of a group (checks.cpp, simulate): the
  // points read the same numbers, so x_0 drawn from the data law, and the terms of a sequence that uses neither t,
  // nor a grid value, nor a random variable other than an unpinned x_0 and the z's, are the same at every point of
  // the group (one per model: a model may define the sequence differently). Null outside such a group.
  struct Shared {
    bool have_x0 = false;
    Val<T> x0;
    std::map<std::pair<std::string, int>, std::map<long, Val<T>>> rec;
  };
  Shared* shared = nullptr;

 private:
  const World<T>& w_;
  const Plan& plan_;
  const Noise& noise_;
  int lanes_;
  std::map<int, long> indices_;          // bound summation indices
  std::map<int, Val<T>> bound_;          // bound variables' current samples
  std::map<long, Val<T>> x_;             // x_s
  bool have_eps_ = false, have_z_ = false;
  int in_integral_ = 0;
  Val<T> eps_, z_;
  std::map<long, Val<T>> chain_;          // chain-mode x_s
  std::map<std::pair<std::string, int>, std::map<long, Val<T>>> rec_;  // computed terms, per recurrence (cache_key) and level
  std::map<std::string, Val<T>> quantiles_;  // F^{-1}_P(u) of this block, by canonical text (many forms use one X)
  struct Level {
    std::string key;
    T value;
    int level;
    long coarsen;  // fine steps per step at this level (2^(L-1-level))
  };
  std::vector<Level> levels_;
  std::map<std::string, T> finest_;
  T limit_error_ = T(0);
  std::string degenerate_;
  void note_resolution(const Expr& cov, const T& mean, const T& sd);
  int zdir_ = -1;  // direction of the sequence whose step is being evaluated (for the coarse-level noise)
  Val<T> limit(const Expr& e);
  std::vector<const Val<T>*> prev_;       // the neighbour inside the step being evaluated
  Val<T> zstep(long k);
  Val<T> recurrence(const Expr& e);
  std::map<const Recurrence*, bool> point_free_;  // does a sequence's value not depend on the grid point?
  bool point_free(const Recurrence& r);

  // Per-lane noise access: the k-th number of the variable's slot.
  T main_noise(int lane, int offset) const { return T(noise_.main[static_cast<std::size_t>(lane * noise_.main_per_lane + offset)]); }
  T extra_noise(int lane, int offset) const { return T(noise_.extra[static_cast<std::size_t>(lane * noise_.extra_per_lane + offset)]); }
  int offset_x0() const { return 0; }
  int offset_after_x0() const { return plan_.x0 ? 1 + plan_.dim : 0; }

  Val<T> x0();
  Val<T> eps_t();
  Val<T> xt();
  Val<T> xprev();
  Val<T> chain_x(long s);
  Val<T> zv();
  Val<T> wv(long s);
  Val<T> sample(const Dist& d, int id);
  Val<T> log_density(const Dist& d, const Val<T>& at);
  Val<T> score(const Dist& d, const Val<T>& at);
  Val<T> integral(const Expr& e);
  struct IntegralKey {
    bool memo = false;         // false: the body uses a bound variable, a limit or a sequence (not remembered)
    std::string text;          // canonical text of the integral
    std::vector<int> indices;  // the summation indices its body uses, in order
  };
  std::map<const Expr*, IntegralKey> integral_keys_;
  std::string integral_key(const Expr& e);  // "" when not remembered
  Val<T> integral_uncached(const Expr& e);
  // The discrete latent: the mixture's pieces at a component number, a table of probabilities, a categorical law.
  Val<T> component(const Expr& e);
  Val<T> tabulate(const Expr& e);
  Val<T> categorical_probs(const Dist& d, int lanes_needed);
  long latent_value(const Expr& where, const T& k, long K) const;
  const Val<T>& responsibilities(const Val<T>& x);  // p(k | x) for every lane (width K), cached for the last x
  Val<T> resp_x_, resp_;
  std::map<std::string, Val<T>> tables_;  // tabulate nodes with a key (Expr::latex), computed once per block
  std::set<std::string> checked_tables_;  // ... and their probabilities checked once
  [[noreturn]] void fail(const Expr& e, const std::string& why) const { throw EvalError(e.pos, why, e.origin); }
};

extern template class Evaluator<double>;
extern template class Evaluator<mp50>;
extern template struct World<double>;
extern template struct World<mp50>;

}  // namespace verify::formula
