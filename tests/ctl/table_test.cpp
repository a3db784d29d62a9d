#include "table.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace broker::ctl {
namespace {

TEST(CtlTable, AlignsColumnsAndRightAlignsNumbers) {
  Table t({{"PORT", Align::kRight}, {"NAME"}, {"PACKETS", Align::kRight}});
  t.add_row({"0", "tap-core-1", "12"});
  t.add_row({"15", "x", "1234567"});
  EXPECT_EQ(t.render(),
            "PORT  NAME        PACKETS\n"
            "   0  tap-core-1       12\n"
            "  15  x           1234567\n");
}

TEST(CtlTable, IndentGapAndTrailingSpacesTrimmed) {
  Table t({{"A"}, {"B"}});
  t.add_row({"long-value", ""});
  t.add_row({"v", "w"});
  EXPECT_EQ(t.render("  ", 1),
            "  A          B\n"
            "  long-value\n"
            "  v          w\n");
}

TEST(CtlTable, NoHeaderWhenTitlesEmptyAndShortRowsPadded) {
  Table t({{""}, {""}, {"", Align::kRight}});
  t.add_row({"hash", "0x1"});
  t.add_row({"bucket", "7", "9"});
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.render(),
            "hash    0x1\n"
            "bucket  7    9\n");
}

TEST(CtlTable, TooManyCellsIsAnError) {
  Table t({{"A"}});
  EXPECT_THROW(t.add_row({"1", "2"}), std::invalid_argument);
}

TEST(CtlTable, Utf8CountsCodePoints) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("\xc3\xa9t\xc3\xa9"), 3u);  // "été"
  Table t({{"N"}, {"X"}});
  t.add_row({"\xc3\xa9", "1"});
  t.add_row({"ab", "2"});
  EXPECT_EQ(t.render(), "N   X\n\xc3\xa9   1\nab  2\n");
}

TEST(CtlTable, EmptyTableIsJustTheHeader) {
  Table t({{"GROUP"}, {"PACKETS", Align::kRight}});
  EXPECT_EQ(t.render(), "GROUP  PACKETS\n");
}

TEST(CtlUnits, Bytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(999), "999 B");
  EXPECT_EQ(human_bytes(1000), "1.00 kB");
  EXPECT_EQ(human_bytes(1234567), "1.23 MB");
  EXPECT_EQ(human_bytes(12345678), "12.3 MB");
  EXPECT_EQ(human_bytes(123456789), "123 MB");
  EXPECT_EQ(human_bytes(999999), "1.00 MB");  // rounds up into the next prefix, not "1000 kB"
  EXPECT_EQ(human_bytes(1500000000000ull), "1.50 TB");
}

TEST(CtlUnits, Rates) {
  EXPECT_EQ(human_bits_per_second(0), "0 b/s");
  EXPECT_EQ(human_bits_per_second(100e9), "100 Gb/s");
  EXPECT_EQ(human_bits_per_second(1.5e9), "1.50 Gb/s");
  EXPECT_EQ(human_bits_per_second(-3), "0 b/s");
  EXPECT_EQ(human_packets_per_second(148.8e6), "149M");
  EXPECT_EQ(human_packets_per_second(950), "950");
  EXPECT_EQ(human_packets_per_second(12345), "12.3k");
}

TEST(CtlUnits, PercentAndSpeed) {
  EXPECT_EQ(percent_from_bp(0), "0.00%");
  EXPECT_EQ(percent_from_bp(1234), "12.34%");
  EXPECT_EQ(percent_from_bp(10000), "100.00%");
  EXPECT_EQ(percent_from_bp(5), "0.05%");
  EXPECT_EQ(human_speed_mbps(0), "-");
  EXPECT_EQ(human_speed_mbps(100000), "100G");
  EXPECT_EQ(human_speed_mbps(2500), "2.5G");
  EXPECT_EQ(human_speed_mbps(100), "100M");
}

}  // namespace
}  // namespace broker::ctl
