// The fabric hash functions (hw/hls/hash.cpp): crc32 as the generated XOR matrix and xor16 on
// the 768-bit Key, checked against zlib and references written here; and the matrix generator
// (hw/hls/gen_crc32_matrix.py) for another polynomial and for staleness of the build's header.
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "core_params.h"
#include "hash.h"

namespace {

using namespace broker::core;

uint32_t zlib_crc(const uint8_t* p, size_t n) {
  return uint32_t(crc32(crc32(0L, Z_NULL, 0), n ? p : Z_NULL, uInt(n)));
}

std::string hex32(uint32_t v) {
  char b[11];
  std::snprintf(b, sizeof b, "0x%08X", v);
  return b;
}

// Key from bytes one byte lane at a time (hash.cpp's own conversion packs 64-bit words).
Key lanes(const uint8_t* b) {
  Key k = 0;
  for (int i = 0; i < kKeyBytes; ++i) k.range(8 * i + 7, 8 * i) = b[i];
  return k;
}

// Every key the crc32 tests use: zero, all-ones, each of the 768 single-bit keys, then
// 10,000 random ones (fixed seed).
std::vector<std::vector<uint8_t>> crc_keys() {
  std::vector<std::vector<uint8_t>> keys;
  keys.emplace_back(kKeyBytes, 0x00);
  keys.emplace_back(kKeyBytes, 0xFF);
  for (int bit = 0; bit < 8 * kKeyBytes; ++bit) {
    std::vector<uint8_t> k(kKeyBytes, 0);
    k[bit / 8] = uint8_t(1u << (bit % 8));
    keys.push_back(k);
  }
  std::mt19937 rng(20240611);
  for (int n = 0; n < 10000; ++n) {
    std::vector<uint8_t> k(kKeyBytes);
    for (auto& b : k) b = uint8_t(rng());
    keys.push_back(k);
  }
  return keys;
}

std::string describe(size_t n) {
  if (n == 0) return "all-zero key";
  if (n == 1) return "all-ones key";
  if (n < 2 + 8 * kKeyBytes) return "single-bit key, bit " + std::to_string(n - 2);
  return "random key #" + std::to_string(n - 2 - 8 * kKeyBytes);
}

TEST(Crc32Matrix, MatchesZlibOnEveryTestKey) {
  const auto keys = crc_keys();
  for (size_t n = 0; n < keys.size(); ++n) {
    const uint8_t* k = keys[n].data();
    const std::string want = hex32(zlib_crc(k, kKeyBytes));
    ASSERT_EQ(hex32(crc32_key(k)), want) << describe(n);
    ASSERT_EQ(hex32(crc32_key(lanes(k)).to_uint()), want) << describe(n) << " (Key overload)";
  }
}

TEST(Crc32Matrix, CrcBytesMatchesZlibAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(300 + 8);
  for (auto& b : buf) b = uint8_t(rng());
  for (uint32_t off = 0; off < 8; ++off)
    for (uint32_t len = 0; len <= 300; ++len)
      ASSERT_EQ(crc32_bytes(buf.data() + off, len), zlib_crc(buf.data() + off, len))
          << "length " << len << ", offset " << off;
  EXPECT_EQ(crc32_bytes(nullptr, 0), 0u);
}

// Independent xor16: the key's 48 big-endian 16-bit words.
uint16_t ref_xor16(const uint8_t* k) {
  uint16_t x = 0;
  for (int w = 0; w < kKeyBytes / 2; ++w) x = uint16_t(x ^ ((k[2 * w] << 8) | k[2 * w + 1]));
  return x;
}

TEST(Crc32Matrix, Xor16MatchesBigEndianWordXor) {
  std::mt19937 rng(99);
  std::vector<uint8_t> k(kKeyBytes);
  for (int n = 0; n < 10000; ++n) {
    for (auto& b : k) b = uint8_t(rng());
    const uint16_t want = ref_xor16(k.data());
    ASSERT_EQ(xor16_key(k.data()), want) << "random key #" << n;
    ASSERT_EQ(uint16_t(xor16_key(lanes(k.data())).to_uint()), want) << "random key #" << n << " (Key overload)";
  }
  std::fill(k.begin(), k.end(), 0);
  k[0] = 0x12;  // byte 0 is the high byte of word 0
  EXPECT_EQ(xor16_key(k.data()), 0x1200);
}

// ---- the generator -------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string temp_dir() {
  std::string tmpl = ::testing::TempDir() + "crc32_matrix_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const char* dir = mkdtemp(buf.data());
  return dir ? std::string(dir) : std::string();
}

// Runs the generator; returns its exit status (-1 if it did not exit normally).
int run_generator(const std::string& args) {
  const std::string cmd =
      std::string("'") + BROKER_PYTHON3 + "' '" + BROKER_CRC32_GEN + "' " + args + " 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

uint32_t reflect32(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

uint32_t bitwise_crc(uint32_t poly, const std::vector<uint8_t>& data) {
  const uint32_t pr = reflect32(poly);
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1u) ? (crc >> 1) ^ pr : crc >> 1;
  }
  return ~crc;
}

// A generated header's constant and masks, read back as numbers.
struct Matrix {
  uint32_t constant = 0;
  std::vector<std::vector<uint64_t>> masks;  // [32][words]
};

Matrix parse_header(const std::string& text, int words) {
  Matrix m;
  std::smatch c;
  if (std::regex_search(text, c, std::regex("kCrc32Const = 0x([0-9A-F]{8})u")))
    m.constant = uint32_t(std::stoul(c[1].str(), nullptr, 16));
  const auto body = text.substr(text.find("kCrc32Mask["));
  std::vector<uint64_t> all;
  const std::regex word("0x([0-9A-F]{16})ull");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), word); it != std::sregex_iterator(); ++it)
    all.push_back(std::stoull((*it)[1].str(), nullptr, 16));
  if (all.size() == size_t(32 * words))
    for (int j = 0; j < 32; ++j) m.masks.emplace_back(all.begin() + j * words, all.begin() + (j + 1) * words);
  return m;
}

uint32_t matrix_crc(const Matrix& m, const std::vector<uint8_t>& key) {
  uint32_t out = 0;
  for (int j = 0; j < 32; ++j) {
    int parity = 0;
    for (size_t i = 0; i < key.size(); ++i)
      for (int b = 0; b < 8; ++b) {
        const size_t bit = 8 * i + b;
        if (((key[i] >> b) & 1) && ((m.masks[j][bit / 64] >> (bit % 64)) & 1)) parity ^= 1;
      }
    out |= uint32_t(parity) << j;
  }
  return out ^ m.constant;
}

TEST(Crc32MatrixGenerator, OtherPolynomialAndLength) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string out = dir + "/crc32c_13.h";
  ASSERT_EQ(run_generator("--poly 0x1EDC6F41 --key-bytes 13 --out '" + out + "'"), 0);
  const std::string text = read_file(out);
  EXPECT_NE(text.find("do not edit"), std::string::npos);
  EXPECT_NE(text.find("gen_crc32_matrix.py --poly 0x1EDC6F41 --key-bytes 13"), std::string::npos);
  EXPECT_NE(text.find("kCrc32KeyBytes = 13;"), std::string::npos);

  // The header it wrote computes CRC-32C of 13-byte keys.
  const Matrix m = parse_header(text, 2);
  ASSERT_EQ(m.masks.size(), 32u) << text;
  std::vector<uint8_t> key(13, 0);
  EXPECT_EQ(matrix_crc(m, key), bitwise_crc(0x1EDC6F41, key)) << "zero key";
  std::mt19937 rng(3);
  for (int n = 0; n < 200; ++n) {
    for (auto& b : key) b = uint8_t(rng());
    ASSERT_EQ(matrix_crc(m, key), bitwise_crc(0x1EDC6F41, key)) << "random key #" << n;
  }
  EXPECT_NE(run_generator("--poly 0x04C11DB6 --out '" + dir + "/even.h'"), 0) << "an even polynomial is refused";
  std::remove(out.c_str());
  std::remove(dir.c_str());
}

TEST(Crc32MatrixGenerator, BuildHeaderIsCurrent) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string out = dir + "/crc32_matrix.h";
  ASSERT_EQ(run_generator("--out '" + out + "'"), 0);
  const std::string fresh = read_file(out);
  ASSERT_FALSE(fresh.empty());
  const std::string built = read_file(BROKER_CRC32_MATRIX_H);
  if (built != fresh) {
    std::istringstream a(built), b(fresh);
    std::string la, lb;
    int line = 1;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++line;
    ADD_FAILURE() << BROKER_CRC32_MATRIX_H << " differs from what gen_crc32_matrix.py writes now, "
                  << "first at line " << line << ":\n  built: " << la << "\n  fresh: " << lb;
  }
  std::remove(out.c_str());
  std::remove(dir.c_str());
}

}  // namespace
