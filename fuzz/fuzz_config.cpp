// libFuzzer target: configuration bytes through the config loader (Protobuf text format and
// JSON), the validator, with_defaults and the driver on a soft card.
//
// Checked on every input, besides ASan/UBSan:
//  - parsing throws nothing but ConfigError; validate() and summary() never throw;
//  - a configuration the validator accepts: with_defaults keeps it valid; Driver::apply on a
//    fresh soft card accepts it (same limits) and applied() is what was given; to_text and
//    to_json of it parse back to an equal message (NaN compares equal to NaN); frames on
//    every ingress port leave on a member of the port's group or are dropped when unmapped.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include "config_defaults.h"
#include "config_loader.h"
#include "config_validator.h"
#include "driver.h"
#include "soft_card.h"

namespace cfg = broker::config;
namespace v1 = broker::v1;

namespace {

[[noreturn]] void fail(const std::string& what, const v1::Config* c = nullptr) {
  std::fprintf(stderr, "fuzz_config: invariant violated: %s\n", what.c_str());
  if (c) std::fprintf(stderr, "configuration:\n%s\n", c->DebugString().c_str());
  std::abort();
}

bool equal(const v1::Config& a, const v1::Config& b, std::string* diff) {
  google::protobuf::util::DefaultFieldComparator cmp;
  cmp.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer d;
  d.set_field_comparator(&cmp);
  d.ReportDifferencesToString(diff);
  return d.Compare(a, b);
}

void round_trip(const v1::Config& c, cfg::Format format) {
  std::string out;
  try {
    out = format == cfg::Format::kJson ? cfg::to_json(c) : cfg::to_text(c);
  } catch (const std::exception& e) {
    fail(std::string("writing a valid configuration threw: ") + e.what(), &c);
  }
  v1::Config back;
  try {
    back = cfg::parse_config_text(out, format, "<round-trip>");
  } catch (const cfg::ConfigError& e) {
    fail(std::string("a written configuration does not parse back: ") + e.what() + "\n---\n" + out, &c);
  }
  std::string diff;
  if (!equal(c, back, &diff))
    fail(std::string(format == cfg::Format::kJson ? "JSON" : "text") + " round trip differs:\n" + diff, &c);
}

// A TCP frame from `src` to `dst`.
std::string frame(uint8_t src, uint8_t dst) {
  std::string f(64, '\0');
  const uint8_t hdr[] = {2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x08, 0x00, 0x45, 0, 0, 50, 0, 0, 0x40, 0,
                         64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, dst, 0x30, 0x39, 0, 80, 0, 0, 0, 0, 0, 0,
                         0, 0, 0x50, 0x02};
  for (size_t i = 0; i < sizeof hdr; ++i) f[i] = char(hdr[i]);
  return f;
}

// Whether every string field of the configuration is valid UTF-8 (what proto3 requires).
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + size_t(n) > s.size()) return false;
    for (int k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + size_t(k)]) >> 6) != 2) return false;
    i += size_t(n);
  }
  return true;
}
bool all_utf8(const v1::Config& c) {
  bool ok = valid_utf8(c.name());
  for (const auto& p : c.ingress_ports())
    ok = ok && valid_utf8(p.name()) && valid_utf8(p.binding().pcap_file()) && valid_utf8(p.binding().interface());
  for (const auto& p : c.egress_ports())
    ok = ok && valid_utf8(p.name()) && valid_utf8(p.binding().pcap_file()) && valid_utf8(p.binding().interface());
  for (const auto& g : c.groups()) ok = ok && valid_utf8(g.name());
  return ok;
}

void exercise(const v1::Config& c) {
  const cfg::ValidationResult r = cfg::validate(c);
  (void)r.summary();
  if (!r.ok()) return;
  // Known bug (reported; regression input fuzz/regressions/fuzz_config/invalid-utf8-name,
  // test badinput.ConfigRegressions.InvalidUtf8NameIsRefused): the text-format loader and the
  // validator accept names that are not UTF-8, which JSON then silently mangles.
  // BROKER_FUZZ_SKIP_KNOWN=1 steps over it to look for other bugs.
  if (!all_utf8(c)) {
    static const bool skip = std::getenv("BROKER_FUZZ_SKIP_KNOWN") != nullptr;
    if (skip) return;
    fail("validate() accepted a string field that is not valid UTF-8 (proto3 strings must be)", &c);
  }

  round_trip(c, cfg::Format::kText);
  round_trip(c, cfg::Format::kJson);

  const v1::Config full = cfg::with_defaults(c);
  const cfg::ValidationResult rf = cfg::validate(full);
  if (!rf.ok()) fail("with_defaults made a valid configuration invalid:\n" + rf.summary(), &c);

  broker::cards::SoftCard card;
  broker::driver::Driver driver(card);
  try {
    driver.apply(c);
  } catch (const std::exception& e) {
    fail(std::string("Driver::apply refused a configuration validate() accepted: ") + e.what(), &c);
  }
  std::string diff;
  if (!equal(driver.applied(), c, &diff)) fail("applied() differs from what was applied:\n" + diff, &c);

  for (uint32_t in = 0; in < broker::core::kInPorts; ++in) {
    const v1::PortGroup* group = nullptr;
    for (const auto& g : c.groups())
      for (uint32_t p : g.ingress_ports())
        if (p == in) group = &g;
    const std::string f = frame(uint8_t(in + 1), uint8_t(200 - in));
    const auto& res = card.forward(uint8_t(in), 1000 * (in + 1), reinterpret_cast<const uint8_t*>(f.data()),
                                   uint32_t(f.size()));
    const uint8_t out = res.decision.out_port;
    if (!group) {
      if (out != broker::core::kNoPort) fail("unmapped ingress port " + std::to_string(in) + " forwarded", &c);
      continue;
    }
    if (group->members_size() == 0) {
      if (out != broker::core::kNoPort) fail("a group without members forwarded", &c);
      continue;
    }
    bool member = false;
    for (uint32_t m : group->members()) member = member || m == out;
    if (!member)
      fail("ingress " + std::to_string(in) + " left on port " + std::to_string(out) +
               ", not a member of its group " + group->name(), &c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (cfg::Format format : {cfg::Format::kText, cfg::Format::kJson}) {
    v1::Config c;
    try {
      c = cfg::parse_config_text(text, format, "<fuzz>");
    } catch (const cfg::ConfigError& e) {
      (void)e.line();
      continue;
    }
    exercise(c);
  }
  return 0;
}
