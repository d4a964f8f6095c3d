// JSON rendering of a parsed message for `sipevents-lint --json`.
#pragma once
#include <string>
#include <string_view>

#include "../common/json.hpp"
#include "sipevents/message/message.hpp"

namespace lint {

/// One JSON object: start line, every header with its typed fields, body length.
tools::json message_json(const sipevents::message::message& m);

}  // namespace lint
