#include "decision_log.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace broker::driver {

std::string format_mac(const uint8_t m[6]) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

std::string format_ip(uint8_t version, const uint8_t addr[16]) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (version == 4) inet_ntop(AF_INET, addr + 12, buf, sizeof buf);
  else if (version == 6) inet_ntop(AF_INET6, addr, buf, sizeof buf);
  return buf;
}

const char* DecisionLogWriter::header() {
  return "frame\tin_port\teth_src\teth_dst\tethertype\tvlan\tmpls\tip_proto\tsrc_ip\tdst_ip\t"
         "src_port\tdst_port\tgtp_teid\tgtp_inner_src\tgtp_inner_dst\tfragment\tmalformed\t"
         "hash\tbucket\tgroup\tout_port\tlen\tts_ns\tdepth_exceeded\tfrag_follow\ttunnel\ttunnel_id\t"
         "tunnel_src\tfilter";
}

DecisionLogWriter::DecisionLogWriter(std::FILE* out, std::vector<std::string> filter_names)
    : out_(out), filter_names_(std::move(filter_names)) {
  std::fputs(header(), out_);
  std::fputc('\n', out_);
}

namespace {

// A replicated frame's copies, in group order: comma-separated lists (DESIGN.md); a copy that
// no member took leaves its place in out_port empty.
bool replicated(const core::Decision& d) { return __builtin_popcount(d.copy_groups) > 1; }

std::string group_cell(const core::Decision& d) {
  if (!replicated(d)) return d.group != core::kNoGroup ? fmt::format("{}", d.group) : std::string();
  std::string s;
  for (int g = 0; g < core::kGroups; ++g)
    if (d.copy_groups >> g & 1) s += fmt::format("{}{}", s.empty() ? "" : ",", g);
  return s;
}

std::string port_cell(const core::Decision& d) {
  if (!replicated(d)) return d.out_port != core::kNoPort ? fmt::format("{}", d.out_port) : std::string();
  std::string s;
  bool first = true;
  for (int g = 0; g < core::kGroups; ++g) {
    if (!(d.copy_groups >> g & 1)) continue;
    if (!first) s += ",";
    first = false;
    if (d.port_of[g] != core::kNoPort) s += fmt::format("{}", d.port_of[g]);
  }
  return s;
}

}  // namespace

std::string DecisionLogWriter::format_row(uint64_t frame, uint8_t in_port, uint64_t ts_ns,
                                          uint32_t len, const core::FrameResult& r,
                                          const std::vector<std::string>& filter_names) {
  const core::PacketFields& f = r.fields;
  const core::Decision& d = r.decision;
  const bool mapped = d.group != core::kNoGroup;
  // Absent values are empty cells.
  auto opt = [](bool present, auto v) { return present ? fmt::format("{}", v) : std::string(); };
  const std::string filter = !d.filtered                    ? std::string()
                             : d.rule < filter_names.size() ? filter_names[d.rule]
                                                            : fmt::format("rule {}", d.rule);
  return fmt::format(
      "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
      frame, in_port, format_mac(f.src_mac), format_mac(f.dst_mac),
      f.ethertype || f.vlan_count || f.has_mpls ? fmt::format("0x{:04x}", f.ethertype) : "",
      opt(f.vlan_count > 0, f.vlan), opt(f.has_mpls, f.mpls),
      opt(f.ip_version != 0, unsigned(f.l4_proto)), format_ip(f.ip_version, f.src_ip),
      format_ip(f.ip_version, f.dst_ip), opt(f.has_l4, f.src_port), opt(f.has_l4, f.dst_port),
      opt(f.has_gtp, f.gtp_teid), format_ip(f.gtp_inner_version, f.gtp_inner_src),
      format_ip(f.gtp_inner_version, f.gtp_inner_dst), f.fragment ? 1 : 0, f.malformed ? 1 : 0,
      mapped ? fmt::format("0x{:08x}", d.hash) : "", opt(mapped, d.bucket),
      group_cell(d), port_cell(d), len,
      ts_ns, f.depth_exceeded ? 1 : 0, d.frag_follow ? 1 : 0, core::tunnel_name(f.tunnel),
      opt(f.tunnel != 0, f.tunnel_id), format_ip(f.tunnel_src_version, f.tunnel_src), filter);
}

void DecisionLogWriter::write(uint64_t frame, uint8_t in_port, uint64_t ts_ns, uint32_t len,
                              const core::FrameResult& r) {
  const std::string row = format_row(frame, in_port, ts_ns, len, r, filter_names_);
  std::fwrite(row.data(), 1, row.size(), out_);
  std::fputc('\n', out_);
}

}  // namespace broker::driver
