// Reading headers out of wide byte vectors (core_types.h byte order), and settling verdicts.
// Every read is at a constant offset into a vector that was shifted once for its layer, so
// in fabric each field is wires, and each layer's shift is one multiplexer as wide as the bytes
// that layer reads (the bits of a shifted window nobody reads are never built).
#pragma once
#include "core_types.h"

namespace broker {
namespace core {

// Byte `off` (constant) of a byte vector.
template <int W>
inline ap_uint<8> byte_at(const ap_uint<W>& v, int off) {
  return v.range(8 * off + 7, 8 * off);
}

// Big-endian numbers at constant byte offsets.
template <int W>
inline ap_uint<16> be16(const ap_uint<W>& v, int off) {
  ap_uint<16> r;
  r.range(15, 8) = v.range(8 * off + 7, 8 * off);
  r.range(7, 0) = v.range(8 * off + 15, 8 * off + 8);
  return r;
}
template <int W>
inline ap_uint<32> be32(const ap_uint<W>& v, int off) {
  ap_uint<32> r;
  r.range(31, 16) = be16(v, off);
  r.range(15, 0) = be16(v, off + 2);
  return r;
}

// Writes a big-endian number at a constant byte offset (the key's fields, a header's).
template <int W>
inline void put_be16(ap_uint<W>& v, int off, const ap_uint<16>& x) {
  v.range(8 * off + 7, 8 * off) = x.range(15, 8);
  v.range(8 * off + 15, 8 * off + 8) = x.range(7, 0);
}
template <int W>
inline void put_be32(ap_uint<W>& v, int off, const ap_uint<32>& x) {
  put_be16(v, off, x.range(31, 16));
  put_be16(v, off + 2, x.range(15, 0));
}

// N bytes at a constant offset, in wire order (MACs, IPv6 addresses).
template <int N, int W>
inline ap_uint<8 * N> bytes_at(const ap_uint<W>& v, int off) {
  return v.range(8 * off + 8 * N - 1, 8 * off);
}

// An IPv4 address's 4 wire bytes in the 16-byte slot layout (bytes 12..15, the rest zero).
inline IpAddr ipv4_slot(const ap_uint<32>& wire_bytes) {
  IpAddr a = 0;
  a.range(127, 96) = wire_bytes;
  return a;
}

// The layer view: the window shifted so that byte `off` is byte 0, N bytes of it kept (zero
// past the window).
template <int N, int OW>
inline ap_uint<8 * N> layer_view(const Window& win, const ap_uint<OW>& off) {
  if (off >= kParseBytes) return 0;
  ap_uint<11> bits = off;
  bits <<= 3;
  const Window shifted = win >> bits;
  return shifted.range(8 * N - 1, 0);
}

// Bytes 0..n-1 set: what of a window is the frame (stale bytes of an earlier frame and bytes
// past TKEEP read as zero).
inline Window byte_mask(const Offset& n) {
  if (n >= kParseBytes) return ~Window(0);
  ap_uint<11> bits = n;
  bits <<= 3;
  return ~(~Window(0) << bits);
}

// The larger of a saved length and a new requirement.
inline Length max_len(const Length& a, const Length& b) { return a > b ? a : b; }

// The verdicts of a frame of frame_len bytes, from what its parse saved (see ParseVerdict).
inline void settle_verdict(const ParseVerdict& v, const Length& frame_len, bool& malformed,
                           bool& depth_exceeded) {
  const bool cut = v.depth_at != 0 && frame_len < v.depth_at;
  malformed = v.malformed || frame_len < v.need_len || cut;
  depth_exceeded = v.depth || (v.depth_at != 0 && !cut);
}

}  // namespace core
}  // namespace broker
