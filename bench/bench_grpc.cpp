// Control plane over loopback TCP: brokerd (soft card) in its own process, this client:
//   SetConfig latency (alternating two configurations that differ in membership, so every
//   call validates, programs the card and persists), GetCounters latency, and GetCounters
//   calls per second with 1 and 2 client threads. Baseline in the same run: GetCapabilities,
//   the cheapest RPC of the API (transport + dispatch cost).
//
//   bench_grpc --brokerd BIN --work DIR [--out TSV] [--calls N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "bench_common.h"
#include "broker/v1/broker.grpc.pb.h"

namespace bb = broker::bench;
namespace v1 = broker::v1;
using Clock = std::chrono::steady_clock;

namespace {

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

// Latencies in microseconds of `n` calls (after `warm` unmeasured ones).
std::vector<double> time_calls(int n, int warm, const std::function<void(int)>& call) {
  for (int i = 0; i < warm; ++i) call(i);
  std::vector<double> us;
  us.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    call(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return us;
}

void check(const grpc::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "bench_grpc: %s: %s\n", what, s.error_message().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokerd, work, out;
  int calls = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--brokerd") brokerd = v;
    else if (k == "--work") work = v;
    else if (k == "--out") out = v;
    else if (k == "--calls") calls = std::atoi(v.c_str());
  }
  if (brokerd.empty() || work.empty()) {
    std::fprintf(stderr, "usage: bench_grpc --brokerd BIN --work DIR [--out TSV] [--calls N]\n");
    return 2;
  }
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string state_dir = work + "/state";

  const pid_t pid = fork();
  if (pid == 0) {
    execl(brokerd.c_str(), brokerd.c_str(), "--listen", listen.c_str(), "--state-dir",
          state_dir.c_str(), "--log-level", "error", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto channel = grpc::CreateChannel(listen, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
    std::fprintf(stderr, "bench_grpc: brokerd did not come up on %s\n", listen.c_str());
    kill(pid, SIGTERM);
    return 1;
  }
  auto stub = v1::Broker::NewStub(channel);

  // Two configurations: four or five analyzers.
  bb::GroupParams p4, p5;
  p5.members = 5;
  v1::SetConfigRequest req[2];
  *req[0].mutable_config() = bb::make_config(p4);
  *req[1].mutable_config() = bb::make_config(p5);

  const int set_calls = std::max(100, calls / 20);
  const auto set_us = time_calls(set_calls, 10, [&](int i) {
    grpc::ClientContext ctx;
    v1::SetConfigResponse r;
    check(stub->SetConfig(&ctx, req[i % 2], &r), "SetConfig");
  });
  size_t snapshot_bytes = 0;
  const auto get_us = time_calls(calls, 200, [&](int) {
    grpc::ClientContext ctx;
    v1::CountersSnapshot r;
    check(stub->GetCounters(&ctx, v1::GetCountersRequest(), &r), "GetCounters");
    snapshot_bytes = r.ByteSizeLong();
  });
  const auto cap_us = time_calls(calls, 200, [&](int) {
    grpc::ClientContext ctx;
    v1::Capabilities r;
    check(stub->GetCapabilities(&ctx, v1::GetCapabilitiesRequest(), &r), "GetCapabilities");
  });

  // Throughput: each thread its own channel (own connection), calls back to back for 2 s.
  auto rps = [&](int threads, bool counters) {
    std::atomic<uint64_t> done{0};
    const auto end = Clock::now() + std::chrono::seconds(2);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        grpc::ChannelArguments args;
        args.SetInt("bench.thread", t);  // distinct arguments: distinct connections
        auto ch = grpc::CreateCustomChannel(listen, grpc::InsecureChannelCredentials(), args);
        auto s = v1::Broker::NewStub(ch);
        uint64_t n = 0;
        while (Clock::now() < end) {
          grpc::ClientContext ctx;
          if (counters) {
            v1::CountersSnapshot r;
            check(s->GetCounters(&ctx, v1::GetCountersRequest(), &r), "GetCounters");
          } else {
            v1::Capabilities r;
            check(s->GetCapabilities(&ctx, v1::GetCapabilitiesRequest(), &r), "GetCapabilities");
          }
          ++n;
        }
        done += n;
      });
    for (auto& t : ts) t.join();
    return double(done.load()) / 2.0;
  };
  const double get_rps1 = rps(1, true), get_rps2 = rps(2, true);
  const double cap_rps1 = rps(1, false), cap_rps2 = rps(2, false);

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);

  FILE* f = out.empty() ? stdout : std::fopen(out.c_str(), "w");
  std::fprintf(f, "metric\tvalue\n");
  std::fprintf(f, "setconfig_calls\t%d\n", set_calls);
  std::fprintf(f, "setconfig_p50_us\t%.1f\nsetconfig_p99_us\t%.1f\n", bb::percentile(set_us, 50),
               bb::percentile(set_us, 99));
  std::fprintf(f, "getcounters_calls\t%d\n", calls);
  std::fprintf(f, "getcounters_p50_us\t%.1f\ngetcounters_p99_us\t%.1f\n", bb::percentile(get_us, 50),
               bb::percentile(get_us, 99));
  std::fprintf(f, "getcapabilities_p50_us\t%.1f\ngetcapabilities_p99_us\t%.1f\n",
               bb::percentile(cap_us, 50), bb::percentile(cap_us, 99));
  std::fprintf(f, "getcounters_rps_1thread\t%.0f\ngetcounters_rps_2threads\t%.0f\n", get_rps1, get_rps2);
  std::fprintf(f, "getcapabilities_rps_1thread\t%.0f\ngetcapabilities_rps_2threads\t%.0f\n", cap_rps1,
               cap_rps2);
  std::fprintf(f, "counters_snapshot_bytes\t%zu\n", snapshot_bytes);
  if (f != stdout) std::fclose(f);
  return 0;
}
