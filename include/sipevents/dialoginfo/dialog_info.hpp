// application/dialog-info+xml (RFC 4235): a typed model of the dialog event package's
// document, an encoder and a decoder (tinyxml2). What a busy lamp field needs is
// typed (state and event, direction, identities and targets, replaces,
// referred-by); elements the model does not know are kept as XML and written back.
// The decoder also reads what the RFC's own examples print where they differ from
// its schema: `reason` for `event` on <state>, `display` for `display-name`,
// "receiver" for "recipient", and `notify-state` for `state` on <dialog-info>.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_DIALOGINFO_DIALOG_INFO
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::dialoginfo {

inline constexpr std::string_view dialog_info_ns = "urn:ietf:params:xml:ns:dialog-info";
inline constexpr std::string_view dialog_info_type = "application/dialog-info+xml";

/// RFC 4235 3.7.1 dialog states.
enum class dialog_state : std::uint8_t { trying, proceeding, early, confirmed, terminated };
std::string_view to_string(dialog_state s) noexcept;
std::optional<dialog_state> dialog_state_from(std::string_view s) noexcept;

/// The event attribute of <state>: why a dialog moved (RFC 4235 4.1.2).
enum class state_event : std::uint8_t { none, cancelled, rejected, replaced, local_bye, remote_bye, error, timeout };
std::string_view to_string(state_event e) noexcept;
std::optional<state_event> state_event_from(std::string_view s) noexcept;

enum class direction : std::uint8_t { none, initiator, recipient };
std::string_view to_string(direction d) noexcept;

/// An identity or referred-by: a URI with an optional display name.
struct name_addr {
  std::string uri;
  std::string display;
  bool operator==(const name_addr&) const = default;
};

/// `<local>` or `<remote>`.
struct participant {
  std::optional<name_addr> identity;
  std::string target;                                        ///< the target URI
  std::vector<std::pair<std::string, std::string>> params;   ///< `<param pname pval>` of the target
  std::optional<std::string> session_description;           ///< as written
  std::string session_type;                                  ///< its type attribute
  std::optional<std::uint32_t> cseq;
  std::vector<std::string> extensions;                       ///< other elements, as XML
  bool operator==(const participant&) const = default;
};

struct dialog_ids {
  std::string call_id, local_tag, remote_tag;
  bool operator==(const dialog_ids&) const = default;
};

/// One `<dialog>`.
struct dialog {
  std::string id;
  dialog_ids ids;  ///< call-id, local-tag, remote-tag attributes (may be empty)
  direction dir = direction::none;
  dialog_state state = dialog_state::trying;
  state_event event = state_event::none;
  std::optional<std::uint16_t> code;        ///< the response code that ended or moved it
  std::optional<std::uint32_t> duration;    ///< seconds
  std::optional<dialog_ids> replaces;
  std::optional<name_addr> referred_by;
  std::vector<std::string> route_set;       ///< `<route-set><hop>`
  std::optional<participant> local, remote;
  std::vector<std::string> extensions;
  bool operator==(const dialog&) const = default;
};

struct dialog_info {
  std::string entity;
  std::uint32_t version = 0;
  bool full = true;  ///< state="full" (else partial)
  std::vector<dialog> dialogs;
  std::vector<std::string> extensions;
  bool operator==(const dialog_info&) const = default;
};

/// The document with an XML declaration, dialog-info the default namespace.
std::string encode(const dialog_info& doc);
/// Reads a dialog-info document. False, with the reason in `error`, when it is not
/// XML, not dialog-info, lacks a version or state, has a dialog without id or state,
/// or a state, event, direction or number the RFC does not allow.
bool decode(std::string_view xml, dialog_info& out, std::string* error = nullptr);

/// What a busy lamp field shows for an entity (the aggregate of its dialogs).
enum class lamp : std::uint8_t {
  idle,     ///< no dialog, or all terminated
  ringing,  ///< an incoming dialog is early: it can be picked up
  dialing,  ///< an outgoing dialog is trying, proceeding or early
  busy,     ///< a dialog is confirmed
};
std::string_view to_string(lamp l) noexcept;

struct blf_view {
  lamp state = lamp::idle;
  /// For ringing: who calls (the remote identity of the early incoming dialog) and
  /// the dialog, for a pickup (Replaces, RFC 3891).
  std::optional<name_addr> caller;
  std::optional<dialog_ids> ringing_dialog;
};
/// The lamp for `doc`'s dialogs: busy beats ringing beats dialing beats idle.
blf_view blf(const dialog_info& doc);

}  // namespace sipevents::dialoginfo

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_DIALOGINFO_DIALOG_INFO
#define SIPEVENTS_SEEN_DIALOGINFO_DIALOG_INFO
#include "sipevents/impl/definitions.ipp"
#endif
