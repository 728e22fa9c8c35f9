// Claim family: the ELBO with a discrete latent variable, on the data mixture itself (z = component index,
// p(z) = weights, p(x|z) = component density, p(z|x) = responsibilities by Bayes' rule). (Note 000's "minimising
// KL = maximising likelihood" is a formula case now: cases/latent_elbo/latent_note000_kl_likelihood.toml.)
//
// Notes: 004 section 1.2 "ELBO" and 1.3 "Connection between VAE and ELBO".
//
// Ground truth: log p(x) from the mixture density; every expectation over z by sampling z (from q(z|x) or p(z)),
// every expectation over x by sampling x from the mixture. Each side of an identity is estimated on the same x
// but on independent z draws, so the paired difference has a genuine Monte Carlo error (on identical z the
// two sides agree sample by sample and the test would only see rounding).
//
// The variational family: q(z|x) = (1 - eta) softmax(tau log r(x)) + eta / K, with r(x) the responsibilities; it
// differs from p(z|x) for tau != 1 or eta > 0.
#include <cmath>
#include <numbers>

#include "common.hpp"
#include "elbo_util.hpp"

namespace verify::claims {

namespace {

using elbo_util::combine;

struct VariationalQ {
  double tau = 0.5, eta = 0.2;
  Vec operator()(const Vec& resp) const {
    Vec q = resp.array().pow(tau);
    q /= q.sum();
    return ((1.0 - eta) * q.array() + eta / static_cast<double>(q.size())).matrix();
  }
};

// The [params] of both claims: validated at load, read here with their defaults.
const ParamSpec kTau{.key = "q_temperature", .meaning = "q(z|x) ~ r(x)^tau", .fallback = 0.5, .lo = 0, .lo_open = true};
const ParamSpec kEta{.key = "q_uniform", .meaning = "weight of the uniform part of q(z|x)", .fallback = 0.2, .lo = 0, .hi = 1,
                     .hi_open = true};
const ParamSpec kX{.key = "x", .meaning = "points x", .type = ParamSpec::Type::points};

VariationalQ make_q(const CaseSpec& c) { return {c.params.number(kTau), c.params.number(kEta)}; }

int draw(const Vec& probs, Rng& r) {
  double u = r.uniform(), acc = 0;
  for (Eigen::Index k = 0; k < probs.size(); ++k) {
    acc += probs[k];
    if (u < acc) return static_cast<int>(k);
  }
  return static_cast<int>(probs.size() - 1);
}

enum Out : std::size_t {
  kLogPx,     // log p(x)
  kElbo,      // log p(x, z1) - log q(z1|x),   z1 ~ q
  kKlPost,    // log q(z2|x) - log p(z2|x),   z2 ~ q
  kKlPrior,   // log q(z3|x) - log p(z3),     z3 ~ q
  kLik,       // log p(x|z4),                 z4 ~ q
  kPx,        // p(x)
  kPriorLik,  // log p(x, z5) - log p(z5),    z5 ~ p(z)   (E_{p(z)} log[p(x,z)/p(z)])
  kJointP,    // log p(x, z5),                the same z5
  kKlPriorSwapped,  // mutant: KL(p(z) || q(z|x)), exact sum over z
  kOuts
};

ClaimOutput identities(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& mix = c.require_mixture();
  const VariationalQ qf = make_q(c);
  const Vec w = Eigen::Map<const Vec>(mix.weights().data(), static_cast<Eigen::Index>(mix.size()));
  const auto multi = mc.means("x", c.samples, kOuts, [&](Rng& r, std::span<double> o) {
    const Vec x = mix.sample(r);
    const double lpx = mix.log_density(x);
    const Vec resp = mix.responsibilities(x);
    const Vec q = qf(resp);
    auto log_lik = [&](int k) { return mix.components()[static_cast<std::size_t>(k)].log_density(x); };
    const int z1 = draw(q, r), z2 = draw(q, r), z3 = draw(q, r), z4 = draw(q, r), z5 = draw(w, r);
    o[kLogPx] = lpx;
    o[kElbo] = std::log(w[z1]) + log_lik(z1) - std::log(q[z1]);
    o[kKlPost] = std::log(q[z2]) - std::log(resp[z2]);
    o[kKlPrior] = std::log(q[z3]) - std::log(w[z3]);
    o[kLik] = log_lik(z4);
    o[kPx] = std::exp(lpx);
    o[kPriorLik] = (std::log(w[z5]) + log_lik(z5)) - std::log(w[z5]);
    o[kJointP] = std::log(w[z5]) + log_lik(z5);  // same z as kPriorLik: common random numbers
    o[kKlPriorSwapped] = (w.array() * (w.array() / q.array()).log()).sum();
  });
  const auto& E = multi.estimates;
  const double scale = std::abs(E[kLogPx].mean);
  const std::string sname = "|E_x log p(x)| (nats)";
  ClaimOutput out;
  // truth = sum a_i out_i, claim = sum b_i out_i + const: the estimate reads as the truth with the SE of the
  // paired difference, the reference is the claim's value.
  using W = std::vector<std::pair<std::size_t, double>>;
  auto add = [&](const std::string& form, const std::string& label, const std::string& qty, W truth, W claim,
                 double claim_const = 0.0, TestKind kind = TestKind::equality, double own_scale = 0.0) {
    double ref = claim_const;
    for (auto [i, b] : claim) ref += b * E[i].mean;
    W diff = truth;
    for (auto [i, b] : claim) diff.push_back({i, -b});
    Check k = equality_check(form, label, qty, combine(multi, diff, ref - claim_const), ref, scale, sname);
    k.kind = kind;
    if (own_scale > 0) {
      k.scale = own_scale;
      k.scale_name = "|E_x E_{p(z)} log p(x|z)| (nats)";
    }
    out.checks.push_back(std::move(k));
  };
  const std::string xlab = "x ~ data";
  // Section 1.2/1.3: log p(x) = ELBO(q) + KL(q(z|x) || p(z|x)).
  add("log_px_is_elbo_plus_kl", xlab, "E_x log p(x) in nats", {{kLogPx, 1}}, {{kElbo, 1}, {kKlPost, 1}});
  // Section 1.2: -ELBO = KL(q || p(z)) - E_q log p(x|z).
  add("neg_elbo_prior_form", xlab, "E_x[-ELBO(q)] in nats", {{kElbo, -1}}, {{kKlPrior, 1}, {kLik, -1}});
  // Section 1.2 expansion: KL[q||p(z|x)] = -E_q log p(z,x) + E_q log q + p(x) (as written) / + log p(x).
  add("s12_expansion_as_written", xlab, "E_x KL(q(z|x) || p(z|x)) in nats", {{kKlPost, 1}}, {{kElbo, -1}, {kPx, 1}});
  add("s12_expansion_corrected", xlab, "E_x KL(q(z|x) || p(z|x)) in nats", {{kKlPost, 1}}, {{kElbo, -1}, {kLogPx, 1}});
  // Section 1.3: log p(x) = E_q log(p(z)/q) + E_q log p(x|z) + KL[q||p(z|x)]; the objective L is the same sum.
  add("s13_decomposition", xlab, "E_x log p(x) in nats", {{kLogPx, 1}}, {{kKlPrior, -1}, {kLik, 1}, {kKlPost, 1}});
  // Section 1.3 "quick" bound: log p(x) >= E_{p(z)} log[p(x,z)/p(z)] (Jensen) ...
  add("quick_bound", xlab, "E_x E_{p(z)} log[p(x,z)/p(z)] <= E_x log p(x), nats", {{kPriorLik, 1}}, {{kLogPx, 1}}, 0.0,
      TestKind::at_most, std::abs(E[kPriorLik].mean));
  // ... = E[log p(x,z)] - E[p(z)] as written; E[log p(z)] in the corrected form (both expectations exact over p(z)).
  double e_pz = 0, e_logpz = 0;
  for (Eigen::Index k = 0; k < w.size(); ++k) {
    e_pz += w[k] * w[k];
    e_logpz += w[k] * std::log(w[k]);
  }
  const double qs = std::abs(E[kPriorLik].mean);
  add("quick_as_written", xlab, "E_x E_{p(z)} log[p(x,z)/p(z)] in nats", {{kPriorLik, 1}}, {{kJointP, 1}}, -e_pz,
      TestKind::equality, qs);
  add("quick_corrected", xlab, "E_x E_{p(z)} log[p(x,z)/p(z)] in nats", {{kPriorLik, 1}}, {{kJointP, 1}}, -e_logpz,
      TestKind::equality, qs);
  if (c.include_mutants) {
    add("mutant:KL sign flipped", xlab, "E_x log p(x) in nats", {{kLogPx, 1}}, {{kElbo, 1}, {kKlPost, -1}});
    add("mutant:KL(p(z) || q) for KL(q || p(z))", xlab, "E_x[-ELBO(q)] in nats", {{kElbo, -1}},
        {{kKlPriorSwapped, 1}, {kLik, -1}});
    add("mutant:dropped E_q log p(x|z)", xlab, "E_x[-ELBO(q)] in nats", {{kElbo, -1}}, {{kKlPrior, 1}});
  }
  return out;
}

// Section 1.2's conclusion E_q[log q(z)] >= E_q[log p(z,x)], pointwise in x. The gap equals KL(q||p(z|x)) - log p(x),
// negative wherever log p(x) > KL, which needs a density above 1 somewhere.
ClaimOutput s12_inequality(const CaseSpec& c, const MonteCarlo& mc) {
  const auto& mix = c.require_mixture();
  const VariationalQ qf = make_q(c);
  const auto points = c.params.points(kX, mix.dim());
  ClaimOutput out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Vec& x = points[i];
    const Vec resp = mix.responsibilities(x), q = qf(resp);
    const double lpx = mix.log_density(x);
    double kl = 0;
    for (Eigen::Index k = 0; k < q.size(); ++k) kl += q[k] * std::log(q[k] / resp[k]);
    const Estimate e = mc.mean("z/" + std::to_string(i), c.samples, [&](Rng& r) {
      const int z = draw(q, r);
      return std::log(q[z]) - (std::log(mix.weights()[static_cast<std::size_t>(z)]) +
                               mix.components()[static_cast<std::size_t>(z)].log_density(x));
    });
    std::string label = "x=(";
    for (Eigen::Index j = 0; j < x.size(); ++j) label += (j ? std::string(",") : std::string()) + std::to_string(x[j]).substr(0, 6);
    label += "), log p(x)=" + std::to_string(lpx).substr(0, 7);
    const double scale = std::abs(lpx) + kl;
    const std::string sname = "|log p(x)| + KL (nats)";
    const std::string qty = "E_q[log q(z|x) - log p(z,x)] in nats";
    Check a = equality_check("as_written", label, qty, e, 0.0, scale, sname);
    a.kind = TestKind::at_least;
    a.notes.push_back("KL(q||p(z|x)) = " + std::to_string(kl) + ", log p(x) = " + std::to_string(lpx));
    out.checks.push_back(a);
    out.checks.push_back(equality_check("corrected", label, qty, e, kl - lpx, scale, sname));
    if (c.include_mutants) {
      out.checks.push_back(equality_check("mutant:p(x) for log p(x)", label, qty, e, kl - std::exp(lpx), scale, sname));
      out.checks.push_back(equality_check("mutant:KL dropped", label, qty, e, -lpx, scale, sname));
      out.checks.push_back(equality_check("mutant:sign of log p(x) flipped", label, qty, e, kl + lpx, scale, sname));
    }
  }
  return out;
}

}  // namespace

void register_latent_elbo(Registry& r) {
  r.add({.name = "latent_elbo.identities",
         .summary = "Note 004 sections 1.2-1.3 with z = mixture component: log p(x) = ELBO + KL and the expansions, averaged over x.",
         .params = {kTau, kEta},
         .needs_mixture = true,
         .run = identities});
  r.add({.name = "latent_elbo.s12_inequality",
         .summary = "Note 004 section 1.2: E_q log q(z) >= E_q log p(z,x) at given points x.",
         .params = {kTau, kEta, kX},
         .needs_mixture = true,
         .run = s12_inequality});
}

}  // namespace verify::claims
