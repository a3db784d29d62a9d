// Helpers shared by the driver suites: real Ethernet/IPv4 frames for a 5-tuple, register
// snapshots over the whole aperture, indirection tables read back over the bus, configs.
// Nothing here imitates a component under test: frames go through the real SoftCard, the
// configuration through the real Driver.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "broker_regmap.h"
#include "config_loader.h"
#include "driver.h"
#include "pcap_source.h"
#include "register_bus.h"
#include "soft_card.h"

namespace broker::drvtest {

namespace rm = broker::regmap;

inline constexpr uint8_t kTcp = 6, kUdp = 17;

struct Flow {
  uint32_t src_ip = 0, dst_ip = 0;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t proto = kTcp;

  Flow reversed() const { return {dst_ip, src_ip, dst_port, src_port, proto}; }
  bool operator==(const Flow&) const = default;
};

// An Ethernet II / IPv4 / TCP or UDP frame of exactly `len` bytes (at least 60) whose
// lengths agree, so the parser takes it as well formed.
inline std::vector<uint8_t> make_frame(const Flow& f, uint32_t len = 64) {
  const uint32_t l4_hdr = f.proto == kTcp ? 20 : 8;
  len = std::max<uint32_t>(len, 14 + 20 + l4_hdr);
  len = std::max<uint32_t>(len, 60);
  std::vector<uint8_t> p(len, 0);
  // MACs follow the IP addresses, so the reverse direction swaps them too.
  const uint8_t smac[6] = {0x02, 0x00, uint8_t(f.src_ip >> 24), uint8_t(f.src_ip >> 16),
                           uint8_t(f.src_ip >> 8), uint8_t(f.src_ip)};
  const uint8_t dmac[6] = {0x02, 0x00, uint8_t(f.dst_ip >> 24), uint8_t(f.dst_ip >> 16),
                           uint8_t(f.dst_ip >> 8), uint8_t(f.dst_ip)};
  std::copy(dmac, dmac + 6, p.begin());
  std::copy(smac, smac + 6, p.begin() + 6);
  p[12] = 0x08;
  p[13] = 0x00;
  uint8_t* ip = p.data() + 14;
  const uint32_t ip_total = len - 14;
  ip[0] = 0x45;
  ip[2] = uint8_t(ip_total >> 8);
  ip[3] = uint8_t(ip_total);
  ip[6] = 0x40;  // DF, not a fragment
  ip[8] = 64;
  ip[9] = f.proto;
  for (int i = 0; i < 4; ++i) {
    ip[12 + i] = uint8_t(f.src_ip >> (24 - 8 * i));
    ip[16 + i] = uint8_t(f.dst_ip >> (24 - 8 * i));
  }
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = uint8_t(~sum >> 8);
  ip[11] = uint8_t(~sum);
  uint8_t* l4 = ip + 20;
  l4[0] = uint8_t(f.src_port >> 8);
  l4[1] = uint8_t(f.src_port);
  l4[2] = uint8_t(f.dst_port >> 8);
  l4[3] = uint8_t(f.dst_port);
  if (f.proto == kTcp) {
    l4[12] = 0x50;  // data offset 5
    l4[13] = 0x18;  // PSH ACK
    l4[14] = 0xFF;
  } else {
    const uint32_t udp_len = ip_total - 20;
    l4[4] = uint8_t(udp_len >> 8);
    l4[5] = uint8_t(udp_len);
  }
  return p;
}

// Random flows: uniform addresses and ephemeral-looking ports, TCP and UDP mixed.
inline std::vector<Flow> random_flows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<uint32_t> ip;
  std::uniform_int_distribution<uint32_t> port(1, 65535);
  std::vector<Flow> flows(n);
  for (auto& f : flows) {
    f.src_ip = ip(rng);
    f.dst_ip = ip(rng);
    f.src_port = uint16_t(port(rng));
    f.dst_port = uint16_t(port(rng));
    f.proto = (rng() & 1) ? kTcp : kUdp;
  }
  return flows;
}

inline v1::Config parse(const std::string& text) {
  return config::parse_config_text(text, config::Format::kText, "<test>");
}

// One group "g" fed by ingress port 0 (and 1), crc32 symmetric 5-tuple, the given members.
inline std::string group_text(const std::vector<uint32_t>& members, const std::string& extra = "") {
  std::string m;
  for (size_t i = 0; i < members.size(); ++i) m += (i ? ", " : "") + std::to_string(members[i]);
  return "groups { name: \"g\" ingress_ports: [0, 1] members: [" + m +
         "] hash: HASH_CRC32 symmetric: true "
         "tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] " + extra + " }\n";
}

inline v1::Config static_config(const std::vector<uint32_t>& members, const std::string& extra = "") {
  return parse("name: \"t\"\n" + group_text(members, "mode: MODE_STATIC " + extra));
}

// Every register instance of the aperture read through the bus, in map order (counter LO
// reads latch their HI word, and the order is the same every time, so two snapshots of an
// unchanged card are equal).
struct RegValue {
  std::string name;
  uint32_t offset;
  uint32_t value;
};
inline std::vector<RegValue> snapshot(driver::RegisterBus& bus) {
  std::vector<RegValue> out;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const auto& info = rm::kRegisters[r];
    for (uint32_t i = 0; i < info.count; ++i) {
      const uint32_t off = info.offset + i * info.stride;
      out.push_back({std::string(info.name) + "[" + std::to_string(i) + "]", off, bus.read32(off)});
    }
  }
  return out;
}

// Names the registers that differ, for a readable failure.
inline std::string snapshot_diff(const std::vector<RegValue>& a, const std::vector<RegValue>& b) {
  std::string out;
  int shown = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i].value != b[i].value && shown++ < 20)
      out += fmt::format("{} @0x{:04x}: 0x{:08x} -> 0x{:08x}\n", a[i].name, a[i].offset, a[i].value, b[i].value);
  if (a.size() != b.size()) out += "snapshot sizes differ\n";
  return out;
}

// The indirection table of a hardware group as the card holds it: member slot per bucket.
inline std::vector<uint8_t> read_ind(driver::RegisterBus& bus, uint32_t hw_group) {
  constexpr uint32_t kWords = rm::kBuckets / 8;
  std::vector<uint8_t> slots(rm::kBuckets);
  for (uint32_t w = 0; w < kWords; ++w) {
    const uint32_t v = bus.read32(rm::IND_at(hw_group * kWords + w));
    for (uint32_t n = 0; n < 8; ++n) slots[w * 8 + n] = uint8_t((v >> (4 * n)) & 0xF);
  }
  return slots;
}

// Egress port per bucket as the card would send a new packet there (static mode): the
// indirection slot, through the MEMBER registers, for live slots only (-1 otherwise).
inline std::vector<int> ports_per_bucket(driver::RegisterBus& bus, uint32_t hw_group) {
  const std::vector<uint8_t> slots = read_ind(bus, hw_group);
  const uint32_t live = bus.read32(rm::GRP_LIVE_at(hw_group));
  std::vector<int> ports(slots.size());
  for (size_t b = 0; b < slots.size(); ++b)
    ports[b] = (live >> slots[b] & 1)
                   ? int(bus.read32(rm::MEMBER_at(hw_group * rm::kMembers + slots[b])) & 0xFF)
                   : -1;
  return ports;
}

inline uint64_t count_pcap_frames(const std::string& path) {
  io::PcapSource src(path);
  io::Frame f;
  uint64_t n = 0;
  while (src.next(f)) ++n;
  return n;
}

// A fresh, empty directory under the system temp dir for one test.
inline std::filesystem::path temp_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = tag + "-" + (info ? std::string(info->test_suite_name()) + "." + info->name() : "x");
  for (auto& c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '_';
  const auto dir = std::filesystem::temp_directory_path() /
                   ("broker-drvtest-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace broker::drvtest
