// Bulk kernels. Written as plain loops over small structure-of-arrays chunks so that the compiler
// vectorises them; each exported kernel is cloned for AVX2 and for baseline x86-64 and dispatched at load
// time. Built with -fno-math-errno and -fno-trapping-math (see verify/CMakeLists.txt) so that sqrt and the
// selects vectorise; neither changes a result. No -ffast-math: every operation is an IEEE operation in a
// fixed order, so both clones (and any machine) give the same bits. The polynomials are fdlibm's (Sun Microsystems, freely distributable).
#include "verify/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "simd_math.hpp"

namespace verify::kernels {

namespace {
using detail::exp_poly;
using detail::log_poly;

constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
constexpr std::size_t kLanes = 16;  // counters per chunk

// Ten Philox rounds on kLanes counters held as four word arrays.
VERIFY_INLINE void philox_chunk(std::uint32_t k0, std::uint32_t k1, std::uint32_t* c0, std::uint32_t* c1,
                                std::uint32_t* c2, std::uint32_t* c3) {
  for (int r = 0; r < 10; ++r) {
    for (std::size_t l = 0; l < kLanes; ++l) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0[l];
      const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2[l];
      const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
      const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
      c1[l] = static_cast<std::uint32_t>(p1);
      c3[l] = static_cast<std::uint32_t>(p0);
      c0[l] = n0;
      c2[l] = n2;
    }
    k0 += kW0;
    k1 += kW1;
  }
}

VERIFY_INLINE void load_counters(const std::uint32_t ctr[4], std::size_t first, std::uint32_t* c0, std::uint32_t* c1,
                                 std::uint32_t* c2, std::uint32_t* c3) {
  for (std::size_t l = 0; l < kLanes; ++l) {
    c0[l] = ctr[0] + static_cast<std::uint32_t>(first + l);
    c1[l] = ctr[1];
    c2[l] = ctr[2];
    c3[l] = ctr[3];
  }
}

// Exact conversion of an integer below 2^53 to double without a 64-bit integer convert instruction.
VERIFY_INLINE double u53_to_double(std::uint64_t bits) {
  const double half = std::bit_cast<double>((bits >> 1) | 0x4330000000000000ULL) - 0x1p52;
  const double low = std::bit_cast<double>((bits & 1ULL) | 0x4330000000000000ULL) - 0x1p52;
  return 2.0 * half + low;
}

// Same value as Rng::uniform() on the words (hi, lo).
VERIFY_INLINE double uniform_of(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (static_cast<std::uint64_t>(lo) >> 11);
  return (u53_to_double(bits) + 0.5) * 0x1p-53;
}

// cos(2 pi u) and sin(2 pi u) for u in [0, 1]: exact reduction in u, then fdlibm kernels on [-pi/4, pi/4].
VERIFY_INLINE void cos_sin_2pi(double u, double& c_out, double& s_out) {
  constexpr double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
                   S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  constexpr double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
                   C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  constexpr double two_pi = 6.283185307179586476925;
  const double v = u - ((u + 0x1.8p52) - 0x1.8p52);           // in [-1/2, 1/2], exact
  const double q4 = v * 4.0;                                   // exact
  const double qs = q4 + 0x1.8p52;
  const double q = qs - 0x1.8p52;                              // nearest integer in {-2..2}
  const std::uint64_t qi = (std::bit_cast<std::uint64_t>(qs) - std::bit_cast<std::uint64_t>(0x1.8p52)) & 3u;
  const double w = v - 0.25 * q;                               // in [-1/8, 1/8], exact
  const double x = w * two_pi;
  const double z = x * x;
  const double rs = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  const double sn = x + (z * x) * (S1 + z * rs);
  const double rc = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const double hz = 0.5 * z, wc = 1.0 - hz;
  const double cs = wc + (((1.0 - wc) - hz) + z * rc);
  const bool swap = (qi & 1u) != 0;
  const double a = swap ? sn : cs, b = swap ? cs : sn;
  const bool neg_c = qi == 1u || qi == 2u, neg_s = qi >= 2u;
  c_out = neg_c ? -a : a;
  s_out = neg_s ? -b : b;
}

// One chunk: kLanes counters -> 2 kLanes normals in out (interleaved cos, sin per counter).
VERIFY_INLINE void normal_chunk(const std::uint32_t key[2], const std::uint32_t ctr[4], std::size_t first, double* out) {
  alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  load_counters(ctr, first, c0, c1, c2, c3);
  philox_chunk(key[0], key[1], c0, c1, c2, c3);
  alignas(64) double rr[kLanes], cc[kLanes], ss[kLanes];
  for (std::size_t l = 0; l < kLanes; ++l) {
    const double u1 = uniform_of(c0[l], c1[l]), u2 = uniform_of(c2[l], c3[l]);
    rr[l] = std::sqrt(-2.0 * log_poly(u1));
    cos_sin_2pi(u2, cc[l], ss[l]);
  }
  for (std::size_t l = 0; l < kLanes; ++l) {
    out[2 * l] = rr[l] * cc[l];
    out[2 * l + 1] = rr[l] * ss[l];
  }
}

}  // namespace

VERIFY_CLONES
void philox4x32_10(const std::uint32_t key[2], const std::uint32_t ctr[4], std::size_t count, std::uint32_t* out) {
  alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (std::size_t first = 0; first < count; first += kLanes) {
    load_counters(ctr, first, c0, c1, c2, c3);
    philox_chunk(key[0], key[1], c0, c1, c2, c3);
    const std::size_t m = std::min(kLanes, count - first);
    for (std::size_t l = 0; l < m; ++l) {
      out[4 * (first + l)] = c0[l];
      out[4 * (first + l) + 1] = c1[l];
      out[4 * (first + l) + 2] = c2[l];
      out[4 * (first + l) + 3] = c3[l];
    }
  }
}

VERIFY_CLONES
std::size_t philox_normals(const std::uint32_t key[2], const std::uint32_t ctr[4], double* out, std::size_t n) {
  const std::size_t counters = (n + 1) / 2;
  const std::size_t full = n / (2 * kLanes);
  for (std::size_t c = 0; c < full; ++c) normal_chunk(key, ctr, c * kLanes, out + 2 * kLanes * c);
  const std::size_t done = full * 2 * kLanes;
  if (done < n) {
    alignas(64) double tmp[2 * kLanes];
    normal_chunk(key, ctr, full * kLanes, tmp);
    std::memcpy(out + done, tmp, (n - done) * sizeof(double));
  }
  return counters;
}

VERIFY_CLONES
std::size_t philox_uniforms(const std::uint32_t key[2], const std::uint32_t ctr[4], double* out, std::size_t n) {
  alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  alignas(64) double tmp[2 * kLanes];
  const std::size_t counters = (n + 1) / 2;
  for (std::size_t first = 0; first < counters; first += kLanes) {
    load_counters(ctr, first, c0, c1, c2, c3);
    philox_chunk(key[0], key[1], c0, c1, c2, c3);
    for (std::size_t l = 0; l < kLanes; ++l) {
      tmp[2 * l] = uniform_of(c0[l], c1[l]);
      tmp[2 * l + 1] = uniform_of(c2[l], c3[l]);
    }
    const std::size_t m = std::min(2 * kLanes, n - 2 * first);
    std::memcpy(out + 2 * first, tmp, m * sizeof(double));
  }
  return counters;
}

VERIFY_CLONES
void exp_array(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = exp_poly(x[i]);
}

VERIFY_CLONES
void log_array(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = log_poly(x[i]);
}

// One chunk of up to kMixtureChunk points: xs[j * kMixtureChunk + p] holds coordinate j of point p (unused lanes padded
// with the first point). Writes log p to logp[p] and, if score is given, the gradient to score[j * kMixtureChunk + p].
// ybuf holds K * d * kMixtureChunk doubles (whitened residuals), tbuf K * kMixtureChunk (log terms).
VERIFY_CLONES
void mixture_chunk(int d, std::size_t K, const double* P, const double* mu, const double* lnorm, const double* xs,
                   double* logp, double* score, double* ybuf, double* tbuf) {
  const auto du = static_cast<std::size_t>(d);
  alignas(64) double diff[kMixtureChunk], acc[kMixtureChunk], q[kMixtureChunk], mx[kMixtureChunk], sum[kMixtureChunk];
  for (std::size_t k = 0; k < K; ++k) {
    const double* Pk = P + k * du * du;
    const double* mk = mu + k * du;
    double* yk = ybuf + k * du * kMixtureChunk;
    for (std::size_t p = 0; p < kMixtureChunk; ++p) q[p] = 0.0;
    for (std::size_t i = 0; i < du; ++i) {
      for (std::size_t p = 0; p < kMixtureChunk; ++p) acc[p] = 0.0;
      for (std::size_t j = 0; j <= i; ++j) {
        const double a = Pk[i * du + j], m = mk[j];
        const double* xj = xs + j * kMixtureChunk;
        for (std::size_t p = 0; p < kMixtureChunk; ++p) {
          diff[p] = xj[p] - m;
          acc[p] += a * diff[p];
        }
      }
      for (std::size_t p = 0; p < kMixtureChunk; ++p) {
        q[p] += acc[p] * acc[p];
        yk[i * kMixtureChunk + p] = acc[p];
      }
    }
    for (std::size_t p = 0; p < kMixtureChunk; ++p) tbuf[k * kMixtureChunk + p] = lnorm[k] - 0.5 * q[p];
  }
  for (std::size_t p = 0; p < kMixtureChunk; ++p) mx[p] = tbuf[p];
  for (std::size_t k = 1; k < K; ++k)
    for (std::size_t p = 0; p < kMixtureChunk; ++p) mx[p] = tbuf[k * kMixtureChunk + p] > mx[p] ? tbuf[k * kMixtureChunk + p] : mx[p];
  for (std::size_t p = 0; p < kMixtureChunk; ++p) sum[p] = 0.0;
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t p = 0; p < kMixtureChunk; ++p) {
      const double e = exp_poly(tbuf[k * kMixtureChunk + p] - mx[p]);
      tbuf[k * kMixtureChunk + p] = e;
      sum[p] += e;
    }
  for (std::size_t p = 0; p < kMixtureChunk; ++p) logp[p] = mx[p] + log_poly(sum[p]);
  if (!score) return;
  for (std::size_t p = 0; p < kMixtureChunk; ++p) sum[p] = 1.0 / sum[p];
  for (std::size_t j = 0; j < du * kMixtureChunk; ++j) score[j] = 0.0;
  for (std::size_t k = 0; k < K; ++k) {
    const double* Pk = P + k * du * du;
    const double* yk = ybuf + k * du * kMixtureChunk;
    for (std::size_t p = 0; p < kMixtureChunk; ++p) q[p] = tbuf[k * kMixtureChunk + p] * sum[p];  // responsibility r_k
    // score -= r_k P_k^T y_k
    for (std::size_t i = 0; i < du; ++i)
      for (std::size_t j = 0; j <= i; ++j) {
        const double a = Pk[i * du + j];
        double* sj = score + j * kMixtureChunk;
        const double* yi = yk + i * kMixtureChunk;
        for (std::size_t p = 0; p < kMixtureChunk; ++p) sj[p] -= q[p] * (a * yi[p]);
      }
  }
}


// Wichura, Algorithm AS 241 (PPND16), Applied Statistics 37 (1988) 477-484.
double normal_quantile_fast(double p) {
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
                45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
             133.14166789178437745) * r + 3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
  }
  double r = q < 0 ? p : 1.0 - p;
  r = std::sqrt(-std::log(r));
  double val;
  if (r <= 5.0) {
    r -= 1.6;
    val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
               1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
            4.6303378461565452959) * r + 1.42343711074968357734) /
          (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
               0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5.0;
    val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
               0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
            5.4637849111641143699) * r + 6.6579046435011037772) /
          (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
               7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
            0.59983220655588793769) * r + 1.0);
  }
  return q < 0 ? -val : val;
}

}  // namespace verify::kernels
