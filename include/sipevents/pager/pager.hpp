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
  std::vector<std::string> accept{"text/plain", "message/cpim", "text/html", "application/im-iscomposing+xml"};
  std::size_t max_body = 64 * 1024;  ///< larger bodies get 413
};

/// A page as the application sees it.
struct received_page {
  std::string from, to, content_type, body;
  std::string transport;  ///< "udp" or "tcp"
};

class pager_server {
 public:
  explicit pager_server(server_policy p = {}) : policy_(std::move(p)) {}
  /// Returns the error response for a MESSAGE that must not reach the application
  /// (400 without Content-Type, 415, 413), or nothing when it may.
  std::optional<message::message_builder> vet(const message::message& request, std::string_view to_tag) const;
  /// The page's fields.
  static received_page read(const message::message& request, transaction::transport_kind t);
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
