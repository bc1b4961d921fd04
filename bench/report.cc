#include "bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wsr::bench {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string out(buf);
  if (out[0] == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);
  return out;
}

std::string Thousands(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.0f", v);
  std::string digits(buf);
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  std::string out;
  for (size_t i = 0; i < digits.size(); i++) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string MiB(int64_t kib) { return Fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }

std::string Table::Text() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); i++)
      width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = " ";
    for (size_t i = 0; i < width.size(); i++) {
      std::string cell = i < row.size() ? row[i] : "";
      s += " " + cell + std::string(width[i] - cell.size(), ' ') + " ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header_);
  std::string rule = " ";
  for (size_t w : width) rule += " " + std::string(w, '-') + " ";
  out += rule + "\n";
  for (auto& r : rows_) out += line(r);
  return out;
}

std::string Table::Markdown() const {
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = "|";
    for (size_t i = 0; i < header_.size(); i++) s += " " + (i < row.size() ? row[i] : "") + " |";
    return s + "\n";
  };
  std::string out = line(header_);
  std::string rule = "|";
  for (size_t i = 0; i < header_.size(); i++) rule += i == 0 ? " --- |" : " ---: |";
  out += rule + "\n";
  for (auto& r : rows_) out += line(r);
  return out;
}

}  // namespace wsr::bench
