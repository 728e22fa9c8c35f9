#pragma once
// PEGTL grammar for the LaTeX math the notes write. Precedence, loosest first:
//   relation  a = b, a \le b, a \propto b, ...
//   expr      sign? term (+|- term)*
//   term      chain (\cdot|\times|/ chain)*
//   chain     factor factor ...            (implicit multiplication; stops before an integral's "dx")
//   factor    \log chain | \exp chain | \sum_{}^{} term | \lim_{} term | \int ... dx | \mathbb{E}_{}[...] | \nabla_{} chain
//             | atom postfix*
//   atom      number | symbol | call f(...) | \frac{}{} | \sqrt{} | (..) [..] \{..\} {..} | \|..\| | |..|
// The tree is built by tao::pegtl::parse_tree from the selected rules (latex_parser.cpp turns it into a Node).
#include <tao/pegtl.hpp>

namespace verify::formula::grammar {

using namespace tao::pegtl;

// ---------- low level
struct cmd_end : not_at<alpha> {};
template <class Name>
struct kw : seq<one<'\\'>, Name, cmd_end> {};
#define VF_KW(s) kw<TAO_PEGTL_STRING(s)>

struct brace_skip : seq<one<'{'>, until<one<'}'>>> {};
// Spacing and layout commands: ignored wherever they appear.
struct spacing
    : sor<plus<space>, seq<one<'\\'>, one<',', ';', '!', ':', '>', ' '>>, VF_KW("qquad"), VF_KW("quad"),
          VF_KW("displaystyle"), VF_KW("textstyle"), VF_KW("scriptstyle"), VF_KW("nonumber"), VF_KW("notag"),
          VF_KW("limits"), VF_KW("nolimits"), seq<VF_KW("left"), star<space>, one<'.'>>,
          seq<VF_KW("right"), star<space>, one<'.'>>, seq<sor<VF_KW("label"), VF_KW("tag")>, star<space>, brace_skip>,
          seq<VF_KW("color"), star<space>, brace_skip>, one<'~', '&'>> {};
struct ws : star<spacing> {};
template <class R>
struct tk : seq<ws, R> {};

struct size_cmd : sor<VF_KW("left"), VF_KW("right"), VF_KW("middle"), VF_KW("bigl"), VF_KW("bigr"), VF_KW("Bigl"),
                      VF_KW("Bigr"), VF_KW("biggl"), VF_KW("biggr"), VF_KW("Biggl"), VF_KW("Biggr"), VF_KW("bigg"),
                      VF_KW("Bigg"), VF_KW("big"), VF_KW("Big")> {};
template <class D>
struct delim : seq<ws, opt<size_cmd, ws>, D> {};

struct lparen : delim<one<'('>> {};
struct rparen : delim<one<')'>> {};
struct lbrack : delim<one<'['>> {};
struct rbrack : delim<one<']'>> {};
struct lset : delim<seq<one<'\\'>, one<'{'>>> {};
struct rset : delim<seq<one<'\\'>, one<'}'>>> {};
struct lbrace : tk<one<'{'>> {};
struct rbrace : tk<one<'}'>> {};
// Norm delimiters (also the KL separator): \| \Vert \lVert \rVert \parallel ||
struct dbar_tok : sor<seq<one<'\\'>, one<'|'>>, VF_KW("Vert"), VF_KW("lVert"), VF_KW("rVert"), VF_KW("parallel"),
                      seq<one<'|'>, one<'|'>>> {};
struct dbar : delim<dbar_tok> {};
struct abs_open : delim<sor<seq<one<'|'>, not_at<one<'|'>>>, VF_KW("lvert"), VF_KW("vert")>> {};
struct abs_close : delim<sor<seq<one<'|'>, not_at<one<'|'>>>, VF_KW("rvert"), VF_KW("vert")>> {};
struct cond_bar : delim<sor<seq<one<'|'>, not_at<one<'|'>>>, VF_KW("mid"), VF_KW("vert")>> {};

// ---------- tokens
struct number : seq<sor<seq<plus<digit>, opt<one<'.'>, plus<digit>>>, seq<one<'.'>, plus<digit>>>> {};
struct number_tok : tk<number> {};
struct single_digit : tk<digit> {};

struct greek_name
    : sor<TAO_PEGTL_STRING("varepsilon"), TAO_PEGTL_STRING("epsilon"), TAO_PEGTL_STRING("alpha"),
          TAO_PEGTL_STRING("beta"), TAO_PEGTL_STRING("gamma"), TAO_PEGTL_STRING("delta"), TAO_PEGTL_STRING("zeta"),
          TAO_PEGTL_STRING("eta"), TAO_PEGTL_STRING("vartheta"), TAO_PEGTL_STRING("theta"), TAO_PEGTL_STRING("iota"),
          TAO_PEGTL_STRING("kappa"), TAO_PEGTL_STRING("lambda"), TAO_PEGTL_STRING("mu"), TAO_PEGTL_STRING("nu"),
          TAO_PEGTL_STRING("xi"), TAO_PEGTL_STRING("varpi"), TAO_PEGTL_STRING("pi"), TAO_PEGTL_STRING("varrho"),
          TAO_PEGTL_STRING("rho"), TAO_PEGTL_STRING("varsigma"), TAO_PEGTL_STRING("sigma"), TAO_PEGTL_STRING("tau"),
          TAO_PEGTL_STRING("upsilon"), TAO_PEGTL_STRING("varphi"), TAO_PEGTL_STRING("phi"), TAO_PEGTL_STRING("chi"),
          TAO_PEGTL_STRING("psi"), TAO_PEGTL_STRING("omega"), TAO_PEGTL_STRING("Gamma"), TAO_PEGTL_STRING("Delta"),
          TAO_PEGTL_STRING("Theta"), TAO_PEGTL_STRING("Lambda"), TAO_PEGTL_STRING("Xi"), TAO_PEGTL_STRING("Pi"),
          TAO_PEGTL_STRING("Sigma"), TAO_PEGTL_STRING("Upsilon"), TAO_PEGTL_STRING("Phi"), TAO_PEGTL_STRING("Psi"),
          TAO_PEGTL_STRING("Omega"), TAO_PEGTL_STRING("ell"), TAO_PEGTL_STRING("infty"),
          TAO_PEGTL_STRING("partial")> {};
struct greek : seq<one<'\\'>, greek_name, cmd_end> {};
// Multi-letter words that notes write without \mathrm (KL(p||q), SNR(t), Var(X)).
struct word : seq<sor<TAO_PEGTL_STRING("SNR"), TAO_PEGTL_STRING("KL"), TAO_PEGTL_STRING("Var"), TAO_PEGTL_STRING("Cov"),
                      TAO_PEGTL_STRING("ELBO"), TAO_PEGTL_STRING("VLB")>,
                  not_at<alpha>> {};
struct letter : alpha {};
struct text_content : star<not_one<'}'>> {};
struct style_name : sor<TAO_PEGTL_STRING("mathbf"), TAO_PEGTL_STRING("boldsymbol"), TAO_PEGTL_STRING("bm"),
                        TAO_PEGTL_STRING("mathcal"), TAO_PEGTL_STRING("mathbb"), TAO_PEGTL_STRING("mathscr"),
                        TAO_PEGTL_STRING("mathit"), TAO_PEGTL_STRING("mathsf"), TAO_PEGTL_STRING("mathfrak")> {};
struct text_name : sor<TAO_PEGTL_STRING("mathrm"), TAO_PEGTL_STRING("textrm"), TAO_PEGTL_STRING("textit"),
                       TAO_PEGTL_STRING("textbf"), TAO_PEGTL_STRING("text"), TAO_PEGTL_STRING("operatorname")> {};
struct text_atom : seq<one<'\\'>, text_name, cmd_end, ws, one<'{'>, text_content, one<'}'>> {};
struct style_cmd : seq<one<'\\'>, style_name, cmd_end> {};
struct accent_name : sor<TAO_PEGTL_STRING("overline"), TAO_PEGTL_STRING("bar"), TAO_PEGTL_STRING("widetilde"),
                         TAO_PEGTL_STRING("tilde"), TAO_PEGTL_STRING("widehat"), TAO_PEGTL_STRING("hat"),
                         TAO_PEGTL_STRING("vec"), TAO_PEGTL_STRING("dot"), TAO_PEGTL_STRING("ddot"),
                         TAO_PEGTL_STRING("check"), TAO_PEGTL_STRING("breve")> {};
struct accent_cmd : seq<one<'\\'>, accent_name, cmd_end> {};

struct symbol_core;
struct styled : seq<style_cmd, ws, sor<seq<one<'{'>, ws, symbol_core, ws, one<'}'>>, symbol_core>> {};
struct accented : seq<accent_cmd, ws, sor<seq<one<'{'>, ws, symbol_core, ws, one<'}'>>, symbol_core>> {};
struct symbol_core : sor<accented, styled, text_atom, greek, word, letter> {};

// ---------- expressions
struct expr;
struct term;
struct chain;
struct factor;
struct relation;

// Subscript / superscript content: one token, or a braced list of items (x_{1:T}, \sum_{t=1}, E_{x \sim p}).
struct sim_op : tk<VF_KW("sim")> {};
struct range_op : tk<sor<seq<one<'.'>, one<'.'>, opt<one<'.'>>>, VF_KW("ldots"), VF_KW("dots"), VF_KW("cdots"), one<':'>>> {};
struct assign_op : tk<one<'='>> {};
struct to_op : tk<sor<VF_KW("to"), VF_KW("rightarrow")>> {};
struct sub_item : seq<expr, opt<sor<seq<sim_op, expr>, seq<range_op, expr>, seq<assign_op, expr>, seq<to_op, expr>>>> {};
struct sub_list : seq<sub_item, star<tk<one<','>>, sub_item>> {};
struct script_group : seq<lbrace, opt<sub_list>, rbrace> {};
struct script_token : sor<number_tok, tk<symbol_core>, single_digit> {};
// A single-token script takes one character or one command: x_10 is x_1 0 in TeX, so digits are read one at a time.
struct script_single : sor<tk<seq<digit>>, tk<symbol_core>> {};
struct top_mark : tk<sor<VF_KW("top"), VF_KW("intercal"), VF_KW("prime"), one<'*'>>> {};
struct sub_script : seq<tk<one<'_'>>, sor<script_group, script_single>> {};
struct sup_script : seq<tk<one<'^'>>, sor<seq<lbrace, top_mark, rbrace>, top_mark, script_group, script_single>> {};
struct prime_mark : tk<plus<one<'\''>>> {};
struct postfix : sor<sub_script, sup_script, prime_mark> {};

// Arguments of a call: expressions separated by , ; | || (conditioning bar, the KL separator, \mathcal N(x; m, v)).
struct arg_sep : sor<tk<one<','>>, tk<one<';'>>, dbar, cond_bar> {};
struct call_args : seq<expr, star<arg_sep, expr>> {};
struct call_paren : seq<lparen, must<opt<call_args>, rparen>> {};
struct call_brack : seq<lbrack, call_args, rbrack> {};
struct expect_cmd;
struct callee : seq<ws, not_at<expect_cmd>, symbol_core, star<postfix>> {};
struct call : seq<callee, sor<call_paren, call_brack>> {};
struct symbol : seq<ws, not_at<expect_cmd>, symbol_core> {};

struct frac_cmd : sor<VF_KW("frac"), VF_KW("tfrac"), VF_KW("dfrac"), VF_KW("cfrac")> {};
struct frac_arg : sor<seq<lbrace, expr, rbrace>, single_digit, tk<symbol_core>> {};
struct frac : seq<tk<frac_cmd>, must<frac_arg, frac_arg>> {};
struct root_degree : seq<tk<one<'['>>, expr, tk<one<']'>>> {};
struct sqrt_op : seq<tk<VF_KW("sqrt")>, opt<root_degree>, must<frac_arg>> {};
struct paren_group : seq<lparen, expr, rparen> {};
struct brack_group : seq<lbrack, expr, rbrack> {};
struct set_group : seq<lset, expr, rset> {};
struct brace_group : seq<lbrace, relation, rbrace> {};
struct norm : seq<dbar, expr, dbar> {};
struct abs_val : seq<abs_open, expr, abs_close> {};
// Decorations that change nothing: \underbrace{x}_{label}, \boxed{x}, \textcolor{blue}{x}.
struct wrapper_cmd : sor<VF_KW("underbrace"), VF_KW("overbrace"), VF_KW("boxed"), VF_KW("underline")> {};
struct label_script : sor<seq<tk<one<'_'>>, sor<script_group, script_single>>, seq<tk<one<'^'>>, sor<script_group, script_single>>> {};
struct wrapper : seq<tk<wrapper_cmd>, lbrace, relation, rbrace, opt<label_script>> {};
struct colored : seq<tk<sor<VF_KW("textcolor"), VF_KW("colorbox")>>, tk<brace_skip>, lbrace, relation, rbrace> {};

struct atom : sor<frac, sqrt_op, call, paren_group, brack_group, set_group, brace_group, norm, abs_val, wrapper,
                  colored, number_tok, symbol> {};
struct postfix_atom : seq<atom, star<postfix>> {};

// An integral's differential: d (or \mathrm{d}) and a variable, where the integrand ends.
struct diff_d : sor<one<'d'>, seq<one<'\\'>, sor<TAO_PEGTL_STRING("mathrm"), TAO_PEGTL_STRING("text")>, cmd_end, ws,
                                   one<'{'>, ws, one<'d'>, ws, one<'}'>>> {};
struct diff_var : seq<symbol_core, star<postfix>> {};
struct diff_end : sor<eof, one<')', ']', '}', '+', '-', '=', '&', '<', '>', '$', ','>, seq<one<'\\'>, one<'\\'>>,
                      seq<one<'\\'>, sor<TAO_PEGTL_STRING("right"), TAO_PEGTL_STRING("end"), TAO_PEGTL_STRING("le"),
                                         TAO_PEGTL_STRING("ge"), TAO_PEGTL_STRING("approx"), TAO_PEGTL_STRING("propto"),
                                         TAO_PEGTL_STRING("geq"), TAO_PEGTL_STRING("leq"), TAO_PEGTL_STRING("int")>>> {};
struct differential : seq<ws, diff_d, ws, diff_var, ws, at<diff_end>> {};
// A differential written first, right after the integral sign: \int dx\, f(x).
struct lead_differential : seq<ws, diff_d, ws, diff_var> {};

struct log_cmd : sor<VF_KW("log"), VF_KW("ln")> {};
struct exp_cmd : VF_KW("exp") {};
struct named_func_cmd : sor<VF_KW("det"), VF_KW("tr"), VF_KW("sin"), VF_KW("cos"), VF_KW("tanh"), VF_KW("Var"),
                            VF_KW("Cov")> {};
struct func_name : sor<log_cmd, exp_cmd, named_func_cmd> {};
// \log q(x) \Delta t is log(q(x)) times Delta t, but \log 2\pi\sigma^2 is log(2 pi sigma^2): an operator takes
// one closed factor (a call, brackets, a fraction, a norm) when one follows, else the whole implicit product.
struct closed_atom : sor<frac, call, paren_group, brack_group, set_group, brace_group, norm, abs_val> {};
struct closed_factor : seq<closed_atom, star<postfix>> {};
struct func_op : seq<tk<func_name>, sor<closed_factor, chain>> {};

struct sum_cmd : tk<VF_KW("sum")> {};
struct prod_cmd : tk<VF_KW("prod")> {};
struct big_op_scripts : star<sor<sub_script, sup_script>> {};
struct sum_op : seq<sum_cmd, big_op_scripts, must<term>> {};
// \lim_{h \to 0} f: the limit of f as the step h halves (or a count K doubles), by Richardson extrapolation.
struct lim_cmd : tk<VF_KW("lim")> {};
struct lim_op : seq<lim_cmd, big_op_scripts, must<term>> {};
struct prod_op : seq<prod_cmd, big_op_scripts, must<term>> {};
// \operatorname{median}_{s=a}^{b} f: the median of f over an index range.
struct median_cmd : tk<seq<one<'\\'>, TAO_PEGTL_STRING("operatorname"), cmd_end, ws, one<'{'>, ws, TAO_PEGTL_STRING("median"), ws, one<'}'>>> {};
struct median_op : seq<median_cmd, big_op_scripts, must<term>> {};

struct int_cmd : tk<VF_KW("int")> {};
struct integral : seq<int_cmd, big_op_scripts, sor<seq<lead_differential, term>, seq<must<expr>, must<differential>>>> {};

// \mathbb{E}_{sub}[f | cond] or \mathbb{E}_{sub} f (a chain, as note 001 writes \mathbb{E}_q \log p(x_0|x_1)).
struct expect_cmd : seq<ws, seq<one<'\\'>, TAO_PEGTL_STRING("mathbb"), cmd_end, ws, sor<seq<one<'{'>, ws, one<'E'>, ws, one<'}'>>, one<'E'>>>> {};
struct cond_list : seq<expr, star<tk<one<','>>, expr>> {};
struct expect_body : seq<expr, opt<cond_bar, cond_list>> {};
struct expect_brack : sor<seq<lbrack, expect_body, rbrack>, seq<lparen, expect_body, rparen>, seq<lset, expect_body, rset>> {};
// \mathbb{E}[f]^2, as notes write the square of an expectation: the power applies to the bracketed expectation.
struct expect_power : seq<sup_script> {};
struct expect_op : seq<expect_cmd, big_op_scripts, must<sor<seq<expect_brack, opt<expect_power>>, chain>>> {};

struct nabla_cmd : tk<VF_KW("nabla")> {};
struct nabla_op : seq<nabla_cmd, opt<sub_script>, must<factor>> {};

// The indicator of an event, \mathbb{1}[X < c] (also \mathbf{1}, \mathds{1}; [..], \{..\}, (..), or a subscript
// _{X < c} / _{\{X < c\}}), and its probability P(X < c) = E[1[X < c]] (also \Pr, \mathbb{P}). The event must
// contain a comparison; P(x) without one stays a call (a density).
struct rel_op;
struct event : seq<expr, plus<rel_op, must<expr>>> {};
struct one_cmd : seq<one<'\\'>, sor<TAO_PEGTL_STRING("mathbb"), TAO_PEGTL_STRING("mathbf"), TAO_PEGTL_STRING("mathds"),
                                    TAO_PEGTL_STRING("boldsymbol"), TAO_PEGTL_STRING("bm")>,
                     cmd_end, ws, sor<seq<one<'{'>, ws, one<'1'>, ws, one<'}'>>, one<'1'>>> {};
struct event_brackets : sor<seq<lbrack, event, rbrack>, seq<lset, event, rset>, seq<lparen, event, rparen>> {};
struct indicator_op : seq<tk<one_cmd>, sor<event_brackets, seq<tk<one<'_'>>, lbrace, sor<seq<lset, event, rset>, event>, rbrace>>> {};
struct prob_cmd : sor<VF_KW("Pr"), seq<one<'\\'>, TAO_PEGTL_STRING("mathbb"), cmd_end, ws, sor<seq<one<'{'>, ws, one<'P'>, ws, one<'}'>>, one<'P'>>>,
                      seq<one<'P'>, not_at<alpha>>> {};
struct prob_op : seq<tk<prob_cmd>, sor<seq<lparen, event, rparen>, seq<lbrack, event, rbrack>>> {};

struct factor : sor<func_op, sum_op, prod_op, median_op, lim_op, integral, expect_op, nabla_op, indicator_op, prob_op, postfix_atom> {};
struct chain : seq<factor, star<not_at<differential>, factor>> {};

struct mul_op : tk<sor<VF_KW("cdot"), VF_KW("times"), VF_KW("div"), one<'/'>, one<'*'>>> {};
struct sign : tk<one<'+', '-'>> {};
struct signed_chain : seq<opt<sign>, chain> {};
struct term : seq<chain, star<mul_op, must<signed_chain>>> {};
struct add_op : tk<one<'+', '-'>> {};
struct expr : seq<opt<sign>, term, star<add_op, must<term>>> {};

struct rel_op : tk<sor<VF_KW("leqslant"), VF_KW("leq"), VF_KW("le"), VF_KW("geqslant"), VF_KW("geq"), VF_KW("ge"),
                       VF_KW("approx"), VF_KW("propto"), VF_KW("simeq"), VF_KW("triangleq"), VF_KW("coloneqq"),
                       VF_KW("equiv"), VF_KW("neq"), VF_KW("ne"), seq<one<':'>, one<'='>>, one<'='>,
                       seq<one<'<'>, not_at<one<'='>>>, seq<one<'>'>, not_at<one<'='>>>>> {};
struct relation : seq<expr, star<rel_op, must<expr>>> {};
struct formula : seq<relation, ws, eof> {};

#undef VF_KW
}  // namespace verify::formula::grammar
