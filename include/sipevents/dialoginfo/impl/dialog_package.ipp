#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/dialoginfo/dialog_package.hpp"

#include <algorithm>

namespace sipevents::dialoginfo {

SIPEVENTS_INLINE dialog_package::dialog_package(const events::publication_server* esc, dialog_config cfg) : esc_(esc), cfg_(cfg) {}

SIPEVENTS_INLINE std::vector<dialog> dialog_package::dialogs(std::string_view entity) const {
  std::vector<dialog> out;
  auto put = [&](const dialog& d) {
    auto it = std::find_if(out.begin(), out.end(), [&](const dialog& x) { return x.id == d.id && x.ids == d.ids; });
    if (it != out.end()) *it = d;
    else out.push_back(d);
  };
  if (auto r = reported_.find(entity); r != reported_.end())
    for (const auto& [id, d] : r->second.by_id) put(d);
  if (esc_) {
    // Oldest body change first: a newer publication replaces a dialog of the same id.
    for (const events::publication* p : esc_->publications("dialog", entity)) {
      const auto* parsed = std::any_cast<dialog_info>(&p->state);
      dialog_info own;
      if (!parsed) {
        if (!dialoginfo::decode(p->body, own)) continue;
        parsed = &own;
      }
      for (const dialog& d : parsed->dialogs) put(d);
    }
  }
  return out;
}

SIPEVENTS_INLINE std::optional<events::body> dialog_package::state(const events::watcher_view& w) {
  dialog_info doc;
  doc.entity = std::string(w.resource);
  doc.full = true;
  doc.version = versions_.next(w.id);
  doc.dialogs = dialogs(w.resource);
  return events::body{std::string(dialog_info_type), encode(doc)};
}

SIPEVENTS_INLINE events::decoded dialog_package::decode(const message::media_type&, std::string_view text) const {
  events::decoded out;
  dialog_info doc;
  if (!dialoginfo::decode(text, doc, &out.error)) return out;
  out.ok = true;
  out.state = std::move(doc);
  return out;
}

SIPEVENTS_INLINE bool dialog_package::report(std::string_view entity, dialog d) {
  if (d.id.empty()) return false;
  auto it = reported_.find(entity);
  if (it == reported_.end()) it = reported_.emplace(std::string(entity), reported{}).first;
  auto& by_id = it->second.by_id;
  // Terminated dialogs were shown in the NOTIFYs of their termination: gone now.
  std::erase_if(by_id, [&](const auto& kv) { return kv.second.state == dialog_state::terminated && kv.first != d.id; });
  if (!by_id.count(d.id) && by_id.size() >= cfg_.max_dialogs_per_entity) return false;
  by_id[d.id] = std::move(d);
  return true;
}

}  // namespace sipevents::dialoginfo

SIPEVENTS_IMPL_END
