// `broker-replay --card soft` against `--card verilator`: the real command line on real
// captures, once per card, and the outputs compared byte for byte: the decision log and every
// egress-*.pcap. Every shared capture on the seed configuration (a few on two ingress ports, to
// exercise the merge), on a multi-member static configuration with another tuple, and on a
// dynamic configuration whose threshold cannot be reached and whose idle timeout cannot expire
// (so time, which differs between the cards, cannot change a decision).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "config_loader.h"
#include "driver.h"
#include "pcap_source.h"
#include "replay.h"
#include "soft_card.h"
#include "testdata.h"
#include "tool_run.h"
#if BROKER_REPLAY_HAS_VERILATOR
#include "verilator_frame_card.h"
#endif

namespace broker::replaytest {
namespace {

namespace fs = std::filesystem;

using broker::testing::ToolRun;
using broker::testing::slurp;

fs::path temp_dir(const std::string& tag) {
  const auto dir = fs::temp_directory_path() / fmt::format("broker-replaytest-{}-{}", ::getpid(), tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Runs broker-replay with args (no shell), capturing stdout and stderr into dir.
ToolRun run_replay(const std::vector<std::string>& args, const fs::path& dir) {
  return broker::testing::run_tool(BROKER_REPLAY_EXE, args, dir);
}

std::string last_line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line, found;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) found = line;
  return found;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> v;
  std::istringstream in(row);
  for (std::string c; std::getline(in, c, '\t');) v.push_back(c);
  if (!row.empty() && row.back() == '\t') v.push_back("");
  return v;
}

struct Figures {
  size_t runs = 0, rows = 0;
  double soft_s = 0, verilator_s = 0;
};

// Runs one configuration with the given --in specs on both cards; every output must be the
// same bytes. `what` names the case in messages.
void expect_same_outputs(const fs::path& conf, const std::vector<std::string>& ins, const std::string& what,
                         const fs::path& work, Figures& fig) {
  SCOPED_TRACE(what);
  std::map<std::string, fs::path> out_dir;
  std::map<std::string, std::string> summary;
  for (const char* card : {"soft", "verilator"}) {
    const fs::path dir = work / card;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::vector<std::string> args = {"--card", card, "--config", conf.string(), "--out-dir", (dir / "out").string(),
                                     "--log", (dir / "log.tsv").string()};
    for (const auto& in : ins) args.insert(args.end(), {"--in", in});
    const auto t0 = std::chrono::steady_clock::now();
    const ToolRun r = run_replay(args, dir);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    (std::string(card) == "soft" ? fig.soft_s : fig.verilator_s) += s;
    ASSERT_EQ(r.status, 0) << "--card " << card << " failed; stderr:\n" << r.err;
    out_dir[card] = dir;
    summary[card] = last_line_starting(r.out, "frames in ");
  }
  ++fig.runs;
  EXPECT_FALSE(summary["soft"].empty());
  EXPECT_EQ(summary["soft"], summary["verilator"]) << "summary line";

  const std::string log_soft = slurp(out_dir["soft"] / "log.tsv"), log_sim = slurp(out_dir["verilator"] / "log.tsv");
  const auto a = lines_of(log_soft), b = lines_of(log_sim);
  fig.rows += a.empty() ? 0 : a.size() - 1;
  EXPECT_GT(a.size(), 1u) << "no rows in the decision log";
  if (log_soft != log_sim) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    ADD_FAILURE() << "decision logs differ (" << a.size() << " vs " << b.size() << " lines), first at line "
                  << i + 1 << ":\n  soft:      " << (i < a.size() ? a[i] : "<end>")
                  << "\n  verilator: " << (i < b.size() ? b[i] : "<end>");
  }

  std::map<std::string, std::set<std::string>> files;
  for (const auto& [card, dir] : out_dir)
    for (const auto& e : fs::directory_iterator(dir / "out")) files[card].insert(e.path().filename().string());
  EXPECT_FALSE(files["soft"].empty());
  EXPECT_EQ(files["soft"], files["verilator"]) << "the cards wrote different egress captures";
  for (const auto& name : files["soft"]) {
    if (!files["verilator"].count(name)) continue;
    EXPECT_TRUE(name.rfind("egress-", 0) == 0) << name;
    const std::string x = slurp(out_dir["soft"] / "out" / name), y = slurp(out_dir["verilator"] / "out" / name);
    EXPECT_TRUE(x == y) << name << " differs: " << x.size() << " vs " << y.size() << " bytes";
  }
}

fs::path write_conf(const fs::path& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

// Captures that also go in on two ingress ports: the same capture on 0 and 3 (every timestamp
// ties, so the ports alternate frame by frame), and two captures whose times interleave.
const std::vector<std::string> kTwoPortCaptures = {"tcpreplay_test.pcap", "zeek_gtp1_gn_normal_incl_fragmentation.pcap",
                                                   "pcapplusplus_ip4_fragments.pcap", "zeek_communityid-tcp.pcap"};

bool has_verilator() { return BROKER_REPLAY_HAS_VERILATOR != 0; }

#define REQUIRE_VERILATOR()                                                                  \
  do {                                                                                       \
    if (!has_verilator())                                                                    \
      GTEST_SKIP() << "broker-replay was built without the Verilator model (Verilator not "  \
                      "found at configure time): only --card soft exists";                   \
  } while (0)

// Every shared capture on `conf`: alone on ingress port `port`, and the kTwoPortCaptures also on
// `port` and `port2`. `leave_out(capture)`, when set, says why a capture is left out (empty:
// keep it).
void every_capture(const fs::path& conf, int port, int port2, const std::string& tag,
                   const std::function<std::string(const fs::path&)>& leave_out = {}) {
  const fs::path work = temp_dir(tag);
  Figures fig;
  size_t left_out = 0;
  for (const fs::path& cap : testing::shared_captures()) {
    const std::string name = cap.filename().string();
    if (leave_out) {
      const std::string why = leave_out(cap);
      if (!why.empty()) {
        std::printf("[ left out ] %s: %s\n", name.c_str(), why.c_str());
        ++left_out;
        continue;
      }
    }
    expect_same_outputs(conf, {fmt::format("{}={}", port, cap.string())}, name + " on port " + std::to_string(port),
                        work, fig);
    if (std::find(kTwoPortCaptures.begin(), kTwoPortCaptures.end(), name) != kTwoPortCaptures.end())
      expect_same_outputs(conf, {fmt::format("{}={}", port, cap.string()), fmt::format("{}={}", port2, cap.string())},
                          name + " on ports " + std::to_string(port) + " and " + std::to_string(port2), work, fig);
  }
  const fs::path a = testing::shared_pcap_dir() / "tcpreplay_test.pcap", b = testing::shared_pcap_dir() / "zeek_http-bro.org.pcap";
  if (fs::exists(a) && fs::exists(b))
    expect_same_outputs(conf, {fmt::format("{}={}", port, a.string()), fmt::format("{}={}", port2, b.string())},
                        "tcpreplay_test.pcap and zeek_http-bro.org.pcap", work, fig);
  EXPECT_GT(fig.runs, 10u);
  std::printf("[ figures  ] %zu runs per card, %zu log rows each, %zu captures left out; soft %.1f s, "
              "verilator %.1f s (process start included)\n",
              fig.runs, fig.rows, left_out, fig.soft_s, fig.verilator_s);
  fs::remove_all(work);
}

fs::path seed_conf() { return fs::path(BROKER_SOURCE_DIR) / "examples" / "seed.conf"; }

TEST(ReplayCards, SeedConfigEveryCaptureSameOutputs) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  REQUIRE_VERILATOR();
  every_capture(seed_conf(), 0, 3, "seed");
}

// Two static groups: one over more members with the GTP inner IPs and outer IPs (xor16), one
// over MACs, VLAN and the input port (crc32, asymmetric); ingress 6 and 7 unmapped.
TEST(ReplayCards, StaticGtpTupleEveryCaptureSameOutputs) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  REQUIRE_VERILATOR();
  const fs::path dir = temp_dir("static-conf");
  const fs::path conf = write_conf(dir, "static.conf", R"(
name: "replay-static-gtp"
groups { name: "mobile" ingress_ports: [0, 1, 2, 3] members: [4, 7, 9, 12, 15, 2]
         hash: HASH_XOR16 symmetric: true tuple: [GTP_INNER_IP, SRC_IP, DST_IP] mode: MODE_STATIC }
groups { name: "l2" ingress_ports: [4, 5] members: [0, 1, 3]
         hash: HASH_CRC32 symmetric: false tuple: [SRC_MAC, DST_MAC, VLAN, ETHERTYPE, INPUT_PORT]
         mode: MODE_STATIC }
)");
  every_capture(conf, 1, 5, "static");
  // The unmapped ports: every frame dropped, logged with an empty out_port, on both cards.
  Figures fig;
  const fs::path cap = testing::shared_pcap_dir() / "zeek_http-bro.org.pcap";
  if (fs::exists(cap))
    expect_same_outputs(conf, {"7=" + cap.string(), "2=" + cap.string()}, "unmapped port 7 with port 2", dir, fig);
  fs::remove_all(dir);
}

// Tunnel termination, filters and segment tags on both cards: the captures of GRE, ERSPAN and
// VXLAN with every type terminated on ingress 0 and 3, filters that drop, match the inner frame
// and the tunnel ID and replicate to two or three groups, a segment tag on ingress 3, and a
// recorder behind a GRE tunnel the broker originates (cut to 200 bytes; GRE with a key has no
// per-frame field that depends on time or order, so both cards' wires must agree exactly). Same decision logs (tunnel and filter
// columns included) and the same frames out: the co-simulated tunnel_parse, decap, filter and
// egress modules against the soft card.
TEST(ReplayCards, TunnelsAndFiltersSameOutputs) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  REQUIRE_VERILATOR();
  const fs::path dir = temp_dir("tunnels");
  const fs::path conf = write_conf(dir, "tunnels.conf", R"(
name: "replay-tunnels"
ingress_ports { port: 0 terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN] }
ingress_ports { port: 3 terminate: [TUNNEL_ERSPAN, TUNNEL_VXLAN] segment_vlan: 300 }
groups { name: "tools" ingress_ports: [0, 3] members: [0, 1, 2]
         hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] }
groups { name: "ids" members: [5, 6] hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP] }
groups { name: "rec" members: [7] hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP] }
egress_ports { port: 7 name: "remote-recorder" tunnel { type: TUNNEL_GRE key: 5 src_ip: "198.51.100.1"
               dst_ip: "198.51.100.2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" slice_bytes: 200 } }
filters { name: "no-ping" priority: 1 match { ip_proto: 1 src_prefix: "10.1.1.100/32" } drop: true }
filters { name: "vni-123" priority: 2 match { tunnel_id: 123 } groups: ["ids", "tools", "rec"] }
filters { name: "web" priority: 3 match { dst_port_min: 80 dst_port_max: 80 ingress_ports: [0] } groups: ["ids", "rec"] }
filters { name: "stp" priority: 4 match { ethertype: 0x0000 vlan_min: 1 } groups: ["ids"] }
)");
  Figures fig;
  size_t captures = 0;
  for (const fs::path& cap : testing::shared_captures()) {
    const std::string name = cap.filename().string();
    const bool tunnel = name.find("gre") != std::string::npos || name.find("Gre") != std::string::npos ||
                        name.find("erspan") != std::string::npos || name.find("vxlan") != std::string::npos;
    if (!tunnel) continue;
    ++captures;
    expect_same_outputs(conf, {"0=" + cap.string()}, name + " on port 0", dir, fig);
    expect_same_outputs(conf, {"3=" + cap.string()}, name + " on port 3 (GRE not terminated)", dir, fig);
  }
  EXPECT_GE(captures, 10u);
  std::printf("[ figures  ] %zu tunnel captures, %zu runs per card, %zu log rows each\n", captures, fig.runs, fig.rows);
  fs::remove_all(dir);
}

// Dynamic mode where time cannot matter: the threshold is 100 % of 800 Gb/s (beyond the model's
// one 64-byte beat per clock and any capture's rate), the idle timeout is the longest there is
// (~71.6 min) and captures spanning longer are left out, fragments are remembered 120 s.
TEST(ReplayCards, DynamicUnreachableThresholdEveryCaptureSameOutputs) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  REQUIRE_VERILATOR();
  const fs::path dir = temp_dir("dynamic-conf");
  std::string text = "name: \"replay-dynamic\"\n";
  for (int p : {0, 1, 2, 3, 5, 8})
    text += fmt::format("egress_ports {{ port: {} speed_mbps: 800000 }}\n", p);
  text += R"(
groups { name: "dyn" ingress_ports: [0, 1, 2, 3, 4, 5, 6, 7] members: [0, 1, 2, 3, 5, 8]
         hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO]
         mode: MODE_DYNAMIC utilization_threshold_bp: 10000 idle_timeout_us: 4294967295
         fragment_timeout_us: 120000000 }
)";
  const fs::path conf = write_conf(dir, "dynamic.conf", text);
  constexpr uint64_t kIdleNs = 4294967295ull * 1000;
  every_capture(conf, 2, 6, "dynamic", [](const fs::path& cap) -> std::string {
    io::PcapSource src(cap.string());
    io::FrameView f;
    uint64_t lo = ~uint64_t(0), hi = 0;
    while (src.next(f)) {
      lo = std::min(lo, f.ts_ns);
      hi = std::max(hi, f.ts_ns);
    }
    return hi > lo && hi - lo >= kIdleNs
               ? fmt::format("spans {:.0f} s, longer than the idle timeout", double(hi - lo) / 1e9)
               : "";
  });
  fs::remove_all(dir);
}

// The library with the before_frame hook: a member leaves the group after frame 300 and comes
// back after frame 600, through the driver on each card; the outputs must still be the same.
struct LibRun {
  std::string log;
  std::map<std::string, std::string> pcaps;
  replay::Summary summary;
};

LibRun run_with_membership_change(driver::Driver& drv,
                                  const std::function<std::unique_ptr<replay::FrameCard>()>& make,
                                  const fs::path& dir) {
  replay::Options opt;
  opt.inputs = {{0, (testing::shared_pcap_dir() / "tcpreplay_test.pcap").string()},
                {3, (testing::shared_pcap_dir() / "zeek_http-bro.org.pcap").string()}};
  opt.out_dir = dir / "out";
  std::FILE* log = std::tmpfile();
  opt.log = log;
  opt.before_frame = [&](uint64_t n) {
    if (n == 300) drv.remove_member("analyzers", 2);
    if (n == 600) drv.add_member("analyzers", 2);
  };
  const std::unique_ptr<replay::FrameCard> frames = make();
  LibRun r;
  r.summary = replay::run(*frames, drv, opt);
  std::fflush(log);
  std::rewind(log);
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, log)) > 0;) r.log.append(buf, n);
  std::fclose(log);
  for (const auto& e : fs::directory_iterator(opt.out_dir)) r.pcaps[e.path().filename().string()] = slurp(e.path());
  return r;
}

TEST(ReplayCards, MembershipChangeMidReplaySameOnBothCards) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  REQUIRE_VERILATOR();
#if BROKER_REPLAY_HAS_VERILATOR
  for (const char* n : {"tcpreplay_test.pcap", "zeek_http-bro.org.pcap"})
    if (!fs::exists(testing::shared_pcap_dir() / n)) GTEST_SKIP() << n << " is not among the shared captures";
  const v1::Config cfg = config::load_config_file(seed_conf());
  const fs::path dir = temp_dir("membership");
  LibRun soft_run, sim_run;
  {
    cards::SoftCard card;
    driver::Driver drv(card);
    drv.apply(cfg);
    soft_run = run_with_membership_change(drv, [&] { return std::make_unique<replay::SoftFrameCard>(card); },
                                          dir / "soft");
  }
  {
    cards::VerilatorCard card;
    driver::Driver drv(card);
    drv.apply(cfg);
    sim_run = run_with_membership_change(drv, [&] { return std::make_unique<replay::VerilatorFrameCard>(card); },
                                         dir / "verilator");
  }
  // The hook took effect: frames 301..600 in replay order avoid egress port 2.
  const auto rows = lines_of(soft_run.log);
  const size_t out_col = 20;  // out_port, the 21st normative column
  ASSERT_GT(rows.size(), 700u);
  ASSERT_EQ(cells(rows[0]).at(out_col), "out_port");
  size_t on2_while_out = 0, on2_after = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const bool on2 = cells(rows[i]).at(out_col) == "2";
    if (i > 300 && i <= 600) on2_while_out += on2;
    if (i > 600) on2_after += on2;
  }
  EXPECT_EQ(on2_while_out, 0u) << "a frame reached the removed member";
  EXPECT_GT(on2_after, 0u) << "nothing reached the member after it came back";
  EXPECT_EQ(soft_run.summary.frames_out, sim_run.summary.frames_out);
  EXPECT_TRUE(soft_run.log == sim_run.log) << "decision logs differ";
  EXPECT_EQ(soft_run.pcaps.size(), 4u);
  ASSERT_EQ(soft_run.pcaps.size(), sim_run.pcaps.size());
  for (const auto& [name, bytes] : soft_run.pcaps) EXPECT_TRUE(sim_run.pcaps[name] == bytes) << name << " differs";
  fs::remove_all(dir);
#endif
}

// A record without a byte is skipped on both cards alike (not sent, not logged, counted), and
// frame numbers keep counting the file's records. Without the model: the soft card alone.
TEST(ReplayCards, EmptyRecordSkippedAlikeOnBothCards) {
  const fs::path dir = temp_dir("empty");
  const fs::path pcap = dir / "in.pcap";
  {
    io::PcapSink sink(pcap.string());
    std::vector<uint8_t> fr(60, 0);
    for (int i = 0; i < 6; ++i) fr[i] = 0xff;  // broadcast
    fr[12] = 0x08, fr[13] = 0x06;              // ARP
    sink.write(1000, fr.data(), uint32_t(fr.size()));
    sink.write(2000, fr.data(), 0, 60);        // a record that kept no byte
    fr[6] = 0x02;
    sink.write(3000, fr.data(), uint32_t(fr.size()));
  }
  if (has_verilator()) {
    Figures fig;
    expect_same_outputs(seed_conf(), {"0=" + pcap.string(), "4=" + pcap.string()}, "empty record", dir, fig);
  } else {  // the soft card alone
    fs::create_directories(dir / "soft");
    const ToolRun r = run_replay({"--config", seed_conf().string(), "--in", "0=" + pcap.string(), "--in",
                                  "4=" + pcap.string(), "--out-dir", (dir / "soft" / "out").string(), "--log",
                                  (dir / "soft" / "log.tsv").string()},
                                 dir / "soft");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const std::string log = slurp(dir / "soft" / "log.tsv");
  const auto rows = lines_of(log);
  ASSERT_EQ(rows.size(), 5u) << log;  // header + frames 1 and 3 of each input
  EXPECT_EQ(rows[1].substr(0, 4), "1\t0\t");
  EXPECT_EQ(rows[2].substr(0, 4), "1\t4\t");
  EXPECT_EQ(rows[3].substr(0, 4), "3\t0\t");
  EXPECT_EQ(rows[4].substr(0, 4), "3\t4\t");
  EXPECT_NE(slurp(dir / "soft" / "stdout.txt").find("frames in 4, out 4, dropped 0, malformed (forwarded) 0, "
                                                    "bytes in 240, empty records skipped 2"),
            std::string::npos)
      << slurp(dir / "soft" / "stdout.txt");
  fs::remove_all(dir);
}

// --card verilator warns about dynamic groups; without the model it exits 2 and says why.
TEST(ReplayCards, VerilatorCardWarnsOrExplainsItsAbsence) {
  const fs::path dir = temp_dir("card-flag");
  const fs::path pcap = dir / "in.pcap";
  {
    io::PcapSink sink(pcap.string());
    std::vector<uint8_t> fr(64, 0x11);
    sink.write(1000, fr.data(), uint32_t(fr.size()));
  }
  const fs::path conf = write_conf(dir, "dyn.conf",
                                   "name: \"d\"\ngroups { name: \"g\" ingress_ports: [0] members: [0, 1] "
                                   "hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP] mode: MODE_DYNAMIC }\n");
  const ToolRun r = run_replay({"--card", "verilator", "--config", conf.string(), "--in", "0=" + pcap.string(),
                                "--out-dir", (dir / "out").string()},
                               dir);
  if (has_verilator()) {
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("warning: group 'g' is dynamic"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("simulated time"), std::string::npos) << r.err;
    const ToolRun s = run_replay({"--card", "soft", "--config", conf.string(), "--in", "0=" + pcap.string(),
                                  "--out-dir", (dir / "out").string()},
                                 dir);
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_EQ(s.err.find("simulated time"), std::string::npos) << "soft card warned: " << s.err;
  } else {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("built without the Verilator model"), std::string::npos) << r.err;
  }
  const ToolRun bad = run_replay({"--card", "xrt", "--config", conf.string(), "--in", "0=" + pcap.string(),
                                  "--out-dir", (dir / "out").string()},
                                 dir);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--card"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace broker::replaytest
