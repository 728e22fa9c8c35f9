#pragma once
// Plot data that a claim hands to the report writers. Claims compute the numbers; writers only draw them.
#include <string>
#include <vector>

namespace verify {

struct Series {
  std::string name;   // legend entry
  std::string style;  // "lines", "points", "errorbars" (uses err), "steps" (histogram bars)
  std::vector<double> x, y, err;
};

struct Figure {
  std::string name;  // file stem, unique within the case: plots/<case>__<name>.svg
  std::string title;
  std::string xlabel, ylabel;
  bool logx = false, logy = false;
  std::vector<Series> series;
};

}  // namespace verify
