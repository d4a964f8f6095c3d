// Instant Message Disposition Notification (RFC 5438): asking for delivery and display
// notifications in a message's CPIM headers, the message/imdn+xml document that
// answers, and a sans-I/O tracker that matches answers to pages by Message-ID and
// gives up on them at a deadline.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PAGER_IMDN
#endif
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sipevents/pager/cpim.hpp"
#include "sipevents/transaction/transaction_types.hpp"

namespace sipevents::pager {

inline constexpr std::string_view imdn_ns = "urn:ietf:params:imdn";           ///< CPIM namespace
inline constexpr std::string_view imdn_xml_ns = "urn:ietf:params:xml:ns:imdn";  ///< document namespace
inline constexpr std::string_view imdn_type = "message/imdn+xml";

/// What a sender asks for (imdn.Disposition-Notification).
struct imdn_request {
  std::string message_id;  ///< imdn.Message-ID, unique per sender
  std::string datetime;    ///< DateTime of the message (RFC 3339)
  bool positive_delivery = false, negative_delivery = false, display = false;
};

/// Adds NS imdn, imdn.Message-ID, DateTime and imdn.Disposition-Notification to `m`.
void add_imdn_request(cpim_message& m, const imdn_request& r);
/// The request a received CPIM message carries; nothing when it asks for none.
std::optional<imdn_request> read_imdn_request(const cpim_message& m);

/// A message/imdn+xml document.
struct imdn_notification {
  enum class kind : std::uint8_t { delivery, display, processing };
  enum class status : std::uint8_t { delivered, failed, forbidden, error, displayed, processed, stored };
  std::string message_id;  ///< the Message-ID of the message it is about
  std::string datetime;    ///< that message's DateTime
  std::string recipient_uri, original_recipient_uri;  ///< optional
  kind what = kind::delivery;
  status state = status::delivered;
  bool operator==(const imdn_notification&) const = default;
};
std::string_view to_string(imdn_notification::kind k) noexcept;
std::string_view to_string(imdn_notification::status s) noexcept;

std::string encode_imdn(const imdn_notification& n);
/// Reads a message/imdn+xml document. False, with the reason in `error`, when it is
/// not XML, not an imdn element, lacks message-id or datetime, has no notification
/// or a status that kind of notification cannot carry.
bool decode_imdn(std::string_view xml, imdn_notification& out, std::string* error = nullptr);

/// The CPIM message that carries `n` back to the sender of `original` (RFC 5438 7.2:
/// From and To swapped, its own Message-ID and DateTime, Content-Disposition:
/// notification).
cpim_message imdn_reply(const cpim_message& original, const imdn_notification& n, std::string message_id,
                        std::string datetime);

/// Pages waiting for their notifications. Feed it what was sent and what came back
/// with `now`; poll() says what became of each: a notification, or a timeout.
class imdn_tracker {
 public:
  struct config {
    std::chrono::milliseconds wait{std::chrono::seconds(60)};  ///< per page, from when it was sent
    std::size_t max_pending = 10'000;  ///< beyond: the oldest is given up at once
  };
  struct outcome {
    std::string message_id;
    std::optional<imdn_notification> notification;  ///< none: timed out
  };
  explicit imdn_tracker(config c) : cfg_(c) {}
  imdn_tracker() : imdn_tracker(config{}) {}

  /// A page asking for `wanted` notifications went out (each one awaited counts once).
  void sent(const imdn_request& r, transaction::time_point now);
  /// A notification came in. True when it was awaited (an outcome is ready); false
  /// for an unknown or repeated one, which should still be answered 200.
  bool received(const imdn_notification& n);
  void advance(transaction::time_point now);
  transaction::time_point next_deadline() const;
  bool poll(outcome& out);
  std::size_t pending() const noexcept { return waiting_.size(); }

 private:
  struct entry {
    transaction::time_point deadline;
    bool delivery = false, display = false;
  };
  config cfg_;
  std::unordered_map<std::string, entry> waiting_;
  // By deadline (one wait for all, so in the order sent); answered ones linger until
  // their deadline or a compaction.
  mutable std::deque<std::pair<transaction::time_point, std::string>> order_;
  std::deque<outcome> out_;
};

}  // namespace sipevents::pager

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PAGER_IMDN
#define SIPEVENTS_SEEN_PAGER_IMDN
#include "sipevents/impl/definitions.ipp"
#endif
