// Aligned text tables and human units for brokerctl: the small printer every command's
// plain output goes through, so columns line up the same way everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace broker::ctl {

enum class Align { kLeft, kRight };

class Table {
 public:
  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };

  explicit Table(std::vector<Column> columns);

  // Missing trailing cells are empty; extra cells are an error (std::invalid_argument).
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Header, then one line per row; columns separated by `gap` spaces, each line starting
  // with `indent`. Trailing spaces are trimmed. No header if every title is empty.
  std::string render(std::string_view indent = "", size_t gap = 2) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text (code points; every one taken as one column).
size_t display_width(std::string_view text);

// 1234567 -> "1.23 MB" (SI, 1000-based, three significant digits); below 1000 "999 B".
std::string human_bytes(uint64_t bytes);
// Bits per second: "0 b/s", "999 b/s", "12.3 kb/s", "1.50 Gb/s" (SI).
std::string human_bits_per_second(double bps);
// Packets per second: "0", "950", "12.3k", "148.8M" (SI, no unit).
std::string human_packets_per_second(double pps);
// Basis points as a percentage with two decimals: 1234 -> "12.34%".
std::string percent_from_bp(uint32_t bp);
// Port speed: 100000 -> "100G", 2500 -> "2.5G", 100 -> "100M", 0 -> "-".
std::string human_speed_mbps(uint64_t mbps);

}  // namespace broker::ctl
