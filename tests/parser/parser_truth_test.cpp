// The parser against an independent dissector: every frame of every shared capture is parsed
// and compared field by field with tshark's reading of it (NAME.truth.tsv, see the shared
// pcap folder's SOURCES.md). One test case per capture.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "native/frame_api.h"
#include "pcap_source.h"
#include "testdata.h"

namespace {

namespace fs = std::filesystem;
using broker::core::kParseBytes;
using broker::core::kVlanTags;
using broker::core::PacketFields;

// Fields compared, in report order: truth columns, and two derived from truth columns
// (vlan_tags: how many IDs vlan_ids lists, at most the kVlanTags the parser walks; mpls_top:
// the first of mpls_labels). The parser keeps only the outer VLAN ID and the top MPLS label
// (DESIGN.md), so the inner IDs and deeper labels are not compared. The other columns (len,
// caplen, malformed, expert, short, tcp_retrans, vxlan_vni, gtp_inner_l4_*, protocols) are
// tshark's opinion on things the parser does not define, or only decide how strictly a row
// is compared.
const std::vector<std::string> kCompared = {
    "eth_src",     "eth_dst",       "ethertype",     "vlan_outer", "vlan_tags", "mpls_top",
    "ip_proto",    "ip_src",        "ip_dst",        "l4_src",     "l4_dst",    "gtp_teid",
    "gtp_msgtype", "gtp_inner_src", "gtp_inner_dst", "is_frag",    "ip_l4proto"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

using Row = std::map<std::string, std::string>;

std::vector<Row> read_truth(const fs::path& file) {
  std::ifstream in(file);
  std::vector<Row> rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  const auto header = split(line, '\t');
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cells = split(line, '\t');
    Row r;
    for (size_t i = 0; i < header.size(); ++i) r[header[i]] = i < cells.size() ? cells[i] : "";
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string mac(const uint8_t* m) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

// inet_ntop prints IPv6 in RFC 5952 form, as tshark does.
std::string ip(const uint8_t a[16], int version) {
  char b[INET6_ADDRSTRLEN] = {};
  if (version == 4)
    inet_ntop(AF_INET, a + 12, b, sizeof b);
  else if (version == 6)
    inet_ntop(AF_INET6, a, b, sizeof b);
  return b;
}

std::string hex(uint32_t v, int digits) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%0*x", digits, v);
  return b;
}

// Our fields in the truth's text form; empty where the parser found nothing.
Row render(const PacketFields& f) {
  Row r;
  r["eth_src"] = mac(f.src_mac);
  r["eth_dst"] = mac(f.dst_mac);
  r["ethertype"] = f.ethertype ? hex(f.ethertype, 4) : "";
  r["vlan_outer"] = f.vlan_count ? std::to_string(f.vlan) : "";
  r["vlan_tags"] = f.vlan_count ? std::to_string(f.vlan_count) : "";
  r["mpls_top"] = f.has_mpls ? std::to_string(f.mpls) : "";
  r["ip_proto"] = f.ip_version ? std::to_string(f.ip_proto) : "";
  r["ip_src"] = ip(f.src_ip, f.ip_version);
  r["ip_dst"] = ip(f.dst_ip, f.ip_version);
  r["ip_l4proto"] = f.ip_version ? std::to_string(f.l4_proto) : "";
  r["l4_src"] = f.has_l4 ? std::to_string(f.src_port) : "";
  r["l4_dst"] = f.has_l4 ? std::to_string(f.dst_port) : "";
  r["gtp_teid"] = f.has_gtp ? hex(f.gtp_teid, 8) : "";
  r["gtp_msgtype"] = f.has_gtp ? hex(f.gtp_msgtype, 2) : "";
  r["gtp_inner_src"] = ip(f.gtp_inner_src, f.gtp_inner_version);
  r["gtp_inner_dst"] = ip(f.gtp_inner_dst, f.gtp_inner_version);
  r["is_frag"] = f.fragment ? "1" : "0";
  return r;
}

// Known, legitimate differences from tshark. Each entry is narrowed by a condition on our
// parse so it cannot hide anything else in the same capture.
struct Allowance {
  const char* capture;
  std::set<std::string> fields;
  bool (*applies)(const PacketFields& ours, const Row& truth);
  const char* reason;
};

bool ports_are(const PacketFields& f, uint16_t port) {
  return f.has_l4 && (f.src_port == port || f.dst_port == port);
}

const std::vector<Allowance>& allowances() {
  static const std::vector<Allowance> list = {
      {"pcapplusplus_gtp.pcap",
       {"gtp_teid", "gtp_msgtype"},
       [](const PacketFields& f, const Row&) { return !f.has_gtp && ports_are(f, 2123); },
       "GTPv1-C (UDP 2123) is control plane; DESIGN.md parses GTP-U on 2152 only"},
      {"zeek_pdp_ctx_messages.pcapng",
       {"gtp_teid", "gtp_msgtype"},
       [](const PacketFields& f, const Row&) { return !f.has_gtp && ports_are(f, 2123); },
       "GTPv1-C (UDP 2123) PDP context messages; DESIGN.md parses GTP-U on 2152 only"},
      {"tcpreplay_test.pcap",
       {"ip_proto", "ip_src", "ip_dst", "ip_l4proto", "l4_src", "l4_dst", "is_frag"},
       [](const PacketFields& f, const Row&) { return f.has_mpls && f.ip_version == 0; },
       "Ethernet pseudowire over MPLS: tshark follows the PW into the inner frame; DESIGN.md "
       "guesses the MPLS payload by its first nibble (4/6 only), and a PW control word is 0"},
  };
  return list;
}

const Allowance* find_allowance(const std::string& capture, const std::string& field,
                                const PacketFields& ours, const Row& truth) {
  for (const auto& a : allowances())
    if (capture == a.capture && a.fields.count(field) && a.applies(ours, truth)) return &a;
  return nullptr;
}

// Where tshark stopped early (exception, snapped record, expert error) it may leave fields
// empty that the bytes still hold: then only a value tshark did print must match.
bool lenient(const Row& t) {
  auto num = [&](const char* k) { return std::atoll(t.at(k).c_str()); };
  return t.at("malformed") == "1" || t.at("short") == "1" || t.at("expert") == "error" ||
         num("caplen") < num("len");
}

class parser_truth : public ::testing::TestWithParam<fs::path> {};

TEST_P(parser_truth, MatchesTshark) {
  const fs::path capture = GetParam();
  const std::string name = capture.filename().string();
  const fs::path truth_file = capture.string() + ".truth.tsv";
  ASSERT_TRUE(fs::exists(truth_file)) << "no truth file " << truth_file;
  const auto truth = read_truth(truth_file);
  ASSERT_FALSE(truth.empty()) << "empty truth file " << truth_file;

  broker::io::PcapSource src(capture.string());

  std::ostringstream failures;
  size_t n_fail = 0, n_frames = 0, n_fields = 0, n_allowed = 0;
  std::map<std::string, size_t> allowed_by_reason;
  broker::io::FrameView fv;
  uint8_t hdr[kParseBytes];
  for (const Row& t : truth) {
    bool got = false;
    try {
      got = src.next(fv);
    } catch (const std::exception& e) {
      FAIL() << name << ": " << e.what() << " (truth has " << truth.size() << " frames)";
    }
    ASSERT_TRUE(got) << name << ": capture ends after " << n_frames << " frames, truth has "
                     << truth.size();
    ++n_frames;
    const uint32_t len = uint32_t(fv.data.size());
    std::memset(hdr, 0, sizeof hdr);
    std::memcpy(hdr, fv.data.data(), std::min<size_t>(len, kParseBytes));
    PacketFields f;
    // The broker forwards the bytes it has: a snapped record is a frame of caplen bytes.
    broker::core::parse_frame(hdr, len, f);
    const Row ours = render(f);
    const bool soft = lenient(t);
    const bool sll = fv.link_type != 1;  // Linux cooked capture: no destination MAC to compare
    for (const auto& field : kCompared) {
      if (field == "eth_dst" && sll) continue;
      std::string want;
      if (field == "vlan_tags" || field == "mpls_top") {
        auto it = t.find(field == "vlan_tags" ? "vlan_ids" : "mpls_labels");
        if (it == t.end()) continue;
        const auto parts = split(it->second, ',');
        if (it->second.empty()) {
          want.clear();
        } else if (field == "vlan_tags") {
          // The parser walks at most kVlanTags tags (a fifth is depth_exceeded).
          want = std::to_string(std::min(parts.size(), size_t(kVlanTags)));
        } else {
          want = parts[0];
        }
      } else {
        auto it = t.find(field);
        if (it == t.end()) continue;
        want = it->second;
      }
      const std::string& have = ours.at(field);
      if (soft && want.empty()) continue;
      ++n_fields;
      if (want == have) continue;
      if (const Allowance* a = find_allowance(name, field, f, t)) {
        ++n_allowed;
        ++allowed_by_reason[a->reason];
        continue;
      }
      ++n_fail;
      failures << "  " << name << " frame " << t.at("frame") << " " << field << ": expected '"
               << want << "' got '" << have << "'" << (soft ? " (lenient row)" : "")
               << (f.malformed ? " [we: malformed]" : "")
               << (f.depth_exceeded ? " [we: depth_exceeded]" : "") << "  {" << t.at("protocols")
               << "}\n";
    }
  }
  std::printf("%s: %zu frames, %zu fields compared, %zu allowed differences\n", name.c_str(),
              n_frames, n_fields, n_allowed);
  for (const auto& [reason, n] : allowed_by_reason)
    std::printf("  allowed x%zu: %s\n", n, reason.c_str());
  RecordProperty("frames", int(n_frames));
  RecordProperty("fields", int(n_fields));
  EXPECT_EQ(n_fail, 0u) << n_fail << " mismatching fields (capture, frame, field, expected, got):\n"
                        << failures.str();
  // A longer capture than its truth means the truth is stale.
  bool extra = false;
  try {
    extra = src.next(fv);
  } catch (const std::exception&) {
  }
  EXPECT_FALSE(extra) << name << ": capture has more frames than its truth file";
}

std::string test_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string s = info.param.filename().string();
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Captures, parser_truth,
                         ::testing::ValuesIn(broker::testing::shared_captures()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(parser_truth);

// Says why nothing ran in a clone without the shared captures.
TEST(parser_truth_data, SharedCapturesPresent) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  for (const auto& c : broker::testing::shared_captures())
    EXPECT_TRUE(fs::exists(c.string() + ".truth.tsv")) << "no truth file for " << c;
}

}  // namespace
