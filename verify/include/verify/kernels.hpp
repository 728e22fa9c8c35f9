#pragma once
// Bulk kernels for the hot loops: Philox blocks, standard normals, exp/log over arrays.
//
// Every kernel is compiled twice (AVX2 and portable x86-64) and picked at load time; both versions perform
// the same IEEE operations in the same order (no FMA contraction: the project builds in strict ISO mode, so
// -ffp-contract=off), so results are bit-identical on every machine. The exp/log/sin/cos here are our own
// polynomials (accurate to about 1 ulp), NOT glibc's: values agree with the scalar std:: functions to a few
// ulps, not bit for bit. Code that must reproduce Rng::normal() exactly must keep calling Rng::normal().
#include <cstddef>
#include <cstdint>

namespace verify::kernels {

// Philox4x32-10 outputs for `count` consecutive counters starting at ctr (ctr[0] is incremented, as Rng does),
// written as 4 words per counter: out[4 i + w]. Bit-identical to r123::Philox4x32.
void philox4x32_10(const std::uint32_t key[2], const std::uint32_t ctr[4], std::size_t count, std::uint32_t* out);

// n standard normals from ceil(n/2) Philox blocks starting at counter ctr: block i gives the same two
// uniforms as Rng::uniform() would, then Box-Muller with our polynomial log/sin/cos (cos output first, as
// Rng::normal). Returns the number of counters used.
std::size_t philox_normals(const std::uint32_t key[2], const std::uint32_t ctr[4], double* out, std::size_t n);

// Uniforms on (0, 1), 53 bits, 2 per counter, identical to Rng::uniform(). Returns counters used.
std::size_t philox_uniforms(const std::uint32_t key[2], const std::uint32_t ctr[4], double* out, std::size_t n);

// y[i] = exp(x[i]) (x may alias y). Underflows to 0 below -745; +inf above 709.78.
void exp_array(const double* x, double* y, std::size_t n);
// y[i] = log(x[i]) for finite x > 0.
void log_array(const double* x, double* y, std::size_t n);

// Mixture log-densities (and scores) for kMixtureChunk points, coordinate-major: xs[j * kMixtureChunk + p]
// is coordinate j of point p. P: per component the inverse Cholesky factor (row-major d x d), mu: means
// (K x d), lnorm: log w_k - (d log 2 pi + log det)/2. Writes logp[p]; if score is non-null, the gradient to
// score[j * kMixtureChunk + p]. ybuf: K d kMixtureChunk doubles, tbuf: K kMixtureChunk doubles (scratch).
constexpr std::size_t kMixtureChunk = 32;
void mixture_chunk(int d, std::size_t K, const double* P, const double* mu, const double* lnorm, const double* xs,
                   double* logp, double* score, double* ybuf, double* tbuf);

// Inverse standard normal CDF (Wichura's AS 241, relative error about 1e-16) for p in (0, 1).
double normal_quantile_fast(double p);

}  // namespace verify::kernels
