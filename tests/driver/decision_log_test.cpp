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
               "hash\tbucket\tgroup\tout_port\tlen\tts_ns\tdepth_exceeded\tfrag_follow\ttunnel\ttunnel_id\t"
               "tunnel_src\tfilter");
}

TEST(DriverDecisionLog, FragFollowZeroOrOneThenTheTunnel) {
  const size_t columns = cells(driver::DecisionLogWriter::header()).size();
  core::FrameResult r{};
  r.decision.group = core::kNoGroup;
  r.decision.out_port = core::kNoPort;
  std::vector<std::string> row = cells(driver::DecisionLogWriter::format_row(1, 0, 5, 64, r));
  ASSERT_EQ(row.size(), columns);
  EXPECT_EQ(row[24], "0") << "frag_follow";
  EXPECT_EQ(row[25], "none") << "tunnel";
  EXPECT_EQ(row[26], "") << "tunnel_id";
  EXPECT_EQ(row[27], "") << "tunnel_src";
  EXPECT_EQ(row[28], "") << "filter";

  r.decision.group = 0;
  r.decision.out_port = 3;
  r.decision.frag_follow = true;
  r.fields.fragment = true;
  r.fields.tunnel = core::kTunErspan2;
  r.fields.tunnel_id = 301;
  r.fields.tunnel_src_version = 4;
  r.fields.tunnel_src[12] = 192, r.fields.tunnel_src[13] = 0, r.fields.tunnel_src[14] = 2, r.fields.tunnel_src[15] = 7;
  row = cells(driver::DecisionLogWriter::format_row(2, 0, 6, 64, r));
  ASSERT_EQ(row.size(), columns);
  EXPECT_EQ(row[24], "1") << "frag_follow";
  EXPECT_EQ(row[25], "erspan2");
  EXPECT_EQ(row[26], "301");
  EXPECT_EQ(row[27], "192.0.2.7");
  r.decision.filtered = true;
  r.decision.rule = 1;
  EXPECT_EQ(cells(driver::DecisionLogWriter::format_row(2, 0, 6, 64, r, {"ids", "web"}))[28], "web");
  EXPECT_EQ(cells(driver::DecisionLogWriter::format_row(2, 0, 6, 64, r))[28], "rule 1");
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
