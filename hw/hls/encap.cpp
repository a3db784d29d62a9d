// The encap kernel's function: cut, header, shift (encap.h).
#include "encap.h"

#include "beat_bytes.h"
#include "window.h"

namespace broker {
namespace core {

namespace {

typedef ap_uint<8 * kEncapHdrBytes> Hdr;

// Bytes past TKEEP read as zero, so a wire beat never shows a neighbour's bytes.
ap_uint<512> kept(const ap_uint<512>& d, const ap_uint<64>& keep) {
  ap_uint<512> m;
mask:
  for (int i = 0; i < kBeatBytes; ++i) {
#pragma HLS UNROLL
    m.range(8 * i + 7, 8 * i) = keep[i] ? 0xFF : 0x00;
  }
  return d & m;
}

}  // namespace

ap_uint<7> encap_hdr_len(const ap_uint<2>& kind, bool ipv6) {
  const int ip = ipv6 ? 14 + 40 : 14 + 20;
  switch (kind.to_uint()) {
    case kEncGre: return ip + 4;
    case kEncGreKey: return ip + 8;
    case kEncErspan2: return ip + 8 + 8;
    default: return ip + 8 + 12;
  }
}

Hdr encap_header(const EncapConfig& cfg, const Length& len, bool cut, const ap_uint<32>& seq,
                 const Time& now_us) {
  Hdr h = cfg.hdr;
  const ap_uint<7> hl = encap_hdr_len(cfg.kind, cfg.ipv6);
  if (!cfg.ipv6) {
    const ap_uint<16> total = ap_uint<18>(hl - 14 + len).range(15, 0);
    put_be16(h, 14 + 2, total);
    ap_uint<18> sum = ap_uint<18>(cfg.csum) + total;
    sum = sum.range(15, 0) + sum.range(17, 16);
    sum = sum.range(15, 0) + sum.range(17, 16);
    put_be16(h, 14 + 10, ~ap_uint<16>(sum.range(15, 0)));
  } else {
    put_be16(h, 14 + 4, ap_uint<18>(hl - 54 + len).range(15, 0));
  }
  if (cfg.kind >= kEncErspan2) {
    // GRE with S (sequence number after the protocol type), then the ERSPAN header; its
    // third byte is COS(3) En/BSO(2) T(1) session ID bits 9:8.
    // ERSPAN III's timestamp in granularity 01 (100 ns units, 32 bits: it wraps every 429 s):
    // the microsecond time base times ten, a multiply by a constant (no divider).
    const ap_uint<32> ts = ap_uint<32>((now_us * 10).range(31, 0));
    const ap_uint<8> t_bit = cut ? 0x04 : 0x00;
    if (!cfg.ipv6) {
      put_be32(h, 34 + 4, seq);
      h.range(8 * 44 + 7, 8 * 44) = h.range(8 * 44 + 7, 8 * 44) | t_bit;
      if (cfg.kind == kEncErspan3) put_be32(h, 42 + 4, ts);
    } else {
      put_be32(h, 54 + 4, seq);
      h.range(8 * 64 + 7, 8 * 64) = h.range(8 * 64 + 7, 8 * 64) | t_bit;
      if (cfg.kind == kEncErspan3) put_be32(h, 62 + 4, ts);
    }
  }
  return h;
}

void reset_encap_state(EncapState& st) {
  st.active = st.wrap = st.held_ok = st.skipping = st.tail = false;
  st.held.data = 0;
  st.held.keep = 0;
  st.held.strb = 0;
  st.held.user = 0;
  st.held.last = 0;
  st.prev = 0;
  st.s = 0;
  st.out_left = 0;
  st.in_left = 0;
  st.seq = 0;
}

EncapConfig encap_config_of(const ap_uint<32>& ctrl, const ap_uint<32>& slice, const ap_uint<32>& csum,
                            const ap_uint<32> (&hdr)[kEncapHdrBytes / 4]) {
  EncapConfig c;
  c.enable = ctrl[0];
  c.kind = ctrl.range(2, 1);
  c.ipv6 = ctrl[3];
  c.slice = slice.range(15, 0);
  c.csum = csum.range(15, 0);
words:
  for (int i = 0; i < kEncapHdrBytes / 4; ++i) {
#pragma HLS UNROLL
    c.hdr.range(32 * i + 31, 32 * i) = hdr[i];
  }
  return c;
}

void encap_task(hls::stream<QueuedBeat>& in, hls::stream<WireBeat>& out, const EncapConfig& cfg,
                const Time& now_us, EncapState& st) {
#pragma HLS PIPELINE II = 1
  if (out.full()) return;
  WireBeat o;
  // Every kept byte was read: the last output bytes are the top of prev.
  if (st.active && st.tail) {
    o.keep = keep_of(ap_uint<7>(st.out_left));
    o.data = kept(beat_shift(st.prev, 0, st.s), o.keep);
    o.strb = o.keep;
    o.last = 1;
    out.write(o);
    st.active = false;
    st.tail = false;
    return;
  }
  QueuedBeat b;
  if (st.held_ok) {
    b = st.held;
    st.held_ok = false;
  } else {
    if (in.empty()) return;
    b = in.read();
    if (st.skipping) {
      if (b.last) st.skipping = false;
      return;
    }
    if (!st.active) {
      st.active = true;
      st.wrap = cfg.enable;
      if (st.wrap) {
        const ap_uint<7> hl = encap_hdr_len(cfg.kind, cfg.ipv6);
        // Cut to the slice, and to what the outer length field can say.
        const Length room = cfg.ipv6 ? Length(65535 - (hl - 54)) : Length(65535 - (hl - 14));
        Length len = b.user;
        if (cfg.slice != 0 && len > cfg.slice) len = cfg.slice;
        if (len > room) len = room;
        const bool cut = len < Length(b.user);
        const Hdr h = encap_header(cfg, len, cut, st.seq, now_us);
        if (cfg.kind >= kEncErspan2) st.seq = st.seq + 1;
        st.out_left = ap_uint<18>(hl) + len;
        st.in_left = len;
        const ap_uint<7> r = hl >= kBeatBytes ? ap_uint<7>(hl - kBeatBytes) : hl;
        st.s = kBeatBytes - r;
        ap_uint<10> sbits = st.s;
        sbits <<= 3;
        if (hl >= kBeatBytes) {
          // The header fills the first beat: the frame's first beat is sent from the next call.
          o.data = h.range(511, 0);
          o.keep = ~ap_uint<64>(0);
          o.strb = o.keep;
          o.last = 0;
          out.write(o);
          st.out_left = st.out_left - kBeatBytes;
          st.prev = ap_uint<512>(ap_uint<512>(h >> 512) << sbits);
          st.held = b;
          st.held_ok = true;
          return;
        }
        st.prev = ap_uint<512>(ap_uint<512>(h.range(511, 0)) << sbits);
      }
    }
  }
  if (!st.wrap) {
    o.data = b.data;
    o.keep = b.keep;
    o.strb = b.keep;
    o.last = b.last;
    out.write(o);
    if (b.last) st.active = false;
    return;
  }
  const ap_uint<7> n = beat_bytes(b.keep);
  const Length m = Length(n) < st.in_left ? Length(n) : st.in_left;
  st.in_left = st.in_left - m;
  // A frame shorter than its queued length (never from the shell's queue): end it where it ends.
  if (b.last && st.in_left != 0) {
    st.out_left = st.out_left - st.in_left;
    st.in_left = 0;
  }
  const ap_uint<512> d = beat_shift(st.prev, b.data, st.s);
  st.prev = b.data;
  if (st.out_left <= kBeatBytes) {
    o.keep = keep_of(ap_uint<7>(st.out_left));
    o.last = 1;
    st.active = false;
  } else {
    o.keep = ~ap_uint<64>(0);
    o.last = 0;
    st.out_left = st.out_left - kBeatBytes;
    if (st.in_left == 0) st.tail = true;
  }
  o.data = kept(d, o.keep);
  o.strb = o.keep;
  out.write(o);
  if (st.in_left == 0 && !b.last) st.skipping = true;
}

}  // namespace core
}  // namespace broker
