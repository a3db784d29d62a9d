// brokerctl's commands: one function per command, each taking the gRPC stub and its
// options, printing to standard output (errors to standard error) and returning the exit
// code. brokerctl_main.cpp only wires them to the command line.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "broker/v1/broker.grpc.pb.h"
#include "rates.h"

namespace broker::ctl {

// Exit codes (also in `brokerctl --help`). Command-line syntax errors keep CLI11's codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,        // a bad argument value, an unreadable or unparsable file
  kExitRefused = 2,      // the daemon answered with an error status
  kExitUnreachable = 3,  // UNAVAILABLE or DEADLINE_EXCEEDED: the daemon could not be reached
  kExitWaitTimeout = 4,  // a --wait-... condition did not come true in time
};

inline constexpr const char* kDefaultTarget = "unix:/run/brokerd/brokerd.sock";
inline constexpr const char* kTargetEnv = "BROKERCTL_TARGET";

struct TlsClientOptions {
  std::string ca;           // CA that the server certificate chains to; set: use TLS
  std::string cert, key;    // this client's certificate, for mutual TLS
  std::string server_name;  // name to check the server certificate against, if not the host
};

struct GlobalOptions {
  std::string target = kDefaultTarget;
  bool json = false;
  double timeout_s = 10;
  TlsClientOptions tls;
};

// Plaintext for Unix sockets and loopback; TLS (optionally mutual) when a CA is given.
// Throws std::runtime_error when a certificate file cannot be read.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target, const TlsClientOptions& tls = {});

// The name of a status code as in the gRPC specification ("INVALID_ARGUMENT").
const char* status_code_name(grpc::StatusCode code);
// The exit code a failed RPC maps to (2 or 3; 0 for OK).
int exit_code_for(const grpc::Status& status);
// Prints "brokerctl: CODE: message" (and for 3 a hint naming the target) to standard error
// and returns exit_code_for(status).
int report_rpc_error(const grpc::Status& status, const GlobalOptions& global);

struct StatusOptions {
  std::optional<double> wait_bindings_s;  // poll until no ingress binding is running
};
int cmd_status(v1::Broker::StubInterface& stub, const GlobalOptions& global,
               const StatusOptions& options);

int cmd_config_get(v1::Broker::StubInterface& stub, const GlobalOptions& global);
// The filters in the order the data path tries them, with what each matched.
int cmd_filter_list(v1::Broker::StubInterface& stub, const GlobalOptions& global);

struct ConfigSetOptions {
  std::string file;
  std::optional<uint64_t> expected_generation;
  bool validate_only = false;
};
int cmd_config_set(v1::Broker::StubInterface& stub, const GlobalOptions& global,
                   const ConfigSetOptions& options);

struct GroupMemberOptions {
  std::string group;
  uint32_t port = 0;
  bool add = true;
  std::optional<uint64_t> expected_generation;
};
int cmd_group_member(v1::Broker::StubInterface& stub, const GlobalOptions& global,
                     const GroupMemberOptions& options);

// port down|up: force an egress port's link down (failover) or let it follow the wire.
int cmd_port_link(v1::Broker::StubInterface& stub, const GlobalOptions& global, uint32_t port,
                  bool admin_down);

struct CountersOptions {
  bool clear = false;
  bool watch = false;
  uint32_t interval_ms = 1000;
  uint32_t count = 0;     // --watch: stop after this many snapshots; 0 = until Ctrl-C
  bool human = false;     // bytes in human units
  bool all = false;       // also ports without name, binding, membership or traffic
};
// counters --watch stops on Ctrl-C by cancelling its call from a thread that waits for
// SIGINT/SIGTERM; call this before the first gRPC channel exists, so that gRPC's own
// threads inherit the blocked mask and the default action cannot kill the process.
void block_interrupt_signals();
int cmd_counters(v1::Broker::StubInterface& stub, const GlobalOptions& global,
                 const CountersOptions& options);

// Rates since the previous snapshot, by port (nullopt: not known yet).
struct PortRates {
  std::map<uint32_t, std::optional<Rate>> in, out;
};
// The plain-text screen of `counters`: ingress, egress, groups, data path. rates is null
// without --watch; human and all as in CountersOptions.
std::string render_counters(const v1::CountersSnapshot& snapshot, const PortRates* rates,
                            bool human, bool all);

struct ExplainOptions {
  uint32_t port = 0;
  std::string hex;
  std::string pcap;
  uint64_t frame = 1;  // --pcap: which frame, counting from 1
};
int cmd_explain(v1::Broker::StubInterface& stub, const GlobalOptions& global,
                const ExplainOptions& options);

// Hex text to bytes: pairs of hex digits, optionally "0x"-prefixed, with any whitespace,
// ':', '-' or '.' between bytes. Throws std::invalid_argument naming the problem.
std::string parse_hex(const std::string& text);
// The 16-bytes-a-line dump with offsets used by `explain` for the key.
std::string hex_dump(const std::string& bytes, const std::string& indent = "  ");

}  // namespace broker::ctl
