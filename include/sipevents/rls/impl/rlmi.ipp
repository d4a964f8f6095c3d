#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/rls/rlmi.hpp"

#include <array>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::rls {

namespace {
using xml::attr;
using xml::escape;
using xml::failure;
using XE = tinyxml2::XMLElement;

constexpr std::array<std::string_view, 3> state_names = {"active", "pending", "terminated"};

bool rlmi_named(const XE* e, std::string_view n) { return xml::is(e, rlmi_ns, n); }

void encode_names(std::string& out, const std::vector<display_name>& names, const char* indent) {
  for (const auto& n : names) {
    out.append(indent).append("<name");
    if (!n.lang.empty()) attr(out, "xml:lang", n.lang);
    out.append(">");
    escape(out, n.text, false);
    out.append("</name>\n");
  }
}

void decode_name(const XE* e, std::vector<display_name>& names) {
  const char* lang = e->Attribute("xml:lang");
  names.push_back({xml::text_of(e), lang ? lang : ""});
}

bool boolean(const char* s, bool& out) {
  if (!s) return false;
  std::string_view v(s);
  if (v == "true" || v == "1") out = true;
  else if (v == "false" || v == "0") out = false;
  else return false;
  return true;
}
}  // namespace

SIPEVENTS_INLINE std::string_view to_string(instance_state s) noexcept { return state_names[static_cast<std::size_t>(s)]; }
SIPEVENTS_INLINE std::optional<instance_state> instance_state_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < state_names.size(); ++i)
    if (state_names[i] == s) return static_cast<instance_state>(i);
  return std::nullopt;
}

SIPEVENTS_INLINE std::string encode(const rlmi& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<list";
  attr(out, "xmlns", rlmi_ns);
  attr(out, "uri", doc.uri);
  attr(out, "version", std::to_string(doc.version));
  attr(out, "fullState", doc.full ? "true" : "false");
  if (!doc.cid.empty()) attr(out, "cid", doc.cid);
  out.append(">\n");
  encode_names(out, doc.names, "  ");
  for (const auto& r : doc.resources) {
    out.append("  <resource");
    attr(out, "uri", r.uri);
    out.append(">\n");
    encode_names(out, r.names, "    ");
    for (const auto& i : r.instances) {
      out.append("    <instance");
      attr(out, "id", i.id);
      attr(out, "state", to_string(i.state));
      if (!i.reason.empty()) attr(out, "reason", i.reason);
      if (!i.cid.empty()) attr(out, "cid", i.cid);
      out.append("/>\n");
    }
    out.append("  </resource>\n");
  }
  out.append("</list>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, rlmi& out, std::string* error) {
  out = {};
  failure fail{error};
  tinyxml2::XMLDocument doc;
  const XE* root = xml::parse_root(doc, text, rlmi_ns, "list", "an RLMI list", fail);
  if (!root) return false;
  const char* uri = root->Attribute("uri");
  if (!uri || !*uri) return fail("list without uri");
  out.uri = uri;
  std::optional<std::uint32_t> v;
  if (!xml::number(root->Attribute("version"), v) || !v) return fail("list without a version number");
  out.version = *v;
  if (!boolean(root->Attribute("fullState"), out.full)) return fail("list without fullState true or false");
  if (const char* cid = root->Attribute("cid")) out.cid = cid;
  for (const XE* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (rlmi_named(e, "name")) {
      decode_name(e, out.names);
      continue;
    }
    if (!rlmi_named(e, "resource")) continue;  // extensions are ignored (RFC 4662 5.1)
    resource r;
    const char* ruri = e->Attribute("uri");
    if (!ruri || !*ruri) return fail("resource without uri");
    r.uri = ruri;
    for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
      if (rlmi_named(c, "name")) {
        decode_name(c, r.names);
      } else if (rlmi_named(c, "instance")) {
        instance i;
        const char* id = c->Attribute("id");
        if (!id || !*id) return fail("instance of " + r.uri + " without id");
        i.id = id;
        const char* st = c->Attribute("state");
        auto s = st ? instance_state_from(st) : std::nullopt;
        if (!s) return fail("instance " + i.id + " without a known state");
        i.state = *s;
        if (const char* why = c->Attribute("reason")) i.reason = why;
        if (const char* cid = c->Attribute("cid")) i.cid = cid;
        r.instances.push_back(std::move(i));
      }
    }
    out.resources.push_back(std::move(r));
  }
  return true;
}

}  // namespace sipevents::rls

SIPEVENTS_IMPL_END
