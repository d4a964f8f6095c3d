#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/pager/imdn.hpp"

#include <array>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::pager {

namespace {

using IXE = tinyxml2::XMLElement;
using imdn_kind = imdn_notification::kind;
using imdn_status = imdn_notification::status;

constexpr std::array<std::string_view, 3> imdn_kind_names = {"delivery-notification", "display-notification",
                                                              "processing-notification"};
constexpr std::array<std::string_view, 7> imdn_status_names = {"delivered", "failed",    "forbidden", "error",
                                                                "displayed", "processed", "stored"};

// RFC 5438 7.2.1: which status each notification may carry.
bool imdn_allowed(imdn_kind k, imdn_status s) {
  switch (k) {
    case imdn_kind::delivery:
      return s == imdn_status::delivered || s == imdn_status::failed || s == imdn_status::forbidden ||
             s == imdn_status::error;
    case imdn_kind::display: return s == imdn_status::displayed || s == imdn_status::forbidden || s == imdn_status::error;
    case imdn_kind::processing:
      return s == imdn_status::processed || s == imdn_status::stored || s == imdn_status::forbidden ||
             s == imdn_status::error;
  }
  return false;
}

}  // namespace

SIPEVENTS_INLINE std::string_view to_string(imdn_notification::kind k) noexcept {
  return imdn_kind_names[static_cast<std::size_t>(k)];
}
SIPEVENTS_INLINE std::string_view to_string(imdn_notification::status s) noexcept {
  return imdn_status_names[static_cast<std::size_t>(s)];
}

SIPEVENTS_INLINE void add_imdn_request(cpim_message& m, const imdn_request& r) {
  m.headers.emplace_back("NS", "imdn <" + std::string(imdn_ns) + ">");
  m.headers.emplace_back("imdn.Message-ID", r.message_id);
  if (!m.header("DateTime")) m.headers.emplace_back("DateTime", r.datetime);
  std::string d;
  auto add = [&d](bool on, std::string_view w) {
    if (on) d.append(d.empty() ? "" : ", ").append(w);
  };
  add(r.positive_delivery, "positive-delivery");
  add(r.negative_delivery, "negative-delivery");
  add(r.display, "display");
  if (!d.empty()) m.headers.emplace_back("imdn.Disposition-Notification", d);
}

SIPEVENTS_INLINE std::optional<imdn_request> read_imdn_request(const cpim_message& m) {
  auto id = m.header_in(imdn_ns, "Message-ID");
  auto disp = m.header_in(imdn_ns, "Disposition-Notification");
  if (!id || !disp) return std::nullopt;
  imdn_request r;
  r.message_id = std::string(*id);
  if (auto dt = m.header("DateTime")) r.datetime = std::string(*dt);
  std::string_view v = *disp;
  while (!v.empty()) {
    const std::size_t comma = v.find(',');
    std::string_view w = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    while (!w.empty() && w.front() == ' ') w.remove_prefix(1);
    while (!w.empty() && w.back() == ' ') w.remove_suffix(1);
    if (w == "positive-delivery") r.positive_delivery = true;
    else if (w == "negative-delivery") r.negative_delivery = true;
    else if (w == "display") r.display = true;
  }
  if (!r.positive_delivery && !r.negative_delivery && !r.display) return std::nullopt;
  return r;
}

SIPEVENTS_INLINE std::string encode_imdn(const imdn_notification& n) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn";
  xml::attr(out, "xmlns", imdn_xml_ns);
  out.append(">\n  <message-id>");
  xml::escape(out, n.message_id, false);
  out.append("</message-id>\n  <datetime>");
  xml::escape(out, n.datetime, false);
  out.append("</datetime>\n");
  if (!n.recipient_uri.empty()) {
    out.append("  <recipient-uri>");
    xml::escape(out, n.recipient_uri, false);
    out.append("</recipient-uri>\n");
  }
  if (!n.original_recipient_uri.empty()) {
    out.append("  <original-recipient-uri>");
    xml::escape(out, n.original_recipient_uri, false);
    out.append("</original-recipient-uri>\n");
  }
  out.append("  <").append(to_string(n.what)).append("><status><").append(to_string(n.state));
  out.append("/></status></").append(to_string(n.what)).append(">\n</imdn>\n");
  return out;
}

SIPEVENTS_INLINE bool decode_imdn(std::string_view text, imdn_notification& out, std::string* error) {
  xml::failure fail{error};
  out = imdn_notification{};
  tinyxml2::XMLDocument d;
  const IXE* root = xml::parse_root(d, text, imdn_xml_ns, "imdn", "an imdn element", fail);
  if (!root) return false;
  bool have_id = false, have_time = false, have_note = false;
  for (const IXE* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (xml::namespace_of(e) != imdn_xml_ns) continue;  // extensions
    const std::string_view n = xml::local_name(e->Name());
    if (n == "message-id") out.message_id = xml::text_of(e), have_id = !out.message_id.empty();
    else if (n == "datetime") out.datetime = xml::text_of(e), have_time = !out.datetime.empty();
    else if (n == "recipient-uri") out.recipient_uri = xml::text_of(e);
    else if (n == "original-recipient-uri") out.original_recipient_uri = xml::text_of(e);
    else {
      for (std::size_t k = 0; k < imdn_kind_names.size(); ++k) {
        if (n != imdn_kind_names[k]) continue;
        if (have_note) return fail("more than one notification");
        out.what = static_cast<imdn_kind>(k);
        const IXE* st = e->FirstChildElement();
        while (st && !xml::is(st, imdn_xml_ns, "status")) st = st->NextSiblingElement();
        const IXE* v = st ? st->FirstChildElement() : nullptr;
        if (!v) return fail(std::string(n) + " without a status");
        bool known = false;
        for (std::size_t s = 0; s < imdn_status_names.size() && !known; ++s)
          if (xml::local_name(v->Name()) == imdn_status_names[s]) {
            out.state = static_cast<imdn_status>(s);
            known = true;
          }
        if (!known || !imdn_allowed(out.what, out.state))
          return fail(std::string(n) + " with status " + std::string(xml::local_name(v->Name())));
        have_note = true;
      }
    }
  }
  if (!have_id) return fail("imdn without message-id");
  if (!have_time) return fail("imdn without datetime");
  if (!have_note) return fail("imdn without a notification");
  return true;
}

SIPEVENTS_INLINE cpim_message imdn_reply(const cpim_message& original, const imdn_notification& n,
                                         std::string message_id, std::string datetime) {
  cpim_message m;
  if (auto to = original.header("To")) m.headers.emplace_back("From", std::string(*to));
  if (auto from = original.header("From")) m.headers.emplace_back("To", std::string(*from));
  m.headers.emplace_back("NS", "imdn <" + std::string(imdn_ns) + ">");
  m.headers.emplace_back("imdn.Message-ID", std::move(message_id));
  m.headers.emplace_back("DateTime", std::move(datetime));
  m.content_headers.emplace_back("Content-Type", std::string(imdn_type));
  m.content_headers.emplace_back("Content-Disposition", "notification");
  m.body = encode_imdn(n);
  return m;
}

SIPEVENTS_INLINE void imdn_tracker::sent(const imdn_request& r, transaction::time_point now) {
  if (r.message_id.empty() || waiting_.count(r.message_id)) return;
  if (waiting_.size() >= cfg_.max_pending) {
    // The oldest waits no more: memory stays bounded whatever the peers do.
    while (!order_.empty()) {
      auto [at, id] = std::move(order_.front());
      order_.pop_front();
      if (waiting_.erase(id)) {
        out_.push_back({std::move(id), std::nullopt});
        break;
      }
    }
  }
  entry e{now + cfg_.wait, r.positive_delivery || r.negative_delivery, r.display};
  waiting_.emplace(r.message_id, e);
  order_.emplace_back(e.deadline, r.message_id);
  if (order_.size() > 2 * cfg_.max_pending + 16) {
    // Mostly answered pages: keep only the ones still waiting.
    std::deque<std::pair<transaction::time_point, std::string>> kept;
    for (auto& o : order_)
      if (auto it = waiting_.find(o.second); it != waiting_.end() && it->second.deadline == o.first) kept.push_back(std::move(o));
    order_.swap(kept);
  }
}

SIPEVENTS_INLINE bool imdn_tracker::received(const imdn_notification& n) {
  auto it = waiting_.find(n.message_id);
  if (it == waiting_.end()) return false;
  bool& awaited = n.what == imdn_kind::display ? it->second.display : it->second.delivery;
  if (!awaited) return false;
  awaited = false;
  out_.push_back({n.message_id, n});
  // A failed delivery will never be displayed.
  if (n.what == imdn_kind::delivery && n.state != imdn_status::delivered) it->second.display = false;
  if (!it->second.delivery && !it->second.display) waiting_.erase(it);
  return true;
}

SIPEVENTS_INLINE void imdn_tracker::advance(transaction::time_point now) {
  while (!order_.empty() && order_.front().first <= now) {
    auto [at, id] = std::move(order_.front());
    order_.pop_front();
    auto it = waiting_.find(id);
    if (it == waiting_.end() || it->second.deadline != at) continue;  // answered meanwhile
    waiting_.erase(it);
    out_.push_back({std::move(id), std::nullopt});
  }
}

SIPEVENTS_INLINE transaction::time_point imdn_tracker::next_deadline() const {
  while (!order_.empty()) {
    auto it = waiting_.find(order_.front().second);
    if (it != waiting_.end() && it->second.deadline == order_.front().first) return order_.front().first;
    order_.pop_front();  // answered: nothing to wake for
  }
  return transaction::time_point::max();
}

SIPEVENTS_INLINE bool imdn_tracker::poll(outcome& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

}  // namespace sipevents::pager

SIPEVENTS_IMPL_END
