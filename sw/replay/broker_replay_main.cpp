// broker-replay --config FILE --in PORT=PCAP [--in PORT=PCAP ...] --out-dir DIR [--log FILE]
//               [--card soft|verilator]
// Runs a configuration over captures on the soft card, or on the Verilator model of the RTL
// top (DESIGN.md, normative command shape).
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config_loader.h"
#include "core_params.h"
#include "driver.h"
#include "replay.h"
#include "soft_card.h"
#if BROKER_REPLAY_VERILATOR
#include "verilator_frame_card.h"
#endif

namespace {

broker::replay::Input parse_input(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw CLI::ValidationError("--in", "expected PORT=PCAP, got '" + spec + "'");
  const std::string port_text = spec.substr(0, eq);
  size_t used = 0;
  unsigned long port = 0;
  try {
    port = std::stoul(port_text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != port_text.size() || port >= unsigned(broker::core::kInPorts))
    throw CLI::ValidationError("--in", fmt::format("ingress port '{}' is not a number from 0 to {}",
                                                   port_text, broker::core::kInPorts - 1));
  return {uint8_t(port), spec.substr(eq + 1)};
}

// Programs the configuration through the card's registers.
void apply_config(broker::driver::Driver& driver, const broker::v1::Config& config, bool verilator) {
  for (const auto& w : driver.apply(config))
    fmt::print(stderr, "broker-replay: warning: {}\n", w.to_string());
  if (verilator)
    for (const auto& g : config.groups())
      if (g.mode() == broker::v1::MODE_DYNAMIC) {
        fmt::print(stderr, "broker-replay: warning: group '{}' is dynamic: on --card verilator its idle "
                           "timeout and utilization threshold run on simulated time, not the "
                           "capture's, so decisions may differ from --card soft\n", g.name());
        break;
      }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Replays captures through the packet broker's data path (the soft card, or the "
               "Verilator model of the RTL top) and writes one capture per egress port, the "
               "decision log and a summary."};
  std::string config_path, log_path, out_dir, card_name = "soft";
  std::vector<std::string> in_specs;
  bool quiet = false;
  app.add_option("--config", config_path, "Configuration (broker.v1.Config, text format or JSON)")
      ->required()->check(CLI::ExistingFile);
  app.add_option("--in", in_specs, "PORT=PCAP: a capture arriving on an ingress port (repeatable)")
      ->required();
  app.add_option("--out-dir", out_dir, "Directory for the per-egress-port captures")->required();
  app.add_option("--log", log_path, "Decision log (TSV), '-' for standard output");
  app.add_option("--card", card_name,
                 "soft: the native data path; its clock is the captures' timestamps. verilator: the "
                 "co-simulated RTL top with the same core, much slower; its clock is simulated "
                 "cycles, not the timestamps, so decisions that depend on time can differ from "
                 "soft: dynamic-mode idle timeouts and utilization thresholds, and in any mode "
                 "whether a later IP fragment that comes more than the fragment timeout after its "
                 "first still follows it; and the summary's peak utilization. Otherwise the outputs "
                 "are the same.")
      ->check(CLI::IsMember({"soft", "verilator"}))
      ->capture_default_str();
  app.add_flag("--quiet", quiet, "No summary table");
  CLI11_PARSE(app, argc, argv);
  const bool verilator = card_name == "verilator";
#if !BROKER_REPLAY_VERILATOR
  if (verilator) {
    fmt::print(stderr, "broker-replay: --card verilator: this binary was built without the Verilator "
                       "model (Verilator was not found when it was built); use --card soft, or "
                       "install Verilator and rebuild\n");
    return 2;
  }
#endif

  try {
    broker::replay::Options options;
    for (const auto& s : in_specs) options.inputs.push_back(parse_input(s));
    options.out_dir = out_dir;

    const broker::v1::Config config = broker::config::load_config_file(config_path);

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(nullptr, &std::fclose);
    auto open_log = [&] {  // once the configuration is accepted
      if (log_path == "-") {
        options.log = stdout;
        quiet = true;  // the table would corrupt the log
      } else if (!log_path.empty()) {
        log.reset(std::fopen(log_path.c_str(), "w"));
        if (!log) throw std::runtime_error("cannot write the decision log " + log_path);
        options.log = log.get();
      }
    };
    broker::replay::Summary summary;
    if (verilator) {
#if BROKER_REPLAY_VERILATOR
      broker::cards::VerilatorCard card;
      broker::driver::Driver driver(card);
      apply_config(driver, config, true);
      open_log();
      broker::replay::VerilatorFrameCard frames(card);
      summary = broker::replay::run(frames, driver, options);
#endif
    } else {
      broker::cards::SoftCard card;
      broker::driver::Driver driver(card);
      apply_config(driver, config, false);
      open_log();
      summary = broker::replay::run(card, driver, options);
    }
    if (!quiet) broker::replay::print_summary(stdout, summary);
    return 0;
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const broker::driver::ConfigRefused& e) {
    fmt::print(stderr, "broker-replay: {}: {}\n", config_path, e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "broker-replay: {}\n", e.what());
    return 1;
  }
}
