// The decision log (DESIGN.md, normative format): one TSV row per frame saying what the
// parser saw and where the frame went. Every card writes it through this one writer.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "native/frame_result.h"

namespace broker::driver {

class DecisionLogWriter {
 public:
  // Writes the header row at once. The FILE stays owned by the caller. filter_names: the
  // filters by data-path rule (Driver::filter_names), for the `filter` column.
  explicit DecisionLogWriter(std::FILE* out, std::vector<std::string> filter_names = {});

  // frame counts from 1 per input file. After the normative columns come len, ts_ns,
  // depth_exceeded, frag_follow, tunnel, tunnel_id, tunnel_src and filter.
  void write(uint64_t frame, uint8_t in_port, uint64_t ts_ns, uint32_t len,
             const core::FrameResult& r);

  static const char* header();
  // One row without the newline, for ExplainPacket and tests.
  static std::string format_row(uint64_t frame, uint8_t in_port, uint64_t ts_ns, uint32_t len,
                                const core::FrameResult& r,
                                const std::vector<std::string>& filter_names = {});

 private:
  std::FILE* out_;
  std::vector<std::string> filter_names_;
};

// Text forms shared by the log, the API and the CLI.
std::string format_mac(const uint8_t mac[6]);
// IPv4 (dotted) when version is 4, IPv6 (RFC 5952) when 6, empty otherwise.
std::string format_ip(uint8_t version, const uint8_t addr[16]);

}  // namespace broker::driver
