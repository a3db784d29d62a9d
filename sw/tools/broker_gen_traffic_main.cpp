// broker-gen-traffic --out-dir DIR [--points 8] [--sessions 2000] [--seed 1]
//                    [--duration-ms 2000] [--rate-mbps 10000]
// Writes DIR/tap-1.pcap .. tap-N.pcap: the seed scenario's measurement points, deterministic
// from the seed, so a demo or a bug report can be reproduced from its command line alone.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "traffic_gen.h"

int main(int argc, char** argv) {
  CLI::App app{"Generates deterministic example traffic: one capture per measurement point "
               "(TAP pairs split a link's directions, SPAN ports see both), sessions of IPv4/IPv6 "
               "TCP and UDP, VLAN, QinQ, MPLS, GTP-U, IPv4 fragments and ICMP echo."};
  broker::tools::TrafficOptions options;
  std::string out_dir;
  bool quiet = false;
  app.add_option("--out-dir", out_dir, "Directory for tap-1.pcap .. tap-N.pcap (created)")
      ->required();
  app.add_option("--points", options.points, "Measurement points (files)")
      ->check(CLI::Range(1, 255))->capture_default_str();
  app.add_option("--sessions", options.sessions, "Sessions over all points")
      ->check(CLI::Range(0u, 50000000u))->capture_default_str();
  app.add_option("--seed", options.seed, "Random seed: the same seed gives byte-identical files")
      ->capture_default_str();
  app.add_option("--duration-ms", options.duration_ms, "Span over which sessions start")
      ->check(CLI::Range(uint64_t(1), uint64_t(86400000)))->capture_default_str();
  app.add_option("--rate-mbps", options.rate_mbps,
                 "Line rate of each point's link in Mbit/s: frames on one point never overlap")
      ->check(CLI::Range(1.0, 1e7))->capture_default_str();
  std::string tap = "none";
  app.add_option("--virtual-tap", tap,
                 "Each point a hypervisor's software TAP: every frame inside gre, erspan2, erspan3 or "
                 "vxlan towards 192.0.2.1 (none: the frames as a physical TAP sees them)")
      ->check(CLI::IsMember({"none", "gre", "erspan2", "erspan3", "vxlan"}))
      ->capture_default_str();
  app.add_flag("--quiet", quiet, "No summary");
  CLI11_PARSE(app, argc, argv);
  options.virtual_tap = *broker::tools::virtual_tap_named(tap);

  try {
    const auto summary = broker::tools::write_traffic(options, out_dir);
    if (!quiet) {
      uint64_t frames = 0, bytes = 0;
      for (const auto& s : summary) {
        fmt::print("{}: {} frames, {} bytes, {} sessions\n", s.path, s.frames, s.bytes, s.sessions);
        frames += s.frames;
        bytes += s.bytes;
      }
      fmt::print("total: {} frames, {} bytes, {} sessions (seed {})\n", frames, bytes,
                 options.sessions, options.seed);
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "broker-gen-traffic: {}\n", e.what());
    return 1;
  }
}
