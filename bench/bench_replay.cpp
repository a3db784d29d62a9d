// broker-replay on a large capture against baselines that run in the same invocation on the
// same file (page cache warm for all of them, order alternated between repetitions):
//   read-only : libpcap pcap_next_ex over the file, touching each frame (the target's baseline)
//   read+write: the same, plus writing every frame to one pcap (the I/O floor of a replay that
//               writes its egress captures, as broker-replay must)
// Each measurement is a separate process (fork/exec), timed by wall clock and rusage.
//
//   bench_replay --replay BIN --config FILE --pcap FILE --work DIR [--reps N] [--out TSV]
//   bench_replay --read-only FILE | --read-write FILE OUT   (the baselines' own processes)
#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

int read_pass(const char* path, const char* out_path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    std::fprintf(stderr, "bench_replay: %s\n", err);
    return 1;
  }
  pcap_dumper_t* d = nullptr;
  pcap_t* dead = nullptr;
  if (out_path) {
    dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
    d = pcap_dump_open(dead, out_path);
    if (!d) {
      std::fprintf(stderr, "bench_replay: %s\n", pcap_geterr(dead));
      return 1;
    }
  }
  pcap_pkthdr* h;
  const u_char* data;
  uint64_t frames = 0, bytes = 0, sum = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++frames;
    bytes += h->caplen;
    sum += data[0] + data[h->caplen - 1];  // touch the frame, as any reader must
    if (d) pcap_dump(reinterpret_cast<u_char*>(d), h, data);
  }
  if (d) pcap_dump_close(d);
  if (dead) pcap_close(dead);
  pcap_close(p);
  std::printf("%llu frames %llu bytes (%llu)\n", (unsigned long long)frames,
              (unsigned long long)bytes, (unsigned long long)(sum & 1));
  return rc == PCAP_ERROR ? 1 : 0;
}

struct Timing {
  double wall_s = 0, cpu_s = 0;
};

Timing run_child(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const auto t1 = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_replay: %s failed (status %d)\n", argv[0].c_str(), status);
    std::exit(1);
  }
  Timing t;
  t.wall_s = std::chrono::duration<double>(t1 - t0).count();
  t.cpu_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && !std::strcmp(argv[1], "--read-only")) return read_pass(argv[2], nullptr);
  if (argc == 4 && !std::strcmp(argv[1], "--read-write")) return read_pass(argv[2], argv[3]);

  std::string replay, config, pcap, work, out;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--replay") replay = v;
    else if (k == "--config") config = v;
    else if (k == "--pcap") pcap = v;
    else if (k == "--work") work = v;
    else if (k == "--reps") reps = std::atoi(v.c_str());
    else if (k == "--out") out = v;
    else {
      std::fprintf(stderr, "bench_replay: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (replay.empty() || config.empty() || pcap.empty() || work.empty()) {
    std::fprintf(stderr, "usage: bench_replay --replay BIN --config FILE --pcap FILE --work DIR [--reps N] [--out TSV]\n");
    return 2;
  }
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  std::filesystem::create_directories(work);
  const std::string copy_out = work + "/copy.pcap", replay_out = work + "/replay-out";

  // Frames and bytes of the capture, once (and the page cache warmed).
  char err[PCAP_ERRBUF_SIZE];
  uint64_t frames = 0, bytes = 0;
  {
    pcap_t* p = pcap_open_offline(pcap.c_str(), err);
    if (!p) {
      std::fprintf(stderr, "bench_replay: %s\n", err);
      return 1;
    }
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) ++frames, bytes += h->caplen;
    pcap_close(p);
  }

  std::vector<double> ro_wall, rw_wall, rp_wall, ro_cpu, rw_cpu, rp_cpu, ratio_ro, ratio_rw;
  for (int r = 0; r < reps; ++r) {
    Timing ro, rw, rp;
    const std::vector<std::string> a_ro{self, "--read-only", pcap};
    const std::vector<std::string> a_rw{self, "--read-write", pcap, copy_out};
    const std::vector<std::string> a_rp{replay, "--config", config, "--in", "0=" + pcap,
                                        "--out-dir", replay_out, "--quiet"};
    if (r % 2 == 0) {
      ro = run_child(a_ro); rw = run_child(a_rw); rp = run_child(a_rp);
    } else {
      rp = run_child(a_rp); rw = run_child(a_rw); ro = run_child(a_ro);
    }
    ro_wall.push_back(ro.wall_s); rw_wall.push_back(rw.wall_s); rp_wall.push_back(rp.wall_s);
    ro_cpu.push_back(ro.cpu_s); rw_cpu.push_back(rw.cpu_s); rp_cpu.push_back(rp.cpu_s);
    ratio_ro.push_back(rp.wall_s / ro.wall_s);
    ratio_rw.push_back(rp.wall_s / rw.wall_s);
    std::fprintf(stderr, "rep %d: read-only %.3f s, read+write %.3f s, broker-replay %.3f s (x%.2f)\n",
                 r + 1, ro.wall_s, rw.wall_s, rp.wall_s, rp.wall_s / ro.wall_s);
  }
  std::filesystem::remove_all(replay_out);
  std::filesystem::remove(copy_out);

  FILE* f = out.empty() ? stdout : std::fopen(out.c_str(), "w");
  std::fprintf(f, "metric\tvalue\n");
  std::fprintf(f, "frames\t%llu\nbytes\t%llu\nreps\t%d\n", (unsigned long long)frames,
               (unsigned long long)bytes, reps);
  std::fprintf(f, "read_only_wall_s\t%.4f\nread_write_wall_s\t%.4f\nreplay_wall_s\t%.4f\n",
               median(ro_wall), median(rw_wall), median(rp_wall));
  std::fprintf(f, "read_only_cpu_s\t%.4f\nread_write_cpu_s\t%.4f\nreplay_cpu_s\t%.4f\n",
               median(ro_cpu), median(rw_cpu), median(rp_cpu));
  std::fprintf(f, "ratio_vs_read_only\t%.3f\nratio_vs_read_write\t%.3f\n", median(ratio_ro),
               median(ratio_rw));
  std::fprintf(f, "replay_mpps\t%.3f\nread_only_mpps\t%.3f\n", double(frames) / median(rp_wall) / 1e6,
               double(frames) / median(ro_wall) / 1e6);
  if (f != stdout) std::fclose(f);
  return 0;
}
