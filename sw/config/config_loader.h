// Reading a broker.v1.Config from Protobuf text format or proto3 JSON, and writing it back.
// Parsing only: whether the configuration makes sense is config_validator.h's business.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broker/v1/config.pb.h"

namespace broker::config {

enum class Format {
  kAuto,  // by file extension, else by content: first non-space character '{' means JSON
  kText,  // Protobuf text format
  kJson,  // proto3 JSON mapping (lowerCamel or original field names)
};

// A configuration that cannot be read or parsed. what() reads like a compiler message,
// "seed.conf:12:5: Expected identifier, got: }", so editors and people can jump to it.
class ConfigError : public std::runtime_error {
 public:
  // line and column are 1-based; 0 means unknown.
  ConfigError(std::string source, int line, int column, std::string detail);

  const std::string& source() const { return source_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string source_;
  int line_;
  int column_;
  std::string detail_;
};

// The format a path's extension announces: .json -> kJson; .txtpb, .textproto, .pbtxt,
// .conf -> kText; anything else -> kAuto.
Format format_for_path(const std::filesystem::path& path);

// Reads and parses a file. Throws ConfigError.
broker::v1::Config load_config_file(const std::filesystem::path& path);

// Parses configuration text. `source` names it in errors (a path, "<grpc>", ...).
// Throws ConfigError.
broker::v1::Config parse_config_text(std::string_view text, Format format = Format::kAuto,
                                     std::string_view source = "<config>");

// Protobuf text format, one field a line.
std::string to_text(const broker::v1::Config& config);
// Indented proto3 JSON with the .proto field names (ingress_ports, not ingressPorts), so it
// reads like the text format and the documentation.
std::string to_json(const broker::v1::Config& config);

}  // namespace broker::config
