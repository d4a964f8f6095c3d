#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/dialog/dialog.hpp"

#include <algorithm>

namespace sipevents::dialog {
namespace sm = sipevents::message;

SIPEVENTS_INLINE std::size_t dialog_id_hash::operator()(const dialog_id& d) const noexcept {
  std::hash<std::string_view> h;
  return h(d.call_id) ^ (h(d.local_tag) * 31u) ^ (h(d.remote_tag) * 131u);
}

namespace {

std::vector<std::string> record_route(const sm::message& m) {
  std::vector<std::string> out;
  for (std::string_view r : m.values(sm::hdr::record_route)) out.emplace_back(r);
  return out;
}

bool loose(std::string_view route) {
  sm::name_addr na;
  return !sm::parse_name_addr(route, na) && na.addr.param("lr").has_value();
}

std::string route_uri(std::string_view route) {
  sm::name_addr na;
  if (sm::parse_name_addr(route, na)) return std::string(route);
  return std::string(na.addr.text);
}

/// The first Contact's URI, or empty.
std::string contact_uri(const sm::message& m) {
  auto c = m.contacts();
  return c.empty() ? std::string() : std::string(c[0].value.addr.text);
}

}  // namespace

SIPEVENTS_INLINE dialog::snapshot dialog::save() const {
  return {id_, local_uri_, remote_uri_, remote_target_, local_contact_, route_set_, local_cseq_, remote_cseq_};
}

SIPEVENTS_INLINE dialog dialog::restore(snapshot s) {
  dialog d;
  d.id_ = std::move(s.id);
  d.local_uri_ = std::move(s.local_uri);
  d.remote_uri_ = std::move(s.remote_uri);
  d.remote_target_ = std::move(s.remote_target);
  d.local_contact_ = std::move(s.local_contact);
  d.route_set_ = std::move(s.route_set);
  d.local_cseq_ = s.local_cseq;
  d.remote_cseq_ = s.remote_cseq;
  return d;
}

SIPEVENTS_INLINE std::optional<dialog> dialog::from_response(const sm::message& req, const sm::message& resp) {
  if (resp.to().tag.empty() || req.from().tag.empty()) return std::nullopt;
  dialog d;
  d.id_ = {std::string(req.call_id()), std::string(req.from().tag), std::string(resp.to().tag)};
  d.local_uri_ = std::string(req.from().addr.text);
  d.remote_uri_ = std::string(req.to().addr.text);
  d.remote_target_ = contact_uri(resp);
  d.local_contact_ = contact_uri(req);
  d.route_set_ = record_route(resp);
  std::reverse(d.route_set_.begin(), d.route_set_.end());
  d.local_cseq_ = req.cseq().seq;
  return d;
}

SIPEVENTS_INLINE std::optional<dialog> dialog::from_forked_request(const sm::message& sent, const sm::message& in) {
  // The request received goes the other way: its To tag is ours, its From tag theirs.
  if (in.from().tag.empty() || in.to().tag != sent.from().tag || in.call_id() != sent.call_id()) return std::nullopt;
  dialog d;
  d.id_ = {std::string(sent.call_id()), std::string(sent.from().tag), std::string(in.from().tag)};
  d.local_uri_ = std::string(sent.from().addr.text);
  d.remote_uri_ = std::string(sent.to().addr.text);
  d.remote_target_ = contact_uri(in);
  d.local_contact_ = contact_uri(sent);
  d.route_set_ = record_route(in);
  d.local_cseq_ = sent.cseq().seq;
  d.remote_cseq_ = in.cseq().seq;
  return d;
}

SIPEVENTS_INLINE std::optional<dialog> dialog::from_request(const sm::message& req, std::string local_tag, std::string local_contact,
                                           std::uint32_t initial_cseq) {
  if (!req.is_request() || local_tag.empty()) return std::nullopt;
  dialog d;
  // An RFC 2543 peer may send no From tag: the dialog then has an empty remote tag.
  d.id_ = {std::string(req.call_id()), std::move(local_tag), std::string(req.from().tag)};
  d.local_uri_ = std::string(req.to().addr.text);
  d.remote_uri_ = std::string(req.from().addr.text);
  d.remote_target_ = contact_uri(req);
  if (d.remote_target_.empty()) return std::nullopt;  // nowhere to send NOTIFY
  d.local_contact_ = std::move(local_contact);
  d.route_set_ = record_route(req);
  d.local_cseq_ = initial_cseq > 0 ? initial_cseq - 1 : 0;
  d.remote_cseq_ = req.cseq().seq;
  return d;
}

SIPEVENTS_INLINE sm::message_builder dialog::request(std::string_view method) {
  // 12.2.1.1: with a loose first route the Request-URI is the remote target; a strict
  // router gets its own URI as Request-URI and the remote target as the last Route.
  bool strict = !route_set_.empty() && !loose(route_set_.front());
  std::string ruri = strict ? route_uri(route_set_.front()) : remote_target_;
  auto b = sm::message_builder::request(method, ruri);
  b.header(sm::hdr::max_forwards, "70");
  for (std::size_t i = strict ? 1 : 0; i < route_set_.size(); ++i) b.header(sm::hdr::route, route_set_[i]);
  if (strict) b.header(sm::hdr::route, "<" + remote_target_ + ">");
  b.header(sm::hdr::from, "<" + local_uri_ + ">;tag=" + id_.local_tag);
  b.header(sm::hdr::to, id_.remote_tag.empty() ? "<" + remote_uri_ + ">" : "<" + remote_uri_ + ">;tag=" + id_.remote_tag);
  b.header(sm::hdr::call_id, id_.call_id);
  b.header(sm::hdr::cseq, std::to_string(++local_cseq_) + " " + std::string(method));
  if (!local_contact_.empty()) b.header(sm::hdr::contact, "<" + local_contact_ + ">");
  return b;
}

SIPEVENTS_INLINE std::string dialog::next_hop() const {
  return route_set_.empty() ? remote_target_ : route_uri(route_set_.front());
}

SIPEVENTS_INLINE request_check dialog::receive(const sm::message& req, bool target_refresh) {
  std::uint32_t seq = req.cseq().seq;
  if (remote_cseq_ && seq < *remote_cseq_) return request_check::out_of_order;
  remote_cseq_ = seq;
  if (target_refresh) refresh_target(req);
  return request_check::ok;
}

SIPEVENTS_INLINE void dialog::refresh_target(const sm::message& m) {
  std::string c = contact_uri(m);
  if (!c.empty()) remote_target_ = std::move(c);
}

SIPEVENTS_INLINE dialog& dialog_table::acquire(dialog d) {
  dialog_id id = d.id();  // the key is taken before `d` moves into the entry
  auto [it, inserted] = dialogs_.try_emplace(std::move(id), entry{std::move(d), 0});
  ++it->second.usages;
  return it->second.d;
}

SIPEVENTS_INLINE dialog* dialog_table::find(const dialog_id& id) {
  auto it = dialogs_.find(id);
  return it == dialogs_.end() ? nullptr : &it->second.d;
}

SIPEVENTS_INLINE bool dialog_table::release(const dialog_id& id) {
  auto it = dialogs_.find(id);
  if (it == dialogs_.end()) return false;
  if (--it->second.usages > 0) return false;
  dialogs_.erase(it);
  return true;
}

SIPEVENTS_INLINE std::size_t dialog_table::usages(const dialog_id& id) const {
  auto it = dialogs_.find(id);
  return it == dialogs_.end() ? 0 : it->second.usages;
}

}  // namespace sipevents::dialog

SIPEVENTS_IMPL_END
