// The real `broker-replay` command line (DESIGN.md, normative command shape) on the shipped
// examples/seed.conf with two shared captures on two ingress ports: exit status, one capture
// per member port, no frame lost, and the decision log's normative format checked row by row
// against the captures it describes. Also: a refused configuration and bad --in specs fail
// with a clear message.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "driver_test_util.h"
#include "testdata.h"
#include "tool_run.h"

namespace broker::drvtest {
namespace {

using broker::testing::ToolRun;
using broker::testing::slurp;

// Runs broker-replay with args (no shell), capturing stdout and stderr into dir.
ToolRun run_replay(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  return broker::testing::run_tool(BROKER_REPLAY_EXE, args, dir);
}

std::vector<std::string> split(const std::string& line, char sep = '\t') {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t pos = line.find(sep, start);
    cells.push_back(line.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return cells;
    start = pos + 1;
  }
}

const std::vector<std::string> kNormativeColumns = {
    "frame", "in_port", "eth_src", "eth_dst", "ethertype", "vlan", "mpls", "ip_proto", "src_ip", "dst_ip",
    "src_port", "dst_port", "gtp_teid", "gtp_inner_src", "gtp_inner_dst", "fragment", "malformed",
    "hash", "bucket", "group", "out_port"};

std::filesystem::path seed_conf() { return std::filesystem::path(BROKER_SOURCE_DIR) / "examples" / "seed.conf"; }

// Two Ethernet captures from the shared folder: preferred ones when present, else any two.
std::vector<std::filesystem::path> two_captures() {
  std::vector<std::filesystem::path> picks;
  for (const char* name : {"tcpreplay_test.pcap", "zeek_http-bro.org.pcap"})
    if (std::filesystem::exists(broker::testing::shared_pcap_dir() / name))
      picks.push_back(broker::testing::shared_pcap_dir() / name);
  for (const auto& p : broker::testing::shared_captures())
    if (picks.size() < 2 && std::find(picks.begin(), picks.end(), p) == picks.end()) picks.push_back(p);
  return picks;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}
bool is_decimal(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit); }

TEST(DriverReplayTool, SeedConfigOverTwoSharedCaptures) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  const auto caps = two_captures();
  ASSERT_EQ(caps.size(), 2u);
  const auto dir = temp_dir("replay");
  const auto out_dir = dir / "out";
  const auto log_path = dir / "decisions.tsv";
  // Ports 2 and 6: two of seed.conf's eight TAPs, not the first ones.
  const uint8_t in_port[2] = {2, 6};

  // What went in, per input, in file order: (ts_ns, len).
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> input(2);
  for (int i = 0; i < 2; ++i) {
    io::PcapSource src(caps[size_t(i)].string());
    io::Frame f;
    while (src.next(f)) input[size_t(i)].push_back({f.ts_ns, uint32_t(f.data.size())});
    ASSERT_FALSE(input[size_t(i)].empty()) << caps[size_t(i)];
  }
  const uint64_t frames_in = input[0].size() + input[1].size();

  const ToolRun r = run_replay({"--config", seed_conf().string(), "--in", fmt::format("{}={}", in_port[0], caps[0].string()),
                            "--in", fmt::format("{}={}", in_port[1], caps[1].string()), "--out-dir",
                            out_dir.string(), "--log", log_path.string()},
                           dir);
  ASSERT_EQ(r.status, 0) << "stderr:\n" << r.err << "\nstdout:\n" << r.out;
  EXPECT_NE(r.out.find(fmt::format("frames in {}, out {}, dropped 0", frames_in, frames_in)), std::string::npos)
      << "summary:\n" << r.out;

  // One capture per member port of seed.conf (egress 0..3), nothing else.
  std::map<int, std::vector<std::pair<uint64_t, uint32_t>>> out_frames;
  for (const auto& e : std::filesystem::directory_iterator(out_dir)) {
    const std::string name = e.path().filename().string();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(name, m, std::regex("egress-([0-9]+)\\.pcap"))) << name;
    const int port = std::stoi(m[1]);
    io::PcapSource src(e.path().string());
    io::Frame f;
    auto& v = out_frames[port];
    while (src.next(f)) v.push_back({f.ts_ns, uint32_t(f.data.size())});
  }
  ASSERT_EQ(out_frames.size(), 4u);
  uint64_t frames_out = 0;
  std::string per;
  for (int p = 0; p < 4; ++p) {
    ASSERT_EQ(out_frames.count(p), 1u) << "no capture for member port " << p;
    frames_out += out_frames[p].size();
    per += fmt::format(" {}:{}", p, out_frames[p].size());
  }
  std::printf("[replay-tool] %s on %u + %s on %u: %llu frames in, per egress pcap%s\n",
              caps[0].filename().c_str(), in_port[0], caps[1].filename().c_str(), in_port[1],
              (unsigned long long)frames_in, per.c_str());
  EXPECT_EQ(frames_out, frames_in) << "frames lost or duplicated between input and output captures";

  // The decision log.
  std::ifstream log(log_path);
  std::string line;
  ASSERT_TRUE(std::getline(log, line));
  const std::vector<std::string> header = split(line);
  ASSERT_GE(header.size(), kNormativeColumns.size());
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + long(kNormativeColumns.size())),
            kNormativeColumns)
      << "header: " << line;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  ASSERT_TRUE(col.count("len") && col.count("ts_ns")) << "extra columns len/ts_ns expected after the normative ones";
  ASSERT_TRUE(col.count("frag_follow")) << "header: " << line;

  const std::regex mac("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"), ethertype("^0x[0-9a-f]{4}$"), hash("^0x[0-9a-f]+$");
  std::map<int, uint64_t> next_frame = {{in_port[0], 1}, {in_port[1], 1}};
  std::map<int, size_t> next_in = {{in_port[0], 0}, {in_port[1], 0}};
  std::map<int, std::vector<std::pair<uint64_t, uint32_t>>> log_out;
  size_t rows = 0;
  while (std::getline(log, line)) {
    ++rows;
    const std::vector<std::string> c = split(line);
    ASSERT_EQ(c.size(), header.size()) << "row " << rows << ": " << line;
    const auto at = [&](const char* name) { return c[col.at(name)]; };
    SCOPED_TRACE("log row " + std::to_string(rows) + ": " + line);

    const int in = std::stoi(at("in_port"));
    ASSERT_TRUE(next_frame.count(in)) << "in_port " << in << " is not one of the inputs";
    EXPECT_EQ(std::stoull(at("frame")), next_frame[in]++) << "frame must count from 1 per input file";
    const auto& want = input[in == in_port[0] ? 0 : 1].at(next_in[in]++);
    EXPECT_EQ(std::stoull(at("ts_ns")), want.first);
    EXPECT_EQ(std::stoul(at("len")), want.second);

    EXPECT_TRUE(std::regex_match(at("eth_src"), mac)) << at("eth_src");
    EXPECT_TRUE(std::regex_match(at("eth_dst"), mac)) << at("eth_dst");
    EXPECT_TRUE(at("ethertype").empty() || std::regex_match(at("ethertype"), ethertype)) << at("ethertype");
    for (const char* n : {"vlan", "mpls", "ip_proto", "src_port", "dst_port", "gtp_teid"})
      EXPECT_TRUE(at(n).empty() || is_decimal(at(n))) << n << " = " << at(n);
    for (const char* n : {"src_ip", "dst_ip", "gtp_inner_src", "gtp_inner_dst"})
      EXPECT_TRUE(at(n).empty() || is_ip(at(n))) << n << " = " << at(n);
    EXPECT_EQ(at("src_ip").empty(), at("dst_ip").empty());
    EXPECT_TRUE(at("fragment") == "0" || at("fragment") == "1");
    EXPECT_TRUE(at("malformed") == "0" || at("malformed") == "1");
    EXPECT_TRUE(at("frag_follow") == "0" || (at("frag_follow") == "1" && at("fragment") == "1"))
        << "frag_follow " << at("frag_follow") << ", fragment " << at("fragment");
    ASSERT_TRUE(std::regex_match(at("hash"), hash)) << at("hash");
    const uint64_t h = std::stoull(at("hash"), nullptr, 16);
    EXPECT_LE(h, 0xFFFFFFFFull);
    ASSERT_TRUE(is_decimal(at("bucket")));
    EXPECT_EQ(std::stoul(at("bucket")), h & (rm::kBuckets - 1)) << "bucket is the low hash bits";
    EXPECT_EQ(at("group"), "0");
    ASSERT_TRUE(is_decimal(at("out_port"))) << "seed.conf drops nothing: out_port must be set";
    const int out = std::stoi(at("out_port"));
    EXPECT_GE(out, 0);
    EXPECT_LE(out, 3);
    log_out[out].push_back(want);
  }
  EXPECT_EQ(rows, frames_in) << "one log row per input frame";
  EXPECT_EQ(next_in[in_port[0]], input[0].size());
  EXPECT_EQ(next_in[in_port[1]], input[1].size());
  // out_port says which capture the frame landed in: per port, the log's frames are exactly
  // that capture's frames, in order.
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(log_out[p].size(), out_frames[p].size()) << "rows with out_port " << p << " vs egress-" << p << ".pcap";
    EXPECT_EQ(log_out[p], out_frames[p]) << "egress-" << p << ".pcap holds other frames than the log sends there";
  }
  std::filesystem::remove_all(dir);
}

TEST(DriverReplayTool, RefusedConfigurationExitsNonZeroNamingTheField) {
  const auto dir = temp_dir("replay-refused");
  // seed.conf with xor16 but not symmetric: refused, naming groups[0].hash.
  std::string text = slurp(seed_conf());
  ASSERT_NE(text.find("hash: HASH_CRC32"), std::string::npos);
  ASSERT_NE(text.find("symmetric: true"), std::string::npos);
  text.replace(text.find("hash: HASH_CRC32"), std::string("hash: HASH_CRC32").size(), "hash: HASH_XOR16");
  text.replace(text.find("symmetric: true"), std::string("symmetric: true").size(), "symmetric: false");
  const auto bad = dir / "bad.conf";
  std::ofstream(bad) << text;

  // A capture to feed it: generated, so this test needs no shared data.
  const auto pcap = dir / "in.pcap";
  {
    io::PcapSink sink(pcap.string());
    const auto fr = make_frame({0x0A000001, 0x0A000002, 1234, 80, kTcp});
    sink.write(1000, fr.data(), uint32_t(fr.size()));
  }
  const ToolRun r = run_replay({"--config", bad.string(), "--in", "0=" + pcap.string(), "--out-dir",
                            (dir / "out").string()},
                           dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("groups[0].hash"), std::string::npos) << "stderr:\n" << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "egress-0.pcap")) << "a refused run wrote captures";

  // The same file made valid again runs fine (the refusal was for that one field).
  text.replace(text.find("symmetric: false"), std::string("symmetric: false").size(), "symmetric: true");
  std::ofstream(bad) << text;
  const ToolRun ok = run_replay({"--config", bad.string(), "--in", "0=" + pcap.string(), "--out-dir",
                             (dir / "out").string()},
                            dir);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(count_pcap_frames((dir / "out" / "egress-0.pcap").string()) +
                count_pcap_frames((dir / "out" / "egress-1.pcap").string()) +
                count_pcap_frames((dir / "out" / "egress-2.pcap").string()) +
                count_pcap_frames((dir / "out" / "egress-3.pcap").string()),
            1u);
  std::filesystem::remove_all(dir);
}

TEST(DriverReplayTool, BadInSpecExitsNonZeroWithAClearMessage) {
  const auto dir = temp_dir("replay-badin");
  const auto pcap = dir / "in.pcap";
  {
    io::PcapSink sink(pcap.string());
    const auto fr = make_frame({0x0A000001, 0x0A000002, 1234, 80, kTcp});
    sink.write(1000, fr.data(), uint32_t(fr.size()));
  }
  struct Case {
    std::string spec, needle;
  };
  const std::vector<Case> cases = {
      {pcap.string(), "PORT=PCAP"},                 // no port at all
      {"0=", "PORT=PCAP"},                          // no capture
      {"=" + pcap.string(), "PORT=PCAP"},           // empty port
      {"x=" + pcap.string(), "ingress port 'x'"},   // not a number
      {"8=" + pcap.string(), "ingress port '8'"},   // out of range (0..7)
      {"-1=" + pcap.string(), "ingress port '-1'"},
      {"0=" + (dir / "missing.pcap").string(), "missing.pcap"},  // no such capture
  };
  for (const Case& c : cases) {
    const ToolRun r = run_replay({"--config", seed_conf().string(), "--in", c.spec, "--out-dir", (dir / "out").string()}, dir);
    EXPECT_NE(r.status, 0) << "--in " << c.spec << " was accepted";
    EXPECT_NE(r.err.find(c.needle), std::string::npos)
        << "--in " << c.spec << ": stderr does not say '" << c.needle << "':\n" << r.err;
    std::printf("[replay-tool] --in %-40s exit %d: %s", c.spec.substr(0, 40).c_str(), r.status,
                r.err.substr(0, r.err.find('\n') + 1).c_str());
  }
  std::filesystem::remove_all(dir);
}

TEST(DriverReplayTool, UnmappedIngressIsDroppedWithAnEmptyOutPort) {
  const auto dir = temp_dir("replay-unmapped");
  const auto conf = dir / "one.conf";
  std::ofstream(conf) << "name: \"one\"\n" << group_text({0, 1});  // ingress 0 and 1 only
  const auto pcap = dir / "in.pcap";
  {
    io::PcapSink sink(pcap.string());
    uint64_t ts = 1000;
    for (const Flow& f : random_flows(20, 3)) {
      const auto fr = make_frame(f, 100);
      sink.write(ts += 1000, fr.data(), uint32_t(fr.size()));
    }
  }
  const auto log_path = dir / "log.tsv";
  const ToolRun r = run_replay({"--config", conf.string(), "--in", "0=" + pcap.string(), "--in", "5=" + pcap.string(),
                                "--out-dir", (dir / "out").string(), "--log", log_path.string()},
                               dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("frames in 40, out 20, dropped 20"), std::string::npos) << r.out;
  std::ifstream log(log_path);
  std::string line;
  std::getline(log, line);
  const auto header = split(line);
  const auto col = [&](const char* n) { return size_t(std::find(header.begin(), header.end(), n) - header.begin()); };
  size_t dropped = 0, rows = 0;
  while (std::getline(log, line)) {
    ++rows;
    const auto c = split(line);
    if (c[col("in_port")] == "5") {
      ++dropped;
      EXPECT_EQ(c[col("out_port")], "") << line;
      EXPECT_EQ(c[col("group")], "") << line;
    } else {
      EXPECT_NE(c[col("out_port")], "") << line;
    }
  }
  EXPECT_EQ(rows, 40u);
  EXPECT_EQ(dropped, 20u);
  EXPECT_EQ(count_pcap_frames((dir / "out" / "egress-0.pcap").string()) +
                count_pcap_frames((dir / "out" / "egress-1.pcap").string()),
            20u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace broker::drvtest
