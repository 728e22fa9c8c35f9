#pragma once
// The Monte Carlo engine: fixed-size blocks, one counter-based stream per block, partial moments merged
// in block order. The same seed gives bit-identical results for any thread count.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verify/interrupt.hpp"
#include "verify/rng.hpp"
#include "verify/sampling.hpp"
#include "verify/stats.hpp"

namespace verify {

// A block of randomly shifted Sobol points (points first .. first + count - 1 of randomisation r).
class QmcPoints {
 public:
  QmcPoints(unsigned dims, std::uint64_t first, const std::uint64_t* shift);
  ~QmcPoints();
  QmcPoints(const QmcPoints&) = delete;
  QmcPoints& operator=(const QmcPoints&) = delete;
  const double* next();  // the next point's dims coordinates in (0, 1)
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class MonteCarlo {
 public:
  static constexpr std::size_t kBlock = 4096;
  static constexpr std::size_t kRows = 256;  // draws per reduction chunk in means()

  // scope (normally the case name) is mixed into every stream id, so two cases never share numbers
  // by accident while two estimators of one case can share them on purpose.
  MonteCarlo(std::uint64_t seed, int threads, std::string scope = {}, Sampling sampling = {})
      : seed_(seed), threads_(threads < 1 ? 1 : threads), scope_(std::move(scope)), sampling_(sampling) {
    if (sampling_.randomisations < 2) sampling_.randomisations = 2;
    if (sampling_.qmc_dims < 1) sampling_.qmc_dims = 1;
  }
  const Sampling& sampling() const { return sampling_; }
  std::uint64_t stream(std::string_view name) const { return stream_id(scope_ + "/" + std::string(name)); }
  std::uint64_t seed() const { return seed_; }
  int threads() const { return threads_; }

  // Mean of f(rng) over n draws. The stream name selects the random numbers: two estimators with the
  // same name see the same numbers (common random numbers), different names independent ones.
  template <class F>
  Estimate mean(std::string_view stream, std::size_t n, F&& f) const {
    if (sampling_.method == Method::antithetic) return mean_antithetic(stream, n, f);
    if (sampling_.method == Method::rqmc) return mean_rqmc(stream, n, f);
    const std::uint64_t sid = this->stream(stream);
    const Layout l = layout(n);
    std::vector<Moments> partial(l.blocks());
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      Moments m;
      for (std::size_t i = 0, count = l.count(b); i < count; ++i) m.add(f(rng));
      partial[b] = m;
    });
    return finish_blocks(partial, EstimateMethod::plain);
  }

  // Mean of a vectorised integrand: f(rng, out) fills out.size() (at most kChunk) independent draws at once,
  // e.g. from rng.fill_normals and batch densities. Same blocks, streams and determinism as mean(); under
  // antithetic the chunk is replayed mirrored and averaged draw by draw; under rqmc f is called with one
  // draw at a time (each draw needs its own quasi-random point), which is correct but not faster.
  static constexpr std::size_t kChunk = 256;
  template <class F>
  Estimate mean_batch(std::string_view stream, std::size_t n, F&& f) const {
    if (sampling_.method == Method::rqmc) {
      auto one = [&](Rng& r) {
        double v;
        f(r, std::span<double>(&v, 1));
        return v;
      };
      return mean_rqmc(stream, n, one);
    }
    const bool anti = sampling_.method == Method::antithetic;
    const std::uint64_t sid = this->stream(stream);
    const Layout l = layout(n);
    std::vector<Moments> partial(l.blocks()), singles(l.blocks());
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      const std::size_t count = l.count(b);
      double buf[kChunk], mirrored[kChunk];
      Moments m, single;
      for (std::size_t first = 0; first < count; first += kChunk) {
        const std::size_t c = std::min(kChunk, count - first);
        if (anti) {
          Rng mirror = rng;
          mirror.set_mirror(true);
          f(rng, std::span<double>(buf, c));
          f(mirror, std::span<double>(mirrored, c));
          for (std::size_t i = 0; i < c; ++i) {
            single.add(buf[i]);
            single.add(mirrored[i]);
            buf[i] = 0.5 * (buf[i] + mirrored[i]);
          }
        } else {
          f(rng, std::span<double>(buf, c));
        }
        for (std::size_t i = 0; i < c; ++i) m.add(buf[i]);
      }
      partial[b] = m;
      singles[b] = single;
    });
    return anti ? finish_antithetic(partial, singles) : finish_blocks(partial, EstimateMethod::plain);
  }

  // Several means from one draw: f(rng, out) writes k values per draw. Returns one Estimate per output
  // and the k x k covariance of the integrand (for SEs of linear combinations, e.g. regressions).
  // Under rqmc the covariance is the effective one, samples x (covariance of the estimated means), so that
  // covariance / samples stays the covariance of the means for every method.
  struct Multi {
    std::vector<Estimate> estimates;
    std::vector<double> covariance;  // row-major k x k, of the integrand (not of the mean)
    std::size_t samples = 0;
    double cov(std::size_t i, std::size_t j) const { return covariance[i * estimates.size() + j]; }
  };

  // A chunk of up to kChunk draws handed to a vectorised integrand with several outputs (the formula evaluator).
  // Call lane(j) for j = 0, 1, ..., size() - 1, in order, before drawing lane j's numbers from rng(): under rqmc it
  // loads lane j's quasi-random point; otherwise it does nothing. block() and first() name the draws (for records
  // kept per block, e.g. the worst residuals, which stay deterministic under any thread count).
  class Lanes {
   public:
    Rng& rng() { return *rng_; }
    std::size_t size() const { return n_; }
    std::uint64_t block() const { return block_; }
    std::size_t first() const { return first_; }
    bool mirrored() const { return mirrored_; }
    void lane(std::size_t) {
      if (q_) rng_->set_qmc(q_->next(), dims_);
    }

   private:
    friend class MonteCarlo;
    Rng* rng_ = nullptr;
    QmcPoints* q_ = nullptr;
    unsigned dims_ = 0;
    std::size_t n_ = 0, first_ = 0;
    std::uint64_t block_ = 0;
    bool mirrored_ = false;
  };

  // Means of k outputs of a vectorised integrand: f(Lanes&, double* out) writes output i of lane j to
  // out[i * lanes.size() + j]. Same blocks, streams, methods and determinism as means(); estimates of plain and
  // antithetic runs carry the doubling trace.
  template <class F>
  Multi means_lanes(std::string_view stream, std::size_t n, std::size_t k, F&& f) const {
    const std::uint64_t sid = this->stream(stream);
    const bool anti = sampling_.method == Method::antithetic, rqmc = sampling_.method == Method::rqmc;
    const std::size_t D = sampling_.qmc_dims;
    const Layout l = layout(n);
    const std::vector<std::uint64_t> shifts = rqmc ? qmc_shifts(sid) : std::vector<std::uint64_t>{};
    std::vector<BlockMulti> partial(l.blocks(), BlockMulti(k));
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      std::unique_ptr<QmcPoints> q;
      if (rqmc) q = std::make_unique<QmcPoints>(static_cast<unsigned>(D), l.first(b), shifts.data() + l.randomisation(b) * D);
      const std::size_t count = l.count(b);
      std::vector<double> out(k * kChunk), mirrored(anti ? k * kChunk : 0), rows(k * kChunk);
      for (std::size_t first = 0; first < count; first += kChunk) {
        const std::size_t c = std::min(kChunk, count - first);
        Lanes L;
        L.rng_ = &rng;
        L.q_ = q.get();
        L.dims_ = static_cast<unsigned>(D);
        L.n_ = c;
        L.first_ = first;
        L.block_ = b;
        if (anti) {
          Rng mirror = rng;
          mirror.set_mirror(true);
          f(L, out.data());
          Lanes M = L;
          M.rng_ = &mirror;
          M.mirrored_ = true;
          f(M, mirrored.data());
          for (std::size_t i = 0; i < k * c; ++i) out[i] = 0.5 * (out[i] + mirrored[i]);
        } else {
          f(L, out.data());
        }
        for (std::size_t lane = 0; lane < c; ++lane)
          for (std::size_t i = 0; i < k; ++i) rows[lane * k + i] = out[i * c + lane];
        partial[b].add_rows(rows.data(), c);
      }
    });
    if (rqmc) return finish_rqmc_multi(partial, l.R, l.bpr, k);
    BlockMulti total(k);
    std::vector<std::vector<TracePoint>> traces(k);
    for (std::size_t b = 0; b < partial.size(); ++b) {
      total.merge(partial[b]);
      if (((b + 1) & b) == 0 || b + 1 == partial.size())
        for (std::size_t i = 0; i < k; ++i) {
          const Estimate e = Estimate::from_moments(total.m[i]);
          traces[i].push_back({e.samples, e.mean, e.std_error});
        }
    }
    Multi res = total.finish();
    for (std::size_t i = 0; i < k; ++i) {
      res.estimates[i].trace = std::move(traces[i]);
      res.estimates[i].method = anti ? EstimateMethod::antithetic : EstimateMethod::plain;
    }
    return res;
  }

  template <class F>
  Multi means(std::string_view stream, std::size_t n, std::size_t k, F&& f) const {
    if (sampling_.method == Method::antithetic) return means_antithetic(stream, n, k, f);
    if (sampling_.method == Method::rqmc) return means_rqmc(stream, n, k, f);
    const std::uint64_t sid = this->stream(stream);
    const Layout l = layout(n);
    std::vector<BlockMulti> partial(l.blocks(), BlockMulti(k));
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      const std::size_t count = l.count(b);
      // Draws are buffered kRows at a time and reduced by a two-pass (mean, then centred sums and a
      // rank-k update) instead of k^2 Welford updates per draw.
      std::vector<double> rows(kRows * k);
      std::size_t filled = 0;
      BlockMulti& acc = partial[b];
      for (std::size_t i = 0; i < count; ++i) {
        f(rng, std::span<double>(rows.data() + filled * k, k));
        if (++filled == kRows) {
          acc.add_rows(rows.data(), filled);
          filled = 0;
        }
      }
      if (filled) acc.add_rows(rows.data(), filled);
    });
    BlockMulti total(k);
    for (const auto& p : partial) total.merge(p);
    return total.finish();
  }

 private:
  // Where an estimator's draws go: R randomisations (1 unless rqmc) of `per` draws each (n; n/2 pairs under
  // antithetic; n/R points per randomisation under rqmc), cut into bpr blocks of kBlock draws per randomisation.
  // Block b is block b % bpr of randomisation b / bpr and draws from the stream counter b.
  struct Layout {
    std::size_t R = 1, per = 0, bpr = 0;
    std::size_t blocks() const { return R * bpr; }
    std::size_t randomisation(std::size_t b) const { return b / bpr; }
    std::size_t first(std::size_t b) const { return (b % bpr) * kBlock; }  // first draw of block b in its randomisation
    std::size_t count(std::size_t b) const { return std::min(kBlock, per - first(b)); }
  };
  Layout layout(std::size_t n) const {
    Layout l;
    if (sampling_.method == Method::rqmc) {
      l.R = sampling_.randomisations;
      l.per = std::max<std::size_t>(1, n / l.R);
    } else {
      l.per = sampling_.method == Method::antithetic ? std::max<std::size_t>(1, n / 2) : n;
    }
    l.bpr = (l.per + kBlock - 1) / kBlock;
    return l;
  }

  // The one block loop of every estimator: body(b, rng) fills block b's partial moments from the block's own
  // counter-based stream, so the result does not depend on how OpenMP spreads the blocks over threads. Once
  // interrupted the remaining blocks are skipped (the runner discards the partial result).
  template <class Body>
  void for_each_block(std::uint64_t sid, const Layout& l, Body&& body) const {
    const std::size_t blocks = l.blocks();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (std::size_t b = 0; b < blocks; ++b) {
      if (interrupted()) continue;
      Rng rng(seed_, sid, b);
      body(b, rng);
    }
  }

  // The Sobol points of block b of an rqmc layout (its randomisation's shift, from its first draw on).
  QmcPoints qmc_points(const Layout& l, std::size_t b, const std::vector<std::uint64_t>& shifts) const {
    return QmcPoints(sampling_.qmc_dims, l.first(b), shifts.data() + l.randomisation(b) * sampling_.qmc_dims);
  }
  // Per-output moments plus the co-moment matrix, merged with Chan's pairwise formula.
  struct BlockMulti {
    explicit BlockMulti(std::size_t k) : m(k), c(k * k, 0.0) {}
    std::vector<Moments> m;
    std::vector<double> c;  // co-moments sum (x_i - mean_i)(x_j - mean_j)
    void add(const std::vector<double>& x);
    // rows draws stored row-major (rows x k): exact central sums of the chunk, merged in.
    void add_rows(const double* x, std::size_t rows);
    void merge(const BlockMulti& o);
    Multi finish() const;
  };

  template <class F>
  Estimate mean_antithetic(std::string_view stream, std::size_t n, F& f) const {
    const std::uint64_t sid = this->stream(stream);
    const Layout l = layout(n);
    std::vector<Moments> partial(l.blocks()), singles(l.blocks());
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      const std::size_t count = l.count(b);
      Moments m, single;
      for (std::size_t i = 0; i < count; ++i) {
        Rng mirror = rng;
        mirror.set_mirror(true);
        const double a = f(rng), a2 = f(mirror);
        m.add(0.5 * (a + a2));
        single.add(a);
        single.add(a2);
      }
      partial[b] = m;
      singles[b] = single;
    });
    return finish_antithetic(partial, singles);
  }

  template <class F>
  Estimate mean_rqmc(std::string_view stream, std::size_t n, F& f) const {
    const std::uint64_t sid = this->stream(stream);
    const unsigned D = sampling_.qmc_dims;
    const Layout l = layout(n);
    const std::vector<std::uint64_t> shifts = qmc_shifts(sid);
    std::vector<Moments> partial(l.blocks());
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      QmcPoints q = qmc_points(l, b, shifts);
      Moments mo;
      for (std::size_t i = 0, count = l.count(b); i < count; ++i) {
        rng.set_qmc(q.next(), D);
        mo.add(f(rng));
      }
      partial[b] = mo;
    });
    return finish_rqmc(partial, l.R, l.bpr);
  }

  template <class F>
  Multi means_antithetic(std::string_view stream, std::size_t n, std::size_t k, F& f) const {
    const std::uint64_t sid = this->stream(stream);
    const Layout l = layout(n);
    std::vector<BlockMulti> partial(l.blocks(), BlockMulti(k));
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      const std::size_t count = l.count(b);
      std::vector<double> out(k), out2(k);
      BlockMulti& acc = partial[b];
      for (std::size_t i = 0; i < count; ++i) {
        Rng mirror = rng;
        mirror.set_mirror(true);
        f(rng, std::span<double>(out));
        f(mirror, std::span<double>(out2));
        for (std::size_t j = 0; j < k; ++j) out[j] = 0.5 * (out[j] + out2[j]);
        acc.add(out);
      }
    });
    BlockMulti total(k);
    for (const auto& p : partial) total.merge(p);
    Multi res = total.finish();
    for (auto& e : res.estimates) e.method = EstimateMethod::antithetic;
    return res;
  }

  template <class F>
  Multi means_rqmc(std::string_view stream, std::size_t n, std::size_t k, F& f) const {
    const std::uint64_t sid = this->stream(stream);
    const unsigned D = sampling_.qmc_dims;
    const Layout l = layout(n);
    const std::vector<std::uint64_t> shifts = qmc_shifts(sid);
    std::vector<BlockMulti> partial(l.blocks(), BlockMulti(k));
    for_each_block(sid, l, [&](std::size_t b, Rng& rng) {
      QmcPoints q = qmc_points(l, b, shifts);
      std::vector<double> out(k);
      BlockMulti& acc = partial[b];
      for (std::size_t i = 0, count = l.count(b); i < count; ++i) {
        rng.set_qmc(q.next(), D);
        f(rng, std::span<double>(out));
        acc.add(out);
      }
    });
    return finish_rqmc_multi(partial, l.R, l.bpr, k);
  }

  // Random shifts of the R randomisations (R x qmc_dims words), from their own counters.
  std::vector<std::uint64_t> qmc_shifts(std::uint64_t sid) const;
  // Merges block moments in order into an Estimate with a doubling trace.
  static Estimate finish_blocks(const std::vector<Moments>& partial, EstimateMethod method);
  // Pair means give the SE; single evaluations give std_dev (the integrand's, as for plain). The SE is
  // floored at 64 ulps of (|mean| + std_dev): an integrand odd in the normals has exactly zero pair
  // variance, and rounding must then not pass for a significant discrepancy.
  static Estimate finish_antithetic(const std::vector<Moments>& partial, const std::vector<Moments>& singles);
  Estimate finish_rqmc(const std::vector<Moments>& partial, std::size_t R, std::size_t bpr) const;
  Multi finish_rqmc_multi(const std::vector<BlockMulti>& partial, std::size_t R, std::size_t bpr, std::size_t k) const;

  std::uint64_t seed_;
  int threads_;
  std::string scope_;
  Sampling sampling_;
};

// Ratio of the Student-t(dof) and normal two-sided quantiles at level 1e-6 (the rqmc SE inflation).
double t_inflation(double dof);

}  // namespace verify
