#pragma once
// Cooperative interruption. A SIGINT/SIGTERM handler only sets a flag (the one thing a handler may safely do);
// the runner polls it between cases, the Monte Carlo engine between blocks, and the report writer between
// files, and each stops by throwing Interrupted, so that temporary folders are removed on the way out.
#include <atomic>
#include <stdexcept>

namespace verify {

inline std::atomic<bool> interrupt_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

inline void request_interrupt() noexcept { interrupt_flag.store(true, std::memory_order_relaxed); }
inline bool interrupted() noexcept { return interrupt_flag.load(std::memory_order_relaxed); }

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};
inline void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

// Installs handlers for SIGINT and SIGTERM that call request_interrupt().
void install_interrupt_handlers();

}  // namespace verify
