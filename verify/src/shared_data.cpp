#include "verify/shared_data.hpp"

#include <cstdlib>
#include <system_error>

#include "verify/errors.hpp"

// Relative path from the installed program's folder to <datadir>/diffusion-verify (e.g. "../share/diffusion-verify"),
// set by CMake from GNUInstallDirs; the build tree mirrors it (build/share/diffusion-verify links to cases/).
#ifndef VERIFY_DATA_DIR_FROM_BINDIR
#define VERIFY_DATA_DIR_FROM_BINDIR "../share/diffusion-verify"
#endif

namespace fs = std::filesystem;

namespace verify {

namespace {
// The running program, through /proc (Linux): symlinks such as /usr/bin/verify -> ... are followed, and the
// working directory plays no part.
fs::path program_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return exe.parent_path();
}
}  // namespace

std::vector<fs::path> shared_data_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("VERIFY_DATA_DIR"); env && *env) dirs.emplace_back(env);
  if (const fs::path bin = program_dir(); !bin.empty())
    dirs.push_back((bin / VERIFY_DATA_DIR_FROM_BINDIR).lexically_normal());
  return dirs;
}

std::string resolve_data_file(const std::string& referencing_file, const std::string& key, const std::string& name) {
  std::error_code ec;
  const fs::path local = (fs::path(referencing_file).parent_path() / name).lexically_normal();
  // Whatever is there (even a folder, which the parser then refuses by name) wins: a case's own file shadows the
  // shared one of the same name.
  if (fs::exists(local, ec)) return local.string();
  std::string looked = local.string();
  if (fs::path(name).is_relative()) {
    const char* env = std::getenv("VERIFY_DATA_DIR");
    if (!env || !*env) looked += ", $VERIFY_DATA_DIR/" + key + "s (not set)";
    for (const auto& dir : shared_data_dirs()) {
      const fs::path p = (dir / (key + "s") / name).lexically_normal();
      if (fs::exists(p, ec)) return p.string();
      looked += ", " + p.string();
    }
  }
  throw InputError(referencing_file, key, "file does not exist: '" + name + "' (looked in: " + looked + ")");
}

}  // namespace verify
