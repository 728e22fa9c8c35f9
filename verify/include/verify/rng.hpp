#pragma once
// Counter-based random numbers: Random123 Philox4x32-10 with our own uniform and normal transforms,
// so that a (seed, stream, block) triple names the same numbers on every platform and thread count.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

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
  double uniform() {
    if (pos_ >= 4) refill();
    const std::uint64_t hi = out_[pos_], lo = out_[pos_ + 1];
    pos_ += 2;
    const std::uint64_t bits = (hi << 21) ^ (lo >> 11);  // 53 bits
    return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
  }

  // Standard normal by the Box-Muller transform (both outputs used).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double u1 = uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    have_spare_ = true;
    return r * std::cos(theta);
  }

  void normals(double* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = normal();
  }

 private:
  void refill() {
    out_ = Philox()(ctr_, key_);
    ++ctr_.v[0];
    pos_ = 0;
  }

  Philox::key_type key_{};
  Philox::ctr_type ctr_{};
  Philox::ctr_type out_{};
  unsigned pos_ = 4;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace verify
