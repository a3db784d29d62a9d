#include "driver.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "broker_regmap.h"
#include "bucket_balancer.h"
#include "config_defaults.h"
#include "net_address.h"
#include "key_layout.h"
#include "tunnel_header.h"
#include "util_scale.h"

namespace broker::driver {
namespace rm = broker::regmap;

namespace {

// The tuple bits of the register map and of the core are one definition seen twice.
static_assert(rm::GRP_TUPLE_INPUT_PORT_MASK == core::kTupleInputPort);
static_assert(rm::GRP_TUPLE_IP_PROTO_MASK == core::kTupleIpProto);
static_assert(rm::GRP_TUPLE_ETHERTYPE_MASK == core::kTupleEthertype);
static_assert(rm::GRP_TUPLE_SRC_MAC_MASK == core::kTupleSrcMac);
static_assert(rm::GRP_TUPLE_DST_MAC_MASK == core::kTupleDstMac);
static_assert(rm::GRP_TUPLE_VLAN_MASK == core::kTupleVlan);
static_assert(rm::GRP_TUPLE_MPLS_MASK == core::kTupleMpls);
static_assert(rm::GRP_TUPLE_GTP_TEID_MASK == core::kTupleGtpTeid);
static_assert(rm::GRP_TUPLE_GTP_INNER_IP_MASK == core::kTupleGtpInnerIp);
static_assert(rm::GRP_TUPLE_SRC_IP_MASK == core::kTupleSrcIp);
static_assert(rm::GRP_TUPLE_DST_IP_MASK == core::kTupleDstIp);
static_assert(rm::GRP_TUPLE_SRC_PORT_MASK == core::kTupleSrcPort);
static_assert(rm::GRP_TUPLE_DST_PORT_MASK == core::kTupleDstPort);

// The oldest register map this driver can program: 1.1 added GRP_FRAG_TIMEOUT_US and the
// FRAG_FOLLOWS/FRAG_MISSES counters, 1.2 the shell's TX_DROPS/RX_DROPS/CSR_TIMEOUTS counters
// and KERNEL_CLK_HZ, 1.3 LINK_STATUS, LINK_ADMIN_DOWN and LINK_DOWNS (failover).
// Newer minor versions only add registers.
constexpr uint32_t kMinVersionMinor = 8;  // 1.4: tunnel termination; 1.5: filters; 1.6: segment tags; 1.7: tunnel origination; 1.8: replication

// The slowest clock the shell's meters work at (broker_top.sv).
constexpr uint32_t kMinKernelClockHz = 64'000'000;

constexpr uint32_t field(uint32_t value, uint32_t lsb, uint32_t mask) { return (value & mask) >> lsb; }
constexpr uint32_t place(uint32_t value, uint32_t lsb, uint32_t mask) { return (value << lsb) & mask; }

uint32_t tuple_mask(const v1::PortGroup& g) {
  uint32_t m = 0;
  for (int f : g.tuple()) {
    switch (static_cast<v1::TupleField>(f)) {
      case v1::INPUT_PORT: m |= core::kTupleInputPort; break;
      case v1::ETHERTYPE: m |= core::kTupleEthertype; break;
      case v1::SRC_MAC: m |= core::kTupleSrcMac; break;
      case v1::DST_MAC: m |= core::kTupleDstMac; break;
      case v1::VLAN: m |= core::kTupleVlan; break;
      case v1::MPLS: m |= core::kTupleMpls; break;
      case v1::GTP_TEID: m |= core::kTupleGtpTeid; break;
      case v1::GTP_INNER_IP: m |= core::kTupleGtpInnerIp; break;
      case v1::IP_PROTO: m |= core::kTupleIpProto; break;
      case v1::SRC_IP: m |= core::kTupleSrcIp; break;
      case v1::DST_IP: m |= core::kTupleDstIp; break;
      case v1::SRC_PORT: m |= core::kTupleSrcPort; break;
      case v1::DST_PORT: m |= core::kTupleDstPort; break;
      default: break;  // refused by the validator before we get here
    }
  }
  return m;
}

// The group of that name in c, for a membership change; NOT_FOUND names it when absent.
v1::PortGroup& group_named(v1::Config& c, const std::string& name) {
  for (auto& g : *c.mutable_groups())
    if (g.name() == name) return g;
  throw DriverError(DriverError::Code::kNotFound, fmt::format("no group named '{}'", name));
}

}  // namespace

Driver::Driver(RegisterBus& bus) : bus_(bus) {
  CardIdentity& id = identity_;
  id.id = bus_.read32(rm::ID);
  if (id.id != rm::kId)
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("{}: ID register reads 0x{:08x}, not 0x{:08x} ('NPKB'): this is not "
                                  "a packet-broker data path, or the wrong xclbin is loaded",
                                  bus_.describe(), id.id, rm::kId));
  const uint32_t version = bus_.read32(rm::VERSION);
  id.version_major = field(version, rm::VERSION_MAJOR_LSB, rm::VERSION_MAJOR_MASK);
  id.version_minor = field(version, rm::VERSION_MINOR_LSB, rm::VERSION_MINOR_MASK);
  if (id.version_major != rm::kVersionMajor)
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("{}: register map version {}.{}; this driver speaks {}.x: update the "
                                  "bitstream or the software so they match",
                                  bus_.describe(), id.version_major, id.version_minor, rm::kVersionMajor));
  if (id.version_minor < kMinVersionMinor)
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("{}: register map version {}.{} lacks registers this driver uses "
                                  "(it needs {}.{} or newer): update the bitstream",
                                  bus_.describe(), id.version_major, id.version_minor,
                                  rm::kVersionMajor, kMinVersionMinor));
  const uint32_t caps = bus_.read32(rm::CAPS);
  id.in_ports = field(caps, rm::CAPS_IN_PORTS_LSB, rm::CAPS_IN_PORTS_MASK);
  id.out_ports = field(caps, rm::CAPS_OUT_PORTS_LSB, rm::CAPS_OUT_PORTS_MASK);
  id.groups = field(caps, rm::CAPS_GROUPS_LSB, rm::CAPS_GROUPS_MASK);
  id.members = field(caps, rm::CAPS_MEMBERS_LSB, rm::CAPS_MEMBERS_MASK);
  id.bucket_bits = field(bus_.read32(rm::CAPS2), rm::CAPS2_BUCKET_BITS_LSB, rm::CAPS2_BUCKET_BITS_MASK);
  // The register map's layout is fixed by these sizes: a card of another build is not ours.
  if (id.in_ports != rm::kInPorts || id.out_ports != rm::kOutPorts || id.groups != rm::kGroups ||
      id.members != rm::kMembers || id.bucket_bits != rm::kBucketBits)
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("{}: card built with {} ingress, {} egress ports, {} groups of {} "
                                  "members, {} bucket bits; this driver was built for {}/{}/{}/{}/{}",
                                  bus_.describe(), id.in_ports, id.out_ports, id.groups, id.members,
                                  id.bucket_bits, rm::kInPorts, rm::kOutPorts, rm::kGroups,
                                  rm::kMembers, rm::kBucketBits));
  // Ports with a wire: a card with two QSFP28 cages builds two of each (CAPS3).
  const uint32_t caps3 = bus_.read32(rm::CAPS3);
  id.wired_in_ports = field(caps3, rm::CAPS3_RX_WIRED_LSB, rm::CAPS3_RX_WIRED_MASK);
  id.wired_out_ports = field(caps3, rm::CAPS3_TX_WIRED_LSB, rm::CAPS3_TX_WIRED_MASK);
  if (id.wired_in_ports == 0 || id.wired_in_ports > id.in_ports || id.wired_out_ports == 0 ||
      id.wired_out_ports > id.out_ports)
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("{}: CAPS3 says {} ingress and {} egress ports have a wire, of {} and "
                                  "{}: the bitstream is broken", bus_.describe(), id.wired_in_ports,
                                  id.wired_out_ports, id.in_ports, id.out_ports));
  // The clock the card really runs at: its microsecond time base and utilization windows count
  // with it, whatever clock the bitstream was built for.
  if (const auto hz = bus_.kernel_clock_hz()) {
    if (*hz < kMinKernelClockHz)
      throw DriverError(DriverError::Code::kFailedPrecondition,
                        fmt::format("{}: the data path runs at {:.3f} MHz, below the {} MHz the shell "
                                    "needs (its meters take 64 clocks to close a 1 us window)",
                                    bus_.describe(), *hz / 1e6, kMinKernelClockHz / 1000000));
    bus_.write32(rm::KERNEL_CLK_HZ, *hz);
    id.kernel_clock_hz = *hz;
  }
  link_up_ = bus_.read32(rm::LINK_STATUS);
}

config::Limits Driver::limits() const {
  config::Limits l;
  // Only ports with a wire can be configured (a card with two QSFP28 cages has two of each).
  l.in_ports = identity_.wired_in_ports;
  l.out_ports = identity_.wired_out_ports;
  l.groups = identity_.groups;
  l.members = identity_.members;
  return l;
}

config::ValidationResult Driver::validate(const v1::Config& c) const {
  return config::validate(c, limits());
}

std::vector<config::Issue> Driver::apply(const v1::Config& c) {
  config::ValidationResult r = validate(c);
  if (!r.ok()) throw ConfigRefused(std::move(r));
  write_config(c);
  return r.warnings;
}

void Driver::write_config(const v1::Config& given) {
  const v1::Config c = config::with_defaults(given);

  // Hardware group indices follow group names, so a group that stays keeps its index, its
  // member slots and its indirection table across configurations.
  std::map<std::string, uint32_t> index_of;
  std::set<uint32_t> used;
  for (const auto& g : c.groups())
    for (const auto& [hw, st] : groups_)
      if (st.name == g.name()) { index_of[g.name()] = hw; used.insert(hw); }
  for (const auto& g : c.groups()) {
    if (index_of.count(g.name())) continue;
    uint32_t hw = 0;
    while (used.count(hw)) ++hw;
    index_of[g.name()] = hw;
    used.insert(hw);
  }

  for (const auto& g : c.groups()) program_group(index_of[g.name()], g);

  // Ingress ports move to their groups only once the groups are ready.
  for (uint32_t p = 0; p < identity_.in_ports; ++p) {
    uint32_t value = 0;
    for (const auto& g : c.groups())
      for (uint32_t ip : g.ingress_ports())
        if (ip == p) value = rm::IN_MAP_VALID_MASK | place(index_of[g.name()], rm::IN_MAP_GROUP_LSB, rm::IN_MAP_GROUP_MASK);
    write_if_changed(rm::IN_MAP_at(p), value);
  }

  write_filters(c, index_of);

  // Tunnel termination: the address first, so a port never terminates towards a stale one.
  for (uint32_t p = 0; p < identity_.in_ports; ++p) {
    uint32_t ctrl = 0;
    std::array<uint8_t, 16> addr{};
    for (const auto& in : c.ingress_ports()) {
      if (in.port() != p) continue;
      for (int t : in.terminate()) {
        if (t == v1::TUNNEL_GRE) ctrl |= rm::TUN_CTRL_GRE_MASK;
        if (t == v1::TUNNEL_ERSPAN) ctrl |= rm::TUN_CTRL_ERSPAN_MASK;
        if (t == v1::TUNNEL_VXLAN) ctrl |= rm::TUN_CTRL_VXLAN_MASK;
      }
      if (const auto a = config::parse_ip_address(in.tunnel_address())) {
        addr = a->bytes;
        ctrl |= a->version == 4 ? rm::TUN_CTRL_ADDR_V4_MASK : rm::TUN_CTRL_ADDR_V6_MASK;
      }
    }
    const uint32_t words[4] = {rm::TUN_ADDR0_at(p), rm::TUN_ADDR1_at(p), rm::TUN_ADDR2_at(p), rm::TUN_ADDR3_at(p)};
    for (int k = 0; k < 4; ++k)
      write_if_changed(words[k], uint32_t(addr[4 * k]) | uint32_t(addr[4 * k + 1]) << 8 |
                                     uint32_t(addr[4 * k + 2]) << 16 | uint32_t(addr[4 * k + 3]) << 24);
    write_if_changed(rm::TUN_CTRL_at(p), ctrl);
    uint32_t vid = 0;
    for (const auto& in : c.ingress_ports())
      if (in.port() == p) vid = in.segment_vlan();
    write_if_changed(rm::SEG_TAG_at(p), place(vid, rm::SEG_TAG_VID_LSB, rm::SEG_TAG_VID_MASK));
  }

  // Groups that are gone: nothing maps to them any more.
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (used.count(it->first)) { ++it; continue; }
    write_if_changed(rm::GRP_CTRL_at(it->first), 0);
    write_if_changed(rm::GRP_LIVE_at(it->first), 0);
    it = groups_.erase(it);
  }

  for (uint32_t p = 0; p < identity_.out_ports; ++p) {
    uint64_t speed = config::kDefaultSpeedMbps;
    for (const auto& e : c.egress_ports())
      if (e.port() == p) speed = e.speed_mbps();
    write_if_changed(rm::OUT_SPEED_MBPS_at(p), uint32_t(speed));
    // The meter's reciprocal of speed x window: one multiply, no divider in the fabric.
    const UtilScale s = util_scale(speed, c.utilization_window_us());
    write_if_changed(rm::OUT_UTIL_SCALE_at(p), s.scale);
    write_if_changed(rm::OUT_UTIL_SHIFT_at(p), s.shift);
    write_encap(p, c);
  }
  write_if_changed(rm::UTIL_WINDOW_US, c.utilization_window_us());
  write_if_changed(rm::CTRL, rm::CTRL_ENABLE_MASK);
  applied_ = given;
}

// A tool port's tunnel: the staged template first, then ENC_CTRL, whose write makes it the one
// frames use (so ENC_CTRL is written whenever any of the port's words changed).
void Driver::write_encap(uint32_t p, const v1::Config& c) {
  EncapRegisters r;
  for (const auto& e : c.egress_ports())
    if (e.port() == p && e.has_tunnel()) r = encap_registers(e.tunnel());
  bool staged = write_if_changed(rm::ENC_SLICE_at(p), r.slice);
  staged |= write_if_changed(rm::ENC_CSUM_at(p), r.csum);
  for (uint32_t k = 0; k < r.hdr.size(); ++k) staged |= write_if_changed(rm::ENC_HDR0_at(p) + 4 * k, r.hdr[k]);
  if (!write_if_changed(rm::ENC_CTRL_at(p), r.ctrl) && staged) bus_.write32(rm::ENC_CTRL_at(p), r.ctrl);
}

std::vector<const v1::Filter*> filters_in_priority_order(const v1::Config& c) {
  std::vector<const v1::Filter*> out;
  for (const auto& f : c.filters()) out.push_back(&f);
  std::stable_sort(out.begin(), out.end(),
                   [](const v1::Filter* a, const v1::Filter* b) { return a->priority() < b->priority(); });
  return out;
}

std::vector<std::string> Driver::filter_names() const {
  std::vector<std::string> names;
  for (const v1::Filter* f : filters_in_priority_order(applied_)) names.push_back(f->name());
  return names;
}

// Rule i of the data path is the i-th filter in priority order; rules past the last are off.
// Each rule's conditions are written before its FLT_CTRL, which switches it on.
void Driver::write_filters(const v1::Config& c, const std::map<std::string, uint32_t>& group_index) {
  const auto ordered = filters_in_priority_order(c);
  auto word = [](const uint8_t* b, int n) {
    uint32_t v = 0;
    for (int k = 0; k < n; ++k) v |= uint32_t(b[k]) << (8 * k);
    return v;
  };
  for (uint32_t i = 0; i < rm::kFilterRules; ++i) {
    if (i >= ordered.size()) {
      write_if_changed(rm::FLT_CTRL_at(i), 0);
      continue;
    }
    const v1::Filter& f = *ordered[i];
    const v1::FilterMatch& m = f.match();
    uint32_t ctrl = rm::FLT_CTRL_VALID_MASK;
    if (f.drop()) ctrl |= rm::FLT_CTRL_DROP_MASK;
    uint32_t groups = 0;
    for (const std::string& g : f.groups()) groups |= 1u << group_index.at(g);
    write_if_changed(rm::FLT_GROUPS_at(i), place(groups, rm::FLT_GROUPS_MASK_LSB, rm::FLT_GROUPS_MASK_MASK));
    uint32_t ports = 0;
    for (uint32_t p : m.ingress_ports()) ports |= 1u << p;
    if (m.ingress_ports_size() == 0) ports = (1u << identity_.in_ports) - 1;
    ctrl |= place(ports, rm::FLT_CTRL_IN_PORTS_LSB, rm::FLT_CTRL_IN_PORTS_MASK);
    if (m.has_vlan_min() || m.has_vlan_max()) ctrl |= rm::FLT_CTRL_VLAN_MASK;
    if (m.has_ethertype()) ctrl |= rm::FLT_CTRL_ETHERTYPE_MASK;
    if (m.has_ip_proto()) ctrl |= rm::FLT_CTRL_IP_PROTO_MASK;
    if (m.has_src_port_min() || m.has_src_port_max()) ctrl |= rm::FLT_CTRL_SPORT_MASK;
    if (m.has_dst_port_min() || m.has_dst_port_max()) ctrl |= rm::FLT_CTRL_DPORT_MASK;
    if (m.has_gtp_teid()) ctrl |= rm::FLT_CTRL_TEID_MASK;
    if (m.has_tunnel_id()) ctrl |= rm::FLT_CTRL_TUNNEL_ID_MASK;
    if (m.has_fragment()) ctrl |= rm::FLT_CTRL_FRAG_MASK | (m.fragment() ? rm::FLT_CTRL_FRAG_VALUE_MASK : 0);
    if (m.has_malformed()) ctrl |= rm::FLT_CTRL_MALF_MASK | (m.malformed() ? rm::FLT_CTRL_MALF_VALUE_MASK : 0);
    write_if_changed(rm::FLT_VLAN_at(i), place(m.has_vlan_min() ? m.vlan_min() : 0, rm::FLT_VLAN_MIN_LSB, rm::FLT_VLAN_MIN_MASK) |
                                             place(m.has_vlan_max() ? m.vlan_max() : 4095, rm::FLT_VLAN_MAX_LSB, rm::FLT_VLAN_MAX_MASK));
    write_if_changed(rm::FLT_TYPE_at(i), place(m.ethertype(), rm::FLT_TYPE_ETHERTYPE_LSB, rm::FLT_TYPE_ETHERTYPE_MASK) |
                                             place(m.ip_proto(), rm::FLT_TYPE_IP_PROTO_LSB, rm::FLT_TYPE_IP_PROTO_MASK));
    write_if_changed(rm::FLT_SPORT_at(i), place(m.has_src_port_min() ? m.src_port_min() : 0, rm::FLT_SPORT_MIN_LSB, rm::FLT_SPORT_MIN_MASK) |
                                              place(m.has_src_port_max() ? m.src_port_max() : 65535, rm::FLT_SPORT_MAX_LSB, rm::FLT_SPORT_MAX_MASK));
    write_if_changed(rm::FLT_DPORT_at(i), place(m.has_dst_port_min() ? m.dst_port_min() : 0, rm::FLT_DPORT_MIN_LSB, rm::FLT_DPORT_MIN_MASK) |
                                              place(m.has_dst_port_max() ? m.dst_port_max() : 65535, rm::FLT_DPORT_MAX_LSB, rm::FLT_DPORT_MAX_MASK));
    write_if_changed(rm::FLT_TEID_at(i), m.gtp_teid());
    write_if_changed(rm::FLT_TEID_BITS_at(i), m.has_gtp_teid_mask() ? m.gtp_teid_mask() : 0xFFFFFFFFu);
    write_if_changed(rm::FLT_TUNNEL_ID_at(i), m.tunnel_id());
    const config::MacAddress zero{};
    const config::MacAddress all{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    auto mac_pair = [&](const std::string& mac, const std::string& mask, uint32_t at_lo, uint32_t at_hi,
                        uint32_t mask_lo, uint32_t mask_hi) {
      const config::MacAddress v = mac.empty() ? zero : *config::parse_mac(mac);
      const config::MacAddress k = mac.empty() ? zero : mask.empty() ? all : *config::parse_mac(mask);
      write_if_changed(at_lo, word(v.data(), 4));
      write_if_changed(at_hi, word(v.data() + 4, 2));
      write_if_changed(mask_lo, word(k.data(), 4));
      write_if_changed(mask_hi, word(k.data() + 4, 2));
    };
    mac_pair(m.src_mac(), m.src_mac_mask(), rm::FLT_SMAC_LO_at(i), rm::FLT_SMAC_HI_at(i), rm::FLT_SMASK_LO_at(i),
             rm::FLT_SMASK_HI_at(i));
    mac_pair(m.dst_mac(), m.dst_mac_mask(), rm::FLT_DMAC_LO_at(i), rm::FLT_DMAC_HI_at(i), rm::FLT_DMASK_LO_at(i),
             rm::FLT_DMASK_HI_at(i));
    uint32_t lens = 0;
    auto prefix = [&](const std::string& text, uint32_t addr0, uint32_t ver_lsb, uint32_t ver_mask, uint32_t len_lsb,
                      uint32_t len_mask) {
      config::IpPrefix p;
      if (!text.empty()) {
        p = *config::parse_ip_prefix(text);
        ctrl |= place(p.address.version == 4 ? 1u : 2u, ver_lsb, ver_mask);
        lens |= place(uint32_t(p.length), len_lsb, len_mask);
      }
      for (int k = 0; k < 4; ++k) write_if_changed(addr0 + 4 * k, word(p.address.bytes.data() + 4 * k, 4));
    };
    prefix(m.src_prefix(), rm::FLT_SRC_ADDR0_at(i), rm::FLT_CTRL_SRC_VER_LSB, rm::FLT_CTRL_SRC_VER_MASK,
           rm::FLT_PREFIX_LEN_SRC_LSB, rm::FLT_PREFIX_LEN_SRC_MASK);
    prefix(m.dst_prefix(), rm::FLT_DST_ADDR0_at(i), rm::FLT_CTRL_DST_VER_LSB, rm::FLT_CTRL_DST_VER_MASK,
           rm::FLT_PREFIX_LEN_DST_LSB, rm::FLT_PREFIX_LEN_DST_MASK);
    write_if_changed(rm::FLT_PREFIX_LEN_at(i), lens);
    write_if_changed(rm::FLT_CTRL_at(i), ctrl);
  }
}

// Order of writes for a hitless change: new members get a slot and become live before any
// bucket names them; buckets then move in one table rewrite (only those that must); members
// leaving lose their live bit only after no bucket names them, and their egress queue
// drains to their port before the slot is freed. No packet is dropped at any step.
void Driver::program_group(uint32_t hw, const v1::PortGroup& g) {
  auto [it, created] = groups_.try_emplace(hw);
  GroupState& st = it->second;
  if (created || st.name != g.name()) {
    st.name = g.name();
    st.slot_port.fill(-1);
    st.base.assign(rm::kBuckets, kUnassigned);
    st.table.assign(rm::kBuckets, kUnassigned);
  }

  write_if_changed(rm::GRP_TUPLE_at(hw), tuple_mask(g));
  write_if_changed(rm::GRP_THRESH_BP_at(hw), g.utilization_threshold_bp());
  write_if_changed(rm::GRP_IDLE_US_at(hw), g.idle_timeout_us());
  write_if_changed(rm::GRP_FRAG_TIMEOUT_US_at(hw), g.fragment_timeout_us());

  std::set<int> wanted(g.members().begin(), g.members().end());
  std::vector<int> leaving;
  for (int s = 0; s < int(rm::kMembers); ++s)
    if (st.slot_port[s] >= 0 && !wanted.count(st.slot_port[s])) leaving.push_back(s);
  for (uint32_t port : g.members()) {
    if (std::find(st.slot_port.begin(), st.slot_port.end(), int(port)) != st.slot_port.end()) continue;
    auto free_slot = std::find(st.slot_port.begin(), st.slot_port.end(), -1);
    if (free_slot == st.slot_port.end())
      throw DriverError(DriverError::Code::kFailedPrecondition,
                        fmt::format("group '{}': no free member slot while members are leaving; "
                                    "remove members first, then add", g.name()));
    *free_slot = int(port);
    write_if_changed(rm::MEMBER_at(hw * rm::kMembers + uint32_t(free_slot - st.slot_port.begin())), port);
  }

  uint32_t live_all = 0;
  std::vector<uint8_t> staying;
  for (int s = 0; s < int(rm::kMembers); ++s) {
    if (st.slot_port[s] < 0) continue;
    live_all |= 1u << s;
    if (std::find(leaving.begin(), leaving.end(), s) == leaving.end()) staying.push_back(uint8_t(s));
  }
  write_if_changed(rm::GRP_LIVE_at(hw), live_all);
  st.base = rebalance(st.base, staying);
  st.staying = staying;
  const std::vector<uint8_t> table = with_links(st);
  write_table(hw, table);
  st.table = table;

  uint32_t live = 0;
  for (uint8_t s : staying) live |= 1u << s;
  write_if_changed(rm::GRP_LIVE_at(hw), live);
  for (int s : leaving) {
    drain_port(uint32_t(st.slot_port[s]));
    st.slot_port[s] = -1;
  }

  const uint32_t ctrl =
      rm::GRP_CTRL_ENABLE_MASK |
      place(g.hash() == v1::HASH_XOR16 ? rm::GRP_CTRL_HASH_XOR16 : rm::GRP_CTRL_HASH_CRC32,
            rm::GRP_CTRL_HASH_LSB, rm::GRP_CTRL_HASH_MASK) |
      (g.symmetric() ? rm::GRP_CTRL_SYMMETRIC_MASK : 0) |
      place(g.mode() == v1::MODE_DYNAMIC ? rm::GRP_CTRL_MODE_DYNAMIC : rm::GRP_CTRL_MODE_STATIC,
            rm::GRP_CTRL_MODE_LSB, rm::GRP_CTRL_MODE_MASK);
  write_if_changed(rm::GRP_CTRL_at(hw), ctrl);
}

std::vector<uint8_t> Driver::with_links(const GroupState& st) const {
  std::vector<uint8_t> up;  // ascending, as the fabric counts live slots
  std::vector<bool> down(rm::kMembers, false);
  for (uint8_t s : st.staying) {
    if (link_up_ >> uint32_t(st.slot_port[s]) & 1) up.push_back(s);
    else down[s] = true;
  }
  std::vector<uint8_t> out = st.base;
  if (up.size() == st.staying.size()) return out;
  for (size_t b = 0; b < out.size(); ++b)
    if (out[b] != kUnassigned && down[out[b]]) out[b] = up.empty() ? kUnassigned : up[b % up.size()];
  return out;
}

std::vector<LinkChange> Driver::poll_links() {
  const uint32_t now = bus_.read32(rm::LINK_STATUS) & ((1u << identity_.out_ports) - 1);
  if (now == link_up_) return {};
  const uint32_t changed = now ^ link_up_;
  link_up_ = now;
  std::map<uint32_t, uint32_t> moved_of;
  for (auto& [hw, st] : groups_) {
    const std::vector<uint8_t> table = with_links(st);
    const uint32_t moved = uint32_t(buckets_moved(st.table, table));
    if (moved == 0) continue;
    write_table(hw, table);
    st.table = table;
    for (int port : st.slot_port)
      if (port >= 0 && (changed >> uint32_t(port) & 1)) moved_of[uint32_t(port)] += moved;
  }
  std::vector<LinkChange> out;
  for (uint32_t p = 0; p < identity_.out_ports; ++p)
    if (changed >> p & 1) out.push_back({p, bool(now >> p & 1), moved_of[p]});
  return out;
}

std::vector<LinkChange> Driver::set_admin_down(uint32_t port, bool down) {
  if (port >= identity_.wired_out_ports)
    throw DriverError(DriverError::Code::kInvalidArgument,
                      fmt::format("egress port {} does not exist on this card (it has {})", port,
                                  identity_.wired_out_ports));
  uint32_t v = bus_.read32(rm::LINK_ADMIN_DOWN);
  v = down ? (v | 1u << port) : (v & ~(1u << port));
  bus_.write32(rm::LINK_ADMIN_DOWN, v);  // always: the read above, not the shadow, is the truth
  shadow_[rm::LINK_ADMIN_DOWN] = v;
  return poll_links();
}

void Driver::write_table(uint32_t hw, const std::vector<uint8_t>& table) {
  constexpr uint32_t kPerWord = 8;
  for (uint32_t w = 0; w < rm::kBuckets / kPerWord; ++w) {
    uint32_t value = 0;
    for (uint32_t i = 0; i < kPerWord; ++i) {
      const uint8_t slot = table[w * kPerWord + i];
      value |= uint32_t(slot == kUnassigned ? 0 : slot & 0xF) << (4 * i);
    }
    write_if_changed(rm::IND_at(hw * (rm::kBuckets / kPerWord) + w), value);
  }
}

void Driver::drain_port(uint32_t port) {
  // A port that is still a member elsewhere keeps receiving: nothing to drain.
  for (const auto& [hw, st] : groups_)
    for (int s = 0; s < int(rm::kMembers); ++s)
      if (st.slot_port[s] == int(port) && (bus_.read32(rm::GRP_LIVE_at(hw)) >> s & 1)) return;
  bus_.write32(rm::OUT_CTRL_at(port), rm::OUT_CTRL_DRAIN_MASK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_timeout_ms_);
  while (!(bus_.read32(rm::OUT_STATUS_at(port)) & rm::OUT_STATUS_EMPTY_MASK)) {
    if (std::chrono::steady_clock::now() > deadline) {
      bus_.write32(rm::OUT_CTRL_at(port), 0);
      throw DriverError(DriverError::Code::kUnavailable,
                        fmt::format("egress port {} did not drain within {} ms", port, drain_timeout_ms_));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  bus_.write32(rm::OUT_CTRL_at(port), 0);
}

bool Driver::write_if_changed(uint32_t offset, uint32_t value) {
  auto it = shadow_.find(offset);
  if (it != shadow_.end() && it->second == value) return false;
  bus_.write32(offset, value);
  shadow_[offset] = value;
  return true;
}

v1::Config Driver::with_member(const std::string& group, uint32_t port, bool add) const {
  v1::Config next = applied_;
  auto* members = group_named(next, group).mutable_members();
  auto it = std::find(members->begin(), members->end(), port);
  if (add && it != members->end())
    throw DriverError(DriverError::Code::kFailedPrecondition,
                      fmt::format("egress port {} is already a member of group '{}'", port, group));
  if (!add && it == members->end())
    throw DriverError(DriverError::Code::kNotFound,
                      fmt::format("egress port {} is not a member of group '{}'", port, group));
  if (add)
    members->Add(port);
  else
    members->erase(it);
  return next;
}

std::vector<config::Issue> Driver::add_member(const std::string& group, uint32_t port) {
  return apply(with_member(group, port, true));
}

std::vector<config::Issue> Driver::remove_member(const std::string& group, uint32_t port) {
  return apply(with_member(group, port, false));
}

uint64_t Driver::read64(uint32_t lo_offset) {
  const uint64_t lo = bus_.read32(lo_offset);  // latches HI
  const uint64_t hi = bus_.read32(lo_offset + 4);
  return lo | (hi << 32);
}

Counters Driver::counters() {
  Counters c;
  c.rx.resize(identity_.in_ports);
  for (uint32_t p = 0; p < identity_.in_ports; ++p) {
    c.rx[p].packets = read64(rm::RX_PKTS_LO_at(p));
    c.rx[p].bytes = read64(rm::RX_BYTES_LO_at(p));
    c.rx[p].drops = read64(rm::RX_DROPS_LO_at(p));
    c.rx[p].tunnel_terminated = read64(rm::TUN_TERMINATED_LO_at(p));
    c.rx[p].tunnel_passed = read64(rm::TUN_PASSED_LO_at(p));
    c.rx[p].tunnel_fragments = read64(rm::TUN_FRAGMENTS_LO_at(p));
  }
  {
    const std::vector<std::string> names = filter_names();
    for (uint32_t i = 0; i < names.size(); ++i)
      c.filters.push_back({names[i], i, read64(rm::FLT_PKTS_LO_at(i)), read64(rm::FLT_BYTES_LO_at(i))});
    c.filter_drops = read64(rm::FILTER_DROPS_LO);
  }
  c.tx.resize(identity_.out_ports);
  for (uint32_t p = 0; p < identity_.out_ports; ++p) {
    c.tx[p].packets = read64(rm::TX_PKTS_LO_at(p));
    c.tx[p].bytes = read64(rm::TX_BYTES_LO_at(p));
    c.tx[p].drops = read64(rm::TX_DROPS_LO_at(p));
    c.tx[p].util_bp = bus_.read32(rm::OUT_UTIL_BP_at(p));
    c.tx[p].peak_bp = bus_.read32(rm::OUT_UTIL_PEAK_BP_at(p));
    c.tx[p].link_downs = read64(rm::LINK_DOWNS_LO_at(p));
  }
  const uint32_t link = bus_.read32(rm::LINK_STATUS), admin = bus_.read32(rm::LINK_ADMIN_DOWN);
  for (uint32_t p = 0; p < identity_.out_ports; ++p) {
    c.tx[p].link_up = link >> p & 1;
    c.tx[p].admin_down = admin >> p & 1;
  }
  for (const auto& g : applied_.groups()) {
    auto hw = group_index(g.name());
    if (!hw) continue;
    GroupCounters gc;
    gc.name = g.name();
    gc.index = *hw;
    gc.packets = read64(rm::GRP_PKTS_LO_at(*hw));
    gc.new_flows = read64(rm::GRP_NEW_FLOWS_LO_at(*hw));
    const GroupState& st = groups_.at(*hw);
    for (uint32_t port : g.members()) {
      MemberStatus m;
      m.port = port;
      m.link_up = link >> port & 1;
      for (int s = 0; s < int(rm::kMembers); ++s)
        if (st.slot_port[s] == int(port))
          m.buckets = uint32_t(std::count(st.table.begin(), st.table.end(), uint8_t(s)));
      gc.members.push_back(m);
    }
    c.groups.push_back(std::move(gc));
  }
  c.malformed = read64(rm::MALFORMED_LO);
  c.fragments = read64(rm::FRAGMENTS_LO);
  c.depth_exceeded = read64(rm::DEPTH_EXCEEDED_LO);
  c.unmapped_drops = read64(rm::UNMAPPED_DROPS_LO);
  c.threshold_avoids = read64(rm::THRESHOLD_AVOIDS_LO);
  c.frag_follows = read64(rm::FRAG_FOLLOWS_LO);
  c.frag_misses = read64(rm::FRAG_MISSES_LO);
  c.csr_timeouts = read64(rm::CSR_TIMEOUTS_LO);
  return c;
}

void Driver::clear_counters() { bus_.write32(rm::COMMAND, rm::COMMAND_CLEAR_COUNTERS_MASK); }

std::optional<uint32_t> Driver::group_index(const std::string& name) const {
  for (const auto& [hw, st] : groups_)
    if (st.name == name) return hw;
  return std::nullopt;
}

std::array<int, core::kMembers> Driver::member_slots(uint32_t hw_group) const {
  auto it = groups_.find(hw_group);
  if (it == groups_.end()) {
    std::array<int, core::kMembers> none;
    none.fill(-1);
    return none;
  }
  return it->second.slot_port;
}

}  // namespace broker::driver
