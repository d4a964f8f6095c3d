#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/rls/resource_lists.hpp"

#include <map>
#include <set>

#include "sipevents/xml/impl/xml_util.hpp"
#include "sipevents/events/subscription_server.hpp"
#include "sipevents/message/uri.hpp"

namespace sipevents::rls {

namespace {
using xml::attr;
using xml::escape;
using xml::failure;
using XE = tinyxml2::XMLElement;

bool lists_named(const XE* e, std::string_view n) { return xml::is(e, resource_lists_ns, n); }

void encode_list(std::string& out, const resource_list& l, int depth) {
  std::string pad(std::size_t(depth) * 2, ' ');
  out.append(pad).append("<list");
  if (!l.name.empty()) attr(out, "name", l.name);
  out.append(">\n");
  if (!l.display_name.empty()) {
    out.append(pad).append("  <display-name>");
    escape(out, l.display_name, false);
    out.append("</display-name>\n");
  }
  for (const auto& e : l.entries) {
    out.append(pad).append("  ");
    switch (e.what) {
      case list_entry::kind::entry: out.append("<entry"); attr(out, "uri", e.uri); break;
      case list_entry::kind::entry_ref: out.append("<entry-ref"); attr(out, "ref", e.uri); break;
      case list_entry::kind::external: out.append("<external"); attr(out, "anchor", e.uri); break;
    }
    if (e.display_name.empty()) {
      out.append("/>\n");
      continue;
    }
    out.append("><display-name>");
    escape(out, e.display_name, false);
    out.append(e.what == list_entry::kind::entry ? "</display-name></entry>\n"
               : e.what == list_entry::kind::entry_ref ? "</display-name></entry-ref>\n"
                                                       : "</display-name></external>\n");
  }
  for (const auto& n : l.lists) encode_list(out, n, depth + 1);
  out.append(pad).append("</list>\n");
}

std::string display_name_of(const XE* e) {
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement())
    if (lists_named(c, "display-name")) return xml::text_of(c);
  return {};
}

bool decode_list(const XE* e, resource_list& l, std::size_t depth, std::size_t max_depth, const failure& fail) {
  if (depth > max_depth) return fail("lists nested deeper than " + std::to_string(max_depth));
  if (const char* n = e->Attribute("name")) l.name = n;
  for (const XE* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (lists_named(c, "display-name")) {
      l.display_name = xml::text_of(c);
    } else if (lists_named(c, "entry") || lists_named(c, "entry-ref") || lists_named(c, "external")) {
      list_entry en;
      const char* a = nullptr;
      if (lists_named(c, "entry")) a = c->Attribute("uri");
      else if (lists_named(c, "entry-ref")) a = c->Attribute("ref"), en.what = list_entry::kind::entry_ref;
      else a = c->Attribute("anchor"), en.what = list_entry::kind::external;
      if (!a || !*a) return fail("an entry of list \"" + l.name + "\" without its uri, ref or anchor");
      en.uri = a;
      en.display_name = display_name_of(c);
      l.entries.push_back(std::move(en));
    } else if (lists_named(c, "list")) {
      resource_list n;
      if (!decode_list(c, n, depth + 1, max_depth, fail)) return false;
      l.lists.push_back(std::move(n));
    }
  }
  return true;
}

struct flattener {
  const std::map<std::string, const resource_list*>& by_key;  // list resource name -> list
  const list_limits& limits;
  const failure& fail;
  std::vector<std::string> path;  // the lists being expanded, outermost first

  bool expand(const resource_list& l, const std::string& list_uri, std::vector<member>& out,
              std::set<std::string>& seen) {
    for (const auto& e : l.entries) {
      if (e.what != list_entry::kind::entry)
        return fail("list " + list_uri + ": " + (e.what == list_entry::kind::entry_ref ? "entry-ref" : "external") +
                    " \"" + e.uri + "\" points into an XCAP document; write its entries into the list instead");
      message::uri u;
      if (message::parse_uri(e.uri, u)) return fail("list " + list_uri + ": \"" + e.uri + "\" is not a URI");
      std::string key = events::resource_name(u);
      if (auto it = by_key.find(key); it != by_key.end()) {
        // A served list named as an entry: its resources are ours too.
        for (const auto& p : path)
          if (p == key) {
            std::string chain;
            for (const auto& q : path) chain += q + " -> ";
            return fail("list " + path.front() + " includes itself: " + chain + key);
          }
        path.push_back(key);
        if (!expand(*it->second, list_uri, out, seen)) return false;
        path.pop_back();
        continue;
      }
      if (!seen.insert(key).second) continue;
      if (out.size() >= limits.max_resources)
        return fail("list " + path.front() + " has more than " + std::to_string(limits.max_resources) +
                    " resources");
      out.push_back({e.uri, std::move(key), e.display_name});
    }
    for (const auto& n : l.lists)
      if (!expand(n, list_uri, out, seen)) return false;
    return true;
  }
};
}  // namespace

SIPEVENTS_INLINE std::string encode(const resource_lists& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists";
  attr(out, "xmlns", resource_lists_ns);
  out.append(">\n");
  for (const auto& l : doc.lists) encode_list(out, l, 1);
  out.append("</resource-lists>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, resource_lists& out, std::string* error, std::size_t max_depth) {
  out = {};
  failure fail{error};
  tinyxml2::XMLDocument doc;
  const XE* root = xml::parse_root(doc, text, resource_lists_ns, "resource-lists", "resource-lists", fail);
  if (!root) return false;
  for (const XE* e = root->FirstChildElement(); e; e = e->NextSiblingElement()) {
    if (!lists_named(e, "list")) continue;
    resource_list l;
    if (!decode_list(e, l, 1, max_depth, fail)) return false;
    out.lists.push_back(std::move(l));
  }
  return true;
}

SIPEVENTS_INLINE bool flatten(const resource_lists& doc, std::string_view domain, std::vector<served_list>& out, std::string* error,
             const list_limits& limits) {
  out.clear();
  failure fail{error};
  if (doc.lists.size() > limits.max_lists)
    return fail(std::to_string(doc.lists.size()) + " lists, more than " + std::to_string(limits.max_lists));
  std::map<std::string, const resource_list*> by_key;
  std::vector<std::pair<std::string, std::string>> uris;  // uri, key
  for (const auto& l : doc.lists) {
    if (l.name.empty()) return fail("a list without a name");
    std::string uri = "sip:" + l.name + "@" + std::string(domain);
    message::uri u;
    if (message::parse_uri(uri, u)) return fail("list \"" + l.name + "\" does not make a SIP URI (" + uri + ")");
    std::string key = events::resource_name(u);
    if (!by_key.emplace(key, &l).second) return fail("two lists named \"" + l.name + "\"");
    uris.emplace_back(std::move(uri), std::move(key));
  }
  for (std::size_t i = 0; i < doc.lists.size(); ++i) {
    served_list s{uris[i].first, uris[i].second, doc.lists[i].display_name, {}};
    flattener f{by_key, limits, fail, {uris[i].second}};
    std::set<std::string> seen;
    if (!f.expand(doc.lists[i], s.uri, s.members, seen)) return false;
    out.push_back(std::move(s));
  }
  return true;
}

SIPEVENTS_INLINE bool flatten_into(const resource_lists& doc, served_list& out, std::string* error, const list_limits& limits) {
  failure fail{error};
  const std::map<std::string, const resource_list*> none;
  flattener f{none, limits, fail, {out.key}};
  std::set<std::string> seen;
  out.members.clear();
  for (const auto& l : doc.lists)
    if (!f.expand(l, out.uri, out.members, seen)) return false;
  return true;
}

}  // namespace sipevents::rls

SIPEVENTS_IMPL_END
