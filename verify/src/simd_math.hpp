#pragma once
// Private to the library: inline polynomial exp/log (fdlibm) that vectorise inside loops, and the macro that
// clones a kernel for AVX2 and baseline x86-64. Strict IEEE: no FMA contraction, no fast-math.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(VERIFY_NO_CLONES)
#define VERIFY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VERIFY_CLONES
#endif
#define VERIFY_INLINE inline __attribute__((always_inline))

namespace verify::kernels::detail {

// fdlibm e_log.c for finite x > 0 (normal numbers).
VERIFY_INLINE double log_poly(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                   Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                   Lg7 = 1.479819860511658591e-01;
  // Reduce x = 2^k m with m in [sqrt(2)/2, sqrt(2)).
  const std::uint64_t ix = std::bit_cast<std::uint64_t>(x) + (0x3ff0000000000000ULL - 0x3fe6a09e00000000ULL);
  const double k = std::bit_cast<double>((ix >> 52) | 0x4330000000000000ULL) - 0x1p52 - 1023.0;
  const double m = std::bit_cast<double>((ix & 0x000fffffffffffffULL) + 0x3fe6a09e00000000ULL);
  const double f = m - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const double R = t2 + t1;
  return k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
}

// fdlibm e_exp.c with a branch-free reduction; the scale 2^k is applied in two exact halves so that
// results down to the subnormal range are right.
VERIFY_INLINE double exp_poly(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                   invln2 = 1.44269504088896338700e+00;
  constexpr double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
                   P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  double xc = x < -746.0 ? -746.0 : x;
  xc = xc > 710.0 ? 710.0 : xc;
  const double kd = (xc * invln2 + 0x1.8p52) - 0x1.8p52;  // nearest integer, |kd| <= 1077
  const double hi = xc - kd * ln2_hi, lo = kd * ln2_lo;
  const double r = hi - lo;
  const double t = r * r;
  const double c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  // 2^kd = 2^k1 2^k2 with both halves normal numbers; biased exponents read off the mantissa of e + 2^52.
  const double k1 = (kd * 0.5 + 0x1.8p52) - 0x1.8p52, k2 = kd - k1;
  const std::uint64_t e1 = std::bit_cast<std::uint64_t>(k1 + 1023.0 + 0x1p52) & 0x7ffULL;
  const std::uint64_t e2 = std::bit_cast<std::uint64_t>(k2 + 1023.0 + 0x1p52) & 0x7ffULL;
  const double s1 = std::bit_cast<double>(e1 << 52), s2 = std::bit_cast<double>(e2 << 52);
  double out = y * s1 * s2;
  out = x > 709.782712893384 ? std::numeric_limits<double>::infinity() : out;
  out = x < -745.2 ? 0.0 : out;
  return x != x ? x : out;
}

}  // namespace verify::kernels::detail
