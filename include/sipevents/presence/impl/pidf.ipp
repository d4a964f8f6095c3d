#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/presence/pidf.hpp"

#include <array>
#include <cstring>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::presence {

namespace {

using xml::attr;
using xml::escape;
using xml::failure;
using xml::local_name;
using xml::print;
using xml::text_of;
using XE = tinyxml2::XMLElement;

constexpr std::string_view lt_ns = "urn:ietf:params:xml:ns:location-type";

constexpr std::array<std::string_view, 26> activity_names = {
    "appointment", "away", "breakfast", "busy", "dinner", "holiday", "in-transit", "looking-for-work",
    "meal", "meeting", "on-the-phone", "performance", "permanent-absence", "playing", "presentation",
    "shopping", "sleeping", "spectator", "steering", "travel", "tv", "unknown", "vacation", "working",
    "worship", "other"};

void notes_out(std::string& out, const std::vector<note>& notes, std::string_view tag, std::string_view indent) {
  for (const auto& n : notes) {
    out.append(indent).append("<").append(tag);
    if (!n.lang.empty()) attr(out, "xml:lang", n.lang);
    out.append(">");
    escape(out, n.text, false);
    out.append("</").append(tag).append(">\n");
  }
}

void raw_out(std::string& out, const std::vector<std::string>& els, std::string_view indent) {
  for (const auto& e : els) out.append(indent).append(e).append("\n");
}

void value_out(std::string& out, const rpid_value& v, bool location) {
  if (v.token == "other" || v.token.empty()) {
    out.append("<rpid:other>");
    escape(out, v.text, false);
    out.append("</rpid:other>");
  } else if (location) {
    out.append("<lt:").append(v.token).append(" xmlns:lt=\"").append(lt_ns).append("\"/>");
  } else {
    out.append("<rpid:").append(v.token).append("/>");
  }
}

}  // namespace

SIPEVENTS_INLINE void detail::write_person(std::string& out, const person& p) {
  out.append("  <dm:person");
  attr(out, "id", p.id);
  out.append(">\n");
  // Kept when only its period is known (its activities unreadable): from/until stay.
  if (!p.activities.empty() || !p.activity_notes.empty() || !p.activities_from.empty() || !p.activities_until.empty()) {
    out.append("    <rpid:activities");
    if (!p.activities_from.empty()) attr(out, "from", p.activities_from);
    if (!p.activities_until.empty()) attr(out, "until", p.activities_until);
    out.append(">");
    for (const auto& n : p.activity_notes) {
      out.append("<rpid:note");
      if (!n.lang.empty()) attr(out, "xml:lang", n.lang);
      out.append(">");
      escape(out, n.text, false);
      out.append("</rpid:note>");
    }
    for (activity a : p.activities) {
      if (a == activity::other) {
        out.append("<rpid:other>");
        escape(out, p.activity_other, false);
        out.append("</rpid:other>");
      } else {
        out.append("<rpid:").append(to_string(a)).append("/>");
      }
    }
    out.append("</rpid:activities>\n");
  }
  if (!p.moods.empty()) {
    out.append("    <rpid:mood>");
    for (const auto& m : p.moods) value_out(out, m, false);
    out.append("</rpid:mood>\n");
  }
  if (p.place_type) {
    out.append("    <rpid:place-type>");
    value_out(out, *p.place_type, true);
    out.append("</rpid:place-type>\n");
  }
  if (p.privacy) {
    out.append("    <rpid:privacy>");
    if (!p.privacy->known) out.append("<rpid:unknown/>");
    if (p.privacy->audio) out.append("<rpid:audio/>");
    if (p.privacy->text) out.append("<rpid:text/>");
    if (p.privacy->video) out.append("<rpid:video/>");
    out.append("</rpid:privacy>\n");
  }
  raw_out(out, p.extensions, "    ");
  notes_out(out, p.notes, "dm:note", "    ");
  if (!p.timestamp.empty()) {
    out.append("    <dm:timestamp>");
    escape(out, p.timestamp, false);
    out.append("</dm:timestamp>\n");
  }
  out.append("  </dm:person>\n");
}

namespace {

bool ours(const XE* e, std::string_view name) { return xml::is(e, pidf_ns, name); }

void read_note(const XE* e, std::vector<note>& out) {
  note n;
  n.text = e->GetText() ? e->GetText() : "";
  if (const char* l = e->Attribute("xml:lang")) n.lang = l;
  out.push_back(std::move(n));
}

/// Records elements under `e` (itself included) that carry mustUnderstand.
void must_understand(const XE* e, std::vector<std::string>& out) {
  for (const tinyxml2::XMLAttribute* a = e->FirstAttribute(); a; a = a->Next()) {
    if (local_name(a->Name()) == "mustUnderstand" && (std::strcmp(a->Value(), "1") == 0 || std::strcmp(a->Value(), "true") == 0)) {
      out.emplace_back(e->Name());
      break;
    }
  }
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) must_understand(c, out);
}

std::string keep(const XE* e, presence_document& doc) {
  must_understand(e, doc.not_understood);
  return print(e);
}

rpid_value read_value(const XE* c) {
  rpid_value v;
  v.token = std::string(local_name(c->Name()));
  if (v.token == "other") v.text = c->GetText() ? c->GetText() : "";
  return v;
}

void read_person(const XE* e, person& p, presence_document& doc) {
  if (const char* id = e->Attribute("id")) p.id = id;
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
    std::string_view ns = xml::namespace_of(c), n = local_name(c->Name());
    if (ns == rpid_ns && n == "activities") {
      if (const char* f = c->Attribute("from")) p.activities_from = f;
      if (const char* u = c->Attribute("until")) p.activities_until = u;
      for (const XE* a = c->FirstChildElement(); a; a = a->NextSiblingElement()) {
        if (xml::is(a, rpid_ns, "note")) {
          read_note(a, p.activity_notes);
          continue;
        }
        activity act;
        if (xml::namespace_of(a) != rpid_ns || !parse_activity(local_name(a->Name()), act)) continue;  // rpid:note, extensions
        if (act == activity::other) p.activity_other = a->GetText() ? a->GetText() : "";
        p.activities.push_back(act);
      }
    } else if (ns == rpid_ns && n == "mood") {
      for (const XE* a = c->FirstChildElement(); a; a = a->NextSiblingElement())
        if (xml::namespace_of(a) == rpid_ns && local_name(a->Name()) != "note") p.moods.push_back(read_value(a));
    } else if (ns == rpid_ns && n == "place-type") {
      for (const XE* a = c->FirstChildElement(); a; a = a->NextSiblingElement())
        if (local_name(a->Name()) != "note") {
          p.place_type = read_value(a);
          break;
        }
    } else if (ns == rpid_ns && n == "privacy") {
      rpid_privacy pr;
      for (const XE* a = c->FirstChildElement(); a; a = a->NextSiblingElement()) {
        std::string_view k = local_name(a->Name());
        if (k == "unknown") pr.known = false;
        else if (k == "audio") pr.audio = true;
        else if (k == "text") pr.text = true;
        else if (k == "video") pr.video = true;
      }
      p.privacy = pr;
    } else if (ns == dm_ns && n == "note") {
      read_note(c, p.notes);
    } else if (ns == dm_ns && n == "timestamp") {
      p.timestamp = text_of(c);
    } else {
      p.extensions.push_back(keep(c, doc));
    }
  }
}

}  // namespace

SIPEVENTS_INLINE std::string_view to_string(basic_status b) noexcept {
  switch (b) {
    case basic_status::open: return "open";
    case basic_status::closed: return "closed";
    default: return "";
  }
}

SIPEVENTS_INLINE std::string_view to_string(activity a) noexcept { return activity_names[static_cast<std::size_t>(a)]; }

SIPEVENTS_INLINE bool parse_activity(std::string_view token, activity& out) noexcept {
  for (std::size_t i = 0; i < activity_names.size(); ++i)
    if (activity_names[i] == token) {
      out = static_cast<activity>(i);
      return true;
    }
  return false;
}

SIPEVENTS_INLINE void detail::write_tuple(std::string& out, const tuple& t) {
  out.append("  <tuple");
  attr(out, "id", t.id);
  out.append(">\n    <status>");
  if (t.basic != basic_status::none) out.append("<basic>").append(to_string(t.basic)).append("</basic>");
  for (const auto& x : t.status_extensions) out.append(x);
  out.append("</status>\n");
  raw_out(out, t.extensions, "    ");
  if (t.contact) {
    out.append("    <contact");
    if (t.contact->priority) attr(out, "priority", *t.contact->priority);
    out.append(">");
    escape(out, t.contact->uri, false);
    out.append("</contact>\n");
  }
  notes_out(out, t.notes, "note", "    ");
  if (!t.timestamp.empty()) {
    out.append("    <timestamp>");
    escape(out, t.timestamp, false);
    out.append("</timestamp>\n");
  }
  out.append("  </tuple>\n");
}

SIPEVENTS_INLINE void detail::write_children(std::string& out, const presence_document& doc) {
  for (const auto& t : doc.tuples) write_tuple(out, t);
  notes_out(out, doc.notes, "note", "  ");
  for (const auto& p : doc.persons) write_person(out, p);
  raw_out(out, doc.extensions, "  ");
}

SIPEVENTS_INLINE std::string encode(const presence_document& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"";
  out.append(pidf_ns).append("\"");
  if (!doc.persons.empty()) {
    attr(out, "xmlns:dm", dm_ns);
    attr(out, "xmlns:rpid", rpid_ns);
  }
  attr(out, "entity", doc.entity);
  out.append(">\n");
  detail::write_children(out, doc);
  out.append("</presence>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, presence_document& out, std::string* error) {
  failure fail{error};
  out = presence_document{};
  tinyxml2::XMLDocument d;
  const XE* root = xml::parse_root(d, text, pidf_ns, "presence", "a PIDF presence element", fail);
  if (!root) return false;
  const char* entity = root->Attribute("entity");
  if (!entity) return fail("presence without entity");
  if (std::string p = xml::undeclared_prefix(root); !p.empty()) return fail("undeclared namespace prefix " + p);
  out.entity = entity;
  return detail::read_children(root, out, error);
}

SIPEVENTS_INLINE bool detail::read_children(const tinyxml2::XMLElement* root, presence_document& out, std::string* error) {
  failure fail{error};
  for (const XE* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (ours(e, "tuple")) {
      tuple t;
      const char* id = e->Attribute("id");
      if (!id) return fail("tuple without id");
      t.id = id;
      bool have_status = false;
      for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
        if (ours(c, "status")) {
          have_status = true;
          for (const XE* s = c->FirstChildElement(); s; s = s->NextSiblingElement()) {
            if (!ours(s, "basic")) {
              t.status_extensions.push_back(keep(s, out));
              continue;
            }
            std::string b = text_of(s);
            if (b == "open") t.basic = basic_status::open;
            else if (b == "closed") t.basic = basic_status::closed;
            else return fail("tuple " + t.id + ": basic must be open or closed, not \"" + b + "\"");
          }
        } else if (ours(c, "contact")) {
          contact_address ca;
          ca.uri = text_of(c);
          if (const char* p = c->Attribute("priority")) ca.priority = p;
          t.contact = std::move(ca);
        } else if (ours(c, "note")) {
          read_note(c, t.notes);
        } else if (ours(c, "timestamp")) {
          t.timestamp = text_of(c);
        } else {
          t.extensions.push_back(keep(c, out));
        }
      }
      if (!have_status) return fail("tuple " + t.id + " without status");
      out.tuples.push_back(std::move(t));
    } else if (ours(e, "note")) {
      read_note(e, out.notes);
    } else if (xml::is(e, dm_ns, "person")) {
      person p;
      read_person(e, p, out);
      out.persons.push_back(std::move(p));
    } else {
      out.extensions.push_back(keep(e, out));
    }
  }
  return true;
}

}  // namespace sipevents::presence

SIPEVENTS_IMPL_END
