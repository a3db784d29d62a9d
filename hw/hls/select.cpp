// The select task: which member of its group a frame leaves on (DESIGN.md "Selection"), and
// the fragment rule (DESIGN.md "IP fragments"). See tasks.h for the memories and why II=1.
#include "csr_decode.h"
#include "tasks.h"

namespace broker {
namespace core {

namespace {

inline bool slot_live(const ap_uint<16>& live, const SlotId& slot) { return live[slot]; }

ap_uint<5> popcount16(const ap_uint<16>& v) {
  ap_uint<5> n = 0;
count:
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    n += v[i] ? 1 : 0;
  }
  return n;
}

// Member slots whose port's link is up (ports beyond the bitmap never are).
ap_uint<16> slots_with_link(const GroupSelect& g, const ap_uint<16>& link_up) {
  ap_uint<16> up = 0;
slots:
  for (int m = 0; m < kMembers; ++m) {
#pragma HLS UNROLL
    up[m] = g.member_port[m] < kOutPorts && link_up[g.member_port[m].range(3, 0)];
  }
  return up;
}

// The n-th (0-based) live slot. Used while the indirection table still names a slot that is
// not live (a removal in flight, a member whose link went down before the driver rewrote the
// table): only that slot's buckets move, spread over the live ones in turn.
SlotId nth_live_slot(const ap_uint<16>& live, const ap_uint<5>& n) {
  SlotId found = 0;
  ap_uint<5> seen = 0;
scan:
  for (int m = 0; m < kMembers; ++m) {
#pragma HLS UNROLL
    if (live[m]) {
      if (seen == n) found = m;
      ++seen;
    }
  }
  return found;
}

// bucket mod n for n in 1..16: restoring division, one compare-subtract per quotient bit.
ap_uint<5> bucket_mod(const BucketId& bucket, const ap_uint<5>& n) {
  ap_uint<kBucketBits + 5> r = bucket;
divide:
  for (int k = kBucketBits - 1; k >= 0; --k) {
#pragma HLS UNROLL
    const ap_uint<kBucketBits + 5> d = ap_uint<kBucketBits + 5>(n) << k;
    if (r >= d) r -= d;
  }
  return r.range(4, 0);
}

// The indirection table's slot for a bucket; buckets of a slot that is no longer live go to
// the live slots in turn (bucket mod live count; only while a removal is in flight).
SlotId static_slot(const SelectState& st, const ap_uint<16>& live, const GroupId& group,
                   const BucketId& bucket) {
  const ap_uint<4 + kBucketBits - 3> word_index = (ap_uint<4 + kBucketBits - 3>(group) << (kBucketBits - 3)) |
                                                  bucket.range(kBucketBits - 1, 3);
  const ap_uint<32> word = st.ind[word_index];
  const ap_uint<3> nibble = bucket.range(2, 0);
  const SlotId slot = (word >> (ap_uint<5>(nibble) << 2)).range(3, 0);
  if (slot_live(live, slot)) return slot;
  const ap_uint<5> live_count = popcount16(live);
  return nth_live_slot(live, bucket_mod(bucket, live_count));
}

ap_uint<16> util_of(const ap_uint<256>& util_bp, const PortId& port) {
  const ap_uint<4> p = port.range(3, 0);
  return (util_bp >> (ap_uint<8>(p) << 4)).range(15, 0);
}

// Lowest utilization wins; on a tie the lower slot, so the choice is deterministic.
SlotId least_utilized_slot(const GroupSelect& g, const ap_uint<16>& live, const ap_uint<256>& util_bp) {
  SlotId best = 0;
  ap_uint<17> best_util = 0x1FFFF;
scan:
  for (int m = 0; m < kMembers; ++m) {
#pragma HLS UNROLL
    if (live[m]) {
      const ap_uint<17> u = util_of(util_bp, g.member_port[m]);
      if (u < best_util) {
        best_util = u;
        best = m;
      }
    }
  }
  return best;
}

// Microseconds from `then` to `now`; a time before `then` (frames merged out of order) is no
// silence at all.
ap_uint<64> age_us(const Time& now, const Time& then) { return now > then ? Time(now - then) : Time(0); }

bool same_identity(const FragIdentity& a, const FragIdentity& b) {
  return a.src_ip == b.src_ip && a.dst_ip == b.dst_ip && a.proto == b.proto && a.id == b.id;
}

FlowEntry empty_flow() {
  FlowEntry e;
  e.valid = false;
  e.slot = 0;
  e.epoch = 0;
  e.last_seen = 0;
  return e;
}

FragEntry empty_frag() {
  FragEntry e;
  e.valid = false;
  e.group = 0;
  e.id.src_ip = 0;
  e.id.dst_ip = 0;
  e.id.proto = 0;
  e.id.id = 0;
  e.slot = 0;
  e.port = 0;
  e.epoch = 0;
  e.born = 0;
  return e;
}

// A read of a memory that is written on every call, through its forwarding registers.
template <class Index, class Entry, int N>
Entry read_forwarded(const Entry (&mem)[N], const Index& i, const Forwarding<Index, Entry>& f) {
  Entry e = mem[i];
  if (f.ok[1] && f.idx[1] == i) e = f.val[1];
  if (f.ok[0] && f.idx[0] == i) e = f.val[0];
  return e;
}

// One call later: the registers shift whether or not this call wrote.
template <class Index, class Entry>
void age_forwarding(Forwarding<Index, Entry>& f, bool wrote, const Index& i, const Entry& e) {
  f.ok[1] = f.ok[0];
  f.idx[1] = f.idx[0];
  f.val[1] = f.val[0];
  f.ok[0] = wrote;
  f.idx[0] = i;
  f.val[0] = e;
}

void clear_tables(SelectState& st, const Time& now) {
groups:
  for (int g = 0; g < kGroups; ++g) {
#pragma HLS UNROLL
    st.grp[g].epoch += 1;
    st.grp[g].cleared_at = now;
  }
}

void apply_select_csr(const CsrWrite& w, const Time& now, SelectState& st) {
  const uint32_t addr = csr_address(w), v = csr_data(w);
  int i;
  if (addr == rm::CTRL) {
    st.enable = (v & rm::CTRL_ENABLE_MASK) != 0;
  } else if (addr == rm::COMMAND) {
    if (v & rm::COMMAND_CLEAR_FLOWS_MASK) clear_tables(st, now);
  } else if ((i = register_instance(addr, rm::GRP_CTRL, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.grp[i].enable = (v & rm::GRP_CTRL_ENABLE_MASK) != 0;
    st.grp[i].dynamic = reg_field(v, rm::GRP_CTRL_MODE_LSB, rm::GRP_CTRL_MODE_MASK) == rm::GRP_CTRL_MODE_DYNAMIC;
  } else if ((i = register_instance(addr, rm::GRP_THRESH_BP, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.grp[i].threshold_bp = v > 0xFFFF ? 0xFFFFu : v;
  } else if ((i = register_instance(addr, rm::GRP_IDLE_US, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.grp[i].idle_us = v;
  } else if ((i = register_instance(addr, rm::GRP_FRAG_TIMEOUT_US, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.grp[i].frag_timeout_us = v;
  } else if ((i = register_instance(addr, rm::GRP_LIVE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.grp[i].live = v & 0xFFFF;
  } else if ((i = register_instance(addr, rm::MEMBER, rm::MEMBER_STRIDE, rm::kGroups * rm::kMembers)) >= 0) {
    st.grp[i / kMembers].member_port[i % kMembers] = reg_field(v, rm::MEMBER_PORT_LSB, rm::MEMBER_PORT_MASK);
  } else if ((i = register_instance(addr, rm::IND, rm::INDIRECTION_STRIDE, rm::INDIRECTION_COUNT)) >= 0) {
    st.ind[i] = v;
  }
}

}  // namespace

void select_task(hls::stream<HashedItem>& in, hls::stream<CsrWrite>& cfg,
                 hls::stream<DecisionItem>& out, const Time& now_us, const ap_uint<256>& util_bp,
                 const ap_uint<16>& link_up, SelectState& st) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = st.grp type = complete
#pragma HLS ARRAY_PARTITION variable = st.flow_fwd.idx type = complete
#pragma HLS ARRAY_PARTITION variable = st.flow_fwd.val type = complete
#pragma HLS ARRAY_PARTITION variable = st.flow_fwd.ok type = complete
#pragma HLS ARRAY_PARTITION variable = st.frag_fwd.idx type = complete
#pragma HLS ARRAY_PARTITION variable = st.frag_fwd.val type = complete
#pragma HLS ARRAY_PARTITION variable = st.frag_fwd.ok type = complete
#pragma HLS BIND_STORAGE variable = st.ind type = ram_s2p impl = bram
#pragma HLS BIND_STORAGE variable = st.flows type = ram_s2p impl = uram
#pragma HLS BIND_STORAGE variable = st.frags type = ram_s2p impl = bram
  // Safe: an entry written in either of the previous two calls is taken from the forwarding
  // registers below, never from the memory, whose write may not have landed yet.
#pragma HLS DEPENDENCE variable = st.flows type = inter dependent = false
#pragma HLS DEPENDENCE variable = st.frags type = inter dependent = false
  if (!cfg.empty()) apply_select_csr(cfg.read(), now_us, st);

  bool flow_wrote = false, frag_wrote = false;
  FlowIndex flow_idx = 0;
  FlowEntry flow_new = empty_flow();
  FragIndex frag_idx = 0;
  FragEntry frag_new = empty_frag();

  if (!in.empty() && !out.full()) {
    const HashedItem h = in.read();
    const FrameMeta& meta = h.meta;
    const GroupSelect& g = st.grp[meta.group];
    // Members configured live whose link is up; the rest leave selection this frame.
    const ap_uint<16> live = g.live & slots_with_link(g, link_up);
    const BucketId bucket = h.hash.range(kBucketBits - 1, 0);

    DecisionItem d;
    d.out_port = kNoPort;
    d.in_port = meta.in_port;
    d.mapped = meta.mapped;
    d.group = meta.group;
    d.slot = 0;
    d.new_flow = false;
    d.avoided = false;
    d.frag_follow = false;
    d.frag_miss = false;
    d.fragment = meta.fragment;
    d.tun_out = meta.tun_out;
    d.fv = meta.fv;
    d.seg_vid = meta.seg_vid;
    d.v = meta.v;

    // Both tables are read on every frame; the newest forwarded write wins over the memory.
    frag_idx = h.frag_index;
    const FragEntry fe = read_forwarded(st.frags, frag_idx, st.frag_fwd);
    flow_idx = (FlowIndex(meta.group) << kBucketBits) | FlowIndex(bucket);
    FlowEntry e = read_forwarded(st.flows, flow_idx, st.flow_fwd);

    const bool usable = st.enable && meta.mapped && g.enable && live != 0;
    // A later fragment follows its first fragment's port while that is remembered (same
    // group, identity, epoch, within the timeout) and still a live member of the group.
    const bool frag_known = fe.valid && fe.group == meta.group && same_identity(fe.id, meta.frag) &&
                            fe.epoch == g.epoch && fe.born >= g.cleared_at &&
                            age_us(now_us, fe.born) <= g.frag_timeout_us;
    const bool follow = usable && meta.frag_later && frag_known && slot_live(live, fe.slot) &&
                        g.member_port[fe.slot] == fe.port;

    SlotId slot = 0;
    if (follow) {
      slot = fe.slot;
      d.frag_follow = true;
    } else if (usable) {
      d.frag_miss = meta.frag_later;
      if (g.dynamic) {
        // A bucket is held while seen within the idle timeout, in this epoch, on a live slot.
        const bool held = e.valid && e.epoch == g.epoch && e.last_seen >= g.cleared_at &&
                          age_us(now_us, e.last_seen) <= g.idle_us && slot_live(live, e.slot);
        if (held) {
          slot = e.slot;
          if (now_us > e.last_seen) e.last_seen = now_us;
        } else {
          slot = static_slot(st, live, meta.group, bucket);
          if (util_of(util_bp, g.member_port[slot]) >= g.threshold_bp) {
            const SlotId alt = least_utilized_slot(g, live, util_bp);
            if (alt != slot) {
              slot = alt;
              d.avoided = true;
            }
          }
          e.valid = true;
          e.slot = slot;
          e.epoch = g.epoch;
          e.last_seen = now_us;
          d.new_flow = true;
        }
        flow_wrote = true;
        flow_new = e;
      } else {
        slot = static_slot(st, live, meta.group, bucket);
      }
    }
    if (usable) {
      d.slot = slot;
      const PortId port = g.member_port[slot];
      d.out_port = port < kOutPorts ? port : PortId(kNoPort);
    }
    // A first fragment's port is remembered for its later fragments.
    if (usable && meta.frag_first && d.out_port != kNoPort) {
      frag_new.valid = true;
      frag_new.group = meta.group;
      frag_new.id = meta.frag;
      frag_new.slot = slot;
      frag_new.port = d.out_port;
      frag_new.epoch = g.epoch;
      frag_new.born = now_us;
      frag_wrote = true;
    }
    // This copy's share of the frame's masks (merge_copies ORs the copies').
    d.copy = meta.copy;
    const bool delivered = d.out_port != kNoPort;
    d.out_mask = delivered ? PortMask(PortMask(1) << d.out_port.range(3, 0)) : PortMask(0);
    d.grp_mask = delivered ? GroupMask(GroupMask(1) << meta.group) : GroupMask(0);
    d.new_mask = d.new_flow ? GroupMask(GroupMask(1) << meta.group) : GroupMask(0);
    d.avoid_mask = d.avoided ? GroupMask(GroupMask(1) << meta.group) : GroupMask(0);
    d.follows = d.frag_follow ? 1 : 0;
    d.misses = d.frag_miss ? 1 : 0;
  port_of:
    for (int gi = 0; gi < kGroups; ++gi) {
#pragma HLS UNROLL
      d.port_of.range(8 * gi + 7, 8 * gi) = meta.mapped && meta.group == gi ? d.out_port : PortId(kNoPort);
    }
    if (flow_wrote) st.flows[flow_idx] = flow_new;
    if (frag_wrote) st.frags[frag_idx] = frag_new;
    out.write(d);
  }

  age_forwarding(st.flow_fwd, flow_wrote, flow_idx, flow_new);
  age_forwarding(st.frag_fwd, frag_wrote, frag_idx, frag_new);
}

}  // namespace core
}  // namespace broker
