// The broker.v1.Broker gRPC service: the API face of the driver. It serializes changes,
// keeps the generation, persists every applied configuration, and answers with standard
// status codes whose messages name the field at fault.
#pragma once
#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>
#include <memory>
#include <optional>
#include <mutex>
#include <string>

#include "broker/v1/broker.grpc.pb.h"
#include "capture_dir.h"
#include "driver.h"
#include "soft_card.h"
#include "soft_ports.h"
#include "state_store.h"

namespace broker::daemon {

struct CardHandle {
  std::string kind;                        // "soft", "xrt", "verilator"
  std::unique_ptr<driver::RegisterBus> bus;
  cards::SoftCard* soft = nullptr;         // the bus itself when kind == "soft"
};

// One per daemon: the state behind every endpoint (see endpoint.h for who may write).
class BrokerService final {
 public:
  // Restores the persisted configuration onto the card (throws on a damaged state file or a
  // saved configuration this card refuses; bindings that cannot start are reported, as
  // FAILED, not refused). Soft card bindings name files inside `capture_dir` only.
  BrokerService(CardHandle card, StateStore store, const std::filesystem::path& capture_dir);
  ~BrokerService();

  // Ends running streams promptly (server shutdown).
  void shutdown();
  uint64_t generation() const { return generation_; }
  std::string capture_dir() const { return captures_ ? captures_->path().string() : ""; }

  grpc::Status GetCapabilities(grpc::ServerContext*, const v1::GetCapabilitiesRequest*, v1::Capabilities*);
  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*, v1::GetConfigResponse*);
  // `may_look`: the caller may learn what the capture directory holds (a writer); for others
  // a validate-only request checks the bindings' paths without opening anything.
  grpc::Status SetConfig(grpc::ServerContext*, const v1::SetConfigRequest*, v1::SetConfigResponse*,
                         bool may_look = true);
  grpc::Status AddGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest*, v1::GroupMemberResponse*);
  grpc::Status RemoveGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest*, v1::GroupMemberResponse*);
  grpc::Status GetCounters(grpc::ServerContext*, const v1::GetCountersRequest*, v1::CountersSnapshot*);
  grpc::Status StreamCounters(grpc::ServerContext*, const v1::StreamCountersRequest*,
                              grpc::ServerWriter<v1::CountersSnapshot>*);
  grpc::Status ClearCounters(grpc::ServerContext*, const v1::ClearCountersRequest*, v1::ClearCountersResponse*);
  grpc::Status SetEgressLink(grpc::ServerContext*, const v1::SetEgressLinkRequest*, v1::SetEgressLinkResponse*);

  // How often the link monitor reads the card's LINK_STATUS (the fabric fails over at once;
  // this is how soon the tables, the counters and the log follow).
  static constexpr std::chrono::milliseconds kLinkPoll{20};
  grpc::Status ExplainPacket(grpc::ServerContext*, const v1::ExplainPacketRequest*, v1::ExplainPacketResponse*);

 private:
  grpc::Status change_membership(bool add, const v1::GroupMemberRequest& req, v1::GroupMemberResponse* resp);
  // A change goes in this order: validated and its bindings opened (prepare: nothing started,
  // no file truncated), saved, then applied to the card and the bindings started (commit).
  // Refused or failed before the last step, it leaves the card, the bindings and their files
  // as they were. With change_mu_ held; commit takes mu_ for the last step only.
  struct Prepared {
    config::ValidationResult result;
    std::unique_ptr<SoftPorts::Plan> plan;  // the bindings opened, when asked to and valid
  };
  // Validates `next` as a whole and (open_files) opens its bindings. Changes nothing; when
  // `next` is refused, nothing stays open.
  Prepared prepare(const v1::Config& next, bool open_files);
  grpc::Status commit(const v1::Config& next, std::unique_ptr<SoftPorts::Plan> plan);
  void snapshot(v1::CountersSnapshot* out);
  // Acts on link changes (the driver rewrites the tables), logs them and mirrors them on the
  // explanation card. Called with mu_ held.
  void on_link_changes(const std::vector<driver::LinkChange>& changes, const char* cause);
  void watch_links();

  CardHandle card_;
  StateStore store_;
  std::unique_ptr<driver::Driver> driver_;
  std::optional<CaptureDir> captures_;            // soft card only; before ports_, which uses it
  std::unique_ptr<SoftPorts> ports_;              // soft card only
  // Cards without a native data path explain packets on a soft card programmed alike.
  std::unique_ptr<cards::SoftCard> shadow_card_;
  std::unique_ptr<driver::Driver> shadow_driver_;
  // Changes are serialized by change_mu_, held through validation and file I/O; mu_ guards
  // the card and is held only for short steps, so reads never wait on a disk or a big check.
  std::mutex change_mu_;
  std::mutex mu_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> shutting_down_{false};
  std::thread link_thread_;
};

}  // namespace broker::daemon
