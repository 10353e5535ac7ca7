// Code42-like export lines for the micro-benchmarks, made in memory so each
// benchmark runs on the same bytes without files: the flat and nested event
// shapes with Windows paths, escapes, non-ASCII and raw U+2028, and a long
// line of the kind that gets split.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace c42::bench {

// `count` event lines (no '\n'), alternating flat and nested; deterministic.
std::vector<std::string> sample_lines(size_t count);

// One line of about `bytes` bytes: an event with a long list of tab titles.
std::string long_line(size_t bytes);

// The lines joined, each followed by '\n': an object's NDJSON text.
std::string joined(const std::vector<std::string>& lines);

} // namespace c42::bench
