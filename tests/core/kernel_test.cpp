// One step function for every card: frames streamed through the core's tasks as beats, many in
// flight at once (how the kernel and the co-simulation see them), decide exactly as the same
// frames sent one at a time through Pipeline::forward (how the soft card runs them): the same
// egress port per frame, the same bytes in the same order, the same counters, whatever the
// frame's length.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <deque>

#include <gtest/gtest.h>

#include "core_test_util.h"
#include "testdata.h"

namespace {

using namespace broker::coretest;

// Everything the core decided about a frame (fields, verdicts, key, decision), mixed into h.
void digest_result(uint64_t& h, const FrameResult& r) {
  auto mix = [&h](const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  };
  const PacketFields& f = r.fields;
  mix(f.dst_mac, 6);
  mix(f.src_mac, 6);
  const uint64_t nums[] = {f.ethertype, f.vlan_count, f.vlan, f.has_mpls, f.mpls, f.ip_version,
                           f.ip_proto, f.l4_proto, f.fragment, f.frag_later, f.frag_proto,
                           f.frag_id, f.has_l4, f.src_port, f.dst_port, f.has_gtp, f.gtp_msgtype,
                           f.gtp_teid, f.gtp_inner_version, f.malformed, f.depth_exceeded,
                           r.decision.out_port, r.decision.group, r.decision.slot,
                           r.decision.bucket, r.decision.hash, r.decision.new_flow,
                           r.decision.avoided, r.decision.frag_follow, r.decision.frag_miss};
  mix(nums, sizeof nums);
  mix(f.src_ip, 16);
  mix(f.dst_ip, 16);
  mix(f.gtp_inner_src, 16);
  mix(f.gtp_inner_dst, 16);
  mix(r.key, kKeyBytes);
}

struct InFrame {
  Bytes data;
  uint8_t port;
  std::string what;
};

// Ingress 0 -> group 0 (members on ports 0..3); ingress 3 -> group 1 (members on ports 8..11),
// so TDEST also proves that TID was taken as the ingress port. Ingress 1 is unmapped.
std::unique_ptr<CoreConfig> kernel_config(uint8_t mode = kModeStatic) {
  auto cfg = make_config(4, mode);
  cfg->in_map[3] = kInMapValid | 1;
  GroupConfig& g = cfg->group[1];
  g = cfg->group[0];
  for (int m = 0; m < 4; ++m) g.member_port[m] = uint8_t(8 + m);
  for (int b = 0; b < kBuckets; ++b) cfg->ind[1][b] = uint8_t(b % 4);
  return cfg;
}

int keep_count(const AxisBeat& b, bool& contiguous) {
  int n = 0;
  contiguous = true;
  bool ended = false;
  for (int i = 0; i < kBeatBytes; ++i) {
    if (b.keep[i]) {
      if (ended) contiguous = false;
      ++n;
    } else {
      ended = true;
    }
  }
  return n;
}

struct OutFrame {
  Bytes data;
  int dest = -1;
  bool dest_constant = true;
  bool keep_ok = true;
};

struct KernelRun {
  std::vector<OutFrame> frames[kLanes];   // per lane, as they left its tx stream
  std::vector<FrameResult> decided;  // in core order: what the traced streams carried
  std::vector<size_t> order;         // the input index of each decided frame
  std::vector<uint64_t> beat_step;  // the step each output beat left on (either lane)
  uint64_t steps = 0;
  uint64_t beats_in = 0;
  CoreCounters counters;
};

// Every frame's beats into its lane's RX up front, then one step of every task per clock
// until drained.
KernelRun run_kernel(const std::vector<InFrame>& in, const CoreConfig& cfg) {
  KernelRun run;
  Pipeline core;
  write_config(core, cfg);
  CoreStreams& s = core.streams();
  hls::stream<AxisBeat>* rx[kLanes] = {&s.rx0, &s.rx1};
  hls::stream<AxisBeat>* tx[kLanes] = {&s.tx0, &s.tx1};
  std::deque<size_t> lane_inputs[kLanes];
  for (size_t i = 0; i < in.size(); ++i) {
    const InFrame& f = in[i];
    const int lane = lane_of(f.port);
    const size_t before = rx[lane]->size();
    frame_to_beats(f.data.data(), uint32_t(f.data.size()), f.port, *rx[lane]);
    run.beats_in += rx[lane]->size() - before;
    lane_inputs[lane].push_back(i);
  }
  const uint16_t util[kOutPorts] = {};
  OutFrame cur[kLanes];
  const uint64_t limit = run.beats_in * 2 + 100;
  uint64_t quiet = 0;
  FrameTraceZip traces;
  while (run.steps < limit && quiet < 2 * kHeaderBeats + 8) {
    core.step(0, util, kAllLinksUp, traces);
    ++run.steps;
    bool idle = true;
    for (int lane = 0; lane < kLanes; ++lane) {
      idle = idle && tx[lane]->empty() && rx[lane]->empty();
      while (!tx[lane]->empty()) {
        const AxisBeat b = tx[lane]->read();
        OutFrame& c = cur[lane];
        run.beat_step.push_back(run.steps);
        bool contiguous;
        const int n = keep_count(b, contiguous);
        if (!contiguous || n == 0 || (!b.last && n != kBeatBytes)) c.keep_ok = false;
        for (int i = 0; i < n; ++i) c.data.push_back(uint8_t(b.data.range(8 * i + 7, 8 * i).to_uint()));
        const int dest = int(b.dest.to_uint());
        if (c.dest >= 0 && c.dest != dest) c.dest_constant = false;
        c.dest = dest;
        if (b.last) {
          run.frames[lane].push_back(std::move(c));
          c = OutFrame{};
        }
      }
    }
    quiet = idle ? quiet + 1 : 0;
  }
  for (int lane = 0; lane < kLanes; ++lane) EXPECT_TRUE(cur[lane].data.empty()) << "a frame left without TLAST";
  EXPECT_LT(run.steps, limit) << "kernel did not drain";
  for (const FrameTrace& t : traces.take()) {
    run.decided.push_back(frame_result_of(t));
    // Each lane keeps its frames' order; the decisions interleave the lanes.
    auto& q = lane_inputs[lane_of(uint8_t(t.decision.in_port))];
    EXPECT_FALSE(q.empty()) << "a decision for a frame never sent";
    if (q.empty()) break;
    run.order.push_back(q.front());
    q.pop_front();
  }
  run.counters = read_counters(core);
  return run;
}

// The soft card's way: one frame at a time through Pipeline::forward.
struct Reference {
  std::vector<FrameResult> results;
  CoreCounters counters;
};
Reference reference(const std::vector<InFrame>& in, const CoreConfig& cfg) {
  Reference ref;
  TestCore core(cfg);
  for (const auto& f : in) ref.results.push_back(core.forward(f.data, f.port, 0));
  ref.counters = core.counters();
  return ref;
}

void expect_same_counters(const CoreCounters& a, const CoreCounters& b) {
  for (int p = 0; p < kInPorts; ++p) {
    EXPECT_EQ(a.rx_pkts[p], b.rx_pkts[p]) << "rx_pkts[" << p << "]";
    EXPECT_EQ(a.rx_bytes[p], b.rx_bytes[p]) << "rx_bytes[" << p << "]";
  }
  for (int p = 0; p < kOutPorts; ++p) {
    EXPECT_EQ(a.tx_pkts[p], b.tx_pkts[p]) << "tx_pkts[" << p << "]";
    EXPECT_EQ(a.tx_bytes[p], b.tx_bytes[p]) << "tx_bytes[" << p << "]";
  }
  for (int g = 0; g < kGroups; ++g) {
    EXPECT_EQ(a.grp_pkts[g], b.grp_pkts[g]) << "grp_pkts[" << g << "]";
    EXPECT_EQ(a.grp_new_flows[g], b.grp_new_flows[g]) << "grp_new_flows[" << g << "]";
  }
  EXPECT_EQ(a.unmapped_drops, b.unmapped_drops);
  EXPECT_EQ(a.malformed, b.malformed);
  EXPECT_EQ(a.fragments, b.fragments);
  EXPECT_EQ(a.depth_exceeded, b.depth_exceeded);
  EXPECT_EQ(a.threshold_avoids, b.threshold_avoids);
  EXPECT_EQ(a.frag_follows, b.frag_follows);
  EXPECT_EQ(a.frag_misses, b.frag_misses);
}

// Everything a streamed run must share with the one-at-a-time run (which takes the frames in
// the order the core decided them: each lane in its own order, the lanes interleaved).
// Returns frames checked.
size_t check_run(const std::vector<InFrame>& in, const CoreConfig& cfg) {
  const KernelRun run = run_kernel(in, cfg);
  EXPECT_EQ(run.decided.size(), in.size()) << "frames decided";
  std::vector<InFrame> in_core_order;
  for (size_t i : run.order) in_core_order.push_back(in[i]);
  const Reference ref = reference(in_core_order, cfg);
  // TDEST is the mask of egress ports (one bit: no filter replicates here).
  std::vector<int> want_port(in.size(), -1);
  for (size_t k = 0; k < run.order.size(); ++k)
    if (ref.results[k].decision.out_mask != 0) want_port[run.order[k]] = ref.results[k].decision.out_mask;
  int mismatches = 0;
  for (int lane = 0; lane < kLanes; ++lane) {
    size_t expected_out = 0, k = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (lane_of(in[i].port) != lane || want_port[i] < 0) continue;  // dropped: no beats
      ++expected_out;
      if (k >= run.frames[lane].size()) continue;
      const OutFrame& o = run.frames[lane][k++];
      const bool ok = o.data == in[i].data && o.dest == want_port[i] && o.dest_constant && o.keep_ok;
      if (!ok && ++mismatches <= 10) {
        ADD_FAILURE() << "input frame " << i << " (" << in[i].what << ", " << in[i].data.size()
                      << " bytes, TID " << int(in[i].port) << "): out " << o.data.size()
                      << " bytes, bytes equal " << (o.data == in[i].data) << ", TDEST " << o.dest
                      << " vs one-at-a-time " << int(want_port[i]) << ", TDEST constant "
                      << o.dest_constant << ", TKEEP ok " << o.keep_ok;
      }
    }
    EXPECT_EQ(run.frames[lane].size(), expected_out) << "frames out of lane " << lane;
  }
  EXPECT_EQ(mismatches, 0);
  // Every frame decided alike: parsed fields, settled verdicts, key, hash, bucket, member.
  int differ = 0;
  for (size_t k = 0; k < run.decided.size() && k < ref.results.size(); ++k) {
    uint64_t ha = 0, hb = 0;
    digest_result(ha, run.decided[k]);
    digest_result(hb, ref.results[k]);
    if (ha != hb && ++differ <= 5)
      ADD_FAILURE() << "frame " << run.order[k] << " (" << in[run.order[k]].what << ") decided differently streamed";
  }
  EXPECT_EQ(differ, 0);
  expect_same_counters(run.counters, ref.counters);
  return in.size();
}

// IPv4/UDP frame of exactly `size` bytes with consistent lengths (Ethernet only below 42).
Bytes sized_frame(size_t size, uint16_t seed) {
  const uint8_t dmac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, uint8_t(seed)};
  const uint8_t smac[6] = {0x02, 0xAA, 0xBB, 0xCC, uint8_t(seed >> 8), uint8_t(seed)};
  if (size < 42) {
    Bytes f = eth(dmac, smac, 0x88B5);
    f.resize(size, 0x5A);
    return f;
  }
  const uint8_t s[4] = {10, 1, uint8_t(seed >> 8), uint8_t(seed)};
  const uint8_t d[4] = {10, 2, uint8_t(seed), 7};
  Bytes f = eth(dmac, smac, 0x0800);
  app(f, ipv4(s, d, 17, seed, udp(uint16_t(1000 + seed), uint16_t(20000 + 7 * seed),
                                  payload(size - 42, uint8_t(seed)))));
  EXPECT_EQ(f.size(), size);
  return f;
}

const size_t kSizes[] = {14, 60, 64, 65, 128, 255, 256, 257, 1500, 9000, 65535};

TEST(CoreKernel, FrameSizesPassThroughUnchanged) {
  auto cfg = kernel_config();
  std::vector<InFrame> in;
  uint16_t seed = 1;
  for (int round = 0; round < 3; ++round)
    for (size_t sz : kSizes) {
      const uint8_t port = (seed % 3 == 0) ? 3 : 0;
      in.push_back({sized_frame(sz, seed), port, std::to_string(sz) + "-byte frame"});
      ++seed;
    }
  check_run(in, *cfg);
  for (size_t sz : kSizes) {
    SCOPED_TRACE("single " + std::to_string(sz));
    check_run({{sized_frame(sz, uint16_t(sz)), 0, "single"}}, *cfg);
  }
}

TEST(CoreKernel, UnmappedIngressEmitsNothing) {
  auto cfg = kernel_config();
  std::vector<InFrame> in = {{sized_frame(64, 1), 0, "mapped"},
                             {sized_frame(300, 2), 1, "unmapped"},
                             {sized_frame(64, 3), 1, "unmapped"},
                             {sized_frame(128, 4), 3, "mapped"}};
  check_run(in, *cfg);
}

TEST(CoreKernel, BackToBack64ByteFramesOneBeatPerStep) {
  auto cfg = kernel_config();
  constexpr int kN = 2000;
  std::vector<InFrame> in;
  for (int i = 0; i < kN; ++i) in.push_back({sized_frame(64, uint16_t(i)), 0, "64"});
  const KernelRun run = run_kernel(in, *cfg);
  ASSERT_EQ(run.frames[0].size(), size_t(kN));
  ASSERT_EQ(run.beat_step.size(), size_t(kN));
  // Every task takes one item per step: one beat out per step from the second step on (decap
  // holds each beat one step: a frame's last beat may have to wait for the next one's rest).
  EXPECT_EQ(run.beat_step.back(), uint64_t(kN) + 1) << "steps until the last beat left";
  int gaps = 0;
  for (size_t i = 1; i < run.beat_step.size(); ++i) gaps += run.beat_step[i] != run.beat_step[i - 1] + 1;
  EXPECT_EQ(gaps, 0) << "output idled while beats were waiting";
  check_run(in, *cfg);
}

TEST(CoreKernel, MixedSizesStreamAtOneBeatPerStep) {
  auto cfg = kernel_config();
  std::vector<InFrame> in;
  uint16_t seed = 100;
  for (int round = 0; round < 20; ++round)
    for (size_t sz : kSizes) {
      if (sz == 65535 && round % 5) continue;
      in.push_back({sized_frame(sz, seed), 0, std::to_string(sz)});
      ++seed;
    }
  const KernelRun run = run_kernel(in, *cfg);
  ASSERT_EQ(run.beat_step.size(), run.beats_in);
  // A frame's beats wait only for its header window (kHeaderBeats beats) and decap's one held
  // beat, and the payload FIFO lets the next frames' beats flow meanwhile: the idle output
  // steps are bounded by the first frame's window and that beat.
  EXPECT_LE(run.beat_step.back(), run.beats_in + kHeaderBeats + 1)
      << run.beats_in << " beats took " << run.beat_step.back() << " steps";
  check_run(in, *cfg);
}

// A frame longer than the 256-byte window whose IP header claims more bytes than the frame
// has. Its decision is made before its end is seen; its verdicts are settled at its end from
// the lengths the parser saved, so it is malformed on every path.
TEST(CoreKernel, LongFrameWithLyingLengthsIsMalformedEverywhere) {
  auto cfg = kernel_config();
  std::vector<InFrame> in;
  for (size_t sz : {size_t(300), size_t(1000), size_t(1514)}) {
    Bytes f = sized_frame(sz, uint16_t(sz));
    put16(f, 14 + 2, uint16_t(sz + 200 - 14));  // IPv4 total length past the frame's end
    put16(f, 14 + 10, 0);
    put16(f, 14 + 10, ip_checksum(&f[14], 20));
    in.push_back({f, 0, std::to_string(sz) + "-byte frame, IPv4 total length 200 too long"});
  }
  const Reference ref = reference(in, *cfg);
  for (const auto& r : ref.results) EXPECT_TRUE(r.fields.malformed) << "lengths disagree";
  EXPECT_EQ(ref.counters.malformed, in.size());
  check_run(in, *cfg);
}

// The frame that once split the cards: a 1,000-byte IPv6 frame whose destination-options
// header claims to run past the frame's end. Every path must give it the same fields (the
// header's next header is read; its length only makes the frame malformed) and the same port.
TEST(CoreKernel, Ipv6BadExtensionHeaderDecidedAlikeWhateverTheLength) {
  auto cfg = kernel_config();
  uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8}, d6[16] = {0x20, 0x01, 0x0d, 0xb8};
  s6[15] = 1;
  d6[15] = 2;
  const uint8_t dmac[6] = {2, 0, 0, 0, 0, 1}, smac[6] = {2, 0, 0, 0, 0, 2};
  std::vector<InFrame> in;
  for (size_t size : {size_t(120), size_t(250), size_t(1000)}) {
    Bytes ext = {6, 200, 1, 4, 0, 0, 0, 0};  // next header TCP, 201 x 8 bytes claimed
    app(ext, tcp(1234, 80, payload(size, 3)));
    Bytes f = eth(dmac, smac, 0x86DD);
    app(f, ipv6(s6, d6, 60, ext));
    f.resize(size);
    put16(f, 14 + 4, uint16_t(size - 54));
    in.push_back({f, 0, std::to_string(size) + "-byte IPv6, destination options past the end"});
  }
  const Reference ref = reference(in, *cfg);
  for (size_t i = 0; i < in.size(); ++i) {
    const PacketFields& f = ref.results[i].fields;
    EXPECT_EQ(f.l4_proto, 6) << in[i].what;
    EXPECT_TRUE(f.malformed) << in[i].what;
    EXPECT_FALSE(f.has_l4) << in[i].what;
  }
  // The same frame in three lengths has the same key fields, so the same port.
  EXPECT_EQ(ref.results[0].decision.out_port, ref.results[2].decision.out_port);
  EXPECT_EQ(ref.results[0].decision.hash, ref.results[2].decision.hash);
  check_run(in, *cfg);
}

TEST(CoreKernel, SharedCaptureFramesMatchOneAtATime) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  int captures = 0;
  size_t frames = 0;
  for (uint8_t mode : {kModeStatic, kModeDynamic}) {
    auto cfg = kernel_config(mode);
    for (const auto& path : broker::testing::shared_captures()) {
      const Capture cap = load_capture(path);
      if (!cap.error.empty()) {
        printf("[ note ] %s refused by PcapSource: %s\n", cap.name.c_str(), cap.error.c_str());
        continue;
      }
      SCOPED_TRACE(cap.name + (mode == kModeStatic ? " static" : " dynamic"));
      std::vector<InFrame> in;
      for (size_t i = 0; i < cap.frames.size(); ++i) {
        const auto& d = cap.frames[i].data;
        if (d.empty() || d.size() > size_t(kMaxFrame)) continue;
        in.push_back({d, uint8_t(i % 5 == 4 ? 3 : 0), cap.name + " #" + std::to_string(i + 1)});
      }
      frames += check_run(in, *cfg);
      captures += mode == kModeStatic;
    }
  }
  printf("[ info ] kernel: %d captures, %zu frames (static and dynamic) streamed vs one at a time\n",
         captures, frames);
  RecordProperty("capture_frames", int(frames));
}

// Random frames of every length from 14 to 9,000 bytes: well-formed templates, then cut,
// lengths falsified or bytes flipped, so every verdict path is taken with frames shorter and
// longer than the window.
TEST(CoreKernel, RandomFrames14To9000MatchOneAtATime) {
  std::mt19937 rng(20261201);
  auto cfg = kernel_config(kModeDynamic);
  std::vector<InFrame> in;
  for (int i = 0; i < 3000; ++i) {
    const size_t size = 14 + rng() % (9000 - 14 + 1);
    Bytes f = sized_frame(std::max<size_t>(size, 42), uint16_t(rng()));
    if (rng() % 4 == 0) {  // an IPv6/TCP frame instead
      uint8_t a[16], b[16];
      for (int k = 0; k < 16; ++k) a[k] = uint8_t(rng()), b[k] = uint8_t(rng());
      const uint8_t m[6] = {2, 1, 2, 3, 4, 5};
      f = eth(m, m, 0x86DD);
      app(f, ipv6(a, b, 6, tcp(uint16_t(rng()), uint16_t(rng()), payload(size, uint8_t(i)))));
    }
    f.resize(size, 0);
    for (int flips = int(rng() % 4); flips > 0; --flips) f[rng() % std::min<size_t>(f.size(), 80)] ^= uint8_t(1u << (rng() % 8));
    in.push_back({f, uint8_t(rng() % 4 == 0 ? 3 : 0), "random #" + std::to_string(i)});
  }
  check_run(in, *cfg);
}

}  // namespace

namespace {

// A digest over every shared capture and random frames, static and dynamic. Printed, so builds
// against different HLS headers (the shim, or AMD's with -DBROKER_HLS_INCLUDE) can be compared
// line for line.
TEST(CoreKernel, DecisionDigest) {
  uint64_t h = 0xcbf29ce484222325ull, frames = 0;
  std::mt19937 rng(7);
  for (uint8_t mode : {kModeStatic, kModeDynamic}) {
    auto cfg = kernel_config(mode);
    cfg->group[0].tuple = kTupleAll;
    TestCore core(*cfg);
    uint16_t util[kOutPorts] = {};
    uint64_t now = 0;
    for (const auto& path : broker::testing::shared_captures()) {  // none in a user's clone
      const Capture cap = load_capture(path);
      for (const auto& fr : cap.frames) {
        if (fr.data.empty() || fr.data.size() > size_t(kMaxFrame)) continue;
        for (auto& u : util) u = uint16_t(rng() % 10001);
        digest_result(h, core.forward(fr.data, uint8_t(frames % 5 == 4 ? 3 : 0), now += rng() % 50000, util));
        ++frames;
      }
    }
    for (int i = 0; i < 2000; ++i) {
      Bytes f(14 + rng() % 600);
      for (auto& b : f) b = uint8_t(rng());
      f[12] = (i % 3 == 0) ? 0x86 : 0x08;
      f[13] = (i % 3 == 0) ? 0xDD : 0x00;
      if (f.size() > 14) f[14] = (i % 3 == 0) ? 0x60 : 0x45;
      digest_result(h, core.forward(f, 0, now += rng() % 50000, util));
      ++frames;
    }
    const CoreCounters c = core.counters();
    const uint64_t sums[] = {c.malformed, c.fragments, c.depth_exceeded, c.unmapped_drops,
                             c.threshold_avoids, c.frag_follows, c.frag_misses, c.grp_new_flows[0]};
    for (uint64_t v : sums) h = (h ^ v) * 0x100000001b3ull;
  }
  printf("[ digest ] %s headers: %llu frames, decision digest %016llx\n", BROKER_HLS_HEADERS,
         (unsigned long long)frames, (unsigned long long)h);
  RecordProperty("decision_digest", std::to_string(h));
}

}  // namespace
