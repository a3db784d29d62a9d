#include "config_loader.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace broker::config {

namespace {

std::string format_what(const std::string& source, int line, int column,
                        const std::string& detail) {
  std::string out = source;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": " + detail;
  return out;
}

// Keeps the first error with its position: TextFormat stops at the first error anyway,
// and later messages of a failed parse are only consequences of it.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    // The tokenizer counts from 0 and says -1 when it has no position.
    line_ = line >= 0 ? line + 1 : 0;
    column_ = line >= 0 && column >= 0 ? column + 1 : 0;
    message_ = message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  bool has_error() const { return has_error_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

// 1-based line and column of a byte offset.
std::pair<int, int> line_column_at(std::string_view text, std::size_t offset) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// Byte offset of a 1-based line and column.
std::size_t offset_of(std::string_view text, int line, int column) {
  std::size_t offset = 0;
  for (int l = 1; l < line && offset < text.size(); ++offset) {
    if (text[offset] == '\n') ++l;
  }
  return std::min(text.size(), offset + static_cast<std::size_t>(std::max(column - 1, 0)));
}

// TextFormat reports an unknown field or enum name at the token after it (often the next
// line). Moves the position back onto the name itself, so the line is the one to edit.
void point_at_named_token(std::string_view text, const std::string& message, int& line,
                          int& column) {
  if (line <= 0) return;
  std::string name;
  for (const char* marker : {"no field named \"", "enumeration value of \""}) {
    if (auto at = message.find(marker); at != std::string::npos) {
      at += std::strlen(marker);
      if (auto end = message.find('"', at); end != std::string::npos) {
        name = message.substr(at, end - at);
      }
      break;
    }
  }
  if (name.empty()) return;
  const auto is_ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  const std::string_view before = text.substr(0, offset_of(text, line, column));
  for (auto at = before.rfind(name); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : before.rfind(name, at - 1)) {
    const bool whole = (at == 0 || !is_ident(before[at - 1])) &&
                       (at + name.size() >= text.size() || !is_ident(text[at + name.size()]));
    if (whole) {
      std::tie(line, column) = line_column_at(text, at);
      return;
    }
  }
}

broker::v1::Config parse_text(std::string_view text, const std::string& source) {
  broker::v1::Config config;
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  // Unknown fields stay refused (the default): a misspelt field silently ignored would
  // be a broker that quietly does something else than its operator wrote.
  if (!parser.ParseFromString(std::string(text), &config)) {
    if (errors.has_error()) {
      int line = errors.line();
      int column = errors.column();
      point_at_named_token(text, errors.message(), line, column);
      throw ConfigError(source, line, column, errors.message());
    }
    throw ConfigError(source, 0, 0, "not a valid broker.v1.Config in Protobuf text format");
  }
  return config;
}

// Protobuf's JSON errors name a path, not a position: "(groups[0]) hashFunction: Cannot
// find field.". For an unknown key, the key's first occurrence is nearly always the one
// meant (a misspelt name is rarely repeated), so point there; {0, 0} when unsure.
std::pair<int, int> locate_json_key(std::string_view text, const std::string& message) {
  const std::string_view suffix = ": Cannot find field.";
  if (message.size() <= suffix.size() ||
      message.compare(message.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return {0, 0};
  }
  const auto name_end = message.size() - suffix.size();
  auto name_begin = message.rfind(' ', name_end);
  name_begin = name_begin == std::string::npos ? 0 : name_begin + 1;
  const std::string key = "\"" + message.substr(name_begin, name_end - name_begin) + "\"";
  for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    auto next = at + key.size();
    while (next < text.size() && std::isspace(static_cast<unsigned char>(text[next]))) ++next;
    if (next < text.size() && text[next] == ':') return line_column_at(text, at);
  }
  return {0, 0};
}

broker::v1::Config parse_json(std::string_view text, const std::string& source) {
  // Protobuf's JSON parser reports syntax errors without a position; a pass through
  // nlohmann::json first gives people the line and column of a stray comma.
  try {
    [[maybe_unused]] const auto parsed = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    auto [line, column] = line_column_at(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string detail = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: "
    // since the position is already in front of the message.
    if (auto at = detail.find("syntax error"); at != std::string::npos) {
      detail = detail.substr(at);
    } else if (auto colon = detail.find(": "); colon != std::string::npos) {
      detail = detail.substr(colon + 2);
    }
    throw ConfigError(source, line, column, "invalid JSON: " + detail);
  } catch (const nlohmann::json::exception& e) {
    // Well-formed but not representable, e.g. a number beyond a double (1E400): no position.
    std::string detail = e.what();
    if (auto close = detail.find("] "); close != std::string::npos) detail = detail.substr(close + 2);
    throw ConfigError(source, 0, 0, "invalid JSON: " + detail);
  }

  broker::v1::Config config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // same reason as in parse_text
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &config, options);
  if (!status.ok()) {
    const std::string message(status.message());
    auto [line, column] = locate_json_key(text, message);
    throw ConfigError(source, line, column, message);
  }
  return config;
}

Format sniff(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{' ? Format::kJson : Format::kText;
  }
  return Format::kText;  // empty text: an empty Config, which the validator then judges
}

}  // namespace

ConfigError::ConfigError(std::string source, int line, int column, std::string detail)
    : std::runtime_error(format_what(source, line, column, detail)),
      source_(std::move(source)),
      line_(line),
      column_(column),
      detail_(std::move(detail)) {}

Format format_for_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".json") return Format::kJson;
  if (ext == ".txtpb" || ext == ".textproto" || ext == ".pbtxt" || ext == ".conf") {
    return Format::kText;
  }
  return Format::kAuto;
}

broker::v1::Config load_config_file(const std::filesystem::path& path) {
  // A directory opens fine as an ifstream on Linux and then reads as empty text, which
  // would parse as an empty configuration.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path.string(), 0, 0, "is a directory, not a configuration file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string(), 0, 0,
                      std::string("cannot open: ") + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path.string(), 0, 0, "read error");
  }
  return parse_config_text(content.str(), format_for_path(path), path.string());
}

broker::v1::Config parse_config_text(std::string_view text, Format format,
                                     std::string_view source) {
  const std::string name(source);
  if (format == Format::kAuto) format = sniff(text);
  return format == Format::kJson ? parse_json(text, name) : parse_text(text, name);
}

std::string to_text(const broker::v1::Config& config) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(config, &out);
  return out;
}

std::string to_json(const broker::v1::Config& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(config, &out, options);
  if (!status.ok()) {
    // Only reachable with values JSON cannot carry; a Config has none, so this is a bug.
    throw std::logic_error("to_json: " + std::string(status.message()));
  }
  return out;
}

}  // namespace broker::config
