// Where capture bindings may point (ctest label `reliability`), through the real brokerd.
// Found: an egress pcap_file was opened with truncation wherever it pointed (absolute paths,
// `..`, symlinks, the daemon's own state file), a FIFO input hung every RPC, four outputs
// could share one file, and a validate-only call from the read-only socket told anyone
// whether a file existed. Now bindings live in --capture-dir (here the test's directory):
// every refusal names the field, and nothing outside changes.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

void write_frames(const fs::path& path, int frames) {
  io::PcapSink sink(path.string());
  std::vector<uint8_t> f(64, 0);
  f[12] = 0x08;
  for (int i = 0; i < frames; ++i) sink.write(uint64_t(i) * 1000, f.data(), uint32_t(f.size()));
  sink.close();
}

// Ingress port 0 reads `in`; egress ports 0.. write `outs` (one group).
v1::Config bound(const std::string& in, const std::vector<std::string>& outs, bool overwrite = false) {
  v1::Config c;
  c.set_name("paths");
  auto* i = c.add_ingress_ports();
  i->set_port(0);
  if (!in.empty()) i->mutable_binding()->set_pcap_file(in);
  auto* g = c.add_groups();
  g->set_name("g");
  g->add_ingress_ports(0);
  g->add_tuple(v1::SRC_IP);
  for (uint32_t p = 0; p < outs.size(); ++p) {
    auto* e = c.add_egress_ports();
    e->set_port(p);
    e->mutable_binding()->set_pcap_file(outs[p]);
    e->mutable_binding()->set_overwrite(overwrite);
    g->add_members(p);
  }
  return c;
}

class CapturePaths : public ::testing::Test {
 protected:
  void SetUp() override {
    write_frames(dir_ / "in.pcap", 10);
    fs::create_directories(outside_ / "sub");
    write_file(outside_ / "victim.txt", "precious\n");
    write_frames(outside_ / "in.pcap", 10);
    ASSERT_TRUE(d_.start());
    stub_ = d_.stub();
  }
  void TearDown() override {
    EXPECT_EQ(read_file(outside_ / "victim.txt"), "precious\n") << "a file outside the capture directory changed";
    EXPECT_FALSE(fs::exists(outside_ / "new.pcap")) << "a file was created outside the capture directory";
    stub_.reset();
    if (d_.running()) EXPECT_TRUE(d_.stop());
  }

  // SetConfig refuses `c` with INVALID_ARGUMENT naming `field` and saying `words`; nothing
  // is applied.
  void expect_refused(const v1::Config& c, const std::string& field, const std::string& words) {
    const uint64_t generation = get_counters(*stub_).generation();
    const grpc::Status s = set_config(*stub_, c);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
    EXPECT_NE(s.error_message().find(field + ":"), std::string::npos) << "no " << field << " in: " << s.error_message();
    EXPECT_NE(s.error_message().find(words), std::string::npos) << "no \"" << words << "\" in: " << s.error_message();
    EXPECT_EQ(get_counters(*stub_).generation(), generation) << "a refused configuration was applied";
  }

  TempDir dir_{"brokerd-paths"};
  TempDir outside_{"brokerd-outside"};
  DaemonProcess d_{dir_.path()};
  std::unique_ptr<v1::Broker::Stub> stub_;
};

TEST_F(CapturePaths, AbsolutePathsOutsideAndDotDotAreRefused) {
  expect_refused(bound("in.pcap", {(outside_ / "victim.txt").string()}), "egress_ports[0].binding.pcap_file",
                 "outside the capture directory");
  expect_refused(bound((outside_ / "in.pcap").string(), {"out.pcap"}), "ingress_ports[0].binding.pcap_file",
                 "outside the capture directory");
  const std::string up = "../" + outside_.path().filename().string() + "/victim.txt";
  expect_refused(bound("in.pcap", {up}), "egress_ports[0].binding.pcap_file", "'..'");
  expect_refused(bound("in.pcap", {"a/./b.pcap"}), "egress_ports[0].binding.pcap_file", "'.'");
  EXPECT_FALSE(fs::exists(dir_ / "out.pcap")) << "a refused configuration created its output";
}

TEST_F(CapturePaths, RelativeAndAbsolutePathsInsideAreTheCaptureDirectorys) {
  fs::create_directory(dir_ / "tools");
  ASSERT_TRUE(apply_config(*stub_, bound("in.pcap", {"tools/a.pcap", (dir_ / "tools/b.pcap").string()})));
  ASSERT_TRUE(wait_bindings_done(*stub_, 30s));
  EXPECT_EQ(count_pcap_frames(dir_ / "tools/a.pcap") + count_pcap_frames(dir_ / "tools/b.pcap"), 10u);
  // A directory on the way must exist: the daemon makes none.
  expect_refused(bound("in.pcap", {"nowhere/a.pcap"}), "egress_ports[0].binding.pcap_file", "No such file");
}

TEST_F(CapturePaths, SymbolicLinksAreNotFollowedAnywhereOnThePath) {
  fs::create_symlink(outside_ / "victim.txt", dir_ / "link.pcap");
  fs::create_symlink(outside_ / "new.pcap", dir_ / "dangling.pcap");
  fs::create_directory_symlink(outside_.path(), dir_ / "linkdir");
  expect_refused(bound("in.pcap", {"link.pcap"}), "egress_ports[0].binding.pcap_file", "symbolic link");
  expect_refused(bound("in.pcap", {"dangling.pcap"}), "egress_ports[0].binding.pcap_file", "symbolic link");
  expect_refused(bound("in.pcap", {"linkdir/victim.txt"}), "egress_ports[0].binding.pcap_file", "symbolic link");
  expect_refused(bound("linkdir/in.pcap", {"out.pcap"}), "ingress_ports[0].binding.pcap_file", "symbolic link");
}

TEST_F(CapturePaths, FifosAndDevicesAreRefusedWithoutWaiting) {
  ASSERT_EQ(::mkfifo((dir_ / "in.fifo").c_str(), 0600), 0) << std::strerror(errno);
  const auto t0 = std::chrono::steady_clock::now();
  expect_refused(bound("in.fifo", {"out.pcap"}), "ingress_ports[0].binding.pcap_file", "a FIFO");
  expect_refused(bound("in.pcap", {"in.fifo"}), "egress_ports[0].binding.pcap_file", "a FIFO");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "opening the FIFO waited";
  EXPECT_TRUE(stub_ && get_counters(*stub_).ingress_size() > 0) << "the daemon stopped answering";
  if (::mknod((dir_ / "full").c_str(), S_IFCHR | 0600, makedev(1, 7)) == 0) {  // /dev/full's numbers
    expect_refused(bound("in.pcap", {"full"}), "egress_ports[0].binding.pcap_file", "a character device");
    expect_refused(bound("full", {"out.pcap"}), "ingress_ports[0].binding.pcap_file", "a character device");
  } else {
    std::printf("[ note     ] mknod not permitted here (%s): the device case is not run\n", std::strerror(errno));
  }
}

TEST_F(CapturePaths, TheStateDirectoryIsOutOfReach) {
  ASSERT_TRUE(apply_config(*stub_, bound("in.pcap", {"first.pcap"})));
  const std::string state = read_file(d_.state_file());
  const v1::CountersSnapshot before = get_counters(*stub_);
  auto refused = [&](const v1::Config& c, const std::string& field) {
    const grpc::Status s = set_config(*stub_, c);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
    EXPECT_NE(s.error_message().find(field + ": 'state/state.txtpb' is inside the state directory"),
              std::string::npos)
        << s.error_message();
  };
  refused(bound("in.pcap", {"state/state.txtpb"}, true), "egress_ports[0].binding.pcap_file");
  refused(bound("state/state.txtpb", {"out.pcap"}), "ingress_ports[0].binding.pcap_file");
  EXPECT_EQ(read_file(d_.state_file()), state) << "the state file changed";
  EXPECT_EQ(get_counters(*stub_).generation(), before.generation());
}

TEST_F(CapturePaths, OneFilePerOutput) {
  expect_refused(bound("in.pcap", {"shared.pcap", "shared.pcap"}), "egress_ports[1].binding.pcap_file",
                 "also bound by egress_ports[0].binding");
  expect_refused(bound("in.pcap", {"in.pcap"}), "egress_ports[0].binding.pcap_file",
                 "also bound by ingress_ports[0].binding");
  // The same file under two names.
  fs::create_hard_link(dir_ / "in.pcap", dir_ / "alias.pcap");
  expect_refused(bound("in.pcap", {"alias.pcap"}), "egress_ports[0].binding.pcap_file", "the same file as");
  EXPECT_EQ(count_pcap_frames(dir_ / "in.pcap"), 10u);
}

TEST_F(CapturePaths, AnExistingFileIsAppendedToOrReplacedOnlyWhenAsked) {
  write_file(dir_ / "notes.txt", "not a capture\n");
  expect_refused(bound("in.pcap", {"notes.txt"}), "egress_ports[0].binding.pcap_file", "overwrite: true");
  EXPECT_EQ(read_file(dir_ / "notes.txt"), "not a capture\n");

  write_frames(dir_ / "old.pcap", 5);
  ASSERT_TRUE(apply_config(*stub_, bound("in.pcap", {"old.pcap"})));
  ASSERT_TRUE(wait_bindings_done(*stub_, 30s));
  stub_.reset();
  ASSERT_TRUE(d_.stop());
  EXPECT_EQ(count_pcap_frames(dir_ / "old.pcap"), 15u) << "the existing capture was not appended to";

  ASSERT_TRUE(d_.start());
  stub_ = d_.stub();
  ASSERT_TRUE(apply_config(*stub_, bound("in.pcap", {"notes.txt"}, true)));
  ASSERT_TRUE(wait_bindings_done(*stub_, 30s));
  stub_.reset();
  ASSERT_TRUE(d_.stop());
  // Replaced by an empty capture (the input's binding did not change: it was read already).
  EXPECT_EQ(count_pcap_frames(dir_ / "notes.txt"), 0u) << "overwrite: true did not replace the file";
}

// Found: validate_only opened input paths as root for any caller, so the read-only socket
// (mode 0666) told an unprivileged user whether a file existed in a 0700 directory.
TEST(CapturePathsReadOnly, AReadOnlyCallerLearnsNothingAboutFiles) {
  TempDir dir("brokerd-paths-ro");
  fs::create_directory(dir / "secret");
  ::chmod((dir / "secret").c_str(), 0700);
  write_frames(dir / "secret/exists.pcap", 1);
  DaemonProcess d(dir.path());
  const fs::path ro = dir / "ro.sock";
  DaemonProcess::StartOptions o;
  o.extra_args = {"--listen-read-only", "unix:" + ro.string()};
  ASSERT_TRUE(d.start(o));
  auto ro_stub = v1::Broker::NewStub(grpc::CreateChannel("unix:" + ro.string(), grpc::InsecureChannelCredentials()));
  v1::SetConfigResponse a, b;
  const grpc::Status sa = set_config(*ro_stub, bound("secret/exists.pcap", {"out.pcap"}), true, &a);
  const grpc::Status sb = set_config(*ro_stub, bound("secret/missing.pcap", {"out.pcap"}), true, &b);
  EXPECT_TRUE(sa.ok()) << status_text(sa);
  EXPECT_TRUE(sb.ok()) << status_text(sb);
  EXPECT_EQ(a.DebugString(), b.DebugString()) << "the answers differ, so they tell the file apart";
  ASSERT_GT(a.warnings_size(), 0);
  EXPECT_NE(a.warnings(0).message().find("only their paths were checked"), std::string::npos) << a.DebugString();
  // Paths are still checked for everyone.
  const grpc::Status sc = set_config(*ro_stub, bound("../etc/passwd", {"out.pcap"}), true);
  EXPECT_EQ(sc.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(sc);
  // The admin socket looks.
  const grpc::Status sd = set_config(*d.stub(), bound("secret/missing.pcap", {"out.pcap"}), true);
  EXPECT_EQ(sd.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(sd);
  EXPECT_FALSE(fs::exists(dir / "out.pcap")) << "validate-only created an output";
  ro_stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
