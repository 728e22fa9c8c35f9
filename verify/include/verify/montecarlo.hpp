#pragma once
// The Monte Carlo engine: fixed-size blocks, one counter-based stream per block, partial moments merged
// in block order. The same seed gives bit-identical results for any thread count.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verify/interrupt.hpp"
#include "verify/rng.hpp"
#include "verify/stats.hpp"

namespace verify {

class MonteCarlo {
 public:
  static constexpr std::size_t kBlock = 4096;

  // scope (normally the case name) is mixed into every stream id, so two cases never share numbers
  // by accident while two estimators of one case can share them on purpose.
  MonteCarlo(std::uint64_t seed, int threads, std::string scope = {})
      : seed_(seed), threads_(threads < 1 ? 1 : threads), scope_(std::move(scope)) {}
  std::uint64_t stream(std::string_view name) const { return stream_id(scope_ + "/" + std::string(name)); }
  std::uint64_t seed() const { return seed_; }
  int threads() const { return threads_; }

  // Mean of f(rng) over n draws. The stream name selects the random numbers: two estimators with the
  // same name see the same numbers (common random numbers), different names independent ones.
  template <class F>
  Estimate mean(std::string_view stream, std::size_t n, F&& f) const {
    const std::uint64_t sid = this->stream(stream);
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<Moments> partial(blocks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (std::size_t b = 0; b < blocks; ++b) {
      if (interrupted()) continue;  // stop drawing promptly; the runner discards the partial result
      Rng rng(seed_, sid, b);
      const std::size_t count = std::min(kBlock, n - b * kBlock);
      Moments m;
      for (std::size_t i = 0; i < count; ++i) m.add(f(rng));
      partial[b] = m;
    }
    Moments total;
    std::vector<TracePoint> trace;
    for (std::size_t b = 0; b < blocks; ++b) {
      total.merge(partial[b]);
      if (((b + 1) & b) == 0 || b + 1 == blocks) {  // after 1, 2, 4, 8, ... blocks and at the end
        const Estimate e = Estimate::from_moments(total);
        trace.push_back({e.samples, e.mean, e.std_error});
      }
    }
    Estimate out = Estimate::from_moments(total);
    out.trace = std::move(trace);
    return out;
  }

  // Several means from one draw: f(rng, out) writes k values per draw. Returns one Estimate per output
  // and the k x k covariance of the integrand (for SEs of linear combinations, e.g. regressions).
  struct Multi {
    std::vector<Estimate> estimates;
    std::vector<double> covariance;  // row-major k x k, of the integrand (not of the mean)
    std::size_t samples = 0;
    double cov(std::size_t i, std::size_t j) const { return covariance[i * estimates.size() + j]; }
  };

  template <class F>
  Multi means(std::string_view stream, std::size_t n, std::size_t k, F&& f) const {
    const std::uint64_t sid = this->stream(stream);
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<BlockMulti> partial(blocks, BlockMulti(k));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (std::size_t b = 0; b < blocks; ++b) {
      if (interrupted()) continue;  // stop drawing promptly; the runner discards the partial result
      Rng rng(seed_, sid, b);
      const std::size_t count = std::min(kBlock, n - b * kBlock);
      std::vector<double> out(k);
      BlockMulti& acc = partial[b];
      for (std::size_t i = 0; i < count; ++i) {
        f(rng, std::span<double>(out));
        acc.add(out);
      }
    }
    BlockMulti total(k);
    for (const auto& p : partial) total.merge(p);
    return total.finish();
  }

 private:
  // Per-output moments plus the co-moment matrix, merged with Chan's pairwise formula.
  struct BlockMulti {
    explicit BlockMulti(std::size_t k) : m(k), c(k * k, 0.0) {}
    std::vector<Moments> m;
    std::vector<double> c;  // co-moments sum (x_i - mean_i)(x_j - mean_j)
    void add(const std::vector<double>& x);
    void merge(const BlockMulti& o);
    Multi finish() const;
  };

  std::uint64_t seed_;
  int threads_;
  std::string scope_;
};

}  // namespace verify
