// brokerd: the packet broker daemon. Programs a card through the driver, serves the
// broker.v1 gRPC API (with server reflection and the standard health service), persists
// every applied configuration and restores it at start.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "broker_service.h"
#include "card_factory.h"
#include "listen_address.h"
#include "state_store.h"

int main(int argc, char** argv) {
  CLI::App app{"brokerd: the packet broker daemon (gRPC API broker.v1.Broker)"};
  broker::daemon::CardOptions card;
  std::string listen = "unix:/run/brokerd/brokerd.sock";
  std::string state_dir = "/var/lib/brokerd";
  std::string log_level = "info";
  bool insecure_remote = false;
  app.add_option("--card", card.kind, "soft (default), xrt or verilator")
      ->check(CLI::IsMember({"soft", "xrt", "verilator"}));
  app.add_option("--listen", listen, "unix:PATH (default, mode 0660) or HOST:PORT");
  app.add_option("--state-dir", state_dir, "Where the applied configuration is kept");
  app.add_option("--device", card.device, "xrt: card BDF (0000:3b:00.0) or index");
  app.add_option("--xclbin", card.xclbin, "xrt: the xclbin to load");
  app.add_option("--kernel", card.kernel, "xrt: the data path's compute unit name");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("--allow-insecure-remote", insecure_remote,
               "Listen on a non-loopback TCP address without TLS (anyone who reaches it can reconfigure)");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z brokerd %l %v");

  // Signals are taken by one thread with sigwait, so gRPC's threads never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<broker::daemon::BrokerService> service;
  std::unique_ptr<grpc::Server> server;
  broker::daemon::ListenAddress address;
  try {
    address = broker::daemon::parse_listen_address(listen, insecure_remote);
    if (!address.warning.empty()) spdlog::warn("{}", address.warning);
    service = std::make_unique<broker::daemon::BrokerService>(broker::daemon::open_card(card),
                                                              broker::daemon::StateStore(state_dir));

    if (address.unix_path) {
      std::filesystem::create_directories(std::filesystem::path(*address.unix_path).parent_path());
      ::unlink(address.unix_path->c_str());  // a socket left by a previous run
    }
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    int bound_port = 0;
    builder.AddListeningPort(address.grpc_target, grpc::InsecureServerCredentials(),
                             address.unix_path ? nullptr : &bound_port);
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    if (!server) throw std::runtime_error(fmt::format("cannot listen on {}", listen));
    if (address.unix_path) ::chmod(address.unix_path->c_str(), 0660);
    spdlog::info("event=started card={} listen={}{} state_dir={} generation={}", card.kind, listen,
                 bound_port ? fmt::format(" port={}", bound_port) : "", state_dir, service->generation());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    fmt::print(stderr, "brokerd: {}\n", e.what());
    return 1;
  }

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("event=stopping signal={}", strsignal(sig));
    service->shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  server->Wait();
  waiter.join();
  service.reset();
  if (address.unix_path) ::unlink(address.unix_path->c_str());
  spdlog::info("event=stopped");
  return 0;
}
