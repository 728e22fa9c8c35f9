#pragma once
#include <string>

#include "verify/runner.hpp"

namespace verify {
// junit.xml: one <testsuite> per case, one <testcase> per check. A check fails when its form's verdict differs from
// the expectation and its own verdict does too; the failure message carries the numbers. Deterministic apart from the
// `time` attributes.
std::string report_junit(const RunResult& r);
}  // namespace verify
