#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/pager/iscomposing.hpp"

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::pager {

SIPEVENTS_INLINE std::string encode_iscomposing(const composing_indication& c) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<isComposing";
  xml::attr(out, "xmlns", iscomposing_ns);
  out.append(">\n  <state>").append(c.active ? "active" : "idle").append("</state>\n");
  if (!c.lastactive.empty()) {
    out.append("  <lastactive>");
    xml::escape(out, c.lastactive, false);
    out.append("</lastactive>\n");
  }
  if (!c.contenttype.empty()) {
    out.append("  <contenttype>");
    xml::escape(out, c.contenttype, false);
    out.append("</contenttype>\n");
  }
  if (c.refresh) out.append("  <refresh>").append(std::to_string(*c.refresh)).append("</refresh>\n");
  out.append("</isComposing>\n");
  return out;
}

SIPEVENTS_INLINE bool decode_iscomposing(std::string_view text, composing_indication& out, std::string* error) {
  xml::failure fail{error};
  out = composing_indication{};
  tinyxml2::XMLDocument d;
  const tinyxml2::XMLElement* root = xml::parse_root(d, text, iscomposing_ns, "isComposing", "an isComposing element", fail);
  if (!root) return false;
  bool have_state = false;
  for (const tinyxml2::XMLElement* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (xml::namespace_of(e) != iscomposing_ns) continue;
    const std::string_view n = xml::local_name(e->Name());
    if (n == "state") {
      const std::string s = xml::text_of(e);
      if (s == "active") out.active = true;
      else if (s != "idle") return fail("state must be active or idle, not \"" + s + "\"");
      have_state = true;
    } else if (n == "lastactive") {
      out.lastactive = xml::text_of(e);
    } else if (n == "contenttype") {
      out.contenttype = xml::text_of(e);
    } else if (n == "refresh") {
      const std::string r = xml::text_of(e);
      std::optional<std::uint32_t> v;
      if (r.empty() || !xml::number(r.c_str(), v) || !v) return fail("refresh is not a number: \"" + r + "\"");
      out.refresh = v;
    }
  }
  if (!have_state) return fail("isComposing without state");
  return true;
}

SIPEVENTS_INLINE std::optional<composing_indication> composing_sender::typed(transaction::time_point now,
                                                                             std::string_view contenttype) {
  last_typed_ = now;
  if (active_ && now < refresh_at_) return std::nullopt;
  active_ = true;
  contenttype_ = std::string(contenttype);
  refresh_at_ = now + cfg_.refresh;
  composing_indication c;
  c.active = true;
  c.contenttype = contenttype_;
  c.refresh = static_cast<std::uint32_t>(cfg_.refresh.count());
  return c;
}

SIPEVENTS_INLINE void composing_sender::message_sent() { active_ = false; }

SIPEVENTS_INLINE std::optional<composing_indication> composing_sender::advance(transaction::time_point now) {
  if (!active_ || now < last_typed_ + cfg_.idle_timeout) return std::nullopt;
  active_ = false;
  composing_indication c;
  c.contenttype = contenttype_;
  return c;
}

SIPEVENTS_INLINE transaction::time_point composing_sender::next_deadline() const noexcept {
  // A refresh is sent when typing goes on (typed()); only the pause needs a timer.
  return active_ ? last_typed_ + cfg_.idle_timeout : transaction::time_point::max();
}

SIPEVENTS_INLINE bool composing_receiver::on_indication(const composing_indication& c, transaction::time_point now) {
  const bool was = active_;
  active_ = c.active;
  if (active_) expires_ = now + (c.refresh ? std::chrono::seconds(*c.refresh) : cfg_.receiver_default);
  return was != active_;
}

SIPEVENTS_INLINE bool composing_receiver::on_message() {
  const bool was = active_;
  active_ = false;
  return was;
}

SIPEVENTS_INLINE bool composing_receiver::advance(transaction::time_point now) {
  if (!active_ || now < expires_) return false;
  active_ = false;
  return true;
}

SIPEVENTS_INLINE transaction::time_point composing_receiver::next_deadline() const noexcept {
  return active_ ? expires_ : transaction::time_point::max();
}

}  // namespace sipevents::pager

SIPEVENTS_IMPL_END
