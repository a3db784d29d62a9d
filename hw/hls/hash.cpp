#include "hash.h"

namespace broker {
namespace core {
namespace {

// Slicing-by-8 tables, built at compile time: in fabric they become eight 256x32 ROMs read in
// parallel per 8 key bytes; natively they are the fastest portable CRC-32.
struct Crc32Tables {
  uint32_t t[8][256];
  constexpr Crc32Tables() : t{} {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
      t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; ++n)
      for (int s = 1; s < 8; ++s) t[s][n] = (t[s - 1][n] >> 8) ^ t[0][t[s - 1][n] & 0xFF];
  }
};
constexpr Crc32Tables kCrc;

inline uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

inline uint32_t crc32_step8(uint32_t crc, const uint8_t* p) {
  const uint32_t lo = crc ^ le32(p);
  const uint32_t hi = le32(p + 4);
  return kCrc.t[7][lo & 0xFF] ^ kCrc.t[6][(lo >> 8) & 0xFF] ^ kCrc.t[5][(lo >> 16) & 0xFF] ^
         kCrc.t[4][lo >> 24] ^ kCrc.t[3][hi & 0xFF] ^ kCrc.t[2][(hi >> 8) & 0xFF] ^
         kCrc.t[1][(hi >> 16) & 0xFF] ^ kCrc.t[0][hi >> 24];
}

}  // namespace

uint32_t crc32_key(const uint8_t key[kKeyBytes]) {
  uint32_t crc = 0xFFFFFFFFu;
crc_words:
  for (int i = 0; i < kKeyBytes / 8; ++i) {
#pragma HLS UNROLL
    crc = crc32_step8(crc, key + 8 * i);
  }
  return crc ^ 0xFFFFFFFFu;
}

uint16_t xor16_key(const uint8_t key[kKeyBytes]) {
  uint16_t x = 0;
xor_words:
  for (int i = 0; i < kKeyBytes / 2; ++i) {
#pragma HLS UNROLL
    x ^= uint16_t((uint16_t(key[2 * i]) << 8) | key[2 * i + 1]);
  }
  return x;
}

uint32_t crc32_bytes(const uint8_t* data, uint32_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) crc = crc32_step8(crc, data + i);
  for (; i < len; ++i) crc = kCrc.t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace core
}  // namespace broker
