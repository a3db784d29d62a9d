// The soft card's packet ports: each ingress port bound to a capture file (read once, as fast
// as the data path goes, frames merged in timestamp order) or to a Linux interface (captured
// through libpcap, inbound direction only); each egress port bound to a capture file or an
// interface (injected through libpcap). Unbound egress ports count and discard. An egress
// port bound to an interface has that interface's link (failover); the others are up unless
// forced down (SetEgressLink).
//
// Drop, never stall (as the card's shell): every bound egress port has a queue of at most
// kEgressQueueBytes and a writer thread of its own. When a port's queue fills, forwarding waits
// for it once (holding no lock the control plane needs), at most kFullWait (a writer that was not scheduled, a disk that paused); a frame
// that still finds no room, and every later one while the queue stays full, is dropped whole
// for that port and counted (TX_DROPS), so an output that blocks (a pipe nobody reads) or fails
// holds back no other port and not the forwarding for longer than that.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/v1/broker.pb.h"
#include "broker/v1/config.pb.h"
#include "capture_dir.h"
#include "config_validator.h"
#include "core_params.h"
#include "soft_card.h"

namespace broker::daemon {

struct IngressStatus {
  v1::BindingState state = v1::BINDING_NONE;
  std::string binding;  // "pcap:/path", "if:eth0", "" when unbound
  std::string error;
  uint64_t resumed_after = 0;  // frames skipped after a restart (already forwarded before it)
};

struct EgressStatus {
  v1::BindingState state = v1::BINDING_NONE;
  std::string binding;
  std::string error;
  uint64_t unwritten = 0;  // frames the output could not take
};

class SoftPorts {
 public:
  // Bytes of frames an egress port may hold queued or being written.
  static constexpr size_t kEgressQueueBytes = 4u << 20;
  // How long forwarding waits once for a full queue before that port drops.
  static constexpr std::chrono::milliseconds kFullWait{100};
  // How long stopping (or rebinding) a port waits for its writer to write out what is queued;
  // a writer stuck in an output that does not move is left behind after it.
  static constexpr std::chrono::milliseconds kWriterStopWait{8000};
  // How often the input captures' progress is saved (what a crash may replay twice).
  static constexpr std::chrono::milliseconds kProgressEvery{200};

  // Bindings name capture files inside `captures` only. The input captures' progress is kept
  // in `progress_file`, so a restart goes on where they were.
  SoftPorts(cards::SoftCard& card, const CaptureDir& captures, std::filesystem::path progress_file);
  ~SoftPorts();
  SoftPorts(const SoftPorts&) = delete;
  SoftPorts& operator=(const SoftPorts&) = delete;

  // A configuration's bindings opened but not running: files are open (an output missing
  // until now is created), nothing is read, written or truncated yet, the data path is
  // untouched. `issues` names each binding that cannot be opened; install() makes those
  // ports BINDING_FAILED, abandon() undoes the opening (created files are removed).
  class Plan;
  std::unique_ptr<Plan> prepare(const v1::Config& config, std::vector<config::Issue>& issues) const;
  // Checks the bindings' paths without opening anything (what a caller who may not look at
  // the capture directory is told): confinement, one file per output.
  std::vector<config::Issue> check_paths(const v1::Config& config) const;
  // Runs a prepared plan: bindings that did not change keep running (a capture being read
  // goes on where it was), changed ones restart. `restart`: the daemon is starting with its
  // saved configuration: outputs append whatever `overwrite` says, inputs resume.
  void install(std::unique_ptr<Plan> plan, bool restart);
  void abandon(std::unique_ptr<Plan> plan) const;
  void stop();

  std::vector<IngressStatus> ingress_status() const;
  std::vector<EgressStatus> egress_status() const;

 private:
  struct Ingress;
  struct Egress;

 public:
  class Plan {
   public:
    Plan();
    ~Plan();  // in soft_ports.cpp, where Ingress and Egress are complete
    std::vector<std::unique_ptr<Ingress>> ingress;  // null: the port's binding stays as it is
    std::vector<std::shared_ptr<Egress>> egress;
  };

 private:
  void run();
  bool forward_one_file_frame();
  bool poll_interfaces();
  // Captures read to their end become DONE once every egress queue is written and flushed
  // (or after kDoneWait, whatever an output that blocks still holds).
  void settle_finished_captures();
  static constexpr std::chrono::seconds kDoneWait{10};
  // Forwards one frame and offers it to its egress port's queue. True when that queue just
  // filled: the frame is kept in stalled_, and the forwarding thread waits for room without
  // holding mu_ (wait_for_stalled_egress) before it forwards anything else.
  bool emit(uint8_t in_port, uint64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len);
  void wait_for_stalled_egress();
  // Links: an interface-bound egress port's link follows the interface (up and running,
  // checked every kLinkCheck); when a port's link goes down (wire or LINK_ADMIN_DOWN) the
  // frames waiting in its queue are dropped and counted, as the card's queue does.
  void watch_links();
  static constexpr std::chrono::milliseconds kLinkCheck{50};
  // The input captures' progress: written (outside mu_) every kProgressEvery and at stop,
  // read at a restart.
  struct InputProgress {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0;
    uint64_t frames = 0;  // forwarded
  };
  std::string progress_text() const;  // with mu_ held
  std::map<int, InputProgress> load_progress() const;
  std::optional<std::string> settled_progress();  // with mu_ held: what may be saved now
  struct PendingProgress {
    std::string text;
    struct Need {
      int port;
      std::shared_ptr<Egress> egress;
      uint64_t offered;
    };
    std::vector<Need> need;  // each output must have settled what it was offered then
  };
  std::optional<PendingProgress> pending_progress_;
  void save_progress(const std::string& text);
  // At a restart: skips what `saved` says was forwarded, or says why the capture starts over.
  static void resume(Ingress& in, int port, const InputProgress* saved);

  cards::SoftCard& card_;
  const CaptureDir& captures_;
  std::filesystem::path progress_file_;
  std::string progress_saved_;
  std::chrono::steady_clock::time_point next_progress_{};
  mutable std::mutex mu_;  // guards the bindings; held by the forwarding thread per frame
  std::vector<std::unique_ptr<Ingress>> ingress_;
  std::vector<std::shared_ptr<Egress>> egress_;  // shared with each port's writer thread
  struct Stalled {
    std::shared_ptr<Egress> egress;
    uint8_t port = 0;
    uint64_t ts_ns = 0;
    uint32_t wire_len = 0;
    std::vector<uint8_t> data;
  };
  std::vector<Stalled> stalled_;  // forwarding thread only; one per full port of a replicated frame
  std::chrono::steady_clock::time_point next_link_check_{};
  uint16_t link_seen_ = 0xFFFF;     // LINK_STATUS at the last check
  int link_fd_ = -1;                // a socket for SIOCGIFFLAGS
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace broker::daemon
