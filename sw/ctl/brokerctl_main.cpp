// brokerctl: the packet broker's command line over the broker.v1 gRPC API.
// Command-line wiring only; the commands live in commands.cpp.
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.h"

namespace {

constexpr const char* kFooter = R"(
Exit codes:
  0  success
  1  usage error: a bad argument value, or a file that cannot be read or parsed
     (command-line syntax errors keep CLI11's codes, 100 and up)
  2  brokerd refused the request (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND,
     ABORTED, PERMISSION_DENIED, or any other error status);
     "brokerctl: <CODE>: <message>" goes to standard error
  3  brokerd cannot be reached (UNAVAILABLE, DEADLINE_EXCEEDED)
  4  a wait timed out (status --wait-bindings)

Environment:
  BROKERCTL_TARGET  the default for --target

Examples:
  brokerctl status
  brokerctl --target unix:/tmp/brokerd.sock config set broker.conf --expected-generation 3
  brokerctl group add-member tools 5
  brokerctl port down 2          # fail tool port 2 over to the other members
  brokerctl counters --watch --interval 500
  brokerctl explain --port 0 --pcap trace.pcap --frame 12)";

// A number above zero, with a readable complaint (CLI::PositiveNumber prints its range
// up to DBL_MAX).
CLI::Validator above_zero() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !(v > 0))
          return fmt::format("must be a number greater than 0, got '{}'", text);
        return {};
      },
      "> 0");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace broker::ctl;

  CLI::App app{"brokerctl: configure and observe the packet broker daemon (brokerd) over its "
               "gRPC API (broker.v1.Broker)."};
  app.name("brokerctl");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the command: `config get --json`

  GlobalOptions global;
  app.add_option("--target", global.target,
                 "brokerd's gRPC address: unix:PATH or HOST:PORT")
      ->envname(kTargetEnv)
      ->capture_default_str();
  app.add_flag("--json", global.json,
               "Machine output: the proto3 JSON mapping with .proto field names");
  app.add_option("--tls-ca", global.tls.ca, "Use TLS: the CA (PEM) the server certificate chains to");
  app.add_option("--tls-cert", global.tls.cert, "Client certificate (PEM), for mutual TLS");
  app.add_option("--tls-key", global.tls.key, "Client private key (PEM), for mutual TLS");
  app.add_option("--tls-server-name", global.tls.server_name,
                 "Name the server certificate must carry, when it is not the target's host");
  app.add_option("--timeout", global.timeout_s, "Seconds to wait for each call")
      ->check(above_zero())
      ->type_name("SECONDS")
      ->capture_default_str();

  std::function<int(broker::v1::Broker::StubInterface&)> run;
  bool watch_mode = false;

  // status
  StatusOptions status_opts;
  double wait_bindings = 0;
  auto* status = app.add_subcommand(
      "status", "Card, data path, limits, ports, groups and ingress bindings");
  auto* wait_opt = status->add_option(
      "--wait-bindings", wait_bindings,
      "Wait up to SECONDS until no ingress binding is running (exit 4 on timeout)");
  wait_opt->check(CLI::NonNegativeNumber)->type_name("SECONDS");
  status->callback([&] {
    if (wait_opt->count() > 0) status_opts.wait_bindings_s = wait_bindings;
    run = [&](auto& stub) { return cmd_status(stub, global, status_opts); };
  });

  // config get|set|validate
  auto* config = app.add_subcommand("config", "Read, replace or check the configuration");
  config->require_subcommand(1);
  config->add_subcommand("get", "Print the configuration (text format; --json for JSON)")
      ->callback([&] { run = [&](auto& stub) { return cmd_config_get(stub, global); }; });

  ConfigSetOptions set_opts;
  uint64_t set_expected = 0;
  auto* set = config->add_subcommand(
      "set", "Replace the whole configuration, all or nothing; prints the new generation");
  set->add_option("FILE", set_opts.file, "broker.v1.Config, text format or JSON ('-': stdin)")
      ->required();
  auto* expected_opt = set->add_option(
      "--expected-generation", set_expected,
      "Refuse (ABORTED) unless the current generation is N");
  expected_opt->type_name("N");
  set->callback([&] {
    if (expected_opt->count() > 0) set_opts.expected_generation = set_expected;
    run = [&](auto& stub) { return cmd_config_set(stub, global, set_opts); };
  });

  ConfigSetOptions validate_opts;
  validate_opts.validate_only = true;
  auto* validate = config->add_subcommand(
      "validate", "Check a configuration with brokerd without applying it");
  validate->add_option("FILE", validate_opts.file,
                       "broker.v1.Config, text format or JSON ('-': stdin)")
      ->required();
  validate->callback(
      [&] { run = [&](auto& stub) { return cmd_config_set(stub, global, validate_opts); }; });

  // group add-member|remove-member
  auto* group = app.add_subcommand("group", "Change port group membership without packet loss");
  group->require_subcommand(1);
  GroupMemberOptions member_opts;
  uint64_t member_expected = 0;
  for (const bool add : {true, false}) {
    auto* sub = group->add_subcommand(
        add ? "add-member" : "remove-member",
        add ? "Add a tool port to a group; only the buckets it must take move"
            : "Remove a tool port from a group; its queue drains, its buckets move");
    sub->add_option("GROUP", member_opts.group, "Group name")->required();
    sub->add_option("PORT", member_opts.port, "Egress (tool) port number")->required();
    auto* exp = sub->add_option("--expected-generation", member_expected,
                                "Refuse (ABORTED) unless the current generation is N");
    exp->type_name("N");
    sub->callback([&, add, exp] {
      member_opts.add = add;
      if (exp->count() > 0) member_opts.expected_generation = member_expected;
      run = [&](auto& stub) { return cmd_group_member(stub, global, member_opts); };
    });
  }

  // filter list
  auto* filter = app.add_subcommand("filter", "Filters (flow maps): what goes where");
  filter->require_subcommand(1);
  filter->add_subcommand("list", "The filters in the order the data path tries them, with their counters")
      ->callback([&] { run = [&](auto& stub) { return cmd_filter_list(stub, global); }; });

  // port down|up
  auto* port = app.add_subcommand("port", "Take a tool port out of its groups (failover) or back in");
  port->require_subcommand(1);
  uint32_t link_port = 0;
  for (const bool down : {true, false}) {
    auto* sub = port->add_subcommand(
        down ? "down" : "up",
        down ? "Force an egress port's link down: its buckets go to the other members, frames "
               "queued for it are dropped and counted"
             : "Let an egress port's link follow its wire again: it takes its buckets back");
    sub->add_option("PORT", link_port, "Egress (tool) port number")->required();
    sub->callback([&, down] {
      run = [&, down](auto& stub) { return cmd_port_link(stub, global, link_port, down); };
    });
  }

  // counters
  CountersOptions counter_opts;
  auto* counters = app.add_subcommand(
      "counters", "Ingress, egress, group and data path counters");
  counters->add_flag("--watch,-w", counter_opts.watch,
                     "Stream counters and redraw them with per-port rates until Ctrl-C");
  counters->add_option("--interval", counter_opts.interval_ms, "--watch: milliseconds between "
                       "snapshots")
      ->check(CLI::Range(10u, 3600000u))
      ->type_name("MS")
      ->capture_default_str();
  counters->add_option("--count", counter_opts.count,
                       "--watch: stop after N snapshots (0: until Ctrl-C)")
      ->type_name("N");
  counters->add_flag("--clear", counter_opts.clear, "Clear all counters (then watch, if --watch)");
  counters->add_flag("--human,-H", counter_opts.human, "Bytes in human units (kB, MB, GB)");
  counters->add_flag("--all,-a", counter_opts.all,
                     "Also ports without name, binding, group or traffic (hidden by default)");
  counters->callback([&] {
    watch_mode = counter_opts.watch;
    run = [&](auto& stub) { return cmd_counters(stub, global, counter_opts); };
  });

  // explain
  ExplainOptions explain_opts;
  auto* explain = app.add_subcommand(
      "explain", "What the data path does with a frame: fields, key, hash, bucket, member");
  explain->add_option("--port", explain_opts.port, "Ingress port the frame arrives on")
      ->required();
  auto* source = explain->add_option_group("frame", "Where the frame comes from (one of)");
  source->add_option("--hex", explain_opts.hex,
                     "The frame in hex, from the destination MAC on (spaces and ':' allowed)");
  auto* pcap_opt = source->add_option("--pcap", explain_opts.pcap, "A capture file")
                       ->check(CLI::ExistingFile);
  source->require_option(1);
  explain->add_option("--frame", explain_opts.frame, "--pcap: which frame, counting from 1")
      ->check(above_zero())
      ->needs(pcap_opt)
      ->type_name("K")
      ->capture_default_str();
  explain->callback([&] { run = [&](auto& stub) { return cmd_explain(stub, global, explain_opts); }; });

  app.footer(kFooter);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!run) return app.exit(CLI::CallForHelp());

  // Before any gRPC thread exists (see block_interrupt_signals).
  if (watch_mode) block_interrupt_signals();
  std::shared_ptr<grpc::Channel> channel;
  try {
    channel = make_channel(global.target, global.tls);
  } catch (const std::exception& e) {
    fmt::print(stderr, "brokerctl: {}\n", e.what());
    return 1;
  }
  const auto stub = broker::v1::Broker::NewStub(channel);
  try {
    return run(*stub);
  } catch (const std::exception& e) {
    fmt::print(stderr, "brokerctl: {}\n", e.what());
    return kExitUsage;
  }
}
