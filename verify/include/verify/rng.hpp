#pragma once
// Counter-based random numbers: Random123 Philox4x32-10 with our own uniform and normal transforms,
// so that a (seed, stream, block) triple names the same numbers on every platform and thread count.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

#include "verify/kernels.hpp"

namespace verify {

// FNV-1a, used to turn a check's name into a stream id that does not depend on registration order.
constexpr std::uint64_t stream_id(std::string_view name) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

class Rng {
 public:
  using Philox = r123::Philox4x32;

  // key = run seed; counter = (draw index, block index, stream id). Distinct blocks and streams never
  // share a counter value, so their numbers are independent by construction.
  Rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t block) {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    ctr_ = {{0u, static_cast<std::uint32_t>(block),
             static_cast<std::uint32_t>(stream ^ (block >> 32)), static_cast<std::uint32_t>(stream >> 32)}};
  }

  // Uniform on the open interval (0, 1) with 53 random bits; never returns 0 or 1, so log() is safe.
  // In the engine's variance-reduction modes (see set_mirror / set_qmc) the value is mirrored (1 - u) or
  // taken from a quasi-random point; in the default mode the stream is exactly the plain Philox stream.
  double uniform() {
    if (qmc_left_) [[unlikely]] {
      --qmc_left_;
      return *qmc_++;
    }
    if (!mirror_) return raw_uniform();
    // 1 - u exactly: complement the 53 bits, so the mirror is never 0 or 1 either.
    if (pos_ >= 4) refill();
    const std::uint64_t hi = out_[pos_], lo = out_[pos_ + 1];
    pos_ += 2;
    const std::uint64_t bits = ((hi << 21) ^ (lo >> 11)) ^ ((std::uint64_t{1} << 53) - 1);
    return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
  }

  // Standard normal by the Box-Muller transform (both outputs used). Mirrored mode negates it; in
  // quasi-random mode the next quasi-random uniform goes through the inverse normal CDF.
  double normal() {
    if (qmc_left_) [[unlikely]] {
      --qmc_left_;
      return kernels::normal_quantile_fast(*qmc_++);
    }
    const double z = raw_normal();
    return mirror_ ? -z : z;
  }

  // n draws of normal(), value for value.
  void normals(double* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = normal();
  }

  // n standard normals in bulk (vectorised; several times faster than normal() for n >= 32). Same Philox
  // uniforms as normal() would use from fresh counters, but our own polynomial log/sin/cos, so values differ
  // from normal()'s in the last bits, and the stream position afterwards differs too: use it in new code only.
  // Honours the mirror and quasi-random modes like normal().
  void fill_normals(double* out, std::size_t n) {
    std::size_t i = 0;
    for (; qmc_left_ && i < n; ++i) out[i] = normal();
    if (i == n) return;
    pos_ = 4;
    ctr_.v[0] += static_cast<std::uint32_t>(kernels::philox_normals(key_.v, ctr_.v, out + i, n - i));
    if (mirror_)
      for (std::size_t j = i; j < n; ++j) out[j] = -out[j];
  }

  // n uniforms in bulk, same conventions as fill_normals.
  void fill_uniforms(double* out, std::size_t n) {
    std::size_t i = 0;
    for (; qmc_left_ && i < n; ++i) out[i] = uniform();
    if (i == n) return;
    pos_ = 4;
    ctr_.v[0] += static_cast<std::uint32_t>(kernels::philox_uniforms(key_.v, ctr_.v, out + i, n - i));
    if (mirror_)
      for (std::size_t j = i; j < n; ++j) out[j] = 1.0 - out[j];
  }

  // 64 raw random bits (never mirrored or quasi-random); used by the engine for random shifts.
  std::uint64_t bits64() {
    if (pos_ >= 4) refill();
    const std::uint64_t hi = out_[pos_], lo = out_[pos_ + 1];
    pos_ += 2;
    return (hi << 32) | lo;
  }

  // Engine hooks. Antithetic sampling replays a copy of the stream with mirror set: uniforms become 1 - u
  // and normals -z, so f(stream) and f(mirror) have the same distribution. Randomised quasi-Monte Carlo
  // hands the next d uniforms (normals by inverse CDF) from a randomly shifted Sobol point u[0..d).
  void set_mirror(bool on) { mirror_ = on; }
  void set_qmc(const double* u, unsigned d) {
    qmc_ = u;
    qmc_left_ = d;
  }

 private:
  void refill() {
    out_ = Philox()(ctr_, key_);
    ++ctr_.v[0];
    pos_ = 0;
  }

  double raw_uniform() {
    if (pos_ >= 4) refill();
    const std::uint64_t hi = out_[pos_], lo = out_[pos_ + 1];
    pos_ += 2;
    const std::uint64_t bits = (hi << 21) ^ (lo >> 11);  // 53 bits
    return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
  }

  double raw_normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double u1 = raw_uniform(), u2 = raw_uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    have_spare_ = true;
    return r * std::cos(theta);
  }

  Philox::key_type key_{};
  Philox::ctr_type ctr_{};
  Philox::ctr_type out_{};
  unsigned pos_ = 4;
  bool have_spare_ = false;
  bool mirror_ = false;
  unsigned qmc_left_ = 0;
  double spare_ = 0.0;
  const double* qmc_ = nullptr;
};

}  // namespace verify
