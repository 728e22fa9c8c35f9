#pragma once
// What `verify run` prints: on stdout (coloured only on a terminal) one row per form of every case, or with
// per_check one row per check; then every form that differs from its expectation, every warning and a closing line,
// whatever the table. A progress line goes to stderr for runs longer than a second (only when stderr is a terminal).
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

#include "verify/runner.hpp"

namespace verify {

void print_summary(const RunResult& r, std::ostream& os, bool colour, bool per_check = false);

// True when fd is a terminal and the environment does not ask for plain output (NO_COLOR, TERM=dumb).
bool colour_terminal(int fd);

class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  // Case index of total is starting (index == total: all cases done).
  void update(std::size_t index, std::size_t total, const std::string& name);
  void phase(const std::string& what);  // e.g. "writing reports"
  void clear();

 private:
  void draw(const std::string& line);
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace verify
