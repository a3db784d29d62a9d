// The filter task: the flow maps' rules against each parsed frame, all at once, the first
// rule that holds deciding (DESIGN.md "Virtual TAPs, tunnels, filters, flow records").
#include "csr_decode.h"
#include "tasks.h"

namespace broker {
namespace core {

namespace {

// The prefix mask of `len` leading bits over 16 wire bytes (byte 0's bit 7 first).
IpAddr prefix_mask(const ap_uint<8>& len) {
  IpAddr m = 0;
bytes:
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    const ap_uint<8> bits = len >= 8 * (i + 1) ? ap_uint<8>(8) : len > 8 * i ? ap_uint<8>(len - 8 * i) : ap_uint<8>(0);
    const ap_uint<8> byte = ap_uint<8>(0xFF00 >> bits);
    m.range(8 * i + 7, 8 * i) = byte;
  }
  return m;
}

// An address against a prefix of version `ver` (1: IPv4, 2: IPv6); IPv4 lengths count from the
// slot's byte 12.
bool prefix_holds(const ap_uint<2>& ver, const ap_uint<8>& len, const IpAddr& value,
                  const ap_uint<4>& ip_version, const IpAddr& addr) {
  if (ver == 0) return true;
  if ((ver == 1 && ip_version != 4) || (ver == 2 && ip_version != 6)) return false;
  const ap_uint<8> bits = ver == 1 ? ap_uint<8>(len + 96) : len;
  return ((addr ^ value) & prefix_mask(bits)) == 0;
}

bool rule_holds(const FilterRule& r, const ParsedItem& p) {
  const Fields& f = p.f;
  const ap_uint<3> port = p.in_port.range(2, 0);
  bool ok = p.in_port < kInPorts && r.in_ports[port];
  if (r.vlan) ok = ok && f.eth.vlan_tags != 0 && f.eth.vlan >= r.vlan_min && f.eth.vlan <= r.vlan_max;
  if (r.ethertype) ok = ok && f.eth.ethertype == r.ethertype_value;
  if (r.ip_proto) ok = ok && f.ip.version != 0 && f.ip.l4_proto == r.ip_proto_value;
  if (r.sport) ok = ok && f.l4.has_l4 && f.l4.src_port >= r.sport_min && f.l4.src_port <= r.sport_max;
  if (r.dport) ok = ok && f.l4.has_l4 && f.l4.dst_port >= r.dport_min && f.l4.dst_port <= r.dport_max;
  if (r.teid) ok = ok && f.l4.has_gtp && ((f.l4.gtp_teid ^ r.teid_value) & r.teid_bits) == 0;
  if (r.tunnel_id) ok = ok && f.tun.kind != kTunNone && f.tun.id == r.tunnel_id_value;
  if (r.frag) ok = ok && f.ip.fragment == r.frag_value;
  if (r.malf) ok = ok && p.v.malformed == r.malf_value;
  ok = ok && ((f.eth.src_mac ^ r.smac) & r.smask) == 0 && ((f.eth.dst_mac ^ r.dmac) & r.dmask) == 0;
  ok = ok && prefix_holds(r.src_ver, r.src_len, r.src_addr, f.ip.version, f.ip.src_ip);
  ok = ok && prefix_holds(r.dst_ver, r.dst_len, r.dst_addr, f.ip.version, f.ip.dst_ip);
  return ok;
}

void apply_filter_csr(const CsrWrite& w, FilterState& st) {
  const uint32_t a = csr_address(w), d = csr_data(w);
  if (a < rm::FLT_CTRL || a >= rm::FLT_CTRL + rm::kFilterRules * rm::FILTER_STRIDE) return;
  const uint32_t i = (a - rm::FLT_CTRL) / rm::FILTER_STRIDE;
  const uint32_t reg = a - rm::FLT_CTRL_at(i);
  FilterRule& r = st.rule[i];
  auto f = [&](uint32_t lsb, uint32_t mask) { return reg_field(d, lsb, mask); };
  if (reg == rm::FLT_CTRL - rm::FLT_CTRL) {
    st.valid[i] = (d & rm::FLT_CTRL_VALID_MASK) != 0;
    r.drop = d & rm::FLT_CTRL_DROP_MASK;
    r.in_ports = f(rm::FLT_CTRL_IN_PORTS_LSB, rm::FLT_CTRL_IN_PORTS_MASK);
    r.vlan = d & rm::FLT_CTRL_VLAN_MASK;
    r.ethertype = d & rm::FLT_CTRL_ETHERTYPE_MASK;
    r.ip_proto = d & rm::FLT_CTRL_IP_PROTO_MASK;
    r.sport = d & rm::FLT_CTRL_SPORT_MASK;
    r.dport = d & rm::FLT_CTRL_DPORT_MASK;
    r.teid = d & rm::FLT_CTRL_TEID_MASK;
    r.tunnel_id = d & rm::FLT_CTRL_TUNNEL_ID_MASK;
    r.frag = d & rm::FLT_CTRL_FRAG_MASK;
    r.frag_value = d & rm::FLT_CTRL_FRAG_VALUE_MASK;
    r.malf = d & rm::FLT_CTRL_MALF_MASK;
    r.malf_value = d & rm::FLT_CTRL_MALF_VALUE_MASK;
    r.src_ver = f(rm::FLT_CTRL_SRC_VER_LSB, rm::FLT_CTRL_SRC_VER_MASK);
    r.dst_ver = f(rm::FLT_CTRL_DST_VER_LSB, rm::FLT_CTRL_DST_VER_MASK);
  } else if (reg == rm::FLT_GROUPS - rm::FLT_CTRL) {
    r.groups = f(rm::FLT_GROUPS_MASK_LSB, rm::FLT_GROUPS_MASK_MASK);
  } else if (reg == rm::FLT_VLAN - rm::FLT_CTRL) {
    r.vlan_min = f(rm::FLT_VLAN_MIN_LSB, rm::FLT_VLAN_MIN_MASK);
    r.vlan_max = f(rm::FLT_VLAN_MAX_LSB, rm::FLT_VLAN_MAX_MASK);
  } else if (reg == rm::FLT_TYPE - rm::FLT_CTRL) {
    r.ethertype_value = f(rm::FLT_TYPE_ETHERTYPE_LSB, rm::FLT_TYPE_ETHERTYPE_MASK);
    r.ip_proto_value = f(rm::FLT_TYPE_IP_PROTO_LSB, rm::FLT_TYPE_IP_PROTO_MASK);
  } else if (reg == rm::FLT_SPORT - rm::FLT_CTRL) {
    r.sport_min = f(rm::FLT_SPORT_MIN_LSB, rm::FLT_SPORT_MIN_MASK);
    r.sport_max = f(rm::FLT_SPORT_MAX_LSB, rm::FLT_SPORT_MAX_MASK);
  } else if (reg == rm::FLT_DPORT - rm::FLT_CTRL) {
    r.dport_min = f(rm::FLT_DPORT_MIN_LSB, rm::FLT_DPORT_MIN_MASK);
    r.dport_max = f(rm::FLT_DPORT_MAX_LSB, rm::FLT_DPORT_MAX_MASK);
  } else if (reg == rm::FLT_TEID - rm::FLT_CTRL) {
    r.teid_value = d;
  } else if (reg == rm::FLT_TEID_BITS - rm::FLT_CTRL) {
    r.teid_bits = d;
  } else if (reg == rm::FLT_TUNNEL_ID - rm::FLT_CTRL) {
    r.tunnel_id_value = d;
  } else if (reg == rm::FLT_PREFIX_LEN - rm::FLT_CTRL) {
    r.src_len = f(rm::FLT_PREFIX_LEN_SRC_LSB, rm::FLT_PREFIX_LEN_SRC_MASK);
    r.dst_len = f(rm::FLT_PREFIX_LEN_DST_LSB, rm::FLT_PREFIX_LEN_DST_MASK);
  } else if (reg == rm::FLT_SMAC_LO - rm::FLT_CTRL) {
    r.smac.range(31, 0) = d;
  } else if (reg == rm::FLT_SMAC_HI - rm::FLT_CTRL) {
    r.smac.range(47, 32) = d & 0xFFFF;
  } else if (reg == rm::FLT_SMASK_LO - rm::FLT_CTRL) {
    r.smask.range(31, 0) = d;
  } else if (reg == rm::FLT_SMASK_HI - rm::FLT_CTRL) {
    r.smask.range(47, 32) = d & 0xFFFF;
  } else if (reg == rm::FLT_DMAC_LO - rm::FLT_CTRL) {
    r.dmac.range(31, 0) = d;
  } else if (reg == rm::FLT_DMAC_HI - rm::FLT_CTRL) {
    r.dmac.range(47, 32) = d & 0xFFFF;
  } else if (reg == rm::FLT_DMASK_LO - rm::FLT_CTRL) {
    r.dmask.range(31, 0) = d;
  } else if (reg == rm::FLT_DMASK_HI - rm::FLT_CTRL) {
    r.dmask.range(47, 32) = d & 0xFFFF;
  } else {
  addr_words:
    for (int k = 0; k < 4; ++k) {
#pragma HLS UNROLL
      if (reg == rm::FLT_SRC_ADDR0 + 4 * k - rm::FLT_CTRL) r.src_addr.range(32 * k + 31, 32 * k) = d;
      if (reg == rm::FLT_DST_ADDR0 + 4 * k - rm::FLT_CTRL) r.dst_addr.range(32 * k + 31, 32 * k) = d;
    }
  }
}

}  // namespace

FilterVerdict filter_of(const ParsedItem& p, const FilterState& st) {
#pragma HLS INLINE
  // Every rule at once, then the first that holds (a priority encoder over kFilterRules bits).
  FilterVerdict v;
  v.hit = false;
  v.rule = 0;
  v.drop = false;
  v.groups = 0;
  if (st.valid == 0) return v;  // no filters: in fabric a mux, natively no compares at all
  ap_uint<kFilterRules> hits = 0;
rules:
  for (int i = 0; i < kFilterRules; ++i) {
#pragma HLS UNROLL
    hits[i] = st.valid[i] && rule_holds(st.rule[i], p);
  }
  v.hit = hits != 0;
  v.rule = 0;
first:
  for (int i = kFilterRules - 1; i >= 0; --i) {
#pragma HLS UNROLL
    if (hits[i]) v.rule = i;
  }
  const FilterRule& r = st.rule[v.rule];
  v.drop = v.hit && r.drop;
  v.groups = v.hit && !r.drop ? r.groups : GroupMask(0);
  return v;
}

void filter_task(hls::stream<ParsedItem>& in, hls::stream<CsrWrite>& cfg,
                 hls::stream<FilteredItem>& out, FilterState& st) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = st.rule type = complete
  if (!cfg.empty()) apply_filter_csr(cfg.read(), st);
  if (out.full()) return;
  FilteredItem o;
  GroupMask left;
  if (st.copies_left != 0) {
    // The next copy of the frame held here: no input is read until its last has left.
    o = st.held;
    o.copy.first = false;
    left = st.copies_left;
  } else {
    if (in.empty()) return;
    o.p = in.read();
    o.fv = filter_of(o.p, st);
    o.copy.first = true;
    left = o.fv.groups;
  }
  // One copy per group of a delivering rule, lowest group first (a 16-to-4 priority encoder);
  // anything else is one item.
  GroupId g = 0;
lowest:
  for (int i = kGroups - 1; i >= 0; --i) {
#pragma HLS UNROLL
    if (left[i]) g = i;
  }
  o.group = g;
  const GroupMask rest = left & ~(GroupMask(1) << g);
  o.copy.last = rest == 0;
  st.copies_left = rest;
  if (rest != 0) st.held = o;  // only a frame with copies still to make is held
  out.write(o);
}

}  // namespace core
}  // namespace broker
