// The Event State Compositor side of RFC 3903 (PUBLISH), sans-I/O. It keeps soft
// state: one publication per entity tag, each with its own expiry, many per resource
// (one per publishing device). on_publish() answers a PUBLISH at once and queues what
// changed; advance() expires publications; the owner composes and NOTIFYs.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_PUBLICATION_SERVER
#endif
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sipevents/events/events_types.hpp"
#include "sipevents/events/package.hpp"
#include "sipevents/store/journal.hpp"

namespace sipevents::events {

/// One live publication.
struct publication {
  std::string etag;
  std::string event;          ///< package token
  std::string resource;       ///< resource_name() of the Request-URI
  std::string publisher;      ///< From URI of the last PUBLISH
  std::string content_type;
  std::string body;
  std::any state;             ///< the body as the package decoded it (package::decode)
  time_point expires_at{};
  std::uint64_t modified = 0; ///< order of the last body change among all publications
  /// How long after expires_at this server acts on the expiry: zero for publications
  /// made here, a grace for those another node of a cluster wrote (it acts first).
  transaction::clock::duration hold{};
  time_point acts_at() const noexcept { return expires_at + hold; }
};

enum class publication_change_kind : std::uint8_t { created, modified, refreshed, removed, expired };
std::string_view to_string(publication_change_kind k) noexcept;
std::optional<publication_change_kind> publication_change_from(std::string_view s) noexcept;

struct publication_change {
  publication_change_kind kind = publication_change_kind::created;
  std::string event;
  std::string resource;
  std::string etag;      ///< the tag now (for removed/expired: the last one)
  std::string old_etag;  ///< the tag the request matched, for refresh/modify/remove
};

struct publication_config {
  std::size_t max_publications = 100'000;      ///< beyond: 503 with Retry-After
  std::size_t max_per_resource = 16;           ///< publications per entity (resource+event)
  std::size_t max_body = 64 * 1024;            ///< larger bodies get 413
  std::size_t etag_length = 24;                ///< random characters per entity tag
};

struct publish_request {
  const message::message* publish = nullptr;
  std::string_view resource;
  std::string_view publisher;
  /// The authenticated user's AoR ("sip:joe@example.com"); empty when the stack does
  /// not authenticate.
  std::string_view identity;
};
/// May the sender of a PUBLISH publish for the resource? Default: when the
/// authenticated identity (without authentication, the From AoR) is the resource
/// (RFC 3903 6 step 1: authenticated and authorized by local policy).
using publish_authorizer = std::function<bool(const publish_request&)>;
bool publisher_is_resource(const publish_request& r);

class publication_server {
 public:
  explicit publication_server(token_source ids, publication_config cfg = {},
                              publish_authorizer authorize = publisher_is_resource);

  /// Accepts PUBLISH for `p`'s Event token, with its body types (first is preferred)
  /// and these expiry bounds. `p` is not owned.
  void add_package(const package& p, expiry_policy bounds = {});

  /// Answers a PUBLISH (RFC 3903 6): 200 with SIP-ETag and Expires, or 400, 403, 412,
  /// 413, 415, 423, 489, 503. Changes are queued for poll().
  /// `identity` is who the stack authenticated (see publish_request::identity).
  message::message_builder on_publish(const message::message& req, time_point now,
                                      std::string_view identity = {});

  /// Writes every publication change to `j` from now on (nullptr: memory only).
  void set_journal(store::journal* j) noexcept { journal_ = j; }
  /// Takes back a publication stored before a restart (its package added first): it is
  /// queued as `created`, so the owner composes it. One that expired meanwhile, or
  /// whose package or body is no longer understood, is erased from the store instead.
  /// Returns whether it was taken.
  bool restore(const store::publication_record& r, time_point now);
  /// Another node's write of a publication (a cluster sharing a store): taken in and
  /// queued as the change it was there (created, modified, refreshed; nothing when it
  /// is what this server holds already), without a journal write. Its expiry is acted
  /// on here `hold` after it is due. False when its package or body is not understood.
  bool apply_remote(const store::publication_record& r, time_point now, transaction::clock::duration hold);
  /// Another node's erase of a publication for `reason` (a publication_change_kind, or
  /// "replaced" when a refresh or modification gave it a new tag: the write of the new
  /// one follows and is reported as that refresh or modification).
  void apply_remote_erase(std::string_view etag, std::string_view reason);

  /// Expires publications whose time has come.
  void advance(time_point now);
  time_point next_deadline() const;
  bool poll(publication_change& out);

  /// Live publications of a resource for an event, oldest body change first.
  std::vector<const publication*> publications(std::string_view event, std::string_view resource) const;
  const publication* find(std::string_view etag) const;
  std::size_t size() const noexcept { return by_etag_.size(); }
  /// Calls `f` for every live publication.
  void for_each(const std::function<void(const publication&)>& f) const {
    for (const auto& [etag, p] : by_etag_) f(p);
  }

 private:
  struct registered {
    const package* pkg;
    expiry_policy bounds;
  };
  std::string new_etag();
  using etag_map = std::unordered_map<std::string, publication, string_hash, std::equal_to<>>;
  void remove(etag_map::iterator it, publication_change_kind why);
  std::string key(std::string_view event, std::string_view resource) const;

  token_source ids_;
  publication_config cfg_;
  publish_authorizer authorize_;
  std::map<std::string, registered, std::less<>> packages_;
  etag_map by_etag_;
  // event + ' ' + resource -> etags
  std::unordered_map<std::string, std::vector<std::string>, string_hash, std::equal_to<>> by_entity_;
  // Lazy deletion: an entry whose publication is gone or expires at another time is skipped.
  using timer = std::pair<time_point, std::string>;
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
  std::queue<publication_change> changes_;
  std::uint64_t seq_ = 0;
  store::journal* journal_ = nullptr;
  void persist(const publication& p);
  void forget(const publication& p, publication_change_kind why);
  void forget_replaced(const publication& p);
  bool remote_ = false;  // applying another node's write: nothing is journaled
  // Publications another node replaced, by event + ' ' + resource: the write of the
  // new tag that follows is reported as their refresh or modification.
  std::unordered_map<std::string, publication, string_hash, std::equal_to<>> replaced_;
};

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_PUBLICATION_SERVER
#define SIPEVENTS_SEEN_EVENTS_PUBLICATION_SERVER
#include "sipevents/impl/definitions.ipp"
#endif
