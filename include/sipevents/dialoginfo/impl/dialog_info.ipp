#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/dialoginfo/dialog_info.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::dialoginfo {

namespace {

using xml::attr;
using xml::escape;
using xml::failure;
using xml::local_name;
using xml::print;
using xml::text_of;
using XE = tinyxml2::XMLElement;

constexpr std::array<std::string_view, 5> state_names = {"trying", "proceeding", "early", "confirmed", "terminated"};
constexpr std::array<std::string_view, 8> event_names = {"",          "cancelled",  "rejected", "replaced",
                                                         "local-bye", "remote-bye", "error",    "timeout"};

bool ours(const XE* e) { return xml::namespace_of(e) == dialog_info_ns; }
bool named(const XE* e, std::string_view n) { return ours(e) && local_name(e->Name()) == n; }

void name_addr_out(std::string& out, std::string_view tag, const name_addr& n, std::string_view indent) {
  out.append(indent).append("<").append(tag);
  if (!n.display.empty()) attr(out, "display", n.display);
  out.append(">");
  escape(out, n.uri, false);
  out.append("</").append(tag).append(">\n");
}

void ids_out(std::string& out, const dialog_ids& ids) {
  if (!ids.call_id.empty()) attr(out, "call-id", ids.call_id);
  if (!ids.local_tag.empty()) attr(out, "local-tag", ids.local_tag);
  if (!ids.remote_tag.empty()) attr(out, "remote-tag", ids.remote_tag);
}

void participant_out(std::string& out, std::string_view tag, const participant& p) {
  out.append("    <").append(tag).append(">\n");
  if (p.identity) name_addr_out(out, "identity", *p.identity, "      ");
  if (!p.target.empty()) {
    out.append("      <target");
    attr(out, "uri", p.target);
    if (p.params.empty()) {
      out.append("/>\n");
    } else {
      out.append(">\n");
      for (const auto& [n, v] : p.params) {
        out.append("        <param");
        attr(out, "pname", n);
        attr(out, "pval", v);
        out.append("/>\n");
      }
      out.append("      </target>\n");
    }
  }
  if (p.session_description) {
    out.append("      <session-description");
    attr(out, "type", p.session_type);
    out.append(">");
    escape(out, *p.session_description, false);
    out.append("</session-description>\n");
  }
  if (p.cseq) out.append("      <cseq>").append(std::to_string(*p.cseq)).append("</cseq>\n");
  for (const auto& e : p.extensions) out.append("      ").append(e).append("\n");
  out.append("    </").append(tag).append(">\n");
}

bool text_number(const XE* e, std::uint32_t& out) {
  const std::string t = text_of(e);
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && !t.empty();
}

name_addr read_name_addr(const XE* e) {
  name_addr n;
  n.uri = text_of(e);
  if (const char* d = e->Attribute("display")) n.display = d;
  else if (const char* d2 = e->Attribute("display-name")) n.display = d2;
  return n;
}

dialog_ids read_ids(const XE* e) {
  dialog_ids ids;
  if (const char* v = e->Attribute("call-id")) ids.call_id = v;
  if (const char* v = e->Attribute("local-tag")) ids.local_tag = v;
  if (const char* v = e->Attribute("remote-tag")) ids.remote_tag = v;
  return ids;
}

bool read_participant(const XE* e, participant& p, const failure& fail) {
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (named(c, "identity")) {
      p.identity = read_name_addr(c);
    } else if (named(c, "target")) {
      const char* uri = c->Attribute("uri");
      if (!uri) return fail("target without uri");
      p.target = uri;
      for (const XE* pa = c->FirstChildElement(); pa; pa = pa->NextSiblingElement()) {
        if (!named(pa, "param")) continue;
        const char* n = pa->Attribute("pname");
        const char* v = pa->Attribute("pval");
        if (!n || !v) return fail("target param without pname or pval");
        p.params.emplace_back(n, v);
      }
    } else if (named(c, "session-description")) {
      p.session_description = c->GetText() ? c->GetText() : "";
      if (const char* t = c->Attribute("type")) p.session_type = t;
    } else if (named(c, "cseq")) {
      std::uint32_t n = 0;
      if (!text_number(c, n)) return fail("cseq is not a number");
      p.cseq = n;
    } else {
      p.extensions.push_back(print(c));
    }
  }
  return true;
}

bool read_dialog(const XE* e, dialog& d, const failure& fail) {
  const char* id = e->Attribute("id");
  if (!id || !*id) return fail("dialog without id");
  d.id = id;
  d.ids = read_ids(e);
  if (const char* dir = e->Attribute("direction")) {
    const std::string_view v = dir;
    if (v == "initiator") d.dir = direction::initiator;
    else if (v == "recipient" || v == "receiver") d.dir = direction::recipient;  // RFC 4235's example says receiver
    else return fail("dialog direction " + std::string(v));
  }
  bool have_state = false;
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (named(c, "state")) {
      auto s = dialog_state_from(text_of(c));
      if (!s) return fail("dialog state " + text_of(c));
      d.state = *s;
      have_state = true;
      const char* ev = c->Attribute("event");
      if (!ev) ev = c->Attribute("reason");  // as RFC 4235's examples print it
      if (ev) {
        auto x = state_event_from(ev);
        if (!x) return fail("dialog state event " + std::string(ev));
        d.event = *x;
      }
      std::optional<std::uint32_t> code;
      if (!xml::number(c->Attribute("code"), code) || (code && (*code < 100 || *code > 699)))
        return fail("dialog state code is not a response code");
      if (code) d.code = static_cast<std::uint16_t>(*code);
    } else if (named(c, "duration")) {
      std::uint32_t n = 0;
      if (!text_number(c, n)) return fail("duration is not a number");
      d.duration = n;
    } else if (named(c, "replaces")) {
      d.replaces = read_ids(c);
      if (d.replaces->call_id.empty()) return fail("replaces without call-id");
    } else if (named(c, "referred-by")) {
      d.referred_by = read_name_addr(c);
    } else if (named(c, "route-set")) {
      for (const XE* h = c->FirstChildElement(); h; h = h->NextSiblingElement())
        if (named(h, "hop")) d.route_set.push_back(text_of(h));
    } else if (named(c, "local") || named(c, "remote")) {
      participant p;
      if (!read_participant(c, p, fail)) return false;
      (local_name(c->Name()) == "local" ? d.local : d.remote) = std::move(p);
    } else {
      d.extensions.push_back(print(c));
    }
  }
  if (!have_state) return fail("dialog " + d.id + " without state");
  return true;
}

}  // namespace

SIPEVENTS_INLINE std::string_view to_string(dialog_state s) noexcept { return state_names[static_cast<std::size_t>(s)]; }
SIPEVENTS_INLINE std::optional<dialog_state> dialog_state_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < state_names.size(); ++i)
    if (state_names[i] == s) return static_cast<dialog_state>(i);
  return std::nullopt;
}
SIPEVENTS_INLINE std::string_view to_string(state_event e) noexcept { return event_names[static_cast<std::size_t>(e)]; }
SIPEVENTS_INLINE std::optional<state_event> state_event_from(std::string_view s) noexcept {
  for (std::size_t i = 1; i < event_names.size(); ++i)
    if (event_names[i] == s) return static_cast<state_event>(i);
  return std::nullopt;
}
SIPEVENTS_INLINE std::string_view to_string(direction d) noexcept {
  return d == direction::initiator ? "initiator" : d == direction::recipient ? "recipient" : "";
}
SIPEVENTS_INLINE std::string_view to_string(lamp l) noexcept {
  switch (l) {
    case lamp::idle: return "idle";
    case lamp::ringing: return "ringing";
    case lamp::dialing: return "dialing";
    case lamp::busy: return "busy";
  }
  return "";
}

SIPEVENTS_INLINE std::string encode(const dialog_info& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dialog-info";
  attr(out, "xmlns", dialog_info_ns);
  attr(out, "version", std::to_string(doc.version));
  attr(out, "state", doc.full ? "full" : "partial");
  if (!doc.entity.empty()) attr(out, "entity", doc.entity);
  out.append(">\n");
  for (const dialog& d : doc.dialogs) {
    out.append("  <dialog");
    attr(out, "id", d.id);
    ids_out(out, d.ids);
    if (d.dir != direction::none) attr(out, "direction", to_string(d.dir));
    out.append(">\n    <state");
    if (d.event != state_event::none) attr(out, "event", to_string(d.event));
    if (d.code) attr(out, "code", std::to_string(*d.code));
    out.append(">").append(to_string(d.state)).append("</state>\n");
    if (d.duration) out.append("    <duration>").append(std::to_string(*d.duration)).append("</duration>\n");
    if (d.replaces) {
      out.append("    <replaces");
      ids_out(out, *d.replaces);
      out.append("/>\n");
    }
    if (d.referred_by) name_addr_out(out, "referred-by", *d.referred_by, "    ");
    if (!d.route_set.empty()) {
      out.append("    <route-set>");
      for (const auto& h : d.route_set) {
        out.append("<hop>");
        escape(out, h, false);
        out.append("</hop>");
      }
      out.append("</route-set>\n");
    }
    if (d.local) participant_out(out, "local", *d.local);
    if (d.remote) participant_out(out, "remote", *d.remote);
    for (const auto& e : d.extensions) out.append("    ").append(e).append("\n");
    out.append("  </dialog>\n");
  }
  for (const auto& e : doc.extensions) out.append("  ").append(e).append("\n");
  out.append("</dialog-info>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, dialog_info& out, std::string* error) {
  failure fail{error};
  out = dialog_info{};
  tinyxml2::XMLDocument d;
  const XE* root = xml::parse_root(d, text, dialog_info_ns, "dialog-info", "dialog-info", fail);
  // One of RFC 4235's examples spells the state attribute notify-state.
  if (!root || !xml::version_and_state(root, "dialog-info", out.version, out.full, fail, "notify-state")) return false;
  if (const char* entity = root->Attribute("entity")) out.entity = entity;
  for (const XE* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (!named(e, "dialog")) {
      out.extensions.push_back(print(e));
      continue;
    }
    dialog dl;
    if (!read_dialog(e, dl, fail)) return false;
    out.dialogs.push_back(std::move(dl));
  }
  return true;
}

SIPEVENTS_INLINE blf_view blf(const dialog_info& doc) {
  blf_view v;
  for (const dialog& d : doc.dialogs) {
    if (d.state == dialog_state::terminated) continue;
    if (d.state == dialog_state::confirmed) {
      v.state = lamp::busy;
      v.caller.reset();
      v.ringing_dialog.reset();
      break;  // nothing outranks busy
    }
    const bool incoming = d.dir == direction::recipient;
    if (incoming && d.state == dialog_state::early) {
      if (v.state != lamp::ringing) {
        v.state = lamp::ringing;
        if (d.remote && d.remote->identity) v.caller = d.remote->identity;
        v.ringing_dialog = d.ids;
      }
    } else if (v.state == lamp::idle) {
      // Outgoing, or incoming not yet early (trying, proceeding): the line is in use.
      v.state = lamp::dialing;
    }
  }
  return v;
}

}  // namespace sipevents::dialoginfo

SIPEVENTS_IMPL_END
