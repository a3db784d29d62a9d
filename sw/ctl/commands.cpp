#include "commands.h"

#include <fstream>
#include <sstream>

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "config_loader.h"
#include "pcap_source.h"
#include "rates.h"
#include "table.h"

namespace broker::ctl {

namespace {

using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------
// Plumbing

void set_deadline(grpc::ClientContext& ctx, const GlobalOptions& g) {
  const auto ms = std::chrono::milliseconds(int64_t(g.timeout_s * 1000.0));
  ctx.set_deadline(std::chrono::system_clock::now() + ms);
}

// The proto3 JSON mapping with the .proto field names and every field present, so that a
// script finds "packets": "0" rather than a missing key.
json proto_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string s;
  const auto st = google::protobuf::util::MessageToJsonString(m, &s, o);
  if (!st.ok()) throw std::runtime_error("cannot convert to JSON: " + st.ToString());
  return json::parse(s);
}

void print_json(const json& j) { fmt::print("{}\n", j.dump(2)); }

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string hash_name(v1::HashFunction h) {
  switch (h) {
    case v1::HASH_FUNCTION_UNSPECIFIED:
    case v1::HASH_CRC32: return "crc32";
    case v1::HASH_XOR16: return "xor16";
    default: return fmt::format("hash({})", int(h));
  }
}

std::string mode_name(v1::SelectionMode m) {
  switch (m) {
    case v1::SELECTION_MODE_UNSPECIFIED:
    case v1::MODE_STATIC: return "static";
    case v1::MODE_DYNAMIC: return "dynamic";
    default: return fmt::format("mode({})", int(m));
  }
}

std::string tuple_name(int f) {
  const std::string& n = v1::TupleField_Name(v1::TupleField(f));
  return n.empty() ? fmt::format("field({})", f) : lower(n);
}

std::string binding_state_name(v1::BindingState s) {
  switch (s) {
    case v1::BINDING_NONE: return "none";
    case v1::BINDING_RUNNING: return "running";
    case v1::BINDING_DONE: return "done";
    case v1::BINDING_FAILED: return "failed";
    default: return "-";
  }
}

template <typename Container>
std::string join(const Container& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += fmt::format("{}", item);
  }
  return out;
}

std::string dash_if_empty(const std::string& s) { return s.empty() ? "-" : s; }

// An egress port's link: up, down (the wire), or down because an operator forced it.
std::string link_text(const v1::EgressCounters& p) {
  if (p.admin_down()) return "down (forced)";
  return p.link_up() ? "up" : "down";
}

// Port names from every source that has them (configuration first).
struct PortNames {
  std::map<uint32_t, std::string> in, out;

  void add(const v1::Config& c) {
    for (const auto& p : c.ingress_ports())
      if (!p.name().empty()) in.emplace(p.port(), p.name());
    for (const auto& p : c.egress_ports())
      if (!p.name().empty()) out.emplace(p.port(), p.name());
  }
  void add(const v1::Capabilities& c) {
    for (const auto& p : c.ingress_ports())
      if (!p.name().empty()) in.emplace(p.port(), p.name());
    for (const auto& p : c.egress_ports())
      if (!p.name().empty()) out.emplace(p.port(), p.name());
  }
  std::string egress_label(uint32_t port) const {
    const auto it = out.find(port);
    return it == out.end() ? fmt::format("{}", port) : fmt::format("{} ({})", port, it->second);
  }
};

std::string ip_proto_name(uint32_t p) {
  switch (p) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 89: return "ospf";
    case 132: return "sctp";
    default: return "";
  }
}

void print_issues(const google::protobuf::RepeatedPtrField<v1::ConfigIssue>& issues,
                  std::FILE* out = stdout) {
  for (const auto& w : issues) {
    if (w.field().empty())
      fmt::print(out, "warning: {}\n", w.message());
    else
      fmt::print(out, "warning: {}: {}\n", w.field(), w.message());
  }
}

// The data path ID as text when it is four printable characters ("NPKB").
std::string data_path_id(uint32_t id) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = char((id >> shift) & 0xFF);
    if (!std::isprint(static_cast<unsigned char>(c))) return fmt::format("0x{:08x}", id);
    s += c;
  }
  return fmt::format("{} (0x{:08x})", s, id);
}

uint64_t wall_clock_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

std::string local_time(uint64_t ts_ns) {
  const std::time_t t = std::time_t(ts_ns / 1000000000ull);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Counters rendering

// A port nobody configured and nothing used: hidden unless --all, so that a 16-port card
// with two tools in use does not read as a page of zeros.
bool idle(const v1::IngressCounters& p) {
  return p.name().empty() && p.binding().empty() && p.packets() == 0 && p.bytes() == 0 &&
         p.drops() == 0 &&
         (p.binding_state() == v1::BINDING_NONE ||
          p.binding_state() == v1::BINDING_STATE_UNSPECIFIED);
}
bool idle(const v1::EgressCounters& p, const std::set<uint32_t>& members) {
  return p.name().empty() && p.binding().empty() && p.packets() == 0 && p.bytes() == 0 && p.drops() == 0 &&
         p.peak_utilization_bp() == 0 && !members.count(p.port());
}

// A binding and, when it failed, why: "pcap:out.pcap: cannot write ...".
std::string binding_cell(const std::string& binding, const std::string& error, uint64_t unwritten = 0) {
  std::string text = binding;
  if (!error.empty()) text += (text.empty() ? "" : ": ") + error;
  if (unwritten > 0) text += fmt::format(" ({} frames unwritten)", unwritten);
  return dash_if_empty(text);
}

}  // namespace

std::string render_counters(const v1::CountersSnapshot& s, const PortRates* rates, bool human,
                            bool all) {
  std::string out;
  std::set<uint32_t> members;
  for (const auto& g : s.groups())
    for (const auto& m : g.members()) members.insert(m.port());
  size_t hidden = 0;
  auto bytes = [&](uint64_t b) { return human ? human_bytes(b) : fmt::format("{}", b); };
  auto rate_cells = [&](const std::map<uint32_t, std::optional<Rate>>& m, uint32_t port,
                        std::vector<std::string>& row) {
    const auto it = m.find(port);
    if (it == m.end() || !it->second) {
      row.push_back("-");
      row.push_back("-");
    } else {
      row.push_back(human_packets_per_second(it->second->packets_per_s));
      row.push_back(human_bits_per_second(it->second->bits_per_s));
    }
  };

  {
    std::vector<Table::Column> cols = {{"INGRESS", Align::kRight}, {"NAME"},
                                       {"PACKETS", Align::kRight}, {"BYTES", Align::kRight},
                                       {"DROPS", Align::kRight}};
    if (rates) {
      cols.push_back({"PKT/S", Align::kRight});
      cols.push_back({"BIT/S", Align::kRight});
    }
    // Tunnel termination: shown once some port terminated, passed or met a tunnel.
    bool tunnels = false;
    for (const auto& p : s.ingress())
      tunnels = tunnels || p.tunnel_terminated() || p.tunnel_passed() || p.tunnel_fragments();
    if (tunnels) {
      cols.push_back({"TERMINATED", Align::kRight});
      cols.push_back({"PASSED", Align::kRight});
      cols.push_back({"TUN-FRAGS", Align::kRight});
    }
    cols.push_back({"STATE"});
    cols.push_back({"BINDING"});
    Table t(cols);
    for (const auto& p : s.ingress()) {
      if (!all && idle(p)) {
        ++hidden;
        continue;
      }
      std::vector<std::string> row = {fmt::format("{}", p.port()), dash_if_empty(p.name()),
                                      fmt::format("{}", p.packets()), bytes(p.bytes()),
                                      fmt::format("{}", p.drops())};
      if (rates) rate_cells(rates->in, p.port(), row);
      if (tunnels) {
        row.push_back(fmt::format("{}", p.tunnel_terminated()));
        row.push_back(fmt::format("{}", p.tunnel_passed()));
        row.push_back(fmt::format("{}", p.tunnel_fragments()));
      }
      row.push_back(binding_state_name(p.binding_state()));
      row.push_back(binding_cell(p.binding(), p.binding_error()));
      t.add_row(std::move(row));
    }
    out += t.render();
  }
  out += '\n';
  {
    std::vector<Table::Column> cols = {{"EGRESS", Align::kRight}, {"NAME"}, {"LINK"},
                                       {"PACKETS", Align::kRight}, {"BYTES", Align::kRight},
                                       {"DROPS", Align::kRight}};
    if (rates) {
      cols.push_back({"PKT/S", Align::kRight});
      cols.push_back({"BIT/S", Align::kRight});
    }
    cols.push_back({"UTIL", Align::kRight});
    cols.push_back({"PEAK", Align::kRight});
    cols.push_back({"SPEED", Align::kRight});
    cols.push_back({"STATE"});
    cols.push_back({"BINDING"});
    Table t(cols);
    for (const auto& p : s.egress()) {
      if (!all && idle(p, members)) {
        ++hidden;
        continue;
      }
      std::vector<std::string> row = {fmt::format("{}", p.port()), dash_if_empty(p.name()),
                                      link_text(p), fmt::format("{}", p.packets()),
                                      bytes(p.bytes()), fmt::format("{}", p.drops())};
      if (rates) rate_cells(rates->out, p.port(), row);
      row.push_back(percent_from_bp(p.utilization_bp()));
      row.push_back(percent_from_bp(p.peak_utilization_bp()));
      row.push_back(human_speed_mbps(p.speed_mbps()));
      row.push_back(binding_state_name(p.binding_state()));
      row.push_back(binding_cell(p.binding(), p.binding_error(), p.unwritten()));
      t.add_row(std::move(row));
    }
    out += t.render();
  }
  out += '\n';
  {
    std::map<uint32_t, std::string> egress_names;
    for (const auto& p : s.egress())
      if (!p.name().empty()) egress_names[p.port()] = p.name();
    Table t({{"GROUP"}, {"MEMBER"}, {"PACKETS", Align::kRight}, {"NEW FLOWS", Align::kRight},
             {"BUCKETS", Align::kRight}, {"UTIL", Align::kRight}, {"LINK"}});
    for (const auto& g : s.groups()) {
      t.add_row({g.name().empty() ? fmt::format("#{}", g.index()) : g.name(), "",
                 fmt::format("{}", g.packets()), fmt::format("{}", g.new_flows())});
      for (const auto& m : g.members()) {
        const auto it = egress_names.find(m.port());
        t.add_row({"", it == egress_names.end() ? fmt::format("{}", m.port())
                                                : fmt::format("{} {}", m.port(), it->second),
                   fmt::format("{}", m.packets()), "", fmt::format("{}", m.buckets()),
                   percent_from_bp(m.utilization_bp()), m.link_up() ? "up" : "down"});
      }
    }
    if (t.rows() == 0) t.add_row({"(none)"});
    out += t.render();
  }
  out += '\n';
  {
    const auto& d = s.data_path();
    Table t({{"DATA PATH"}, {"MALFORMED", Align::kRight}, {"FRAGMENTS", Align::kRight},
             {"DEPTH EXCEEDED", Align::kRight}, {"UNMAPPED DROPS", Align::kRight},
             {"THRESHOLD AVOIDS", Align::kRight}});
    t.add_row({"", fmt::format("{}", d.malformed()), fmt::format("{}", d.fragments()),
               fmt::format("{}", d.depth_exceeded()), fmt::format("{}", d.unmapped_drops()),
               fmt::format("{}", d.threshold_avoids())});
    out += t.render();
    // Its own table: one more column each would make the one above too wide for a terminal.
    Table f({{"LATER FRAGMENTS"}, {"FOLLOWED", Align::kRight}, {"MISSED", Align::kRight}});
    f.add_row({"", fmt::format("{}", d.fragment_follows()), fmt::format("{}", d.fragment_misses())});
    out += '\n' + f.render();
    Table r({{"REGISTERS"}, {"TIMEOUTS", Align::kRight}});
    r.add_row({"", fmt::format("{}", d.csr_timeouts())});
    out += '\n' + r.render();
  }
  if (s.filters_size() > 0) {
    out += '\n';
    Table t({{"FILTER", Align::kRight}, {"NAME"}, {"PACKETS", Align::kRight}, {"BYTES", Align::kRight}});
    for (const auto& f : s.filters())
      t.add_row({fmt::format("{}", f.index()), f.name(), fmt::format("{}", f.packets()), bytes(f.bytes())});
    out += t.render();
    out += fmt::format("dropped by filters: {}\n", s.data_path().filter_drops());
  }
  if (hidden > 0)
    out += fmt::format("\n{} idle unnamed port{} not shown (--all shows them)\n", hidden,
                       hidden == 1 ? "" : "s");
  return out;
}

namespace {

PortRates update_rates(RateTracker& tracker, const v1::CountersSnapshot& s) {
  const uint64_t ts = s.timestamp_ns() ? s.timestamp_ns() : wall_clock_ns();
  PortRates r;
  for (const auto& p : s.ingress())
    r.in[p.port()] = tracker.update(RateTracker::Direction::kIngress, p.port(),
                                    {ts, p.packets(), p.bytes()});
  for (const auto& p : s.egress())
    r.out[p.port()] = tracker.update(RateTracker::Direction::kEgress, p.port(),
                                     {ts, p.packets(), p.bytes()});
  return r;
}

json rates_json(const PortRates& r) {
  auto side = [](const std::map<uint32_t, std::optional<Rate>>& m) {
    json a = json::array();
    for (const auto& [port, rate] : m) {
      json e = {{"port", port}};
      if (rate) {
        e["packets_per_s"] = rate->packets_per_s;
        e["bits_per_s"] = rate->bits_per_s;
      } else {
        e["packets_per_s"] = nullptr;
        e["bits_per_s"] = nullptr;
      }
      a.push_back(std::move(e));
    }
    return a;
  };
  return {{"ingress", side(r.in)}, {"egress", side(r.out)}};
}

// Blocks SIGINT/SIGTERM in the calling thread (and in every thread it creates later) and
// cancels a ClientContext when one arrives, from a thread of its own: TryCancel is not
// async-signal-safe, so it must not run in a signal handler.
class InterruptCanceller {
 public:
  explicit InterruptCanceller(grpc::ClientContext& ctx) : ctx_(ctx) {
    thread_ = std::thread([this] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      const timespec tick{0, 100 * 1000 * 1000};
      while (!done_) {
        if (sigtimedwait(&set, nullptr, &tick) > 0) {
          interrupted_ = true;
          ctx_.TryCancel();
          return;
        }
      }
    });
  }
  ~InterruptCanceller() { stop(); }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool interrupted() const { return interrupted_; }

 private:
  grpc::ClientContext& ctx_;
  std::atomic<bool> done_{false};
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

int watch_counters(v1::Broker::StubInterface& stub, const GlobalOptions& g,
                   const CountersOptions& o) {
  grpc::ClientContext ctx;  // no deadline: it runs until cancelled
  InterruptCanceller canceller(ctx);
  v1::StreamCountersRequest req;
  req.set_interval_ms(o.interval_ms);
  req.set_count(o.count);
  auto reader = stub.StreamCounters(&ctx, req);

  const bool tty = !g.json && isatty(STDOUT_FILENO);
  RateTracker tracker;
  v1::CountersSnapshot snap;
  bool first = true;
  while (reader->Read(&snap)) {
    const PortRates rates = update_rates(tracker, snap);
    if (g.json) {
      json line = {{"snapshot", proto_json(snap)}, {"rates", rates_json(rates)}};
      fmt::print("{}\n", line.dump());
      std::fflush(stdout);
      continue;
    }
    const uint64_t ts = snap.timestamp_ns() ? snap.timestamp_ns() : wall_clock_ns();
    std::string frame = fmt::format("brokerctl counters  {}  every {} ms  {}  generation {}{}\n\n",
                                    g.target, o.interval_ms, local_time(ts), snap.generation(),
                                    tty ? "  (Ctrl-C quits)" : "");
    frame += render_counters(snap, &rates, o.human, o.all);
    if (tty) {
      // Home, each line cleared to its end, then the rest of the screen: no flicker.
      std::string screen = first ? "\x1b[2J\x1b[H" : "\x1b[H";
      size_t start = 0;
      while (start < frame.size()) {
        const size_t nl = frame.find('\n', start);
        const size_t end = nl == std::string::npos ? frame.size() : nl;
        screen.append(frame, start, end - start);
        screen += "\x1b[K\n";
        start = end + 1;
      }
      screen += "\x1b[J";
      fmt::print("{}", screen);
    } else {
      fmt::print("{}{}", first ? "" : "\n", frame);
    }
    std::fflush(stdout);
    first = false;
  }
  const grpc::Status status = reader->Finish();
  canceller.stop();
  if (canceller.interrupted()) return kExitOk;  // Ctrl-C: the CANCELLED status is ours
  if (!status.ok()) return report_rpc_error(status, g);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// Decision log columns (DESIGN.md, normative order; brokerd's writer appends more).

constexpr const char* kDecisionLogColumns[] = {
    "frame",     "in_port",  "eth_src",       "eth_dst",       "ethertype", "vlan",
    "mpls",      "ip_proto", "src_ip",        "dst_ip",        "src_port",  "dst_port",
    "gtp_teid",  "gtp_inner_src", "gtp_inner_dst", "fragment",  "malformed", "hash",
    "bucket",    "group",    "out_port",      "len",           "ts_ns",     "depth_exceeded",
    "frag_follow", "tunnel",   "tunnel_id",     "tunnel_src",    "filter"};

std::vector<std::string> split_tabs(const std::string& row) {
  std::vector<std::string> cells;
  size_t start = 0;
  while (true) {
    const size_t tab = row.find('\t', start);
    cells.push_back(row.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return cells;
}

std::string read_frame_from_pcap(const std::string& path, uint64_t k) {
  io::PcapSource source(path);
  io::Frame frame;
  uint64_t n = 0;
  while (source.next(frame)) {
    if (++n == k) return std::string(frame.data.begin(), frame.data.end());
  }
  throw std::invalid_argument(fmt::format("{}: has {} frame{}, no frame {}", path, n,
                                          n == 1 ? "" : "s", k));
}

}  // namespace

// -----------------------------------------------------------------------------------------
// Public helpers

namespace {
std::string read_pem(const std::string& path, const char* option) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} {}: cannot be read", option, path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::shared_ptr<grpc::Channel> make_channel(const std::string& target, const TlsClientOptions& tls) {
  // Plaintext on a Unix socket (its file permissions are the access control) or loopback.
  if (tls.ca.empty()) return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = read_pem(tls.ca, "--tls-ca");
  if (!tls.cert.empty()) {
    o.pem_cert_chain = read_pem(tls.cert, "--tls-cert");
    o.pem_private_key = read_pem(tls.key, "--tls-key");
  }
  grpc::ChannelArguments args;
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(o), args);
}

const char* status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

int exit_code_for(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK: return kExitOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: return kExitUnreachable;
    default: return kExitRefused;
  }
}

int report_rpc_error(const grpc::Status& status, const GlobalOptions& g) {
  const int rc = exit_code_for(status);
  std::string message = status.error_message();
  if (message.empty()) message = "(no message)";
  // brokerd puts one configuration issue a line: each gets the prefix, so each reads alone.
  size_t start = 0;
  while (start <= message.size()) {
    size_t nl = message.find('\n', start);
    if (nl == std::string::npos) nl = message.size();
    if (nl > start || start == 0)
      fmt::print(stderr, "brokerctl: {}: {}\n", status_code_name(status.error_code()),
                 std::string_view(message).substr(start, nl - start));
    start = nl + 1;
  }
  if (rc == kExitUnreachable) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      fmt::print(stderr,
                 "brokerctl: hint: brokerd at {} did not answer within {} s (--timeout)\n",
                 g.target, g.timeout_s);
    else
      fmt::print(stderr,
                 "brokerctl: hint: is brokerd running and listening on {}? "
                 "(--target or ${} selects another)\n",
                 g.target, kTargetEnv);
  }
  return rc;
}

std::string parse_hex(const std::string& text) {
  std::string out;
  int high = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
        high < 0) {
      ++i;  // "0x" prefix (before a byte, never inside one)
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == '-' || c == '.') {
      if (high >= 0)
        throw std::invalid_argument(fmt::format("odd hex digit before offset {}", i));
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else
      throw std::invalid_argument(fmt::format("'{}' at offset {} is not a hex digit", c, i));
    if (high < 0) {
      high = v;
    } else {
      out += char((high << 4) | v);
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  if (out.empty()) throw std::invalid_argument("no bytes");
  return out;
}

std::string hex_dump(const std::string& bytes, const std::string& indent) {
  std::string out;
  for (size_t off = 0; off < bytes.size(); off += 16) {
    out += fmt::format("{}{:04x} ", indent, off);
    for (size_t i = off; i < off + 16 && i < bytes.size(); ++i) {
      out += (i - off == 8) ? "  " : " ";
      out += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
    }
    out += '\n';
  }
  return out;
}

// -----------------------------------------------------------------------------------------
// status

namespace {

// A tool port's tunnel in one cell: "erspan3 2001:db8::1 -> 2001:db8::2 id 5 slice 128".
std::string tunnel_text(const v1::EgressTunnel& t) {
  const std::string kind = t.type() == v1::TUNNEL_ERSPAN ? fmt::format("erspan{}", t.erspan_version()) : "gre";
  std::string s = fmt::format("{} {} -> {}", kind, t.src_ip(), t.dst_ip());
  if (t.key() != 0) s += (t.type() == v1::TUNNEL_ERSPAN ? " id " : " key ") + std::to_string(t.key());
  if (t.slice_bytes() != 0) s += fmt::format(" slice {}", t.slice_bytes());
  return s;
}

}  // namespace

int cmd_status(v1::Broker::StubInterface& stub, const GlobalOptions& g, const StatusOptions& o) {
  v1::Capabilities caps;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    const auto st = stub.GetCapabilities(&ctx, {}, &caps);
    if (!st.ok()) return report_rpc_error(st, g);
  }

  v1::CountersSnapshot counters;
  auto get_counters = [&]() {
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    return stub.GetCounters(&ctx, {}, &counters);
  };
  if (auto st = get_counters(); !st.ok()) return report_rpc_error(st, g);

  auto running = [&]() {
    std::vector<uint32_t> ports;
    for (const auto& p : counters.ingress())
      if (p.binding_state() == v1::BINDING_RUNNING) ports.push_back(p.port());
    return ports;
  };

  int rc = kExitOk;
  bool waited = false, wait_timed_out = false;
  if (o.wait_bindings_s) {
    waited = true;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(int64_t(*o.wait_bindings_s * 1000.0));
    while (!running().empty()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        wait_timed_out = true;
        rc = kExitWaitTimeout;
        break;
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(200),
                                                        deadline - now));
      if (auto st = get_counters(); !st.ok()) return report_rpc_error(st, g);
    }
  }

  v1::GetConfigResponse cfg;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    const auto st = stub.GetConfig(&ctx, {}, &cfg);
    if (!st.ok()) return report_rpc_error(st, g);
  }

  const std::vector<uint32_t> still_running = running();
  auto report_wait = [&]() {
    if (!wait_timed_out) return;
    std::vector<std::string> what;
    for (const auto& p : counters.ingress())
      if (p.binding_state() == v1::BINDING_RUNNING)
        what.push_back(p.binding().empty() ? fmt::format("port {}", p.port())
                                           : fmt::format("port {} ({})", p.port(), p.binding()));
    fmt::print(stderr, "brokerctl: ingress bindings still running after {} s: {}\n",
               *o.wait_bindings_s, join(what, ", "));
  };

  if (g.json) {
    json j = {{"target", g.target},
              {"generation", std::to_string(cfg.generation())},
              {"capabilities", proto_json(caps)},
              {"config", proto_json(cfg.config())},
              {"counters", proto_json(counters)},
              {"bindings_running", still_running}};
    if (waited) j["wait_timed_out"] = wait_timed_out;
    print_json(j);
    report_wait();
    return rc;
  }

  PortNames names;
  names.add(cfg.config());
  names.add(caps);
  const auto& lim = caps.limits();
  const auto& dp = caps.data_path();

  Table head({{""}, {""}});
  head.add_row({"target", g.target});
  head.add_row({"api", caps.software_version().empty()
                           ? caps.api_version()
                           : fmt::format("{}, brokerd {}", caps.api_version(),
                                         caps.software_version())});
  head.add_row({"card", caps.card_description().empty()
                            ? caps.card_kind()
                            : fmt::format("{}: {}", caps.card_kind(), caps.card_description())});
  head.add_row({"data path", fmt::format("{} version {}.{}", data_path_id(dp.id()),
                                         dp.version_major(), dp.version_minor())});
  head.add_row({"config", fmt::format("{}generation {}",
                                      cfg.config().name().empty()
                                          ? std::string()
                                          : fmt::format("\"{}\", ", cfg.config().name()),
                                      cfg.generation())});
  head.add_row({"access", caps.read_only() ? "read-only" : "read-write"});
  head.add_row({"limits", fmt::format("{} ingress ports, {} egress ports, {} groups of up to {} "
                                      "members, {} buckets a group",
                                      lim.ingress_ports(), lim.egress_ports(), lim.groups(),
                                      lim.members_per_group(), lim.buckets_per_group())});
  head.add_row({"", fmt::format("parser reads {} bytes of a frame, key {} bytes",
                                lim.parse_bytes(), lim.key_bytes())});
  fmt::print("{}", head.render());

  // Ingress ports: the card's, the configuration's and the counters', by number.
  std::map<uint32_t, std::string> group_of_ingress;
  for (const auto& grp : cfg.config().groups())
    for (uint32_t p : grp.ingress_ports()) group_of_ingress[p] = grp.name();
  std::map<uint32_t, const v1::IngressCounters*> ingress_counters;
  for (const auto& p : counters.ingress()) ingress_counters[p.port()] = &p;
  std::set<uint32_t> ingress_ports;
  for (const auto& p : caps.ingress_ports()) ingress_ports.insert(p.port());
  for (const auto& p : cfg.config().ingress_ports()) ingress_ports.insert(p.port());
  for (const auto& p : counters.ingress()) ingress_ports.insert(p.port());

  fmt::print("\ningress ports\n");
  Table in({{"PORT", Align::kRight}, {"NAME"}, {"GROUP"}, {"PACKETS", Align::kRight},
            {"STATE"}, {"BINDING"}});
  for (uint32_t port : ingress_ports) {
    const auto name = names.in.count(port) ? names.in.at(port) : std::string();
    const auto grp = group_of_ingress.count(port) ? group_of_ingress.at(port) : std::string();
    std::string packets = "-", state = "-", binding = "-";
    if (const auto it = ingress_counters.find(port); it != ingress_counters.end()) {
      const auto& c = *it->second;
      packets = fmt::format("{}", c.packets());
      state = binding_state_name(c.binding_state());
      binding = c.binding();
      if (!c.binding_error().empty()) binding += (binding.empty() ? "" : ": ") + c.binding_error();
      binding = dash_if_empty(binding);
    }
    in.add_row({fmt::format("{}", port), dash_if_empty(name), dash_if_empty(grp), packets, state,
                binding});
  }
  fmt::print("{}", in.render("  "));

  // Egress ports with speeds and the groups they serve.
  std::map<uint32_t, std::vector<std::string>> groups_of_egress;
  for (const auto& grp : cfg.config().groups())
    for (uint32_t p : grp.members()) groups_of_egress[p].push_back(grp.name());
  std::map<uint32_t, uint64_t> speeds;
  for (const auto& p : caps.egress_ports()) speeds[p.port()] = p.speed_mbps();
  for (const auto& p : counters.egress())
    if (p.speed_mbps()) speeds[p.port()] = p.speed_mbps();
  for (const auto& p : cfg.config().egress_ports())
    if (!speeds.count(p.port())) speeds[p.port()] = p.speed_mbps();

  std::map<uint32_t, std::string> tunnel_of_egress;
  for (const auto& p : cfg.config().egress_ports())
    if (p.has_tunnel()) tunnel_of_egress[p.port()] = tunnel_text(p.tunnel());

  fmt::print("\negress ports\n");
  Table out({{"PORT", Align::kRight}, {"NAME"}, {"SPEED", Align::kRight}, {"GROUPS"}, {"TUNNEL"}});
  for (const auto& [port, speed] : speeds) {
    const auto name = names.out.count(port) ? names.out.at(port) : std::string();
    out.add_row({fmt::format("{}", port), dash_if_empty(name), human_speed_mbps(speed),
                 groups_of_egress.count(port) ? join(groups_of_egress.at(port), ", ") : "-",
                 tunnel_of_egress.count(port) ? tunnel_of_egress.at(port) : "-"});
  }
  fmt::print("{}", out.render("  "));

  // Groups: settings, then members with their bucket shares.
  std::map<std::string, const v1::GroupCounters*> group_counters;
  for (const auto& gc : counters.groups()) group_counters[gc.name()] = &gc;
  fmt::print("\ngroups\n");
  if (cfg.config().groups_size() == 0) fmt::print("  (none)\n");
  for (int gi = 0; gi < cfg.config().groups_size(); ++gi) {
    const auto& grp = cfg.config().groups(gi);
    std::string settings = fmt::format("{}, {}{}", mode_name(grp.mode()), hash_name(grp.hash()),
                                       grp.symmetric() ? ", symmetric" : "");
    if (grp.mode() == v1::MODE_DYNAMIC)
      settings += fmt::format(", threshold {}, idle {} us",
                              percent_from_bp(grp.utilization_threshold_bp() ? grp.utilization_threshold_bp() : 8000),
                              grp.idle_timeout_us() ? grp.idle_timeout_us() : 30000000u);
    fmt::print("  {}: {}\n", grp.name(), settings);
    std::vector<std::string> tuple;
    for (int f : grp.tuple()) tuple.push_back(tuple_name(f));
    std::vector<std::string> ingress;
    for (uint32_t p : grp.ingress_ports())
      ingress.push_back(names.in.count(p) ? fmt::format("{} ({})", p, names.in.at(p))
                                          : fmt::format("{}", p));
    fmt::print("    tuple    {}\n", tuple.empty() ? "-" : join(tuple, " "));
    fmt::print("    ingress  {}\n", ingress.empty() ? "-" : join(ingress, ", "));
    if (grp.members_size() == 0) {
      fmt::print("    members  none\n");
      continue;
    }
    std::map<uint32_t, uint32_t> buckets;
    if (const auto it = group_counters.find(grp.name()); it != group_counters.end())
      for (const auto& m : it->second->members()) buckets[m.port()] = m.buckets();
    Table members({{"MEMBER", Align::kRight}, {"NAME"}, {"BUCKETS", Align::kRight}});
    for (uint32_t p : grp.members())
      members.add_row({fmt::format("{}", p),
                       dash_if_empty(names.out.count(p) ? names.out.at(p) : std::string()),
                       buckets.count(p) ? fmt::format("{}", buckets.at(p)) : "-"});
    fmt::print("{}", members.render("    "));
  }

  if (waited && !wait_timed_out) fmt::print("\nall ingress bindings finished\n");
  report_wait();
  return rc;
}

// -----------------------------------------------------------------------------------------
// config

int cmd_config_get(v1::Broker::StubInterface& stub, const GlobalOptions& g) {
  v1::GetConfigResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = stub.GetConfig(&ctx, {}, &resp);
  if (!st.ok()) return report_rpc_error(st, g);
  if (g.json) {
    // The configuration itself, so that `config get --json > f.json; config set f.json`
    // round-trips; the generation is in `status --json`.
    std::string text = config::to_json(resp.config());
    fmt::print("{}{}", text, (!text.empty() && text.back() == '\n') ? "" : "\n");
  } else {
    fmt::print("# broker.v1.Config from {}, generation {}\n", g.target, resp.generation());
    fmt::print("{}", config::to_text(resp.config()));
  }
  return kExitOk;
}

int cmd_filter_list(v1::Broker::StubInterface& stub, const GlobalOptions& g) {
  v1::GetConfigResponse cfg;
  v1::CountersSnapshot snap;
  {
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    const auto st = stub.GetConfig(&ctx, {}, &cfg);
    if (!st.ok()) return report_rpc_error(st, g);
  }
  {
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    const auto st = stub.GetCounters(&ctx, {}, &snap);
    if (!st.ok()) return report_rpc_error(st, g);
  }
  std::map<std::string, const v1::Filter*> by_name;
  for (const auto& f : cfg.config().filters()) by_name[f.name()] = &f;
  google::protobuf::TextFormat::Printer one_line;
  one_line.SetSingleLineMode(true);
  if (g.json) {
    json out = json::array();
    for (const auto& c : snap.filters()) {
      json j = proto_json(c);
      if (const auto it = by_name.find(c.name()); it != by_name.end()) j["filter"] = proto_json(*it->second);
      out.push_back(std::move(j));
    }
    print_json(out);
    return kExitOk;
  }
  if (snap.filters_size() == 0) {
    fmt::print("no filters: every frame goes to its ingress port's group\n");
    return kExitOk;
  }
  Table t({{"RULE", Align::kRight}, {"NAME"}, {"PRIORITY", Align::kRight}, {"MATCH"}, {"ACTION"},
           {"PACKETS", Align::kRight}, {"BYTES", Align::kRight}});
  for (const auto& c : snap.filters()) {
    const auto it = by_name.find(c.name());
    std::string match, action = "-", priority = "-";
    if (it != by_name.end()) {
      one_line.PrintToString(it->second->match(), &match);
      while (!match.empty() && match.back() == ' ') match.pop_back();
      action = it->second->drop() ? "drop" : "to " + join(it->second->groups(), ", ");
      priority = fmt::format("{}", it->second->priority());
    }
    t.add_row({fmt::format("{}", c.index()), c.name(), priority, match.empty() ? "any frame" : match, action,
               fmt::format("{}", c.packets()), fmt::format("{}", c.bytes())});
  }
  fmt::print("{}", t.render());
  fmt::print("dropped by filters: {}\n", snap.data_path().filter_drops());
  return kExitOk;
}

int cmd_config_set(v1::Broker::StubInterface& stub, const GlobalOptions& g,
                   const ConfigSetOptions& o) {
  v1::SetConfigRequest req;
  try {
    if (o.file == "-") {
      const std::string text{std::istreambuf_iterator<char>(std::cin),
                             std::istreambuf_iterator<char>()};
      *req.mutable_config() = config::parse_config_text(text, config::Format::kAuto, "<stdin>");
    } else {
      *req.mutable_config() = config::load_config_file(o.file);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "brokerctl: {}\n", e.what());
    return kExitUsage;
  }
  req.set_validate_only(o.validate_only);
  if (o.expected_generation) req.set_expected_generation(*o.expected_generation);

  v1::SetConfigResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = stub.SetConfig(&ctx, req, &resp);
  if (!st.ok()) return report_rpc_error(st, g);
  if (g.json) {
    print_json(proto_json(resp));
    return kExitOk;
  }
  if (o.validate_only)
    fmt::print("valid\n");
  else if (resp.applied())
    fmt::print("applied, generation {}\n", resp.generation());
  else
    fmt::print("not applied, generation {}\n", resp.generation());
  print_issues(resp.warnings());
  return kExitOk;
}

// -----------------------------------------------------------------------------------------
// group

int cmd_group_member(v1::Broker::StubInterface& stub, const GlobalOptions& g,
                     const GroupMemberOptions& o) {
  v1::GroupMemberRequest req;
  req.set_group(o.group);
  req.set_port(o.port);
  if (o.expected_generation) req.set_expected_generation(*o.expected_generation);
  v1::GroupMemberResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = o.add ? stub.AddGroupMember(&ctx, req, &resp)
                        : stub.RemoveGroupMember(&ctx, req, &resp);
  if (!st.ok()) return report_rpc_error(st, g);
  if (g.json) {
    print_json(proto_json(resp));
    return kExitOk;
  }
  fmt::print("{} port {} {} group {}: {} bucket{} moved, generation {}\n",
             o.add ? "added" : "removed", o.port, o.add ? "to" : "from", o.group,
             resp.buckets_moved(), resp.buckets_moved() == 1 ? "" : "s", resp.generation());
  print_issues(resp.warnings());
  return kExitOk;
}

// -----------------------------------------------------------------------------------------
// port

int cmd_port_link(v1::Broker::StubInterface& stub, const GlobalOptions& g, uint32_t port, bool admin_down) {
  v1::SetEgressLinkRequest req;
  req.set_port(port);
  req.set_admin_down(admin_down);
  v1::SetEgressLinkResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = stub.SetEgressLink(&ctx, req, &resp);
  if (!st.ok()) return report_rpc_error(st, g);
  if (g.json) {
    print_json(proto_json(resp));
    return kExitOk;
  }
  fmt::print("egress port {}: {}, link {}; {} bucket{} moved\n", port,
             admin_down ? "forced down" : "follows its wire", resp.link_up() ? "up" : "down",
             resp.buckets_moved(), resp.buckets_moved() == 1 ? "" : "s");
  return kExitOk;
}

// -----------------------------------------------------------------------------------------
// counters

void block_interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int cmd_counters(v1::Broker::StubInterface& stub, const GlobalOptions& g,
                 const CountersOptions& o) {
  if (o.clear) {
    v1::ClearCountersResponse resp;
    grpc::ClientContext ctx;
    set_deadline(ctx, g);
    const auto st = stub.ClearCounters(&ctx, {}, &resp);
    if (!st.ok()) return report_rpc_error(st, g);
    if (!o.watch) {
      if (g.json)
        print_json(json{{"cleared", true}});
      else
        fmt::print("counters cleared\n");
      return kExitOk;
    }
  }
  if (o.watch) return watch_counters(stub, g, o);

  v1::CountersSnapshot snap;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = stub.GetCounters(&ctx, {}, &snap);
  if (!st.ok()) return report_rpc_error(st, g);
  if (g.json)
    print_json(proto_json(snap));
  else
    fmt::print("{}", render_counters(snap, nullptr, o.human, o.all));
  return kExitOk;
}

// -----------------------------------------------------------------------------------------
// explain

int cmd_explain(v1::Broker::StubInterface& stub, const GlobalOptions& g, const ExplainOptions& o) {
  v1::ExplainPacketRequest req;
  req.set_ingress_port(o.port);
  std::string source;
  try {
    if (!o.pcap.empty()) {
      req.set_frame(read_frame_from_pcap(o.pcap, o.frame));
      source = fmt::format("{} frame {}", o.pcap, o.frame);
    } else {
      req.set_frame(parse_hex(o.hex));
      source = "--hex";
    }
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "brokerctl: {}{}\n", o.pcap.empty() ? "--hex: " : "", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "brokerctl: {}\n", e.what());
    return kExitUsage;
  }

  v1::ExplainPacketResponse resp;
  grpc::ClientContext ctx;
  set_deadline(ctx, g);
  const auto st = stub.ExplainPacket(&ctx, req, &resp);
  if (!st.ok()) return report_rpc_error(st, g);

  if (g.json) {
    json j = proto_json(resp);
    std::string key_hex;
    for (unsigned char c : resp.key()) key_hex += fmt::format("{:02x}", c);
    j["key_hex"] = key_hex;
    print_json(j);
    return kExitOk;
  }

  const auto& f = resp.fields();
  Table t({{""}, {""}});
  t.add_row({"frame", fmt::format("{} bytes from {}, ingress port {}", req.frame().size(), source,
                                  o.port)});
  if (!f.tunnel().empty() && f.tunnel() != "none")
    t.add_row({"tunnel", fmt::format("{} id {} from {}, terminated: the fields below are the inner frame's",
                                     f.tunnel(), f.tunnel_id(), dash_if_empty(f.tunnel_src()))});
  t.add_row({"ethernet", fmt::format("{} > {}, ethertype 0x{:04x}", dash_if_empty(f.eth_src()),
                                     dash_if_empty(f.eth_dst()), f.ethertype())});
  if (f.vlan_ids_size() > 0) t.add_row({"vlan", join(f.vlan_ids(), " ")});
  if (f.mpls_labels_size() > 0) t.add_row({"mpls", join(f.mpls_labels(), " ")});
  if (f.ip_version() != 0) {
    const std::string proto_name = ip_proto_name(f.ip_proto());
    t.add_row({"ip", fmt::format("v{} {} > {}, protocol {}{}", f.ip_version(),
                                 dash_if_empty(f.src_ip()), dash_if_empty(f.dst_ip()),
                                 f.ip_proto(), proto_name.empty() ? "" : " (" + proto_name + ")")});
  }
  if (f.has_l4()) t.add_row({"l4", fmt::format("port {} > {}", f.src_port(), f.dst_port())});
  if (f.has_gtp())
    t.add_row({"gtp-u", fmt::format("teid 0x{:08x}, inner {} > {}", f.gtp_teid(),
                                    dash_if_empty(f.gtp_inner_src()),
                                    dash_if_empty(f.gtp_inner_dst()))});
  std::vector<std::string> flags;
  if (f.fragment()) flags.push_back("fragment");
  if (f.malformed()) flags.push_back("malformed");
  if (f.depth_exceeded()) flags.push_back("depth-exceeded");
  t.add_row({"flags", flags.empty() ? "none" : join(flags, ", ")});
  t.add_row({"key", fmt::format("{} bytes (after tuple mask and symmetric ordering)",
                                resp.key().size())});
  fmt::print("{}", t.render());
  fmt::print("{}", hex_dump(resp.key(), "  "));

  Table d({{""}, {""}});
  if (resp.mapped()) {
    d.add_row({"hash", fmt::format("0x{:08x}", resp.hash())});
    d.add_row({"bucket", fmt::format("{}", resp.bucket())});
    d.add_row({"group", fmt::format("{} (index {})", resp.group(), resp.group_index())});
    d.add_row({"member", resp.dropped() ? std::string("none: dropped")
                                        : fmt::format("port {} (slot {})", resp.member_port(),
                                                      resp.member_slot())});
  } else {
    d.add_row({"group", "none: the ingress port maps to no group"});
    d.add_row({"member", resp.dropped() ? "none: dropped" : "-"});
  }
  d.add_row({"frag_follow", resp.frag_follow() ? "yes: a later fragment, sent where its first fragment went"
                                               : "no"});
  d.add_row({"reason", dash_if_empty(resp.reason())});
  fmt::print("{}", d.render());

  if (!resp.decision_log_row().empty()) {
    const std::vector<std::string> cells = split_tabs(resp.decision_log_row());
    std::vector<Table::Column> cols;
    std::vector<std::string> row;
    constexpr size_t known = std::size(kDecisionLogColumns);
    for (size_t i = 0; i < cells.size(); ++i) {
      cols.push_back({i < known ? kDecisionLogColumns[i] : fmt::format("col{}", i + 1)});
      row.push_back(cells[i].empty() ? "-" : cells[i]);
    }
    // In slices that fit a terminal, header above values.
    fmt::print("decision log\n");
    size_t begin = 0;
    while (begin < cells.size()) {
      size_t end = begin, width = 2;
      while (end < cells.size()) {
        const size_t w = std::max(display_width(cols[end].title), display_width(row[end])) + 1;
        if (end > begin && width + w > 100) break;
        width += w;
        ++end;
      }
      Table slice(std::vector<Table::Column>(cols.begin() + begin, cols.begin() + end));
      slice.add_row(std::vector<std::string>(row.begin() + begin, row.begin() + end));
      fmt::print("{}", slice.render("  ", 1));
      begin = end;
    }
  }
  return kExitOk;
}

}  // namespace broker::ctl
