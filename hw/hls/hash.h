// The two hash functions over the 96-byte key (DESIGN.md, normative).
#pragma once
#include "core_params.h"

namespace broker {
namespace core {

// CRC-32/IEEE 802.3: reflected, polynomial 0x04C11DB7, init and final XOR 0xFFFFFFFF
// (zlib's crc32 of the same bytes).
uint32_t crc32_key(const uint8_t key[kKeyBytes]);

// XOR of the 48 big-endian 16-bit words of the key.
uint16_t xor16_key(const uint8_t key[kKeyBytes]);

// CRC-32 over any byte string, for tests and tools that check the table against zlib.
uint32_t crc32_bytes(const uint8_t* data, uint32_t len);

}  // namespace core
}  // namespace broker
