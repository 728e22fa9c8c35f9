#pragma once
#include <string>

#include "verify/runner.hpp"

namespace verify {
// junit.xml: one <testsuite> per case, one <testcase> per form. A form fails when its verdict differs from the
// expectation; the failure message names the check that fails worst with its numbers, the failure body has the full
// numbers of every check whose own verdict differs too, and system-out one line per check. A passing form's
// system-out is one line (its check counts and largest discrepancy); every check's numbers are in report.json. Deterministic
// apart from the `time` attributes.
std::string report_junit(const RunResult& r);
}  // namespace verify
