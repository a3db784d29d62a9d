// The tunnel_parse task: which frames lose their outer headers, and how many bytes those are
// (DESIGN.md "Virtual TAPs, tunnels, filters, flow records"). The outer Ethernet and IP headers
// are read by the parser's own layer functions; GRE, ERSPAN and VXLAN from one view of the
// window shifted to the IP payload.
#include "beat_bytes.h"
#include "csr_decode.h"
#include "parse_common.h"
#include "tasks.h"

namespace broker {
namespace core {
using namespace parse;

namespace {

const int kTunnelWindow = 2 * kBeatBytes;  // the bytes tunnel_of may look at
const ap_uint<8> kProtoGre = 47;
const ap_uint<16> kGreTeb = 0x6558;        // transparent Ethernet bridging
const ap_uint<16> kGreErspan12 = 0x88BE;   // ERSPAN type I (no sequence number) and II
const ap_uint<16> kGreErspan3 = 0x22EB;
const ap_uint<16> kVxlanPort = 4789;
const int kPayloadView = 36;  // GRE with checksum, key and sequence (16) + ERSPAN III (12) + 8

const ap_uint<3> kTermGre = 1, kTermErspan = 2, kTermVxlan = 4;

TunnelInfo no_tunnel(ap_uint<2> verdict) {
  TunnelInfo t;
  t.f.kind = kTunNone;
  t.f.id = 0;
  t.f.src_version = 0;
  t.f.src = 0;
  t.o.verdict = verdict;
  t.o.strip = 0;
  t.o.l3 = false;
  t.l3_type = 0;
  return t;
}

}  // namespace

TunnelInfo tunnel_of(const ap_uint<512>& beat0, const ap_uint<512>& beat1, const Offset& avail, bool more,
                     const PortId& in_port, const TunnelParseState& cfg) {
#pragma HLS INLINE
  const ap_uint<3> p = in_port.range(2, 0);
  const ap_uint<3> term = in_port < kInPorts ? cfg.terminate[p] : ap_uint<3>(0);
  if (term == 0) return no_tunnel(kTunPlain);  // natively: no window built for such ports
  const TunnelInfo passed = no_tunnel(kTunPassed);

  // The window of the first two beats; bytes past TKEEP read as zero, as in align's window.
  Window win = 0;
  win.range(511, 0) = beat0;
  win.range(1023, 512) = beat1;
  win &= byte_mask(avail);
  HeaderItem h;
  h.win = win;
  h.avail = avail;
  h.more = more;
  h.in_port = in_port;
  h.tun = no_tunnel(kTunPlain);
  const IpItem ip = parse_ip(parse_eth(h));
  if (ip.ip.version == 0 || ip.v.malformed) return passed;
  if (cfg.addr_version[p] != 0 && (cfg.addr_version[p] != ip.ip.version || cfg.addr[p] != ip.ip.dst_ip))
    return passed;
  const ap_uint<8> proto = ip.ip.l4_proto;
  const bool gre_on = (term & (kTermGre | kTermErspan)) != 0;
  const bool vxlan_on = (term & kTermVxlan) != 0;
  if (!ip.l4_follows && !ip.ip.fragment) return passed;

  // The one shift of this task: to the IP payload (a later fragment has none to read).
  const Length off = ip.l4_off;
  const ap_uint<8 * kPayloadView> g = layer_view<kPayloadView>(win, off);
  const bool vxlan_port = proto == kProtoUdp && be16(g, 2) == kVxlanPort;
  if (ip.ip.fragment) {
    // Outer fragments are not reassembled: a tunnel's pass as they are, counted apart. A later
    // UDP fragment shows no port, so only GRE is known in every fragment.
    const bool tunnel = (gre_on && proto == kProtoGre) ||
                        (vxlan_on && !ip.ip.frag_later && ip.l4_follows && vxlan_port);
    return no_tunnel(tunnel ? kTunFragment : kTunPassed);
  }

  TunnelInfo t = no_tunnel(kTunTerminated);
  t.f.src_version = ip.ip.version;
  t.f.src = ip.ip.src_ip;
  Length start = 0;      // where the inner frame (or the IP payload of GRE) starts
  bool ok = false;
  if (proto == kProtoGre && gre_on) {
    const ap_uint<16> flags = be16(g, 0);
    const ap_uint<16> ptype = be16(g, 2);
    const bool c = flags[15], r = flags[14], k = flags[13], s = flags[12];
    // Version 0 only (1 is PPTP's enhanced GRE); source routing (RFC 1701) is not terminated.
    const bool plain = flags.range(2, 0) == 0 && !r;
    const ap_uint<5> key_at = c ? 8 : 4;
    ap_uint<5> glen = 4;
    glen += c ? 4 : 0;
    glen += k ? 4 : 0;
    glen += s ? 4 : 0;
    // The ERSPAN header right after GRE: glen is 4, 8, 12 or 16, so a 4-way choice of 12 bytes.
    ap_uint<8 * 12> e = 0;
  erspan_at:
    for (int j = 1; j <= 4; ++j) {
#pragma HLS UNROLL
      if (glen == 4 * j) e = bytes_at<12>(g, 4 * j);
    }
    const ap_uint<32> key = k ? (key_at == 8 ? be32(g, 8) : be32(g, 4)) : ap_uint<32>(0);
    const ap_uint<4> ever = byte_at(e, 0).range(7, 4);
    const ap_uint<10> session = be16(e, 2).range(9, 0);
    if (plain && (term & kTermGre) && ptype == kGreTeb) {
      t.f.kind = kTunGre;
      t.f.id = key;
      start = off + glen;
      ok = true;
    } else if (plain && (term & kTermGre) && (ptype == kEthIpv4 || ptype == kEthIpv6)) {
      t.f.kind = kTunGre;
      t.f.id = key;
      t.o.l3 = true;
      t.l3_type = ptype;
      start = off + glen;
      ok = true;
    } else if (plain && (term & kTermErspan) && ptype == kGreErspan12 && !s) {
      t.f.kind = kTunErspan1;  // type I: no sequence number, no ERSPAN header
      start = off + glen;
      ok = true;
    } else if (plain && (term & kTermErspan) && ptype == kGreErspan12 && ever == 1) {
      t.f.kind = kTunErspan2;
      t.f.id = session;
      start = off + glen + 8;
      ok = true;
    } else if (plain && (term & kTermErspan) && ptype == kGreErspan3 && ever == 2) {
      // Frame type (FT) 0 is an Ethernet frame; the O flag adds an 8-byte subheader.
      const ap_uint<16> w5 = be16(e, 10);
      t.f.kind = kTunErspan3;
      t.f.id = session;
      start = off + glen + 12 + (w5[0] ? 8 : 0);
      ok = w5.range(14, 10) == 0;
    }
  } else if (vxlan_on && vxlan_port) {
    // The I flag says the VNI is valid (RFC 7348).
    t.f.kind = kTunVxlan;
    t.f.id = be32(g, 12).range(31, 8);
    start = off + 16;
    ok = (byte_at(g, 8) & 0x08) != 0;
  }
  // Every header read lies before `start`, inside the window, and the strip is 7 bits. The
  // frame must go on past the inner Ethernet header (or the IP payload's first byte): a frame
  // that ends in the window must hold it; one longer than the window goes past `start`, so
  // something is left (an inner runt, when start is above 114, is parsed as malformed). A
  // declared IP length that ends before it means the outer headers lie.
  const Length inner_min = t.o.l3 ? Length(start + 1) : Length(start + 14);
  if (!ok || start >= kTunnelWindow || (!more && inner_min > Length(avail)) ||
      (ip.ip_len_known && ip.ip_end < inner_min))
    return passed;
  t.o.strip = t.o.l3 ? ap_uint<7>(start - 14) : ap_uint<7>(start);
  return t;
}

void tunnel_parse_task(hls::stream<AxisBeat>& rx, hls::stream<CsrWrite>& cfg,
                       hls::stream<AxisBeat>& beats, hls::stream<TunnelInfo>& info,
                       TunnelParseState& st) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = st.terminate type = complete
#pragma HLS ARRAY_PARTITION variable = st.addr_version type = complete
#pragma HLS ARRAY_PARTITION variable = st.addr type = complete
  if (!cfg.empty()) {
    const CsrWrite w = cfg.read();
    const uint32_t a = csr_address(w), d = csr_data(w);
    int i;
    if ((i = register_instance(a, rm::TUN_CTRL, rm::INGRESS_TUNNEL_STRIDE, rm::kInPorts)) >= 0) {
      st.terminate[i] = d & 7;
      st.addr_version[i] = (d & rm::TUN_CTRL_ADDR_V4_MASK) ? 4 : (d & rm::TUN_CTRL_ADDR_V6_MASK) ? 6 : 0;
    } else {
    addr_words:
      for (int k = 0; k < 4; ++k) {
#pragma HLS UNROLL
        if ((i = register_instance(a, rm::TUN_ADDR0 + 4 * k, rm::INGRESS_TUNNEL_STRIDE, rm::kInPorts)) >= 0)
          st.addr[i].range(32 * k + 31, 32 * k) = d;
      }
    }
  }
  if (rx.empty() || beats.full() || info.full()) return;
  const AxisBeat b = rx.read();
  beats.write(b);
  if (st.beat == 0 && !b.last) {
    st.first = b.data;
    st.beat = 1;
    return;
  }
  if (st.beat <= 1) {
    // The frame's only beat, or its second after the held first.
    const bool one = st.beat == 0;
    const Offset avail = (one ? Offset(0) : Offset(kBeatBytes)) + beat_bytes(b.keep);
    info.write(tunnel_of(one ? b.data : st.first, one ? ap_uint<512>(0) : b.data, avail, !b.last, PortId(b.id), st));
  }
  st.beat = b.last ? 0 : 2;
}

}  // namespace core
}  // namespace broker
