// The generated register map header: the layout invariants the driver, the soft register
// file and the RTL decode all rely on, checked on the real generated output rather than on
// the generator's own idea of it.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker_regmap.h"
#include "core_params.h"

namespace rm = broker::regmap;
namespace core = broker::core;

namespace {

// Compile-time use is part of the contract (HLS code and switch cases need constants).
static_assert(rm::GRP_CTRL_at(1) == rm::GRP_CTRL + rm::GROUP_STRIDE);
static_assert(rm::GRP_CTRL_MODE_DYNAMIC == 1u);
static_assert(rm::ID == 0u);

const rm::RegInfo* find(const std::string& name) {
  for (const auto& r : rm::kRegisters)
    if (name == r.name) return &r;
  return nullptr;
}

uint32_t field_of(uint32_t value, uint32_t lsb, uint32_t width) {
  return (value >> lsb) & ((width == 32) ? 0xFFFFFFFFu : ((1u << width) - 1u));
}

}  // namespace

TEST(regmap, IdentificationComesFirst) {
  ASSERT_GT(rm::kRegisterCount, 2u);
  EXPECT_STREQ(rm::kRegisters[0].name, "ID");
  EXPECT_EQ(rm::kRegisters[0].offset, 0u);
  EXPECT_EQ(rm::ID, 0u);
  EXPECT_EQ(rm::ID_RESET, rm::kId);
  EXPECT_EQ(rm::kId, 0x4E504B42u);  // "NPKB": changing it orphans every deployed driver
  EXPECT_STREQ(rm::kRegisters[1].name, "VERSION");
  EXPECT_EQ(rm::VERSION, 4u);
  EXPECT_EQ(field_of(rm::VERSION_RESET, rm::VERSION_MAJOR_LSB, rm::VERSION_MAJOR_WIDTH), rm::kVersionMajor);
  EXPECT_EQ(field_of(rm::VERSION_RESET, rm::VERSION_MINOR_LSB, rm::VERSION_MINOR_WIDTH), rm::kVersionMinor);
  EXPECT_EQ(rm::kRegisters[0].access, rm::Access::kRO);
  EXPECT_EQ(rm::kRegisters[1].access, rm::Access::kRO);
}

TEST(regmap, CapsMatchCoreParams) {
  EXPECT_EQ(field_of(rm::CAPS_RESET, rm::CAPS_IN_PORTS_LSB, rm::CAPS_IN_PORTS_WIDTH), uint32_t(core::kInPorts));
  EXPECT_EQ(field_of(rm::CAPS_RESET, rm::CAPS_OUT_PORTS_LSB, rm::CAPS_OUT_PORTS_WIDTH), uint32_t(core::kOutPorts));
  EXPECT_EQ(field_of(rm::CAPS_RESET, rm::CAPS_GROUPS_LSB, rm::CAPS_GROUPS_WIDTH), uint32_t(core::kGroups));
  EXPECT_EQ(field_of(rm::CAPS_RESET, rm::CAPS_MEMBERS_LSB, rm::CAPS_MEMBERS_WIDTH), uint32_t(core::kMembers));
  EXPECT_EQ(field_of(rm::CAPS2_RESET, rm::CAPS2_BUCKET_BITS_LSB, rm::CAPS2_BUCKET_BITS_WIDTH),
            uint32_t(core::kBucketBits));
  EXPECT_EQ(field_of(rm::CAPS2_RESET, rm::CAPS2_KEY_BYTES_LSB, rm::CAPS2_KEY_BYTES_WIDTH), uint32_t(core::kKeyBytes));
}

TEST(regmap, BlockCountsFollowParams) {
  EXPECT_EQ(rm::INGRESS_COUNT, rm::kInPorts);
  EXPECT_EQ(rm::GROUP_COUNT, rm::kGroups);
  EXPECT_EQ(rm::MEMBER_COUNT, rm::kGroups * rm::kMembers);
  EXPECT_EQ(rm::EGRESS_COUNT, rm::kOutPorts);
  EXPECT_EQ(rm::RX_COUNTERS_COUNT, rm::kInPorts);
  EXPECT_EQ(rm::TX_COUNTERS_COUNT, rm::kOutPorts);
  EXPECT_EQ(rm::INDIRECTION_COUNT, rm::kGroups * rm::kBuckets / 8);
  EXPECT_EQ(rm::kBuckets, 1u << rm::kBucketBits);
  // Each member slot is 4 bits in an IND nibble: a slot index must fit.
  EXPECT_LE(rm::kMembers, 16u);
}

TEST(regmap, InstanceAccessors) {
  EXPECT_EQ(rm::GRP_CTRL_at(0), rm::GRP_CTRL);
  EXPECT_EQ(rm::GRP_CTRL_at(3), rm::GROUP_BASE + 3 * rm::GROUP_STRIDE);
  EXPECT_EQ(rm::GRP_LIVE_at(2) - rm::GRP_CTRL_at(2), rm::GRP_LIVE - rm::GRP_CTRL);
  EXPECT_EQ(rm::MEMBER_at(5 * rm::kMembers + 7), rm::MEMBER_BASE + 4 * (5 * rm::kMembers + 7));
  EXPECT_LT(rm::IND_at(rm::INDIRECTION_COUNT - 1), rm::kAperture);
  EXPECT_EQ(rm::RX_BYTES_HI_at(1), rm::RX_BYTES_LO_at(1) + 4);
}

TEST(regmap, AlignedAndInsideAperture) {
  for (const auto& r : rm::kRegisters) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(r.offset % 4, 0u);
    EXPECT_EQ(r.stride % 4, 0u);
    EXPECT_GE(r.count, 1u);
    EXPECT_EQ(r.stride == 0, r.count == 1) << "only repeated blocks have a stride";
    const uint64_t last = uint64_t(r.offset) + uint64_t(r.stride) * (r.count - 1);
    EXPECT_LE(last + 4, uint64_t(rm::kAperture));
  }
}

TEST(regmap, NoTwoRegistersOverlapOverAllInstances) {
  std::map<uint32_t, std::string> owner;
  for (const auto& r : rm::kRegisters) {
    for (uint32_t i = 0; i < r.count; ++i) {
      const uint32_t a = r.offset + i * r.stride;
      const std::string tag = std::string(r.name) + "[" + std::to_string(i) + "]";
      const auto [it, fresh] = owner.emplace(a, tag);
      EXPECT_TRUE(fresh) << tag << " at 0x" << std::hex << a << " overlaps " << it->second;
    }
  }
}

TEST(regmap, BlocksAreDisjointAndHoldTheirRegisters) {
  // A repeated block owns stride*count bytes (the RTL decodes it by range); a single block
  // owns up to its last register.
  std::vector<uint64_t> end(rm::kBlockCount);
  for (size_t b = 0; b < rm::kBlockCount; ++b)
    end[b] = uint64_t(rm::kBlocks[b].base) + uint64_t(rm::kBlocks[b].stride) * rm::kBlocks[b].count;
  for (const auto& r : rm::kRegisters) {
    SCOPED_TRACE(r.name);
    ASSERT_LT(r.block, rm::kBlockCount);
    const auto& b = rm::kBlocks[r.block];
    EXPECT_EQ(r.stride, b.stride);
    EXPECT_EQ(r.count, b.count);
    EXPECT_GE(r.offset, b.base);
    if (b.stride) {
      EXPECT_LE(r.offset + 4, b.base + b.stride) << "offset beyond the block stride";
    } else {
      end[r.block] = std::max<uint64_t>(end[r.block], r.offset + 4);
    }
  }
  for (size_t i = 0; i < rm::kBlockCount; ++i) {
    EXPECT_LE(end[i], rm::kAperture) << rm::kBlocks[i].name;
    for (size_t j = i + 1; j < rm::kBlockCount; ++j) {
      const auto &a = rm::kBlocks[i], &b = rm::kBlocks[j];
      EXPECT_TRUE(end[i] <= b.base || end[j] <= a.base) << a.name << " overlaps " << b.name;
    }
  }
}

TEST(regmap, Counter64PairsAreAdjacent) {
  int pairs = 0;
  for (size_t i = 0; i < rm::kRegisterCount; ++i) {
    const auto& lo = rm::kRegisters[i];
    if (!lo.is_counter64_lo) continue;
    SCOPED_TRACE(lo.name);
    ++pairs;
    ASSERT_LT(i + 1, rm::kRegisterCount);
    const auto& hi = rm::kRegisters[i + 1];
    EXPECT_TRUE(hi.is_counter64_hi);
    EXPECT_FALSE(hi.is_counter64_lo);
    EXPECT_EQ(hi.offset, lo.offset + 4);
    EXPECT_EQ(hi.stride, lo.stride);
    EXPECT_EQ(hi.count, lo.count);
    EXPECT_EQ(std::string(lo.name), std::string(lo.counter64) + "_LO");
    EXPECT_EQ(std::string(hi.name), std::string(lo.counter64) + "_HI");
    EXPECT_EQ(lo.access, rm::Access::kRO);
    EXPECT_EQ(hi.access, rm::Access::kRO);
  }
  for (size_t i = 0; i < rm::kRegisterCount; ++i) {
    const auto& r = rm::kRegisters[i];
    if (r.is_counter64_hi) {
      ASSERT_GT(i, 0u) << r.name;
      EXPECT_TRUE(rm::kRegisters[i - 1].is_counter64_lo) << r.name << " has no LO word before it";
    }
  }
  EXPECT_GE(pairs, 11);  // 2 rx + 2 tx + 2 group + 5 global counters
  ASSERT_NE(find("UNMAPPED_DROPS_LO"), nullptr);
  EXPECT_EQ(rm::UNMAPPED_DROPS_HI, rm::UNMAPPED_DROPS_LO + 4);
}

TEST(regmap, FieldMasksConsistent) {
  std::map<size_t, uint32_t> covered;
  for (size_t i = 0; i < rm::kFieldCount; ++i) {
    const auto& f = rm::kFields[i];
    ASSERT_LT(f.reg, rm::kRegisterCount);
    const auto& r = rm::kRegisters[f.reg];
    SCOPED_TRACE(std::string(r.name) + "." + f.name);
    ASSERT_GE(f.width, 1u);
    ASSERT_LE(f.lsb + f.width, 32u);
    const uint32_t expect = uint32_t(((uint64_t(1) << f.width) - 1) << f.lsb);
    EXPECT_EQ(f.mask, expect);
    EXPECT_EQ(covered[f.reg] & f.mask, 0u) << "overlaps another field";
    covered[f.reg] |= f.mask;
  }
  for (size_t i = 0; i < rm::kRegisterCount; ++i) {
    const auto& r = rm::kRegisters[i];
    SCOPED_TRACE(r.name);
    const auto it = covered.find(i);
    EXPECT_EQ(r.mask, it == covered.end() ? 0xFFFFFFFFu : it->second);
    EXPECT_EQ(r.reset & ~r.mask, 0u) << "reset sets bits outside the fields";
    if (r.access == rm::Access::kWO1) {
      EXPECT_EQ(r.reset, 0u) << "wo1 reads 0";
    }
  }
  // Spot checks against the named constants the driver uses.
  EXPECT_EQ(rm::GRP_CTRL_MODE_MASK, 1u << rm::GRP_CTRL_MODE_LSB);
  EXPECT_EQ(rm::GRP_CTRL_HASH_MASK, 3u << rm::GRP_CTRL_HASH_LSB);
  EXPECT_EQ(rm::IN_MAP_VALID_MASK, 0x80000000u);
  EXPECT_LT(rm::GRP_CTRL_HASH_XOR16, 1u << rm::GRP_CTRL_HASH_WIDTH);
  EXPECT_GE((1u << rm::IN_MAP_GROUP_WIDTH), rm::kGroups);
  EXPECT_GE((1u << rm::MEMBER_PORT_WIDTH), rm::kOutPorts);
  EXPECT_GE(rm::GRP_LIVE_MASK, (1ull << rm::kMembers) - 1);
}

TEST(regmap, TableMatchesNamedConstants) {
  const auto* r = find("GRP_IDLE_US");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->offset, rm::GRP_IDLE_US);
  EXPECT_EQ(r->stride, rm::GROUP_STRIDE);
  EXPECT_EQ(r->count, rm::GROUP_COUNT);
  EXPECT_EQ(r->reset, rm::GRP_IDLE_US_RESET);
  EXPECT_EQ(r->access, rm::Access::kRW);
  const auto* c = find("COMMAND");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->access, rm::Access::kWO1);
  // Address order within each block, so dumps read naturally.
  for (size_t i = 1; i < rm::kRegisterCount; ++i) {
    if (rm::kRegisters[i].block == rm::kRegisters[i - 1].block) {
      EXPECT_LT(rm::kRegisters[i - 1].offset, rm::kRegisters[i].offset) << rm::kRegisters[i].name;
    }
  }
}

// Version 1.1 added the fragment timeout and the fragment counters; their places are what a
// 1.1 bitstream decodes, so they must not move.
TEST(regmap, FragmentRegistersOfVersion1_1) {
  EXPECT_EQ(rm::kVersionMajor, 1u);
  EXPECT_GE(rm::kVersionMinor, 1u);

  const auto* t = find("GRP_FRAG_TIMEOUT_US");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(rm::GRP_FRAG_TIMEOUT_US - rm::GROUP_BASE, 0x14u);
  EXPECT_EQ(t->offset, rm::GRP_FRAG_TIMEOUT_US);
  EXPECT_EQ(t->stride, rm::GROUP_STRIDE);
  EXPECT_EQ(t->count, rm::GROUP_COUNT);
  EXPECT_EQ(t->access, rm::Access::kRW);
  EXPECT_EQ(t->reset, 1'000'000u) << "1 s, the default of PortGroup.fragment_timeout_us";
  EXPECT_EQ(rm::GRP_FRAG_TIMEOUT_US_at(2), rm::GRP_FRAG_TIMEOUT_US + 2 * rm::GROUP_STRIDE);

  struct Counter {
    const char* name;
    uint32_t lo;
  };
  for (const Counter& c : {Counter{"FRAG_FOLLOWS", 0x1328}, Counter{"FRAG_MISSES", 0x1330}}) {
    SCOPED_TRACE(c.name);
    const auto* lo = find(std::string(c.name) + "_LO");
    const auto* hi = find(std::string(c.name) + "_HI");
    ASSERT_NE(lo, nullptr);
    ASSERT_NE(hi, nullptr);
    EXPECT_EQ(lo->offset, c.lo);
    EXPECT_EQ(hi->offset, c.lo + 4);
    EXPECT_EQ(lo->count, 1u);
    EXPECT_EQ(lo->access, rm::Access::kRO);
    EXPECT_EQ(hi->access, rm::Access::kRO);
    EXPECT_TRUE(lo->is_counter64_lo);
    EXPECT_TRUE(hi->is_counter64_hi);
    EXPECT_STREQ(lo->counter64, c.name);
    EXPECT_EQ(lo->reset, 0u);
  }
  EXPECT_EQ(rm::FRAG_FOLLOWS_LO, 0x1328u);
  EXPECT_EQ(rm::FRAG_MISSES_LO, 0x1330u);
}
