// Seed corpus generator for the fuzzers (run by fuzz/make_corpus.sh):
//   fuzz_corpus_tool frames OUT_DIR CAPTURE...   every distinct frame of the captures, one file
//                                               each (Linux cooked captures made Ethernet)
//   fuzz_corpus_tool api OUT_DIR CONFIG FRAME... fuzz_api records (see fuzz_api.cpp): SetConfig
//                                               of CONFIG (applied and validate-only),
//                                               membership changes, ExplainPacket of each FRAME
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "broker/v1/broker.pb.h"
#include "config_loader.h"
#include "pcap_source.h"

namespace fs = std::filesystem;
namespace v1 = broker::v1;

namespace {

void write(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

std::string record(int op, const google::protobuf::Message& m) {
  const std::string body = m.SerializeAsString();
  std::string r;
  r += char(op);
  r += char(body.size() & 0xFF);
  r += char((body.size() >> 8) & 0xFF);
  return r + body;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: fuzz_corpus_tool frames OUT_DIR CAPTURE... | api OUT_DIR CONFIG FRAME...\n";
    return 2;
  }
  const std::string mode = argv[1];
  const fs::path out = argv[2];
  fs::create_directories(out);
  int written = 0;
  if (mode == "frames") {
    std::set<std::string> seen;
    for (int i = 3; i < argc; ++i) {
      try {
        broker::io::PcapSource src(argv[i]);
        broker::io::Frame f;
        int n = 0;
        while (src.next(f)) {
          // The parser looks at 256 bytes at most; longer frames add nothing but length.
          std::string bytes(f.data.begin(), f.data.begin() + std::min<size_t>(f.data.size(), 512));
          if (!seen.insert(bytes).second) continue;
          write(out / (fs::path(argv[i]).stem().string() + "." + std::to_string(++n)), bytes);
          ++written;
        }
      } catch (const std::exception& e) {
        std::cerr << "fuzz_corpus_tool: skipping " << argv[i] << ": " << e.what() << "\n";
      }
    }
  } else if (mode == "api") {
    const v1::Config config = broker::config::load_config_file(argv[3]);
    v1::SetConfigRequest set;
    *set.mutable_config() = config;
    write(out / "set_config", record(0, set));
    set.set_validate_only(true);
    write(out / "set_config_validate_only", record(0, set));
    set.set_validate_only(false);
    set.set_expected_generation(1);
    write(out / "set_config_expected_generation", record(0, set));
    v1::GroupMemberRequest member;
    member.set_group(config.groups_size() ? config.groups(0).name() : "analyzers");
    member.set_port(7);
    const std::string add = record(1, member);
    member.set_port(0);
    const std::string remove = record(2, member);
    write(out / "add_member", add);
    write(out / "remove_member", remove);
    write(out / "add_remove_member", add + remove);
    member.set_port(16);
    write(out / "add_member_out_of_range", record(1, member));
    write(out / "counters", std::string("\x04\x00\x00\x05\x00\x00", 6));
    for (int i = 4, n = 0; i < argc && n < 64; ++i, ++n) {
      v1::ExplainPacketRequest explain;
      explain.set_frame(slurp(argv[i]));
      explain.set_ingress_port(uint32_t(n % 9));
      write(out / ("explain." + fs::path(argv[i]).filename().string()), record(3, explain));
      ++written;
    }
    written += 8;
  } else {
    std::cerr << "fuzz_corpus_tool: unknown mode " << mode << "\n";
    return 2;
  }
  std::cout << written << "\n";
  return 0;
}
