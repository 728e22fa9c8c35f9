#pragma once
#include <stdexcept>
#include <string>

namespace verify {

// Bad user input: names the file, the key (dotted path) and the reason. The CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string key, std::string reason)
      : std::runtime_error(file + ": " + (key.empty() ? std::string() : "'" + key + "': ") + reason),
        file_(std::move(file)), key_(std::move(key)), reason_(std::move(reason)) {}
  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_, key_, reason_;
};

// A defect in verify itself (a claim or the engine threw something other than InputError, e.g. an Eigen index or a
// std::out_of_range from its own code): not the user's input. The CLI reports it as an internal error that should
// be reported, with exit code 3, so that CI does not mistake a bug for a bad case file (2).
class InternalError : public std::runtime_error {
 public:
  explicit InternalError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace verify
