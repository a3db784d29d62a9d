// brokerd: the packet broker daemon. Programs a card through the driver, serves the
// broker.v1 gRPC API (with server reflection and the standard health service), persists
// every applied configuration and restores it at start.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <spdlog/spdlog.h>

#include "broker_service.h"
#include "card_factory.h"
#include "endpoint.h"
#include "instance_lock.h"
#include "listen_address.h"
#include "endpoint_limits.h"
#include "request_parse_errors.h"
#include "unix_listener.h"
#include "state_store.h"

namespace {

struct TlsOptions {
  std::string cert, key, client_ca;
  bool enabled() const { return !cert.empty(); }
};

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} {}: cannot be read", what, path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<grpc::ServerCredentials> credentials(const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions o(tls.client_ca.empty()
                                          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_key_cert_pairs.push_back({read_file(tls.key, "--tls-key"), read_file(tls.cert, "--tls-cert")});
  if (!tls.client_ca.empty()) o.pem_root_certs = read_file(tls.client_ca, "--tls-client-ca");
  return grpc::SslServerCredentials(o);
}

struct Listener {
  broker::daemon::ListenAddress address;
  broker::daemon::EndpointLimits limits = broker::daemon::kAdminEndpointLimits;
  mode_t socket_mode = 0660;    // Unix sockets: who may connect is who may open the file
  std::string socket_group;
  std::unique_ptr<broker::daemon::BrokerEndpoint> endpoint;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<broker::daemon::UnixListener> unix_listener;
  int port = 0;
};

void start(Listener& l, const std::string& text, const TlsOptions& tls) {
  grpc::ServerBuilder builder;
  // Two daemons must not share a TCP port: gRPC would otherwise set SO_REUSEPORT and the
  // kernel would split clients between them.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, broker::daemon::kMaxStreamsPerConnection);
  builder.SetMaxReceiveMessageSize(broker::daemon::kMaxRequestBytes);
  grpc::ResourceQuota quota(text);
  quota.SetMaxThreads(l.limits.max_threads);
  builder.SetResourceQuota(quota);
  // A Unix socket's connections are accepted by brokerd itself (UnixListener), which caps
  // them; TLS does not apply there (the file's permissions decide who gets in).
  if (!l.address.unix_path) builder.AddListeningPort(l.address.grpc_target, credentials(tls), &l.port);
  builder.RegisterService(l.endpoint.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(broker::daemon::request_parse_errors());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  if (l.address.unix_path) {
    const std::string& path = *l.address.unix_path;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    // Only a socket left by a previous run that is gone is removed; anything else is refused.
    broker::daemon::clear_stale_unix_socket(path, l.address.option);
    l.unix_listener = std::make_unique<broker::daemon::UnixListener>(path, l.socket_mode, l.socket_group,
                                                                     l.address.option, l.limits.max_connections);
  }
  l.server = builder.BuildAndStart();
  if (!l.server) throw std::runtime_error(fmt::format("cannot listen on {}", text));
  if (l.unix_listener) l.unix_listener->serve(*l.server);
}

// Raises the soft limit on open files to the hard one (at most kFdWanted); refuses to go on
// below kFdFloor, where the caps of the endpoints could no longer be honoured.
void ensure_fd_budget() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  const rlim_t want = std::min<rlim_t>(r.rlim_max, broker::daemon::kFdWanted);
  if (r.rlim_cur < want) {
    r.rlim_cur = want;
    ::setrlimit(RLIMIT_NOFILE, &r);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  if (r.rlim_cur < broker::daemon::kFdFloor)
    throw std::runtime_error(fmt::format(
        "the open file limit is {} (hard limit {}): brokerd needs at least {}; raise it (ulimit -n, or "
        "LimitNOFILE= in the service unit)",
        uint64_t(r.rlim_cur), uint64_t(r.rlim_max), broker::daemon::kFdFloor));
  spdlog::debug("event=fd_budget soft_limit={}", uint64_t(r.rlim_cur));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"brokerd: the packet broker daemon (gRPC API broker.v1.Broker)"};
  broker::daemon::CardOptions card;
  std::string listen = "unix:/run/brokerd/brokerd.sock", listen_ro;
  std::string socket_group, ro_socket_group;
  std::string state_dir = "/var/lib/brokerd";
  std::string capture_dir;
  std::string log_level = "info";
  TlsOptions tls;
  std::vector<std::string> admin_cns;
  bool insecure_remote = false;
  app.add_option("--card", card.kind, "soft (default), xrt or verilator")
      ->check(CLI::IsMember({"soft", "xrt", "verilator"}));
  app.add_option("--listen", listen, "Read-write endpoint: unix:PATH (default, mode 0660) or HOST:PORT");
  app.add_option("--listen-read-only", listen_ro,
                 "Read-only endpoint (Get*, StreamCounters, ExplainPacket): unix:PATH or HOST:PORT");
  app.add_option("--socket-group", socket_group, "Group that may use the read-write Unix socket");
  app.add_option("--read-only-socket-group", ro_socket_group,
                 "Group that may use the read-only Unix socket (default: everyone)");
  app.add_option("--tls-cert", tls.cert, "Server certificate (PEM) for TCP endpoints");
  app.add_option("--tls-key", tls.key, "Server private key (PEM)");
  app.add_option("--tls-client-ca", tls.client_ca, "CA (PEM) that client certificates must chain to: mutual TLS");
  app.add_option("--admin-cn", admin_cns,
                 "With mutual TLS: certificate common names allowed to write (others read only)");
  app.add_option("--state-dir", state_dir, "Where the applied configuration is kept");
  app.add_option("--capture-dir", capture_dir,
                 "soft card: the only directory capture bindings may read and write; their paths are "
                 "relative to it (default: STATE_DIR/captures)");
  app.add_option("--device", card.device, "xrt: card BDF (0000:3b:00.1) or index");
  app.add_option("--xclbin", card.xclbin, "xrt: the xclbin to load");
  app.add_option("--kernel", card.kernel, "xrt: the data path's compute unit name");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("--allow-insecure-remote", insecure_remote,
               "Listen on a non-loopback TCP address without TLS (anyone who reaches it can reconfigure)");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z brokerd %l %v");

  // A capture that reaches the file size limit (RLIMIT_FSIZE) fails that binding with EFBIG,
  // as a full disk does; the default action of SIGXFSZ would end the whole daemon.
  ::signal(SIGXFSZ, SIG_IGN);

  // Signals are taken by one thread with sigwait, so gRPC's threads never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<broker::daemon::BrokerService> service;
  std::vector<std::unique_ptr<broker::daemon::InstanceLock>> locks;
  Listener rw, ro;
  try {
    if (tls.enabled() != !tls.key.empty())
      throw std::invalid_argument("--tls-cert and --tls-key go together");
    if (!admin_cns.empty() && tls.client_ca.empty())
      throw std::invalid_argument("--admin-cn needs mutual TLS (--tls-client-ca): only a client certificate names a client");
    rw.address = broker::daemon::parse_listen_address(listen, tls.enabled(), insecure_remote, "--listen");
    if (!listen_ro.empty())
      ro.address = broker::daemon::parse_listen_address(listen_ro, tls.enabled(), insecure_remote,
                                                        "--listen-read-only");
    for (const auto* l : {&rw, &ro})
      if (!l->address.warning.empty()) spdlog::warn("{}", l->address.warning);

    ensure_fd_budget();

    // One daemon per state directory and per socket, before anything else is touched.
    locks.push_back(std::make_unique<broker::daemon::InstanceLock>(
        std::filesystem::path(state_dir) / "brokerd.lock", fmt::format("state directory {}", state_dir)));
    for (const auto* l : {&rw, &ro})
      if (l->address.unix_path)
        locks.push_back(std::make_unique<broker::daemon::InstanceLock>(
            *l->address.unix_path + ".lock", fmt::format("socket {}", *l->address.unix_path)));

    service = std::make_unique<broker::daemon::BrokerService>(broker::daemon::open_card(card),
                                                              broker::daemon::StateStore(state_dir),
                                                              capture_dir.empty()
                                                                  ? std::filesystem::path(state_dir) / "captures"
                                                                  : std::filesystem::path(capture_dir));
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();

    broker::daemon::EndpointPolicy rw_policy;
    rw_policy.admin_common_names.insert(admin_cns.begin(), admin_cns.end());
    rw.endpoint = std::make_unique<broker::daemon::BrokerEndpoint>(*service, rw_policy);
    rw.socket_group = socket_group;
    start(rw, listen, tls);
    if (!listen_ro.empty()) {
      ro.limits = broker::daemon::kReadOnlyEndpointLimits;
      ro.endpoint = std::make_unique<broker::daemon::BrokerEndpoint>(
          *service, broker::daemon::EndpointPolicy{true, {}, ro.limits.max_streams});
      ro.socket_mode = ro_socket_group.empty() ? 0666 : 0660;
      ro.socket_group = ro_socket_group;
      start(ro, listen_ro, tls);
    }
    spdlog::info("event=started card={} listen={}{}{}{} state_dir={}{} generation={}", card.kind, listen,
                 rw.port ? fmt::format(" port={}", rw.port) : "", tls.enabled() ? " tls=on" : "",
                 listen_ro.empty() ? "" : fmt::format(" listen_read_only={}{}", listen_ro,
                                                      ro.port ? fmt::format(" read_only_port={}", ro.port) : ""),
                 state_dir, card.kind == "soft" ? fmt::format(" capture_dir={}", service->capture_dir()) : "",
                 service->generation());
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
    for (auto* l : {&rw, &ro})
      if (l->unix_listener) l->unix_listener->stop();
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(2);
    if (ro.server) ro.server->Shutdown(deadline);
    rw.server->Shutdown(deadline);
  });
  rw.server->Wait();
  if (ro.server) ro.server->Wait();
  waiter.join();
  service.reset();
  for (const auto* l : {&rw, &ro})
    if (l->address.unix_path) ::unlink(l->address.unix_path->c_str());
  spdlog::info("event=stopped");
  return 0;
}
