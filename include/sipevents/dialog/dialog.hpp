// RFC 3261 12 dialogs as SUBSCRIBE/NOTIFY create them (RFC 6665 4.1.2.4, 4.2.1).
// Sans-I/O: a dialog is data plus the rules for building and accepting in-dialog
// requests. It never sends anything; the caller sends what it builds.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_DIALOG_DIALOG
#endif
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sipevents/message/message.hpp"

namespace sipevents::dialog {

/// Call-ID plus local and remote tag (RFC 3261 12).
struct dialog_id {
  std::string call_id, local_tag, remote_tag;
  friend bool operator==(const dialog_id&, const dialog_id&) = default;
};

struct dialog_id_hash {
  std::size_t operator()(const dialog_id& d) const noexcept;
};

/// Why an in-dialog request was refused (RFC 3261 12.2.2).
enum class request_check : std::uint8_t {
  ok,
  out_of_order,  ///< CSeq lower than the last one seen: answer 500
};

class dialog {
 public:
  /// UAC side, from the 2xx to the request that created it (12.1.2): the route set is
  /// the Record-Route of the response in reverse, the remote target its Contact.
  static std::optional<dialog> from_response(const message::message& request, const message::message& response);
  /// UAC side, from a request that arrived in a dialog the UAC's request created
  /// (RFC 6665 4.1.2.4: a NOTIFY may come before the 2xx, or on a fork). The route set
  /// is the Record-Route of that request in order, as for any UAS (12.1.1).
  static std::optional<dialog> from_forked_request(const message::message& request_sent,
                                                   const message::message& received);
  /// UAS side, from the request that creates it (12.1.1). `local_contact` is the URI
  /// of our Contact; `local_tag` the To tag the answer carries.
  static std::optional<dialog> from_request(const message::message& request, std::string local_tag,
                                            std::string local_contact, std::uint32_t initial_cseq = 1);

  /// Everything a dialog is, for storage (RFC 3261 12.1: the dialog state).
  struct snapshot {
    dialog_id id;
    std::string local_uri, remote_uri, remote_target, local_contact;
    std::vector<std::string> route_set;
    std::uint32_t local_cseq = 0;
    std::optional<std::uint32_t> remote_cseq;
  };
  snapshot save() const;
  /// The dialog a snapshot was taken of, e.g. after a restart.
  static dialog restore(snapshot s);

  const dialog_id& id() const noexcept { return id_; }
  const std::string& local_uri() const noexcept { return local_uri_; }
  const std::string& remote_uri() const noexcept { return remote_uri_; }
  const std::string& remote_target() const noexcept { return remote_target_; }
  const std::string& local_contact() const noexcept { return local_contact_; }
  const std::vector<std::string>& route_set() const noexcept { return route_set_; }
  std::uint32_t local_cseq() const noexcept { return local_cseq_; }
  std::optional<std::uint32_t> remote_cseq() const noexcept { return remote_cseq_; }

  /// A request in this dialog (12.2.1.1): Request-URI, Route (loose or strict
  /// routing), From/To with tags, Call-ID, the next local CSeq and our Contact.
  /// No Via: the transport adds it. The caller adds Event, Expires, a body ...
  message::message_builder request(std::string_view method);
  /// A request of ours went out with CSeq `seq` (a resend after a 401/407 takes the
  /// next number): the next request() numbers above it.
  void note_local_cseq(std::uint32_t seq) noexcept {
    if (seq > local_cseq_) local_cseq_ = seq;
  }
  /// The URI the request built last goes to: the first Route, else the remote target.
  std::string next_hop() const;

  /// Checks the CSeq of a request received in this dialog and records it (12.2.2),
  /// then refreshes the remote target when `target_refresh` (NOTIFY and SUBSCRIBE are,
  /// RFC 6665 4.1.2.4, 4.2.1.3).
  request_check receive(const message::message& request, bool target_refresh = true);
  /// The remote target from the Contact of a message (a request, or a 2xx to a refresh).
  void refresh_target(const message::message& m);

 private:
  dialog_id id_;
  std::string local_uri_, remote_uri_;
  std::string remote_target_;
  std::string local_contact_;
  std::vector<std::string> route_set_;  // each as written: "<sip:p1.example.com;lr>"
  std::uint32_t local_cseq_ = 0;
  std::optional<std::uint32_t> remote_cseq_;
};

/// Dialogs shared by several usages (RFC 5057): each usage holds a reference, and a
/// dialog goes away when its last usage ends.
class dialog_table {
 public:
  /// Adds `d` (or finds the one with its id) and counts one more usage of it.
  dialog& acquire(dialog d);
  /// A dialog by id, or nullptr.
  dialog* find(const dialog_id& id);
  /// One usage ended; erases the dialog when none is left. Returns true if erased.
  bool release(const dialog_id& id);
  std::size_t size() const noexcept { return dialogs_.size(); }
  std::size_t usages(const dialog_id& id) const;

 private:
  struct entry {
    dialog d;
    std::size_t usages = 0;
  };
  std::unordered_map<dialog_id, entry, dialog_id_hash> dialogs_;
};

}  // namespace sipevents::dialog

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_DIALOG_DIALOG
#define SIPEVENTS_SEEN_DIALOG_DIALOG
#include "sipevents/impl/definitions.ipp"
#endif
