// Tunnel origination (DESIGN.md "Virtual TAPs, tunnels, filters, flow records"): the shell's
// per-tool-port encap, a small free-running HLS kernel of its own (encap_top.cpp) between a
// port's egress queues and its wire. It is not a task of the core's graph: the outer IPv4/IPv6
// length fields need each frame's length before its first byte leaves, and only the store-and-
// forward queue in front of it knows that (it delivers the length with every beat, in TUSER).
//
//   egress queue (lane 0) ─┐
//                          ├─ join ─► encap ─► tx port ─► tx_meter (counts the wrapped frame)
//   egress queue (lane 1) ─┘   (TUSER = frame length)
//
// Per frame: cut to the slice length (when set), then send the port's header template with its
// per-frame fields filled in (IPv4 total length and header checksum or IPv6 payload length,
// the GRE sequence number, ERSPAN's truncation bit and type III's timestamp), then the frame,
// shifted by the header length (one 1024-to-512-bit byte shift per beat, as decap). II=1: one
// beat in and at most one beat out per call; a wrapped frame has one or two more beats out
// than in (its header), sent in calls that read nothing, so the port's queue absorbs the
// difference. Latency 2 (header patch and checksum fold, then the shift); the co-simulation
// models 1. Nothing here is measured on a card.
#pragma once
#include "core_types.h"

namespace broker {
namespace core {

typedef ap_axiu<512, 17, 0, 0> QueuedBeat;  // a beat from the port's queue; TUSER = its frame's length
typedef ap_axiu<512, 0, 0, 0> WireBeat;     // a beat to the port's wire

const int kEncapHdrBytes = 76;              // ENC_HDR0..18: the longest header, IPv6 + GRE + ERSPAN III, is 74

// ENC_CTRL.KIND
enum EncapKind { kEncGre = 0, kEncGreKey = 1, kEncErspan2 = 2, kEncErspan3 = 3 };

// The port's committed ENC_* registers (the shell's active copy; constant while frames flow,
// so the kernel reads them as plain wires).
struct EncapConfig {
  bool enable;
  ap_uint<2> kind;        // EncapKind
  bool ipv6;
  ap_uint<16> slice;      // 0: never cut
  ap_uint<16> csum;       // IPv4 header sum without total length and checksum
  ap_uint<8 * kEncapHdrBytes> hdr;  // wire bytes, byte i at bits [8i+7:8i]
};

// The header's length for a kind and outer IP version: Ethernet 14, IPv4 20 / IPv6 40, GRE 4
// (+4 key, +4 sequence), ERSPAN II 8 / III 12.
ap_uint<7> encap_hdr_len(const ap_uint<2>& kind, bool ipv6);

// The header for one frame of `len` bytes after the cut (`cut`: it was longer), sequence
// number `seq`, at time now_us: the template with the per-frame fields filled in. Pure.
ap_uint<8 * kEncapHdrBytes> encap_header(const EncapConfig& cfg, const Length& len, bool cut,
                                         const ap_uint<32>& seq, const Time& now_us);

struct EncapState {
  bool active;            // a frame's output has begun and not ended
  bool wrap;              // that frame is wrapped (ENC_CTRL.ENABLE when it began)
  bool held_ok;           // a header of 64 bytes or more: the frame's first beat waits here
  QueuedBeat held;
  bool skipping;          // reading and dropping the beats past the cut
  bool tail;              // every kept byte was read: the frame's last output bytes are in prev
  ap_uint<512> prev;      // the last beat read (its top 64 - s bytes are not sent yet)
  ap_uint<7> s;           // output beat = bytes s..63 of prev, then bytes 0..s-1 of the next
  ap_uint<18> out_left;   // output bytes of the frame not sent yet
  Length in_left;         // frame bytes still to read before the cut
  ap_uint<32> seq;        // ERSPAN: the GRE sequence number of the next frame
};

void encap_task(hls::stream<QueuedBeat>& in, hls::stream<WireBeat>& out, const EncapConfig& cfg,
                const Time& now_us, EncapState& st);
// The state after reset, as the fabric's reset leaves it (every register zero).
void reset_encap_state(EncapState& st);
// No frame is inside the kernel (OUT_STATUS.EMPTY counts it with the queues).
inline bool encap_idle(const EncapState& st) { return !st.active && !st.held_ok && !st.skipping; }

// ENC_* register words to the configuration, as the shell's active copy holds them.
EncapConfig encap_config_of(const ap_uint<32>& ctrl, const ap_uint<32>& slice, const ap_uint<32>& csum,
                            const ap_uint<32> (&hdr)[kEncapHdrBytes / 4]);

}  // namespace core
}  // namespace broker
