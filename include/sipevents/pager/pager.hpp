// RFC 3428 MESSAGE: the client builds pages, the server vets and answers them.
// Sans-I/O: the runtime (or any transport the application brings) carries the bytes.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PAGER_PAGER
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sipevents/message/message.hpp"
#include "sipevents/pager/cpim.hpp"
#include "sipevents/pager/imdn.hpp"
#include "sipevents/pager/iscomposing.hpp"
#include "sipevents/transaction/transaction_layer.hpp"

namespace sipevents::pager {

/// One page to send outside any dialog.
struct page {
  std::string from;                  ///< From URI, e.g. "sip:alice@example.com"
  std::string to;                    ///< To URI
  std::string request_uri;           ///< defaults to `to`
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, in order
  /// The Call-ID; empty: a new one. A page asking for IMDN may use its Message-ID, so
  /// that a peer that names pages by Call-ID (liblinphone outside CPIM) is understood.
  std::string call_id{};
};

/// Builds MESSAGE requests. Each gets a new Call-ID and From tag (RFC 3428 4: pages
/// outside a dialog are independent). The runtime adds the Via when it sends.
class pager_client {
 public:
  explicit pager_client(transaction::transaction_layer& ids) : ids_(ids) {}
  message::message_builder build(const page& p);

 private:
  transaction::transaction_layer& ids_;
};

/// What the server checks before a page reaches the application.
struct server_policy {
  /// Accepted body types; anything else gets 415 with Accept. Empty accepts all.
  std::vector<std::string> accept{"text/plain", "message/cpim", "text/html", "application/im-iscomposing+xml",
                                  "message/imdn+xml"};
  std::size_t max_body = 64 * 1024;  ///< larger bodies get 413, and none inflates beyond
};

/// A page as the application sees it.
struct received_page {
  std::string from, to, content_type, body;  ///< body inflated when it came deflated
  std::string transport;  ///< "udp" or "tcp"
  std::string call_id;    ///< what an IMDN names a page by when it has no CPIM Message-ID
  /// message/cpim: the envelope; content_type and body are then its content's.
  std::optional<cpim_message> cpim;
  /// The notifications its sender asks for (RFC 5438), from the CPIM headers.
  std::optional<imdn_request> wants;
  /// message/imdn+xml, bare or in CPIM: a notification about a page sent earlier.
  std::optional<imdn_notification> imdn;
  /// application/im-iscomposing+xml (RFC 3994).
  std::optional<composing_indication> composing;
};

/// What pager_server::take() makes of a MESSAGE: a page, or the answer refusing it.
struct taken_page {
  std::optional<message::message_builder> reject;  ///< set: answer this, nothing reaches the application
  received_page page;
};

class pager_server {
 public:
  explicit pager_server(server_policy p = {}) : policy_(std::move(p)) {}
  /// Returns the error response for a MESSAGE that must not reach the application
  /// (400 without Content-Type, 415, 413), or nothing when it may.
  std::optional<message::message_builder> vet(const message::message& request, std::string_view to_tag) const;
  /// The page's fields, the body as it came.
  static received_page read(const message::message& request, transaction::transport_kind t);
  /// vet(), then the page with its body inflated (Content-Encoding deflate or gzip;
  /// another coding gets 415 with Accept-Encoding) and read: CPIM, IMDN and
  /// is-composing bodies that cannot be read get 400 naming the fault.
  taken_page take(const message::message& request, std::string_view to_tag, transaction::transport_kind t) const;
  const server_policy& policy() const noexcept { return policy_; }

 private:
  server_policy policy_;
};

}  // namespace sipevents::pager

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PAGER_PAGER
#define SIPEVENTS_SEEN_PAGER_PAGER
#include "sipevents/impl/definitions.ipp"
#endif
