// JSON output of the tools, through nlohmann-json: keys in the order written, one
// object per line.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace tools {

/// Objects keep their keys in insertion order, as the tools document them.
using json = nlohmann::ordered_json;

/// `j` on one line with a newline. Bytes that are not UTF-8 (a peer's body may hold
/// anything) become U+FFFD instead of failing the line.
inline std::string json_line(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

/// `s` as a JSON string, or null when empty.
inline json or_null(std::string_view s) { return s.empty() ? json(nullptr) : json(std::string(s)); }

}  // namespace tools
