#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/reg/reginfo.hpp"

#include "sipevents/xml/impl/xml_util.hpp"

#include <charconv>
#include <cstring>

namespace sipevents::reg {

namespace {

using xml::attr;
using xml::escape;
using xml::failure;
using xml::local_name;
using xml::number;
using xml::print;
using xml::text_of;

void attr(std::string& out, std::string_view name, const std::optional<std::uint32_t>& v) {
  if (v) attr(out, name, std::to_string(*v));
}

void extensions(std::string& out, const std::vector<extension>& attrs) {
  for (const auto& a : attrs) attr(out, a.name, a.text);
}

void elements(std::string& out, const std::vector<extension>& els, std::string_view indent) {
  for (const auto& e : els) out.append(indent).append(e.text).append("\n");
}

// ---- decoding ------------------------------------------------------------------------

bool ours(const tinyxml2::XMLElement* e) { return xml::namespace_of(e) == reginfo_ns; }

void keep_attributes(const tinyxml2::XMLElement* e, std::initializer_list<std::string_view> known,
                     std::vector<extension>& out) {
  std::vector<std::pair<std::string, std::string>> kept;
  xml::keep_attributes(e, known, kept);
  for (auto& [n, v] : kept) out.push_back({std::move(n), std::move(v)});
}

bool read_contact(const tinyxml2::XMLElement* e, contact_info& c, const failure& fail) {
  const char* id = e->Attribute("id");
  const char* state = e->Attribute("state");
  const char* event = e->Attribute("event");
  if (!id || !state || !event) return fail("contact without id, state or event");
  c.id = id;
  c.state = state;
  c.event = event;
  if (c.state != "active" && c.state != "terminated") return fail("contact state " + c.state);
  if (!number(e->Attribute("expires"), c.expires) ||
      !number(e->Attribute("duration-registered"), c.duration_registered) ||
      !number(e->Attribute("retry-after"), c.retry_after) || !number(e->Attribute("cseq"), c.cseq))
    return fail("contact with a bad number");
  if (const char* q = e->Attribute("q")) c.q = q;
  if (const char* ci = e->Attribute("callid")) c.callid = ci;
  keep_attributes(e, {"id", "state", "event", "expires", "duration-registered", "retry-after", "cseq", "q", "callid"},
                  c.attributes);
  bool have_uri = false;
  for (const tinyxml2::XMLElement* k = e->FirstChildElement(); k; k = k->NextSiblingElement()) {
    if (!ours(k)) {
      c.elements.push_back({{}, print(k)});
      continue;
    }
    std::string_view n = local_name(k->Name());
    if (n == "uri") {
      c.uri = text_of(k);
      have_uri = true;
    } else if (n == "display-name") {
      c.display_name = k->GetText() ? k->GetText() : "";
      if (const char* l = k->Attribute("xml:lang")) c.display_lang = l;
    } else if (n == "unknown-param") {
      const char* name = k->Attribute("name");
      if (!name) return fail("unknown-param without name");
      unknown_param p{name, {}};
      if (k->GetText()) p.value = std::string(k->GetText());
      c.unknown_params.push_back(std::move(p));
    } else {
      c.elements.push_back({{}, print(k)});
    }
  }
  if (!have_uri) return fail("contact without uri");
  return true;
}

}  // namespace

SIPEVENTS_INLINE std::string encode(const reginfo& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<reginfo xmlns=\"";
  out.append(reginfo_ns).append("\"");
  attr(out, "version", std::to_string(doc.version));
  attr(out, "state", doc.full ? "full" : "partial");
  extensions(out, doc.attributes);
  out.append(">\n");
  for (const auto& r : doc.registrations) {
    out.append("  <registration");
    attr(out, "aor", r.aor);
    attr(out, "id", r.id);
    attr(out, "state", r.state);
    extensions(out, r.attributes);
    out.append(">\n");
    for (const auto& c : r.contacts) {
      out.append("    <contact");
      attr(out, "id", c.id);
      attr(out, "state", c.state);
      attr(out, "event", c.event);
      attr(out, "expires", c.expires);
      attr(out, "duration-registered", c.duration_registered);
      attr(out, "retry-after", c.retry_after);
      if (c.q) attr(out, "q", *c.q);
      if (!c.callid.empty()) attr(out, "callid", c.callid);
      attr(out, "cseq", c.cseq);
      extensions(out, c.attributes);
      out.append(">\n      <uri>");
      escape(out, c.uri, false);
      out.append("</uri>\n");
      if (c.display_name) {
        out.append("      <display-name");
        if (!c.display_lang.empty()) attr(out, "xml:lang", c.display_lang);
        out.append(">");
        escape(out, *c.display_name, false);
        out.append("</display-name>\n");
      }
      for (const auto& p : c.unknown_params) {
        out.append("      <unknown-param");
        attr(out, "name", p.name);
        if (p.value) {
          out.append(">");
          escape(out, *p.value, false);
          out.append("</unknown-param>\n");
        } else {
          out.append("/>\n");
        }
      }
      elements(out, c.elements, "      ");
      out.append("    </contact>\n");
    }
    elements(out, r.elements, "    ");
    out.append("  </registration>\n");
  }
  elements(out, doc.elements, "  ");
  out.append("</reginfo>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view xml, reginfo& out, std::string* error) {
  failure fail{error};
  out = reginfo{};
  tinyxml2::XMLDocument d;
  const tinyxml2::XMLElement* root = xml::parse_root(d, xml, reginfo_ns, "reginfo", "reginfo", fail);
  if (!root || !xml::version_and_state(root, "reginfo", out.version, out.full, fail)) return false;
  keep_attributes(root, {"version", "state"}, out.attributes);
  for (const tinyxml2::XMLElement* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (!ours(e) || local_name(e->Name()) != "registration") {
      out.elements.push_back({{}, print(e)});
      continue;
    }
    registration_info r;
    const char* aor = e->Attribute("aor");
    const char* id = e->Attribute("id");
    const char* rs = e->Attribute("state");
    if (!aor || !id || !rs) return fail("registration without aor, id or state");
    r.aor = aor;
    r.id = id;
    r.state = rs;
    if (r.state != "init" && r.state != "active" && r.state != "terminated") return fail("registration state " + r.state);
    keep_attributes(e, {"aor", "id", "state"}, r.attributes);
    for (const tinyxml2::XMLElement* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
      if (!ours(c) || local_name(c->Name()) != "contact") {
        r.elements.push_back({{}, print(c)});
        continue;
      }
      contact_info ci;
      if (!read_contact(c, ci, fail)) return false;
      r.contacts.push_back(std::move(ci));
    }
    out.registrations.push_back(std::move(r));
  }
  return true;
}

}  // namespace sipevents::reg

SIPEVENTS_IMPL_END
