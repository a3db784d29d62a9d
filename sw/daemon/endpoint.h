// A listening endpoint of the API and who may change things through it. brokerd serves one
// read-write endpoint (a Unix socket, loopback, or TLS) and optionally a read-only one;
// over mutual TLS, only clients whose certificate common name is listed as an admin may
// write. Reads (Get*, StreamCounters, ExplainPacket) are open to every client that got in;
// writes from the others are refused with PERMISSION_DENIED.
#pragma once
#include <atomic>
#include <set>
#include <string>

#include "broker/v1/broker.grpc.pb.h"
#include "broker_service.h"
#include "endpoint_limits.h"

namespace broker::daemon {

struct EndpointPolicy {
  bool read_only = false;
  std::set<std::string> admin_common_names;  // empty: every client of a rw endpoint may write
  uint32_t max_streams = kAdminEndpointLimits.max_streams;
};

class BrokerEndpoint final : public v1::Broker::Service {
 public:
  BrokerEndpoint(BrokerService& service, EndpointPolicy policy)
      : service_(service), policy_(std::move(policy)) {}

  grpc::Status GetCapabilities(grpc::ServerContext*, const v1::GetCapabilitiesRequest*, v1::Capabilities*) override;
  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*, v1::GetConfigResponse*) override;
  grpc::Status SetConfig(grpc::ServerContext*, const v1::SetConfigRequest*, v1::SetConfigResponse*) override;
  grpc::Status AddGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest*, v1::GroupMemberResponse*) override;
  grpc::Status RemoveGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest*, v1::GroupMemberResponse*) override;
  grpc::Status GetCounters(grpc::ServerContext*, const v1::GetCountersRequest*, v1::CountersSnapshot*) override;
  grpc::Status StreamCounters(grpc::ServerContext*, const v1::StreamCountersRequest*,
                              grpc::ServerWriter<v1::CountersSnapshot>*) override;
  grpc::Status ClearCounters(grpc::ServerContext*, const v1::ClearCountersRequest*, v1::ClearCountersResponse*) override;
  grpc::Status SetEgressLink(grpc::ServerContext*, const v1::SetEgressLinkRequest*, v1::SetEgressLinkResponse*) override;
  grpc::Status ExplainPacket(grpc::ServerContext*, const v1::ExplainPacketRequest*, v1::ExplainPacketResponse*) override;

 private:
  // OK when this client may change the broker; PERMISSION_DENIED saying why otherwise.
  grpc::Status may_write(grpc::ServerContext* context, const char* rpc) const;
  bool writer(grpc::ServerContext* context) const;

  // RESOURCE_EXHAUSTED for a request bigger than its method ever needs.
  grpc::Status small_request(const google::protobuf::Message& request, const char* rpc,
                             size_t limit = kMaxSmallRequestBytes) const;

  BrokerService& service_;
  EndpointPolicy policy_;
  std::atomic<uint32_t> streams_{0};
  // Refusals are logged at most once a second each, so a caller cannot flood the log.
  bool may_log() const;
  mutable std::atomic<int64_t> last_log_ms_{0};
};

}  // namespace broker::daemon
