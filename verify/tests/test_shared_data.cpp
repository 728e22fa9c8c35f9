// Mixture/schedule names in case files: next to the case file first, then in the shared folders; the error lists
// every place looked. The working directory plays no part.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "verify/case_file.hpp"
#include "verify/claim.hpp"
#include "verify/errors.hpp"
#include "verify/shared_data.hpp"

namespace fs = std::filesystem;
using namespace verify;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "verify-shared-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}
const char* mixture_a = "[mixture]\nweights = [1.0]\nmeans = [[0.0]]\ncovariances = [[[1.0]]]\n";
const char* mixture_b = "[mixture]\nweights = [1.0]\nmeans = [[5.0]]\ncovariances = [[[2.0]]]\n";
const char* case_text =
    "statement = '''\\operatorname{Var}(x_t) = \\bar\\alpha_t \\operatorname{Var}(x_0) + 1 - \\bar\\alpha_t'''\n"
    "mixture = \"m.toml\"\nschedule = \"linear_1000.toml\"\n"
    "[source]\nnote = \"n\"\nsection = \"s\"\n[budget]\nsamples = 1000\nseed = 1\n[grid]\nt = [1]\n"
    "[expect]\nas_written = \"holds\"\n";
struct EnvGuard {
  std::string old;
  bool had;
  EnvGuard() : had(std::getenv("VERIFY_DATA_DIR") != nullptr) {
    if (had) old = std::getenv("VERIFY_DATA_DIR");
  }
  ~EnvGuard() { had ? (void)::setenv("VERIFY_DATA_DIR", old.c_str(), 1) : (void)::unsetenv("VERIFY_DATA_DIR"); }
};
}  // namespace

TEST_CASE("The case file's own folder first, then $VERIFY_DATA_DIR; any working directory") {
  EnvGuard env;
  TempDir t;
  write(t.path / "shared/mixtures/m.toml", mixture_b);
  write(t.path / "shared/schedules/linear_1000.toml", "[schedule]\nkind = \"linear\"\nT = 1000\n");
  write(t.path / "proj/cases/c.toml", case_text);
  ::setenv("VERIFY_DATA_DIR", (t.path / "shared").c_str(), 1);
  const fs::path cwd = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  const std::string case_path = (t.path / "proj/cases/c.toml").string();
  CaseSpec c = load_case(case_path);
  CHECK(c.mixture->mean()(0) == doctest::Approx(5.0));  // from the shared folder
  CHECK(c.schedule->T() == 1000);
  write(t.path / "proj/cases/m.toml", mixture_a);  // the case's own file shadows the shared one
  c = load_case(case_path);
  CHECK(c.mixture->mean()(0) == doctest::Approx(0.0));
  CHECK(resolve_data_file(case_path, "mixture", "m.toml") == (t.path / "proj/cases/m.toml").string());
  fs::current_path(cwd);
}

TEST_CASE("Not found anywhere: the error names the case file, the key and every place looked") {
  EnvGuard env;
  TempDir t;
  write(t.path / "c.toml", case_text);
  ::setenv("VERIFY_DATA_DIR", (t.path / "nowhere").c_str(), 1);
  const std::string case_path = (t.path / "c.toml").string();
  const std::string expected = case_path + ": 'mixture': file does not exist: 'm.toml' (looked in: " +
                               (t.path / "m.toml").string() + ", " + (t.path / "nowhere/mixtures/m.toml").string();
  CHECK_THROWS_WITH_AS(load_case(case_path), doctest::Contains(expected.c_str()), InputError);
  ::unsetenv("VERIFY_DATA_DIR");
  CHECK_THROWS_WITH_AS(load_case(case_path), doctest::Contains("$VERIFY_DATA_DIR/mixtures (not set)"), InputError);
  // An absolute name is taken as written, not searched for in the shared folders.
  CHECK_THROWS_WITH_AS(resolve_data_file(case_path, "schedule", "/no/such.toml"),
                       doctest::Contains("(looked in: /no/such.toml)"), InputError);
}

TEST_CASE("The shared folders: $VERIFY_DATA_DIR first, then the one beside the running program") {
  EnvGuard env;
  ::setenv("VERIFY_DATA_DIR", "/opt/data", 1);
  auto dirs = shared_data_dirs();
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == "/opt/data");
  CHECK(dirs[1].filename() == "diffusion-verify");
  ::setenv("VERIFY_DATA_DIR", "", 1);  // empty counts as unset
  CHECK(shared_data_dirs().size() == 1);
}

TEST_CASE("find_case_files skips mixtures/ and schedules/ only below the folder searched") {
  TempDir t;
  write(t.path / "mixtures/proj/cases/a/c.toml", case_text);
  write(t.path / "mixtures/proj/cases/mixtures/m.toml", mixture_a);
  const auto files = find_case_files((t.path / "mixtures/proj/cases").string());
  REQUIRE(files.size() == 1);
  CHECK(fs::path(files[0]).filename() == "c.toml");
}
