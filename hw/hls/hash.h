// The two hash functions over the 96-byte key (DESIGN.md, normative).
#pragma once
#include "core_params.h"
#include "hls_compat.h"

namespace broker {
namespace core {

// Key byte i (DESIGN.md offset i) sits at bits [8i+7:8i], the AXI4-Stream byte-lane order.
// The CRC is reflected, so it consumes key bits 0, 1, ..., 767 in that order.
typedef ap_uint<768> Key;
static_assert(8 * kKeyBytes == 768, "Key is the 96-byte hash key");

// crc32: CRC-32/IEEE 802.3, reflected, polynomial 0x04C11DB7, init and final XOR 0xFFFFFFFF
// (zlib's crc32 of the key bytes).
ap_uint<32> crc32_key(const Key& key);

// xor16: XOR of the 48 big-endian 16-bit words of the key.
ap_uint<16> xor16_key(const Key& key);

#ifndef __SYNTHESIS__
// Native callers holding the key as bytes: the same functions on the same key.
uint32_t crc32_key(const uint8_t key[kKeyBytes]);
uint16_t xor16_key(const uint8_t key[kKeyBytes]);

// CRC-32 (same parameters) over any byte string, bit by bit: for tests and tools.
uint32_t crc32_bytes(const uint8_t* data, uint32_t len);
#endif

}  // namespace core
}  // namespace broker
