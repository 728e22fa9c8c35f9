// The formula layer: the LaTeX reader (trees, positions, macros, derivations, printing that reads back), resolution
// (types, the vocabulary, errors with suggestions) and evaluation against closed forms computed here by hand or in
// 50-digit arithmetic. Expected values: exact rationals, or Boost.Multiprecision at 50 digits where noted.
#include <doctest/doctest.h>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <cmath>

#include "../src/formula/evaluate.hpp"
#include "verify/formula/latex.hpp"
#include "verify/formula/resolve.hpp"
#include "verify/mixture.hpp"
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
