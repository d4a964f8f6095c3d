#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/presence/presence_package.hpp"

#include <algorithm>

namespace sipevents::presence {

SIPEVENTS_INLINE presence_package::presence_package(const events::publication_server* esc, presence_config cfg)
    : esc_(esc), cfg_(cfg) {}

SIPEVENTS_INLINE std::vector<std::string> presence_package::content_types() const {
  return {std::string(pidf_type), std::string(cpim_pidf_type)};
}

namespace {
template <class T>
void merge_by_id(std::vector<T>& into, const std::vector<T>& from) {
  for (const T& x : from) {
    auto it = std::find_if(into.begin(), into.end(), [&](const T& y) { return y.id == x.id; });
    if (it != into.end()) *it = x;
    else into.push_back(x);
  }
}
template <class T>
void merge_unique(std::vector<T>& into, const std::vector<T>& from) {
  for (const T& x : from)
    if (std::find(into.begin(), into.end(), x) == into.end()) into.push_back(x);
}
}  // namespace

SIPEVENTS_INLINE presence_document presence_package::compose(std::string_view resource) const {
  presence_document doc;
  doc.entity = std::string(resource);
  if (esc_) {
    // Oldest body change first, so a newer publication replaces a tuple of the same id.
    for (const events::publication* p : esc_->publications("presence", resource)) {
      // The ESC kept what decode() read from the body when it took the PUBLISH; a
      // publication decoded by another package is read here instead.
      const auto* parsed = std::any_cast<presence_document>(&p->state);
      presence_document own;
      if (!parsed) {
        if (!presence::decode(p->body, own)) continue;
        parsed = &own;
      }
      const presence_document& d = *parsed;
      merge_by_id(doc.tuples, d.tuples);
      merge_by_id(doc.persons, d.persons);
      merge_unique(doc.notes, d.notes);
      merge_unique(doc.extensions, d.extensions);
    }
  }
  if (doc.tuples.empty() && doc.persons.empty() && cfg_.registrations_open) {
    if (auto r = registered_.find(resource); r != registered_.end() && !r->second.empty()) {
      tuple t;
      t.id = "registered";
      t.basic = basic_status::open;
      t.contact = contact_address{r->second.front(), {}};
      doc.tuples.push_back(std::move(t));
      return doc;
    }
  }
  if (doc.tuples.empty() && doc.persons.empty() && cfg_.hard_state != basic_status::none) {
    tuple t;
    t.id = "offline";
    t.basic = cfg_.hard_state;
    doc.tuples.push_back(std::move(t));
  }
  return doc;
}

SIPEVENTS_INLINE bool presence_package::apply(const events::publication_change& c) {
  if (c.event != "presence") return false;
  // A refresh keeps the body and its place in the body-change order: nothing to compose.
  if (c.kind == events::publication_change_kind::refreshed) return false;
  return recompose(c.resource);
}

SIPEVENTS_INLINE bool presence_package::registered(std::string_view resource, std::vector<std::string> contacts) {
  auto it = registered_.find(resource);
  if (contacts.empty()) {
    if (it == registered_.end()) return false;
    registered_.erase(it);
  } else if (it == registered_.end()) {
    registered_.emplace(std::string(resource), std::move(contacts));
  } else if (it->second == contacts) {
    return false;  // a refresh: nothing to compose (a REGISTER refresh is the common case)
  } else {
    it->second = std::move(contacts);
  }
  return recompose(resource);
}

SIPEVENTS_INLINE bool presence_package::recompose(std::string_view resource) {
  presence_document doc = compose(resource);
  std::string now = encode(doc);
  auto it = composed_.find(resource);
  if (it != composed_.end() && it->second.xml == now) return false;
  const bool published = esc_ && !esc_->publications("presence", resource).empty();
  if (!published && registered_.find(resource) == registered_.end()) {
    // Nothing kept for presentities nobody publishes for and nothing registers.
    if (it != composed_.end()) composed_.erase(it);
    return true;
  }
  composed_state st{std::move(now), std::make_shared<const presence_document>(std::move(doc))};
  if (it == composed_.end()) composed_.emplace(std::string(resource), std::move(st));
  else it->second = std::move(st);
  return true;
}

SIPEVENTS_INLINE std::shared_ptr<const presence_document> presence_package::current(std::string_view resource) const {
  if (auto it = composed_.find(resource); it != composed_.end()) return it->second.doc;
  return std::make_shared<const presence_document>(compose(resource));
}

SIPEVENTS_INLINE void presence_package::watcher_gone(std::uint64_t id) {
  sent_.erase(id);
  versions_.gone(id);
}

SIPEVENTS_INLINE void presence_package::restore_watcher(std::uint64_t id, std::string_view, std::string_view saved,
                                                        std::uint32_t notifies_since) {
  // The first NOTIFY after a restart is full state: only the version must go on.
  if (!saved.empty()) versions_.restore(id, saved, notifies_since);
}

SIPEVENTS_INLINE std::optional<events::body> presence_package::state(const events::watcher_view& w) {
  if (w.content_type == pidf_diff_type) {
    std::shared_ptr<const presence_document> now = current(w.resource);
    std::shared_ptr<const presence_document>& last = sent_[w.id];
    const std::uint32_t version = versions_.next(w.id);
    std::optional<std::string> text;
    if (!w.first && last) text = encode_pidf_diff(*last, *now, version);
    // Full state is always allowed (RFC 5263 3): sent when the diff is no smaller. Its
    // size comes from the composed PIDF, encoded once per change for all watchers.
    if (text) {
      auto c = composed_.find(w.resource);
      const std::size_t pidf = c != composed_.end() && c->second.doc == now ? c->second.xml.size() : encode(*now).size();
      if (text->size() >= pidf_full_size(pidf, version)) text.reset();
    }
    if (!text) text = encode_pidf_full(*now, version);
    last = std::move(now);
    return events::body{std::string(pidf_diff_type), std::move(*text)};
  }
  std::string type = w.content_type.empty() ? std::string(pidf_type) : std::string(w.content_type);
  auto it = composed_.find(w.resource);
  return events::body{type, it != composed_.end() ? it->second.xml : encode(compose(w.resource))};
}

SIPEVENTS_INLINE std::optional<events::body> presence_package::neutral_state(const events::watcher_view& w) {
  presence_document doc;
  doc.entity = std::string(w.resource);
  if (cfg_.hard_state != basic_status::none) {
    tuple t;
    t.id = "offline";
    t.basic = cfg_.hard_state;
    doc.tuples.push_back(std::move(t));
  }
  return events::body{w.content_type.empty() ? std::string(pidf_type) : std::string(w.content_type), encode(doc)};
}

SIPEVENTS_INLINE events::decoded presence_package::decode(const message::media_type& type, std::string_view text) const {
  events::decoded d;
  if (type.matches("application", "pidf-diff+xml")) {
    pidf_update u;
    if (!decode_pidf_update(text, u, &d.error)) return d;
    d.ok = true;
    d.state = std::move(u);
    return d;
  }
  if (!type.matches("application", "pidf+xml") && !type.matches("application", "cpim-pidf+xml")) {
    d.error = "not application/pidf+xml";
    return d;
  }
  presence_document doc;
  if (!presence::decode(text, doc, &d.error)) return d;
  d.ok = true;
  d.state = std::move(doc);
  return d;
}

}  // namespace sipevents::presence

SIPEVENTS_IMPL_END
