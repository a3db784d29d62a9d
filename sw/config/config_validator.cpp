#include "config_validator.h"
#include "net_address.h"

#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include <google/protobuf/unknown_field_set.h>

#include "config_defaults.h"

namespace broker::config {

namespace {

using broker::v1::Config;
using broker::v1::PortGroup;
using broker::v1::TupleField;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A double as people write it: 0.001, 1e-300, 1000, nan.
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string range_text(uint32_t count) {
  return count == 0 ? "none" : "0.." + std::to_string(count - 1);
}

std::string tuple_name(int value) {
  return broker::v1::TupleField_IsValid(value)
             ? broker::v1::TupleField_Name(static_cast<TupleField>(value))
             : std::to_string(value);
}

// "groups[0] (\"analyzers\")", or just "groups[0]" for an unnamed group.
std::string group_label(const Config& config, int index) {
  const auto& name = config.groups(index).name();
  std::string label = "groups[" + std::to_string(index) + "]";
  return name.empty() ? label : label + " (" + quoted(name) + ")";
}

// The src/dst halves that the symmetric swap exchanges (DESIGN.md, Symmetric mode).
// GTP_INNER_IP holds both inner addresses in one tuple field, so it is always whole.
struct Pair {
  TupleField src;
  TupleField dst;
};
constexpr std::array<Pair, 3> kSymmetricPairs{{
    {broker::v1::SRC_MAC, broker::v1::DST_MAC},
    {broker::v1::SRC_IP, broker::v1::DST_IP},
    {broker::v1::SRC_PORT, broker::v1::DST_PORT},
}};

// Fields this build does not know (a newer client, or damaged bytes) cannot be applied, and
// kept they would be saved and refused by the next start: the configuration is refused, each
// naming where it is ("groups[1]: unknown field 12").
void unknown_fields(const google::protobuf::Message& m, const std::string& path, std::vector<Issue>& out) {
  const google::protobuf::Reflection* r = m.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = r->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i)
    out.push_back({path, "unknown field " + std::to_string(unknown.field(i).number()) +
                             " (not in this build's broker.v1.Config: a newer client?)"});
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string name = path.empty() ? f->name() : path + "." + f->name();
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k)
        unknown_fields(r->GetRepeatedMessage(m, f, k), name + "[" + std::to_string(k) + "]", out);
    } else {
      unknown_fields(r->GetMessage(m, f), name, out);
    }
  }
}

class Validator {
 public:
  Validator(const Config& config, const Limits& limits) : config_(config), limits_(limits) {}

  ValidationResult run() {
    // Lists longer than any card holds are refused before one entry is looked at: a huge
    // request (4,000,000 members) costs one error, not one per entry (1.3 GB of messages).
    if (!lists_in_bounds()) return std::move(result_);
    unknown_fields(config_, "", result_.errors);
    check_port_list(config_.ingress_ports(), "ingress_ports", limits_.in_ports, "ingress");
    check_port_list(config_.egress_ports(), "egress_ports", limits_.out_ports, "egress");
    for (int i = 0; i < config_.egress_ports_size(); ++i) {
      const auto speed = config_.egress_ports(i).speed_mbps();
      if (speed > kMaxSpeedMbps) {
        error("egress_ports[" + std::to_string(i) + "].speed_mbps",
              "speed " + std::to_string(speed) + " Mb/s is more than the " +
                  std::to_string(kMaxSpeedMbps) +
                  " Mb/s of any Ethernet port; give it in Mb/s (100000 for 100 GbE), "
                  "or 0 for the default of " + std::to_string(kDefaultSpeedMbps));
      }
    }

    check_text("name", config_.name(), kMaxNameBytes);
    for (int i = 0; i < config_.ingress_ports_size(); ++i) {
      const std::string port = "ingress_ports[" + std::to_string(i) + "]";
      check_text(port + ".name", config_.ingress_ports(i).name(), kMaxNameBytes);
      check_text(port + ".binding.pcap_file", config_.ingress_ports(i).binding().pcap_file());
      check_text(port + ".binding.interface", config_.ingress_ports(i).binding().interface());
    }
    for (int i = 0; i < config_.egress_ports_size(); ++i) {
      const std::string port = "egress_ports[" + std::to_string(i) + "]";
      check_text(port + ".name", config_.egress_ports(i).name(), kMaxNameBytes);
      check_text(port + ".binding.pcap_file", config_.egress_ports(i).binding().pcap_file());
      check_text(port + ".binding.interface", config_.egress_ports(i).binding().interface());
    }
    for (int i = 0; i < config_.groups_size(); ++i)
      check_text("groups[" + std::to_string(i) + "].name", config_.groups(i).name(), kMaxNameBytes);
    for (int i = 0; i < config_.ingress_ports_size(); ++i) check_termination(i);
    for (int i = 0; i < config_.egress_ports_size(); ++i) check_origination(i);
    std::map<std::string, int> filter_names;
    for (int i = 0; i < config_.filters_size(); ++i) check_filter(i, filter_names);

    for (int i = 0; i < config_.ingress_ports_size(); ++i) {
      const double pace = config_.ingress_ports(i).binding().pace();
      // Also refuses NaN. Between 0 and the minimum, a frame's due time (the capture's time
      // divided by the pace) overflows.
      if (!(pace == 0 || (pace >= kMinReplayPace && pace <= kMaxReplayPace))) {
        error("ingress_ports[" + std::to_string(i) + "].binding.pace",
              "pace " + number(pace) + " is neither 0 (as fast as possible) nor within " +
                  number(kMinReplayPace) + " to " + number(kMaxReplayPace) +
                  " (times the recorded speed)");
      }
    }
    for (int i = 0; i < config_.egress_ports_size(); ++i) {
      if (config_.egress_ports(i).binding().pace() != 0) {
        error("egress_ports[" + std::to_string(i) + "].binding.pace",
              "pace applies to ingress captures only");
      }
    }

    if (config_.utilization_window_us() > kMaxUtilizationWindowUs) {
      error("utilization_window_us",
            std::to_string(config_.utilization_window_us()) + " us is more than the " +
                std::to_string(kMaxUtilizationWindowUs) + " us (" +
                std::to_string(kMaxUtilizationWindowUs / 1'000'000) +
                " s) allowed: dynamic groups would steer by utilization that old; 0 means the "
                "default of " + std::to_string(kDefaultUtilizationWindowUs) + " us");
    }

    if (static_cast<uint32_t>(config_.groups_size()) > limits_.groups) {
      error("groups", std::to_string(config_.groups_size()) +
                          " groups configured, but this card has " +
                          std::to_string(limits_.groups) + " group slots");
    }
    for (int i = 0; i < config_.groups_size(); ++i) check_group(i);
    return std::move(result_);
  }

 private:
  bool lists_in_bounds() {
    const size_t before = result_.errors.size();
    // "N <unit>, but <what> M <what_unit>", one error for the whole list.
    auto bound = [&](int size, uint32_t most, const std::string& field, const char* unit, const char* what,
                     const char* what_unit) {
      if (static_cast<uint32_t>(size) > most)
        error(field, std::to_string(size) + " " + unit + ", but " + what + " " + std::to_string(most) +
                         (*what_unit ? " " : "") + what_unit + " (refused before its entries were checked)");
    };
    bound(config_.ingress_ports_size(), limits_.in_ports, "ingress_ports", "entries", "this card has", "ingress ports");
    bound(config_.egress_ports_size(), limits_.out_ports, "egress_ports", "entries", "this card has", "egress ports");
    bound(config_.groups_size(), limits_.groups, "groups", "groups", "this card has", "group slots");
    bound(config_.filters_size(), limits_.filters, "filters", "filters", "this card has", "filter rules");
    if (result_.errors.size() > before) return false;
    for (int i = 0; i < config_.filters_size(); ++i) {
      const auto& f = config_.filters(i);
      const std::string prefix = "filters[" + std::to_string(i) + "]";
      bound(f.groups_size(), limits_.groups, prefix + ".groups", "entries", "this card has", "group slots");
      bound(f.match().ingress_ports_size(), limits_.in_ports, prefix + ".match.ingress_ports", "entries",
            "this card has", "ingress ports");
    }
    const int tunnel_types = broker::v1::TunnelType_descriptor()->value_count() - 1;
    for (int i = 0; i < config_.ingress_ports_size(); ++i)
      bound(config_.ingress_ports(i).terminate_size(), uint32_t(tunnel_types),
            "ingress_ports[" + std::to_string(i) + "].terminate", "entries", "there are", "tunnel types");
    const int kinds = broker::v1::TupleField_descriptor()->value_count() - 1;  // not UNSPECIFIED
    for (int i = 0; i < config_.groups_size(); ++i) {
      const auto& g = config_.groups(i);
      const std::string prefix = "groups[" + std::to_string(i) + "]";
      bound(g.members_size(), limits_.members, prefix + ".members", "members", "a group has at most", "");
      bound(g.ingress_ports_size(), limits_.in_ports, prefix + ".ingress_ports", "entries", "this card has",
            "ingress ports");
      bound(g.tuple_size(), uint32_t(kinds), prefix + ".tuple", "fields", "there are",
            "tuple fields, each selected at most once");
    }
    return result_.errors.size() == before;
  }

  void error(std::string field, std::string message) {
    result_.errors.push_back({std::move(field), std::move(message)});
  }
  void warning(std::string field, std::string message) {
    result_.warnings.push_back({std::move(field), std::move(message)});
  }

  template <typename Ports>
  void check_port_list(const Ports& ports, const std::string& list, uint32_t count,
                       const char* kind) {
    std::map<uint32_t, int> seen;  // port -> first index declaring it
    for (int i = 0; i < ports.size(); ++i) {
      const std::string field = list + "[" + std::to_string(i) + "].port";
      const uint32_t port = ports[i].port();
      if (port >= count) {
        error(field, std::string(kind) + " port " + std::to_string(port) +
                         " is out of range: this card has " + std::to_string(count) + " " +
                         kind + " ports (" + range_text(count) + ")");
        continue;
      }
      auto [it, inserted] = seen.emplace(port, i);
      if (!inserted) {
        error(field, std::string(kind) + " port " + std::to_string(port) +
                         " is already declared by " + list + "[" +
                         std::to_string(it->second) + "]");
      }
    }
  }

  // Proto3 strings must be UTF-8: a name that is not would be mangled by the JSON form and
  // refused by strict clients reading it back. Names also stay short enough to print, and
  // free of control characters: they are printed in the daemon's log lines and in tables,
  // where a newline or an escape sequence would forge lines or rewrite the terminal.
  void check_text(const std::string& field, const std::string& text,
                  size_t max_bytes = kMaxTextBytes) {
    if (!valid_utf8(text)) {
      error(field, "is not valid UTF-8 text");
    } else if (text.size() > max_bytes) {
      error(field, std::to_string(text.size()) + " bytes is longer than the " +
                       std::to_string(max_bytes) + " allowed");
    } else if (const auto at = control_character(text)) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", unsigned(at->second));
      error(field, "holds the control character " + std::string(code) + " at byte " +
                       std::to_string(at->first) +
                       "; names and paths are printed in log lines and tables and may not hold any");
    }
  }

  // The first control character (Unicode category Cc: U+0000..U+001F, U+007F..U+009F) of
  // valid UTF-8 text, as (byte offset, code point).
  static std::optional<std::pair<size_t, uint32_t>> control_character(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == 0x7F) return std::pair<size_t, uint32_t>{i, c};
      // U+0080..U+009F are C2 80..C2 9F in UTF-8.
      if (c == 0xC2 && i + 1 < s.size()) {
        const auto next = static_cast<unsigned char>(s[i + 1]);
        if (next >= 0x80 && next <= 0x9F) return std::pair<size_t, uint32_t>{i, next};
      }
    }
    return std::nullopt;
  }

  static bool valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        ++i;
        continue;
      }
      size_t n;
      uint32_t cp;
      if ((c >> 5) == 0x6) n = 1, cp = c & 0x1F;
      else if ((c >> 4) == 0xE) n = 2, cp = c & 0x0F;
      else if ((c >> 3) == 0x1E) n = 3, cp = c & 0x07;
      else return false;
      if (i + n >= s.size()) return false;
      for (size_t k = 1; k <= n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc >> 6) != 0x2) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
      if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
          (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return false;
      i += n + 1;
    }
    return true;
  }

  // Tunnel termination: each known type once; the address, when given, one IPv4 or IPv6
  // address, and only with something to terminate.
  void check_termination(int i) {
    const auto& port = config_.ingress_ports(i);
    const std::string prefix = "ingress_ports[" + std::to_string(i) + "]";
    std::map<int, int> seen;
    for (int k = 0; k < port.terminate_size(); ++k) {
      const std::string field = prefix + ".terminate[" + std::to_string(k) + "]";
      const int t = port.terminate(k);
      if (t == broker::v1::TUNNEL_TYPE_UNSPECIFIED || !broker::v1::TunnelType_IsValid(t)) {
        error(field, "unknown tunnel type " + std::to_string(t) +
                         "; name TUNNEL_GRE, TUNNEL_ERSPAN or TUNNEL_VXLAN");
        continue;
      }
      auto [it, inserted] = seen.emplace(t, k);
      if (!inserted)
        error(field, broker::v1::TunnelType_Name(t) + " is listed twice (also terminate[" +
                         std::to_string(it->second) + "])");
    }
    if (port.segment_vlan() > 4094)
      error(prefix + ".segment_vlan", std::to_string(port.segment_vlan()) +
                                          " is not a VLAN ID: 1 to 4094 (4095 is reserved), or 0 for no tag");
    const std::string& addr = port.tunnel_address();
    if (addr.empty()) return;
    if (!check_text_ok(addr)) {
      error(prefix + ".tunnel_address", "is not an IPv4 or IPv6 address");
    } else if (!parse_ip_address(addr)) {
      error(prefix + ".tunnel_address", "'" + addr + "' is not an IPv4 or IPv6 address (such as 192.0.2.1 or 2001:db8::1)");
    } else if (port.terminate_size() == 0) {
      error(prefix + ".tunnel_address", "is set, but the port terminates no tunnel: add terminate");
    }
  }

  // Tunnel origination: a kind Linux terminates, two addresses of one family, the MACs, and
  // header fields in their ranges.
  void check_origination(int i) {
    const auto& port = config_.egress_ports(i);
    if (!port.has_tunnel()) return;
    const auto& t = port.tunnel();
    const std::string prefix = "egress_ports[" + std::to_string(i) + "].tunnel";
    if (t.type() == broker::v1::TUNNEL_ERSPAN) {
      if (t.erspan_version() != 2 && t.erspan_version() != 3)
        error(prefix + ".erspan_version", std::to_string(t.erspan_version()) +
                                              " is not an ERSPAN version this broker originates: 2 (type II) or 3 (type III)");
      if (t.key() > 1023)
        error(prefix + ".key", std::to_string(t.key()) + " is not an ERSPAN session ID: 0 to 1023");
    } else if (t.type() == broker::v1::TUNNEL_GRE) {
      if (t.erspan_version() != 0)
        error(prefix + ".erspan_version", "applies to TUNNEL_ERSPAN only");
    } else {
      error(prefix + ".type", "a tool port originates TUNNEL_GRE or TUNNEL_ERSPAN, not " +
                                  (broker::v1::TunnelType_IsValid(t.type()) ? broker::v1::TunnelType_Name(t.type())
                                                                            : std::to_string(t.type())));
    }
    std::optional<IpAddress> src, dst;
    for (auto [field, text, out] : {std::tuple{".src_ip", &t.src_ip(), &src}, std::tuple{".dst_ip", &t.dst_ip(), &dst}}) {
      if (text->empty()) {
        error(prefix + field, "is required: the outer header's address (IPv4 or IPv6)");
      } else if (!check_text_ok(*text) || !(*out = parse_ip_address(*text))) {
        error(prefix + field, "is not an IPv4 or IPv6 address (such as 192.0.2.1 or 2001:db8::1)");
      }
    }
    if (src && dst && src->version != dst->version)
      error(prefix + ".dst_ip", "is IPv" + std::to_string(dst->version) + " but src_ip is IPv" +
                                    std::to_string(src->version) + ": both ends of a tunnel use one family");
    for (auto [field, text] : {std::pair{".src_mac", &t.src_mac()}, std::pair{".dst_mac", &t.dst_mac()}}) {
      if (text->empty()) error(prefix + field, "is required: the outer Ethernet header's address");
      else if (!check_text_ok(*text) || !parse_mac(*text))
        error(prefix + field, "is not a MAC address (six hexadecimal bytes, such as 02:00:00:00:00:01)");
    }
    if (t.dscp() > 63) error(prefix + ".dscp", std::to_string(t.dscp()) + " is not a DSCP value: 0 to 63");
    if (t.ttl() > 255) error(prefix + ".ttl", std::to_string(t.ttl()) + " is not a TTL: 1 to 255, or 0 for 64");
    if (t.slice_bytes() != 0 && (t.slice_bytes() < kMinSliceBytes || t.slice_bytes() > kMaxSliceBytes))
      error(prefix + ".slice_bytes", std::to_string(t.slice_bytes()) + " is out of range: 0 (never cut) or " +
                                         std::to_string(kMinSliceBytes) + " to " + std::to_string(kMaxSliceBytes));
  }

  // A filter: a unique name, one action, conditions that can hold.
  void check_filter(int i, std::map<std::string, int>& names) {
    const auto& f = config_.filters(i);
    const std::string prefix = "filters[" + std::to_string(i) + "]";
    const size_t before = result_.errors.size();
    check_text(prefix + ".name", f.name(), kMaxNameBytes);
    if (result_.errors.size() == before) {
      if (f.name().empty()) {
        error(prefix + ".name", "is empty: a filter needs a name (its counters and the decision log use it)");
      } else if (auto [it, fresh] = names.emplace(f.name(), i); !fresh) {
        error(prefix + ".name", "'" + f.name() + "' is already the name of filters[" + std::to_string(it->second) + "]");
      }
    }
    if (f.drop() && f.groups_size() > 0) {
      error(prefix + ".groups", "a filter that drops delivers to no group: remove groups or drop");
    } else if (!f.drop() && f.groups_size() == 0) {
      error(prefix + ".groups", "names no group and does not drop: give the group that gets what it matches");
    }
    // One copy per group: each group once.
    std::map<std::string, int> named;
    for (int k = 0; k < f.groups_size(); ++k) {
      bool known = false;
      for (const auto& g : config_.groups()) known = known || g.name() == f.groups(k);
      const std::string field = prefix + ".groups[" + std::to_string(k) + "]";
      if (!known) {
        error(field, "'" + (check_text_ok(f.groups(k)) ? f.groups(k) : std::string("?")) + "' is not a configured group");
      } else if (auto [it, fresh] = named.emplace(f.groups(k), k); !fresh) {
        error(field, "'" + f.groups(k) + "' is already groups[" + std::to_string(it->second) +
                         "]: a frame gets one copy per group");
      }
    }
    const auto& m = f.match();
    const std::string mp = prefix + ".match.";
    std::map<uint32_t, int> ports;
    for (int k = 0; k < m.ingress_ports_size(); ++k) {
      const std::string field = mp + "ingress_ports[" + std::to_string(k) + "]";
      if (m.ingress_ports(k) >= limits_.in_ports)
        error(field, "ingress port " + std::to_string(m.ingress_ports(k)) + " is out of range: this card has " +
                         std::to_string(limits_.in_ports) + " ingress ports (" + range_text(limits_.in_ports) + ")");
      else if (auto [it, fresh] = ports.emplace(m.ingress_ports(k), k); !fresh)
        error(field, "ingress port " + std::to_string(m.ingress_ports(k)) + " is listed twice (also ingress_ports[" +
                         std::to_string(it->second) + "])");
    }
    range_field(mp, "vlan_min", m.has_vlan_min(), m.vlan_min(), "vlan_max", m.has_vlan_max(), m.vlan_max(), 4095);
    range_field(mp, "src_port_min", m.has_src_port_min(), m.src_port_min(), "src_port_max", m.has_src_port_max(),
                m.src_port_max(), 65535);
    range_field(mp, "dst_port_min", m.has_dst_port_min(), m.dst_port_min(), "dst_port_max", m.has_dst_port_max(),
                m.dst_port_max(), 65535);
    if (m.has_ethertype() && m.ethertype() > 0xFFFF)
      error(mp + "ethertype", std::to_string(m.ethertype()) + " is more than 16 bits (0x0800 is 2048)");
    if (m.has_ip_proto() && m.ip_proto() > 255)
      error(mp + "ip_proto", std::to_string(m.ip_proto()) + " is not an IP protocol number (0 to 255)");
    if (m.has_gtp_teid_mask() && !m.has_gtp_teid())
      error(mp + "gtp_teid_mask", "is set without gtp_teid: give the TEID the masked bits must equal");
    mac_field(mp, "src_mac", m.src_mac(), "src_mac_mask", m.src_mac_mask());
    mac_field(mp, "dst_mac", m.dst_mac(), "dst_mac_mask", m.dst_mac_mask());
    prefix_field(mp + "src_prefix", m.src_prefix());
    prefix_field(mp + "dst_prefix", m.dst_prefix());
  }

  void range_field(const std::string& mp, const char* lo_name, bool has_lo, uint32_t lo, const char* hi_name,
                   bool has_hi, uint32_t hi, uint32_t most) {
    if (has_lo && lo > most) error(mp + lo_name, std::to_string(lo) + " is more than " + std::to_string(most));
    if (has_hi && hi > most) error(mp + hi_name, std::to_string(hi) + " is more than " + std::to_string(most));
    if (has_lo && has_hi && lo <= most && hi <= most && lo > hi)
      error(mp + hi_name, std::to_string(hi) + " is below " + lo_name + " " + std::to_string(lo) + ": the range is empty");
  }

  void mac_field(const std::string& mp, const char* name, const std::string& mac, const char* mask_name,
                 const std::string& mask) {
    if (!mac.empty() && !parse_mac(mac))
      error(mp + name, (check_text_ok(mac) ? "'" + mac + "'" : std::string("the text")) +
                           " is not a MAC address (six hex bytes: aa:bb:cc:dd:ee:ff)");
    if (!mask.empty() && !parse_mac(mask))
      error(mp + mask_name, (check_text_ok(mask) ? "'" + mask + "'" : std::string("the text")) +
                                " is not a MAC mask (six hex bytes: ff:ff:ff:00:00:00)");
    if (mac.empty() && !mask.empty()) error(mp + mask_name, std::string("is set without ") + name);
  }

  void prefix_field(const std::string& field, const std::string& text) {
    if (!text.empty() && !parse_ip_prefix(text))
      error(field, (check_text_ok(text) ? "'" + text + "'" : std::string("the text")) +
                       " is not an IP prefix: an IPv4 or IPv6 address and a length within it, with no "
                       "address bits past the length (10.0.0.0/8, 2001:db8::/32)");
  }

  // Short printable text (an address): what may be quoted back in an error.
  static bool check_text_ok(const std::string& s) {
    if (s.size() > 64) return false;
    for (char c : s)
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) return false;
    return true;
  }

  void check_group(int i) {
    const PortGroup& group = config_.groups(i);
    const std::string prefix = "groups[" + std::to_string(i) + "]";

    if (group.name().empty()) {
      error(prefix + ".name", "a group needs a name, unique among the groups");
    } else if (auto [it, inserted] = group_names_.emplace(group.name(), i); !inserted) {
      error(prefix + ".name", "name " + quoted(group.name()) + " is already used by groups[" +
                                  std::to_string(it->second) + "]");
    }

    check_ingress(i, prefix);
    check_members(group, prefix);
    check_hash_and_tuple(group, prefix);
    check_mode(group, prefix);
    check_fragment_timeout(group, prefix);
  }

  void check_ingress(int i, const std::string& prefix) {
    const PortGroup& group = config_.groups(i);
    bool filtered_to = false;  // a filter delivers to it
    for (const auto& f : config_.filters())
      for (const auto& name : f.groups()) filtered_to = filtered_to || name == group.name();
    if (group.ingress_ports_size() == 0 && !filtered_to) {
      warning(prefix + ".ingress_ports",
              "no ingress ports and no filter delivers to it: the group receives no traffic");
    }
    std::map<uint32_t, int> here;  // port -> first index in this group
    for (int j = 0; j < group.ingress_ports_size(); ++j) {
      const std::string field = prefix + ".ingress_ports[" + std::to_string(j) + "]";
      const uint32_t port = group.ingress_ports(j);
      if (port >= limits_.in_ports) {
        error(field, "ingress port " + std::to_string(port) +
                         " is out of range: this card has " +
                         std::to_string(limits_.in_ports) + " ingress ports (" +
                         range_text(limits_.in_ports) + ")");
        continue;
      }
      if (auto [it, inserted] = here.emplace(port, j); !inserted) {
        error(field, "ingress port " + std::to_string(port) +
                         " is listed twice in this group (also at ingress_ports[" +
                         std::to_string(it->second) + "])");
        continue;
      }
      // Each ingress port feeds at most one group: the data path has one group register
      // per ingress port, so a second claim could only silently win or lose.
      if (auto [it, inserted] = ingress_owner_.emplace(port, i); !inserted) {
        error(field, "ingress port " + std::to_string(port) + " already feeds " +
                         group_label(config_, it->second) +
                         "; an ingress port maps to at most one group");
      }
    }
  }

  void check_members(const PortGroup& group, const std::string& prefix) {
    if (group.members_size() == 0) {
      warning(prefix + ".members",
              "no members: traffic from this group's ingress ports is dropped");
    }
    if (static_cast<uint32_t>(group.members_size()) > limits_.members) {
      error(prefix + ".members", std::to_string(group.members_size()) +
                                     " members, but a group has at most " +
                                     std::to_string(limits_.members));
    }
    std::map<uint32_t, int> seen;
    for (int j = 0; j < group.members_size(); ++j) {
      const std::string field = prefix + ".members[" + std::to_string(j) + "]";
      const uint32_t port = group.members(j);
      if (port >= limits_.out_ports) {
        error(field, "egress port " + std::to_string(port) +
                         " is out of range: this card has " +
                         std::to_string(limits_.out_ports) + " egress ports (" +
                         range_text(limits_.out_ports) + ")");
        continue;
      }
      if (auto [it, inserted] = seen.emplace(port, j); !inserted) {
        error(field, "egress port " + std::to_string(port) +
                         " is a member twice (also members[" + std::to_string(it->second) +
                         "]); a port is a member of a group at most once");
      }
    }
  }

  void check_hash_and_tuple(const PortGroup& group, const std::string& prefix) {
    const int hash = group.hash();
    if (!broker::v1::HashFunction_IsValid(hash)) {
      error(prefix + ".hash", "unknown hash function " + std::to_string(hash) +
                                  "; use HASH_CRC32 or HASH_XOR16");
    } else if (hash == broker::v1::HASH_XOR16 && !group.symmetric()) {
      error(prefix + ".hash",
            "xor16 is symmetric by construction; set symmetric: true or use HASH_CRC32");
    }

    const std::string tuple_field = prefix + ".tuple";
    if (group.tuple_size() == 0) {
      error(tuple_field,
            "the tuple is empty: select the fields that identify a session, "
            "e.g. SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO");
      return;
    }
    // (A tuple longer than the number of fields was refused whole by lists_in_bounds: 200,000
    // repeats made one error each, and a 3.6 MB state file.)
    std::set<int> selected;
    std::map<int, int> first_at;
    for (int k = 0; k < group.tuple_size(); ++k) {
      const int value = group.tuple(k);
      const std::string field = tuple_field + "[" + std::to_string(k) + "]";
      if (value == broker::v1::TUPLE_FIELD_UNSPECIFIED) {
        error(field, "TUPLE_FIELD_UNSPECIFIED is not a field; name a key field such as SRC_IP");
        continue;
      }
      if (!broker::v1::TupleField_IsValid(value)) {
        error(field, "unknown tuple field " + std::to_string(value));
        continue;
      }
      if (auto [it, inserted] = first_at.emplace(value, k); !inserted) {
        error(field, tuple_name(value) + " is listed twice (also tuple[" +
                         std::to_string(it->second) + "]); select each field at most once");
        continue;
      }
      selected.insert(value);
    }

    if (!group.symmetric()) return;
    // The symmetric swap exchanges whole src/dst pairs; with one half masked to zero the
    // swap turns a selected field into a zero one, so the two directions of a session
    // would hash differently: not symmetric, whatever the flag says.
    for (const auto& pair : kSymmetricPairs) {
      const bool has_src = selected.count(pair.src) > 0;
      const bool has_dst = selected.count(pair.dst) > 0;
      if (has_src != has_dst) {
        const std::string have = tuple_name(has_src ? pair.src : pair.dst);
        const std::string missing = tuple_name(has_src ? pair.dst : pair.src);
        error(tuple_field, "symmetric: true needs both halves of a src/dst pair, but " +
                               have + " is selected without " + missing + "; add " +
                               missing + " or remove " + have);
      }
    }
    if (selected.count(broker::v1::GTP_TEID) > 0) {
      warning(tuple_field,
              "GTP_TEID in a symmetric group: uplink and downlink of a GTP-U session carry "
              "different TEIDs, so its two directions reach different members; "
              "use GTP_INNER_IP instead");
    }
  }

  void check_mode(const PortGroup& group, const std::string& prefix) {
    const int mode = group.mode();
    if (!broker::v1::SelectionMode_IsValid(mode)) {
      error(prefix + ".mode", "unknown selection mode " + std::to_string(mode) +
                                  "; use MODE_STATIC or MODE_DYNAMIC");
      return;
    }
    const bool dynamic = mode == broker::v1::MODE_DYNAMIC;
    const uint32_t threshold = group.utilization_threshold_bp();
    if (threshold > kMaxUtilizationThresholdBp) {
      error(prefix + ".utilization_threshold_bp",
            std::to_string(threshold) + " basis points is more than 100 % (" +
                std::to_string(kMaxUtilizationThresholdBp) + "); e.g. 8000 means 80 %");
    } else if (threshold != 0 && !dynamic) {
      warning(prefix + ".utilization_threshold_bp",
              "ignored: only MODE_DYNAMIC groups weigh members by utilization");
    }
    if (group.idle_timeout_us() != 0 && !dynamic) {
      warning(prefix + ".idle_timeout_us",
              "ignored: only MODE_DYNAMIC groups keep a flow table that times out");
    }
  }

  // Every mode keeps fragments with their first fragment, so this applies to static groups too.
  void check_fragment_timeout(const PortGroup& group, const std::string& prefix) {
    const uint32_t timeout = group.fragment_timeout_us();
    if (timeout > kMaxFragmentTimeoutUs) {
      error(prefix + ".fragment_timeout_us",
            std::to_string(timeout) + " us is more than the " +
                std::to_string(kMaxFragmentTimeoutUs) + " us (" +
                std::to_string(kMaxFragmentTimeoutUs / 1'000'000) +
                " s) allowed, longer than any IP reassembly timeout; 0 means the default of " +
                std::to_string(kDefaultFragmentTimeoutUs / 1'000'000) + " s");
    }
  }

  const Config& config_;
  const Limits& limits_;
  ValidationResult result_;
  std::map<std::string, int> group_names_;  // name -> first group using it
  std::map<uint32_t, int> ingress_owner_;   // ingress port -> group it feeds
};

}  // namespace

std::string ValidationResult::summary() const {
  std::string out;
  for (const auto& issue : errors) out += "error: " + issue.to_string() + "\n";
  for (const auto& issue : warnings) out += "warning: " + issue.to_string() + "\n";
  return out;
}

ValidationResult validate(const broker::v1::Config& config, const Limits& limits) {
  return Validator(config, limits).run();
}

}  // namespace broker::config
