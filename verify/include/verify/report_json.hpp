#pragma once
#include <string>

#include "verify/runner.hpp"

namespace verify {
// report.json: {"run": {...}, "checks": [...], "forms": [...]}, one check or form per line. Deterministic apart from
// "seconds".
std::string report_json(const RunResult& r);
}  // namespace verify
