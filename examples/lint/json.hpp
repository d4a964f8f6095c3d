// JSON rendering of a parsed message for `sipevents-lint --json`.
#pragma once
#include <string>
#include <string_view>

#include "sipevents/message/message.hpp"

namespace lint {

/// Appends `s` as a JSON string; bytes that are not valid UTF-8 become \u00XX.
void json_string(std::string& out, std::string_view s);

/// One JSON object: start line, every header with its typed fields, body length.
std::string message_json(const sipevents::message::message& m);

}  // namespace lint
