#pragma once
// Text packed for report.html: zlib-compressed (deflate, level 9) and base64-encoded, unpacked in the page by the
// browser's DecompressionStream("deflate") (private to src/report). Deterministic: the same text gives the same
// bytes. Used for the KaTeX script (270 kB -> 100 kB) and the appendix of per-check tables (about 6x smaller),
// which keeps the whole report folder small; the summary and the errata stay plain HTML.
#include <string>

namespace verify::report {

// Empty when compression fails.
std::string deflate_base64(const std::string& text);
std::string base64(const std::string& bytes);

}  // namespace verify::report
