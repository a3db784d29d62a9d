// The decision log's columns (DESIGN.md, normative format): the normative ones first, then
// len, ts_ns, depth_exceeded and frag_follow, a cell for every column in every row.
#include <cstdio>

#include "decision_log.h"
#include "driver_test_util.h"

namespace broker::drvtest {
namespace {

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t tab = row.find('\t', start);
    out.push_back(row.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

TEST(DriverDecisionLog, HeaderIsTheNormativeColumnsThenTheExtras) {
  EXPECT_STREQ(driver::DecisionLogWriter::header(),
               "frame\tin_port\teth_src\teth_dst\tethertype\tvlan\tmpls\tip_proto\tsrc_ip\tdst_ip\t"
               "src_port\tdst_port\tgtp_teid\tgtp_inner_src\tgtp_inner_dst\tfragment\tmalformed\t"
               "hash\tbucket\tgroup\tout_port\tlen\tts_ns\tdepth_exceeded\tfrag_follow");
}

TEST(DriverDecisionLog, FragFollowIsTheLastCellZeroOrOne) {
  const size_t columns = cells(driver::DecisionLogWriter::header()).size();
  core::FrameResult r{};
  r.decision.group = core::kNoGroup;
  r.decision.out_port = core::kNoPort;
  std::vector<std::string> row = cells(driver::DecisionLogWriter::format_row(1, 0, 5, 64, r));
  ASSERT_EQ(row.size(), columns);
  EXPECT_EQ(row.back(), "0");

  r.decision.group = 0;
  r.decision.out_port = 3;
  r.decision.frag_follow = true;
  r.fields.fragment = true;
  row = cells(driver::DecisionLogWriter::format_row(2, 0, 6, 64, r));
  ASSERT_EQ(row.size(), columns);
  EXPECT_EQ(row.back(), "1");
  EXPECT_EQ(row[20], "3") << "out_port";

  // The writer: the header row, then the row as format_row makes it.
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    driver::DecisionLogWriter log(f);
    log.write(2, 0, 6, 64, r);
  }
  std::rewind(f);
  char buf[1024];
  ASSERT_NE(std::fgets(buf, sizeof buf, f), nullptr);
  EXPECT_EQ(std::string(buf), std::string(driver::DecisionLogWriter::header()) + "\n");
  ASSERT_NE(std::fgets(buf, sizeof buf, f), nullptr);
  EXPECT_EQ(std::string(buf), driver::DecisionLogWriter::format_row(2, 0, 6, 64, r) + "\n");
  std::fclose(f);
}

}  // namespace
}  // namespace broker::drvtest
