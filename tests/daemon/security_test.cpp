// Safe exposure: a read-only endpoint refuses writes with PERMISSION_DENIED; a TCP endpoint
// off loopback needs TLS; with mutual TLS only admin certificates may write, other verified
// clients only read, and clients without a valid certificate do not get in at all.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "daemon_process.h"

extern char** environ;

namespace broker::testing {
namespace {

using namespace std::chrono_literals;

v1::SetConfigRequest seed_request() {
  v1::SetConfigRequest req;
  *req.mutable_config() = seed_config();
  return req;
}

TEST(DaemonSecurity, ReadOnlySocketRefusesWritesAndServesReads) {
  TempDir tmp("brokerd-ro");
  DaemonProcess d(tmp.path());
  const auto ro_path = tmp.path() / "ro.sock";
  DaemonProcess::StartOptions o;
  o.extra_args = {"--listen-read-only", "unix:" + ro_path.string()};
  ASSERT_TRUE(d.start(o));

  struct stat st {};
  ASSERT_EQ(::stat(ro_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u) << "read-only socket: anyone local may read counters";
  ASSERT_EQ(::stat(d.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  auto ro = v1::Broker::NewStub(grpc::CreateChannel("unix:" + ro_path.string(), grpc::InsecureChannelCredentials()));
  auto rw = d.stub();
  {
    grpc::ClientContext c;
    v1::Capabilities caps;
    ASSERT_TRUE(ro->GetCapabilities(&c, {}, &caps).ok());
    EXPECT_TRUE(caps.read_only());
    grpc::ClientContext c2;
    ASSERT_TRUE(rw->GetCapabilities(&c2, {}, &caps).ok());
    EXPECT_FALSE(caps.read_only());
  }
  {
    grpc::ClientContext c;
    v1::SetConfigResponse resp;
    const grpc::Status s = ro->SetConfig(&c, seed_request(), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_NE(s.error_message().find("read-only"), std::string::npos) << s.error_message();
  }
  {
    v1::SetConfigRequest req = seed_request();
    req.set_validate_only(true);
    grpc::ClientContext c;
    v1::SetConfigResponse resp;
    EXPECT_TRUE(ro->SetConfig(&c, req, &resp).ok()) << "validating changes nothing, so it is a read";
  }
  for (const bool add : {true, false}) {
    v1::GroupMemberRequest req;
    req.set_group("analyzers");
    req.set_port(5);
    grpc::ClientContext c;
    v1::GroupMemberResponse resp;
    const grpc::Status s = add ? ro->AddGroupMember(&c, req, &resp) : ro->RemoveGroupMember(&c, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext c;
    v1::ClearCountersResponse resp;
    EXPECT_EQ(ro->ClearCounters(&c, {}, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    grpc::ClientContext c2;
    v1::CountersSnapshot snap;
    EXPECT_TRUE(ro->GetCounters(&c2, {}, &snap).ok());
  }
  {
    // Nothing changed through the read-only endpoint.
    grpc::ClientContext c;
    v1::GetConfigResponse cfg;
    ASSERT_TRUE(rw->GetConfig(&c, {}, &cfg).ok());
    EXPECT_EQ(cfg.generation(), 0u);
  }
  ro.reset();
  rw.reset();
  EXPECT_TRUE(d.stop());
  EXPECT_FALSE(std::filesystem::exists(ro_path)) << "the read-only socket is removed at exit";
}

// ---- mutual TLS ----------------------------------------------------------------------

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
}

// A CA, a server certificate for localhost/127.0.0.1, and client certificates "admin" and
// "viewer", all signed by the CA; plus a client certificate from a CA the server does not know.
struct Pki {
  std::filesystem::path dir;
  std::string path(const std::string& name) const { return (dir / name).string(); }

  void make_ca(const std::string& name) {
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
             "-keyout", path(name + ".key"), "-out", path(name + ".pem")});
  }
  void make_cert(const std::string& name, const std::string& ca, bool server) {
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", path(name + ".key"),
             "-out", path(name + ".csr")});
    write_file(dir / (name + ".ext"), server ? "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                             : "extendedKeyUsage=clientAuth\n");
    openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
             "-CAcreateserial", "-days", "2", "-extfile", path(name + ".ext"), "-out", path(name + ".pem")});
  }
};

std::shared_ptr<grpc::Channel> tls_channel(const Pki& pki, int port, const std::string& client) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = read_file(pki.path("ca.pem"));
  if (!client.empty()) {
    o.pem_cert_chain = read_file(pki.path(client + ".pem"));
    o.pem_private_key = read_file(pki.path(client + ".key"));
  }
  grpc::ChannelArguments a;
  a.SetSslTargetNameOverride("localhost");
  a.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(o), a);
}

TEST(DaemonSecurity, MutualTlsLetsOnlyAdminCertificatesWrite) {
  TempDir tmp("brokerd-tls");
  Pki pki{tmp.path()};
  pki.make_ca("ca");
  pki.make_cert("server", "ca", true);
  pki.make_cert("admin", "ca", false);
  pki.make_cert("viewer", "ca", false);
  pki.make_ca("rogue-ca");
  pki.make_cert("rogue", "rogue-ca", false);
  if (HasFatalFailure()) return;

  // Not loopback: accepted only because TLS is on.
  const auto log = tmp.path() / "brokerd.log";
  std::vector<std::string> args = {BROKERD_PATH, "--listen", "0.0.0.0:0", "--state-dir", (tmp.path() / "state").string(),
                                   "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"),
                                   "--tls-client-ca", pki.path("ca.pem"), "--admin-cn", "admin"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      ::kill(pid, SIGTERM);
      int st = 0;
      ::waitpid(pid, &st, 0);
    }
  } reaper{pid};

  int port = 0;
  const std::regex started(R"(event=started .* port=(\d+))");
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::smatch m;
    const std::string text = read_file(log);
    if (std::regex_search(text, m, started)) port = std::stoi(m[1]);
    else std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(port, 0) << read_file(log);
  EXPECT_NE(read_file(log).find("tls=on"), std::string::npos);

  auto call_set = [&](const std::string& client) {
    auto stub = v1::Broker::NewStub(tls_channel(pki, port, client));
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 5s);
    v1::SetConfigResponse resp;
    return stub->SetConfig(&c, seed_request(), &resp);
  };
  auto call_get = [&](const std::string& client) {
    auto stub = v1::Broker::NewStub(tls_channel(pki, port, client));
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 5s);
    v1::CountersSnapshot snap;
    return stub->GetCounters(&c, {}, &snap);
  };

  const grpc::Status admin = call_set("admin");
  EXPECT_TRUE(admin.ok()) << admin.error_message();
  const grpc::Status viewer = call_set("viewer");
  EXPECT_EQ(viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED) << viewer.error_message();
  EXPECT_TRUE(call_get("viewer").ok()) << "a verified client that is not an admin still reads";
  EXPECT_FALSE(call_get("").ok()) << "no client certificate: the handshake fails";
  EXPECT_FALSE(call_get("rogue").ok()) << "a certificate from an unknown CA: the handshake fails";
  {
    auto plain = v1::Broker::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 3s);
    v1::CountersSnapshot snap;
    EXPECT_FALSE(plain->GetCounters(&c, {}, &snap).ok()) << "plaintext is not served on a TLS port";
  }
}

TEST(DaemonSecurity, AdminCommonNamesNeedMutualTls) {
  TempDir tmp("brokerd-tls-args");
  const ProcessResult r = run_process({BROKERD_PATH, "--listen", "127.0.0.1:0", "--state-dir",
                                       (tmp.path() / "state").string(), "--admin-cn", "admin"},
                                      10s);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--tls-client-ca"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace broker::testing
