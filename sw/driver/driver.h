// Configuration to registers and counters from registers, for every card: the driver sees a
// card only through its RegisterBus. It validates a configuration as a whole before writing
// anything, keeps indirection tables stable across changes, and makes membership changes
// hitless (see program_group in driver.cpp for the order of writes).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/v1/config.pb.h"
#include "config_validator.h"
#include "core_params.h"
#include "register_bus.h"

namespace broker::driver {

// Failures with a gRPC-like code, so the API can answer with the right status.
class DriverError : public std::runtime_error {
 public:
  enum class Code { kInvalidArgument, kNotFound, kFailedPrecondition, kUnavailable };
  DriverError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

// A configuration the validator refused; nothing was written.
class ConfigRefused : public DriverError {
 public:
  explicit ConfigRefused(config::ValidationResult r)
      : DriverError(Code::kInvalidArgument, "configuration refused:\n" + r.summary()),
        result(std::move(r)) {}
  config::ValidationResult result;
};

// What the card says it is (the register map's ID block).
struct CardIdentity {
  uint32_t id = 0, version_major = 0, version_minor = 0;
  uint32_t in_ports = 0, out_ports = 0, groups = 0, members = 0, bucket_bits = 0;
  uint32_t kernel_clock_hz = 0;  // written to KERNEL_CLK_HZ; 0: the card's time is not a clock
  // Ports with a wire on this card (CAPS3): a configuration may use only ports below these.
  uint32_t wired_in_ports = 0, wired_out_ports = 0;
};

struct PortCounters {
  uint64_t packets = 0, bytes = 0;
  uint64_t drops = 0;    // dropped whole at the port's FIFO or queue (RX_DROPS / TX_DROPS)
};
struct IngressCounters : PortCounters {
  // Tunnel termination (TUN_TERMINATED, TUN_PASSED, TUN_FRAGMENTS)
  uint64_t tunnel_terminated = 0, tunnel_passed = 0, tunnel_fragments = 0;
};
struct EgressCounters : PortCounters {
  uint32_t util_bp = 0;  // last complete window
  uint32_t peak_bp = 0;  // highest since counters were cleared
  bool link_up = false;  // LINK_STATUS: the port takes part in selection
  bool admin_down = false;   // forced down (LINK_ADMIN_DOWN)
  uint64_t link_downs = 0;   // times its link went down (LINK_DOWNS)
};
struct MemberStatus {
  uint32_t port = 0;
  uint32_t buckets = 0;  // static indirection buckets naming this member
  bool link_up = false;  // its port's link (a member whose link is down holds no bucket)
};
// A change of an egress port's link the driver acted on (poll_links).
struct LinkChange {
  uint32_t port = 0;
  bool up = false;
  uint32_t buckets_moved = 0;  // over every group the port is a member of
};
struct GroupCounters {
  std::string name;
  uint32_t index = 0;    // hardware group index
  uint64_t packets = 0, new_flows = 0;
  std::vector<MemberStatus> members;  // in configuration order
};
struct FilterCounters {
  std::string name;
  uint32_t index = 0;  // its rule: filters in priority order
  uint64_t packets = 0, bytes = 0;
};
struct Counters {
  std::vector<IngressCounters> rx;    // per ingress port
  std::vector<EgressCounters> tx;     // per egress port
  std::vector<GroupCounters> groups;  // per configured group
  uint64_t malformed = 0, fragments = 0, depth_exceeded = 0, unmapped_drops = 0,
           threshold_avoids = 0;
  uint64_t frag_follows = 0;  // later IP fragments sent where their first fragment went
  uint64_t frag_misses = 0;   // later IP fragments decided by their fallback key
  uint64_t csr_timeouts = 0;  // register accesses answered SLVERR because the core did not answer
  uint64_t filter_drops = 0;  // frames a filter that drops matched
  std::vector<FilterCounters> filters;  // per configured filter, in priority order
};

class Driver {
 public:
  // Reads the ID block; throws DriverError(kFailedPrecondition) for a card it does not
  // understand (wrong ID, other major version, an older minor version without registers it
  // uses, sizes beyond the build's).
  explicit Driver(RegisterBus& bus);

  const CardIdentity& identity() const { return identity_; }
  config::Limits limits() const;

  config::ValidationResult validate(const v1::Config& config) const;
  // All or nothing: throws ConfigRefused (and writes nothing) unless the whole configuration
  // is valid. Returns the warnings.
  std::vector<config::Issue> apply(const v1::Config& config);
  // The applied configuration as given (defaults not filled in).
  const v1::Config& applied() const { return applied_; }
  // The applied filters' names by data-path rule (filters in priority order).
  std::vector<std::string> filter_names() const;

  // Hitless membership changes; the applied configuration follows. with_member is the
  // configuration such a change would apply (throws DriverError as they do), changing nothing.
  v1::Config with_member(const std::string& group, uint32_t port, bool add) const;
  std::vector<config::Issue> add_member(const std::string& group, uint32_t port);
  std::vector<config::Issue> remove_member(const std::string& group, uint32_t port);

  Counters counters();
  void clear_counters();

  // Hardware group index of a configured group, or nullopt.
  std::optional<uint32_t> group_index(const std::string& name) const;
  // Egress ports in member-slot order of a hardware group (-1 for a free slot).
  std::array<int, core::kMembers> member_slots(uint32_t hw_group) const;

  // Tool-port failover. The fabric takes a member whose link is down out of selection at once
  // (its buckets go to the live members in turn, bucket mod their count); this makes the
  // indirection tables say the same (so a second failure moves only what it must, and the
  // bucket counts are true) and gives a member its buckets back when its link returns. Reads
  // LINK_STATUS; returns the ports whose link changed since the last call.
  std::vector<LinkChange> poll_links();
  // LINK_ADMIN_DOWN: forces an egress port's link down (or lets it follow the wire again),
  // then acts on the change as poll_links does.
  std::vector<LinkChange> set_admin_down(uint32_t port, bool down);
  uint32_t link_status() const { return link_up_; }

  // How long remove_member waits for a member's egress queue to drain.
  void set_drain_timeout_ms(uint32_t ms) { drain_timeout_ms_ = ms; }

 private:
  struct GroupState {
    std::string name;
    std::array<int, core::kMembers> slot_port;  // -1: free slot
    std::vector<uint8_t> base;                  // member slot per bucket, every link up
    std::vector<uint8_t> table;                 // as written: base with down members' buckets
                                                // dealt to the live ones (kUnassigned: none)
    std::vector<uint8_t> staying;               // configured member slots, not leaving
  };

  void program_group(uint32_t hw, const v1::PortGroup& g);
  void write_table(uint32_t hw, const std::vector<uint8_t>& table);
  // base with the buckets of members whose link is down dealt to the live ones as the fabric
  // deals them (bucket b to the (b mod n)-th live slot), so writing it moves nothing.
  std::vector<uint8_t> with_links(const GroupState& st) const;
  void drain_port(uint32_t port);
  void write_filters(const v1::Config& c, const std::map<std::string, uint32_t>& group_index);
  void write_encap(uint32_t port, const v1::Config& c);
  bool write_if_changed(uint32_t offset, uint32_t value);  // true: it was written
  uint64_t read64(uint32_t lo_offset);
  void write_config(const v1::Config& config);  // after validation

  RegisterBus& bus_;
  CardIdentity identity_;
  v1::Config applied_;
  std::map<uint32_t, GroupState> groups_;       // by hardware index
  std::map<uint32_t, uint32_t> shadow_;         // last value written per register offset
  uint32_t drain_timeout_ms_ = 1000;
  uint32_t link_up_ = 0;  // LINK_STATUS as last acted on
};

}  // namespace broker::driver
