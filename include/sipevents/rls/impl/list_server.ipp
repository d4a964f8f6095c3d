#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/rls/list_server.hpp"

#include <algorithm>
#include <charconv>


#include "sipevents/coding/content_coding.hpp"
#include "sipevents/message/multipart.hpp"

namespace sipevents::rls {

namespace {
// Back-end ids handed to the member packages: they keep per-watcher state (document
// versions) by watcher id, and these must never meet a real subscription's id.
constexpr std::uint64_t member_id_base = std::uint64_t(1) << 62;

std::string remote_key(std::string_view event, std::string_view resource) {
  std::string k(event);
  k.push_back('\x1f');
  k.append(resource);
  return k;
}

bool names_tag_in(std::string_view t, std::string_view tag) {
  if (t.size() != tag.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i)
    if ((t[i] | 0x20) != (tag[i] | 0x20)) return false;
  return true;
}

bool requires_tag(const message::message& m, std::string_view tag) {
  for (std::string_view t : m.values(message::hdr::require))
    if (names_tag_in(t, tag)) return true;
  return false;
}

message::mime_part part(std::string cid, std::string type, std::string text) {
  message::mime_part p;
  p.headers = {{"Content-Transfer-Encoding", "binary"}, {"Content-ID", "<" + std::move(cid) + ">"},
               {"Content-Type", std::move(type)}};
  p.body = std::move(text);
  return p;
}
}  // namespace

struct list_server::list_def {
  served_list l;
  bool from_body = false;  // carried by its SUBSCRIBE (RFC 5367)
  std::string host;  // for Content-IDs
  std::unordered_map<std::string, std::size_t, events::string_hash, std::equal_to<>> index;
};

class list_server::served_package final : public events::package {
 public:
  served_package(list_server& owner, events::package& inner)
      : owner_(owner), inner_(inner), types_(inner.content_types()) {}

  std::string_view name() const override { return inner_.name(); }
  std::vector<std::string> content_types() const override { return {"multipart/related"}; }
  events::expiry_policy expires() const override { return inner_.expires(); }
  std::chrono::milliseconds min_notify_interval() const override { return owner_.cfg_.min_interval; }
  std::chrono::milliseconds notify_interval(std::string_view list) const override {
    auto it = owner_.cfg_.list_interval.find(list);
    return it == owner_.cfg_.list_interval.end() ? owner_.cfg_.min_interval : it->second;
  }
  std::string_view required_extension() const override { return eventlist_tag; }

  std::optional<events::body> state(const events::watcher_view& w) override;
  void watcher_gone(std::uint64_t id) override;
  std::string save_watcher(std::uint64_t id) const override {
    auto it = subs_.find(id);
    return it == subs_.end() ? std::string() : std::to_string(it->second.version);
  }
  void restore_watcher(std::uint64_t id, std::string_view, std::string_view saved,
                       std::uint32_t notifies_since) override {
    std::uint32_t v = 0;
    std::from_chars(saved.data(), saved.data() + saved.size(), v);
    restored_[id] = v + notifies_since;
  }

  /// Marks `member` changed in every subscription to `list`; true if there is one.
  bool mark(std::string_view list, std::string_view member) {
    auto it = by_list_.find(list);
    if (it == by_list_.end()) return false;
    bool any = false;
    for (std::uint64_t id : it->second) {
      sub& s = subs_.at(id);
      if (auto m = s.def->index.find(member); m != s.def->index.end()) {
        s.members[m->second].dirty = true;
        any = true;
      }
    }
    return any;
  }
  std::size_t size() const noexcept { return subs_.size(); }

 private:
  struct member_state {
    std::uint64_t id = 0;  // the back-end watcher id the member's package sees
    std::string instance;
    bool dirty = true;
    bool sent = false;  // the member's package gave this watcher its state once
  };
  struct sub {
    std::shared_ptr<const list_def> def;
    std::uint32_t version = 0;
    std::vector<member_state> members;
  };

  list_server& owner_;
  events::package& inner_;
  std::vector<std::string> types_;
  std::unordered_map<std::uint64_t, sub> subs_;
  std::unordered_map<std::string, std::vector<std::uint64_t>, events::string_hash, std::equal_to<>> by_list_;
  std::unordered_map<std::uint64_t, std::uint32_t> restored_;
  std::uint64_t next_member_ = member_id_base;
};

SIPEVENTS_INLINE std::optional<events::body> list_server::served_package::state(const events::watcher_view& w) {
  auto it = subs_.find(w.id);
  if (it == subs_.end()) {
    sub s;
    if (auto b = owner_.body_lists_.find(w.id); b != owner_.body_lists_.end()) {
      s.def = std::move(b->second);
      owner_.body_lists_.erase(b);
      for (const member& m : s.def->l.members) ++owner_.body_members_[m.key];
    } else if (auto d = owner_.lists_.find(w.resource); d != owner_.lists_.end()) {
      s.def = d->second;
    } else {
      return std::nullopt;  // the list is no longer served (or came in a body before a restart)
    }
    if (auto r = restored_.find(w.id); r != restored_.end()) {
      s.version = r->second;
      restored_.erase(r);
    }
    s.members.resize(s.def->l.members.size());
    for (std::size_t i = 0; i < s.members.size(); ++i) {
      s.members[i].id = next_member_++;
      s.members[i].instance = owner_.ids_(10);
      const member& m = s.def->l.members[i];
      if (!owner_.local(m.key)) owner_.ref_remote(inner_.name(), m, s.def->l.uri);
    }
    by_list_[s.def->l.key].push_back(w.id);
    it = subs_.emplace(w.id, std::move(s)).first;
  }
  sub& s = it->second;
  const list_def& def = *s.def;
  const bool full = w.first;
  rlmi doc;
  doc.uri = def.l.uri;
  doc.version = s.version++;
  doc.full = full;
  if (!def.l.name.empty()) doc.names.push_back({def.l.name, {}});
  std::vector<message::mime_part> parts(1);
  const std::string_view inner_type = types_.empty() ? std::string_view{} : std::string_view(types_.front());
  for (std::size_t i = 0; i < s.members.size(); ++i) {
    member_state& ms = s.members[i];
    if (!full && !ms.dirty) continue;
    ms.dirty = false;
    const member& m = def.l.members[i];
    resource r;
    r.uri = m.uri;
    if (!m.name.empty()) r.names.push_back({m.name, {}});
    instance in;
    in.id = ms.instance;
    std::optional<events::body> b;
    if (owner_.local(m.key)) {
      events::authorization a = events::authorization::accept;
      if (owner_.cfg_.authorize) a = owner_.cfg_.authorize({inner_.name(), m.key, w.watcher, nullptr, w.identity});
      events::watcher_view mv{ms.id, m.key, w.watcher, {}, inner_type, full || !ms.sent, w.now, w.identity};
      switch (a) {
        case events::authorization::accept:
          b = inner_.state(mv);
          ms.sent = true;
          break;
        case events::authorization::polite_block:
          b = inner_.neutral_state(mv);
          break;
        case events::authorization::pending:
          in.state = instance_state::pending;
          b = inner_.neutral_state(mv);
          break;
        case events::authorization::reject:
        case events::authorization::deny:
          in.state = instance_state::terminated;
          in.reason = "rejected";
          break;
      }
    } else if (auto rm = owner_.remote_.find(remote_key(inner_.name(), m.key)); rm != owner_.remote_.end()) {
      const remote& x = rm->second;
      in.state = x.state == events::sub_state::active       ? instance_state::active
                 : x.state == events::sub_state::terminated ? instance_state::terminated
                                                            : instance_state::pending;
      if (in.state == instance_state::terminated) in.reason = std::string(to_string(x.why));
      else b = x.body;
    }
    if (b) {
      in.cid = owner_.ids_(12) + "@" + def.host;
      parts.push_back(part(in.cid, std::move(b->content_type), std::move(b->text)));
    }
    r.instances.push_back(std::move(in));
    doc.resources.push_back(std::move(r));
  }
  const std::string start = owner_.ids_(12) + "@" + def.host;
  parts[0] = part(start, std::string(rlmi_type) + ";charset=\"UTF-8\"", encode(doc));
  message::multipart mp;
  mp.boundary = message::choose_boundary(parts, owner_.ids_(20));
  mp.parts = std::move(parts);
  return events::body{"multipart/related;type=\"" + std::string(rlmi_type) + "\";start=\"<" + start +
                          ">\";boundary=" + mp.boundary,  // a token, unquoted: belle-sip reads no quotes
                      message::encode(mp)};
}

SIPEVENTS_INLINE void list_server::served_package::watcher_gone(std::uint64_t id) {
  restored_.erase(id);
  owner_.body_lists_.erase(id);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  const sub& s = it->second;
  for (std::size_t i = 0; i < s.members.size(); ++i) {
    const member& m = s.def->l.members[i];
    if (owner_.local(m.key)) inner_.watcher_gone(s.members[i].id);
    else owner_.unref_remote(inner_.name(), m);
    if (s.def->from_body)
      if (auto b = owner_.body_members_.find(m.key); b != owner_.body_members_.end() && --b->second == 0)
        owner_.body_members_.erase(b);
  }
  if (auto b = by_list_.find(s.def->l.key); b != by_list_.end()) {
    std::erase(b->second, id);
    if (b->second.empty()) by_list_.erase(b);
  }
  subs_.erase(it);
}

SIPEVENTS_INLINE list_server::list_server(events::token_source ids, rls_config cfg) : ids_(std::move(ids)), cfg_(std::move(cfg)) {}
SIPEVENTS_INLINE list_server::~list_server() = default;

SIPEVENTS_INLINE void list_server::add_package(events::package& inner) {
  packages_[std::string(inner.name())] = std::make_unique<served_package>(*this, inner);
}

SIPEVENTS_INLINE void list_server::set_lists(std::vector<served_list> lists) {
  lists_.clear();
  holders_.clear();
  for (auto& l : lists) {
    auto d = std::make_shared<list_def>();
    d->l = std::move(l);
    const std::size_t at = d->l.uri.find('@');
    d->host = at == std::string::npos ? "rls" : d->l.uri.substr(at + 1);
    for (std::size_t i = 0; i < d->l.members.size(); ++i) {
      d->index.emplace(d->l.members[i].key, i);
      holders_[d->l.members[i].key].push_back(d->l.key);
    }
    lists_[d->l.key] = std::move(d);
  }
}

SIPEVENTS_INLINE bool list_server::is_service(std::string_view resource) const {
  return std::find(cfg_.list_services.begin(), cfg_.list_services.end(), resource) != cfg_.list_services.end();
}

SIPEVENTS_INLINE events::package* list_server::list_package(std::string_view event, std::string_view resource) {
  auto p = packages_.find(event);
  if (p == packages_.end() || (!lists_.count(resource) && !is_service(resource))) return nullptr;
  return p->second.get();
}

SIPEVENTS_INLINE bool list_server::keeps(std::string_view, std::string_view resource) { return !is_service(resource); }

SIPEVENTS_INLINE void list_server::member_changed(std::string_view event, std::string_view resource, std::vector<std::string>& lists) {
  auto p = packages_.find(event);
  if (p == packages_.end()) return;
  if (auto h = holders_.find(resource); h != holders_.end())
    for (const std::string& l : h->second)
      if (p->second->mark(l, resource)) lists.push_back(l);
  if (body_members_.count(resource))
    for (const std::string& service : cfg_.list_services)
      if (p->second->mark(service, resource)) lists.push_back(service);
}

SIPEVENTS_INLINE events::list_hook::list_answer list_server::list_for(std::string_view event, std::string_view resource,
                                                     const message::message& req) {
  body_list_.reset();  // one left by a SUBSCRIBE that was refused after list_for()
  auto p = packages_.find(event);
  const bool service = is_service(resource);
  const bool carries = requires_tag(req, "recipient-list-subscribe");
  if (!service) {
    if (carries) return {nullptr, 403, "Not A List Service"};
    return {list_package(event, resource), 0, {}};
  }
  if (p == packages_.end()) return {nullptr, 489, "Bad Event"};
  // RFC 5367 4: the list is the body, marked as a recipient list.
  const message::media_type* ct = req.content_type();
  if (!ct || !ct->matches("application", "resource-lists+xml") || req.body().empty())
    return {nullptr, 400, "Missing Resource List Body"};
  message::content_disposition cd;
  const message::header_field* cdh = req.find("Content-Disposition");
  if (!cdh || message::parse_content_disposition(cdh->value, cd) || !names_tag_in(cd.type, "recipient-list"))
    return {nullptr, 400, "Missing Content-Disposition: recipient-list"};
  std::string text(req.body());
  if (const message::header_field* ce = req.find("Content-Encoding")) {
    std::string inflated;
    if (ce->value != "deflate" && ce->value != "gzip") return {nullptr, 415, "Unsupported Content-Encoding"};
    if (!coding::inflate_body(text, cfg_.max_body_list, inflated)) return {nullptr, 400, "Bad Deflated Resource List"};
    text = std::move(inflated);
  } else if (text.size() > cfg_.max_body_list) {
    return {nullptr, 400, "Resource List Too Large"};
  }
  resource_lists doc;
  std::string err;
  auto def = std::make_shared<list_def>();
  def->from_body = true;
  def->l.uri = def->l.key = std::string(resource);
  if (!decode(text, doc, &err) || !flatten_into(doc, def->l, &err, cfg_.body_limits))
    return {nullptr, 400, "Bad Resource List: " + err};
  const std::size_t at = def->l.uri.find('@');
  def->host = at == std::string::npos ? "rls" : def->l.uri.substr(at + 1);
  for (std::size_t i = 0; i < def->l.members.size(); ++i) def->index.emplace(def->l.members[i].key, i);
  body_list_ = std::move(def);
  return {p->second.get(), 0, {}};
}

SIPEVENTS_INLINE void list_server::list_created(std::uint64_t sub) {
  if (body_list_) body_lists_[sub] = std::move(body_list_);
}

SIPEVENTS_INLINE void list_server::remote_state(std::string_view event, std::string_view resource, events::sub_state state,
                               std::optional<events::body> body, events::reason why) {
  auto it = remote_.find(remote_key(event, resource));
  if (it == remote_.end()) return;  // no longer wanted
  remote& r = it->second;
  r.state = state;
  r.why = why;
  if (state == events::sub_state::terminated) r.body.reset();
  else if (body) r.body = body->text.size() > cfg_.max_remote_body ? std::nullopt : std::move(body);
}

SIPEVENTS_INLINE void list_server::ref_remote(std::string_view event, const member& m, std::string_view list) {
  remote& r = remote_[remote_key(event, m.key)];
  if (r.refs++ == 0)
    out_.push_back({backend_event::kind::subscribe, std::string(event), m.key, m.uri, std::string(list)});
}

SIPEVENTS_INLINE void list_server::unref_remote(std::string_view event, const member& m) {
  auto it = remote_.find(remote_key(event, m.key));
  if (it == remote_.end() || --it->second.refs) return;
  remote_.erase(it);
  out_.push_back({backend_event::kind::unsubscribe, std::string(event), m.key, m.uri, {}});
}

SIPEVENTS_INLINE bool list_server::poll(backend_event& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

SIPEVENTS_INLINE std::size_t list_server::subscriptions() const noexcept {
  std::size_t n = 0;
  for (const auto& [k, p] : packages_) n += p->size();
  return n;
}

}  // namespace sipevents::rls

SIPEVENTS_IMPL_END
