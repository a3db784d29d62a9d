#include "endpoint.h"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace broker::daemon {

bool BrokerEndpoint::writer(grpc::ServerContext* context) const {
  if (policy_.read_only) return false;
  if (policy_.admin_common_names.empty()) return true;
  const auto auth = context->auth_context();
  if (!auth) return false;
  for (const auto& cn : auth->FindPropertyValues("x509_common_name"))
    if (policy_.admin_common_names.count(std::string(cn.data(), cn.size()))) return true;
  return false;
}

grpc::Status BrokerEndpoint::may_write(grpc::ServerContext* context, const char* rpc) const {
  if (writer(context)) return grpc::Status::OK;
  if (may_log()) spdlog::warn("rpc={} result=permission_denied peer={}", rpc, context->peer());
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      policy_.read_only
                          ? fmt::format("{}: this endpoint is read-only; use the read-write socket", rpc)
                          : fmt::format("{}: this client certificate is not an admin's (brokerd --admin-cn)", rpc));
}

bool BrokerEndpoint::may_log() const {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t last = last_log_ms_.load();
  return now - last >= 1000 && last_log_ms_.compare_exchange_strong(last, now);
}

grpc::Status BrokerEndpoint::small_request(const google::protobuf::Message& request, const char* rpc,
                                           size_t limit) const {
  const size_t size = request.ByteSizeLong();
  if (size <= limit) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      fmt::format("{}: a request of {} bytes; this method takes at most {}", rpc, size,
                                  limit));
}

grpc::Status BrokerEndpoint::GetCapabilities(grpc::ServerContext* c, const v1::GetCapabilitiesRequest* q,
                                             v1::Capabilities* r) {
  grpc::Status s = service_.GetCapabilities(c, q, r);
  r->set_read_only(!writer(c));
  return s;
}
grpc::Status BrokerEndpoint::GetConfig(grpc::ServerContext* c, const v1::GetConfigRequest* q, v1::GetConfigResponse* r) {
  return service_.GetConfig(c, q, r);
}
grpc::Status BrokerEndpoint::SetConfig(grpc::ServerContext* c, const v1::SetConfigRequest* q, v1::SetConfigResponse* r) {
  // Validating changes nothing, so a read-only client may ask whether a config would pass.
  if (!q->validate_only())
    if (grpc::Status s = may_write(c, "SetConfig"); !s.ok()) return s;
  return service_.SetConfig(c, q, r, writer(c));
}
grpc::Status BrokerEndpoint::AddGroupMember(grpc::ServerContext* c, const v1::GroupMemberRequest* q,
                                            v1::GroupMemberResponse* r) {
  if (grpc::Status s = may_write(c, "AddGroupMember"); !s.ok()) return s;
  if (grpc::Status s = small_request(*q, "AddGroupMember"); !s.ok()) return s;
  return service_.AddGroupMember(c, q, r);
}
grpc::Status BrokerEndpoint::RemoveGroupMember(grpc::ServerContext* c, const v1::GroupMemberRequest* q,
                                               v1::GroupMemberResponse* r) {
  if (grpc::Status s = may_write(c, "RemoveGroupMember"); !s.ok()) return s;
  if (grpc::Status s = small_request(*q, "RemoveGroupMember"); !s.ok()) return s;
  return service_.RemoveGroupMember(c, q, r);
}
grpc::Status BrokerEndpoint::GetCounters(grpc::ServerContext* c, const v1::GetCountersRequest* q, v1::CountersSnapshot* r) {
  return service_.GetCounters(c, q, r);
}
grpc::Status BrokerEndpoint::StreamCounters(grpc::ServerContext* c, const v1::StreamCountersRequest* q,
                                            grpc::ServerWriter<v1::CountersSnapshot>* w) {
  // Each open stream holds a thread and a connection's worth of buffers until it ends.
  if (streams_.fetch_add(1) >= policy_.max_streams) {
    streams_.fetch_sub(1);
    if (may_log())
      spdlog::warn("rpc=StreamCounters result=refused reason=\"{} streams open on this endpoint\" peer={}",
                 policy_.max_streams, c->peer());
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        fmt::format("StreamCounters: {} streams are open on this endpoint, its maximum; "
                                    "end one, or poll GetCounters",
                                    policy_.max_streams));
  }
  struct Release {
    std::atomic<uint32_t>& n;
    ~Release() { n.fetch_sub(1); }
  } release{streams_};
  return service_.StreamCounters(c, q, w);
}
grpc::Status BrokerEndpoint::ClearCounters(grpc::ServerContext* c, const v1::ClearCountersRequest* q,
                                           v1::ClearCountersResponse* r) {
  if (grpc::Status s = may_write(c, "ClearCounters"); !s.ok()) return s;
  return service_.ClearCounters(c, q, r);
}
grpc::Status BrokerEndpoint::SetEgressLink(grpc::ServerContext* c, const v1::SetEgressLinkRequest* q,
                                           v1::SetEgressLinkResponse* r) {
  if (grpc::Status s = may_write(c, "SetEgressLink"); !s.ok()) return s;
  if (grpc::Status s = small_request(*q, "SetEgressLink"); !s.ok()) return s;
  return service_.SetEgressLink(c, q, r);
}
grpc::Status BrokerEndpoint::ExplainPacket(grpc::ServerContext* c, const v1::ExplainPacketRequest* q,
                                           v1::ExplainPacketResponse* r) {
  if (grpc::Status s = small_request(*q, "ExplainPacket", kMaxExplainRequestBytes); !s.ok()) return s;
  return service_.ExplainPacket(c, q, r);
}

}  // namespace broker::daemon
