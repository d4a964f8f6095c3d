#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/rls/list_view.hpp"

#include <map>

namespace sipevents::rls {

SIPEVENTS_INLINE std::vector<std::string> list_reader::content_types() const {
  std::vector<std::string> t{"multipart/related", std::string(rlmi_type)};
  for (auto& x : inner_.content_types()) t.push_back(std::move(x));
  return t;
}

SIPEVENTS_INLINE void make_list_subscription(events::subscribe_params& p, const list_reader& reader) {
  p.accept = reader.content_types();
  p.headers.emplace_back("Supported", std::string(eventlist_tag));
}

SIPEVENTS_INLINE events::decoded list_reader::decode(const message::media_type& type, std::string_view text) const {
  return decode_at(type, text, 0);
}

SIPEVENTS_INLINE events::decoded list_reader::decode_at(const message::media_type& type, std::string_view text,
                                       std::size_t depth) const {
  if (!type.matches("multipart", "related")) return inner_.decode(type, text);
  events::decoded out;
  if (depth > limits_.max_depth) {
    out.error = "lists nested too deep";
    return out;
  }
  const auto boundary = type.params.get("boundary");
  if (!boundary) {
    out.error = "multipart/related without a boundary";
    return out;
  }
  message::multipart mp;
  if (!message::decode(text, message::unquote(*boundary), mp, &out.error, limits_.multipart)) return out;
  // The root is the start part, else the first (RFC 2387 3.2).
  std::string_view start;
  if (auto s = type.params.get("start")) {
    start = message::unquote(*s);
    if (start.size() >= 2 && start.front() == '<' && start.back() == '>') start = start.substr(1, start.size() - 2);
  }
  const message::mime_part* root = mp.parts.empty() ? nullptr : &mp.parts.front();
  std::map<std::string_view, const message::mime_part*> by_cid;
  for (const auto& p : mp.parts) {
    by_cid.emplace(p.content_id(), &p);
    if (!start.empty() && p.content_id() == start) root = &p;
  }
  if (!root) {
    out.error = "multipart/related without parts";
    return out;
  }
  message::media_type rt;
  if (message::parse_media_type(root->content_type(), rt) || !rt.matches("application", "rlmi+xml")) {
    out.error = "the root part is not application/rlmi+xml";
    return out;
  }
  list_notify n;
  if (!rls::decode(root->body, n.meta, &out.error)) return out;
  if (n.meta.resources.size() > limits_.max_resources) {
    out.error = "more resources than the limit";
    return out;
  }
  for (const auto& r : n.meta.resources) {
    auto& v = n.instances.emplace_back();
    for (const auto& i : r.instances) {
      instance_view iv{i.id, i.state, i.reason, {}, {}};
      if (!i.cid.empty()) {
        auto p = by_cid.find(i.cid);
        if (p == by_cid.end()) {
          out.error = "instance " + i.id + " names a part (" + i.cid + ") that is not there";
          return out;
        }
        iv.content_type = std::string(p->second->content_type());
        message::media_type pt;
        if (message::parse_media_type(iv.content_type, pt)) {
          events::decoded bad;
          bad.error = "bad Content-Type in part " + i.cid;
          iv.body = std::move(bad);
        } else {
          // A nested list is itself multipart/related; this reader reads it too.
          iv.body = pt.matches("multipart", "related") ? decode_at(pt, p->second->body, depth + 1) : inner_.decode(pt, p->second->body);
        }
      }
      v.push_back(std::move(iv));
    }
  }
  out.ok = true;
  out.state = std::move(n);
  return out;
}

SIPEVENTS_INLINE const resource_view* list_view::find(std::string_view uri) const {
  for (const auto& r : resources_)
    if (r.uri == uri) return &r;
  return nullptr;
}

SIPEVENTS_INLINE bool list_view::apply(const list_notify& n) {
  if (!n.meta.full && (!version_ || n.meta.version != *version_ + 1 || n.meta.uri != uri_)) return false;
  if (n.meta.full) resources_.clear();
  uri_ = n.meta.uri;
  version_ = n.meta.version;
  for (std::size_t i = 0; i < n.meta.resources.size(); ++i) {
    const resource& r = n.meta.resources[i];
    resource_view* held = nullptr;
    for (auto& x : resources_)
      if (x.uri == r.uri) held = &x;
    if (!held) held = &resources_.emplace_back(resource_view{r.uri, {}, {}});
    if (!r.names.empty()) held->name = r.names.front().text;
    // RFC 4662 5.2: a partial list names every instance of a resource it lists; an
    // instance that comes without a body keeps the state it had.
    std::vector<instance_view> next;
    for (std::size_t k = 0; k < r.instances.size() && i < n.instances.size() && k < n.instances[i].size(); ++k) {
      instance_view iv = n.instances[i][k];
      if (!iv.body && iv.state != instance_state::terminated)
        for (const auto& old : held->instances)
          if (old.id == iv.id && old.body) {
            iv.body = old.body;
            iv.content_type = old.content_type;
          }
      next.push_back(std::move(iv));
    }
    held->instances = std::move(next);
  }
  return true;
}

}  // namespace sipevents::rls

SIPEVENTS_IMPL_END
