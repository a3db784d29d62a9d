#include "daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include "config_loader.h"
#include "pcap_source.h"

extern char** environ;

namespace broker::testing {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- TempDir ----

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  // Short paths: a Unix socket path has at most 107 bytes.
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp " + templ + ": " + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("BROKER_KEEP_TEST_DIRS")) {
    std::cerr << "kept test directory " << path_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// ---- processes ----

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

namespace {

struct CStrings {
  std::vector<std::string> owned;
  std::vector<char*> ptrs;
  explicit CStrings(std::vector<std::string> v) : owned(std::move(v)) {
    for (auto& s : owned) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

std::vector<std::string> environment_with(const std::vector<std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& change : changes) {
    const auto eq = change.find('=');
    const std::string name = change.substr(0, eq + 1);  // "NAME="
    std::erase_if(env, [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    if (eq + 1 < change.size()) env.push_back(change);
  }
  return env;
}

// fork + exec with only async-signal-safe calls in the child (the test process has gRPC's
// threads). The child dies with us (PR_SET_PDEATHSIG), so a crashed test leaves no daemon.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env_changes, int out_fd,
            int err_fd) {
  CStrings args(argv);
  CStrings env(environment_with(env_changes));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(args.ptrs[0], args.ptrs.data(), env.ptrs.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(null_fd);
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

// Waits for pid until the deadline; the decoded status, or nullopt when still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1001;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

int temp_output_file(fs::path& path) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/brokerd-test-out-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("mkostemp: " + std::string(std::strerror(errno)));
  path = buf.data();
  return fd;
}

}  // namespace

std::string ProcessResult::describe() const {
  std::ostringstream s;
  s << "exit code " << exit_code << (timed_out ? " (killed after the timeout)" : "") << " after " << seconds
    << " s\n--- stdout ---\n"
    << out << "--- stderr ---\n"
    << err << "---";
  return s.str();
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::vector<std::string>& env) {
  fs::path out_path, err_path;
  const int out_fd = temp_output_file(out_path);
  const int err_fd = temp_output_file(err_path);
  ProcessResult r;
  const auto t0 = Clock::now();
  const pid_t pid = spawn(argv, env, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  auto code = wait_until(pid, t0 + timeout);
  if (!code) {
    r.timed_out = true;
    ::kill(pid, SIGKILL);
    code = wait_until(pid, Clock::now() + 10s);
  }
  r.exit_code = code.value_or(-1002);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  std::error_code ec;
  fs::remove(out_path, ec);
  fs::remove(err_path, ec);
  return r;
}

// ---- DaemonProcess ----

DaemonProcess::DaemonProcess(fs::path dir) : dir_(std::move(dir)) {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) kill();
}

std::vector<std::string> DaemonProcess::args(const std::string& listen) const {
  return {"--state-dir", state_dir().string(), "--capture-dir", capture_dir().string(), "--listen",
          listen.empty() ? "unix:" + socket_path().string() : listen};
}

std::string DaemonProcess::log() const { return read_file(log_path_); }

std::shared_ptr<grpc::Channel> DaemonProcess::channel() const {
  grpc::ChannelArguments a;
  // A channel of its own, not one sharing a subchannel (and its reconnect backoff) with a
  // channel to an earlier daemon on the same socket; quick reconnects.
  a.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  a.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  a.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  a.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  return grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), a);
}

std::unique_ptr<v1::Broker::Stub> DaemonProcess::stub() const { return v1::Broker::NewStub(channel()); }

::testing::AssertionResult DaemonProcess::start(const StartOptions& o) {
  if (pid_ > 0) return ::testing::AssertionFailure() << "brokerd is already running (pid " << pid_ << ")";
  fs::create_directories(dir_);
  listen_ = o.listen.empty() ? "unix:" + socket_path().string() : o.listen;
  log_path_ = dir_ / ("brokerd-" + std::to_string(++starts_) + ".log");
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return ::testing::AssertionFailure() << "cannot create " << log_path_;

  std::vector<std::string> argv = o.wrapper;
  argv.push_back(BROKERD_PATH);
  for (auto& a : args(listen_)) argv.push_back(a);
  for (auto& a : o.extra_args) argv.push_back(a);
  const auto t0 = Clock::now();
  pid_ = spawn(argv, {}, log_fd, log_fd);
  ::close(log_fd);

  const auto deadline = t0 + o.deadline;
  // 1. the start line (the server is listening once it is logged)
  static const std::regex started(R"(event=started[^\n]*)");
  std::smatch m;
  std::string text;
  for (;;) {
    if (auto code = wait_until(pid_, Clock::now())) {
      pid_ = -1;
      return ::testing::AssertionFailure() << "brokerd exited with code " << *code
                                           << " before it was ready; its log:\n" << log();
    }
    text = log();
    if (std::regex_search(text, m, started)) break;
    if (Clock::now() >= deadline) {
      kill();
      return ::testing::AssertionFailure() << "brokerd did not log event=started within "
                                           << o.deadline.count() << " ms; its log:\n" << text;
    }
    std::this_thread::sleep_for(5ms);
  }
  const std::string line = m.str();
  if (listen_.rfind("unix:", 0) == 0) {
    target_ = listen_;
  } else {
    static const std::regex port_re(R"( port=(\d+))");
    std::smatch pm;
    if (!std::regex_search(line, pm, port_re)) {
      kill();
      return ::testing::AssertionFailure() << "no port=N in brokerd's start line: " << line;
    }
    const std::string host = listen_.substr(0, listen_.rfind(':'));
    target_ = host + ":" + pm[1].str();
  }

  // 2. GetCapabilities answers
  auto s = stub();
  grpc::Status last;
  while (Clock::now() < deadline) {
    grpc::ClientContext c;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    c.set_deadline(std::chrono::system_clock::now() + std::min<std::chrono::milliseconds>(500ms, left));
    c.set_wait_for_ready(true);
    v1::Capabilities caps;
    last = s->GetCapabilities(&c, {}, &caps);
    if (last.ok()) return ::testing::AssertionSuccess();
    if (auto code = wait_until(pid_, Clock::now())) {
      pid_ = -1;
      return ::testing::AssertionFailure() << "brokerd exited with code " << *code
                                           << " while waiting for GetCapabilities; its log:\n" << log();
    }
  }
  kill();
  return ::testing::AssertionFailure() << "GetCapabilities on " << target_ << " did not answer within "
                                       << o.deadline.count() << " ms (" << status_text(last)
                                       << "); brokerd's log:\n" << log();
}

::testing::AssertionResult DaemonProcess::stop() {
  if (pid_ <= 0) return ::testing::AssertionFailure() << "brokerd is not running";
  const auto t0 = Clock::now();
  ::kill(pid_, SIGTERM);
  auto code = wait_until(pid_, t0 + 10s);
  if (!code) {
    kill();
    return ::testing::AssertionFailure() << "brokerd did not exit within 10 s of SIGTERM; its log:\n" << log();
  }
  pid_ = -1;
  if (*code != 0)
    return ::testing::AssertionFailure() << "brokerd exited with code " << *code
                                         << " after SIGTERM (expected 0); its log:\n" << log();
  if (listen_.rfind("unix:", 0) == 0 && fs::exists(fs::symlink_status(socket_path())))
    return ::testing::AssertionFailure() << "brokerd exited 0 but left its socket " << socket_path();
  return ::testing::AssertionSuccess();
}

void DaemonProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_until(pid_, Clock::now() + 10s);
  pid_ = -1;
}

// ---- helpers ----

v1::Config seed_config() {
  return config::load_config_file(fs::path(BROKER_SOURCE_DIR) / "examples" / "seed.conf");
}

std::string config_text(const v1::Config& config) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  return text;
}

bool same_config(const v1::Config& a, const v1::Config& b, std::string* diff) {
  google::protobuf::util::MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  const bool same = d.Compare(a, b);
  if (diff) *diff = report;
  return same;
}

std::unique_ptr<grpc::ClientContext> ctx(std::chrono::milliseconds deadline) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + deadline);
  return c;
}

v1::CountersSnapshot get_counters(v1::Broker::Stub& stub) {
  v1::CountersSnapshot snap;
  auto c = ctx();
  const grpc::Status s = stub.GetCounters(c.get(), {}, &snap);
  EXPECT_TRUE(s.ok()) << status_text(s);
  return snap;
}

::testing::AssertionResult apply_config(v1::Broker::Stub& stub, const v1::Config& config) {
  v1::SetConfigRequest req;
  *req.mutable_config() = config;
  v1::SetConfigResponse resp;
  auto c = ctx();
  const grpc::Status s = stub.SetConfig(c.get(), req, &resp);
  if (!s.ok()) return ::testing::AssertionFailure() << "SetConfig refused: " << status_text(s);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult wait_bindings_done(v1::Broker::Stub& stub, std::chrono::milliseconds timeout,
                                              v1::CountersSnapshot* last) {
  const auto deadline = Clock::now() + timeout;
  v1::CountersSnapshot snap;
  for (;;) {
    snap.Clear();
    auto c = ctx(5s);
    const grpc::Status s = stub.GetCounters(c.get(), {}, &snap);
    if (!s.ok()) return ::testing::AssertionFailure() << "GetCounters: " << status_text(s);
    bool running = false;
    for (const auto& in : snap.ingress()) {
      if (in.binding_state() == v1::BINDING_FAILED)
        return ::testing::AssertionFailure() << "ingress " << in.port() << " (" << in.binding()
                                             << ") failed: " << in.binding_error();
      if (in.binding_state() == v1::BINDING_RUNNING) running = true;
    }
    if (last) *last = snap;
    if (!running) return ::testing::AssertionSuccess();
    if (Clock::now() >= deadline)
      return ::testing::AssertionFailure() << "ingress bindings still running after " << timeout.count()
                                           << " ms:\n" << snap.DebugString();
    std::this_thread::sleep_for(20ms);
  }
}

grpc::Status set_config(v1::Broker::Stub& stub, const v1::Config& config, bool validate_only,
                        v1::SetConfigResponse* response) {
  v1::SetConfigRequest req;
  *req.mutable_config() = config;
  req.set_validate_only(validate_only);
  v1::SetConfigResponse ignored;
  auto cx = ctx(5s);  // a daemon blocked (on a FIFO, a lock) fails the call, not the test run
  return stub.SetConfig(cx.get(), req, response ? response : &ignored);
}

std::vector<uint8_t> numbered_udp_frame(uint8_t flow, uint32_t seq, uint32_t len) {
  std::vector<uint8_t> f(len, 0x5A);
  const uint8_t hdr[] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, flow, 0x08, 0x00,
                         0x45, 0, uint8_t((len - 14) >> 8), uint8_t(len - 14), 0, 0, 0, 0, 64, 17, 0, 0,
                         10, 0, 0, flow, 10, 0, 1, 1, 0x9C, 0x40, 0x00, 0x35,
                         uint8_t((len - 34) >> 8), uint8_t(len - 34), 0, 0};
  std::memcpy(f.data(), hdr, sizeof hdr);
  std::memcpy(f.data() + 42, &seq, 4);
  return f;
}

uint64_t count_pcap_frames(const fs::path& path) {
  io::PcapSource src(path.string());
  io::FrameView f;
  uint64_t n = 0;
  while (src.next(f)) ++n;
  return n;
}

}  // namespace broker::testing
