// application/simple-message-summary (RFC 3842): the message waiting indication a
// voicemail lamp shows. A typed model, an encoder and a decoder with size limits;
// the optional per-message headers are kept in order, as written.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_MWI_MESSAGE_SUMMARY
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::mwi {

inline constexpr std::string_view message_summary_type = "application/simple-message-summary";

/// One msg-summary-line: "Voice-Message: 4/8 (1/2)".
struct message_counts {
  std::string context;  ///< the message-context-class as written ("Voice-Message")
  std::uint32_t new_msgs = 0, old_msgs = 0;
  std::optional<std::uint32_t> new_urgent, old_urgent;  ///< both or neither
  bool operator==(const message_counts&) const = default;
};

using header_block = std::vector<std::pair<std::string, std::string>>;

struct message_summary {
  bool waiting = false;         ///< Messages-Waiting: yes
  std::string account;          ///< Message-Account, empty if none
  std::vector<message_counts> counts;
  std::vector<header_block> messages;  ///< the optional message headers, one block each
  bool operator==(const message_summary&) const = default;
};

struct summary_limits {
  std::size_t max_size = 64 * 1024;
  std::size_t max_lines = 1024;
};

/// The body, CRLF line ends.
std::string encode(const message_summary& s);
/// Reads a body (CRLF or LF line ends). False, with the reason in `error`, when the
/// status line is missing or not yes/no, a summary line is not N/M (U/V), a number
/// overflows, a line is not a header, or a limit is passed.
bool decode(std::string_view text, message_summary& out, std::string* error = nullptr, summary_limits limits = {});

/// The RFC 3458 message-context-classes RFC 3842 names (case-insensitive match).
bool known_context(std::string_view context) noexcept;

}  // namespace sipevents::mwi

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_MWI_MESSAGE_SUMMARY
#define SIPEVENTS_SEEN_MWI_MESSAGE_SUMMARY
#include "sipevents/impl/definitions.ipp"
#endif
