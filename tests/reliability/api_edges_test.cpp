// Edges of the API (ctest label `reliability`), through the real brokerd.
// Found: a request that is not a valid protobuf message got INTERNAL with an empty message
// (it read as a daemon bug); a change at generation 2^64-1 wrapped the generation to 0, so
// expected_generation checks could match an old configuration again.
#include <zlib.h>

#include <cstdio>
#include <limits>

#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/client_unary_call.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

TEST(ApiEdges, AnUnparseableRequestIsInvalidArgumentNamingTheMethod) {
  TempDir dir("brokerd-unparseable");
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  {
  auto channel = d.channel();
  const char garbage[] = "\xff\xff\xff\x07";  // field 0x1fffff..., then a truncated varint
  for (const char* method : {"/broker.v1.Broker/GetConfig", "/broker.v1.Broker/SetConfig"}) {
    grpc::Slice slice(garbage, sizeof garbage - 1);
    grpc::ByteBuffer request(&slice, 1), response;
    auto cx = ctx(5s);
    const grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel.get(), grpc::internal::RpcMethod(method, grpc::internal::RpcMethod::NORMAL_RPC), cx.get(), request,
        &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method << ": " << status_text(s);
    EXPECT_NE(s.error_message().find(std::string(method) + ": the request could not be parsed"), std::string::npos)
        << s.error_message();
  }
  // A valid request still works afterwards.
  EXPECT_GT(get_counters(*d.stub()).ingress_size(), 0);
  }
  EXPECT_TRUE(d.stop());
}

// Rewrites the state file's generation, with a valid checksum (as a long-lived daemon would
// have saved it).
void set_saved_generation(const std::filesystem::path& state, uint64_t generation) {
  std::string text = read_file(state);
  const std::string trailer = "# end of state, crc32 ";
  std::string body = text.substr(0, text.rfind(trailer));
  const size_t at = body.find("generation: ");
  ASSERT_NE(at, std::string::npos) << body;
  body.replace(at, body.find('\n', at) - at, "generation: " + std::to_string(generation));
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08lx", crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size())));
  write_file(state, body + trailer + crc + "\n");
}

TEST(ApiEdges, TheLastGenerationRefusesFurtherChangesInsteadOfWrapping) {
  TempDir dir("brokerd-generation");
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(apply_config(*d.stub(), seed_config()));
  ASSERT_TRUE(d.stop());
  constexpr uint64_t kLast = std::numeric_limits<uint64_t>::max();
  set_saved_generation(d.state_file(), kLast);
  const std::string saved = read_file(d.state_file());

  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  EXPECT_EQ(get_counters(*stub).generation(), kLast);
  v1::SetConfigRequest req;
  *req.mutable_config() = seed_config();
  req.mutable_config()->set_name("another");
  v1::SetConfigResponse resp;
  {
    auto cx = ctx();
    const grpc::Status s = stub->SetConfig(cx.get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status_text(s);
    EXPECT_NE(s.error_message().find("2^64-1"), std::string::npos) << s.error_message();
  }
  {
    v1::GroupMemberRequest m;
    m.set_group(seed_config().groups(0).name());
    m.set_port(seed_config().groups(0).members(0));
    v1::GroupMemberResponse r;
    auto cx = ctx();
    const grpc::Status s = stub->RemoveGroupMember(cx.get(), m, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status_text(s);
  }
  EXPECT_EQ(get_counters(*stub).generation(), kLast);
  EXPECT_EQ(read_file(d.state_file()), saved);
  stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
