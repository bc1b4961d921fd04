// Output helpers for the benchmark: percentiles, number formatting, and tables printed either
// aligned for a terminal or as Markdown for the README. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wsr::bench {

// p in [0, 100]; nearest-rank on a copy. 0 for an empty vector.
double Percentile(std::vector<double> values, double p);

std::string Fixed(double v, int decimals);
// 1234567 -> "1,234,567"
std::string Thousands(double v);
// KiB -> "12.3 MiB"
std::string MiB(int64_t kib);

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Aligned text with two-space indent.
  std::string Text() const;
  std::string Markdown() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace wsr::bench
