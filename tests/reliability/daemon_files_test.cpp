// Issue 11, smaller findings about brokerd's own files (ctest label `reliability`), each
// against the real daemon:
//   - a state file that is a symbolic link (dangling: the daemon started empty without a
//     word) or not a regular file (a FIFO: the start hung) is refused, naming the file;
//   - bytes after the checksum line were accepted; now the file is damaged;
//   - a save that fails (a full disk; here the file size limit: the same path, EFBIG for
//     ENOSPC) left a partial state.txtpb.tmp; and a state.txtpb.tmp that is a symbolic link
//     was followed, overwriting what it points to;
//   - `--listen unix:PATH` deleted whatever was at PATH (a regular file, a symbolic link):
//     only a socket nobody listens on is replaced; anything else is refused.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> brokerd_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{BROKERD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// brokerd with `args` refuses to start: a clean, quick exit > 0 whose standard error holds
// every one of `words`, and no socket left behind.
ProcessResult expect_refused_start(const std::vector<std::string>& args, const std::vector<std::string>& words) {
  const ProcessResult r = run_process(brokerd_argv(args), 10s);
  EXPECT_FALSE(r.timed_out) << "brokerd started (or hung) instead of refusing\n" << r.describe();
  EXPECT_GT(r.exit_code, 0) << "a clean refusal, not a crash\n" << r.describe();
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.describe();
  for (const auto& w : words)
    EXPECT_NE(r.err.find(w), std::string::npos) << "no \"" << w << "\"\n" << r.describe();
  return r;
}

// A good state file: seed.conf applied by a daemon in `d`'s directory, which is then stopped.
std::string make_state(DaemonProcess& d) {
  EXPECT_TRUE(d.start());
  {
    auto stub = d.stub();
    EXPECT_TRUE(apply_config(*stub, seed_config()));
  }
  EXPECT_TRUE(d.stop());
  return read_file(d.state_file());
}

// ---- the state file ----

// Before: exists() followed the link, found nothing, and brokerd started with no
// configuration, as if it had never had one, saying nothing.
TEST(StateFile, DanglingSymlinkIsRefused) {
  TempDir dir;
  DaemonProcess d(dir.path());
  fs::create_directories(d.state_dir());
  fs::create_symlink(dir / "gone.txtpb", d.state_file());
  expect_refused_start(d.args(), {d.state_file().string(), "symbolic link"});
  EXPECT_TRUE(fs::is_symlink(d.state_file())) << "the link was changed";
  EXPECT_FALSE(fs::exists(fs::symlink_status(d.socket_path()))) << "a refused start left a socket";
}

// A link to a good state file is refused as well: brokerd would replace the link by a file at
// its next save (rename), so the two would silently part.
TEST(StateFile, SymlinkToAGoodStateFileIsRefused) {
  TempDir dir;
  DaemonProcess d(dir.path());
  const std::string good = make_state(d);
  ASSERT_FALSE(good.empty());
  fs::rename(d.state_file(), dir / "elsewhere.txtpb");
  fs::create_symlink(dir / "elsewhere.txtpb", d.state_file());
  expect_refused_start(d.args(), {d.state_file().string(), "symbolic link"});
  EXPECT_EQ(read_file(dir / "elsewhere.txtpb"), good);
}

// Before: a FIFO blocked the start in open() forever; a directory was "damaged".
TEST(StateFile, NotARegularFileIsRefused) {
  {
    TempDir dir;
    DaemonProcess d(dir.path());
    fs::create_directories(d.state_dir());
    ASSERT_EQ(::mkfifo(d.state_file().c_str(), 0600), 0) << std::strerror(errno);
    expect_refused_start(d.args(), {d.state_file().string(), "not a regular file"});
  }
  {
    TempDir dir;
    DaemonProcess d(dir.path());
    fs::create_directories(d.state_file());
    expect_refused_start(d.args(), {d.state_file().string(), "not a regular file"});
    EXPECT_TRUE(fs::is_directory(d.state_file()));
  }
}

// Before: anything after the checksum line's newline was ignored.
TEST(StateFile, BytesAfterTheChecksumLineAreRefused) {
  const std::vector<std::string> extras = {"\n", "groups { name: \"evil\" }\n", "x"};
  for (const std::string& extra : extras) {
    TempDir dir;
    DaemonProcess d(dir.path());
    const std::string good = make_state(d);
    ASSERT_NE(good.find("# end of state, crc32 "), std::string::npos);
    write_file(d.state_file(), good + extra);
    expect_refused_start(d.args(), {d.state_file().string(), "damaged", "after the end-of-state line"});
    EXPECT_EQ(read_file(d.state_file()), good + extra) << "the damaged state file was changed";
  }
  // The good file itself still starts.
  TempDir dir;
  DaemonProcess d(dir.path());
  make_state(d);
  ASSERT_TRUE(d.start());
  EXPECT_NE(d.log().find("event=restored generation=1"), std::string::npos) << d.log();
  EXPECT_TRUE(d.stop());
}

// A configuration whose state is larger than the first one (16 groups, long names).
v1::Config large_config() {
  v1::Config c = seed_config();
  for (int g = 1; g < 16; ++g) {
    auto* group = c.add_groups();
    group->set_name("group-" + std::to_string(g) + "-" + std::string(50, 'x'));
    for (uint32_t m = 0; m < 16; ++m) group->add_members(m);
    group->set_hash(v1::HASH_CRC32);
    for (int f = 1; f <= 13; ++f) group->add_tuple(static_cast<v1::TupleField>(f));
  }
  return c;
}

// Before: the failed save left a partial state.txtpb.tmp (as on a full disk).
TEST(StateFile, FailedSaveLeavesNoTemporaryFile) {
  TempDir dir;
  DaemonProcess d(dir.path());
  // Files brokerd writes may not grow past 4 KiB; SIGXFSZ ignored, so a write past it fails
  // with EFBIG as one on a full disk fails with ENOSPC, after writing what fitted.
  DaemonProcess::StartOptions o;
  o.wrapper = {"/bin/sh", "-c", "trap '' XFSZ; exec /usr/bin/prlimit --fsize=4096 -- \"$@\"", "sh"};
  ASSERT_TRUE(d.start(o));
  auto stub = d.stub();
  ASSERT_TRUE(apply_config(*stub, seed_config()));
  const std::string saved = read_file(d.state_file());
  ASSERT_LT(saved.size(), 4096u);

  v1::SetConfigRequest req;
  *req.mutable_config() = large_config();
  {
    std::string text = config_text(req.config());
    ASSERT_GT(text.size(), 8192u) << "the large configuration is not large enough to fail";
  }
  v1::SetConfigResponse resp;
  auto cx = ctx();
  const grpc::Status s = stub->SetConfig(cx.get(), req, &resp);
  EXPECT_FALSE(s.ok()) << "saved beyond the file size limit?";
  EXPECT_NE(s.error_message().find("could not be saved"), std::string::npos) << status_text(s);
  EXPECT_FALSE(fs::exists(fs::symlink_status(d.state_dir() / "state.txtpb.tmp")))
      << "a partial state.txtpb.tmp of " << fs::file_size(d.state_dir() / "state.txtpb.tmp") << " bytes stayed";
  EXPECT_EQ(read_file(d.state_file()), saved) << "the saved state changed";

  // The daemon still saves what fits.
  v1::Config smaller = seed_config();
  smaller.mutable_groups(0)->add_members(4);
  EXPECT_TRUE(apply_config(*stub, smaller));
  stub.reset();
  EXPECT_TRUE(d.stop());
}

// Before: a state.txtpb.tmp that is a symbolic link was opened through the link, truncating
// and overwriting its target, and the link was then renamed to state.txtpb.
TEST(StateFile, TemporaryFileThatIsASymlinkIsNotFollowed) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  write_file(dir / "victim.txt", "precious\n");
  fs::create_symlink(dir / "victim.txt", d.state_dir() / "state.txtpb.tmp");
  auto stub = d.stub();
  EXPECT_TRUE(apply_config(*stub, seed_config()));
  EXPECT_EQ(read_file(dir / "victim.txt"), "precious\n") << "the link's target was overwritten";
  EXPECT_FALSE(fs::is_symlink(d.state_file())) << "the state file became a link";
  EXPECT_FALSE(fs::exists(fs::symlink_status(d.state_dir() / "state.txtpb.tmp")));
  stub.reset();
  ASSERT_TRUE(d.stop());
  ASSERT_TRUE(d.start());
  EXPECT_NE(d.log().find("event=restored generation=1"), std::string::npos) << d.log();
  EXPECT_TRUE(d.stop());
}

// ---- --listen unix: on something that is not a stale socket ----

// Before: brokerd unlinked the file and listened there.
TEST(UnixListen, RegularFileAtTheSocketPathIsRefusedAndKept) {
  TempDir dir;
  DaemonProcess d(dir.path());
  const fs::path file = dir / "important.conf";
  write_file(file, "keep me\n");
  expect_refused_start(d.args("unix:" + file.string()), {"--listen", file.string(), "not a socket"});
  EXPECT_EQ(read_file(file), "keep me\n") << "the file at the socket path was changed or removed";
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(file)));

  // The read-only endpoint's option is named as well.
  expect_refused_start(
      [&] {
        auto a = d.args();
        a.push_back("--listen-read-only");
        a.push_back("unix:" + file.string());
        return a;
      }(),
      {"--listen-read-only", file.string(), "not a socket"});
  EXPECT_EQ(read_file(file), "keep me\n");
}

// Before: the link was removed (its target kept).
TEST(UnixListen, SymlinkAtTheSocketPathIsRefusedAndKept) {
  TempDir dir;
  DaemonProcess d(dir.path());
  write_file(dir / "target.txt", "target\n");
  const fs::path link = dir / "link.sock";
  fs::create_symlink(dir / "target.txt", link);
  expect_refused_start(d.args("unix:" + link.string()), {"--listen", link.string(), "not a socket"});
  EXPECT_TRUE(fs::is_symlink(link)) << "the link at the socket path was removed";
  EXPECT_EQ(read_file(dir / "target.txt"), "target\n");
  // A dangling one too.
  const fs::path dangling = dir / "dangling.sock";
  fs::create_symlink(dir / "nothing", dangling);
  expect_refused_start(d.args("unix:" + dangling.string()), {"--listen", dangling.string(), "not a socket"});
  EXPECT_TRUE(fs::is_symlink(dangling));
}

TEST(UnixListen, DirectoryAtTheSocketPathIsRefused) {
  TempDir dir;
  DaemonProcess d(dir.path());
  const fs::path sub = dir / "a-directory";
  fs::create_directories(sub);
  expect_refused_start(d.args("unix:" + sub.string()), {"--listen", sub.string(), "not a socket"});
  EXPECT_TRUE(fs::is_directory(sub));
}

// A socket left by a daemon that is gone (nobody listens) is still replaced.
TEST(UnixListen, StaleSocketIsReplaced) {
  TempDir dir;
  DaemonProcess d(dir.path());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.socket_path().c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ::close(fd);  // bound, never listened on, closed: a stale socket file
  ASSERT_TRUE(fs::is_socket(fs::symlink_status(d.socket_path())));
  ASSERT_TRUE(d.start());
  EXPECT_TRUE(d.stop());
}

// A socket somebody listens on (not a brokerd, so no instance lock) is not taken over.
TEST(UnixListen, SocketInUseIsRefused) {
  TempDir dir;
  DaemonProcess d(dir.path());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.socket_path().c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(fd, 4), 0);
  expect_refused_start(d.args(), {"--listen", d.socket_path().string(), "is listening there"});
  EXPECT_TRUE(fs::is_socket(fs::symlink_status(d.socket_path())));
  ::close(fd);
}

}  // namespace
}  // namespace broker::testing
