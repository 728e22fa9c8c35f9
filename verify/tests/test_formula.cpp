// The formula layer: the LaTeX reader (trees, positions, macros, derivations, printing that reads back), resolution
// (types, the vocabulary, errors with suggestions) and evaluation against closed forms computed here by hand or in
// 50-digit arithmetic. Expected values: exact rationals, or Boost.Multiprecision at 50 digits where noted.
#include <doctest/doctest.h>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <cmath>

#include "../src/formula/evaluate.hpp"
#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/errors.hpp"
#include "verify/formula/latex.hpp"
#include "verify/formula/resolve.hpp"
#include "verify/mixture.hpp"
#include "verify/runner.hpp"
#include "verify/schedule.hpp"

using namespace verify;
using namespace verify::formula;

namespace {

std::string printed(const std::string& s, const MacroTable& m = {}) { return to_latex(*parse_formula(s, m)); }

// A context with the linear schedule (T = 10), a 1-D two-component mixture and a few defined numbers.
struct Fixture {
  NoiseSchedule schedule = NoiseSchedule::linear(10, 0.05, 0.4);
  GaussianMixture mixture{{0.5, 0.5}, {Gaussian::isotropic(Vec::Constant(1, -1.0), 0.3), Gaussian::isotropic(Vec::Constant(1, 1.5), 0.6)}};
  Context ctx;
  Fixture() {
    ctx.dim = 1;
    ctx.schedule = &schedule;
    ctx.mixture = &mixture;
    define("\\mu", 1.3);
    define("\\sigma^2", 0.4);
  }
  void define(const std::string& key, double v) {
    Definition d = definition_key(*parse_formula(key));
    d.kind = Definition::Kind::value;
    d.values = {v};
    ctx.defines[d.key] = d;
  }
  // A deterministic expression at step t, in double and in 50 digits.
  std::pair<double, mp50> value(const std::string& latex, long t = 5) const {
    const ExprPtr e = resolve(*parse_formula(latex), ctx);
    World<double> wd;
    wd.t = t;
    wd.dim = 1;
    wd.schedule = ScheduleT<double>(&schedule, ctx.sigma2);
    wd.data = MixtureT<double>(mixture);
    World<mp50> wm;
    wm.t = t;
    wm.dim = 1;
    wm.schedule = ScheduleT<mp50>(&schedule, ctx.sigma2);
    wm.data = MixtureT<mp50>(mixture);
    Plan plan;
    Noise noise;
    Evaluator<double> ed(wd, plan, noise, 1);
    Evaluator<mp50> em(wm, plan, noise, 1);
    return {ed.eval(*e).v[0], em.eval(*e).v[0]};
  }
  // Why resolving `latex` is refused ("no error" when it resolves).
  std::string refusal(const std::string& latex) const {
    try {
      (void)resolve(*parse_formula(latex), ctx);
    } catch (const LatexError& e) {
      return e.reason();
    }
    return "no error";
  }
};

}  // namespace

TEST_CASE("the reader builds trees with the notes' precedence") {
  CHECK(printed("a + b c") == "a + b c");
  CHECK(printed("-x^2") == "-x^2");
  CHECK(printed("\\frac12 x") == "\\frac{1}{2} x");
  CHECK(printed("\\tfrac{1}{2}(-\\log\\sigma^2 + \\mu^2)") == "\\frac{1}{2} {\\left(-\\log \\sigma^2 + \\mu^2\\right)}");
  // \log takes one closed factor when one follows, else the whole implicit product.
  CHECK(printed("\\log q(x)\\Delta t") == "\\log q\\left(x\\right) \\Delta t");
  CHECK(printed("\\log 2\\pi\\sigma^2") == "\\log\\left(2 \\pi \\sigma^2\\right)");
  CHECK(printed("D_{KL}(q\\,\\|\\,p)") == "D_{\\mathrm{KL}}\\left(q \\,\\|\\, p\\right)");
  CHECK(printed("\\|v\\|_2^2") == "\\left\\|v\\right\\|_2^{2}");
  CHECK(printed("q(x_t \\mid x_0)") == "q\\left(x_t \\mid x_0\\right)");
  CHECK(printed("\\mathbb{E}_{x \\sim p}[f(x) | x_t]") == "\\mathbb{E}_{x \\sim p}\\left[f\\left(x\\right) \\mid x_t\\right]");
  CHECK(printed("\\int \\frac{1}{2} x^2 dx") == "\\int \\frac{1}{2} x^2 \\, dx");
  CHECK(printed("\\sum_{s=1}^{t}\\beta_s") == "\\sum_{s=1}^{t} \\beta_s");
}

TEST_CASE("printing reads back to the same text") {
  for (const char* s : {"\\sigma^2 \\log p_{data}(x)", "\\mathbb{E}[\\mu_z|z]=z+\\Sigma_z\\nabla_z\\log p(z)",
                        "\\frac{\\sqrt{\\bar{\\alpha}_{t-1}} \\beta_t}{1-\\bar{\\alpha}_t} x_0", "e^{-\\frac{(x-\\mu)^2}{2\\sigma^2}}",
                        "(m_2-m_1)^\\top S_2^{-1}(m_2-m_1)", "\\underbrace{a}_{b} + \\textcolor{blue}{c}",
                        "\\log \\mathbb{E}[e^{z/2}] \\le \\mathbb{E}[z/2]"}) {
    const std::string once = printed(s);
    CHECK(printed(once) == once);
  }
}

TEST_CASE("errors carry line, column, the fragment and a suggestion") {
  try {
    (void)parse_formula("a +\n  \\lgo x");
    FAIL("no error");
  } catch (const LatexError& e) {
    CHECK(e.pos().line == 2);
    CHECK(e.pos().column == 3);
    CHECK(e.suggestion() == "\\log");
    CHECK(std::string(e.reason()).find("unknown command \\lgo") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_formula("\\frac{1}{2"), LatexError);
  CHECK_THROWS_AS(parse_formula("x_1_2"), LatexError);
}

TEST_CASE("macros as notes define them, positions in the text as written") {
  const MacroTable m = parse_macro_definitions("$\\newcommand{\\E}{\\mathbb{E}}$ \\newcommand{\\f}[2]{\\frac{#1}{#2}}");
  CHECK(printed("\\E[x]", m) == "\\mathbb{E}\\left[x\\right]");
  CHECK(printed("\\f{a}{b}", m) == "\\frac{a}{b}");
  try {
    (void)parse_formula("\\E[x] + \\zeta_{", m);
    FAIL("no error");
  } catch (const LatexError& e) {
    CHECK(e.pos().column == 15);  // the open brace, in the text before expansion
  }
}

TEST_CASE("derivations: lines and relations") {
  const Derivation d = parse_derivation("\\begin{align*} a &= b \\\\ &= c \\\\ &\\le d \\end{align*}");
  REQUIRE(d.lines.size() == 4);
  CHECK(d.relations == std::vector<std::string>{"=", "=", "<="});
}

TEST_CASE("schedule identities evaluate exactly in 50 digits") {
  Fixture f;
  // beta_tilde written two ways: identical to the last digit.
  const auto a = f.value("\\tilde\\beta_t - \\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}\\beta_t");
  CHECK(boost::multiprecision::abs(a.second) < mp50("1e-45"));
  // alpha_bar_t / alpha_bar_{t-1} = alpha_t.
  const auto b = f.value("\\frac{\\bar\\alpha_t}{\\bar\\alpha_{t-1}} - \\alpha_t");
  CHECK(boost::multiprecision::abs(b.second) < mp50("1e-45"));
  // A sum over the schedule equals its definition term by term: sum_{s=1}^{t} beta_s at t = 3.
  const double b1 = f.schedule.beta(1), b2 = f.schedule.beta(2), b3 = f.schedule.beta(3);
  CHECK(f.value("\\sum_{s=1}^{t}\\beta_s", 3).first == doctest::Approx(b1 + b2 + b3).epsilon(1e-15));
}

TEST_CASE("a power after a bracket that multiplies applies to the bracket only") {
  Fixture f;
  // Note 004 2.4 writes \bar\alpha_{t-1}(1-\alpha_t)^2: alpha_bar_{t-1} times beta_t^2, not (alpha_bar_{t-1} beta_t)^2.
  const double abp = f.schedule.alpha_bar(4), b = f.schedule.beta(5), bt = f.schedule.beta_tilde(5), ab = f.schedule.alpha_bar(5);
  CHECK(f.value("\\bar\\alpha_{t-1}(1-\\alpha_t)^2").first == doctest::Approx(abp * b * b).epsilon(1e-14));
  CHECK(f.value("2\\tilde\\beta_t(1-\\bar\\alpha_t)^2").first == doctest::Approx(2 * bt * (1 - ab) * (1 - ab)).epsilon(1e-14));
  // A number after a thin space is a number (it once kept the "\\," in its text and could not be read).
  CHECK(f.value("\\frac{1}{2}\\,4").first == doctest::Approx(2.0).epsilon(1e-15));
  // A known function keeps f(x)^2 = (f(x))^2.
  CHECK(f.value("\\mathcal N(0.5; 0, 1)^2").first == doctest::Approx(std::exp(-0.25) / (2 * M_PI)).epsilon(1e-14));
}

TEST_CASE("the KL closed form of note 004 section 1.1 and its derivation lines") {
  Fixture f;
  const double mu = 1.3, s2 = 0.4;
  const double kl = 0.5 * (-std::log(s2) + mu * mu + s2 - 1);
  CHECK(f.value("\\tfrac12(-\\log\\sigma^2 + \\mu^2 + \\sigma^2 - 1)").first == doctest::Approx(kl).epsilon(1e-15));
  // Line 3 of the derivation, a quadrature of a Gaussian density times a polynomial, gives the closed form.
  const auto l3 = f.value(
      "\\frac{1}{2}\\int \\frac{1}{\\sqrt{2\\pi\\sigma^2}}e^{-\\frac{(x-\\mu)^2}{2\\sigma^2}}[-\\log \\sigma^2+x^2-\\frac{(x-\\mu)^2}{\\sigma^2}]dx");
  CHECK(l3.first == doctest::Approx(kl).epsilon(1e-11));
  CHECK(boost::multiprecision::abs(l3.second - mp50(kl)) < mp50("1e-15"));  // kl itself is a double
  // Line 2 (wrong): x^2 / sigma^2 for x^2; its value by hand: E[(x^2 - (x - mu)^2)] / (2 sigma^2) - log(sigma^2)/2.
  const double l2 = (mu * mu + s2 - s2) / (2 * s2) - 0.5 * std::log(s2);
  CHECK(f.value("\\int \\frac{1}{\\sqrt{2\\pi\\sigma^2}}e^{-\\frac{(x-\\mu)^2}{2\\sigma^2}}\\log{\\frac{1}{\\sqrt{\\sigma^2}}e^{\\frac{x^2-(x-\\mu)^2}{2\\sigma^2}}}dx")
            .first == doctest::Approx(l2).epsilon(1e-10));
}

TEST_CASE("derivatives by central differences in 50 digits") {
  Fixture f;
  f.define("y", 0.7);
  // d/dy y^3 = 3 y^2; d^2/dy^2 y^3 = 6 y, at y = the double nearest 0.7 (taken as exact).
  const mp50 y(0.7);
  CHECK(boost::multiprecision::abs(f.value("\\frac{\\partial}{\\partial y} y^3").second - 3 * y * y) < mp50("1e-30"));
  CHECK(boost::multiprecision::abs(f.value("\\frac{\\partial^2}{\\partial y^2} y^3").second - 6 * y) < mp50("1e-25"));
}

TEST_CASE("the exact oracle: posterior mean and score of the mixture") {
  Fixture f;
  f.ctx.grid["x"] = [] {
    Definition d;
    d.kind = Definition::Kind::value;
    d.values = {0.3};
    d.key = "x";
    return d;
  }();
  // Tweedie: E[x_0 | x_t = x] = (x + (1 - abar) grad log p_t(x)) / sqrt(abar): two computations, same value.
  const ExprPtr lhs = resolve(*parse_formula("\\mathbb{E}[x_0 \\mid x_t]"), f.ctx);
  (void)lhs;
  CHECK_THROWS_AS(resolve(*parse_formula("\\mathbb{E}[x_0^2 \\mid x_t]"), f.ctx), LatexError);  // not affine
}

TEST_CASE("resolution errors name the problem") {
  Fixture f;
  auto reason = [&](const std::string& s) {
    try {
      (void)resolve_relation(*parse_formula(s), f.ctx);
    } catch (const LatexError& e) {
      return std::string(e.reason()) + " | " + e.suggestion();
    }
    return std::string("no error");
  };
  CHECK(reason("\\mu_1 = 1").find("| \\mu") != std::string::npos);
  CHECK(reason("\\mu = 1 = 2").find("a chain of relations") != std::string::npos);
  CHECK(reason("\\beta_{1.5} = 1").find("an index must be an integer") != std::string::npos);
  CHECK(reason("D_{KL}(\\mu\\,\\|\\,\\mathcal N(0,1)) = 0").find("is not a law") != std::string::npos);
}

TEST_CASE("limits: Richardson extrapolation over halved steps (or doubled counts)") {
  Fixture f;
  f.define("h", 0.1);
  f.define("K", 4);
  // Three levels, order 1: errors c1 h + c2 h^2 cancel, so the result is (8 A(h/4) - 6 A(h/2) + A(h)) / 3.
  auto a = [](double h) { return std::pow(1 + h, 1 / h); };
  const double want = (8 * a(0.025) - 6 * a(0.05) + a(0.1)) / 3;
  CHECK(f.value("\\lim_{h \\to 0} (1+h)^{1/h}").first == doctest::Approx(want).epsilon(1e-13));
  CHECK(f.value("\\lim_{K \\to \\infty} (1+\\frac{1}{K})^{K}").first == doctest::Approx((8 * a(1.0 / 16) - 6 * a(1.0 / 8) + a(0.25)) / 3).epsilon(1e-13));
  // The extrapolation is closer to e than the finest level is.
  CHECK(std::abs(want - std::exp(1.0)) < 0.1 * std::abs(a(0.025) - std::exp(1.0)));
  // Printing reads back: the limit's script and its body.
  CHECK(printed("\\lim_{h \\to 0} \\frac{f}{h}") == "\\lim_{h \\to 0} \\frac{f}{h}");
  CHECK(printed("\\lim_{K \\rightarrow \\infty} x") == "\\lim_{K \\to \\infty} x");
}

TEST_CASE("limits: what may not be a limit's variable or target") {
  Fixture f;
  f.define("h", 0.1);
  f.define("g", 0.1);
  f.define("K", 2.5);
  auto reason = [&](const std::string& s) { return f.refusal(s); };
  CHECK(reason("\\lim_{a \\to 0} a").find("must be a number in [define]") != std::string::npos);
  CHECK(reason("\\lim_{h \\to 1} h").find("goes to 0 (a step size) or to \\infty") != std::string::npos);
  CHECK(reason("\\lim_{h \\to 0} \\lim_{g \\to 0} h g").find("a limit inside a limit") != std::string::npos);
  CHECK(reason("\\lim_{K \\to \\infty} K").find("whole number") != std::string::npos);
  CHECK(reason("\\lim h").find("needs its variable") != std::string::npos);
}

TEST_CASE("in one dimension I is the number 1 in a Gaussian's variance") {
  Fixture f;
  CHECK(f.value("\\mathcal N(0.3; 0, I) - \\mathcal N(0.3; 0, 1)").first == 0.0);
  CHECK(f.value("\\mathcal N(0.3; 0, 2 I) - \\mathcal N(0.3; 0, 2)").first == 0.0);
}

TEST_CASE("notes' spellings: the square of an expectation, p for the forward process's conditionals") {
  Fixture f;
  // E[f]^2 is the square of the bracketed expectation.
  const NodePtr sq = parse_formula("\\mathbb{E}[x_0]^2");
  CHECK(sq->kind == Kind::pow);
  CHECK(sq->args[0]->kind == Kind::expect);
  CHECK(printed(printed("\\mathbb{E}_{x_0}[x_0]^2")) == printed("\\mathbb{E}_{x_0}[x_0]^2"));
  // p(x_t | x_0) is q(x_t | x_0); p(x_{t-1} | x_t) stays the exact reverse step.
  auto key = [&](const std::string& s) { return canonical(*resolve(*parse_formula(s), f.ctx)); };
  CHECK(key("\\log p(x_t \\mid x_0)") == key("\\log q(x_t \\mid x_0)"));
  CHECK(key("\\log p(x_{t-1} \\mid x_t, x_0)") == key("\\log q(x_{t-1} \\mid x_t, x_0)"));
  CHECK(key("\\log p(x_{t-1} \\mid x_t)") == key("\\log q(x_{t-1} \\mid x_t)"));
}

TEST_CASE("a defined law written with its variable inside a KL: p_theta(x) with p_theta = N(m, v)") {
  Fixture f;
  Definition d = definition_key(*parse_formula("p_\\theta"));
  d.kind = Definition::Kind::expression;
  d.body = parse_formula("\\mathcal N(-0.35, 3.5)");
  f.ctx.defines[d.key] = d;
  auto key = [&](const std::string& s) { return canonical(*resolve(*parse_formula(s), f.ctx)); };
  // Note 000 writes KL(p_data(x) || p_theta(x)): the defined law, not the vocabulary's p_theta(x_{t-1} | x_t).
  CHECK(key("KL(p_{data}(x) \\parallel p_{\\theta}(x))") == key("D_{KL}(p_{data} \\| \\mathcal N(-0.35, 3.5))"));
  CHECK(key("D_{KL}(p_\\theta(x) \\| p_{data}(x))") == key("D_{KL}(\\mathcal N(-0.35, 3.5) \\| p_{data})"));
}

TEST_CASE("Var(f) without conditioning is E[f^2] - E[f]^2 on the same draws") {
  Fixture f;
  auto key = [&](const std::string& s) { return canonical(*resolve(*parse_formula(s), f.ctx)); };
  CHECK(key("\\operatorname{Var}(x_t)") == key("\\mathbb{E}[(x_t)^2] - \\mathbb{E}[x_t]^2"));
  CHECK(key("\\mathrm{Var}(2 x_0 + \\epsilon)") == key("\\mathbb{E}[(2 x_0 + \\epsilon)^2] - \\mathbb{E}[2 x_0 + \\epsilon]^2"));
  // In one dimension the note's I on the other side is the number 1.
  const Relation r = resolve_relation(*parse_formula("\\operatorname{Var}(x_t) = (1-\\bar\\alpha_t) I"), f.ctx);
  CHECK(r.rhs->type == Type::scalar);
  auto reason = [&](const std::string& s, const Context& ctx) {
    try {
      (void)resolve(*parse_formula(s), ctx);
    } catch (const LatexError& e) {
      return std::string(e.reason());
    }
    return std::string("no error");
  };
  CHECK(reason("\\operatorname{Var}(\\mu)", f.ctx).find("not random") != std::string::npos);
  Context two = f.ctx;
  two.dim = 2;
  two.mixture = nullptr;
  Definition u = definition_key(*parse_formula("u"));
  u.kind = Definition::Kind::value;
  u.values = {1.0, 0.0};
  u.rows = 2;
  two.defines[u.key] = u;
  CHECK(reason("\\operatorname{Var}(u)", two).find("takes a scalar f") != std::string::npos);
}

TEST_CASE("a sequence without noise is deterministic (an exact recursion), one with z is random") {
  Fixture f;
  auto sequence = [&](const std::string& key, const std::string& start, const std::string& step) {
    Definition d = definition_key(*parse_formula(key));
    d.kind = Definition::Kind::recurrence;
    d.from = parse_formula("0");
    d.start = parse_formula(start);
    d.body = parse_formula(step);
    make_generic_if_used(d);
    f.ctx.defines[d.key] = d;
  };
  sequence("v_k", "\\mu", "v_{k-1}(1 - \\beta_k) + \\beta_k");
  sequence("y_k", "\\mu", "\\sqrt{1-\\beta_k}\\,y_{k-1} + \\sqrt{\\beta_k}\\,z");
  sequence("w_k", "x_0", "w_{k-1}");
  CHECK_FALSE(resolve(*parse_formula("v_3"), f.ctx)->random);
  CHECK(resolve(*parse_formula("y_3"), f.ctx)->random);
  CHECK(resolve(*parse_formula("w_3"), f.ctx)->random);
  // The variance recursion of the chain, by hand: v_k = (1 - beta_k) v_{k-1} + beta_k from v_0 = mu.
  double v = 1.3;
  for (int k = 1; k <= 3; ++k) v = (1 - f.schedule.beta(k)) * v + f.schedule.beta(k);
  CHECK(f.value("v_3").first == doctest::Approx(v).epsilon(1e-14));
}

TEST_CASE("\\Phi: the standard normal CDF in double and in 50 digits, unless the case defines \\Phi") {
  Fixture f;
  // Phi(0) = 1/2 exactly; Phi(1.5) = 0.933192798731141934 (tables); Phi(-x) = 1 - Phi(x); the lower tail keeps its
  // relative precision (Phi(-30) = 4.906713927148187e-198).
  CHECK(f.value("\\Phi(0)").first == 0.5);
  CHECK(f.value("\\Phi(0)").second == mp50("0.5"));
  CHECK(f.value("\\Phi(1.5)").first == doctest::Approx(0.933192798731141934).epsilon(1e-15));
  CHECK(boost::multiprecision::abs(f.value("\\Phi(1.5) + \\Phi(-1.5) - 1").second) < mp50("1e-48"));
  CHECK(f.value("\\Phi(-30)").first == doctest::Approx(4.906713927148187e-198).epsilon(1e-13));
  // A bin probability is the integral of the density over it.
  const auto [bin, bin50] = f.value("\\Phi\\left(\\frac{0.2 - \\mu}{\\sigma}\\right) - \\Phi\\left(\\frac{-0.1 - \\mu}{\\sigma}\\right) - "
                                    "\\int_{-0.1}^{0.2} \\mathcal N(x; \\mu, \\sigma^2)\\,dx");
  CHECK(std::abs(bin) < 1e-15);
  CHECK(boost::multiprecision::abs(bin50) < mp50("1e-38"));
  // A defined \Phi wins over the vocabulary's.
  Definition d = definition_key(*parse_formula("\\Phi(x)"));
  d.kind = Definition::Kind::function;
  d.body = parse_formula("2x");
  f.ctx.defines[d.key] = d;
  CHECK(f.value("\\Phi(0.25)").first == 0.5);
}

TEST_CASE("\\operatorname{median} over an index range: the middle value, or the mean of the two middle ones") {
  Fixture f;
  // The values are sorted: an odd count gives the middle one, an even count the mean of the two middle ones.
  CHECK(f.value("\\operatorname{median}_{s=1}^{3} (s-2)^2").first == 1.0);    // {1, 0, 1}
  CHECK(f.value("\\operatorname{median}_{s=1}^{4} s^2").first == 6.5);        // {1, 4, 9, 16}: (4 + 9) / 2
  CHECK(f.value("\\operatorname{median}_{s=1}^{4} s^2").second == mp50("6.5"));
  CHECK(f.value("\\operatorname{median}_{s=1}^{5} \\frac{1}{s}").first == doctest::Approx(1.0 / 3));
  // Robust to one extreme value, unlike the mean.
  CHECK(f.value("\\operatorname{median}_{s=1}^{3} 10^{s^2}").first == 1e4);
  CHECK(printed("\\operatorname{median}_{s=1}^{T} \\beta_s") == "\\operatorname{median}_{s=1}^{T} \\beta_s");
  CHECK_THROWS_AS(f.value("\\operatorname{median} \\beta_s"), LatexError);
}

TEST_CASE("cos: of a scalar, in double and in 50 digits; a vector is refused") {
  Fixture f;
  const auto [d, m] = f.value("\\cos(\\frac{\\pi}{3}) + \\left(\\cos(0.5)\\right)^2");
  CHECK(d == doctest::Approx(0.5 + std::cos(0.5) * std::cos(0.5)).epsilon(1e-14));
  CHECK(std::abs(static_cast<double>(m - (mp50(1) / 2 + boost::multiprecision::cos(mp50(1) / 2) * boost::multiprecision::cos(mp50(1) / 2)))) < 1e-40);
  // An operator takes the closed factor after it, its power included: \cos(2)^2 is cos(4), as \log(2)^2 is log(4).
  CHECK(f.value("\\cos(2)^2").first == doctest::Approx(std::cos(4.0)).epsilon(1e-14));
  auto reason = [&](const std::string& s) { return f.refusal(s); };
  f.ctx.dim = 2;
  CHECK(reason("\\cos(x_0)").find("\\cos of") != std::string::npos);
}

// [control_variates]: x_0 ~ N(1, 0.5), E[x_0^3 + 2 x_0] = 4.5 exactly (E x^3 = mu^3 + 3 mu sigma^2 = 2.5). With
// E[x_0] = 1 and E[x_0^2] = 1.5 regressed out, the residual variance is that of the Hermite part of degree 3,
// 6 sigma^6 = 0.75, against 27.25 without them. Over seeds the estimate must be unbiased and (estimate - 4.5) / SE
// standard normal; the SE must be the smaller one; under rqmc the control variates are not used and say so.
namespace {
// A case on N(1, 0.5) up to its [budget] table (seed 1; the caller adds the rest of the budget and what follows).
std::string cv_case_text(const std::string& statement) {
  return "mixture = { weights = [1.0], means = [[1.0]], covariances = [[[0.5]]] }\nstatement = " + statement +
         "\n[source]\nnote = \"test\"\nsection = \"control variates\"\nline = 1\n[budget]\nseed = 1\n";
}
std::string cv_case(const std::string& budget, bool with_cvs) {
  std::string t = cv_case_text("'\\mathbb{E}[x_0^3 + 2 x_0] = 4.5'") + budget + R"(
[expect]
as_written = "holds"
)";
  if (with_cvs) t += "[control_variates]\nfirst = '\\mathbb{E}[x_0] = 1'\nsecond = '\\mathbb{E}[x_0^2] = 1.5'\n";
  return t;
}
Check run_cv_case(const std::string& text, std::uint64_t seed) {
  RunOptions o;
  o.seed = seed;
  o.proofs = false;
  const RunResult r = run_cases({load_case_from_string(text, "cv.toml")}, o);
  REQUIRE(r.checks.size() == 1);
  return r.checks[0].check;
}
}  // namespace

TEST_CASE("[control_variates]: unbiased, SE calibrated over seeds, smaller than without them") {
  const int seeds = 300;
  double sum_z = 0, sum_z2 = 0, sum_err = 0, se_with = 0, se_without = 0;
  for (int s = 1; s <= seeds; ++s) {
    const Check c = run_cv_case(cv_case("samples = 4000", true), static_cast<std::uint64_t>(s));
    const double z = (c.estimate.mean - 4.5) / c.estimate.std_error;
    sum_z += z;
    sum_z2 += z * z;
    sum_err += c.estimate.mean - 4.5;
    se_with += c.estimate.std_error;
    if (s <= 20) se_without += run_cv_case(cv_case("samples = 4000", false), static_cast<std::uint64_t>(s)).estimate.std_error;
  }
  const double mean_z = sum_z / seeds, var_z = sum_z2 / seeds - mean_z * mean_z;
  MESSAGE("control variates over " << seeds << " seeds: mean z " << mean_z << ", var z " << var_z << ", mean SE " << se_with / seeds
                                    << " (without: " << se_without / 20 << ")");
  // 300 standard normals: the mean's SD is 0.058 and the variance's about 0.08 (measured: mean 0.05, variance 1.08).
  CHECK(std::abs(mean_z) < 0.25);
  CHECK(var_z > 0.75);
  CHECK(var_z < 1.3);
  // Unbiased: the mean error over seeds is within 4 of its SEs (sqrt(0.75 / 4000 / 300) = 0.0008).
  CHECK(std::abs(sum_err / seeds) < 4 * std::sqrt(0.75 / 4000.0 / seeds));
  // SE: sqrt(0.75 / 4000) = 0.0137 with them, sqrt(27.25 / 4000) = 0.083 without (measured 0.0135 and 0.082).
  CHECK(se_with / seeds == doctest::Approx(std::sqrt(0.75 / 4000.0)).epsilon(0.1));
  CHECK(se_without / 20 == doctest::Approx(std::sqrt(27.25 / 4000.0)).epsilon(0.25));
  // Under rqmc: not used, and the check says why.
  const Check q = run_cv_case(cv_case("samples = 1024\nmethod = \"rqmc\"\nrandomisations = 16\nqmc_dims = 2", true), 1);
  bool said = false;
  for (const auto& n : q.notes) said = said || n.find("not used: under rqmc") != std::string::npos;
  CHECK(said);
}

TEST_CASE("[control_variates]: what is refused") {
  auto refusal = [](const std::string& cvs) {
    const std::string t = cv_case_text("'\\mathbb{E}[x_0^2] = 1.5'") + R"(samples = 100
[expect]
as_written = "holds"
[control_variates]
)" + cvs;
    try {
      RunOptions o;
      o.proofs = false;
      (void)run_cases({load_case_from_string(t, "cv.toml")}, o);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(refusal("a = '\\mathbb{E}[x_0] \\le 1'\n").find("a control variate is an equation E[h] = m") != std::string::npos);
  CHECK(refusal("a = 'x_0 = 1'\n").find("must be one scalar expectation") != std::string::npos);
  CHECK(refusal("a = '\\mathbb{E}[x_0] = \\mathbb{E}[x_0^2]'\n").find("its exact mean") != std::string::npos);
  CHECK(refusal("a = '\\mathbb{E}[x_0] = x_0'\n").find("pin x_0 in [grid]") != std::string::npos);
  CHECK(refusal("a = '\\mathbb{E}[x_0] = 1'\n") == "no error");
}

TEST_CASE("deterministic integrals are remembered per summation index where the caller gives a memo") {
  Fixture f;
  const ExprPtr e = resolve(*parse_formula("\\sum_{s=1}^{3}\\int_0^1 x^s\\,dx + \\int_0^1 x^2\\,dx + \\int_0^1 x^2\\,dx"), f.ctx);
  World<double> w;
  w.t = 5;
  w.dim = 1;
  w.schedule = ScheduleT<double>(&f.schedule, f.ctx.sigma2);
  w.data = MixtureT<double>(f.mixture);
  Plan plan;
  Noise noise;
  std::map<std::string, double> memo;
  Evaluator<double> ev(w, plan, noise, 1);
  ev.integral_memo = &memo;
  const double v = ev.eval(*e).v[0];
  CHECK(v == doctest::Approx(1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 2.0 / 3).epsilon(1e-12));
  // x^s at s = 1, 2, 3 (the index's value is part of the key) and x^2 twice outside the sum (one entry).
  CHECK(memo.size() == 4);
  Evaluator<double> again(w, plan, noise, 1);
  again.integral_memo = &memo;
  CHECK(again.eval(*e).v[0] == v);
}

// The same for an equation between random sides tested in mean (a side with an expectation inside the draw):
// E_{y ~ N(x_0, 1)}[y^3] = x_0^3 + 3 x_0 for every x_0, so E[lhs - rhs] = 0. The control variates E[x_0^3] = 2.5 and
// E[x_0] = 1 follow each side but hardly their difference (whose noise comes from y - x_0): the regressed estimate of
// the difference must stay calibrated (measured: mean z -0.11, variance 1.16 over 200 seeds).
TEST_CASE("[control_variates] in an equation tested in mean: calibrated over seeds") {
  const std::string text = cv_case_text("'\\mathbb{E}_{y \\sim \\mathcal N(x_0, 1)}[y^3] = x_0^3 + 3 x_0'") + R"(samples = 2000
[expect]
as_written = "holds"
[control_variates]
third = '\mathbb{E}[x_0^3] = 2.5'
first = '\mathbb{E}[x_0] = 1'
)";
  const int seeds = 200;
  double sum_z = 0, sum_z2 = 0;
  bool used = true;
  for (int s = 1; s <= seeds; ++s) {
    const Check c = run_cv_case(text, static_cast<std::uint64_t>(s));
    bool said = false;
    for (const auto& n : c.notes) said = said || n.find("control variates regressed out") != std::string::npos;
    used = used && said;
    const double z = (c.estimate.mean - c.reference) / c.estimate.std_error;
    sum_z += z;
    sum_z2 += z * z;
  }
  const double mean_z = sum_z / seeds, var_z = sum_z2 / seeds - mean_z * mean_z;
  MESSAGE("tested in mean, over " << seeds << " seeds: mean z " << mean_z << ", var z " << var_z);
  CHECK(used);
  CHECK(std::abs(mean_z) < 0.3);
  CHECK(var_z > 0.7);
  CHECK(var_z < 1.35);
}

// The discrete latent z of a mixture (note 004 sections 1.2-1.3): z = the component number 1..K, p(z) the weights,
// p(x | z) the component density, p(z | x) the responsibilities, and a [define]d function of z a law over 1..K.
namespace {
void define_function(Fixture& f, const std::string& key, const std::string& body) {
  Definition d = definition_key(*parse_formula(key));
  d.body = parse_formula(body);
  f.ctx.defines[d.key] = d;
}
double normal_density(double x, double m, double v) { return std::exp(-(x - m) * (x - m) / (2 * v)) / std::sqrt(2 * M_PI * v); }
}  // namespace

TEST_CASE("the discrete latent: the mixture's weights, components, responsibilities, and laws of z") {
  Fixture f;  // weights 0.5, 0.5; components N(-1, 0.3), N(1.5, 0.6)
  f.define("x", 0.4);
  const double n1 = normal_density(0.4, -1, 0.3), n2 = normal_density(0.4, 1.5, 0.6), px = 0.5 * n1 + 0.5 * n2;
  const double r1 = 0.5 * n1 / px, r2 = 0.5 * n2 / px;
  // A law of z: tempered responsibilities mixed with the uniform, as in cases/latent_elbo. Defining it makes z the
  // latent (and K, \pi_k, \mu_k, \Sigma_k the mixture's).
  CHECK(f.refusal("\\pi_2").find("unknown symbol") != std::string::npos);
  define_function(f, "q(z \\mid x)", "0.8\\frac{p(z \\mid x)^{0.5}}{\\sum_{k=1}^{K} p(k \\mid x)^{0.5}} + \\frac{0.2}{K}");
  CHECK(f.value("K").first == 2);
  CHECK(f.value("\\pi_2").first == 0.5);
  CHECK(f.value("\\mu_2").first == 1.5);
  CHECK(f.value("\\Sigma_1").first == 0.3);
  CHECK(f.value("p(x \\mid 2)").first == doctest::Approx(n2).epsilon(1e-14));
  CHECK(f.value("p(x, 1)").first == doctest::Approx(0.5 * n1).epsilon(1e-14));
  CHECK(f.value("p(2 \\mid x)").first == doctest::Approx(r2).epsilon(1e-14));
  CHECK(f.value("p(x)").first == doctest::Approx(px).epsilon(1e-14));
  // Bayes' rule: the responsibilities sum to 1 (50 digits: to rounding).
  CHECK(boost::multiprecision::abs(f.value("\\sum_{k=1}^{K} p(k \\mid x) - 1").second) < mp50("1e-45"));
  const double q1 = 0.8 * std::sqrt(r1) / (std::sqrt(r1) + std::sqrt(r2)) + 0.1, q2 = 1 - q1;
  CHECK(f.value("q(1 \\mid x)").first == doctest::Approx(q1).epsilon(1e-14));
  // \int ... dz over the latent is the sum over z = 1..K: the total mass, the entropy of p(z), the KL.
  CHECK(f.value("\\int q(z \\mid x)\\,dz").first == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(f.value("\\int p(z)\\log p(z)\\,dz").first == doctest::Approx(-std::log(2.0)).epsilon(1e-15));
  CHECK(f.value("\\int q(z \\mid x)\\log\\frac{q(z \\mid x)}{p(z \\mid x)}\\,dz").first ==
        doctest::Approx(q1 * std::log(q1 / r1) + q2 * std::log(q2 / r2)).epsilon(1e-13));
  // Once a law of z is defined, z must be bound (an expectation, an integral dz, a sum).
  CHECK(f.refusal("q(z \\mid x)").find("not bound") != std::string::npos);
  CHECK(f.refusal("z^2").find("discrete latent") != std::string::npos);
  CHECK(f.refusal("\\nabla_z \\log q(z \\mid x)").find("no score") != std::string::npos);
}

TEST_CASE("an expectation over a law of z draws z by the inverse CDF at one uniform; a KL draws its own z") {
  Fixture f;
  f.define("x", 0.4);
  define_function(f, "q(z \\mid x)", "0.8\\frac{p(z \\mid x)^{0.5}}{\\sum_{k=1}^{K} p(k \\mid x)^{0.5}} + \\frac{0.2}{K}");
  const double n1 = normal_density(0.4, -1, 0.3), n2 = normal_density(0.4, 1.5, 0.6);
  const double q1 = 0.8 * std::sqrt(n1) / (std::sqrt(n1) + std::sqrt(n2)) + 0.1;
  const ExprPtr e = resolve(*parse_formula("\\mathbb{E}_{z\\sim q(z \\mid x)}[10 z + \\pi_z]"), f.ctx);
  REQUIRE(e->op == Op::expect);
  CHECK(e->bound_names == std::vector<std::string>{"z"});  // the key that pairs it with other E_{z ~ q}
  World<double> w;
  w.dim = 1;
  w.schedule = ScheduleT<double>(&f.schedule, f.ctx.sigma2);
  w.data = MixtureT<double>(f.mixture);
  Plan plan;
  plan.bound = {{e->bound_ids[0], 1, 0, false, 0}};
  plan.main_size = 1;
  Noise noise;
  noise.lanes = 4;
  noise.main_per_lane = 1;
  noise.main = {0.01, q1 - 1e-9, q1 + 1e-9, 0.999};
  Evaluator<double> ev(w, plan, noise, 4);
  const Val<double> v = ev.eval(*e);
  CHECK(v.v == std::vector<double>{10.5, 10.5, 20.5, 20.5});
  // A KL's variable has no name: its draws are its own (checks.cpp keys a discrete law's slot by the name).
  const ExprPtr kl = resolve(*parse_formula("D_{KL}(q(z \\mid x) \\| p(z \\mid x))"), f.ctx);
  CHECK(kl->op == Op::expect);
  CHECK(kl->bound_names.empty());
  CHECK(kl->dists[0]->kind == Dist::Kind::categorical);
}

TEST_CASE("quantile F^{-1}_P(u): the normal quantile against closed values, mixtures through their CDF, both tails") {
  Fixture f;
  // Phi^{-1}(0.975) = sqrt 2 erfinv(0.95) (mpmath at 60 digits).
  const auto [q, q50] = f.value("F^{-1}_{\\mathcal N(0, 1)}(0.975)");
  CHECK(std::abs(q - 1.959963984540054) < 1e-12);
  CHECK(boost::multiprecision::abs(q50 - mp50("1.95996398454005423552459443052055152795555007786954839847695")) < mp50("1e-45"));
  // Both tails keep their precision: Phi^{-1}(1e-10) = -6.361340902404056, and the upper tail by symmetry.
  CHECK(f.value("F^{-1}_{\\mathcal N(0, 1)}(0.0000000001)").first == doctest::Approx(-6.361340902404056).epsilon(1e-12));
  CHECK(f.value("F^{-1}_{\\mathcal N(0, 1)}(0.9999999999)").first == doctest::Approx(6.361340902404056).epsilon(1e-6));
  CHECK(std::abs(f.value("\\Phi(F_{\\mathcal N(0, 1)}^{-1}(0.3)) - 0.3").first) < 1e-15);
  CHECK(boost::multiprecision::abs(f.value("\\Phi(F_{\\mathcal N(0, 1)}^{-1}(0.3)) - 0.3").second) < mp50("1e-48"));
  // N(m, v): m + sqrt(v) Phi^{-1}(u).
  CHECK(f.value("F^{-1}_{\\mathcal N(\\mu, \\sigma^2)}(0.975)").first == doctest::Approx(1.3 + std::sqrt(0.4) * 1.959963984540054).epsilon(1e-13));
  // The fixture's mixture (0.5 N(-1, 0.3) + 0.5 N(1.5, 0.6)) and its VE-diffused law: F(F^{-1}(u)) = u.
  for (const char* u : {"0.001", "0.25", "0.5", "0.9", "0.999999"}) {
    const std::string cdf = std::string("0.5\\Phi(\\frac{F^{-1}_{p_{data}}(") + u + ") + 1}{\\sqrt{0.3}}) + 0.5\\Phi(\\frac{F^{-1}_{p_{data}}(" + u +
                            ") - 1.5}{\\sqrt{0.6}}) - " + u;
    CHECK(std::abs(f.value(cdf).first) < 1e-14 * std::max(1.0, std::stod(u) / (1 - std::stod(u))));
    const std::string ve = std::string("0.5\\Phi(\\frac{F^{-1}_{p_{data} * \\mathcal N(0, 4)}(") + u + ") + 1}{\\sqrt{4.3}}) + 0.5\\Phi(\\frac{F^{-1}_{p_{data} * \\mathcal N(0, 4)}(" + u +
                           ") - 1.5}{\\sqrt{4.6}}) - " + u;
    CHECK(std::abs(f.value(ve).first) < 1e-14 * std::max(1.0, std::stod(u) / (1 - std::stod(u))));
  }
  // The tabulated inverse (the double path for a law shared by a block of draws) agrees with the plain solver.
  Mix1T<double> m{{0.5, 0.3, 0.2}, {-2.0, 0.5, 3.0}, {0.5, 1.0, 0.3}};
  QuantileTable table(m);
  for (double u = 1e-9; u < 1; u = u < 0.5 ? u * 3 : 1 - (1 - u) / 3) {
    const double a = m.quantile(u), b = table(u);
    CHECK(std::abs(a - b) <= 1e-13 * (1 + std::abs(a)));
    CHECK(std::abs(m.tail(a, u > 0.5) - (u > 0.5 ? 1 - u : u)) <= 1e-13 * (u > 0.5 ? 1 - u : u));
  }
  CHECK_THROWS_AS(m.quantile(0.0), std::domain_error);
  CHECK_THROWS_AS(table(1.0), std::domain_error);
}

TEST_CASE("quantile: what is refused (u outside (0, 1), a law in 2-D, no law)") {
  Fixture f;
  auto reason = [&](const std::string& s) { return f.refusal(s); };
  CHECK(reason("F^{-1}_{p_{data}}(1.5)").find("is outside (0, 1)") != std::string::npos);
  CHECK(reason("F^{-1}(0.5)").find("names its law in the subscript") != std::string::npos);
  CHECK(reason("F^{-1}_{\\mathcal N(0, 1)}(0.5, 0.2)").find("takes one argument") != std::string::npos);
  CHECK(reason("\\operatorname{quantile}_{p_{data}}(0.5)") == "no error");
  // A defined F wins: F^{-1} is then its reciprocal.
  f.define("F", 4.0);
  CHECK(f.value("F^{-1}").first == 0.25);
  f.ctx.defines.clear();
  const GaussianMixture plane{{1.0}, {Gaussian::isotropic(Vec::Zero(2), 1.0)}};
  f.ctx.dim = 2;
  f.ctx.mixture = &plane;
  CHECK(reason("F^{-1}_{p_{data}}(0.5)").find("dimension 2") != std::string::npos);
}

TEST_CASE("indicator 1[A] and P(A): values, chains, printing; U is one scalar uniform") {
  Fixture f;
  CHECK(f.value("\\mathbb{1}[0.2 < 0.3]").first == 1.0);
  CHECK(f.value("\\mathbf{1}_{\\{\\mu > 2\\}}").first == 0.0);
  CHECK(f.value("\\mathbb{1}_{\\mu \\le 1.3}").first == 1.0);  // equality counts for \le
  CHECK(f.value("\\mathbb{1}[\\mu < 1.3]").first == 0.0);
  CHECK(f.value("\\mathbb{1}[0 < \\mu < 2] + \\mathbb 1(\\mu \\ne 1)").second == mp50(2));
  CHECK(printed("\\mathbf{1}_{\\{x < 1\\}}") == "\\mathbb{1}\\left[x < 1\\right]");
  CHECK(printed("\\Pr[x < 1]") == "P\\left(x < 1\\right)");
  CHECK(printed("P(x_0)") == "P\\left(x_0\\right)");  // no comparison: a call (a density), as before
  // P(A) is E[1[A]] over every random variable of the model.
  const ExprPtr p = resolve(*parse_formula("P(x_0 < 1)"), f.ctx);
  CHECK(p->op == Op::expect);
  CHECK(p->args[0]->op == Op::indicator);
  const ExprPtr u = resolve(*parse_formula("U"), f.ctx);
  CHECK(u->op == Op::random);
  CHECK(u->type == Type::scalar);
  CHECK(u->random);
  auto reason = [&](const std::string& s) { return f.refusal(s); };
  CHECK(reason("P(0.1 < 0.2)").find("does not depend on the draw") != std::string::npos);
  CHECK(reason("\\mathbb{1}[U \\approx 0.5]").find("compares with") != std::string::npos);
}
