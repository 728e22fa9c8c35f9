#pragma once
// Where `mixture = "..."` and `schedule = "..."` strings of a case file are found: next to the case file first,
// then in the shared folder of the installation (mixtures/ and schedules/ under <datadir>/diffusion-verify).
#include <filesystem>
#include <string>
#include <vector>

namespace verify {

// The shared data folders, in search order: $VERIFY_DATA_DIR when set and non-empty, then the folder installed
// beside the running program (its location relative to the program is fixed at configure time, so a moved prefix
// still works). Folders that do not exist are included: the caller lists every place it looked.
std::vector<std::filesystem::path> shared_data_dirs();

// Resolves `name`, written in `referencing_file` under `key` ("mixture" or "schedule"): relative to the folder of
// `referencing_file` (an absolute name is taken as it is), else <shared>/<key>s/<name> in each shared folder. Returns
// the first path that exists. Throws InputError(referencing_file, key, ...) listing every place it looked.
std::string resolve_data_file(const std::string& referencing_file, const std::string& key, const std::string& name);

}  // namespace verify
