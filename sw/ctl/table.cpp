#include "table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace broker::ctl {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() > columns_.size())
    throw std::invalid_argument(
        fmt::format("table row has {} cells for {} columns", cells.size(), columns_.size()));
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

size_t display_width(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;  // count lead bytes, not continuation bytes
  return n;
}

std::string Table::render(std::string_view indent, size_t gap) const {
  const size_t ncol = columns_.size();
  std::vector<size_t> width(ncol, 0);
  bool header = false;
  for (size_t c = 0; c < ncol; ++c) {
    width[c] = display_width(columns_[c].title);
    header = header || !columns_[c].title.empty();
  }
  for (const auto& row : rows_)
    for (size_t c = 0; c < ncol; ++c) width[c] = std::max(width[c], display_width(row[c]));

  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l(indent);
    for (size_t c = 0; c < ncol; ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      if (c > 0) l.append(gap, ' ');
      if (columns_[c].align == Align::kRight) {
        l.append(pad, ' ');
        l += cells[c];
      } else {
        l += cells[c];
        l.append(pad, ' ');
      }
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  if (header) {
    std::vector<std::string> titles;
    for (const auto& col : columns_) titles.push_back(col.title);
    line(titles);
  }
  for (const auto& row : rows_) line(row);
  return out;
}

namespace {

// Three significant digits with an SI prefix: value 1234 -> "1.23 k".
std::string si(double value, const char* unit, bool space) {
  static const char* const prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  if (!std::isfinite(value) || value < 0) value = 0;
  int p = 0;
  while (value >= 999.5 && p < 6) {
    value /= 1000.0;
    ++p;
  }
  std::string number;
  if (p == 0)
    number = fmt::format("{:.0f}", value);
  else if (value >= 99.95)
    number = fmt::format("{:.0f}", value);
  else if (value >= 9.995)
    number = fmt::format("{:.1f}", value);
  else
    number = fmt::format("{:.2f}", value);
  return fmt::format("{}{}{}{}", number, space ? " " : "", prefixes[p], unit);
}

}  // namespace

std::string human_bytes(uint64_t bytes) { return si(double(bytes), "B", true); }

std::string human_bits_per_second(double bps) { return si(bps, "b/s", true); }

std::string human_packets_per_second(double pps) { return si(pps, "", false); }

std::string percent_from_bp(uint32_t bp) { return fmt::format("{}.{:02}%", bp / 100, bp % 100); }

std::string human_speed_mbps(uint64_t mbps) {
  if (mbps == 0) return "-";
  if (mbps >= 1000) {
    if (mbps % 1000 == 0) return fmt::format("{}G", mbps / 1000);
    return fmt::format("{:g}G", double(mbps) / 1000.0);
  }
  return fmt::format("{}M", mbps);
}

}  // namespace broker::ctl
