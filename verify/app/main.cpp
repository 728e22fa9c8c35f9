// The `verify` command-line program: a thin layer over the library.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "verify/calibration.hpp"
#include "verify/sweep.hpp"
#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/compare.hpp"
#include "verify/diffused.hpp"
#include "verify/errors.hpp"
#include "verify/interrupt.hpp"
#include "verify/report_console.hpp"
#include "verify/report_writer.hpp"
#include "verify/runner.hpp"

namespace fs = std::filesystem;
using namespace verify;

namespace {

// Strict validators for numeric options: the whole argument must be a number in range, with a message that
// says which of the two is wrong (CLI11's Range reports a non-number as "not in range").
CLI::Validator integer_in(std::int64_t lo, std::int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        std::int64_t v = 0;
        const char* end = s.data() + s.size();
        const auto [p, ec] = std::from_chars(s.data(), end, v);
        if (ec != std::errc() || p != end || s.empty()) return "'" + s + "' is not an integer (or out of range)";
        if (v < lo || v > hi) return s + " is outside " + std::to_string(lo) + ".." + std::to_string(hi);
        return {};
      },
      "INT in " + std::to_string(lo) + ".." + std::to_string(hi));
}
CLI::Validator number_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        std::size_t pos = 0;
        double v = 0;
        try {
          v = std::stod(s, &pos);
        } catch (const std::exception&) {
          return "'" + s + "' is not a number";
        }
        if (pos != s.size()) return "'" + s + "' is not a number";
        if (!(v >= lo && v <= hi)) return "'" + s + "' is outside [" + fmt::format("{}", lo) + ", " + fmt::format("{}", hi) + "]";
        return {};
      },
      fmt::format("NUMBER in [{}, {}]", lo, hi));
}

int cmd_list(bool graph, const std::string& cases_dir) {
  register_all_claims();
  const auto& claims = Registry::instance().all();
  if (graph) {
    std::cout << "digraph claims {\n  rankdir=LR;\n";
    for (const auto& c : claims) {
      std::cout << "  \"" << c.name << "\";\n";
      for (const auto& d : c.depends_on) std::cout << "  \"" << c.name << "\" -> \"" << d << "\";\n";
    }
    std::cout << "}\n";
    return 0;
  }
  std::cout << "Registered claims:\n";
  if (claims.empty()) std::cout << "  (none: cases write their claims in LaTeX, docs/formulas.md; README \"Adding a claim\" for C++)\n";
  for (const auto& c : claims) {
    std::cout << fmt::format("  {:<48} [{}] {}\n", c.name, c.family, c.summary);
    for (const auto& d : c.depends_on) std::cout << fmt::format("  {:<48}   depends on {}\n", "", d);
    for (const ParamSpec& p : c.params)
      std::cout << fmt::format("  {:<48}   params.{}: {} ({})\n", "", p.key, p.meaning, describe(p));
  }
  std::error_code ec;
  if (fs::is_directory(cases_dir, ec)) {
    std::cout << "\nCase files under " << cases_dir << ":\n";
    for (const auto& f : find_case_files(cases_dir)) std::cout << "  " << f << "\n";
  }
  return 0;
}

std::vector<double> parse_point(const std::string& s) {
  std::vector<double> x;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t pos = 0;
    double v;
    try {
      v = std::stod(item, &pos);
    } catch (const std::exception&) {
      throw InputError("--x", "", "'" + item + "' is not a number");
    }
    if (pos != item.size() && item.find_first_not_of(" \t", pos) != std::string::npos)
      throw InputError("--x", "", "'" + item + "' is not a number");
    if (!std::isfinite(v)) throw InputError("--x", "", "coordinates must be finite");
    x.push_back(v);
  }
  if (x.empty()) throw InputError("--x", "", "empty point");
  return x;
}

int cmd_eval(const std::string& mixture_file, const std::string& schedule_file, int t, const std::string& xs) {
  const GaussianMixture data = load_mixture_file(mixture_file);
  const NoiseSchedule s = load_schedule_file(schedule_file);
  if (t < 1 || t > s.T())
    throw InputError("--t", "", "t = " + std::to_string(t) + " is outside 1.." + std::to_string(s.T()));
  const auto xv = parse_point(xs);
  if (static_cast<int>(xv.size()) != data.dim())
    throw InputError("--x", "", "point has " + std::to_string(xv.size()) + " coordinates, the mixture has dimension " +
                                    std::to_string(data.dim()));
  const Vec x = Eigen::Map<const Vec>(xv.data(), static_cast<Eigen::Index>(xv.size()));
  const auto noise = LinearGaussianNoise::ddpm(s, t, data.dim());
  const GaussianMixture qt = noisy_marginal(data, noise);
  const Vec score = qt.score(x), pm = posterior_mean(data, noise, x);
  nlohmann::ordered_json j;
  j["t"] = t;
  j["alpha_bar"] = s.alpha_bar(t);
  j["beta"] = s.beta(t);
  j["beta_tilde"] = s.beta_tilde(t);
  j["snr"] = s.snr(t);
  j["posterior_coef_x0"] = s.posterior_coef_x0(t);
  j["posterior_coef_xt"] = s.posterior_coef_xt(t);
  j["log_density"] = qt.log_density(x);
  j["score"] = std::vector<double>(score.data(), score.data() + score.size());
  j["posterior_mean"] = std::vector<double>(pm.data(), pm.data() + pm.size());
  std::cout << j.dump(2) << "\n";
  return 0;
}

std::vector<CaseSpec> load_cases(std::vector<std::string> files) {
  std::vector<std::string> paths;
  if (files.empty()) files.push_back("cases");
  for (const auto& f : files) {
    std::error_code ec;
    if (fs::is_directory(f, ec)) {
      for (auto& p : find_case_files(f)) paths.push_back(p);
    } else {
      paths.push_back(f);
    }
  }
  std::vector<CaseSpec> cases;
  const ClaimSchemas schemas = claim_schemas();
  for (const auto& p : paths) cases.push_back(load_case(p, schemas));
  return cases;
}

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

int cmd_calibrate(std::vector<std::string> files, const CalibrationOptions& opt) {
  const CalibrationResult r = calibrate(load_cases(std::move(files)), opt);
  std::cout << fmt::format("Calibration: {} seeds, per-check level alpha = {}, budget scale {}\n", opt.seeds, opt.alpha,
                           opt.budget_scale);
  std::cout << fmt::format("{:<40} {:<20} {:<28} {:>6} {:>6} {:>8} {:>17} {:>8} {:>7} {:>7}  {}\n", "case", "form", "label",
                           "runs", "alarms", "rate", "95% CI", "p_above", "z_mean", "z_var", "status");
  std::size_t defects = 0;
  for (const auto& c : r.checks) {
    defects += c.above_nominal;
    std::cout << fmt::format("{:<40} {:<20} {:<28} {:>6} {:>6} {:>8.4f} [{:.4f}, {:.4f}] {:>8.2g} {:>7.3f} {:>7.3f}  {}\n",
                             c.case_name.substr(0, 40), c.form.substr(0, 20), c.label.substr(0, 28), c.runs, c.alarms,
                             c.rate, c.ci_low, c.ci_high, c.p_above, c.z_mean, c.z_var,
                             c.above_nominal ? "ABOVE NOMINAL" : "ok");
  }
  std::cout << fmt::format("Overall: {} alarms in {} check-runs, rate {:.4f}, 95% CI [{:.4f}, {:.4f}] (nominal {})\n",
                           r.alarms, r.runs, r.rate, r.ci_low, r.ci_high, opt.alpha);
  std::cout << fmt::format("Pooled z of {} two-sided checks: mean {:.4f}, variance {:.4f}, KS D = {:.4f}, p = {:.3g}\n",
                           r.z_count, r.z_mean, r.z_var, r.ks_statistic, r.ks_p);
  std::cout << fmt::format("{} check(s) significantly above nominal; {:.1f} s\n", defects, r.seconds);
  return defects == 0 ? 0 : 1;
}

int cmd_sweep(const std::vector<std::string>& files, const SweepOptions& opt, bool verbose) {
  std::cout << fmt::format("Sweep: seed {} (replay with --seed {}), {} draws per case, alpha {}, samples {}\n", opt.seed,
                           opt.seed, opt.draws, opt.alpha, opt.samples ? std::to_string(opt.samples) + " at most" : "as the cases");
  const SweepResult r = sweep(files, opt);
  for (const auto& d : r.draws) {
    if (!verbose && d.outcome != "refuted" && d.outcome != "error") continue;
    std::string vals;
    for (const auto& [k, v] : d.values) vals += fmt::format(" {}={:.6g}", k, v);
    std::cout << fmt::format("  {} draw {}{}: {}{}\n", d.file, d.index, vals.empty() ? " (seed only)" : vals, d.outcome,
                             d.reason.empty() ? "" : " - " + d.reason);
    if (d.outcome == "refuted")
      std::cout << fmt::format("    replay: verify sweep {} --seed {} --draws {} --draw {} -v\n", d.file, opt.seed, opt.draws, d.index);
  }
  for (const auto& f : r.skipped) std::cout << "  skipped (no form expected to hold): " << f << "\n";
  std::cout << fmt::format("{:<18} {:>5} {:>6} {:>6} {:>12} {:>10} {:>12} {:>6} {:>8} {:>5}  {}\n", "family", "cases", "draws",
                           "holds", "inconclusive", "degenerate", "input error", "errors", "refuted", "band", "status");
  std::size_t draws = 0, refuted = 0;
  for (const auto& f : r.families) {
    draws += f.draws;
    refuted += f.refuted;
    std::cout << fmt::format("{:<18} {:>5} {:>6} {:>6} {:>12} {:>10} {:>12} {:>6} {:>8} {:>5}  {}\n", f.family, f.cases, f.draws,
                             f.holds, f.inconclusive, f.degenerate, f.input_errors, f.errors, f.refuted, f.band,
                             f.ok() ? "ok" : f.errors ? "ERRORS" : "ABOVE BAND");
  }
  std::cout << fmt::format("{} draws, {} refuted (band: at most {} of {} draws at rate {}, level {}); {:.1f} s\n", draws, refuted,
                           binomial_band(draws, opt.alpha, opt.band_level), draws, opt.alpha, opt.band_level, r.seconds);
  return r.ok() ? 0 : 1;
}

int cmd_mutants(std::vector<std::string> files, RunOptions opt, std::size_t min_mutants) {
  opt.include_mutants = true;
  const RunResult r = run_cases(load_cases(std::move(files)), opt);
  // A mutant is killed when its form is refuted, i.e. when at least one of its checks is: a wrong formula may
  // coincide with the right one at some t or point, and that check alone cannot tell them apart.
  std::size_t total = 0, killed = 0, algebraic = 0, disproved = 0, proved = 0;
  std::cout << fmt::format("{:<40} {:<52} {:<12} {:>8} {:>10} {:<10}\n", "case", "mutant", "verdict", "checks", "max |z|", "proof");
  for (const auto& f : r.forms) {
    if (!is_mutant_form(f.form)) continue;
    ++total;
    const bool dead = f.verdict == Verdict::refuted;
    killed += dead;
    std::size_t n = 0;
    double zmax = 0;
    for (const auto& c : r.checks)
      if (c.case_name == f.case_name && c.check.form == f.form) {
        ++n;
        zmax = std::max(zmax, std::abs(c.assessment.z));
      }
    // A mutant of a formula case with an algebraic reading must also be disproved exactly.
    if (f.proof != ProofStatus::none) ++algebraic;
    disproved += f.proof == ProofStatus::disproved;
    proved += f.proof == ProofStatus::proved;
    std::cout << fmt::format("{:<40} {:<52} {:<12} {:>8} {:>10.3g} {:<10}{}{}\n", f.case_name.substr(0, 40), f.form.substr(7, 52),
                             to_string(f.verdict), n, zmax, f.proof == ProofStatus::none ? "-" : to_string(f.proof),
                             dead ? "" : "   SURVIVED", f.proof == ProofStatus::proved ? "   PROVED (a mutant cannot be right)" : "");
  }
  std::size_t disagreements = 0;
  for (const auto& c : r.checks) disagreements += proof_disagrees(c);
  for (const auto& w : r.warnings)
    if (w.rfind("proof disagrees", 0) == 0) std::cout << "warning: " << w << "\n";
  bool real_ok = true;
  for (const auto& f : r.forms)
    if (!is_mutant_form(f.form) && !f.matches()) real_ok = false;
  std::cout << fmt::format("Mutation score: {} of {} mutants refuted ({:.1f}%){}\n", killed, total,
                           total ? 100.0 * killed / total : 0.0, real_ok ? "" : "; some real forms differ from expectation");
  std::cout << fmt::format("Proofs: {} of {} mutants with an algebraic reading disproved exactly ({} undecided, {} proved)\n",
                           disproved, algebraic, algebraic - disproved - proved, proved);
  if (total < min_mutants) {
    std::cout << fmt::format("FAIL: only {} mutant(s) registered, at least {} required\n", total, min_mutants);
    return 1;
  }
  if (disagreements) std::cout << fmt::format("FAIL: {} check(s) whose exact proof contradicts the numeric verdict\n", disagreements);
  return (killed == total && real_ok && proved == 0 && disagreements == 0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"diffusion-verify: Monte Carlo checks of the mathematics of diffusion models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_string());
  app.footer("Exit codes: 0 every verdict as expected, 1 a verdict differs, 2 bad input or usage (nothing written), "
             "3 internal error (a bug in verify: please report it), 130 interrupted.");

  auto* list = app.add_subcommand("list", "List registered claims and the case files found");
  bool graph = false;
  std::string cases_dir = "cases";
  list->add_flag("--graph", graph, "Print the claim dependency graph (Graphviz DOT)");
  list->add_option("--cases", cases_dir, "Folder of case files")->capture_default_str();

  auto* run = app.add_subcommand("run", "Run case files and write reports");
  std::vector<std::string> files;
  std::string out = "reports/latest";
  std::int64_t seed = -1;
  int threads = 0;
  double alpha = 1e-3;
  bool no_plots = false;
  run->add_option("cases", files, "Case files or folders (default: every case under cases/)");
  run->add_option("--out", out, "Report folder")->capture_default_str();
  run->add_option("--seed", seed, "Seed for every case (default: each case's own)")->check(integer_in(0, std::numeric_limits<std::int64_t>::max()));
  run->add_option("--threads", threads, "Worker threads (default: all cores)")->check(integer_in(1, 1024));
  run->add_option("--alpha", alpha, "Family-wise false-alarm rate over all checks")->capture_default_str()
      ->check(number_in(1e-12, 0.5));
  run->add_flag("--no-plots", no_plots, "Do not draw plots (no plots/ folder, no gnuplot)");
  std::string formats = "all";
  run->add_option("--format", formats, "Reports to write: all, or a comma-separated list of json, md, html, junit")
      ->capture_default_str();
  bool per_check = false;
  run->add_flag("--checks,-v", per_check, "Print one row per check (default: one row per form)");
  bool mutants = false;
  run->add_flag("--mutants", mutants, "Also run each claim's wrong variants (forms mutant:*), which must be refuted");
  bool no_proofs = false;
  run->add_flag("--no-proofs", no_proofs, "Do not decide the formula cases' equations exactly (numeric verdicts only)");

  auto* eval = app.add_subcommand("eval", "Evaluate the exact oracle at one point (JSON on stdout)");
  std::string mixture_file, schedule_file, x;
  int t = 0;
  eval->add_option("--mixture", mixture_file, "File with a [mixture] table (a case file will do)")->required();
  eval->add_option("--schedule", schedule_file, "File with a [schedule] table (a case file will do)")->required();
  eval->add_option("--t", t, "Diffusion step, 1..T")->required();
  eval->add_option("--x", x, "Point x_t, comma-separated coordinates")->required();

  auto* cal = app.add_subcommand("calibrate", "Rerun holding checks under many seeds and measure false alarms");
  std::vector<std::string> cal_files;
  CalibrationOptions cal_opt;
  int cal_threads = 0;
  cal->add_option("cases", cal_files, "Case files or folders (default: cases/)");
  cal->add_option("--seeds", cal_opt.seeds, "Number of independent seeds")->capture_default_str()->check(integer_in(1, 100000));
  cal->add_option("--alpha", cal_opt.alpha, "Per-check level counted as an alarm")->capture_default_str()
      ->check(number_in(1e-6, 0.5));
  cal->add_option("--budget-scale", cal_opt.budget_scale, "Multiply every case's sample count")->capture_default_str()
      ->check(number_in(1e-6, 100.0));
  cal->add_option("--base-seed", cal_opt.base_seed, "Base of the derived seeds")->capture_default_str();
  cal->add_option("--threads", cal_threads, "Worker threads (default: all cores)")->check(integer_in(1, 1024));

  auto* mut = app.add_subcommand("mutants", "Run every claim's wrong variants; all must be refuted (mutation score)");
  std::vector<std::string> mut_files;
  std::int64_t mut_seed = -1;
  int mut_threads = 0;
  double mut_alpha = 1e-3;
  mut->add_option("cases", mut_files, "Case files or folders (default: cases/)");
  mut->add_option("--seed", mut_seed, "Seed for every case")->check(integer_in(0, std::numeric_limits<std::int64_t>::max()));
  mut->add_option("--threads", mut_threads, "Worker threads")->check(integer_in(1, 1024));
  std::size_t mut_min = 1;
  mut->add_option("--min", mut_min, "Fail unless at least this many mutants are registered")->capture_default_str();
  mut->add_option("--alpha", mut_alpha, "Family-wise false-alarm rate")->capture_default_str()->check(number_in(1e-12, 0.5));
  bool mut_no_proofs = false;
  mut->add_flag("--no-proofs", mut_no_proofs, "Do not decide the mutants exactly");

  auto* swp = app.add_subcommand("sweep", "Property test over hostile parameters: draw each case's numbers log-uniformly "
                                           "across their range; holding forms must never be refuted beyond the false-alarm band");
  std::vector<std::string> swp_files;
  SweepOptions swp_opt;
  int swp_threads = 0;
  bool swp_verbose = false;
  std::int64_t swp_draw = -1;
  swp->add_option("cases", swp_files, "Case files or folders (default: cases/)");
  swp->add_option("--draws", swp_opt.draws, "Parameter draws per case")->capture_default_str()->check(integer_in(1, 1000000));
  swp->add_option("--seed", swp_opt.seed, "The sweep's seed (printed; the same seed replays the same draws)")->capture_default_str();
  swp->add_option("--samples", swp_opt.samples, "Cap on every case's sample budget (0: the cases' own)")->capture_default_str();
  swp->add_option("--alpha", swp_opt.alpha, "Family-wise false-alarm rate of each run")->capture_default_str()
      ->check(number_in(1e-12, 0.5));
  swp->add_option("--draw", swp_draw, "Replay only this draw (index)")->check(integer_in(0, 1000000));
  swp->add_option("--threads", swp_threads, "Worker threads")->check(integer_in(1, 1024));
  swp->add_flag("--verbose,-v", swp_verbose, "Print every draw (default: refuted draws only)");

  auto* cmp = app.add_subcommand("compare", "Compare a report.json with a baseline report.json (CI gate; exit 1 on a "
                                            "changed verdict, a missing check or form, or a weaker holding check)");
  std::string cmp_baseline, cmp_report, cmp_junit;
  CompareOptions cmp_opt;
  cmp->add_option("baseline", cmp_baseline, "Baseline report.json")->required();
  cmp->add_option("report", cmp_report, "report.json of the run under test")->required();
  cmp->add_option("--weaker-factor", cmp_opt.weaker_factor,
                  "Fail when a holding check's min_detectable_relative grew by more than this factor")
      ->capture_default_str()->check(number_in(1.0, 1e6));
  cmp->add_option("--junit", cmp_junit, "Also write the differences as JUnit XML to this file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*list) return cmd_list(graph, cases_dir);
    if (*eval) return cmd_eval(mixture_file, schedule_file, t, x);
    if (*cmp) {
      const ReportDigest b = load_report_digest(cmp_baseline), r = load_report_digest(cmp_report);
      const Comparison c = compare_reports(b, r, cmp_opt);
      print_comparison(c, b, r, std::cout);
      if (!cmp_junit.empty()) {
        std::ofstream j(cmp_junit, std::ios::binary);
        if (!(j << comparison_junit(c, b, r)) || !j.flush()) throw InputError(cmp_junit, "", "cannot be written");
      }
      return c.failures() == 0 ? 0 : 1;
    }
    if (*cal) {
      cal_opt.threads = cal_threads > 0 ? cal_threads : default_threads();
      return cmd_calibrate(cal_files, cal_opt);
    }
    if (*swp) {
      swp_opt.threads = swp_threads > 0 ? swp_threads : default_threads();
      swp_opt.only_draw = swp_draw;
      return cmd_sweep(swp_files, swp_opt, swp_verbose);
    }
    if (*mut) {
      RunOptions mo;
      if (mut_seed >= 0) mo.seed = static_cast<std::uint64_t>(mut_seed);
      mo.threads = mut_threads > 0 ? mut_threads : default_threads();
      mo.alpha = mut_alpha;
      mo.proofs = !mut_no_proofs;
      return cmd_mutants(mut_files, mo, mut_min);
    }
    // run
    std::vector<CaseSpec> cases = load_cases(files);
    RunOptions opt;
    if (seed >= 0) opt.seed = static_cast<std::uint64_t>(seed);
    opt.threads = threads > 0 ? threads : default_threads();
    opt.alpha = alpha;
    opt.include_mutants = mutants;
    opt.proofs = !no_proofs;
    ReportOptions ropt = parse_formats(formats);
    ropt.plots = !no_plots;
    // SIGINT/SIGTERM set a flag; the runner, the engine and the writer stop at their next poll, the temporary
    // report folder is removed, and the previous report stays as it was (exit status 130).
    install_interrupt_handlers();
    Progress progress(colour_terminal(STDERR_FILENO));
    opt.progress = [&](std::size_t i, std::size_t n, const std::string& name) { progress.update(i, n, name); };
    const RunResult r = run_cases(std::move(cases), opt);
    const auto warnings = write_reports(r, out, ropt, [&](const std::string& what) { progress.phase(what); });
    progress.clear();
    print_summary(r, std::cout, colour_terminal(STDOUT_FILENO), per_check);
    for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
    return r.all_match() ? 0 : 1;
  } catch (const Interrupted&) {
    std::cerr << "\ninterrupted: no report written; " << out << " is unchanged\n";
    return 130;
  } catch (const InputError& e) {
    if (interrupted()) return std::cerr << "\ninterrupted\n", 130;
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    // InternalError (a claim's own exception) and anything else unexpected: a defect of verify, not bad input.
    if (interrupted()) return std::cerr << "\ninterrupted\n", 130;
    std::cerr << "internal error: " << e.what() << "\nThis is a bug in verify, not in the input; please report it.\n";
    return 3;
  }
}
