#include "broker_service.h"

#include <chrono>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker_regmap.h"
#include "config_defaults.h"
#include "decision_log.h"

namespace broker::daemon {
namespace {

using grpc::Status;
using grpc::StatusCode;

// A status message travels in the response trailers, which gRPC caps at a few kB: a huge
// message would turn a precise refusal into RESOURCE_EXHAUSTED and cost the connection.
constexpr size_t kMaxIssuesListed = 20;
constexpr size_t kMaxStatusBytes = 2048;

std::string clip(std::string text) {
  if (text.size() <= kMaxStatusBytes) return text;
  const size_t cut = text.size() - (kMaxStatusBytes - 64);
  text.resize(kMaxStatusBytes - 64);
  return text + fmt::format("... ({} more bytes)", cut);
}

std::string issues_text(const std::vector<config::Issue>& issues) {
  std::string s;
  for (size_t i = 0; i < issues.size() && i < kMaxIssuesListed; ++i)
    s += (s.empty() ? "" : "\n") + issues[i].to_string();
  if (issues.size() > kMaxIssuesListed)
    s += fmt::format("\n... and {} more problems", issues.size() - kMaxIssuesListed);
  return s;
}

void add_issues(const std::vector<config::Issue>& issues,
                google::protobuf::RepeatedPtrField<v1::ConfigIssue>* out) {
  for (const auto& i : issues) {
    auto* w = out->Add();
    w->set_field(i.field);
    w->set_message(i.message);
  }
}

Status status_of(const driver::DriverError& e) {
  switch (e.code()) {
    case driver::DriverError::Code::kInvalidArgument: return Status(StatusCode::INVALID_ARGUMENT, e.what());
    case driver::DriverError::Code::kNotFound: return Status(StatusCode::NOT_FOUND, e.what());
    case driver::DriverError::Code::kFailedPrecondition: return Status(StatusCode::FAILED_PRECONDITION, e.what());
    case driver::DriverError::Code::kUnavailable: return Status(StatusCode::UNAVAILABLE, e.what());
  }
  return Status(StatusCode::INTERNAL, e.what());
}

Status clipped(const Status& s) {
  if (s.ok() || s.error_message().size() <= kMaxStatusBytes) return s;
  return Status(s.error_code(), clip(s.error_message()));
}

// Runs an RPC body, turning the driver's and the bus's exceptions into status codes.
template <typename F>
Status guarded_body(const char* rpc, F&& body) {
  try {
    return body();
  } catch (const driver::ConfigRefused& e) {
    return Status(StatusCode::INVALID_ARGUMENT, issues_text(e.result.errors));
  } catch (const driver::DriverError& e) {
    return status_of(e);
  } catch (const driver::BusError& e) {
    spdlog::error("rpc={} bus_error=\"{}\"", rpc, e.what());
    return Status(StatusCode::UNAVAILABLE, fmt::format("card access failed: {}", e.what()));
  } catch (const std::exception& e) {
    spdlog::error("rpc={} error=\"{}\"", rpc, e.what());
    return Status(StatusCode::INTERNAL, e.what());
  }
}

// The same, with the message clipped to what a response can carry.
template <typename F>
Status guarded(const char* rpc, F&& body) {
  return clipped(guarded_body(rpc, std::forward<F>(body)));
}

Status generation_mismatch(uint64_t expected, uint64_t current) {
  return Status(StatusCode::ABORTED,
                fmt::format("expected_generation is {} but the configuration is at generation {}: "
                            "another change came first; read it again and retry",
                            expected, current));
}

// The configured name of port p in an ingress or egress port list, or "".
template <typename Port>
std::string port_name(const google::protobuf::RepeatedPtrField<Port>& ports, uint32_t p) {
  for (const auto& x : ports)
    if (x.port() == p) return x.name();
  return "";
}

void fill_fields(const core::PacketFields& f, v1::ParsedFields* out) {
  out->set_eth_src(driver::format_mac(f.src_mac));
  out->set_eth_dst(driver::format_mac(f.dst_mac));
  out->set_ethertype(f.ethertype);
  if (f.vlan_count > 0) out->add_vlan_ids(f.vlan);  // only the outer tag is kept (DESIGN.md)
  if (f.has_mpls) out->add_mpls_labels(f.mpls);  // only the top label is kept
  out->set_ip_version(f.ip_version);
  out->set_ip_proto(f.l4_proto);
  out->set_src_ip(driver::format_ip(f.ip_version, f.src_ip));
  out->set_dst_ip(driver::format_ip(f.ip_version, f.dst_ip));
  out->set_has_l4(f.has_l4);
  out->set_src_port(f.src_port);
  out->set_dst_port(f.dst_port);
  out->set_has_gtp(f.has_gtp);
  out->set_gtp_teid(f.gtp_teid);
  out->set_gtp_inner_src(driver::format_ip(f.gtp_inner_version, f.gtp_inner_src));
  out->set_gtp_inner_dst(driver::format_ip(f.gtp_inner_version, f.gtp_inner_dst));
  out->set_fragment(f.fragment);
  out->set_malformed(f.malformed);
  out->set_depth_exceeded(f.depth_exceeded);
  out->set_tunnel(core::tunnel_name(f.tunnel));
  out->set_tunnel_id(f.tunnel_id);
  out->set_tunnel_src(driver::format_ip(f.tunnel_src_version, f.tunnel_src));
}

bool has_capture_binding(const v1::Config& c) {
  for (const auto& p : c.ingress_ports())
    if (p.binding().has_pcap_file()) return true;
  for (const auto& p : c.egress_ports())
    if (p.binding().has_pcap_file()) return true;
  return false;
}

}  // namespace

BrokerService::BrokerService(CardHandle card, StateStore store, const std::filesystem::path& capture_dir)
    : card_(std::move(card)), store_(std::move(store)) {
  driver_ = std::make_unique<driver::Driver>(*card_.bus);
  if (card_.soft) {
    captures_.emplace(capture_dir, store_.path().parent_path());
    ports_ = std::make_unique<SoftPorts>(*card_.soft, *captures_, store_.path().parent_path() / "inputs.progress");
  } else {
    shadow_card_ = std::make_unique<cards::SoftCard>();
    shadow_driver_ = std::make_unique<driver::Driver>(*shadow_card_);
  }
  if (auto saved = store_.load()) {
    const config::ValidationResult r = driver_->validate(saved->config());
    if (!r.ok())
      throw std::runtime_error(fmt::format("the saved configuration in {} is refused by this card:\n{}",
                                           store_.path().string(), r.summary()));
    // A binding that cannot start (a capture gone, a disk full) does not keep the broker
    // down: it is FAILED, with its reason, in GetCounters and here.
    std::vector<config::Issue> issues;
    std::unique_ptr<SoftPorts::Plan> plan;
    if (ports_) plan = ports_->prepare(saved->config(), issues);
    for (const auto& i : issues) spdlog::error("event=binding_failed field={} error=\"{}\"", i.field, i.message);
    driver_->apply(saved->config());
    if (ports_) ports_->install(std::move(plan), true);
    if (shadow_driver_) shadow_driver_->apply(saved->config());
    generation_ = saved->generation();
    spdlog::info("event=restored generation={} groups={} state_file={}", generation_.load(),
                 saved->config().groups_size(), store_.path().string());
  }
  link_thread_ = std::thread([this] { watch_links(); });
}

BrokerService::~BrokerService() {
  shutdown();
  if (link_thread_.joinable()) link_thread_.join();
  if (ports_) ports_->stop();
}

void BrokerService::watch_links() {
  while (!shutting_down_) {
    std::this_thread::sleep_for(kLinkPoll);
    try {
      std::lock_guard lock(mu_);
      on_link_changes(driver_->poll_links(), "wire");
    } catch (const std::exception& e) {
      spdlog::error("event=link_poll_failed error=\"{}\"", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

void BrokerService::on_link_changes(const std::vector<driver::LinkChange>& changes, const char* cause) {
  for (const auto& c : changes) {
    const std::string name = port_name(driver_->applied().egress_ports(), c.port);
    if (c.up)
      spdlog::info("event=link_up port={} name=\"{}\" cause={} buckets_moved={}", c.port, name, cause,
                   c.buckets_moved);
    else
      spdlog::warn("event=link_down port={} name=\"{}\" cause={} buckets_moved={}", c.port, name, cause,
                   c.buckets_moved);
    // Explanations run on a soft card programmed alike: it sees the same links.
    if (shadow_card_) shadow_card_->set_wire_link(uint8_t(c.port), c.up);
  }
  if (shadow_driver_ && !changes.empty()) shadow_driver_->poll_links();
}

void BrokerService::shutdown() { shutting_down_ = true; }

BrokerService::Prepared BrokerService::prepare(const v1::Config& next, bool open_files) {
  Prepared p;
  p.result = driver_->validate(next);
  if (!ports_) return p;
  for (auto& issue : ports_->check_paths(next)) p.result.errors.push_back(std::move(issue));
  if (!p.result.ok()) return p;
  if (open_files) {
    p.plan = ports_->prepare(next, p.result.errors);
    if (!p.result.ok()) ports_->abandon(std::move(p.plan));
  } else if (has_capture_binding(next)) {
    p.result.warnings.push_back({"binding", "the capture files were not opened (this caller may not look into "
                                            "the capture directory): only their paths were checked"});
  }
  return p;
}

Status BrokerService::commit(const v1::Config& next, std::unique_ptr<SoftPorts::Plan> plan) {
  auto abandon = [&] {
    if (ports_) ports_->abandon(std::move(plan));
  };
  if (generation_ == std::numeric_limits<uint64_t>::max()) {
    abandon();
    return Status(StatusCode::FAILED_PRECONDITION,
                  "the configuration generation is at its maximum (2^64-1): no further change can be numbered");
  }
  v1::PersistedState before;
  before.set_generation(generation_);
  *before.mutable_config() = driver_->applied();
  v1::PersistedState state;
  state.set_generation(generation_ + 1);
  *state.mutable_config() = next;
  try {
    store_.save(state);
  } catch (const std::exception& e) {
    // Not saved means not applied: nothing has changed yet.
    abandon();
    spdlog::error("event=persist_failed error=\"{}\"", e.what());
    return Status(StatusCode::UNAVAILABLE,
                  fmt::format("configuration not applied: it could not be saved ({})", e.what()));
  }
  std::lock_guard lock(mu_);
  try {
    driver_->apply(next);
  } catch (...) {
    // The card refused to be written (a bus error): the saved state goes back to what runs.
    abandon();
    try {
      store_.save(before);
    } catch (const std::exception& e) {
      spdlog::error("event=persist_failed error=\"{}\" while restoring generation {}", e.what(), before.generation());
    }
    throw;
  }
  if (ports_) ports_->install(std::move(plan), false);
  if (shadow_driver_) shadow_driver_->apply(next);
  ++generation_;
  return Status::OK;
}

Status BrokerService::GetCapabilities(grpc::ServerContext*, const v1::GetCapabilitiesRequest*,
                                      v1::Capabilities* out) {
  return guarded("GetCapabilities", [&] {
    std::lock_guard lock(mu_);
    const driver::CardIdentity& id = driver_->identity();
    out->set_api_version("broker.v1");
    out->set_software_version(BROKER_VERSION);
    out->set_card_kind(card_.kind);
    out->set_card_description(card_.bus->describe());
    out->mutable_data_path()->set_id(id.id);
    out->mutable_data_path()->set_version_major(id.version_major);
    out->mutable_data_path()->set_version_minor(id.version_minor);
    auto* l = out->mutable_limits();
    l->set_ingress_ports(id.wired_in_ports);
    l->set_egress_ports(id.wired_out_ports);
    l->set_groups(id.groups);
    l->set_members_per_group(id.members);
    l->set_filter_rules(driver_->limits().filters);
    l->set_buckets_per_group(1u << id.bucket_bits);
    l->set_parse_bytes(core::kParseBytes);
    l->set_key_bytes(core::kKeyBytes);
    const v1::Config& c = driver_->applied();
    for (uint32_t p = 0; p < id.wired_in_ports; ++p) {
      auto* pi = out->add_ingress_ports();
      pi->set_port(p);
      pi->set_name(port_name(c.ingress_ports(), p));
    }
    for (uint32_t p = 0; p < id.wired_out_ports; ++p) {
      auto* pi = out->add_egress_ports();
      pi->set_port(p);
      pi->set_name(port_name(c.egress_ports(), p));
      pi->set_speed_mbps(card_.bus->read32(regmap::OUT_SPEED_MBPS_at(p)));
    }
    for (int f = v1::TupleField_MIN + 1; f <= v1::TupleField_MAX; ++f)
      if (v1::TupleField_IsValid(f)) out->add_tuple_fields(v1::TupleField(f));
    out->add_hash_functions(v1::HASH_CRC32);
    out->add_hash_functions(v1::HASH_XOR16);
    out->add_selection_modes(v1::MODE_STATIC);
    out->add_selection_modes(v1::MODE_DYNAMIC);
    out->add_tunnel_types(v1::TUNNEL_GRE);
    out->add_tunnel_types(v1::TUNNEL_ERSPAN);
    out->add_tunnel_types(v1::TUNNEL_VXLAN);
    out->add_origination_types(v1::TUNNEL_GRE);
    out->add_origination_types(v1::TUNNEL_ERSPAN);
    out->add_erspan_versions(2);
    out->add_erspan_versions(3);
    return Status::OK;
  });
}

Status BrokerService::GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*, v1::GetConfigResponse* out) {
  std::lock_guard lock(mu_);
  *out->mutable_config() = driver_->applied();
  out->set_generation(generation_);
  return Status::OK;
}

Status BrokerService::SetConfig(grpc::ServerContext*, const v1::SetConfigRequest* req, v1::SetConfigResponse* out,
                                bool may_look) {
  return guarded("SetConfig", [&] {
    std::lock_guard change_lock(change_mu_);
    if (req->has_expected_generation() && req->expected_generation() != generation_)
      return generation_mismatch(req->expected_generation(), generation_);
    Prepared p = prepare(req->config(), !req->validate_only() || may_look);
    if (!p.result.ok()) {
      spdlog::warn("rpc=SetConfig result=refused errors={}", p.result.errors.size());
      return Status(StatusCode::INVALID_ARGUMENT, issues_text(p.result.errors));
    }
    add_issues(p.result.warnings, out->mutable_warnings());
    if (req->validate_only()) {
      if (ports_) ports_->abandon(std::move(p.plan));
      out->set_generation(generation_);
      out->set_applied(false);
      return Status::OK;
    }
    if (Status s = commit(req->config(), std::move(p.plan)); !s.ok()) return s;
    out->set_generation(generation_);
    out->set_applied(true);
    spdlog::info("rpc=SetConfig result=applied generation={} groups={} warnings={}", generation_.load(),
                 req->config().groups_size(), p.result.warnings.size());
    return Status::OK;
  });
}

Status BrokerService::change_membership(bool add, const v1::GroupMemberRequest& req, v1::GroupMemberResponse* out) {
  return guarded(add ? "AddGroupMember" : "RemoveGroupMember", [&] {
    std::lock_guard change_lock(change_mu_);
    if (req.has_expected_generation() && req.expected_generation() != generation_)
      return generation_mismatch(req.expected_generation(), generation_);
    if (req.group().empty()) return Status(StatusCode::INVALID_ARGUMENT, "group: a group name is required");
    if (req.port() >= driver_->identity().wired_out_ports)
      return Status(StatusCode::INVALID_ARGUMENT,
                    fmt::format("port: egress port {} does not exist (0 to {})", req.port(),
                                driver_->identity().wired_out_ports - 1));
    auto buckets = [&] {
      std::lock_guard lock(mu_);
      std::map<uint32_t, uint32_t> b;
      for (const auto& g : driver_->counters().groups)
        if (g.name == req.group())
          for (const auto& m : g.members) b[m.port] = m.buckets;
      return b;
    };
    const auto before = buckets();
    const v1::Config next = driver_->with_member(req.group(), req.port(), add);
    Prepared p = prepare(next, true);
    if (!p.result.ok()) return Status(StatusCode::INVALID_ARGUMENT, issues_text(p.result.errors));
    if (Status s = commit(next, std::move(p.plan)); !s.ok()) return s;
    uint32_t moved = 0;
    for (const auto& [port, n] : buckets()) {
      const uint32_t was = before.count(port) ? before.at(port) : 0;
      if (n > was) moved += n - was;
    }
    out->set_generation(generation_);
    out->set_buckets_moved(moved);
    add_issues(p.result.warnings, out->mutable_warnings());
    spdlog::info("rpc={} group=\"{}\" port={} buckets_moved={} generation={}",
                 add ? "AddGroupMember" : "RemoveGroupMember", req.group(), req.port(), moved,
                 generation_.load());
    return Status::OK;
  });
}

Status BrokerService::AddGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest* req, v1::GroupMemberResponse* out) {
  return change_membership(true, *req, out);
}

Status BrokerService::RemoveGroupMember(grpc::ServerContext*, const v1::GroupMemberRequest* req, v1::GroupMemberResponse* out) {
  return change_membership(false, *req, out);
}

void BrokerService::snapshot(v1::CountersSnapshot* out) {
  std::lock_guard lock(mu_);
  // Binding states first, counters after: a capture reported done has then had every one of
  // its frames counted (the other order could pair "done" with counters read before the end).
  std::vector<IngressStatus> bindings;
  std::vector<EgressStatus> outputs;
  if (ports_) {
    bindings = ports_->ingress_status();
    outputs = ports_->egress_status();
  }
  const driver::Counters c = driver_->counters();
  const v1::Config& cfg = driver_->applied();
  out->set_timestamp_ns(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count()));
  out->set_generation(generation_);
  for (uint32_t p = 0; p < c.rx.size(); ++p) {
    auto* i = out->add_ingress();
    i->set_port(p);
    i->set_name(port_name(cfg.ingress_ports(), p));
    i->set_packets(c.rx[p].packets);
    i->set_bytes(c.rx[p].bytes);
    i->set_drops(c.rx[p].drops);
    i->set_tunnel_terminated(c.rx[p].tunnel_terminated);
    i->set_tunnel_passed(c.rx[p].tunnel_passed);
    i->set_tunnel_fragments(c.rx[p].tunnel_fragments);
    if (p < bindings.size()) {
      i->set_binding_state(bindings[p].state);
      i->set_binding(bindings[p].binding);
      i->set_binding_error(bindings[p].error);
      i->set_resumed_after(bindings[p].resumed_after);
    } else {
      i->set_binding_state(v1::BINDING_NONE);
    }
  }
  for (uint32_t p = 0; p < c.tx.size(); ++p) {
    auto* e = out->add_egress();
    e->set_port(p);
    e->set_name(port_name(cfg.egress_ports(), p));
    e->set_packets(c.tx[p].packets);
    e->set_bytes(c.tx[p].bytes);
    e->set_drops(c.tx[p].drops);
    e->set_utilization_bp(c.tx[p].util_bp);
    e->set_peak_utilization_bp(c.tx[p].peak_bp);
    e->set_speed_mbps(card_.bus->read32(regmap::OUT_SPEED_MBPS_at(p)));
    e->set_link_up(c.tx[p].link_up);
    e->set_admin_down(c.tx[p].admin_down);
    e->set_link_downs(c.tx[p].link_downs);
    if (p < outputs.size()) {
      e->set_binding_state(outputs[p].state);
      e->set_binding(outputs[p].binding);
      e->set_binding_error(outputs[p].error);
      e->set_unwritten(outputs[p].unwritten);
    } else {
      e->set_binding_state(v1::BINDING_NONE);
    }
  }
  for (const auto& g : c.groups) {
    auto* o = out->add_groups();
    o->set_name(g.name);
    o->set_index(g.index);
    o->set_packets(g.packets);
    o->set_new_flows(g.new_flows);
    for (const auto& m : g.members) {
      auto* mo = o->add_members();
      mo->set_port(m.port);
      mo->set_buckets(m.buckets);
      mo->set_link_up(m.link_up);
      if (m.port < c.tx.size()) {
        mo->set_packets(c.tx[m.port].packets);
        mo->set_utilization_bp(c.tx[m.port].util_bp);
      }
    }
  }
  auto* d = out->mutable_data_path();
  d->set_malformed(c.malformed);
  d->set_fragments(c.fragments);
  d->set_depth_exceeded(c.depth_exceeded);
  d->set_unmapped_drops(c.unmapped_drops);
  d->set_threshold_avoids(c.threshold_avoids);
  d->set_fragment_follows(c.frag_follows);
  d->set_fragment_misses(c.frag_misses);
  d->set_csr_timeouts(c.csr_timeouts);
  d->set_filter_drops(c.filter_drops);
  for (const auto& f : c.filters) {
    auto* o = out->add_filters();
    o->set_name(f.name);
    o->set_index(f.index);
    o->set_packets(f.packets);
    o->set_bytes(f.bytes);
  }
}

Status BrokerService::GetCounters(grpc::ServerContext*, const v1::GetCountersRequest*, v1::CountersSnapshot* out) {
  return guarded("GetCounters", [&] {
    snapshot(out);
    return Status::OK;
  });
}

Status BrokerService::StreamCounters(grpc::ServerContext* ctx, const v1::StreamCountersRequest* req,
                                     grpc::ServerWriter<v1::CountersSnapshot>* writer) {
  const uint32_t interval_ms = req->interval_ms() == 0 ? 1000 : req->interval_ms();
  if (interval_ms < 10)
    return Status(StatusCode::INVALID_ARGUMENT,
                  fmt::format("interval_ms: {} is below the minimum of 10", interval_ms));
  return guarded("StreamCounters", [&] {
    for (uint32_t sent = 0; req->count() == 0 || sent < req->count(); ++sent) {
      if (sent > 0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
        while (std::chrono::steady_clock::now() < until) {
          if (ctx->IsCancelled() || shutting_down_) return Status::OK;
          std::this_thread::sleep_for(std::chrono::milliseconds(std::min<uint32_t>(interval_ms, 20)));
        }
      }
      v1::CountersSnapshot snap;
      snapshot(&snap);
      if (!writer->Write(snap)) return Status::OK;  // the client went away
    }
    return Status::OK;
  });
}

Status BrokerService::ClearCounters(grpc::ServerContext*, const v1::ClearCountersRequest*, v1::ClearCountersResponse*) {
  return guarded("ClearCounters", [&] {
    std::lock_guard lock(mu_);
    driver_->clear_counters();
    spdlog::info("rpc=ClearCounters");
    return Status::OK;
  });
}

Status BrokerService::SetEgressLink(grpc::ServerContext*, const v1::SetEgressLinkRequest* req,
                                    v1::SetEgressLinkResponse* out) {
  return guarded("SetEgressLink", [&] {
    std::lock_guard lock(mu_);
    // Changes the wire made before this one are acted on (and logged) as theirs.
    on_link_changes(driver_->poll_links(), "wire");
    const std::vector<driver::LinkChange> changes = driver_->set_admin_down(req->port(), req->admin_down());
    spdlog::info("rpc=SetEgressLink port={} admin_down={}", req->port(), req->admin_down());
    on_link_changes(changes, "admin");
    for (const auto& c : changes)
      if (c.port == req->port()) out->set_buckets_moved(c.buckets_moved);
    out->set_link_up(driver_->link_status() >> req->port() & 1);
    return Status::OK;
  });
}

Status BrokerService::ExplainPacket(grpc::ServerContext*, const v1::ExplainPacketRequest* req,
                                    v1::ExplainPacketResponse* out) {
  return guarded("ExplainPacket", [&] {
    const std::string& frame = req->frame();
    if (frame.size() < size_t(core::kMinFrame) || frame.size() > size_t(core::kMaxFrame))
      return Status(StatusCode::INVALID_ARGUMENT,
                    fmt::format("frame: {} bytes; an Ethernet frame has {} to {} bytes", frame.size(),
                                core::kMinFrame, core::kMaxFrame));
    std::lock_guard lock(mu_);
    if (req->ingress_port() >= driver_->identity().wired_in_ports)
      return Status(StatusCode::INVALID_ARGUMENT,
                    fmt::format("ingress_port: {} does not exist (0 to {})", req->ingress_port(),
                                driver_->identity().wired_in_ports - 1));
    const cards::SoftCard& card = card_.soft ? *card_.soft : *shadow_card_;
    const auto* bytes = reinterpret_cast<const uint8_t*>(frame.data());
    const core::FrameResult r = card.explain(uint8_t(req->ingress_port()), bytes, uint32_t(frame.size()));
    const core::Decision& d = r.decision;
    fill_fields(r.fields, out->mutable_fields());
    out->set_key(reinterpret_cast<const char*>(r.key), core::kKeyBytes);
    out->set_hash(d.hash);
    out->set_bucket(d.bucket);
    out->set_mapped(d.group != core::kNoGroup);
    std::string group_name;
    for (const auto& g : driver_->applied().groups())
      if (driver_->group_index(g.name()) == d.group) group_name = g.name();
    out->set_group(group_name);
    out->set_group_index(d.group == core::kNoGroup ? 0 : d.group);
    out->set_dropped(d.out_port == core::kNoPort);
    out->set_member_port(d.out_port == core::kNoPort ? 0 : d.out_port);
    out->set_member_slot(d.slot);
    out->set_frag_follow(d.frag_follow);
    auto name_of = [&](int index) {
      for (const auto& g : driver_->applied().groups())
        if (driver_->group_index(g.name()) == uint32_t(index)) return g.name();
      return std::string();
    };
    std::vector<std::string> copies;
    for (int g = 0; g < core::kGroups; ++g) {
      if (!(d.copy_groups >> g & 1)) continue;
      auto* c = out->add_copies();
      c->set_group(name_of(g));
      c->set_group_index(uint32_t(g));
      c->set_dropped(d.port_of[g] == core::kNoPort);
      c->set_member_port(d.port_of[g] == core::kNoPort ? 0 : d.port_of[g]);
      copies.push_back(d.port_of[g] == core::kNoPort ? fmt::format("group '{}' has no live member", c->group())
                                                     : fmt::format("group '{}' -> egress port {}", c->group(), d.port_of[g]));
    }
    if (d.group == core::kNoGroup)
      out->set_reason(fmt::format("ingress port {} maps to no group: the frame is dropped", req->ingress_port()));
    else if (d.out_port == core::kNoPort)
      out->set_reason(fmt::format("group '{}' has no live member: the frame is dropped", group_name));
    else if (d.frag_follow)
      out->set_reason(fmt::format("a later IP fragment whose first fragment went to egress port {}: it "
                                  "follows there (its fallback-key hash 0x{:08x} -> bucket {} of group '{}')",
                                  d.out_port, d.hash, d.bucket, group_name));
    else
      out->set_reason(fmt::format("hash 0x{:08x} -> bucket {} of group '{}' -> member slot {} -> egress port {}{}",
                                  d.hash, d.bucket, group_name, d.slot, d.out_port,
                                  d.frag_miss ? " (a later IP fragment whose first fragment is not "
                                                "remembered: its fallback key decides)"
                                  : d.new_flow ? " (dynamic: a free bucket would be assigned now)"
                                               : ""));
    if (r.fields.tunnel != 0)
      out->set_reason(fmt::format("{} tunnel (ID {}) from {} terminated: the inner frame is what is decided; {}",
                                  core::tunnel_name(r.fields.tunnel), r.fields.tunnel_id,
                                  driver::format_ip(r.fields.tunnel_src_version, r.fields.tunnel_src),
                                  out->reason()));
    if (d.seg_vid != 0 && d.out_port != core::kNoPort)
      out->set_reason(fmt::format("{}; it leaves with segment tag VLAN {}", out->reason(), d.seg_vid));
    if (copies.size() > 1)
      out->set_reason(fmt::format("{}; one copy per group: {}", out->reason(), fmt::join(copies, "; ")));
    // Every port that gets a copy and wraps it in a tunnel to a remote analyzer.
    for (const auto& e : driver_->applied().egress_ports()) {
      if (e.port() >= core::kOutPorts || !(d.out_mask >> e.port() & 1) || !e.has_tunnel()) continue;
      const auto& t = e.tunnel();
      const std::string kind = t.type() == v1::TUNNEL_ERSPAN ? fmt::format("ERSPAN type {}", t.erspan_version() == 3 ? "III" : "II")
                                                            : std::string("GRE");
      out->set_reason(fmt::format("{}; egress port {} wraps it in {} from {} to {}{}", out->reason(), e.port(), kind,
                                  t.src_ip(), t.dst_ip(),
                                  t.slice_bytes() != 0 ? fmt::format(", cut to {} bytes first", t.slice_bytes()) : ""));
    }
    const std::vector<std::string> filters = driver_->filter_names();
    if (d.filtered) {
      const std::string name = d.rule < filters.size() ? filters[d.rule] : fmt::format("rule {}", d.rule);
      out->mutable_fields()->set_filter(name);
      out->set_reason(d.filter_drop ? fmt::format("filter '{}' matched first: the frame is dropped", name)
                                    : fmt::format("filter '{}' matched first: {}", name, out->reason()));
    }
    out->set_decision_log_row(driver::DecisionLogWriter::format_row(1, uint8_t(req->ingress_port()), 0,
                                                                    uint32_t(frame.size()), r, filters));
    return Status::OK;
  });
}

}  // namespace broker::daemon
