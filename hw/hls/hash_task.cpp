// The hash task: the group's hash of the key (hash.h) and the fragment table index of the
// frame's datagram identity.
#include "hash.h"
#include "tasks.h"

namespace broker {
namespace core {

FragIndex frag_index_of(const FragIdentity& id, const GroupId& group) {
#pragma HLS INLINE
  // XOR fold of every identity bit: identifications of one sender count up, so consecutive
  // datagrams land on consecutive entries. The entry keeps the whole identity as its tag.
  const int kBits = 128 + 128 + 8 + 32 + 4;
  ap_uint<kBits> all = 0;
  all.range(127, 0) = id.src_ip;
  all.range(255, 128) = id.dst_ip;
  all.range(263, 256) = id.proto;
  all.range(295, 264) = id.id;
  all.range(299, 296) = group;
  FragIndex x = 0;
fold:
  for (int i = 0; i < (kBits + kFragBits - 1) / kFragBits; ++i) {
#pragma HLS UNROLL
    const int lo = i * kFragBits;
    const int hi = lo + kFragBits - 1 < kBits ? lo + kFragBits - 1 : kBits - 1;
    x ^= FragIndex(all.range(hi, lo));
  }
  return x;
}

void hash_task(hls::stream<KeyItem>& in, hls::stream<HashedItem>& out) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  const KeyItem k = in.read();
  HashedItem h;
  h.hash = k.xor16 ? ap_uint<32>(xor16_key(k.key)) : crc32_key(k.key);
  h.frag_index = frag_index_of(k.meta.frag, k.meta.group);
  h.meta = k.meta;
  out.write(h);
}

}  // namespace core
}  // namespace broker
