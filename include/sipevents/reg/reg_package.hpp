// The reg event package (RFC 3680) on both sides.
//
// Notifier: `reg_package` with a registrar writes full state from the registrar's
// bindings on the first NOTIFY (and after each refresh), and partial documents from
// the binding changes fed to apply() after that, one version per NOTIFY per watcher.
//
// Subscriber: `reg_package` without a registrar decodes bodies into `reginfo`, and
// `reg_view` applies full and partial documents to a typed state, saying when the
// subscriber must ask for full state again (a version gap, or a partial document
// before any full one, RFC 3680 4.4).
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_REG_REG_PACKAGE
#endif
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipevents/events/package.hpp"
#include "sipevents/reg/reginfo.hpp"
#include "sipevents/registrar/registrar.hpp"

namespace sipevents::reg {

class reg_package : public events::package {
 public:
  /// Subscriber side: decodes reginfo bodies.
  reg_package() = default;
  /// Notifier side: the state of each AoR comes from `r`.
  explicit reg_package(const registrar::registrar& r, events::expiry_policy policy = {3600, 60, 86400})
      : registrar_(&r), policy_(policy) {}

  std::string_view name() const override { return "reg"; }
  std::vector<std::string> content_types() const override { return {std::string(reginfo_type)}; }
  events::expiry_policy expires() const override { return policy_; }
  std::optional<events::body> state(const events::watcher_view& w) override;
  /// Pending and politely blocked watchers see a registration with no contacts.
  std::optional<events::body> neutral_state(const events::watcher_view& w) override;
  void watcher_gone(std::uint64_t id) override { watchers_.erase(id); }
  /// The next reginfo version of the watcher (RFC 3680 4.4: versions never repeat).
  std::string save_watcher(std::uint64_t id) const override;
  void restore_watcher(std::uint64_t id, std::string_view resource, std::string_view saved,
                       std::uint32_t notifies_since) override;
  /// Decodes application/reginfo+xml into a `reginfo` (in decoded::state).
  events::decoded decode(const message::media_type& type, std::string_view text) const override;

  /// Records a binding change for every watcher of its AoR. Returns the AoR: pass it
  /// to the notifier's changed("reg", aor).
  const std::string& apply(const registrar::binding_change& c);

  /// The registration id of an AoR, stable while the package lives.
  const std::string& registration_id(const std::string& aor);

 private:
  struct watcher {
    std::string aor;
    std::uint32_t version = 0;  // of the next document
    std::vector<registrar::binding_change> pending;
  };
  contact_info contact_of(const registrar::binding& b, registrar::binding_event ev, events::time_point now) const;
  std::string document(const events::watcher_view& w, bool neutral);

  const registrar::registrar* registrar_ = nullptr;
  events::expiry_policy policy_{3600, 60, 86400};
  std::unordered_map<std::uint64_t, watcher> watchers_;
  std::map<std::string, std::string, std::less<>> reg_ids_;
  std::uint64_t next_reg_id_ = 0;
};

/// A contact that changed state, as the application hears it.
struct contact_change {
  std::string aor;
  contact_info contact;
  bool active = false;  ///< true: became active; false: was active, now terminated
};

/// The subscriber's typed view of one reg subscription (one dialog).
class reg_view {
 public:
  enum class result : std::uint8_t {
    applied,    ///< the state is current
    need_full,  ///< a gap or a partial document first: refresh the subscription
  };
  /// Applies a document; contacts that became active or stopped being active are
  /// appended to `changes`.
  result apply(const reginfo& doc, std::vector<contact_change>& changes);

  struct registration {
    std::string id;
    std::string state;
    std::map<std::string, contact_info> contacts;  ///< by contact id
  };
  const std::map<std::string, registration>& registrations() const noexcept { return regs_; }
  std::optional<std::uint32_t> version() const noexcept { return version_; }

 private:
  std::map<std::string, registration> regs_;  // by AoR
  std::optional<std::uint32_t> version_;
};

}  // namespace sipevents::reg

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_REG_REG_PACKAGE
#define SIPEVENTS_SEEN_REG_REG_PACKAGE
#include "sipevents/impl/definitions.ipp"
#endif
