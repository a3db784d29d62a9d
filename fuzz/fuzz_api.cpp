// libFuzzer target: the gRPC handlers of brokerd (sw/daemon/broker_service.cpp), called
// in-process on a real BrokerService over a soft card with its state in a temporary directory.
//
// Input: up to 8 records, each [op][len lo][len hi][len bytes of a serialized request]
// (a short last record takes what is left):
//   op % 6: 0 SetConfigRequest, 1 AddGroupMember, 2 RemoveGroupMember (GroupMemberRequest),
//           3 ExplainPacketRequest, 4 GetConfig + GetCounters + GetCapabilities, 5 ClearCounters
// Bytes that do not parse as the request (ParseFromArray) end the input, as gRPC would refuse
// them before the handler. Every service starts from examples/seed.conf (so membership
// changes have a group to work on).
//
// Checked, besides ASan/UBSan: handlers never throw; every status is from the set
// broker.proto documents (OK, INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ABORTED,
// UNAVAILABLE); a refused request (or validate_only) changes neither the configuration nor the
// generation; an applied one bumps the generation by exactly one; INVALID_ARGUMENT names a
// field or the configuration; at the end a second service restored from the state directory
// (a restart) has the same configuration and generation.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpc/grpc.h>
#include <grpcpp/server_context.h>
#include <spdlog/spdlog.h>

#include "broker_service.h"
#include "config_loader.h"
#include "soft_card.h"
#include "state_store.h"

namespace v1 = broker::v1;
using broker::daemon::BrokerService;
using grpc::StatusCode;

namespace {

std::filesystem::path g_dir;       // per-process scratch: state/ and bound capture files
v1::Config g_seed;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_api: invariant violated: %s\n", what.c_str());
  std::abort();
}

bool equal(const v1::Config& a, const v1::Config& b, std::string* diff = nullptr) {
  google::protobuf::util::DefaultFieldComparator cmp;
  cmp.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer d;
  d.set_field_comparator(&cmp);
  if (diff) d.ReportDifferencesToString(diff);
  return d.Compare(a, b);
}

std::unique_ptr<BrokerService> make_service() {
  broker::daemon::CardHandle card;
  card.kind = "soft";
  auto soft = std::make_unique<broker::cards::SoftCard>();
  card.soft = soft.get();
  card.bus = std::move(soft);
  return std::make_unique<BrokerService>(std::move(card), broker::daemon::StateStore(g_dir / "state"), g_dir);
}

// Bindings would open files and interfaces named by the input: keep the pace (validated) but
// point every binding into the scratch directory (an ingress capture there does not exist,
// so such a configuration is refused; an egress capture is written there).
void tame_bindings(v1::Config* c) {
  for (auto& p : *c->mutable_ingress_ports())
    if (p.has_binding() && p.binding().target_case() != v1::PortBinding::TARGET_NOT_SET)
      p.mutable_binding()->set_pcap_file((g_dir / "missing.pcap").string());
  for (auto& p : *c->mutable_egress_ports())
    if (p.has_binding() && p.binding().target_case() != v1::PortBinding::TARGET_NOT_SET)
      p.mutable_binding()->set_pcap_file((g_dir / ("out" + std::to_string(p.port() % 16) + ".pcap")).string());
}

bool documented(StatusCode c) {
  switch (c) {
    case StatusCode::OK:
    case StatusCode::INVALID_ARGUMENT:
    case StatusCode::NOT_FOUND:
    case StatusCode::FAILED_PRECONDITION:
    case StatusCode::ABORTED:
    case StatusCode::UNAVAILABLE:
      return true;
    default:
      return false;
  }
}

struct Snapshot {
  v1::Config config;
  uint64_t generation;
};

Snapshot snapshot(BrokerService& s) {
  grpc::ServerContext ctx;
  v1::GetConfigRequest req;
  v1::GetConfigResponse resp;
  const grpc::Status st = s.GetConfig(&ctx, &req, &resp);
  if (!st.ok()) fail("GetConfig: " + st.error_message());
  if (resp.generation() != s.generation()) fail("GetConfig generation differs from the service's");
  return {resp.config(), resp.generation()};
}

void check_status(const char* rpc, const grpc::Status& st) {
  if (!documented(st.error_code()))
    fail(std::string(rpc) + " answered undocumented status " + std::to_string(int(st.error_code())) + ": " +
         st.error_message());
  if (st.error_code() == StatusCode::INVALID_ARGUMENT && st.error_message().empty())
    fail(std::string(rpc) + ": INVALID_ARGUMENT without a message naming the field");
}

// A change that did not happen leaves no trace; one that did moves the generation by one.
void check_change(const char* rpc, const Snapshot& before, const Snapshot& after, bool changed) {
  if (!changed) {
    std::string diff;
    if (after.generation != before.generation)
      fail(std::string(rpc) + ": generation moved on a refused/validate-only request");
    if (!equal(before.config, after.config, &diff))
      fail(std::string(rpc) + ": configuration changed on a refused/validate-only request:\n" + diff);
  } else if (after.generation != before.generation + 1) {
    fail(std::string(rpc) + ": an applied change moved the generation by " +
         std::to_string(after.generation - before.generation));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  grpc_init();
  const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";  // fsync is cheap there
  g_dir = std::filesystem::path(base) / ("fuzz_api." + std::to_string(getpid()));
  std::filesystem::create_directories(g_dir);
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  g_seed = broker::config::load_config_file(std::filesystem::path(BROKER_SOURCE_DIR) / "examples/seed.conf");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  std::error_code ec;
  std::filesystem::remove_all(g_dir / "state", ec);
  std::filesystem::create_directories(g_dir / "state");

  auto svc = make_service();
  {
    grpc::ServerContext ctx;
    v1::SetConfigRequest req;
    *req.mutable_config() = g_seed;
    v1::SetConfigResponse resp;
    const grpc::Status st = svc->SetConfig(&ctx, &req, &resp);
    if (!st.ok()) fail("the seed configuration was refused: " + st.error_message());
  }

  size_t at = 0;
  for (int rec = 0; rec < 8 && at < size; ++rec) {
    const uint8_t op = data[at] % 6;
    size_t len = at + 2 < size ? size_t(data[at + 1]) | size_t(data[at + 2]) << 8 : 0;
    at += 3;
    if (at > size) at = size;
    if (len > size - at) len = size - at;
    const uint8_t* p = data + at;
    at += len;

    grpc::ServerContext ctx;
    const Snapshot before = snapshot(*svc);
    if (op == 0) {
      v1::SetConfigRequest req;
      if (!req.ParseFromArray(p, int(len))) break;
      tame_bindings(req.mutable_config());
      v1::SetConfigResponse resp;
      const grpc::Status st = svc->SetConfig(&ctx, &req, &resp);
      check_status("SetConfig", st);
      const Snapshot after = snapshot(*svc);
      const bool applied = st.ok() && !req.validate_only();
      check_change("SetConfig", before, after, applied);
      if (st.ok() && resp.applied() != applied) fail("SetConfig: applied flag wrong");
      if (st.ok() && resp.generation() != after.generation) fail("SetConfig: response generation wrong");
      if (applied) {
        std::string diff;
        if (!equal(after.config, req.config(), &diff)) fail("SetConfig: GetConfig differs from what was set:\n" + diff);
      }
    } else if (op == 1 || op == 2) {
      v1::GroupMemberRequest req;
      if (!req.ParseFromArray(p, int(len))) break;
      v1::GroupMemberResponse resp;
      const grpc::Status st = op == 1 ? svc->AddGroupMember(&ctx, &req, &resp)
                                      : svc->RemoveGroupMember(&ctx, &req, &resp);
      const char* rpc = op == 1 ? "AddGroupMember" : "RemoveGroupMember";
      check_status(rpc, st);
      check_change(rpc, before, snapshot(*svc), st.ok());
    } else if (op == 3) {
      v1::ExplainPacketRequest req;
      if (!req.ParseFromArray(p, int(len))) break;
      v1::ExplainPacketResponse resp;
      const grpc::Status st = svc->ExplainPacket(&ctx, &req, &resp);
      check_status("ExplainPacket", st);
      check_change("ExplainPacket", before, snapshot(*svc), false);
      if (st.ok() && resp.key().size() != 96) fail("ExplainPacket: key is not 96 bytes");
    } else if (op == 4) {
      v1::GetCountersRequest creq;
      v1::CountersSnapshot counters;
      check_status("GetCounters", svc->GetCounters(&ctx, &creq, &counters));
      v1::GetCapabilitiesRequest kreq;
      v1::Capabilities caps;
      check_status("GetCapabilities", svc->GetCapabilities(&ctx, &kreq, &caps));
    } else {
      v1::ClearCountersRequest req;
      v1::ClearCountersResponse resp;
      check_status("ClearCounters", svc->ClearCounters(&ctx, &req, &resp));
      check_change("ClearCounters", before, snapshot(*svc), false);
    }
  }

  // A restart restores exactly what was applied last.
  const Snapshot last = snapshot(*svc);
  svc.reset();
  std::unique_ptr<BrokerService> again;
  try {
    again = make_service();
  } catch (const std::exception& e) {
    fail(std::string("restart from the saved state failed: ") + e.what());
  }
  const Snapshot restored = snapshot(*again);
  std::string diff;
  if (restored.generation != last.generation) fail("restart: generation differs");
  if (!equal(restored.config, last.config, &diff)) fail("restart: configuration differs:\n" + diff);
  return 0;
}
